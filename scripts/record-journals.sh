#!/usr/bin/env bash
# Records the journals the postmortem reporter's golden files are rendered
# from: one real run per outcome of tests/data/experiments/outcomes/*.yaml,
# checked against the outcome its file name promises, copied to
# tests/data/journals/outcomes/<name>.json. Those journals are what the
# runner wrote; they are regenerated with this script, never hand-edited.
set -euo pipefail
cd "$(dirname "$0")/.."

usage() {
  cat <<'EOF'
Usage: sudo [FAULTLINE=path] bash scripts/record-journals.sh [NAME...]

Runs each experiment of tests/data/experiments/outcomes/ (or only the NAMEs
given, e.g. `incident never_recovered`) with faultline, one at a time, into a
temporary folder; checks that the journal shows the outcome the file's name
promises (verdict.outcome, the exit code, and the extra facts in the table
of this script: recovery seen or not, no failed request, the reason a run
proves nothing); and only when every run checks out, copies the journals to
tests/data/journals/outcomes/<NAME>.json. A run that does not check out
fails the script (exit 1) and nothing is copied.

  FAULTLINE  the faultline binary to run (default: build/faultline)

Needs root (faultline run does: network namespaces). Takes about 80 s for
all eight (3 to 11 s of load each, plus bring-up and teardown; 77 s on a
2-core machine that was compiling at the same time).
EOF
}

case "${1:-}" in
  -h | --help)
    usage
    exit 0
    ;;
esac

if [ "$(id -u)" -ne 0 ]; then
  echo "record-journals.sh: run as root (faultline run needs root for its network namespaces); see --help" >&2
  exit 2
fi

FAULTLINE=${FAULTLINE:-build/faultline}
if [ ! -x "$FAULTLINE" ]; then
  echo "record-journals.sh: no faultline binary at '$FAULTLINE' (build it, or set FAULTLINE=path)" >&2
  exit 2
fi

EXPERIMENTS=tests/data/experiments/outcomes
JOURNALS=tests/data/journals/outcomes

# What each file's name promises. outcome: the journal's verdict.outcome;
# exit: what `faultline run` must exit with (the verdict's exit_code too);
# checks, beyond the outcome (comma-separated, '-' for none):
#   recovered       analysis.recovered_s is set: the drill's recovery was seen
#   not_recovered   no analysis.recovered_s although analysis.recovery.observable
#                   is true: the load went on long enough after the revert
#   no_failures     analysis.requests_failed is 0: the impact is latency alone
#   fault_failed    not_proven because a fault did not apply, not because the
#                   load was late (a busy machine could give that instead)
#   delivered       load.delivery.delivered: the generator kept its schedule
TABLE='
# name                outcome              exit  checks
incident              incident             0     recovered,delivered
regression_passed     passed               0     delivered
regression_failed     regression           1     delivered
not_proven            not_proven           3     fault_failed,delivered
aborted               aborted              5     delivered
steady_state_failed   steady_state_failed  4     delivered
never_recovered       incident             0     not_recovered,delivered
latency_nginx         incident             0     recovered,no_failures,delivered
'

