#!/bin/sh
# The init process of the user-mode Linux guest that scripts/uml-test.sh
# boots. The guest's root is the host's file system, read-only (hostfs);
# everything it writes goes to tmpfs, except what the host reads back, which
# goes to FAULTLINE_UML_DIR (<build>/uml). The kernel passes
# FAULTLINE_UML_DIR, FAULTLINE_UML_REPO and FAULTLINE_UML_BUILD in the
# environment; the command to run is in its
# `command` file, its exit status goes to `status`. Runs as PID 1: never exits,
# powers the guest off instead.
export PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin
export HOME=/tmp
dir=${FAULTLINE_UML_DIR:?FAULTLINE_UML_DIR not set on the kernel command line}

halt_guest() {
  # poweroff -f calls reboot(2) at once: UML's process exits and the host
  # script reads the status file.
  sync
  poweroff -f >/dev/null 2>&1
  echo "uml-guest-init: poweroff failed; halting" >&2
  echo o >/proc/sysrq-trigger
  while :; do sleep 60; done
}

step() {
  if ! "$@"; then
    echo "uml-guest-init: '$*' failed" >&2
    echo 125 >"$dir/status"
    halt_guest
  fi
}

step mount -t proc proc /proc
step mount -t sysfs sysfs /sys
step mount -t tmpfs -o mode=1777 tmp /tmp
step mount -t tmpfs -o mode=755 run /run
step mount -t tmpfs -o mode=1777 vartmp /var/tmp
# A checkout or build folder under one of those tmpfs (a CI clone in /tmp)
# is hidden by it: show it again, read-only, from the host. (This script
# keeps running: the shell holds it open.)
for path in "${FAULTLINE_UML_REPO:-}" "${FAULTLINE_UML_BUILD:-}"; do
  case "$path" in
    /tmp/* | /run/* | /var/tmp/*)
      mkdir -p "$path"
      step mount -r -t hostfs -o "$path" hostfs "$path"
      ;;
  esac
done
# Writable again, the build folder's view of what the host reads back.
step mount -t hostfs -o "$dir" hostfs "$dir"

# kmod reads module options from /proc/cmdline and, in Debian 12's version,
# turns any word with a dot in it (a path such as init=/x/y.sh) into an option
# for a module named after the text before the dot, and then refuses every
# module with EINVAL. The guest's modules take no options from it.
echo "faultline-uml" >/tmp/cmdline
step mount --bind /tmp/cmdline /proc/cmdline
# The package's modules, where modprobe and the kernel's own module loader
# (request_module) look for them: bound over /lib/modules when the host has
# that folder. A host without it (a kernel not from a package, as on some
# virtual machines) gets no new folder from the guest: modprobe is pointed
# at a root of its own on the guest's /run instead (modprobe -d), and the
# kernel's loader at a modprobe that says so.
if [ -d /lib/modules ]; then
  step mount --bind "/usr/lib/uml/modules" /lib/modules
  modprobe_cmd=modprobe
else
  step mkdir -p /run/uml-modroot/lib
  step ln -s /usr/lib/uml/modules /run/uml-modroot/lib/modules
  printf '#!/bin/sh\nexec /sbin/modprobe -d /run/uml-modroot "$@"\n' >/run/uml-modprobe
  step chmod 755 /run/uml-modprobe
  echo /run/uml-modprobe >/proc/sys/kernel/modprobe
  modprobe_cmd=/run/uml-modprobe
fi

# UML saves and restores its processes' registers in the FXSAVE format only
# (tests/uml/uml_launch.cpp): no program may keep state in AVX registers
# across a system call. glibc and OpenSSL pick AVX code at run time unless
# told not to; faultline and Debian's packages are built for baseline x86-64.
export GLIBC_TUNABLES=glibc.cpu.hwcaps=-AVX,-AVX2,-AVX512F,-AVX512VL,-AVX512BW,-AVX512DQ,-AVX512CD,-AVX_Fast_Unaligned_Load
# OpenSSL: word 1 bit 60 is AVX; word 2 bits 5 and 16 are AVX2 and AVX-512F.
export OPENSSL_ia32cap="~0x1000000000000000:~0x10020"

# What the network and process faults need, loaded the way a user's stock
# kernel loads them. faultline's own probes (faults/common/kernel_features)
# still decide which path each fault takes.
for module in veth bridge dummy sch_netem sch_tbf sch_prio nf_tables ip_tables xt_mark \
  nfnetlink_queue xt_NFQUEUE xt_comment xt_statistic xt_tcpudp iptable_filter iptable_mangle; do
  "$modprobe_cmd" "$module" 2>/dev/null || echo "uml-guest-init: no module $module in $(uname -r)" >&2
done

# Debian's UML kernel has nf_tables for the bridge family only (no
# CONFIG_NF_TABLES_INET/IPV4/IPV6), so iptables' default nf_tables backend
# cannot make its tables there: the guest runs iptables on x_tables, as
# `update-alternatives --set iptables /usr/sbin/iptables-legacy` would on a
# machine. Only the guest's view of /etc/alternatives changes.
mkdir -p /tmp/alternatives
cp -a /etc/alternatives/. /tmp/alternatives/
step mount --bind /tmp/alternatives /etc/alternatives
# The legacy tools are named iptables-legacy, iptables-legacy-save, ...
for family in iptables ip6tables; do
  for suffix in "" -save -restore; do
    [ -e "/usr/sbin/$family-legacy$suffix" ] &&
      ln -sfn "/usr/sbin/$family-legacy$suffix" "/etc/alternatives/$family$suffix"
  done
done

# cgroup v2 as the only hierarchy, as on a stock Debian 12 or Ubuntu machine,
# with the controllers faultline's process faults use handed to children.
step mount -t cgroup2 cgroup2 /sys/fs/cgroup
echo "+cpu +memory +pids +io" >/sys/fs/cgroup/cgroup.subtree_control 2>/dev/null || true

step ip link set lo up
ulimit -n 65536
hostname faultline-uml

# Tests read this to state the guest's own tolerances (tests/integration).
export FAULTLINE_TEST_GUEST=uml
[ -f "$dir/env" ] && . "$dir/env"
cd "$dir" || halt_guest
echo "uml-guest-init: kernel $(uname -r), cgroup v2 controllers: $(cat /sys/fs/cgroup/cgroup.controllers)"
# bash: the host script quotes the command with printf %q.
bash "$dir/command"
echo $? >"$dir/status.tmp" && mv "$dir/status.tmp" "$dir/status"
halt_guest
