#!/usr/bin/env bash
# The main job in one command, on a fresh Debian 12 machine as root:
# installs what faultline needs, builds it, and runs the default experiment
# (HAProxy + 3 nginx, a weight skew that breaks the balance SLO).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
# Only faultline itself: the demo runs no test and no benchmark.
bash scripts/build.sh -DFAULTLINE_BUILD_TESTS=OFF -DFAULTLINE_BUILD_BENCH=OFF
EXPERIMENT=${1:-experiments/haproxy-weight-skew.yaml}
set +e
./build/faultline run "$EXPERIMENT" --out faultline-out/demo
code=$?
set -e
echo
echo "postmortem: faultline-out/demo/postmortem.md (and .html)   journal: faultline-out/demo/journal.json   junit: faultline-out/demo/junit.xml"
exit $code
