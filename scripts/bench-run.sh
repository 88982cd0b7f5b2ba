#!/usr/bin/env bash
# Median wall time of launching `true` in a sandbox, side by side in one run:
# bottle-run (no routes: no proxy; with a route: bottle-egress started too)
# bubblewrap with --unshare-all --ro-bind / /, firejail, docker (a private
# daemon), Codex's sandbox and sandbox-runtime where usable. The commands are timed
# round-robin (one run of each per round), so load on a shared machine
# weighs on all of them alike. Peers that are not installed are skipped.
# Each launch is timed by the shell itself ($EPOCHREALTIME: no `date`
# process inside the interval).
#
# Then the time to the first byte through the proxy from a fresh bottle:
# a one-response HTTP server on the host's loopback, a bottle whose only
# route is that server, and `curl` as the bottle's agent; per round, from
# the start of bottle-run to the moment the server sends its first byte
# (which reaches the agent one relay hop later), and curl's own time to
# first byte (from its start: connect to the proxy, which may still be
# starting, the proxy's decision and connect, the answer). Needs curl and
# python3; traffic stays on loopback.
#   scripts/bench-run.sh [BUILD_DIR] [ROUNDS]
set -euo pipefail
build=${1:-build/dev}
rounds=${2:-50}
run=$build/tools/bottle-run/bottle-run
[[ -x $run ]] || { echo "build bottle-run first ($run)" >&2; exit 2; }
# bottle-run's state files (launch record, running state, the proxy's
# decision log) go under $XDG_RUNTIME_DIR, a tmpfs on systemd hosts
# (/run/user/UID): the bench's is on /dev/shm when that is a tmpfs.
# BENCH_RUNTIME_PARENT=/tmp (say) times them on a disk's filesystem instead
# (on an ext4 with many recently deleted inodes, each file created costs
# more than the rest of the launch's file work).
parent=${BENCH_RUNTIME_PARENT:-}
if [[ -z $parent ]]; then
  parent=/tmp
  [[ $(stat -f -c %T /dev/shm 2>/dev/null) == tmpfs ]] && parent=/dev/shm
