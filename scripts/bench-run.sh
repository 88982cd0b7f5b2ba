#!/usr/bin/env bash
# Median wall time of launching `true` in a sandbox, side by side in one run:
# bottle-run (no routes: no proxy; with a route: bottle-egress started too)
# bubblewrap with --unshare-all --ro-bind / /, firejail and docker where
# usable. The commands are timed
# round-robin (one run of each per round), so load on a shared machine
# weighs on all of them alike. Peers that are not installed are skipped.
#   scripts/bench-run.sh [BUILD_DIR] [ROUNDS]
set -euo pipefail
build=${1:-build/dev}
rounds=${2:-50}
run=$build/tools/bottle-run/bottle-run
[[ -x $run ]] || { echo "build bottle-run first ($run)" >&2; exit 2; }
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
echo '{"bottles":{"web":{"egress":[{"host":"api.example.com","ports":[443]}]}}}' > "$tmp/m.json"
export XDG_RUNTIME_DIR=$tmp

names=("bottle-run -- true")
cmds=("$run -- true")
if [[ -x $build/tools/bottle-egress/bottle-egress ]]; then
  names+=("bottle-run (proxy started) -- true"); cmds+=("$run --manifest $tmp/m.json --bottle web -- true")
fi
if command -v bwrap >/dev/null; then
  names+=("bwrap --unshare-all --ro-bind / / true"); cmds+=("bwrap --unshare-all --ro-bind / / true")
else echo "bwrap: not installed, skipped"; fi
# firejail without a profile, its own network namespace (no interfaces) and
# a private home: the closest it comes to a bottle without a proxy.
if command -v firejail >/dev/null && firejail --quiet --noprofile --net=none --private true >/dev/null 2>&1; then
  names+=("firejail --noprofile --net=none --private true"); cmds+=("firejail --quiet --noprofile --net=none --private true")
else echo "firejail: not installed or not usable here, skipped"; fi
# docker needs a running daemon; codex and srt (sandbox-runtime) their CLIs.
if command -v docker >/dev/null && docker info >/dev/null 2>&1 && docker image inspect busybox >/dev/null 2>&1; then
  names+=("docker run --rm --network none busybox true"); cmds+=("docker run --rm --network none busybox true")
else echo "docker: no reachable daemon or no local busybox image, skipped"; fi
for peer in codex srt; do command -v $peer >/dev/null || echo "$peer: not installed, skipped"; done

for ((i = 0; i < rounds; i++)); do
  for c in "${!cmds[@]}"; do
    s=$(date +%s%N)
    ${cmds[$c]} >/dev/null 2>&1 || { echo "failed: ${cmds[$c]}" >&2; exit 1; }
    e=$(date +%s%N)
    echo "$c $(( (e - s) / 1000 ))" >> "$tmp/times"
  done
done
printf '%-40s %10s\n' "sandbox" "median ms"
for c in "${!cmds[@]}"; do
  m=$(awk -v c="$c" '$1 == c {print $2}' "$tmp/times" | sort -n | awk '{a[NR]=$1} END {printf "%.2f", a[int((NR+1)/2)]/1000}')
  printf '%-40s %10s\n' "${names[$c]}" "$m"
done
