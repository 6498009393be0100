#!/usr/bin/env bash
# Snapshots what dockerd (or anything else) could change on the host and
# leave behind: the firewall, the forwarding and bridge-netfilter sysctls,
# the links and routes of the host's network namespace, Docker's mounts and
# Docker's processes. `save` writes it to a file before the tests, `compare`
# takes it again afterwards and prints the difference.
set -euo pipefail

prog=host-state.sh

usage() {
  cat <<'EOF'
Usage: scripts/host-state.sh save FILE      write a snapshot of the host to FILE
       scripts/host-state.sh compare FILE   take it again; print a diff and exit 1 if it differs
       scripts/host-state.sh show           print a snapshot to stdout
Options (before the command):
  --strict    also compare faultline's own transient objects, which are left
              out by default because another run may be live on the machine:
              links and routes matching $FAULTLINE_HOST_STATE_IGNORE (default
              '^(flbr|flv)-', a run's bridge and veths), iptables/nft rules
              naming those links, and rules whose comment starts with
              "faultline:" (a run's bridge rule).
  -h, --help  this text
What it records: iptables-save, ip6tables-save, nft list ruleset (counters
and timestamps left out), net.ipv4.ip_forward, the all/default forwarding
sysctls, net.bridge.bridge-nf-call-*, `ip -br link`, the IPv4 and IPv6 main
routing tables, mounts under /var/lib/docker and /run/docker, and how many
dockerd, containerd, containerd-shim*, docker-init and docker-proxy
processes run. Needs root (the firewall is only readable with CAP_NET_ADMIN).
Exit status: 0 same (or saved), 1 differs, 2 usage or error.
EOF
}

die() {
  echo "$prog: $*" >&2
  exit 2
}

strict=0
while [[ $# -gt 0 ]]; do
  case "$1" in
    -h | --help)
      usage
      exit 0
      ;;
    --strict)
      strict=1
      shift
      ;;
    -*) die "unknown option '$1' (see --help)" ;;
    *) break ;;
  esac