fi
tmp=$(mktemp -d "$parent/bench-run.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
echo "state under $tmp ($(stat -f -c %T "$tmp"))"
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
# docker: a private daemon of the bench's own (tests/run_docker/docker_fixture.sh:
# its own network namespace, a busybox image imported, nothing pulled), as
# root where dockerd is installed; stopped on exit.
here=$(cd "$(dirname "$0")/.." && pwd)
docker_lab=""
if [[ $(id -u) == 0 ]] && command -v dockerd >/dev/null && command -v docker >/dev/null; then
  docker_lab=$(mktemp -d /tmp/bench-run-docker.XXXXXX)
  if "$here/tests/run_docker/docker_fixture.sh" start "$docker_lab" >/dev/null 2>&1; then
    names+=("docker run --rm --network none busybox true")
    cmds+=("docker -H unix://$docker_lab/docker.sock run --rm --network none bbtest:latest true")
  else echo "docker: the private daemon did not start, skipped"; fi
else echo "docker: needs root and dockerd for the bench's private daemon, skipped"; fi
upstream_PID=""
cleanup() {
  [[ -n $upstream_PID ]] && kill "$upstream_PID" 2>/dev/null
  [[ -n $docker_lab ]] && "$here/tests/run_docker/docker_fixture.sh" stop "$docker_lab" >/dev/null 2>&1
  rm -rf "$tmp"
}
trap cleanup EXIT
# Codex's sandbox and sandbox-runtime (srt): from PATH or the checkout's
# node_modules (scripts/setup-deps.sh --peers), run as their users run them.
peer_bin() { command -v "$1" 2>/dev/null || { [[ -x $here/node_modules/.bin/$1 ]] && echo "$here/node_modules/.bin/$1"; }; }
if codex=$(peer_bin codex) && "$codex" sandbox -- true >/dev/null 2>&1; then
  names+=("codex sandbox -- true"); cmds+=("$codex sandbox -- true")
else echo "codex: not installed or its sandbox does not run here, skipped"; fi
echo '{"network":{"allowedDomains":["api.example.com"],"deniedDomains":[]},"filesystem":{"denyRead":[],"allowWrite":["."],"denyWrite":[]}}' > "$tmp/srt.json"
if srt=$(peer_bin srt) && "$srt" -s "$tmp/srt.json" -c true >/dev/null 2>&1; then
  names+=("srt -c true (sandbox-runtime)"); cmds+=("$srt -s $tmp/srt.json -c true")
else echo "srt: not installed or it does not run here, skipped"; fi

usec() { local t=$EPOCHREALTIME; echo "${t/./}"; }
median_ms() { sort -n | awk '{a[NR]=$1} END {printf "%.2f", a[int((NR+1)/2)]/1000}'; }
for ((i = 0; i < rounds; i++)); do
  for c in "${!cmds[@]}"; do
    s=$(usec)
    ${cmds[$c]} >/dev/null 2>&1 || { echo "failed: ${cmds[$c]}" >&2; exit 1; }
    e=$(usec)
    echo "$c $((e - s))" >> "$tmp/times"
  done
done
egress=$build/tools/bottle-egress/bottle-egress
[[ -x $egress-static && ! $egress-static -ot $egress ]] && egress=$egress-static
echo "bottle-run's proxy: $(basename "$egress") (the launcher's choice: see docs/bottle-run.md)"
printf '%-44s %10s\n' "sandbox" "median ms"
for c in "${!cmds[@]}"; do
  m=$(awk -v c="$c" '$1 == c {print $2}' "$tmp/times" | median_ms)
  printf '%-44s %10s\n' "${names[$c]}" "$m"
done

# Time to the first byte through the proxy from a fresh bottle.
if ! command -v curl >/dev/null || ! command -v python3 >/dev/null || [[ ! -x $build/tools/bottle-egress/bottle-egress ]]; then
  echo "first byte through the proxy: needs curl, python3 and bottle-egress, skipped"
  exit 0
fi
cat > "$tmp/upstream.py" <<'PY'
import http.server, sys, time
class H(http.server.BaseHTTPRequestHandler):
    def do_GET(self):
        sent = time.time_ns() // 1000
        self.send_response(200)
        self.send_header("Content-Length", "3")
        self.end_headers()
        self.wfile.write(b"hi\n")
        with open(sys.argv[1], "a") as f:
            f.write(f"{sent}\n")
    def log_message(self, *args):
        pass
s = http.server.HTTPServer(("127.0.0.1", 0), H)
print(s.server_address[1], flush=True)
s.serve_forever()
PY
coproc upstream { exec python3 "$tmp/upstream.py" "$tmp/sent"; }
read -r port <&"${upstream[0]}"
echo "{\"bottles\":{\"ttfb\":{\"egress\":[{\"host\":\"127.0.0.1\",\"ports\":[$port]}]}}}" > "$tmp/ttfb.json"
# Two agents: curl (as an agent would), and bash writing the request to the
# proxy itself through /dev/tcp (no HTTP library to load: closer to the
# bottle's own share of the time).
raw_get='exec 3<>/dev/tcp/127.0.0.1/${HTTP_PROXY##*:} && printf "GET http://127.0.0.1:%s/ HTTP/1.1\r\nHost: 127.0.0.1:%s\r\nConnection: close\r\n\r\n" "$0" "$0" >&3 && head -c 12 <&3'
first_byte() {  # first_byte NAME COMMAND...: one launch; appends to $tmp/ttfb_NAME
  local name=$1 s sent out
  shift
  : > "$tmp/sent"
  s=$(usec)
  out=$("$run" --manifest "$tmp/ttfb.json" --bottle ttfb -- "$@" 2>/dev/null) || { echo "failed: $name through bottle-run's proxy" >&2; exit 1; }
  sent=$(head -1 "$tmp/sent")
  [[ -n $sent ]] || { echo "$name: the upstream saw no request" >&2; exit 1; }
  echo "$((sent - s))" >> "$tmp/ttfb_$name"
  [[ $name == curl ]] && awk -v t="$out" 'BEGIN {printf "%d\n", t * 1000000}' >> "$tmp/ttfb_curl_own"
  return 0
}
for ((i = 0; i < rounds; i++)); do
  first_byte curl curl -sS -o /dev/null -w '%{time_starttransfer}' "http://127.0.0.1:$port/"
  first_byte bash bash -c "$raw_get" "$port"
done
printf '%-44s %10s\n' "first byte through the proxy" "median ms"
printf '%-44s %10s\n' "curl: from the start of bottle-run" "$(median_ms < "$tmp/ttfb_curl")"
printf '%-44s %10s\n' "curl: from its own start in the bottle" "$(median_ms < "$tmp/ttfb_curl_own")"
printf '%-44s %10s\n' "bash /dev/tcp: from the start of bottle-run" "$(median_ms < "$tmp/ttfb_bash")"
