#!/usr/bin/env bash
# The main job on a fresh Debian/Ubuntu machine: installs what is missing,
# builds, then shows the toolkit on demo inputs:
#   1. bottle-preflight   — is this host ready for each backend?
#   2. bottle-audit       — a demo manifest and a demo smolvm state database
#   3. bottle-escape      — the escape harness attacking a bubblewrap sandbox
#                           in its sealed lab (needs root)
#   4. bottle-run         — a demo bottle (examples/manifests/demo-web.json):
#                           an allowed request goes out through its proxy, a
#                           denied one is refused; all of it inside a network
#                           namespace this script creates and removes
#   5. bottle-escape compare — bottle-native next to bwrap, the table
#   6. only with DEMO_DOCKER=1 (it needs network: a Debian mirror and the npm
#      registry, and the docker daemon of $DOCKER_HOST): the Debian base image
#      from Debian packages (scripts/debian-base-image.sh: debootstrap +
#      docker import) when the daemon lacks it, then the claude provider's
#      agent image built by bottle-run --backend docker from its recipe
#      (npm install inside the build) and `claude --version` run in a bottle
# DEMO_NO_BUILD=1 skips the package setup and the build and uses the build
# directory DEMO_BUILD_DIR (default build/dev) as it is.
set -uo pipefail
source "$(dirname "$0")/as-root.sh"
cd "$(dirname "$0")/.."
bin=${DEMO_BUILD_DIR:-build/dev}
if [[ ${DEMO_NO_BUILD:-0} != 1 ]]; then
  scripts/setup-deps.sh --peers || exit 1
  cmake --preset dev >/dev/null && cmake --build --preset dev || exit 1
fi
step() { printf '\n\033[1m== %s\033[0m\n' "$*"; }

step "bottle-preflight: host prerequisites per backend"
$bin/tools/bottle-preflight/bottle-preflight
echo "(exit $?: 0 ready, 1 something fails — expected without KVM or a docker daemon)"

step "bottle-audit manifest examples/manifests"
$bin/tools/bottle-audit/bottle-audit manifest examples/manifests --fail-on high
echo "(exit $?: 1 = findings at or above 'high')"

step "bottle-audit smolvm on a demo state database"
db=$(mktemp -d)/smolvm.db
sqlite3 "$db" < examples/smolvm-demo.sql >/dev/null
$bin/tools/bottle-audit/bottle-audit smolvm --db "$db"
echo "(exit $?: 1 = findings at or above 'high')"
rm -rf "$(dirname "$db")"

step "bottle-escape: attacking a bubblewrap sandbox from inside, in a sealed lab"
if [[ $(id -u) -ne 0 ]]; then
  echo "skipped: bottle-escape needs root"
  exit 0
fi
$bin/escape-tests/bottle-escape run --sandbox bwrap
echo "(exit $?: 1 = some probes escaped; see docs/escape-scorecard.md for all peers)"

step "bottle-run: a demo bottle (examples/manifests/demo-web.json, bottle demo-web)"
# Everything happens in a network namespace of our own holding only lo: the
# demo upstream (127.0.0.1:18080, the bottle's one route), bottle-egress and
# the bottle. Nothing is sent to any other address.
ns=bbdemo-$$
demo=$(mktemp -d)
cleanup_demo() {
  if [[ -n ${web_pid:-} ]]; then kill "$web_pid" 2>/dev/null; wait "$web_pid" 2>/dev/null; web_pid=; fi
  ip netns del "$ns" 2>/dev/null
  rm -rf "$demo"
}
trap cleanup_demo EXIT
mkdir -p "$demo/www" "$demo/state"
echo "hello from the demo upstream" > "$demo/www/hello.txt"
if ip netns add "$ns" && ip -n "$ns" link set lo up; then
  ip netns exec "$ns" python3 -m http.server --bind 127.0.0.1 --directory "$demo/www" 18080 \
    >"$demo/web.log" 2>&1 &
  web_pid=$!
  for _ in $(seq 50); do
    ip netns exec "$ns" bash -c 'exec 3<>/dev/tcp/127.0.0.1/18080' 2>/dev/null && break
    sleep 0.1
  done
  # XDG_RUNTIME_DIR: the bottle's state and its proxy's decision log go there.
  ip netns exec "$ns" env XDG_RUNTIME_DIR="$demo/state" "$bin/tools/bottle-run/bottle-run" \
    --manifest examples/manifests/demo-web.json --bottle demo-web -- \
    sh -c 'echo "in the bottle: HTTP_PROXY=$HTTP_PROXY"
           printf "allowed  http://127.0.0.1:18080/hello.txt -> "; curl -sS http://127.0.0.1:18080/hello.txt
           printf "denied   http://denied.example/ -> HTTP "; curl -sS -o /dev/null -w "%{http_code}\n" http://denied.example/
           printf "bypass   (no proxy) 127.0.0.1:18080 -> "; curl -sS --noproxy "*" -m 3 http://127.0.0.1:18080/ 2>&1 | head -1'
  echo "(bottle-run exit $?)"
  echo "the proxy's decision log:"
  cat "$demo"/state/bot-bottle/*.egress.log 2>/dev/null || echo "(no decision log found)"
else
  echo "skipped: could not create the network namespace $ns"
fi
cleanup_demo
trap - EXIT

step "bottle-escape compare: bottle-native next to bwrap, in the sealed lab"
PATH="$PWD/$bin/tools/bottle-run:$PWD/$bin/tools/bottle-egress:$PATH" \
  $bin/escape-tests/bottle-escape compare --sandbox bottle-native --sandbox bwrap
echo "(exit $?: 0 = both runs completed; the table counts ESCAPED and EXPOSED apart)"

if [[ ${DEMO_DOCKER:-0} == 1 ]]; then
  step "bottle-run --backend docker: the agent image from Debian packages and npm, built locally"
  base=bot-bottle/debian:bookworm
  if ! docker image inspect "$base" >/dev/null 2>&1; then
    scripts/debian-base-image.sh "$base" || { echo "(the base image could not be made; see above)"; exit 1; }
  fi
  # A bottle whose recipe is the claude provider's (a dockerfile path must be absolute).
  demo_docker=$(mktemp -d)
  printf '{"bottles": {"claude-image": {"dockerfile": "%s"}}}\n' "$PWD/share/providers/images/claude/Dockerfile" >"$demo_docker/m.json"
  XDG_RUNTIME_DIR="$demo_docker" "$bin/tools/bottle-run/bottle-run" --backend docker \
    --manifest "$demo_docker/m.json" --bottle claude-image -- claude --version
  echo "(bottle-run exit $?; a second run reuses the image: nothing is built)"
  rm -rf "$demo_docker"
else
  echo
  echo "(DEMO_DOCKER=1 adds the docker backend's agent image: debootstrap + docker import, npm inside the build; it needs network)"
fi
