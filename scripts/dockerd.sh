#!/usr/bin/env bash
# Starts a dockerd for faultline's container tests when none answers on
# /var/run/docker.sock, and stops only the one it started.
#
# The daemon it starts changes nothing on the host: no iptables or
# ip6tables rules (dockerd's default would add its chains and set the
# FORWARD policy to DROP, which also drops the bridged traffic of
# faultline's network-namespace runs), no ip_forward=1, no docker0 bridge.
# Containers on a user-defined network still reach each other, and the host
# reaches them at their bridge addresses, which is all the tests need.
set -euo pipefail

prog=dockerd.sh
sock=/var/run/docker.sock
# dockerd's own default pid file; it is written before the API answers.
pidfile=/var/run/docker.pid
state_dir="${FAULTLINE_STATE_DIR:-/run/faultline}"
state="$state_dir/dockerd.state"
log="${FAULTLINE_DOCKERD_LOG:-$state_dir/dockerd.log}"
start_timeout="${FAULTLINE_DOCKERD_TIMEOUT:-30}"
stop_timeout="${FAULTLINE_DOCKERD_STOP_TIMEOUT:-40}"
storage="${FAULTLINE_DOCKERD_STORAGE_DRIVER:-overlay2}"

usage() {
  cat <<EOF
Usage: scripts/dockerd.sh start|stop|status

  start   start dockerd unless one already answers on $sock; wait until
          its API answers /_ping (at most \$FAULTLINE_DOCKERD_TIMEOUT s,
          default 30) and record in $state that this script started it
  stop    stop the dockerd this script started (SIGTERM, then wait at most
          \$FAULTLINE_DOCKERD_STOP_TIMEOUT s, default 40); a dockerd the
          machine was already running is left alone
  status  say whether dockerd runs and whether this script started it
          (exit 0 running, 1 a dockerd that does not answer, 3 not running)

The dockerd started here runs with
  --storage-driver=$storage --iptables=false --ip6tables=false
  --ip-forward=false --bridge=none
so it adds no firewall rule, leaves net.ipv4.ip_forward alone and makes no
docker0 bridge. Its output goes to $log.
Environment: DOCKERD (the dockerd binary; default from PATH, /usr/sbin),
FAULTLINE_DOCKERD_STORAGE_DRIVER (overlay2),
FAULTLINE_DOCKERD_ARGS (more dockerd flags, split on spaces),
FAULTLINE_DOCKERD_LOG, FAULTLINE_STATE_DIR (/run/faultline).
EOF
}

say() { echo "$prog: $*"; }
die() {
  echo "$prog: $*" >&2
  exit "${2:-1}"
}

# "OK" when a daemon answers on the socket.
ping_ok() {
  [[ -S $sock ]] && [[ "$(curl -s --max-time 2 --unix-socket "$sock" http://localhost/_ping 2>/dev/null)" == OK ]]
}

# The start time of a process in clock ticks since boot (field 22 of
# /proc/<pid>/stat), which tells a process from a later one given the same
# pid. The fields are counted after the ")" that ends the command name,
# since the name itself may hold spaces.
start_ticks() {
  local stat
  stat="$(cat "/proc/$1/stat" 2>/dev/null)" || return 1
  stat="${stat##*) }"
  # After the name, field 3 (state) comes first: field 22 is the 20th.
  awk '{print $20}' <<<"$stat"
}

# The pid of a running dockerd: from its pid file when that names one, else
# the first process called dockerd.
running_pid() {
  local pid=''
  [[ -r $pidfile ]] && pid="$(<"$pidfile")"
  if [[ -n $pid && "$(cat "/proc/$pid/comm" 2>/dev/null)" == dockerd ]]; then
    echo "$pid"
    return 0
  fi
  pgrep -x dockerd | head -n 1
}

cmdline_of() { tr '\0' ' ' <"/proc/$1/cmdline" 2>/dev/null | sed 's/ $//'; }

# Reads the state file into ours_pid and ours_start; succeeds only when that
# process still runs (same pid, same start time).
ours_alive() {
  ours_pid=''
  ours_start=''
  ours_since=''
  [[ -r $state ]] || return 1
  local key value
  while IFS='=' read -r key value; do
    case "$key" in
      pid) ours_pid="$value" ;;
      start_ticks) ours_start="$value" ;;
      started_at) ours_since="$value" ;;
    esac
  done <"$state"
  [[ -n $ours_pid && -n $ours_start ]] || return 1
  [[ "$(start_ticks "$ours_pid" 2>/dev/null || true)" == "$ours_start" ]]
}

