#!/usr/bin/env bash
# Builds the two local images faultline's container tests run, from Debian
# packages, without any registry:
#   faultline-test/nginx:bookworm    nginx-light, config /etc/nginx/nginx.conf
#   faultline-test/haproxy:bookworm  haproxy,     config /etc/haproxy/haproxy.cfg
# A minimal Debian root (mmdebstrap) becomes an image with `docker import`.
# An image is reused when its tag exists and its recipe label matches the
# recipe below, so a change to the recipe rebuilds it and nothing else does.

# The hooks and apt's format strings are single-quoted on purpose: mmdebstrap's
# shell and apt expand them, not this one.
# shellcheck disable=SC2016
set -euo pipefail

prog=test-images.sh
suite=bookworm
docker_cli="${DOCKER:-/usr/bin/docker}"
work_parent="${FAULTLINE_IMAGE_WORKDIR:-${TMPDIR:-/var/tmp}}"
lock_file=/run/lock/faultline-test-images.lock
all_images=(nginx haproxy)

usage() {
  cat <<EOF
Usage: scripts/test-images.sh [--force | --check] [nginx] [haproxy]

Builds faultline-test/nginx:$suite and faultline-test/haproxy:$suite (both
unless named) from Debian $suite packages with mmdebstrap and docker import,
or reuses each when it is already present and was built from the same recipe.
The images have no CMD: faultline gives the server's foreground command.

  --force   rebuild even when the image is present and current
  --check   build nothing; exit 0 when every image is present and current, 1 if not
  -h        this text

Needs a dockerd answering on /var/run/docker.sock (scripts/dockerd.sh start),
mmdebstrap, root, and a Debian mirror. The mirrors are those apt uses on this
machine (apt-get indextargets), or else deb.debian.org; override them with
  FAULTLINE_DEBIAN_MIRROR           e.g. http://deb.debian.org/debian
  FAULTLINE_DEBIAN_SECURITY_MIRROR  e.g. http://deb.debian.org/debian-security
Also: DOCKER (the docker CLI, default /usr/bin/docker: Debian's, whose API
matches its dockerd), FAULTLINE_IMAGE_WORKDIR (where the root tarball is
written, default \$TMPDIR or /var/tmp; about 150 MB per image).
Exit status: 0 done, 1 a build failed (or --check found one missing), 2 usage
or a missing tool.
EOF
}

say() { echo "$prog: $*"; }
die() {
  echo "$prog: $*" >&2
  exit "${2:-1}"
}

mode=build
wanted=()
while [[ $# -gt 0 ]]; do
  case "$1" in
    -h | --help)
      usage
      exit 0
      ;;
    --force) mode=force ;;
    --check) mode=check ;;
    nginx | haproxy) wanted+=("$1") ;;
    *) die "unknown argument '$1' (see --help)" 2 ;;
  esac
  shift
done
[[ ${#wanted[@]} -gt 0 ]] || wanted=("${all_images[@]}")

# --- the recipe -------------------------------------------------------------
# Everything that decides an image's content is in recipe_args (mmdebstrap)
# and import_changes (docker import); their text is hashed into the image's
# recipe label. The mirrors are not: the same packages from another mirror
# make the same image.

package_of() {
  case "$1" in
    nginx) echo nginx-light ;;
    haproxy) echo haproxy ;;
  esac
}

config_of() {
  case "$1" in
    nginx) echo /etc/nginx/nginx.conf ;;
    haproxy) echo /etc/haproxy/haproxy.cfg ;;
  esac
}

