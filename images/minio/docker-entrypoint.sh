#!/bin/sh
# The start-up contract of minio/minio's dockerscripts/docker-entrypoint.sh (release commit
# 07c3a429; see CONTRACT.md), for this stand-in:
#  - any first argument other than `minio` gets `minio` put before it (so `sh -c …` runs
#    `minio sh -c …`: a shell needs --entrypoint);
#  - with MINIO_USERNAME and MINIO_GROUPNAME (deprecated upstream), the command runs as that
#    user through `chroot --userspec` — as MINIO_UID:MINIO_GID when both are set, else as a user
#    and group 1000 added to /etc/passwd and /etc/group — and not with exec;
#  - otherwise it is exec'd as root.
if [ -n "$1" ] && [ "$1" != minio ]; then
  set -- minio "$@"
fi

if [ -z "$MINIO_USERNAME" ] || [ -z "$MINIO_GROUPNAME" ]; then
  exec "$@"
fi
if [ -n "$MINIO_UID" ] && [ -n "$MINIO_GID" ]; then
  chroot --userspec="$MINIO_UID:$MINIO_GID" / "$@"
else
  echo "$MINIO_USERNAME:x:1000:1000:$MINIO_USERNAME:/:/sbin/nologin" >> /etc/passwd
  echo "$MINIO_GROUPNAME:x:1000" >> /etc/group
  chroot --userspec="$MINIO_USERNAME:$MINIO_GROUPNAME" / "$@"
fi
