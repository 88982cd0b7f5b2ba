#!/usr/bin/env bash
# Installs what bot-bottle builds and tests with, from Debian's packages and the
# npm registry. Idempotent and quiet: installs only what is missing.
# Usage: scripts/setup-deps.sh [--peers]   (--peers adds the peer sandboxes
# the escape harness scores: firejail, docker.io, sandbox-runtime, codex)
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)

packages=(
  build-essential cmake ninja-build ccache pkg-config git python3
  g++ clang libclang-rt-14-dev
  libboost1.81-dev libboost-json1.81-dev libboost-system1.81-dev
  libsqlite3-dev sqlite3 libpugixml-dev librapidcheck-dev
  libgtest-dev libgmock-dev libbenchmark-dev libcli11-dev libc-ares-dev
  bubblewrap libseccomp-dev iproute2 util-linux busybox-static
)
if [[ "${1:-}" == "--peers" ]]; then
  packages+=(firejail socat docker.io ripgrep)
fi

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if ((${#missing[@]})); then
  sudo_cmd=""
  [[ $(id -u) -ne 0 ]] && sudo_cmd="sudo"
  echo "setup: installing ${missing[*]}"
  $sudo_cmd apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo_cmd apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

if [[ "${1:-}" == "--peers" ]]; then
  # Peer sandboxes from the npm registry, pinned; installed into the repo's
  # own node_modules so nothing global changes.
  if [[ ! -x "$here/node_modules/.bin/srt" || ! -x "$here/node_modules/.bin/codex" ]]; then
    echo "setup: installing npm peers (sandbox-runtime, codex)"
    (cd "$here" && npm install --no-audit --no-fund --silent >/dev/null)
  fi
fi
