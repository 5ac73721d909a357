#!/bin/sh
# The upstream redis image's start-up contract: `redis-server` args run as the redis user from
# /data, with protected mode off (the container's network is the boundary, as upstream patches it).
set -eu

if [ "${1#-}" != "$1" ] || [ "${1%.conf}" != "$1" ]; then set -- redis-server "$@"; fi

if [ "$1" = redis-server ] && [ "$(id -u)" = 0 ]; then
  find . \! -user redis -exec chown redis '{}' + 2>/dev/null || true
  exec gosu redis "$0" "$@"
fi

if [ "$1" = redis-server ]; then
  shift
  # Later arguments win, so a stack that asks for protected mode still gets it.
  set -- redis-server --protected-mode no "$@"
fi
exec "$@"
