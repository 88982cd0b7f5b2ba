#!/usr/bin/env bash
# Median wall time of launching `true` with the docker backend against a bare
# `docker run --rm IMAGE true`, side by side in one run, against a private
# dockerd started for the run in a network namespace of its own
# (tests/run_docker/docker_fixture.sh: never the host's daemon or network).
# Timed round-robin (one of each per round) so load weighs on all alike:
#   docker run --rm IMAGE true
#   bottle-run --backend docker --image IMAGE -- true            (no routes: no network, no sidecar)
#   bottle-run --backend docker ... with a route -- true           (two networks, the sidecar, its ready line)
#   the same under gVisor, when runsc is installed (a second daemon with runsc registered)
# and, for a before/after in the same run, bottle-run as it was before the
# reaper and the agent's go (docs/docker-backend.md, Lifecycle): the teardown
# in-process before bottle-run exits (BOTTLE_RUN_FAULT=docker-no-reaper) and
# the agent's container started only after the sidecar is ready
# (BOTTLE_AGENT_START pointing at nothing). bottle-run now exits before the
# reaper's removals end; they overlap the next launch of the round (as
# `docker run --rm` waits for its own removal, it pays it in full).
# Needs root (the daemon). Prints each median and the ratio to docker run.
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
names=() cmds=()
add() { names+=("$1"); cmds+=("$2"); }
before="BOTTLE_RUN_FAULT=docker-no-reaper BOTTLE_AGENT_START=/nonexistent"
add "docker run --rm IMAGE true" "env DOCKER_HOST=unix://$tmp/d/docker.sock docker run --rm bbtest:latest true"
add "bottle-run --backend docker -- true" "env DOCKER_HOST=unix://$tmp/d/docker.sock $run --backend docker --image bbtest:latest -- true"
add "  as before (teardown before exit)" "env DOCKER_HOST=unix://$tmp/d/docker.sock $before $run --backend docker --image bbtest:latest -- true"
add "bottle-run --backend docker, a route" "env DOCKER_HOST=unix://$tmp/d/docker.sock $run --manifest $tmp/m.json --bottle web --backend docker --image bbtest:latest -- true"
add "  a route, without the agent's go" "env DOCKER_HOST=unix://$tmp/d/docker.sock BOTTLE_AGENT_START=/nonexistent $run --manifest $tmp/m.json --bottle web --backend docker --image bbtest:latest -- true"
add "  a route, as before" "env DOCKER_HOST=unix://$tmp/d/docker.sock $before $run --manifest $tmp/m.json --bottle web --backend docker --image bbtest:latest -- true"
if command -v runsc >/dev/null; then
  # Debian's runsc needs --network=host on kernels >= 6.x (docs/bottle-run.md).
  printf '{"runtimes":{"runsc":{"path":"%s","runtimeArgs":["--network=host","--oci-seccomp"]}}}\n' "$(command -v runsc)" >"$tmp/runsc.json"
  mkdir -p "$tmp/g"
  if "$fixture" start "$tmp/g" --runsc-config "$tmp/runsc.json"; then
    daemons+=("$tmp/g")
    gvisor_ref=${#cmds[@]}
    add "docker run --rm --runtime runsc IMAGE true" "env DOCKER_HOST=unix://$tmp/g/docker.sock docker run --rm --runtime runsc bbtest:latest true"
    add "bottle-run --backend docker (gVisor)" "env DOCKER_HOST=unix://$tmp/g/docker.sock $run --backend docker --image bbtest:latest -- true"
    add "  gVisor, as before" "env DOCKER_HOST=unix://$tmp/g/docker.sock $before $run --backend docker --image bbtest:latest -- true"
    add "bottle-run --backend docker (gVisor), a route" "env DOCKER_HOST=unix://$tmp/g/docker.sock $run --manifest $tmp/m.json --bottle web --backend docker --image bbtest:latest -- true"
    add "  gVisor, a route, as before" "env DOCKER_HOST=unix://$tmp/g/docker.sock $before $run --manifest $tmp/m.json --bottle web --backend docker --image bbtest:latest -- true"
  fi
else echo "runsc: not installed, gVisor rows skipped"; fi

for ((i = 0; i < rounds; i++)); do
  for c in "${!cmds[@]}"; do
    s=$(date +%s%N)
    ${cmds[$c]} </dev/null >/dev/null 2>&1 || { echo "failed: ${cmds[$c]}" >&2; exit 1; }
    e=$(date +%s%N)
    echo "$c $(( (e - s) / 1000 ))" >>"$tmp/times"
  done
done
median() { awk -v c="$1" '$1 == c {print $2}' "$tmp/times" | sort -n | awk '{a[NR]=$1} END {printf "%.0f", a[int((NR+1)/2)]/1000}'; }
base=$(median 0)
printf '%-50s %10s %8s\n' "launch of true (${rounds} rounds)" "median ms" "x docker"
for c in "${!cmds[@]}"; do
  m=$(median "$c")
  ref=$base
  [[ -n ${gvisor_ref:-} ]] && ((c >= gvisor_ref)) && ref=$(median "$gvisor_ref")
  printf '%-50s %10s %8s\n' "${names[$c]}" "$m" "$(awk -v a="$m" -v b="$ref" 'BEGIN {printf "%.2f", a / b}')"
done
