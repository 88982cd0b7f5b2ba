#!/usr/bin/env bash
# Installs what is missing, builds, and runs every test: unit, property,
# fuzz-corpus replay, the escape-harness suites, and the sanitizer build.
# Usage: scripts/test.sh [--quick]   (--quick skips the ASan/UBSan build)
set -euo pipefail
source "$(dirname "$0")/as-root.sh"
cd "$(dirname "$0")/.."
scripts/setup-deps.sh --peers

cmake --workflow --preset dev
if [[ "${1:-}" != "--quick" ]]; then
  cmake --workflow --preset asan
fi
