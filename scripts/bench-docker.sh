#!/usr/bin/env bash
# Median wall time of launching `true` with the docker backend against a bare
# `docker run --rm IMAGE true`, side by side in one run, against private
# dockerds started for the run in network namespaces of their own
# (tests/run_docker/docker_fixture.sh: never the host's daemon or network).
# Timed round-robin (one of each per round) so load weighs on all alike:
#   docker run --rm IMAGE true                                  (daemon without a default bridge: no network)
#   bottle-run --backend docker --image IMAGE -- true            (no routes: no network, no sidecar)
#   bottle-run ... with a route, the pool warm                   (socket topology, a waiting sidecar claimed)
#   bottle-run ... with a route, no pool (BOT_BOTTLE_DOCKER_POOL=0): the sidecar started for the launch
#   bottle-run ... with a route, the network topology (BOT_BOTTLE_DOCKER_TOPOLOGY=network, no pool): as before
#   under gVisor, when runsc is installed (a second daemon with runsc registered): no routes,
#   a route with a pooled sidecar (network topology), a route with no pool
#   docker run --rm IMAGE true on a third daemon with the default bridge (what a stock install gives)
# After the pooled launch the bench waits until its reaper has made the next
# waiting sidecar (the pool's .json), so that work never overlaps a timed
# launch; the other launches' reapers still overlap the next launch, as
# `docker run --rm` pays its own removal in full.
# Needs root (the daemons). Prints each median and the ratio to docker run.
#   scripts/bench-docker.sh [BUILD_DIR] [ROUNDS]
set -euo pipefail
build=${1:-build/dev}
rounds=${2:-15}
here=$(cd "$(dirname "$0")/.." && pwd)
run=$build/tools/bottle-run/bottle-run
fixture=$here/tests/run_docker/docker_fixture.sh
[[ -x $run ]] || { echo "build bottle-run first ($run)" >&2; exit 2; }
[[ -x $build/tools/bottle-egress/bottle-egress-static ]] || { echo "build bottle-egress-static first" >&2; exit 2; }
tmp=$(mktemp -d)
daemons=()
gvisor_ref=""
cleanup() { for d in "${daemons[@]}"; do "$fixture" stop "$d" >/dev/null 2>&1 || true; done; rm -rf "$tmp"; }
trap cleanup EXIT
echo '{"bottles":{"web":{"egress":[{"host":"api.example.com","ports":[443]}]}}}' >"$tmp/m.json"
export XDG_RUNTIME_DIR=$tmp

"$fixture" start "$tmp/d" || exit $?
daemons+=("$tmp/d")
names=() cmds=() waits=()
add() { names+=("$1"); cmds+=("$2"); waits+=("${3:-}"); }
route="--manifest $tmp/m.json --bottle web"
add "docker run --rm IMAGE true" "env DOCKER_HOST=unix://$tmp/d/docker.sock docker run --rm bbtest:latest true"
add "bottle-run --backend docker -- true" "env DOCKER_HOST=unix://$tmp/d/docker.sock $run --backend docker --image bbtest:latest -- true"
add "bottle-run, a route (pooled sidecar)" "env DOCKER_HOST=unix://$tmp/d/docker.sock $run $route --backend docker --image bbtest:latest -- true" "$tmp/d"
add "  a route, no pool (sidecar started)" "env DOCKER_HOST=unix://$tmp/d/docker.sock BOT_BOTTLE_DOCKER_POOL=0 $run $route --backend docker --image bbtest:latest -- true"
add "  a route, network topology (before)" "env DOCKER_HOST=unix://$tmp/d/docker.sock BOT_BOTTLE_DOCKER_POOL=0 BOT_BOTTLE_DOCKER_TOPOLOGY=network $run $route --backend docker --image bbtest:latest -- true"
if command -v runsc >/dev/null; then
  # Debian's runsc needs --network=host on kernels >= 6.x (docs/bottle-run.md).
  printf '{"runtimes":{"runsc":{"path":"%s","runtimeArgs":["--network=host","--oci-seccomp"]}}}\n' "$(command -v runsc)" >"$tmp/runsc.json"
  mkdir -p "$tmp/g"
  if "$fixture" start "$tmp/g" --runsc-config "$tmp/runsc.json"; then
    daemons+=("$tmp/g")
    gvisor_ref=${#cmds[@]}
    add "docker run --rm --runtime runsc IMAGE true" "env DOCKER_HOST=unix://$tmp/g/docker.sock docker run --rm --runtime runsc bbtest:latest true"
    add "bottle-run --backend docker (gVisor)" "env DOCKER_HOST=unix://$tmp/g/docker.sock $run --backend docker --image bbtest:latest -- true"
    add "bottle-run (gVisor), a route (pooled sidecar)" "env DOCKER_HOST=unix://$tmp/g/docker.sock $run $route --backend docker --image bbtest:latest -- true" "$tmp/g"
    add "  gVisor, a route, no pool" "env DOCKER_HOST=unix://$tmp/g/docker.sock BOT_BOTTLE_DOCKER_POOL=0 $run $route --backend docker --image bbtest:latest -- true"
  fi
else echo "runsc: not installed, gVisor rows skipped"; fi
mkdir -p "$tmp/b"
stock_ref=""
if "$fixture" start "$tmp/b" --default-bridge; then
  daemons+=("$tmp/b")
  stock_ref=${#cmds[@]}
  add "docker run --rm IMAGE true, default bridge" "env DOCKER_HOST=unix://$tmp/b/docker.sock docker run --rm bbtest:latest true"
fi
pool_ready() {  # the reaper of a pooled launch on daemon DIR has made the next waiting sidecar
  for _ in $(seq 1 300); do
    grep -qs "unix://$1/docker.sock" "$tmp"/bot-bottle/docker-pool/*.json && return 0
    sleep 0.05
  done
  echo "the pool of $1 was not refilled within 15 s" >&2; return 1
}
# The first pooled launch on each daemon finds the pool empty: fill it before timing.
for w in "${waits[@]}"; do
  [[ -n $w ]] || continue
  env DOCKER_HOST="unix://$w/docker.sock" $run $route --backend docker --image bbtest:latest -- true </dev/null >/dev/null 2>&1
  pool_ready "$w"
done

for ((i = 0; i < rounds; i++)); do
  for c in "${!cmds[@]}"; do
    s=$(date +%s%N)
    ${cmds[$c]} </dev/null >/dev/null 2>&1 || { echo "failed: ${cmds[$c]}" >&2; exit 1; }
    e=$(date +%s%N)
    echo "$c $(( (e - s) / 1000 ))" >>"$tmp/times"
    [[ -n ${waits[$c]} ]] && pool_ready "${waits[$c]}"
  done
done
median() { awk -v c="$1" '$1 == c {print $2}' "$tmp/times" | sort -n | awk '{a[NR]=$1} END {printf "%.0f", a[int((NR+1)/2)]/1000}'; }
base=$(median 0)
printf '%-50s %10s %8s\n' "launch of true (${rounds} rounds)" "median ms" "x docker"
for c in "${!cmds[@]}"; do
  m=$(median "$c")
  ref=$base
  [[ -n ${gvisor_ref:-} ]] && ((c >= gvisor_ref)) && ref=$(median "$gvisor_ref")
  [[ -n ${stock_ref:-} ]] && ((c >= stock_ref)) && ref=$base
  printf '%-50s %10s %8s\n' "${names[$c]}" "$m" "$(awk -v a="$m" -v b="$ref" 'BEGIN {printf "%.2f", a / b}')"
done