need_root() {
  [[ $(id -u) -eq 0 ]] || die "run as root: dockerd needs root to start and to stop" 2
}

find_dockerd() {
  if [[ -n ${DOCKERD:-} ]]; then
    [[ -x $DOCKERD ]] && echo "$DOCKERD"
    return
  fi
  local d
  for d in "$(command -v dockerd 2>/dev/null || true)" /usr/sbin/dockerd /usr/bin/dockerd; do
    if [[ -n $d && -x $d ]]; then
      echo "$d"
      return 0
    fi
  done
  return 1
}

# A foreign daemon that manages iptables adds DOCKER-USER and sets FORWARD
# to DROP; faultline copes (it adds one ACCEPT rule for its own bridge), but
# the host is then not what a firewall snapshot taken before dockerd shows.
note_foreign_firewall() {
  local cmd="$1"
  if [[ $cmd != *--iptables=false* ]] && ! grep -qs '"iptables"[[:space:]]*:[[:space:]]*false' /etc/docker/daemon.json; then
    say "note: that dockerd manages iptables (its default): its chains and FORWARD policy are the machine's, not faultline's"
  fi
}

elapsed_since() { awk -v a="$1" -v b="$EPOCHREALTIME" 'BEGIN { printf "%.2f", b - a }'; }

log_tail() {
  if [[ -r $log ]]; then
    echo "--- last lines of $log:" >&2
    tail -n 15 "$log" >&2
  fi
}

cmd_start() {
  if ping_ok; then
    if ours_alive; then
      say "dockerd already running, started by this script at $ours_since (pid $ours_pid)"
    else
      local pid
      pid="$(running_pid || true)"
      say "dockerd already answers on $sock (pid ${pid:-unknown}), not started by this script: using it as it is; 'stop' will leave it alone"
      [[ -n $pid ]] && note_foreign_firewall "$(cmdline_of "$pid")"
    fi
    return 0
  fi

  local dockerd
  dockerd="$(find_dockerd)" ||
    die "dockerd not found: install Debian's docker.io package (apt-get install docker.io; scripts/setup.sh --containers installs it)"
  command -v curl >/dev/null 2>&1 || die "curl not found: it asks dockerd's API whether it answers (apt-get install curl)"
  need_root

  # A daemon that is still starting (or hangs) must not get a twin: both
  # would claim /var/lib/docker.
  local other
  other="$(pgrep -x dockerd | head -n 1 || true)"
  if [[ -n $other ]]; then
    say "a dockerd (pid $other) runs but does not answer on $sock yet; waiting up to $start_timeout s"
    if wait_for_ping "$other"; then
      say "dockerd (pid $other) answers now; it was not started by this script"
      return 0
    fi
    die "dockerd (pid $other: $(cmdline_of "$other")) runs but does not answer on $sock; not starting a second one"
  fi
  if [[ -e $state ]]; then
    ours_alive || true
    say "removing $state: the dockerd it names (pid ${ours_pid:-?}) is gone"
    rm -f "$state"
  fi

  mkdir -p "$state_dir" "$(dirname "$log")"
  local -a flags=(--storage-driver="$storage" --iptables=false --ip6tables=false --ip-forward=false --bridge=none)
  if [[ -n ${FAULTLINE_DOCKERD_ARGS:-} ]]; then
    local -a extra
    read -r -a extra <<<"$FAULTLINE_DOCKERD_ARGS"
    flags+=("${extra[@]}")
  fi
  echo "=== $(date -u +%FT%TZ) $prog start: $dockerd ${flags[*]}" >>"$log"
  local t0="$EPOCHREALTIME"
  # setsid: its own session, so that a Ctrl-C meant for the test command or
  # the end of the terminal does not reach it; `stop` ends it.
  setsid "$dockerd" "${flags[@]}" </dev/null >>"$log" 2>&1 &
  local launched=$!
  if ! wait_for_ping "$launched"; then
    log_tail
    if [[ "$(cat "/proc/$launched/comm" 2>/dev/null)" == dockerd ]]; then
      # Recorded, so that `stop` can end it.
      write_state "$launched" "$dockerd ${flags[*]}"
      die "dockerd (pid $launched) started but did not answer on $sock within $start_timeout s; it still runs: see $log, and end it with '$prog stop'"
    fi
    die "dockerd exited before it answered on $sock (see $log above)"
  fi

  # setsid runs dockerd in its own process when this script is no process
  # group leader, as here; otherwise it forks, and dockerd's pid file names it.
  local pid="$launched"
  [[ "$(cat "/proc/$pid/comm" 2>/dev/null)" == dockerd ]] || pid="$(running_pid || true)"
  [[ -n $pid ]] || die "dockerd answers on $sock but its pid could not be found (no $pidfile)"
  write_state "$pid" "$dockerd ${flags[*]}"
  say "dockerd started (pid $pid), answered /_ping after $(elapsed_since "$t0") s; flags: ${flags[*]}; log $log"
}

