# Sourced by the docker profiles' lab scripts (docker-lab.sh,
# bottle-docker-lab.sh): waits for the private dockerd they started in the
# lab, or shows its log and fails.
#   lab_dockerd_wait SOCK STATE
# and gives the daemon's containers a cgroup parent of the run's own
# (dockerd's default, /docker, stays behind on the host, empty), which the
# teardown removes:
#   parent=$(lab_cgroup_parent STATE NONCE)   ... dockerd --cgroup-parent "$parent"
#   lab_cgroup_cleanup STATE                  once the daemon is gone
lab_dockerd_wait() {
  local sock=$1 state=$2
  for _ in $(seq 1 150); do
    docker -H "$sock" version --format '{{.Server.Version}}' >/dev/null 2>&1 && break
    sleep 0.2
  done
  if ! docker -H "$sock" version --format 'dockerd {{.Server.Version}}'; then
    echo "dockerd did not come up; its log:" >&2
    tail -n 30 "$state/dockerd.log" >&2
    return 1
  fi
}

lab_cgroup_parent() {
  echo "/bbx-$2" >"$1/cgroup"
  echo "/bbx-$2"
}

lab_cgroup_cleanup() {
  local parent cg
  parent=$(cat "$1/cgroup" 2>/dev/null) || return 0
  for cg in /sys/fs/cgroup/*"$parent" /sys/fs/cgroup"$parent"; do
    [[ -d $cg ]] && { rmdir "$cg" 2>/dev/null || true; }
  done
  return 0
}