declare -A OUTCOME EXIT CHECKS
ALL=()  # in the table's order
while read -r name outcome code checks; do
  [[ -z "$name" || "$name" == \#* ]] && continue
  ALL+=("$name")
  OUTCOME[$name]=$outcome
  EXIT[$name]=$code
  CHECKS[$name]=$checks
done <<<"$TABLE"

# The table and the folder must agree: an experiment nobody checks, or a
# row without its experiment, would go unnoticed otherwise.
for f in "$EXPERIMENTS"/*.yaml; do
  n=$(basename "$f" .yaml)
  if [ -z "${OUTCOME[$n]:-}" ]; then
    echo "record-journals.sh: $f has no row in this script's table; add what its name promises" >&2
    exit 2
  fi
done
for n in "${ALL[@]}"; do
  if [ ! -f "$EXPERIMENTS/$n.yaml" ]; then
    echo "record-journals.sh: the table names '$n' but $EXPERIMENTS/$n.yaml does not exist" >&2
    exit 2
  fi
done

if [ $# -gt 0 ]; then
  NAMES=("$@")
  for n in "${NAMES[@]}"; do
    if [ -z "${OUTCOME[$n]:-}" ]; then
      echo "record-journals.sh: unknown name '$n' (one of: ${ALL[*]})" >&2
      exit 2
    fi
  done
else
  NAMES=("${ALL[@]}")
fi

tmp=$(mktemp -d /tmp/faultline-record-journals.XXXXXX)
# Each run's reports, the stack's logs and our own logs live here and go
# with the script, whatever way it ends.
trap 'rm -rf "$tmp"' EXIT

# Checks one journal against the table's promise; prints one line per
# problem and exits 1 if there is any.
check_journal() {
  python3 - "$@" <<'PY'
import json, sys

name, journal_path, want_outcome, want_exit, got_exit, checks = sys.argv[1:7]
with open(journal_path) as f:
    j = json.load(f)
verdict = j.get("verdict") or {}
analysis = j.get("analysis") or {}
problems = []
if verdict.get("outcome") != want_outcome:
    problems.append(f"verdict.outcome is {verdict.get('outcome')!r}, not {want_outcome!r}"
                    f" (status {j.get('status')!r}: {j.get('error')})")
if int(got_exit) != int(want_exit):
    problems.append(f"faultline run exited {got_exit}, not {want_exit}")
if verdict.get("exit_code") != int(got_exit):
    problems.append(f"verdict.exit_code is {verdict.get('exit_code')}, but faultline run exited {got_exit}")
for check in ([] if checks == "-" else checks.split(",")):
    if check == "recovered":
        if analysis.get("recovered_s") is None:
            problems.append("analysis.recovered_s is null: the recovery this drill shows was not seen")
    elif check == "not_recovered":
        if analysis.get("recovered_s") is not None:
            problems.append(f"analysis.recovered_s is {analysis['recovered_s']}: the service came back")
        if not (analysis.get("recovery") or {}).get("observable"):
            problems.append("analysis.recovery.observable is not true: too little load after the revert")
    elif check == "no_failures":
        if analysis.get("requests_failed") != 0:
            problems.append(f"analysis.requests_failed is {analysis.get('requests_failed')}, not 0")
    elif check == "fault_failed":
        reasons = j.get("not_proven") or []
        if not any("did not apply" in r for r in reasons):
            problems.append(f"not_proven does not say a fault did not apply: {reasons}")
    elif check == "delivered":
        if not ((j.get("load") or {}).get("delivery") or {}).get("delivered"):
            problems.append(f"the load was not delivered: {j['load']['delivery'].get('problems')}")
    else:
        problems.append(f"unknown check {check!r} in the script's table")
for p in problems:
    print(f"  {name}: {p}")
a = analysis
print(f"  {name}: {verdict.get('outcome')}, exit {got_exit}; {a.get('requests_total')} requests,"
      f" {a.get('requests_failed')} failed; first breach {a.get('first_breach_s')},"
      f" recovered {a.get('recovered_s')}")
sys.exit(1 if problems else 0)
PY
}

start=$SECONDS
failed=()
for n in "${NAMES[@]}"; do
  echo "== $n: expecting ${OUTCOME[$n]} (exit ${EXIT[$n]})"
  t0=$SECONDS
  # One run at a time, in the foreground: Ctrl-C reaches faultline too,
  # which reverts its faults and removes its stack before it exits.
  set +e
  "$FAULTLINE" run "$EXPERIMENTS/$n.yaml" --out "$tmp/$n" --quiet >"$tmp/$n.log" 2>&1
  code=$?
  set -e
  if [ "$code" -ge 128 ]; then
    # Killed or interrupted: remove whatever a killed run left (cleanup
    # never touches a live run's resources), and stop here.
    cat "$tmp/$n.log" >&2
    "$FAULTLINE" cleanup || true
    echo "record-journals.sh: the run of $n was interrupted (exit $code); nothing was copied" >&2
    exit "$code"
  fi
  if [ ! -f "$tmp/$n/journal.json" ]; then
    cat "$tmp/$n.log" >&2
    echo "  $n: FAILED: faultline run exited $code and wrote no journal" >&2
    failed+=("$n")
    continue
  fi
  if check_journal "$n" "$tmp/$n/journal.json" "${OUTCOME[$n]}" "${EXIT[$n]}" "$code" "${CHECKS[$n]}"; then
    echo "  $n: ok ($((SECONDS - t0)) s)"
  else
    # The run's own summary says what it saw.
    cat "$tmp/$n.log" >&2
    echo "  $n: FAILED: the journal does not show what the name promises (see above)" >&2
    failed+=("$n")
  fi
done

if [ ${#failed[@]} -gt 0 ]; then
  echo "record-journals.sh: FAILED: ${failed[*]}; nothing was copied. Make the experiment more decisive" \
    "(a bigger fault, a clearer margin) rather than retrying." >&2
  exit 1
fi

# All or nothing: a half-regenerated set would mix journals of two binaries.
mkdir -p "$JOURNALS"
for n in "${NAMES[@]}"; do
  cp "$tmp/$n/journal.json" "$JOURNALS/$n.json"
done
echo "recorded ${#NAMES[@]} journal(s) into $JOURNALS/ in $((SECONDS - start)) s with $FAULTLINE"
