#!/usr/bin/env bash
# Installs every Debian package faultline needs to build, test and run.
# Idempotent: safe to run again; apt skips what is already there.
#
#   --containers  also install what the container tests need (Docker's
#                 daemon, Compose v1, mmdebstrap for the test images);
#                 scripts/test.sh passes it, scripts/demo.sh does not, since
#                 the demo runs no container.
set -euo pipefail

containers=0
for arg in "$@"; do
  case "$arg" in
    --containers) containers=1 ;;
    -h | --help)
      sed -n '2,8s/^# \{0,1\}//p' "$0"
      exit 0
      ;;
    *)
      echo "setup.sh: unknown argument '$arg' (--containers or --help)" >&2
      exit 2
      ;;
  esac
done

if [ "$(id -u)" -ne 0 ]; then
  echo "setup.sh: run as root (it installs Debian packages with apt-get)" >&2
  exit 2
fi

export DEBIAN_FRONTEND=noninteractive

BUILD_PKGS=(
  build-essential cmake pkg-config git
  libyaml-cpp-dev libspdlog-dev libfmt-dev
  libboost-dev libboost-filesystem-dev libboost-system-dev
  libnl-3-dev libnl-route-3-dev libnetfilter-queue-dev libmnl-dev
  libcli11-dev nlohmann-json3-dev libkainjow-mustache-dev catch2
  clang libclang-rt-dev
  libseccomp-dev
  # HTTPS in the load generator and the run's throwaway CA (issue 21):
  # OpenSSL 3's headers, used through Boost.Asio's ssl::stream.
  libssl-dev
  # `cpack -G DEB` (tests/install): dpkg-shlibdeps, in dpkg-dev (which
  # build-essential already brings), names the libraries' packages, and
  # CPack finds the binaries to give it with file. Both small.
  dpkg-dev file
)
RUNTIME_PKGS=(
  nginx-light haproxy nftables iptables iproute2 procps psmisc wrk chromium
  # The test suite's second kernel: user-mode Linux 6.1 with netem and
  # cgroup v2 (scripts/uml-test.sh); kmod loads its modules in the guest.
  user-mode-linux kmod
  # The stand-in for a team's own program (kind: process) in the tests and
  # the examples of experiments/own-config: a small Python HTTP server.
  python3
)
# Only with --containers (docs/CONTAINERS.md): dockerd 20.10 and its CLI,
# Compose v1 for the attach tests, mmdebstrap to build the test images
# offline, curl for scripts/dockerd.sh to ask the API whether it answers,
# and apparmor, which docker.io only recommends but whose parser dockerd
# needs to load its default profile on a kernel with AppArmor enabled.
CONTAINER_PKGS=(docker.io docker-compose mmdebstrap curl apparmor)

apt-get update -q
apt-get install -y -q --no-install-recommends "${BUILD_PKGS[@]}" "${RUNTIME_PKGS[@]}"

if [ "$containers" -eq 1 ]; then
  # On a machine whose init runs services, docker.io's postinst would start
  # docker.service with Docker's defaults: iptables chains, FORWARD policy
  # DROP (which drops the bridged traffic of faultline's own runs), and
  # ip_forward=1, none of which it undoes when it stops. The tests start
  # their own dockerd without those (scripts/dockerd.sh). A policy-rc.d that
  # answers 101 ("action forbidden") stops invoke-rc.d and
  # deb-systemd-invoke from starting any service for the length of this
  # install; it is removed again afterwards, and a policy-rc.d the machine
  # already had is set aside and put back as it was.
  guard=/usr/sbin/policy-rc.d
  saved=/usr/sbin/policy-rc.d.faultline-saved
  marker="# faultline setup.sh: no service starts during this install"
  # Puts the machine's policy-rc.d back (or none, if it had none). A setup.sh
  # killed mid-install leaves its guard and the saved file: the next run
  # begins with this too.
  restore_guard() {
    if grep -qsxF "$marker" "$guard"; then
      rm -f "$guard"
    fi
    if [ -e "$saved" ] && [ ! -e "$guard" ]; then
      mv "$saved" "$guard"
    fi
  }
  restore_guard
  if [ -e "$guard" ]; then
    mv "$guard" "$saved"
  fi
  trap restore_guard EXIT
  trap 'exit 130' INT
  trap 'exit 143' TERM
  printf '#!/bin/sh\n%s\nexit 101\n' "$marker" >"$guard.tmp"
  chmod 755 "$guard.tmp"
  mv "$guard.tmp" "$guard"
  apt-get install -y -q --no-install-recommends "${CONTAINER_PKGS[@]}"
  restore_guard
  trap - EXIT INT TERM
fi

# Debian's nginx and haproxy packages may enable a system service on install.
# faultline never needs it stopped: its own servers run inside the run's
# network namespaces, where the host's port 80 is not in the way. No service
# or process of the host is stopped, disabled or killed here.
echo "setup.sh: all packages installed"
