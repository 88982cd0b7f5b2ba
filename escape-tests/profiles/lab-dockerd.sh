# Sourced by the docker profiles' lab scripts (docker-lab.sh,
# bottle-docker-lab.sh): waits for the private dockerd they started in the
# lab, or shows its log and fails.
#   lab_dockerd_wait SOCK STATE
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
