#!/usr/bin/env bash
# Copies images from the Docker engine into Podman's storage under the same names, as Podman's
# Docker-compatible API resolves them (`postgres:17` is docker.io/library/postgres:17 there):
#   bash scripts/podman-load.sh postgres:17 busybox:1.37
# An image already in Podman with the same image ID is skipped. No registry is needed: the tests
# build their images on Docker (`npm run images`) and load the ones their Podman runs use.
set -euo pipefail

# docker.io/library/x:tag for x:tag, docker.io/a/b:tag for a/b:tag; a registry host is kept.
qualified() {
  local ref=$1 first=${1%%/*}
  if [[ $ref != */* ]]; then echo "docker.io/library/$ref"
  elif [[ $first == *.* || $first == *:* || $first == localhost ]]; then echo "$ref"
  else echo "docker.io/$ref"; fi
}

for image in "$@"; do
  id=$(docker image inspect --format '{{.Id}}' "$image" 2>/dev/null) || {
    echo "podman-load: $image is not on the Docker engine (npm run images builds the test images)" >&2
    exit 1
  }
  id=${id#sha256:}
  name=$(qualified "$image")
  have=$(podman image inspect --format '{{.Id}}' "$name" 2>/dev/null || true)
  if [[ $have == "$id" ]]; then
    echo "podman-load: $name up to date"
    continue
  fi
  t0=$SECONDS
  docker save "$image" | podman load -q >/dev/null
  podman tag "$id" "$name"
  # `podman load` names an image without a registry localhost/…; the compat API never asks for it.
  [[ $name == "$image" ]] || podman untag "$id" "localhost/$image" 2>/dev/null || true
  echo "podman-load: $name loaded in $((SECONDS - t0)) s"
done