# Fills recipe_args and import_changes for one image.
recipe_for() {
  local name="$1"
  local pkg config
  pkg="$(package_of "$name")"
  config="$(config_of "$name")"
  recipe_args=(
    --variant=minbase
    # iproute2 and procps let a person look inside a running container
    # (docker exec … ip addr, ps) as in a team's images; ca-certificates lets
    # a config verify an upstream's TLS certificate.
    --include="$pkg,ca-certificates,iproute2,procps"
    --aptopt='APT::Install-Recommends "false"'
    # Merged /usr by symlinks: bookworm's init-system-helpers would
    # otherwise pull in usrmerge and with it perl, about 60 MB.
    --hook-dir=/usr/share/mmdebstrap/hooks/merged-usr
    # No documentation, manual pages or translations; the copyright files
    # stay, as the licences ask.
    --dpkgopt='path-exclude=/usr/share/doc/*'
    --dpkgopt='path-include=/usr/share/doc/*/copyright'
    --dpkgopt='path-exclude=/usr/share/man/*'
    --dpkgopt='path-exclude=/usr/share/info/*'
    --dpkgopt='path-exclude=/usr/share/locale/*'
    --dpkgopt='path-exclude=/usr/share/lintian/*'
    # The config file is where faultline mounts its own.
    --customize-hook="test -f \"\$1$config\""
    # The server's package version, for a label (FL_VERSION_FILE is set by
    # build_one, outside the recipe, since its path changes every build).
    --customize-hook="chroot \"\$1\" dpkg-query -W -f='\${Version}' $pkg >\"\$FL_VERSION_FILE\""
    # apt's lists and cache are not needed once the root is built.
    --customize-hook='rm -rf "$1"/var/lib/apt/lists/* "$1"/var/cache/apt/*.bin "$1"/var/cache/apt/archives/*.deb'
  )
  if [[ $name == haproxy ]]; then
    # Debian's haproxy.cfg puts its stats socket there; systemd would make
    # it. mmdebstrap empties /run after the hooks, so that step is done
    # here instead, before the directory is made.
    recipe_args+=(--skip=cleanup/run
      --customize-hook='find "$1/run" -mindepth 1 -maxdepth 1 ! -name lock -exec rm -rf {} +'
      --customize-hook='mkdir -p "$1/run/haproxy"')
  fi
  import_changes=(
    'ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin'
    "LABEL org.faultline.test-image=$name"
    "LABEL org.faultline.test-image.suite=$suite"
    "LABEL org.faultline.test-image.config=$config"
  )
}

recipe_hash() {
  recipe_for "$1"
  printf '%s\n' "suite=$suite" "${recipe_args[@]}" "${import_changes[@]}" | sha256sum | cut -c1-12
}

# --- the mirrors --------------------------------------------------------------

# The URI apt fetches a given release from on this machine, if any.
apt_uri_for() {
  apt-get indextargets --format '$(REPO_URI) $(RELEASE) $(TARGET_OF)' 2>/dev/null |
    awk -v rel="$1" '$2 == rel && $3 == "deb" { sub(/\/$/, "", $1); print $1; exit }'
}

pick_mirrors() {
  local host_codename=''
  # shellcheck source=/dev/null
  host_codename="$(. /etc/os-release 2>/dev/null && echo "${VERSION_CODENAME:-}")" || true
  mirror="${FAULTLINE_DEBIAN_MIRROR:-}"
  security="${FAULTLINE_DEBIAN_SECURITY_MIRROR:-}"
  mirror_from='FAULTLINE_DEBIAN_MIRROR'
  security_from='FAULTLINE_DEBIAN_SECURITY_MIRROR'
  # Prefer the mirror apt uses for our suite; on a host of another Debian
  # release, the one it uses for its own (the same archive holds both).
  local rel
  for rel in "$suite" "$host_codename"; do
    [[ -n $rel ]] || continue
    if [[ -z $mirror ]]; then
      mirror="$(apt_uri_for "$rel")"
      mirror_from="apt's for $rel"
    fi
    if [[ -z $security ]]; then
      security="$(apt_uri_for "$rel-security")"
      security_from="apt's for $rel-security"
    fi
  done
  if [[ -z $mirror ]]; then
    mirror=http://deb.debian.org/debian
    mirror_from=default
  fi
  if [[ -z $security ]]; then
    security=http://deb.debian.org/debian-security
    security_from=default
  fi
  source_args=(
    "deb $mirror $suite main"
    "deb $mirror $suite-updates main"
    "deb $security $suite-security main"
  )
  # mmdebstrap runs apt with a configuration of its own: hand it the
  # host's proxy, if apt has one.
  proxy_args=()
  local proxy=''
  eval "$(apt-config shell proxy Acquire::http::Proxy)"
  [[ -n $proxy ]] && proxy_args=(--aptopt="Acquire::http::Proxy \"$proxy\"")
  return 0
}

# --- docker -----------------------------------------------------------------------

docker() { "$docker_cli" "$@"; }

label_of() { # image label
  docker image inspect -f "{{index .Config.Labels \"$2\"}}" "$1" 2>/dev/null || true
}

size_mb_of() {
  docker image inspect -f '{{.Size}}' "$1" | awk '{ printf "%d MB", $1 / 1000000 }'
}

