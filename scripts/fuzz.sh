#!/usr/bin/env bash
# Builds the libFuzzer targets (clang, ASan+UBSan) and runs each for a bounded
# time on a scratch copy of its corpus; new crashes land in fuzz/regressions/<target>/
# (commit them: ctest replays them in every build).
# Usage: scripts/fuzz.sh [SECONDS_PER_TARGET]   (default 60)
set -euo pipefail
cd "$(dirname "$0")/.."
seconds=${1:-60}
cmake --preset fuzz >/dev/null
cmake --build --preset fuzz
status=0
for src in fuzz/*.cpp; do
  name=$(basename "$src" .cpp)
  bin=build/fuzz/fuzz/fuzz_$name
  work=$(mktemp -d)
  cp -r "fuzz/corpus/$name/." "$work/"
  mkdir -p "fuzz/regressions/$name"
  dict=()
  [[ -f fuzz/$name.dict ]] && dict=(-dict="fuzz/$name.dict")
  echo "== $name ($seconds s)"
  if ! "$bin" "${dict[@]}" -max_total_time="$seconds" -max_len=65536 \
        -artifact_prefix="fuzz/regressions/$name/" "$work" 2>&1 | tail -n 3; then
    status=1
  fi
  rm -rf "$work"
done
exit $status
