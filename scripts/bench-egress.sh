#!/usr/bin/env bash
# bottle-egress against a plain read/write relay, tinyproxy and Squid, side by
# side (bench/egress_bench.cpp): builds the bench and the proxy, runs the
# tunnel benchmarks RUNS times and prints the median of each figure (with
# min-max) in one table. tinyproxy/Squid rows say "skipped" unless installed
# (scripts/setup-deps.sh --bench). All traffic stays on 127.0.0.x.
# Usage: scripts/bench-egress.sh [-n RUNS] [-B BUILD_DIR]   (default: -n 3 -B build/dev)
set -euo pipefail
cd "$(dirname "$0")/.."
runs=3 build=build/dev
while (($#)); do
  case $1 in
    -n) runs=$2; shift 2 ;;
    -B) build=$2; shift 2 ;;
    *) echo "usage: $0 [-n RUNS] [-B BUILD_DIR]" >&2; exit 2 ;;
  esac
done
[[ -f $build/CMakeCache.txt ]] || { echo "configure first: cmake --preset dev -B $build" >&2; exit 2; }
# Builds share the machine: one at a time, and none while measuring. The
# build lock is held from the build to the last run, so run this script
# as is (wrapped in another `flock` on the same file it would wait forever).
exec 9>/tmp/bottle-build.lock
flock 9
cmake --build "$build" -j2 --target bottle_bench bottle-egress >/dev/null
# BOTTLE_EGRESS_BINARY may name another build of the proxy (a before/after comparison).
export BOTTLE_EGRESS_BINARY=${BOTTLE_EGRESS_BINARY:-$PWD/$build/tools/bottle-egress/bottle-egress}
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
echo "load before: $(cut -d' ' -f1-3 /proc/loadavg); $runs run(s)" >&2
for i in $(seq 1 "$runs"); do
  "$build/bench/bottle_bench" --benchmark_filter='EgressTunnel|EgressIdle' \
    --benchmark_format=json --benchmark_out="$out/run$i.json" --benchmark_out_format=json >/dev/null 2>"$out/run$i.err" ||
    { cat "$out/run$i.err" >&2; exit 1; }
done
echo "load after:  $(cut -d' ' -f1-3 /proc/loadavg)" >&2
python3 - "$out" <<'PY'
import glob, json, statistics, sys
rows = {}  # (measure, peer) -> [values]
skipped = {}
def add(m, p, v): rows.setdefault((m, p), []).append(v)
for f in sorted(glob.glob(sys.argv[1] + "/run*.json")):
    for b in json.load(open(f))["benchmarks"]:
        name = b["name"].split("/")
        bench, peer = name[0], name[1]
        if b.get("error_occurred"):
            skipped[peer] = b.get("error_message", "skipped"); continue
        if bench == "BM_EgressTunnelBulk":
            add("bulk tunnel, GB/s", peer, b["bytes_per_second"] / 1e9)
        elif bench == "BM_EgressTunnelPingPong":
            add("64-byte round trip p50, us", peer, b["p50_us"]); add("64-byte round trip p99, us", peer, b["p99_us"])
            add("64-byte round trip mean, us", peer, b["real_time"])
        elif bench == "BM_EgressTunnelSetup":
            add("set-up p50, us", peer, b["p50_us"]); add("set-up p99, us", peer, b["p99_us"])
            add("tunnels/s", peer, b["items_per_second"])
        elif bench == "BM_EgressIdleTunnelMemory":
            add("RSS per idle tunnel, KiB", peer, b["rss_kib_per_tunnel"])
peers = ["bottle_egress", "plain_relay", "tinyproxy", "squid"]
measures = ["bulk tunnel, GB/s", "64-byte round trip p50, us", "64-byte round trip p99, us", "64-byte round trip mean, us", "set-up p50, us", "set-up p99, us", "tunnels/s", "RSS per idle tunnel, KiB"]
def cell(m, p):
    v = rows.get((m, p))
    if not v: return "skipped"
    fmt = (lambda x: f"{x:.2f}") if "GB/s" in m else (lambda x: f"{x:.0f}" if x >= 100 else f"{x:.1f}")
    return fmt(statistics.median(v)) + ("" if len(v) == 1 else f" ({fmt(min(v))}-{fmt(max(v))})")
print(f"{'median (min-max)':30}" + "".join(f"{p:>22}" for p in peers))
for m in measures:
    print(f"{m:30}" + "".join(f"{cell(m, p):>22}" for p in peers))
bulk = rows.get(("bulk tunnel, GB/s", "bottle_egress")); plain = rows.get(("bulk tunnel, GB/s", "plain_relay"))
rt = rows.get(("64-byte round trip p50, us", "bottle_egress")); rtp = rows.get(("64-byte round trip p50, us", "plain_relay"))
if bulk and plain:
    print(f"bulk ratio bottle-egress / plain relay (medians): {statistics.median(bulk) / statistics.median(plain):.2f} (target >= 0.85)")
if rt and rtp:
    print(f"added round trip over plain relay (medians of the per-run p50): {statistics.median(rt) - statistics.median(rtp):+.1f} us (target <= 10)")
for p, why in sorted(skipped.items()):
    print(f"{p}: {why}")
PY