image_id_of() { docker image inspect -f '{{.Id}}' "$1" 2>/dev/null || true; }

describe() { # ref
  echo "$(size_mb_of "$1"), $(label_of "$1" org.faultline.test-image.package)"
}

# --- building -------------------------------------------------------------------

build_one() {
  local name="$1" hash="$2"
  local ref="faultline-test/$name:$suite"
  local pkg tar version_file mm_log old_id
  pkg="$(package_of "$name")"
  old_id="$(image_id_of "$ref")"
  tar="$work/$name.tar"
  mm_log="$work/$name.mmdebstrap.log"
  version_file="$work/$name.version"
  recipe_for "$name"

  local t0=$SECONDS
  if ! FL_VERSION_FILE="$version_file" mmdebstrap --quiet --logfile="$mm_log" \
    "${recipe_args[@]}" "${proxy_args[@]}" "$suite" "$tar" "${source_args[@]}"; then
    echo "--- last lines of mmdebstrap's log:" >&2
    tail -n 20 "$mm_log" >&2 || true
    die "$ref: mmdebstrap failed (mirror $mirror, security $security)"
  fi
  local t1=$SECONDS
  local version
  version="$(cat "$version_file")"
  local -a changes=()
  local c
  for c in "${import_changes[@]}" \
    "LABEL org.faultline.test-image.recipe=$hash" \
    "LABEL org.faultline.test-image.package=$pkg=$version"; do
    changes+=(--change "$c")
  done
  docker import "${changes[@]}" --message "faultline test image $name, recipe $hash" "$tar" "$ref" >/dev/null ||
    die "$ref: docker import failed"
  rm -f "$tar"
  say "$ref: built in $((SECONDS - t0)) s (mmdebstrap $((t1 - t0)) s, import $((SECONDS - t1)) s), $(describe "$ref"), recipe $hash"

  # The image the tag named before is of no use now; a container may
  # still use it, and then it stays.
  local new_id
  new_id="$(image_id_of "$ref")"
  if [[ -n $old_id && $old_id != "$new_id" ]]; then
    if docker image rm "$old_id" >/dev/null 2>&1; then
      say "$ref: removed the image it replaced (${old_id:7:12})"
    else
      say "$ref: kept the image it replaced (${old_id:7:12}): still in use"
    fi
  fi
}

# --- main ------------------------------------------------------------------------------

[[ -x $docker_cli ]] || docker_cli="$(command -v docker || true)"
[[ -n $docker_cli ]] || die "no docker CLI: install Debian's docker.io package (scripts/setup.sh --containers installs it)" 2
docker version >/dev/null 2>&1 ||
  die "no dockerd answers on /var/run/docker.sock: start one with 'scripts/dockerd.sh start' (as root)" 2

# Two builds at once would write the same tags: the second waits, then
# finds the first one's images current.
if [[ $mode != check ]]; then
  exec 9>"$lock_file"
  flock 9
fi

stale=()
for name in "${wanted[@]}"; do
  hash="$(recipe_hash "$name")"
  ref="faultline-test/$name:$suite"
  present="$(label_of "$ref" org.faultline.test-image.recipe)"
  if [[ $mode != force && $present == "$hash" ]]; then
    say "$ref: present, reused (recipe $hash, $(describe "$ref"))"
  elif [[ $mode == check ]]; then
    say "$ref: $([[ -n $(image_id_of "$ref") ]] && echo "built from another recipe (${present:-none}; now $hash)" || echo absent)"
    stale+=("$name")
  else
    stale+=("$name")
  fi
done
if [[ $mode == check ]]; then
  [[ ${#stale[@]} -eq 0 ]] || exit 1
  exit 0
fi
[[ ${#stale[@]} -gt 0 ]] || exit 0

command -v mmdebstrap >/dev/null 2>&1 ||
  die "mmdebstrap not found: install it (apt-get install mmdebstrap; scripts/setup.sh --containers installs it)" 2
[[ $(id -u) -eq 0 ]] || die "run as root: mmdebstrap builds the root file system as root here" 2

work="$(mktemp -d "$work_parent/faultline-images.XXXXXX")"
trap 'rm -rf "$work"' EXIT
pick_mirrors
say "mirrors: $mirror ($mirror_from), $security ($security_from)"
t_all=$SECONDS
for name in "${stale[@]}"; do
  build_one "$name" "$(recipe_hash "$name")"
done
say "built ${#stale[@]} image(s) in $((SECONDS - t_all)) s"
