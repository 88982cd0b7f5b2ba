#!/usr/bin/env bash
# Builds the Debian base image the agent image recipes start FROM, from
# Debian packages, with no registry: debootstrap a minimal root filesystem,
# then `docker import` it. The provider recipes (share/providers/images/*)
# start FROM bot-bottle/debian:bookworm and install their agent CLI with npm,
# so the base carries nodejs and npm.
#
#   scripts/debian-base-image.sh [TAG] [--suite SUITE] [--mirror URL] [--include PKG,...] [--keep DIR]
#
#   TAG        the image to make (default bot-bottle/debian:bookworm)
#   --suite    the Debian release (default bookworm)
#   --mirror   the Debian mirror debootstrap reads (default: debootstrap's own;
#              a local mirror or file:///path works for machines without network)
#   --include  packages beyond minbase (default ca-certificates,nodejs,npm,git)
#   --keep DIR build the root filesystem in DIR and keep it (default: a temp dir, removed)
#
# Needs root (debootstrap), debootstrap and the docker CLI; the daemon is
# $DOCKER_HOST's. The root filesystem is made in a temporary directory and
# removed afterwards. Exit 0 with the image's id on stdout; 1 with the reason.
set -euo pipefail
tag=bot-bottle/debian:bookworm suite=bookworm mirror="" include=ca-certificates,nodejs,npm,git keep=""
while (($#)); do
  case "$1" in
    --suite) suite=$2; shift 2 ;;
    --mirror) mirror=$2; shift 2 ;;
    --include) include=$2; shift 2 ;;
    --keep) keep=$2; shift 2 ;;
    -h|--help) sed -n '2,20p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    -*) echo "debian-base-image.sh: unknown option $1 (see --help)" >&2; exit 1 ;;
    *) tag=$1; shift ;;
  esac
done
for tool in debootstrap docker tar; do
  command -v "$tool" >/dev/null || { echo "debian-base-image.sh: $tool is not installed (apt-get install $tool)" >&2; exit 1; }
done
[[ $(id -u) == 0 ]] || { echo "debian-base-image.sh: debootstrap needs root (run it with sudo)" >&2; exit 1; }
docker version --format '{{.Server.Version}}' >/dev/null 2>&1 ||
  { echo "debian-base-image.sh: no docker daemon answers (DOCKER_HOST=${DOCKER_HOST:-unset})" >&2; exit 1; }

if [[ -n $keep ]]; then
  root=$keep
  mkdir -p "$root"
else
  root=$(mktemp -d "${TMPDIR:-/tmp}/bot-bottle-debian.XXXXXX")
  trap 'rm -rf --one-file-system "$root"' EXIT
fi
echo "debian-base-image.sh: debootstrap $suite (minbase + $include) into $root" >&2
args=(--variant=minbase --include="$include" "$suite" "$root")
[[ -n $mirror ]] && args+=("$mirror")
debootstrap "${args[@]}" >&2
# What an image does not need: package lists and caches (the recipes'
# builds run apt-get update themselves if they install more).
rm -rf "$root"/var/lib/apt/lists/* "$root"/var/cache/apt/*.bin "$root"/var/cache/apt/archives/*.deb
echo "debian-base-image.sh: importing $root as $tag" >&2
tar --numeric-owner -C "$root" -c . |
  docker import --change 'ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' --change 'CMD ["/bin/bash"]' - "$tag"
