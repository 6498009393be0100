#!/usr/bin/env bash
# A guest whose command never ends is killed by scripts/uml-test.sh's
# timeout: the script fails, says so, and no process of the guest is left on
# the host. Run by CTest (label uml) with BUILD_DIR set.
set -uo pipefail
repo=$(cd "$(dirname "$0")/../.." && pwd)
build=${BUILD_DIR:?BUILD_DIR not set}
dir=$build/uml-hung
start=$(date +%s)
output=$(bash "$repo/scripts/uml-test.sh" --timeout 20 --dir "$dir" -- sleep 600 2>&1)
code=$?
took=$(($(date +%s) - start))
echo "$output" | tail -5
fail() {
  echo "FAILED: $1" >&2
  exit 1
}
[ "$code" = 77 ] && exit 77 # no UML here: uml-test said why
[ "$code" -ne 0 ] || fail "uml-test.sh exited 0 for a guest that never finished"
[ "$took" -lt 60 ] || fail "uml-test.sh took ${took}s with --timeout 20"
echo "$output" | grep -q "did not power off within 20s" || fail "no word of the timeout"
echo "$output" | grep -q "without the command's exit status" || fail "no word of the missing status"
# Every UML process names its uml_dir on its command line.
left=$(pgrep -af -- "uml_dir=$dir/run" || true)
[ -z "$left" ] || fail "guest processes left on the host: $left"
[ ! -e "$dir/run" ] || fail "$dir/run left behind"
rm -rf "$dir"
echo "ok: killed after ${took}s, nothing left"
