#!/usr/bin/env bash
# The Debian package as a CI runner gets it: builds it with cpack from the
# build tree, unpacks it into a scratch root with `dpkg -x` (no root, nothing
# installed on this machine) and checks its control fields, then runs the
# unpacked faultline: --version, validate on the packaged default
# experiment, and a report through each packaged template.
#
#   package_test.sh BUILD_DIR SOURCE_DIR VERSION CPACK
#
# Exit 0 passed, 1 failed, 77 skipped (no dpkg tools: not a Debian system).
# As tests/skip.h rules, a skip fails instead in CI as root (CI=true): a CI
# run that skipped this would pass without having looked.
set -euo pipefail

if [ $# -ne 4 ]; then
  echo "usage: package_test.sh BUILD_DIR SOURCE_DIR VERSION CPACK" >&2
  exit 2
fi
build_dir=$1
source_dir=$2
version=$3
cpack=$4

fail() {
  echo "package test: FAILED: $*" >&2
  exit 1
}

skip() {
  if { [ "${CI:-}" = true ] || [ "${CI:-}" = 1 ]; } && [ "$(id -u)" -eq 0 ]; then
    fail "not skippable in CI (CI=true, running as root): $1; give CI what the test needs"
  fi
  echo "FAULTLINE-SKIP: $1"
  exit 77
}

for tool in dpkg dpkg-deb; do
  command -v "$tool" >/dev/null || skip "no $tool: the Debian package can only be built and unpacked with dpkg"
done
[ -x "$cpack" ] || fail "no cpack at $cpack"
[ -x "$build_dir/faultline" ] || fail "no $build_dir/faultline: build it first (cmake --build $build_dir)"

# Everything this test writes goes under one scratch folder, removed however
# the script ends; a signal ends it through exit, so the EXIT trap runs too.
scratch=$(mktemp -d "${TMPDIR:-/tmp}/faultline-package.XXXXXX")
trap 'rm -rf "$scratch"' EXIT
trap 'exit 1' HUP INT TERM

# cpack's own working files go to the scratch folder (-B) as well, so two
# runs of this test, or a packager's cpack in the build tree, do not meet.
# The timeouts keep the script's own limits under CTest's, which would kill
# it without its trap.
if ! timeout 150 "$cpack" -G DEB --config "$build_dir/CPackConfig.cmake" -B "$scratch/pkg" >"$scratch/cpack.log" 2>&1
then
  cat "$scratch/cpack.log" >&2
  fail "cpack -G DEB did not build the package"
fi
shopt -s nullglob
debs=("$scratch"/pkg/faultline_*.deb)
[ ${#debs[@]} -eq 1 ] || fail "expected one faultline_*.deb from cpack, found ${#debs[@]}"
deb=${debs[0]}

field() { dpkg-deb -f "$deb" "$1"; }
[ "$(field Package)" = faultline ] || fail "Package is '$(field Package)', not faultline"
[ "$(field Version)" = "$version" ] || fail "Version is '$(field Version)', not $version"
arch=$(dpkg --print-architecture)
[ "$(field Architecture)" = "$arch" ] || fail "Architecture is '$(field Architecture)', not $arch"
depends=$(field Depends)
for pkg in nginx haproxy nftables iptables iproute2 libc6; do
  # A whole package name in the comma-separated list, with or without a
  # version bound: `iptables` must not be satisfied by `libiptables`.
  if ! grep -Eq "(^|, )$pkg( |,|$)" <<<"$depends"; then
    fail "Depends does not name $pkg: $depends"
  fi
done

dpkg -x "$deb" "$scratch/root"
bin=$scratch/root/usr/bin/faultline
share=$scratch/root/usr/share/faultline
[ -x "$bin" ] || fail "the package has no usr/bin/faultline"

run() { timeout 20 "$@"; }

line=$(run "$bin" --version) || fail "faultline --version exited $?"
if ! grep -Eq "^faultline ${version//./\\.} \(commit ([0-9a-f]{7,}|unknown)\)$" <<<"$line"; then
  fail "faultline --version printed '$line', not 'faultline $version (commit <hash>)'"
fi
built=$(run "$build_dir/faultline" --version)
[ "$line" = "$built" ] || fail "the packaged binary says '$line', the build tree's '$built'"

experiment=$share/experiments/haproxy-weight-skew.yaml
[ -f "$experiment" ] || fail "the package has no share/faultline/experiments/haproxy-weight-skew.yaml"
run "$bin" validate "$experiment" >"$scratch/validate.log" 2>&1 || {
  cat "$scratch/validate.log" >&2
  fail "faultline validate $experiment did not exit 0"
}

# The packaged templates are the built-in ones: rendering through them, as a
# team's own --template would, gives the built-in report byte for byte.
journal=$source_dir/tests/data/journals/outcomes/incident.json
for pair in md:postmortem.md.mustache html:postmortem.html.mustache; do
  format=${pair%%:*}
  template=$share/templates/${pair#*:}
  [ -f "$template" ] || fail "the package has no share/faultline/templates/${pair#*:}"
  run "$bin" report "$journal" --format "$format" -o "$scratch/builtin.$format" ||
    fail "faultline report --format $format exited non-zero"
  run "$bin" report "$journal" --format "$format" --template "$template" -o "$scratch/packaged.$format" ||
    fail "faultline report --format $format --template $template exited non-zero"
  cmp -s "$scratch/builtin.$format" "$scratch/packaged.$format" ||
    fail "the $format report through the packaged ${pair#*:} differs from the built-in one"
done
[ -f "$share/templates/compare.md.mustache" ] || fail "the package has no share/faultline/templates/compare.md.mustache"

echo "package test: $(basename "$deb") passed (Depends: $depends)"
