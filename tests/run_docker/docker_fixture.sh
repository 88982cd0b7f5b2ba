#!/usr/bin/env bash
# A private dockerd for the docker backend's lifecycle tests, inside a network
# namespace of its own (no link to any other network: nothing the daemon or a
# container sends can leave it) and a mount namespace of its own. Nothing is
# pulled: the test image is a tar of a static busybox, imported.
#   docker_fixture.sh start DIR [--runsc-config DAEMON_JSON | --default-bridge]
#                                           prints nothing on success; DIR/docker.sock
#   docker_fixture.sh stop DIR              kills only the daemon it started (DIR/docker.pid), removes the netns
#                                           and the daemon's own cgroup parent (DIR/cgroup)
# --default-bridge: the daemon keeps its default bridge (a stock install's
# `docker run` network; still inside the namespace, with no link out).
# Exit 77 (skip) with the reason when this machine cannot run it.
set -euo pipefail
cmd=$1 dir=$2
case "$cmd" in
start)
  for tool in dockerd docker ip nsenter unshare busybox; do
    command -v "$tool" >/dev/null || { echo "skip: $tool is not installed"; exit 77; }
  done
  [[ $(id -u) == 0 ]] || { echo "skip: starting a private dockerd needs root"; exit 77; }
  runtime=()
  bridge=(--bridge=none)
  if [[ ${3:-} == --default-bridge ]]; then bridge=()
  elif [[ ${3:-} == --runsc-config ]]; then
    # A daemon.json that registers runsc (with the runtimeArgs it needs here).
    command -v runsc >/dev/null || { echo "skip: runsc (gVisor) is not installed: apt-get install runsc"; exit 77; }
    runtime=(--config-file "$4")
  fi
  mkdir -p "$dir/data" "$dir/exec" "$dir/rootfs/bin" "$dir/rootfs/tmp" "$dir/rootfs/etc"
  ns="bbdk-$$-$RANDOM"
  ip netns add "$ns"
  echo "$ns" >"$dir/netns"
  # The containers' cgroups under a parent of this daemon's own, removed at stop.
  echo "/$ns" >"$dir/cgroup"
  ip -n "$ns" link set lo up
  # Its own mount namespace (slave: the host's mounts stay visible, the
  # daemon's overlays do not leak out); /sys stays the host's so the cgroup
  # hierarchy is there.
  nsenter --net="/run/netns/$ns" unshare -m --propagation slave setsid dockerd \
    --data-root "$dir/data" --exec-root "$dir/exec" --pidfile "$dir/docker.pid" -H "unix://$dir/docker.sock" \
    --userland-proxy=false --cgroup-parent "/$ns" "${bridge[@]}" "${runtime[@]}" >"$dir/dockerd.log" 2>&1 </dev/null &
  for _ in $(seq 1 150); do
    docker -H "unix://$dir/docker.sock" version --format '{{.Server.Version}}' >/dev/null 2>&1 && break
    sleep 0.1
  done
  if ! docker -H "unix://$dir/docker.sock" version >/dev/null 2>&1; then
    echo "dockerd did not come up; its log:"; tail -n 20 "$dir/dockerd.log"; exit 1
  fi
  cp "$(command -v busybox)" "$dir/rootfs/bin/busybox"
  for t in sh ls cat id sleep true false nc env grep; do ln -sf busybox "$dir/rootfs/bin/$t"; done
  chmod 1777 "$dir/rootfs/tmp"
  tar -C "$dir/rootfs" -cf - . | docker -H "unix://$dir/docker.sock" import - bbtest:latest >/dev/null
  ;;
stop)
  if [[ -f "$dir/docker.pid" ]]; then
    pid=$(cat "$dir/docker.pid")
    docker -H "unix://$dir/docker.sock" ps -aq 2>/dev/null | xargs -r docker -H "unix://$dir/docker.sock" rm -f >/dev/null 2>&1 || true
    kill -TERM "$pid" 2>/dev/null || true
    for _ in $(seq 1 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    kill -KILL "$pid" 2>/dev/null || true
  fi
  [[ -f "$dir/netns" ]] && ip netns delete "$(cat "$dir/netns")" 2>/dev/null || true
  if [[ -f "$dir/cgroup" ]]; then  # empty once the daemon's containers are gone
    parent=$(cat "$dir/cgroup")
    for cg in /sys/fs/cgroup/*"$parent" /sys/fs/cgroup"$parent"; do [[ -d $cg ]] && { rmdir "$cg" 2>/dev/null || true; }; done
    true
  fi
  # the daemon's overlay mounts lived in its own mount namespace: gone with it
  rm -rf "$dir" 2>/dev/null || true
  ;;
*) echo "usage: docker_fixture.sh start DIR [--runsc-config DAEMON_JSON] | stop DIR" >&2; exit 2 ;;
esac
