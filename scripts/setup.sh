#!/usr/bin/env bash
# Installs every Debian package faultline needs to build, test and run.
# Idempotent: safe to run again; apt skips what is already there.
set -euo pipefail

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

apt-get update -q
apt-get install -y -q --no-install-recommends "${BUILD_PKGS[@]}" "${RUNTIME_PKGS[@]}"

# Debian's nginx and haproxy packages may enable a system service on install.
# faultline never needs it stopped: its own servers run inside the run's
# network namespaces, where the host's port 80 is not in the way. No service
# or process of the host is stopped, disabled or killed here.
echo "setup.sh: all packages installed"
