#!/usr/bin/env bash
# The whole test suite in one command, on a fresh Debian 12 machine as root:
# installs what faultline needs, builds it with warnings as errors, runs
# every unit and integration test, then builds the unit tests again with
# AddressSanitizer + UBSan and runs them.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh

echo "== build (warnings as errors)"
bash scripts/build.sh
echo "== tests"
# Integration tests keep their reports under build/test-output when they
# fail; the path is printed with the failure.
(cd build && ctest --output-on-failure --timeout 300)

echo "== unit tests under AddressSanitizer + UndefinedBehaviorSanitizer"
# Unit tests only: the benchmarks and the integration tests are not built.
BUILD_DIR=build-asan BUILD_TYPE=Debug bash scripts/build.sh -DFAULTLINE_SANITIZE=ON \
  -DFAULTLINE_BUILD_BENCH=OFF -DFAULTLINE_BUILD_INTEGRATION_TESTS=OFF
(cd build-asan && ASAN_OPTIONS=detect_leaks=1 UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1 \
  ctest --output-on-failure -L unit --timeout 300)
