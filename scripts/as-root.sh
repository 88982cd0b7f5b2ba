# Sourced by the entry-point scripts: re-runs the calling script as root,
# through sudo when it is there, so the same command works in a fresh root
# shell (which may have no sudo) and as an ordinary user with sudo rights.
# The escape harness builds network namespaces and the setup installs
# packages: both need root.
if [[ $(id -u) -ne 0 ]]; then
  if command -v sudo >/dev/null 2>&1; then
    exec sudo --preserve-env=CI,NO_COLOR,CCACHE_DIR "$0" "$@"
  fi
  echo "$(basename "$0"): needs root (it installs packages and builds network namespaces);" \
       "run it as root, or install sudo" >&2
  exit 1
fi
