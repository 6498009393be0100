#!/usr/bin/env bash
# Builds faultline's libFuzzer targets with clang and fuzzes each parser.
#
#   bash scripts/fuzz.sh [SECONDS_PER_TARGET]     (default 30)
#
# Environment:
#   BUILD_DIR  build folder (default: build-fuzz in the repository)
#   TARGETS    targets to run, space separated (default: all of them)
#   JOBS       targets fuzzed at the same time (default 1)
#   BUILD_JOBS parallel compile jobs (default 2)
#   FAULTLINE_FUZZ_STRICT=1  fuzz_journal also stops on a JSON library
#              exception escaping a reporter (see tests/fuzz/fuzz_journal.cpp)
#
# Needs what scripts/setup.sh installs plus clang (Debian: apt-get install
# clang; libFuzzer comes with it). Seeds come from experiments/, the tests'
# data files and test sources; new inputs the fuzzer finds stay in
# BUILD_DIR/corpus/<target>, so a later run continues from them.
# Exits non-zero when any target found a crash (its reproducer is under
# BUILD_DIR/artifacts/<target>/, printed below), a leak, a timeout or an
# out-of-memory.
set -euo pipefail

SECONDS_PER_TARGET=${1:-30}
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
BUILD_DIR=${BUILD_DIR:-$ROOT/build-fuzz}
ALL_TARGETS="fuzz_units fuzz_objective fuzz_experiment fuzz_override fuzz_journal"
TARGETS=${TARGETS:-$ALL_TARGETS}
JOBS=${JOBS:-1}
BUILD_JOBS=${BUILD_JOBS:-2}

if ! [[ $SECONDS_PER_TARGET =~ ^[0-9]+$ ]] || [ "$SECONDS_PER_TARGET" -lt 1 ]; then
  echo "usage: bash scripts/fuzz.sh [SECONDS_PER_TARGET]" >&2
  exit 2
fi
for tool in clang clang++ cmake; do
  if ! command -v "$tool" >/dev/null 2>&1; then
    echo "fuzz.sh: $tool not found (libFuzzer needs clang: apt-get install clang)" >&2
    exit 2
  fi
done

# --- build -----------------------------------------------------------------
echo "== configuring $BUILD_DIR (clang, FAULTLINE_FUZZ=ON)"
mkdir -p "$BUILD_DIR"
# Also the time stamp of this run: findings older than it are not reported.
CONFIGURE_LOG=$BUILD_DIR/fuzz-configure.log
CC=clang CXX=clang++ cmake -S "$ROOT" -B "$BUILD_DIR" -DCMAKE_BUILD_TYPE=RelWithDebInfo \
  -DFAULTLINE_FUZZ=ON -DFAULTLINE_SANITIZE=ON -DFAULTLINE_BUILD_BENCH=OFF \
  -DFAULTLINE_BUILD_INTEGRATION_TESTS=OFF >"$CONFIGURE_LOG" 2>&1 ||
  { cat "$CONFIGURE_LOG" >&2; exit 2; }
echo "== building $TARGETS"
# shellcheck disable=SC2086
nice -n 10 cmake --build "$BUILD_DIR" -j"$BUILD_JOBS" --target $TARGETS

# --- seed corpus -------------------------------------------------------------
CORPUS=$BUILD_DIR/corpus
ARTIFACTS=$BUILD_DIR/artifacts
LOGS=$BUILD_DIR/fuzz-logs
mkdir -p "$CORPUS" "$ARTIFACTS" "$LOGS"

# seed TARGET NAME TEXT: one seed file with exactly TEXT (no newline added).
seed() {
  mkdir -p "$CORPUS/$1"
  printf '%s' "$3" >"$CORPUS/$1/seed-$2"
}
# seed_lines TARGET PREFIX: one seed per line of standard input.
seed_lines() {
  local line
  mkdir -p "$CORPUS/$1"
  while IFS= read -r line; do
    printf '%s%s' "$2" "$line" >"$CORPUS/$1/seed-$(printf '%s%s' "$2" "$line" | cksum | cut -d' ' -f1)"
  done
}
yaml_files() {
  find "$ROOT/experiments" "$ROOT/tests/data/experiments" -name '*.yaml' -type f | sort
}

