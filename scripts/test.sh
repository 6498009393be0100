#!/usr/bin/env bash
# The whole test suite in one command, on a fresh Debian 12 machine as root:
# installs what faultline needs, builds it with warnings as errors, runs
# every unit and integration test (with a dockerd and the container test
# images ready, and a check that the host is left as it was), then builds
# the unit tests again with clang, AddressSanitizer + UBSan and runs them,
# with a short smoke run of each parser's fuzz target.
set -euo pipefail
cd "$(dirname "$0")/.."
# CI services set CI=true. It must reach every test through ctest: there, a
# test that would be skipped for want of root or an installed tool fails
# instead, and only a missing kernel feature may skip (tests/skip.h). Run
# through sudo, pass it on: `sudo CI=true bash scripts/test.sh`.
if [[ "${CI:-}" == "true" || "${CI:-}" == "1" ]]; then
  export CI
  echo "== CI=$CI: a skipped test fails unless the kernel lacks what it needs"
fi
bash scripts/setup.sh --containers

echo "== [$((SECONDS / 60)) min] host state, dockerd, container test images (built during the build)"
# What a dockerd could change on the host and leave behind (firewall,
# forwarding sysctls, links, routes, Docker's mounts and processes) is
# saved before one starts and compared after it stops: the run fails when
# anything differs. docs/CONTAINERS.md describes the three scripts.
mkdir -p build
host_state=build/host-state.before
bash scripts/host-state.sh save "$host_state"
# dockerd.sh starts a dockerd without iptables, forwarding or docker0 unless
# one already answers, and `stop` ends only the one it started. The trap
# stops it on every other way out of this script (a failed test, Ctrl-C,
# a failed start that left a daemon running), and the image build below if
# it still runs; the exit status stays the failure's.
# Under set -e a failing command in the trap would end it early: the image
# build may be gone already (a Ctrl-C or a kill of the whole process group
# reaches it too), so its kill must not fail the trap before dockerd stops.
images_pid=
on_exit() {
  if [[ -n $images_pid ]]; then
    kill "$images_pid" 2>/dev/null || true
  fi
  bash scripts/dockerd.sh stop || echo "test.sh: scripts/dockerd.sh stop failed (above)" >&2
}
trap on_exit EXIT
trap 'exit 130' INT
trap 'exit 143' TERM
bash scripts/dockerd.sh start
# faultline-test/{nginx,haproxy}:bookworm, built offline from Debian
# packages, or reused when already built from the same recipe. About two
# minutes, mostly waiting on downloads and the daemon: in the background
# while the compiler has the CPUs, and waited for before the integration
# tests, some of which measure latencies to the millisecond.
images_log=build/test-images.log
bash scripts/test-images.sh >"$images_log" 2>&1 &
images_pid=$!

echo "== [$((SECONDS / 60)) min] build (warnings as errors)"
# -O2 without debug information: a third faster to compile and link, and
# failures are diagnosed from the runs' logs and reports, not a debugger.
# The benchmarks are built by the clang pass below, and so are the unit
# tests, which run there (once, under the sanitizers): this build has only
# the test folders the integration label needs (FAULTLINE_BUILD_UNIT_TESTS).
BUILD_TYPE=Release bash scripts/build.sh -DCMAKE_CXX_FLAGS_RELEASE="-O2 -DNDEBUG" -DFAULTLINE_BUILD_TESTS=ON \
  -DFAULTLINE_BUILD_UNIT_TESTS=OFF -DFAULTLINE_BUILD_BENCH=OFF
if ! wait "$images_pid"; then
  images_pid=
  echo "test.sh: scripts/test-images.sh failed:" >&2
  cat "$images_log" >&2
  exit 1
fi
images_pid=
cat "$images_log"

echo "== [$((SECONDS / 60)) min] integration tests"
# Two at a time, except those marked RUN_SERIAL (tests/CMakeLists.txt).
# They keep their reports under build/test-output when they fail; the path
# is printed with the failure.
(cd build && ctest --output-on-failure --timeout 300 -L integration -j2)
echo "== [$((SECONDS / 60)) min] the network and process faults again, in user-mode Linux (netem, cgroup v2)"
# The host's kernel takes the NFQUEUE delayer and cgroup v1; a stock Debian
# or Ubuntu kernel takes netem and cgroup v2. scripts/uml-test.sh boots
# Debian's user-mode Linux kernel and runs the same tests there (about 3
# minutes); its CTest entry is labelled uml.
(cd build && ctest --output-on-failure -L '^uml$')

echo "== [$((SECONDS / 60)) min] dockerd stopped, host state compared"
trap - EXIT INT TERM
bash scripts/dockerd.sh stop
bash scripts/host-state.sh compare "$host_state"

echo "== [$((SECONDS / 60)) min] unit tests under AddressSanitizer + UndefinedBehaviorSanitizer, fuzz smoke run (clang)"
# One clang build serves both: the unit tests with ASan+UBSan (the only run
# of the unit tests: their timing checks pass under the sanitizers too), and the
# libFuzzer targets of tests/fuzz, each of which replays the repository's
# experiments and journals and then 2000 mutated inputs (docs/FUZZING.md).
# The benchmarks are only built here, so that they keep compiling (bench/README.md
# tells how to run them); the
# integration tests are not built here.
# Debug with line tables only (-gline-tables-only, not -g): a sanitizer's
# report still names file and line, and the compile and the links take less
# of CI's time (measured on one fault's file: 3.5 s instead of 3.9 s, its
# object 2.8 MB instead of 3.8 MB).
CC=clang CXX=clang++ BUILD_DIR=build-asan BUILD_TYPE=Debug bash scripts/build.sh -DFAULTLINE_SANITIZE=ON \
  -DCMAKE_CXX_FLAGS_DEBUG=-gline-tables-only -DFAULTLINE_FUZZ=ON -DFAULTLINE_BUILD_BENCH=ON \
  -DFAULTLINE_BUILD_INTEGRATION_TESTS=OFF
(cd build-asan && ASAN_OPTIONS=detect_leaks=1 UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1 \
  ctest --output-on-failure -L 'unit|fuzz' --timeout 300)
echo "== [$((SECONDS / 60)) min] every test passed"
