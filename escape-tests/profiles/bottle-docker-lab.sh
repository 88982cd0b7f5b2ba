#!/usr/bin/env bash
# A private dockerd for the bottle-docker profiles, inside the escape lab (its
# network, mount and IPC namespaces): the daemon's networks, NAT rules and
# containers exist only in the lab. Unlike docker-lab.sh it has no default
# bridge (--bridge=none): bottle-run makes the bottle's networks itself. Under
# runc the agent has none (the socket topology); in the network topology
# (gVisor) the profile pins the bottle's internal network to 10.200.1.0/24
# (gateway 10.200.1.1, never assigned), the container network bottle-probe's
# route guard accepts (lab/route_guard.hpp). The sidecar's outbound network
# (a /24 of 172.30.0.0/16 bottle-run picks) leaves, masqueraded, through the
# lab's own default route. Nothing is
# pulled: the agent image is busybox (static) and bottle-probe, imported;
# bottle-run imports the sidecar image from bottle-egress-static itself.
# With BOTTLE_RUN and MANIFEST, the setup launches the bottle once (`sh -c :`)
# and waits until that launch's reaper has left a sidecar waiting in the pool
# ($XDG_RUNTIME_DIR/bot-bottle/docker-pool): the profile's own launch then
# takes the pooled sidecar, the path every launch but a host's first takes.
#   bottle-docker-lab.sh setup STATE PROBE NONCE [runc|runsc [BOTTLE_RUN MANIFEST]]
#   bottle-docker-lab.sh teardown STATE
set -euo pipefail
source "$(dirname "$0")/lab-dockerd.sh"
cmd=$1 state=$2
sock="unix://$state/docker.sock"
case "$cmd" in
setup)
  probe=$3 nonce=$4 runtime=${5:-}
  mkdir -p "$state/data" "$state/exec" "$state/rootfs/bin" "$state/rootfs/tmp" "$state/rootfs/etc"
  config=()
  if [[ $runtime == runsc ]]; then
    runsc=$(command -v runsc) || { echo "runsc (gVisor) is not installed: apt-get install runsc" >&2; exit 1; }
    # --network=host: Debian's runsc (20221219) takes every network namespace
    # of a newer kernel for the root one (it tests for
    # /proc/sys/net/core/rmem_default, which kernels >= 6.x have in each
    # namespace) and refuses its own network stack there. With host
    # networking the sandbox uses the container's network namespace through
    # the host kernel: the bottle's networks stay exactly as for runc.
    # --oci-seccomp: apply the container's seccomp profile inside the sandbox
    # too (gVisor ignores it by default), so the bottle's deny list holds
    # under gVisor's kernel as under the host's.
    printf '{"runtimes": {"runsc": {"path": "%s", "runtimeArgs": ["--network=host", "--oci-seccomp"]}}}\n' "$runsc" >"$state/daemon.json"
    config=(--config-file "$state/daemon.json")
  fi
  # setsid + redirections: the daemon must not hold the launcher's pipes.
  setsid dockerd "${config[@]}" --data-root "$state/data" --exec-root "$state/exec" --pidfile "$state/docker.pid" \
    --cgroup-parent "$(lab_cgroup_parent "$state" "$nonce")" -H "$sock" --userland-proxy=false --bridge=none --default-address-pool base=10.201.0.0/16,size=24 \
    >"$state/dockerd.log" 2>&1 </dev/null &
  lab_dockerd_wait "$sock" "$state" || exit 1
  if [[ $runtime == runsc ]] && ! docker -H "$sock" info --format '{{json .Runtimes}}' | grep -q '"runsc"'; then
    echo "runsc is not registered with the lab's dockerd" >&2
    exit 1
  fi
  busybox=$(command -v busybox)
  [[ -n "$busybox" ]] || { echo "busybox (static) is needed: apt-get install busybox-static" >&2; exit 1; }
  cp "$busybox" "$state/rootfs/bin/busybox"
  for tool in sh ls cat id; do ln -sf busybox "$state/rootfs/bin/$tool"; done
  cp "$probe" "$state/rootfs/bottle-probe"
  chmod 1777 "$state/rootfs/tmp"
  tar -C "$state/rootfs" -cf - . | docker -H "$sock" import - "bbx-probe:$nonce" >/dev/null
  echo "imported bbx-probe:$nonce"
  if [[ -n ${6:-} ]]; then
    "$6" --manifest "$7" --bottle lab --backend docker --image "bbx-probe:$nonce" -- sh -c : </dev/null
    for _ in $(seq 1 200); do
      compgen -G "${XDG_RUNTIME_DIR:?}/bot-bottle/docker-pool/*.json" >/dev/null && break
      sleep 0.1
    done
    compgen -G "$XDG_RUNTIME_DIR/bot-bottle/docker-pool/*.json" >/dev/null || { echo "no sidecar was left waiting in the pool" >&2; exit 1; }
    echo "a sidecar waits in the pool"
  fi
  ;;
teardown)
  docker -H "$sock" ps -aq 2>/dev/null | xargs -r docker -H "$sock" rm -f >/dev/null 2>&1 || true
  docker -H "$sock" network ls -q --filter label=bot-bottle.id 2>/dev/null | xargs -r docker -H "$sock" network rm >/dev/null 2>&1 || true
  if [[ -f "$state/docker.pid" ]]; then
    pid=$(cat "$state/docker.pid")
    kill -TERM "$pid" 2>/dev/null || true
    for _ in $(seq 1 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.2; done
  fi
  lab_cgroup_cleanup "$state"
  ;;
*) echo "usage: bottle-docker-lab.sh setup STATE PROBE NONCE [runsc] | teardown STATE" >&2; exit 2 ;;
esac
