#!/usr/bin/env bash
# The main job on a fresh machine: installs, builds, and runs the tools on a
# demo input. Grows with the tools (see README).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup-deps.sh --peers
cmake --preset dev >/dev/null
cmake --build --preset dev
