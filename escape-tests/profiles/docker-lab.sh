#!/usr/bin/env bash
# Starts and stops a private dockerd for the docker profile. Runs inside the
# escape lab (its network, mount and IPC namespaces), so the daemon's bridge,
# NAT rules and containers exist only in the lab. Nothing is pulled: the image
# is imported from a local rootfs holding busybox (static) and bottle-probe.
# The bridge is 10.200.1.0/24 with gateway 10.200.1.1: the one container
# gateway bottle-probe's route guard accepts (lab/route_guard.hpp).
#   docker-lab.sh setup STATE PROBE NONCE
#   docker-lab.sh teardown STATE
set -euo pipefail
source "$(dirname "$0")/lab-dockerd.sh"
cmd=$1 state=$2
sock="unix://$state/docker.sock"
case "$cmd" in
setup)
  probe=$3 nonce=$4
  mkdir -p "$state/data" "$state/exec" "$state/rootfs/bin" "$state/rootfs/tmp" "$state/rootfs/etc"
  # setsid + redirections: the daemon must not hold the launcher's pipes.
  setsid dockerd --data-root "$state/data" --exec-root "$state/exec" --pidfile "$state/docker.pid" \
    --cgroup-parent "$(lab_cgroup_parent "$state" "$nonce")" -H "$sock" --userland-proxy=false --bip 10.200.1.1/24 --fixed-cidr 10.200.1.16/28 \
    --default-address-pool base=10.200.1.0/24,size=24 \
    >"$state/dockerd.log" 2>&1 </dev/null &
  lab_dockerd_wait "$sock" "$state" || exit 1
  busybox=$(command -v busybox)
  [[ -n "$busybox" ]] || { echo "busybox (static) is needed: apt-get install busybox-static" >&2; exit 1; }
  cp "$busybox" "$state/rootfs/bin/busybox"
  for tool in sh ls cat id; do ln -sf busybox "$state/rootfs/bin/$tool"; done
  cp "$probe" "$state/rootfs/bottle-probe"
  chmod 1777 "$state/rootfs/tmp"
  # The sibling container's sink: what a connection brings is appended as it
  # arrives to $state/sinks/sibling, which the runner reads (host.sibling).
  printf '#!/bin/sh\nexec cat >> /sinks/sibling\n' >"$state/rootfs/bin/sibling-sink"
  chmod 755 "$state/rootfs/bin/sibling-sink"
  ln -sf busybox "$state/rootfs/bin/nc"
  tar -C "$state/rootfs" -cf - . | docker -H "$sock" import - "bbx-probe:$nonce" >/dev/null
  echo "imported bbx-probe:$nonce"
  # A sibling container on the same bridge, started first so it gets the
  # first address of --fixed-cidr: 10.200.1.16 (lab_plan.hpp sibling_bridge_v4).
  mkdir -p "$state/sinks"
  : >"$state/sinks/sibling"
  docker -H "$sock" run -d --rm --name "bbx-sibling-$nonce" -v "$state/sinks:/sinks" "bbx-probe:$nonce" \
    /bin/nc -ll -p 7003 -e /bin/sibling-sink >/dev/null
  ip=$(docker -H "$sock" inspect -f '{{.NetworkSettings.IPAddress}}' "bbx-sibling-$nonce")
  [[ $ip == 10.200.1.16 ]] || { echo "the sibling container got $ip, not 10.200.1.16" >&2; exit 1; }
  # It must answer before the sandbox starts (a dead sink would turn an escape into BLOCKED).
  for _ in $(seq 1 50); do
    echo "bbx-heartbeat sibling-setup" | timeout 2 busybox nc 10.200.1.16 7003 >/dev/null 2>&1 || true
    grep -q "bbx-heartbeat sibling-setup" "$state/sinks/sibling" && break
    sleep 0.1
  done
  grep -q "bbx-heartbeat sibling-setup" "$state/sinks/sibling" || { echo "the sibling container's sink does not answer" >&2; exit 1; }
  echo "sibling container at $ip:7003"
  ;;
teardown)
  docker -H "$sock" ps -aq 2>/dev/null | xargs -r docker -H "$sock" rm -f >/dev/null 2>&1 || true
  if [[ -f "$state/docker.pid" ]]; then
    pid=$(cat "$state/docker.pid")
    kill -TERM "$pid" 2>/dev/null || true
    for _ in $(seq 1 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.2; done
  fi
  lab_cgroup_cleanup "$state"
  ;;
*) echo "usage: docker-lab.sh setup STATE PROBE NONCE | teardown STATE" >&2; exit 2 ;;
esac
