#!/usr/bin/env bash
# Installs what bot-bottle builds and tests with, from Debian's packages and the
# npm registry. Idempotent and quiet: installs only what is missing.
# Usage: scripts/setup-deps.sh [--peers | --bench]   (--peers adds the peer
# sandboxes the escape harness scores: firejail, docker.io, runsc (gVisor, the
# binary only: the tests register it with their own private dockerd),
# sandbox-runtime, codex; --bench adds the proxies bench/egress_bench.cpp compares bottle-egress
# with: tinyproxy and squid, their system services stopped and disabled, since
# the bench starts its own instances on loopback)
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)

packages=(
  build-essential cmake ninja-build ccache pkg-config git python3
  g++ clang libclang-rt-14-dev
  libboost1.81-dev libboost-json1.81-dev libboost-system1.81-dev
  libsqlite3-dev sqlite3 libpugixml-dev librapidcheck-dev
  libgtest-dev libgmock-dev libbenchmark-dev libcli11-dev libc-ares-dev libyaml-cpp-dev
  bubblewrap libseccomp-dev iproute2 util-linux busybox-static
)
if [[ "${1:-}" == "--peers" ]]; then
  packages+=(firejail socat docker.io ripgrep runsc)
fi
if [[ "${1:-}" == "--bench" ]]; then
  packages+=(tinyproxy squid)
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

if [[ "${1:-}" == "--bench" ]]; then
  # The packages enable (and, where allowed, start) system-wide proxies on
  # 3128 / 8888; nothing here wants them running.
  sudo_cmd=""
  [[ $(id -u) -ne 0 ]] && sudo_cmd="sudo"
  for unit in tinyproxy squid; do
    if [[ -d /run/systemd/system ]]; then
      $sudo_cmd systemctl disable --now "$unit" >/dev/null 2>&1 || true
    else
      $sudo_cmd systemctl disable "$unit" >/dev/null 2>&1 || true   # links only; no systemd running
      $sudo_cmd service "$unit" stop >/dev/null 2>&1 || true
    fi
  done
fi
