#!/bin/sh
# The start-up contract of seaweedfs/seaweedfs's docker/entrypoint.sh (commit 7506e5f91cd6; see
# CONTRACT.md), for this stand-in:
#  - GODEBUG gains fips140=on;
#  - started as root: /data is given to seaweed (chown -R) unless it already belongs to it, and
#    the script re-runs itself as seaweed (upstream: su-exec; here gosu, which Debian has);
#  - master, volume, server, mini, filer, s3 run `weed -logtostderr=true SUBCOMMAND` with
#    upstream's defaults for /data (each left out when the caller passes that flag);
#  - anything else runs as `weed ARGS…`.
export GODEBUG="${GODEBUG:+$GODEBUG,}fips140=on"

if [ "$(id -u)" = 0 ]; then
  uid=$(id -u seaweed) && gid=$(id -g seaweed) || { echo "Error: 'seaweed' user or group not found." >&2; exit 1; }
  if [ "$(stat -c %u /data 2>/dev/null)" != "$uid" ] || [ "$(stat -c %g /data 2>/dev/null)" != "$gid" ]; then
    echo "Fixing /data ownership for seaweed user (uid=$uid, gid=$gid)"
    chown -R seaweed:seaweed /data || echo "Warning: Failed to change ownership of /data." >&2
  fi
  exec gosu seaweed "$0" "$@"
fi

# Whether a flag (`-name`, `--name`, with or without `=value`) is among the arguments.
passed() {
  flag=$1
  shift
  for a in "$@"; do
    case $a in "$flag" | "-$flag" | "$flag="* | "-$flag="*) return 0 ;; esac
  done
  return 1
}

sub=$1
[ $# -gt 0 ] && shift
case $sub in
  master) exec /usr/bin/weed -logtostderr=true master -mdir=/data -volumeSizeLimitMB=1024 "$@" ;;
  volume)
    if passed -max "$@"; then exec /usr/bin/weed -logtostderr=true volume -dir=/data "$@"; fi
    exec /usr/bin/weed -logtostderr=true volume -dir=/data -max=0 "$@" ;;
  server)
    if passed -volume.max "$@"; then exec /usr/bin/weed -logtostderr=true server -dir=/data -master.volumeSizeLimitMB=1024 "$@"; fi
    exec /usr/bin/weed -logtostderr=true server -dir=/data -volume.max=0 -master.volumeSizeLimitMB=1024 "$@" ;;
  mini)
    if passed -dir "$@"; then exec /usr/bin/weed -logtostderr=true mini "$@"; fi
    exec /usr/bin/weed -logtostderr=true mini -dir=/data "$@" ;;
  filer) exec /usr/bin/weed -logtostderr=true filer "$@" ;;
  s3) exec /usr/bin/weed -logtostderr=true s3 -domainName="$S3_DOMAIN_NAME" -key.file="$S3_KEY_FILE" -cert.file="$S3_CERT_FILE" "$@" ;;
  *) exec /usr/bin/weed $sub "$@" ;;
esac
