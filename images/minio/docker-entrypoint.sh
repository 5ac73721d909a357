#!/bin/sh
# The upstream minio image's entrypoint: arguments that are not a command are given to `minio`.
set -e
if [ "$1" != "minio" ] && [ -n "$1" ] && ! command -v "$1" >/dev/null 2>&1; then
  set -- minio "$@"
fi
exec "$@"
