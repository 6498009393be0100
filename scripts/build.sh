#!/usr/bin/env bash
# Configures and builds faultline into ./build (or $BUILD_DIR).
# Extra arguments go to CMake, e.g. -DFAULTLINE_SANITIZE=ON.
set -euo pipefail
cd "$(dirname "$0")/.."
BUILD_DIR=${BUILD_DIR:-build}
cmake -S . -B "$BUILD_DIR" -DCMAKE_BUILD_TYPE=${BUILD_TYPE:-RelWithDebInfo} -DFAULTLINE_WARNINGS_AS_ERRORS=ON "$@" >/dev/null
cmake --build "$BUILD_DIR" -j"$(nproc)"