write_state() { # pid command
  local tmp="$state.tmp.$$"
  {
    echo "pid=$1"
    echo "start_ticks=$(start_ticks "$1")"
    echo "started_at=$(date -u +%FT%TZ)"
    echo "socket=$sock"
    echo "log=$log"
    echo "command=$2"
  } >"$tmp"
  mv "$tmp" "$state"
}

# Polls /_ping every 0.1 s for at most start_timeout seconds; gives up at
# once when the given process (and every other dockerd) has exited.
wait_for_ping() {
  local watched="$1"
  local deadline=$((SECONDS + start_timeout))
  while ((SECONDS < deadline)); do
    ping_ok && return 0
    if ! kill -0 "$watched" 2>/dev/null && ! pgrep -x dockerd >/dev/null; then
      return 1
    fi
    sleep 0.1
  done
  ping_ok
}

cmd_stop() {
  if ! ours_alive; then
    if [[ -e $state ]]; then
      say "the dockerd this script started (pid ${ours_pid:-?}) is gone already; removing $state"
      rm -f "$state"
    fi
    if ping_ok; then
      say "dockerd (pid $(running_pid || echo unknown)) was not started by this script: leaving it running"
    else
      say "dockerd is not running: nothing to stop"
    fi
    return 0
  fi
  need_root
  local t0="$EPOCHREALTIME"
  # It may have exited on its own since ours_alive looked.
  kill -TERM "$ours_pid" 2>/dev/null || true
  local deadline=$((SECONDS + stop_timeout))
  while [[ "$(start_ticks "$ours_pid" 2>/dev/null || true)" == "$ours_start" ]]; do
    if ((SECONDS >= deadline)); then
      log_tail
      die "dockerd (pid $ours_pid) still runs $stop_timeout s after SIGTERM; $state kept (see $log)"
    fi
    sleep 0.1
  done
  # The containerd dockerd started for itself (its config lives under
  # /var/run/docker) goes down with it; wait for that too, so that the
  # caller's next step sees a machine without either.
  while pgrep -f -- '--config /var/run/docker/containerd/containerd.toml' >/dev/null; do
    if ((SECONDS >= deadline)); then
      die "dockerd stopped, but its containerd still runs $stop_timeout s later"
    fi
    sleep 0.1
  done
  rm -f "$state"
  echo "=== $(date -u +%FT%TZ) $prog stop: pid $ours_pid" >>"$log"
  say "dockerd (pid $ours_pid) stopped in $(elapsed_since "$t0") s"
}

cmd_status() {
  if ping_ok; then
    if ours_alive; then
      say "running, started by this script at $ours_since (pid $ours_pid); 'stop' will stop it; log $log"
    else
      local pid
      pid="$(running_pid || true)"
      say "running, not started by this script (pid ${pid:-unknown}${pid:+: $(cmdline_of "$pid")}); 'stop' leaves it alone"
    fi
    return 0
  fi
  local other
  other="$(pgrep -x dockerd | head -n 1 || true)"
  if [[ -n $other ]]; then
    say "a dockerd runs (pid $other) but does not answer on $sock"
    return 1
  fi
  if [[ -e $state ]]; then
    say "not running ($state names a dockerd that is gone; 'start' or 'stop' removes it)"
  else
    say "not running"
  fi
  return 3
}

[[ $# -eq 1 ]] || {
  usage >&2
  exit 2
}
case "$1" in
  -h | --help) usage ;;
  start) cmd_start ;;
  stop) cmd_stop ;;
  status) cmd_status ;;
  *) die "unknown command '$1' (start, stop or status; see --help)" 2 ;;
esac
