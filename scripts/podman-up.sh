#!/usr/bin/env bash
# Makes sure Podman's API service answers on this machine, for `target: podman` and its tests:
# installs Debian's podman with netavark and aardvark-dns (DNS between a stack's containers) when
# missing, and starts `podman system service` on the rootful socket when nothing answers there.
# For machines without systemd (CI containers, WSL without it): the cgroupfs cgroup manager, the
# file events backend, and file-descriptor and process limits the machine allows (Podman asks
# for 1048576 open files as root, which a lower hard limit refuses at every container start). Those settings are in a file
# of DELoc's (CONTAINERS_CONF for this service only); the system's containers.conf is untouched.
# Idempotent; needs root. Called by scripts/engine-up.sh.
set -euo pipefail

SOCKET=/run/podman/podman.sock
CONF=/etc/deloc/podman-containers.conf
LOG=/var/log/deloc-podman.log

need=()
command -v podman >/dev/null 2>&1 || need+=(podman)
[[ -x /usr/lib/podman/netavark ]] || need+=(netavark)
[[ -x /usr/lib/podman/aardvark-dns ]] || need+=(aardvark-dns)
command -v catatonit >/dev/null 2>&1 || need+=(catatonit)
if ((${#need[@]})); then
  echo "podman-up: installing ${need[*]} from Debian"
  t0=$SECONDS
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
  echo "podman-up: installed in $((SECONDS - t0)) s"
fi

answers() { curl -sf --max-time 2 --unix-socket "$SOCKET" http://d/_ping >/dev/null 2>&1; }

# limits NOFILE NPROC: DELoc's containers.conf for the service, containers capped at these.
write_conf() {
  cat > "$CONF" <<CONF
# Written by DELoc's scripts/podman-up.sh for its Podman service (CONTAINERS_CONF).
[containers]
default_ulimits = ["nofile=$1:$1", "nproc=$2:$2"]
[engine]
cgroup_manager = "$([[ -d /run/systemd/system ]] && echo systemd || echo cgroupfs)"
events_logger = "file"
[network]
network_backend = "netavark"
CONF
}

start() {
  CONTAINERS_CONF=$CONF setsid nohup podman system service --time=0 "unix://$SOCKET" >"$LOG" 2>&1 &
  pid=$!
  for _ in $(seq 1 60); do
    answers && return
    sleep 0.5
  done
}

# The hard limit of a resource for a process, as a number.
hard() { awk -v r="$2" '$0 ~ r { print ($(NF - 1) == "unlimited" ? 1048576 : $(NF - 1)) }' "/proc/$1/limits"; }

if ! answers; then
  mkdir -p "$(dirname "$CONF")" "$(dirname "$SOCKET")"
  echo "podman-up: starting podman system service (log: $LOG)"
  write_conf 1048576 1048576
  start
  # The service may run with lower limits than asked (no CAP_SYS_RESOURCE in a container, a
  # limit it sets itself): its containers then get exactly the service's own.
  nofile=$(hard "$pid" "Max open files") nproc=$(hard "$pid" "Max processes")
  if [[ -n $nofile && -n $nproc && ($nofile != 1048576 || $nproc != 1048576) ]]; then
    kill "$pid" && wait "$pid" 2>/dev/null || true
    write_conf "$nofile" "$nproc"
    start
  fi
fi
if ! answers; then
  echo "podman-up: podman system service did not answer within 30 s; its log ends with:" >&2
  tail -20 "$LOG" >&2 || true
  exit 1
fi
echo "podman-up: $(curl -s --unix-socket "$SOCKET" http://d/version | sed -E 's/.*"Name":"Podman Engine","Version":"([^"]+)".*/Podman \1/')"
