#!/usr/bin/env bash
# Median wall time of full bottle-escape runs (lab build, every probe, scoring,
# teardown) per profile. Needs root and a dev build.
# Usage: scripts/bench-escape.sh [-n RUNS] PROFILE...   (default: -n 5 none bwrap docker)
set -euo pipefail
cd "$(dirname "$0")/.."
runs=5
if [[ "${1:-}" == "-n" ]]; then runs=$2; shift 2; fi
profiles=("$@")
((${#profiles[@]})) || profiles=(none bwrap docker)
escape=build/dev/escape-tests/bottle-escape
[[ -x $escape ]] || { echo "build first: cmake --workflow --preset dev" >&2; exit 2; }
printf '%-18s %6s %10s %10s %10s\n' profile runs "min s" "median s" "max s"
for p in "${profiles[@]}"; do
  times=()
  for _ in $(seq 1 "$runs"); do
    start=$(date +%s%N)
    "$escape" run --sandbox "$p" --json >/dev/null || true   # exit 1 = escapes found: still a full run
    end=$(date +%s%N)
    times+=($(( (end - start) / 1000000 )))
  done
  sorted=($(printf '%s\n' "${times[@]}" | sort -n))
  n=${#sorted[@]}
  median=${sorted[$((n / 2))]}
  awk -v p="$p" -v n="$n" -v lo="${sorted[0]}" -v med="$median" -v hi="${sorted[$((n - 1))]}" \
    'BEGIN { printf "%-18s %6d %10.2f %10.2f %10.2f\n", p, n, lo/1000, med/1000, hi/1000 }'
done
