#!/usr/bin/env bash
# Makes sure a Docker engine answers on this machine: installs Debian's docker.io (and debootstrap,
# which `npm run images` uses) when missing, and starts dockerd when none answers. Idempotent;
# needs root for the parts it has to do. Used by CI and by the README's set-up commands.
set -euo pipefail

need=()
command -v dockerd >/dev/null 2>&1 || need+=(docker.io)
command -v debootstrap >/dev/null 2>&1 || need+=(debootstrap)
if ((${#need[@]})); then
  echo "engine-up: installing ${need[*]} from Debian"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
fi

answers() { curl -sf --max-time 2 --unix-socket /var/run/docker.sock http://localhost/_ping >/dev/null 2>&1; }

if ! answers; then
  echo "engine-up: starting dockerd (log: /var/log/deloc-dockerd.log)"
  nohup dockerd >/var/log/deloc-dockerd.log 2>&1 &
  for _ in $(seq 1 120); do
    answers && break
    sleep 0.5
  done
fi
if ! answers; then
  echo "engine-up: dockerd did not answer within 60 s; its log ends with:" >&2
  tail -20 /var/log/deloc-dockerd.log >&2 || true
  exit 1
fi
echo "engine-up: $(curl -s --unix-socket /var/run/docker.sock http://localhost/version | sed -E 's/.*"Version":"([^"]+)".*"ApiVersion":"([^"]+)".*/Docker \1 (API \2)/')"
# Podman's own service beside Docker, for `target: podman` and its tests.
bash "$(dirname "$0")/podman-up.sh"
