#!/usr/bin/env bash
# Runs the integration tests of the network and process fault families in a
# user-mode Linux guest (Debian's user-mode-linux package, kernel 6.1): a
# stock kernel's paths, netem and cgroup v2 as the only hierarchy, which the
# host's kernel may not have. The guest sees the host's file system read-only
# and the built tree in it; faultline's own probes pick netem and cgroup v2
# there exactly as on a user's machine.
#
# usage: [BUILD_DIR=build] scripts/uml-test.sh [--timeout SECONDS] [--mem SIZE] [--dir DIR] [-- COMMAND...]
#
#   COMMAND      what to run in the guest, as root, from the build folder;
#                default: ctest -L integration-kernel (the tests tagged [net]
#                or [process], tests/CMakeLists.txt)
#   --timeout    the whole guest, boot to power-off (default 1500 s); a hung
#                guest is killed with everything it started
#   --mem        the guest's memory (default 2G)
#   --dir        where the guest's files go on the host (default <build>/uml;
#                emptied first)
#
# The command's output comes back on standard output, its exit status as this
# script's. Everything the guest writes on the host is under <build>/uml
# (or --dir): console.log, status, and test-output/ (the failing tests'
# reports).
# Needs no root on the host: UML is an ordinary process.
set -euo pipefail
cd "$(dirname "$0")/.."
repo=$(pwd)
BUILD_DIR=${BUILD_DIR:-build}
if [ ! -d "$BUILD_DIR" ]; then
  echo "uml-test: no build folder '$BUILD_DIR': build first (bash scripts/build.sh), or set BUILD_DIR" >&2
  exit 2
fi
build=$(cd "$BUILD_DIR" && pwd)

timeout=1500
mem=2G
dir=$build/uml
while [ $# -gt 0 ]; do
  case "$1" in
    --timeout) timeout=$2; shift 2 ;;
    --mem) mem=$2; shift 2 ;;
    --dir) dir=$(mkdir -p "$2" && cd "$2" && pwd); shift 2 ;;
    -h | --help) sed -n '2,/^set -euo/p' "$0" | sed '$d' | sed 's/^# \{0,1\}//'; exit 0 ;;
    --) shift; break ;;
    *) break ;;
  esac
done
if [ $# -eq 0 ]; then
  set -- ctest --output-on-failure --timeout 300 -L integration-kernel
fi

# Without what the guest needs this exits 77, which its CTest entry shows as
# skipped (SKIP_RETURN_CODE: the guest's own output carries the tests' skip
# markers, so a marker cannot be the signal here); under CI the missing
# piece is a failure instead.
cannot_run() {
  echo "uml-test: $1" >&2
  if [ "${CI:-}" = true ] || [ "${CI:-}" = 1 ]; then
    exit 1
  fi
  exit 77
}
kernel=$(command -v linux || true)
[ -n "$kernel" ] || cannot_run "no user-mode Linux kernel: apt-get install user-mode-linux (scripts/setup.sh installs it)"
[ -d /usr/lib/uml/modules ] || cannot_run "no /usr/lib/uml/modules: reinstall user-mode-linux"
launch=$build/tests/uml/faultline-uml-launch
[ -x "$launch" ] || cannot_run "$launch is not built: build with FAULTLINE_BUILD_INTEGRATION_TESTS=ON (scripts/build.sh)"

rm -rf "$dir"
mkdir -p "$dir/test-output" "$dir/run" "$build/test-output" "$build/Testing"
# The command, run by scripts/uml-guest-init.sh. CTest's own records go to a
# tmpfs in the guest, so that a CTest on the host (which may be running this
# script) keeps its own; the tests' reports to <build>/uml/test-output.
{
  printf 'mount -t tmpfs ctest %q || exit 125\n' "$build/Testing"
  printf 'mount --bind %q %q || exit 125\n' "$dir/test-output" "$build/test-output"
  printf 'cd %q || exit 125\n' "$build"
  printf '%q ' "$@"
  echo
} >"$dir/command"
: >"$dir/env"
for var in CI FAULTLINE_TEST_VERBOSE; do
  if [ -n "${!var:-}" ]; then
    printf 'export %s=%q\n' "$var" "${!var}" >>"$dir/env"
  fi
done

# UML keeps the guest's memory in an unlinked file in $TMPDIR, else in
# /dev/shm when that is a tmpfs: where /dev/shm is smaller than the guest's
# memory (containers give it 64 MiB), the file goes under <build>/uml.
case "$mem" in
  *G) mem_kib=$((${mem%G} * 1024 * 1024)) ;;
  *M) mem_kib=$((${mem%M} * 1024)) ;;
  *) mem_kib=0 ;;
esac
shm_kib=$(df --output=avail -k /dev/shm 2>/dev/null | tail -1 | tr -d ' ' || echo 0)
if [ -z "${TMPDIR:-}" ] && [ "${shm_kib:-0}" -lt "$mem_kib" ]; then
  export TMPDIR=$dir
fi

uml=
watchdog=
stop_guest() {
  # UML runs as many host processes (one per guest address space), all in
  # the session setsid made: kill the session's process group.
  [ -n "$watchdog" ] && kill "$watchdog" 2>/dev/null || true
  [ -n "$uml" ] && kill -KILL -- "-$uml" 2>/dev/null || true
  rm -rf "$dir/run"
}
trap stop_guest EXIT
trap 'exit 130' INT TERM

echo "== uml-test: booting $($kernel --version 2>/dev/null | head -1 || echo "$kernel") with $mem, for at most ${timeout}s"
start=$(date +%s)
# umid and uml_dir keep UML's control socket and pid file under <build>/uml
# instead of ~/.uml. The kernel hands FAULTLINE_UML_DIR to init as an
# environment variable. `quiet`: the console carries the command's output.
setsid "$launch" "$kernel" mem="$mem" root=/dev/root rootfstype=hostfs rootflags=/ ro \
  init="$repo/scripts/uml-guest-init.sh" FAULTLINE_UML_DIR="$dir" FAULTLINE_UML_REPO="$repo" FAULTLINE_UML_BUILD="$build" \
  umid="faultline-$$" uml_dir="$dir/run" con=null con0=fd:0,fd:1 quiet \
  </dev/null > >(tee "$dir/console.log") 2>&1 &
uml=$!
(
  # Killed when the guest ends in time: take the sleep along, which would
  # otherwise hold this script's output open for the rest of the timeout.
  trap 'kill "$nap" 2>/dev/null; exit 0' TERM
  sleep "$timeout" &
  nap=$!
  wait "$nap"
  echo "uml-test: the guest did not power off within ${timeout}s; killing it" >&2
  kill -KILL -- "-$uml" 2>/dev/null
) &
watchdog=$!
wait "$uml" || true
kill "$watchdog" 2>/dev/null || true
watchdog=
kill -KILL -- "-$uml" 2>/dev/null || true
uml=
elapsed=$(($(date +%s) - start))

if [ ! -f "$dir/status" ]; then
  echo "uml-test: the guest stopped after ${elapsed}s without the command's exit status (kernel panic, or killed by the timeout); console: $dir/console.log" >&2
  exit 1
fi
status=$(cat "$dir/status")
echo "== uml-test: guest done in ${elapsed}s, command exit status $status"
exit "$status"
