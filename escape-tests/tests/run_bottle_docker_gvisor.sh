#!/usr/bin/env bash
# ctest escape.profile.bottle-docker-gvisor: the bottle-docker-gvisor profile
# must read 0 ESCAPED with its positive control reached. Skipped (exit 77,
# with the reason) where runsc is not installed. A probe in ERROR fails it
# too (--expect contained; res.memory was one until the profile named
# runsc's sandbox process as the host process holding the sandbox's memory,
# "memory_process"; docs/docker-backend.md lists the verdicts). The profile itself gives
# probes 10 s each and runs the network probes 4 at a time (probe_timeout_ms,
# probe_jobs): gVisor is slower (where a sandbox refuses threads, each
# probe runs its attempts in child processes instead).
#   run_bottle_docker_gvisor.sh BOTTLE_ESCAPE BOTTLE_PROBE
set -uo pipefail
command -v runsc >/dev/null || { echo "skip: runsc (gVisor) is not installed (apt-get install runsc)"; exit 77; }
command -v dockerd >/dev/null || { echo "skip: dockerd is not installed"; exit 77; }
out=$("$1" run --probe "$2" --sandbox bottle-docker-gvisor --expect contained 2>&1)
rc=$?
echo "$out"
grep -q '^sandbox bottle-docker-gvisor .*probes 10000 ms each' <<<"$out" || { echo "FAIL: the profile's probe deadline was not used"; exit 1; }
summary=$(grep '^bottle-docker-gvisor: ' <<<"$out" | tail -n 1)
[[ $summary == *": 0 escaped,"* ]] || { echo "FAIL: a probe escaped under gVisor"; exit 1; }
[[ $summary == *"positive control: reachable"* ]] || { echo "FAIL: the allowed upstream was not reached"; exit 1; }
[[ $rc == 0 ]] || { echo "FAIL: bottle-escape --expect contained exited $rc (a probe in ERROR?)"; exit 1; }
exit 0