done
[[ $# -ge 1 ]] || {
  usage >&2
  exit 2
}
cmd="$1"
shift
ignore_links="${FAULTLINE_HOST_STATE_IGNORE-^(flbr|flv)-}"
# An empty pattern would match every name: in strict mode nothing is ignored.
[[ $strict == 1 ]] && ignore_links=''

section() { printf '== %s\n' "$1"; }

# Runs a firewall dump tool; a missing tool is recorded as such (the same on
# both sides of a comparison), a failing one stops the snapshot, since an
# empty section would hide exactly the change this check is for.
dump() {
  local tool="$1"
  shift
  if ! command -v "$tool" >/dev/null 2>&1; then
    echo "($tool not installed)"
    return 0
  fi
  local out
  if ! out="$("$tool" "$@" 2>&1)"; then
    die "'$tool $*' failed: $out"
  fi
  printf '%s\n' "$out"
}

# iptables-save: its "# Generated/Completed" lines carry the time, and the
# chain lines carry packet counters; neither is a change of the host.
normalise_iptables() {
  sed -E -e '/^#/d' -e 's/\[[0-9]+:[0-9]+\]/[-:-]/g' | drop_faultline_rules
}

# nft: rule counters and the expiry of set elements move on their own.
normalise_nft() {
  sed -E -e 's/counter packets [0-9]+ bytes [0-9]+/counter/g' -e 's/ expires [0-9a-z.]+//g' | drop_faultline_rules
}

# A run's bridge rule: iptables-save shows its "faultline:" comment, while
# nft may print the same rule without it, so a rule naming one of the
# ignored links (iifname "flbr-…", -i flbr-…) is left out too.
drop_faultline_rules() {
  if [[ $strict == 1 ]]; then
    cat
    return 0
  fi
  awk -v pat="$ignore_links" '
    /comment "?faultline:/ { next }
    {
      for (i = 1; i <= NF; i++) {
        word = $i
        gsub(/"/, "", word)
        if (pat != "" && word ~ pat) next
      }
      print
    }'
}

# Drops lines whose link (field $1 of `ip -br link`, without its @peer) or
# whose route device (the word after "dev") matches the ignore pattern.
drop_ignored_links() {
  if [[ -z $ignore_links ]]; then
    cat
    return 0
  fi
  awk -v pat="$ignore_links" -v mode="$1" '
    {
      name = ""
      if (mode == "link") { name = $1; sub(/@.*/, "", name) }
      else { for (i = 1; i < NF; i++) if ($i == "dev") { name = $(i + 1); break } }
      if (name != "" && name ~ pat) next
      print
    }'
}

sysctls() {
  local key file
  for key in net.ipv4.ip_forward net.ipv4.conf.all.forwarding net.ipv4.conf.default.forwarding \
    net.ipv6.conf.all.forwarding net.ipv6.conf.default.forwarding \
    net.bridge.bridge-nf-call-iptables net.bridge.bridge-nf-call-ip6tables \
    net.bridge.bridge-nf-call-arptables; do
    file="/proc/sys/${key//.//}"
    if [[ -r $file ]]; then
      echo "$key = $(<"$file")"
    else
      echo "$key absent"
    fi
  done
}

docker_mounts() {
  # A stopped dockerd leaves no overlay or netns mount behind; one that
  # stays is a container that was not cleaned up.
  findmnt -rn -o TARGET,FSTYPE | awk '$1 ~ "^(/var/lib/docker|/run/docker|/var/run/docker)(/|$)"' | sort
}

docker_processes() {
  local name n
  # Names as the kernel keeps them (15 characters): containerd-shim-runc-v2
  # shows as containerd-shim.
  for name in dockerd containerd containerd-shim docker-init docker-proxy; do
    n=$(pgrep -c -x "$name" || true)
    echo "$name: ${n:-0}"
  done
}

# The first line names the mode, so that `compare` takes the snapshot again
# the way the file was saved.
header() { echo "# faultline host-state strict=$strict ignore=$ignore_links"; }

snapshot() {
  header
  section "iptables-save"
  dump iptables-save | normalise_iptables
  section "ip6tables-save"
  dump ip6tables-save | normalise_iptables
  section "nft list ruleset"
  dump nft list ruleset | normalise_nft
  section "sysctl"
  sysctls
  section "ip -br link"
  ip -br link | sed -E 's/[[:space:]]+$//' | drop_ignored_links link | sort
  section "ip route"
  ip -4 route show | sed -E "s/[[:space:]]+$//" | drop_ignored_links route
  section "ip -6 route"
  # Routes learnt from router advertisements count down their lifetime.
  ip -6 route show | sed -E -e "s/ expires [0-9]+sec//" -e "s/[[:space:]]+$//" | drop_ignored_links route
  section "docker mounts"
  docker_mounts
  section "docker processes"
  docker_processes
}

need_root() {
  [[ $(id -u) -eq 0 ]] || die "run as root: iptables-save and nft can only read the firewall with CAP_NET_ADMIN"
}

case "$cmd" in
  save)
    [[ $# -eq 1 ]] || die "save needs one FILE (see --help)"
    need_root
    tmp="$(mktemp "$1.XXXXXX")"
    trap 'rm -f "$tmp"' EXIT
    snapshot >"$tmp"
    mv "$tmp" "$1"
    trap - EXIT
    echo "$prog: host state saved to $1 ($(grep -c '' "$1") lines$([[ $strict == 1 ]] && echo ', strict'))"
    ;;
  compare)
    [[ $# -eq 1 ]] || die "compare needs one FILE (see --help)"
    [[ -r $1 ]] || die "cannot read '$1': save it first with 'host-state.sh save $1'"
    need_root
    saved_header="$(head -n 1 "$1")"
    [[ $saved_header =~ ^"# faultline host-state strict="([01])" ignore="(.*)$ ]] ||
      die "'$1' is not a snapshot written by host-state.sh save"
    strict="${BASH_REMATCH[1]}"
    ignore_links="${BASH_REMATCH[2]}"
    now="$(mktemp)"
    trap 'rm -f "$now"' EXIT
    snapshot >"$now"
    if diff -u --label "saved ($1)" --label "now" "$1" "$now"; then
      echo "$prog: the host is as saved in $1"
    else
      echo "$prog: the host differs from $1 (diff above: - saved, + now)" >&2
      exit 1
    fi
    ;;
  show)
    [[ $# -eq 0 ]] || die "show takes no argument"
    need_root
    snapshot
    ;;
  *) die "unknown command '$cmd' (save, compare or show; see --help)" ;;
esac