# Experiments: every experiment file of the repository, good and bad.
mkdir -p "$CORPUS/fuzz_experiment"
while IFS= read -r f; do
  rel=${f#"$ROOT"/}
  cp "$f" "$CORPUS/fuzz_experiment/seed-${rel//\//_}"
done < <(yaml_files)

# Overrides: one `--set` per line, applied to a fixed experiment.
seed fuzz_override rate 'load.rate=200/s'
seed fuzz_override window 'slo.window=2s'
seed fuzz_override expect 'expect=breach'
seed fuzz_override retries 'stack.services.lb.retries=3'
seed fuzz_override flow $'load.duration=5s\nslo.objectives=[{name: e, expr: "p(99) < 1s"}]'
seed fuzz_override list 'stack.services.lb.upstreams.0=web3'
seed fuzz_override map 'method={at: 1s, fault: loss, target: web1}'
seed fuzz_override nested $'title=x\nstack.services.web3={kind: app}\nstack.services.lb.upstreams=[web1, web2, web3]'
seed fuzz_override abort 'slo.abort_when=error_rate > 10% for 2s'
seed fuzz_override empty 'slo='

# SLO grammar: objectives and abort conditions from the experiments (quoted
# `expr:` values and `abort_when` items) and from the grammar's tests.
{
  { yaml_files | xargs grep -h 'expr:' || true; } |
    sed -E 's/.*expr:[[:space:]]*//; s/^"(.*)"[[:space:]]*$/\1/'
  { yaml_files | xargs grep -h -A4 'abort_when' || true; } | { grep -o '"[^"]*"' || true; } | tr -d '"'
  grep -oh '"[^"]*"' "$ROOT/tests/verify/objective_test.cpp" "$ROOT/tests/runner/abort_rule_test.cpp" \
    "$ROOT/tests/runner/validate_abort_test.cpp" |
    tr -d '"' | grep -E '^(error_rate|p\(|avg|max|rate\(|share\(|throughput|goodput|offered_rate|max_backend_share)' || true
  printf '%s\n' 'error_rate < 0.5%' 'error_rate<=0.005' 'p(99.9) < 1.5s' 'p(50) >= 100us' 'avg < 50ms' \
    'max < 2s' 'rate(5xx) < 1%' 'rate(503) <= 0.1%' 'rate(timeout) < 1%' 'share(web1) < 40%' \
    'max_backend_share < 60%' 'throughput > 500/s' 'goodput > 400/s' 'offered_rate >= 100/s' 'throughput >= 30000/m' 'p(95)<500' \
    'error_rate > 50% for 5s' 'p(99) > 2s for 1m' 'rate(reset) > 5% for 250ms'
} | sort -u | seed_lines fuzz_objective ''

# Units: first byte picks the parser (0 duration, 1 rate, 2 percent, 3 all).
{
  { grep -oh 'parse_duration("[^"]*")' "$ROOT/tests/common/units_test.cpp" || true; } | sed -E 's/.*\("(.*)"\)/\1/'
  printf '%s\n' 250ms 1.5s 2m 100us 0s 7ns 1h 0.000001ms 9223372036ns 18446744073709551615ns
} | sort -u | seed_lines fuzz_units $'\x00'
{
  { grep -oh 'parse_rate("[^"]*")' "$ROOT/tests/common/units_test.cpp" || true; } | sed -E 's/.*\("(.*)"\)/\1/'
  printf '%s\n' 600/s 1.5k/s 30/m 100/h 0/s
} | sort -u | seed_lines fuzz_units $'\x01'
{
  { grep -oh 'parse_percent("[^"]*")' "$ROOT/tests/common/units_test.cpp" || true; } | sed -E 's/.*\("(.*)"\)/\1/'
  printf '%s\n' 0.5% 60% 100% 0% 0.0001%
} | sort -u | seed_lines fuzz_units $'\x02'

# Journals: the tests' journals.
mkdir -p "$CORPUS/fuzz_journal"
for f in "$ROOT"/tests/data/journals/*.json; do
  cp "$f" "$CORPUS/fuzz_journal/seed-$(basename "$f")"
done
seed fuzz_journal minimal '{"schema":"faultline.journal/1"}'
seed fuzz_journal empty '{}'

# --- fuzz --------------------------------------------------------------------
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=1:symbolize=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-halt_on_error=1:print_stacktrace=1}

run_target() {
  local t=$1 dict=() exe="$BUILD_DIR/tests/fuzz/$1"
  [ -f "$ROOT/tests/fuzz/dicts/$t.dict" ] && dict=(-dict="$ROOT/tests/fuzz/dicts/$t.dict")
  mkdir -p "$ARTIFACTS/$t" "$CORPUS/$t"
  # The outer timeout only guards against a fuzzer that never stops.
  timeout --signal=INT $((SECONDS_PER_TARGET + 120)) \
    "$exe" "$CORPUS/$t" "${dict[@]}" -max_total_time="$SECONDS_PER_TARGET" -timeout=10 \
    -rss_limit_mb=2048 -print_final_stats=1 -artifact_prefix="$ARTIFACTS/$t/" \
    >"$LOGS/$t.log" 2>&1 && echo 0 >"$LOGS/$t.rc" || echo $? >"$LOGS/$t.rc"
}

echo "== fuzzing: $SECONDS_PER_TARGET s per target, $JOBS at a time (logs: $LOGS)"
for t in $TARGETS; do
  rm -f "$LOGS/$t.rc"
  while [ "$(jobs -rp | wc -l)" -ge "$JOBS" ]; do
    wait -n || true
  done
  run_target "$t" &
done
wait

# --- report ------------------------------------------------------------------
failed=0
printf '\n%-16s %8s %14s %10s %8s  %s\n' target seconds executions exec/s corpus result
for t in $TARGETS; do
  log=$LOGS/$t.log
  execs=$(grep -o 'stat::number_of_executed_units: *[0-9]*' "$log" 2>/dev/null | tail -1 | awk '{print $2}' || true)
  seconds=$(grep -o 'Done [0-9]* runs in [0-9]* second' "$log" 2>/dev/null | tail -1 | awk '{print $5}' || true)
  speed=
  if [ -n "$execs" ] && [ -n "$seconds" ] && [ "$seconds" -gt 0 ]; then speed=$((execs / seconds)); fi
  corpus=$(find "$CORPUS/$t" -type f | wc -l)
  findings=$(find "$ARTIFACTS/$t" -type f \( -name 'crash-*' -o -name 'leak-*' -o -name 'timeout-*' \
    -o -name 'oom-*' \) -newer "$CONFIGURE_LOG" | sort)
  rc=$(cat "$LOGS/$t.rc" 2>/dev/null || echo '?')
  result=ok
  if [ -n "$findings" ] || [ "$rc" != 0 ]; then
    result="FAILED (exit $rc)"
    failed=1
  fi
  printf '%-16s %8s %14s %10s %8s  %s\n' "$t" "${seconds:-?}" "${execs:-?}" "${speed:-?}" "$corpus" "$result"
  if [ "$result" != ok ]; then
    for f in $findings; do
      echo "    reproducer: $f"
      echo "    replay:     $BUILD_DIR/tests/fuzz/$t $f"
    done
    echo "    log:        $log"
    grep -m3 -E 'ERROR: (AddressSanitizer|libFuzzer|LeakSanitizer)|runtime error:|==[0-9]+==' "$log" |
      sed 's/^/    /' || true
  fi
done
exit $failed
