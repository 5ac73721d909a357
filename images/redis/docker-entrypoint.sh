#!/bin/bash
# The start-up contract of redis/docker-library-redis's debian/docker-entrypoint.sh (commit
# 0d55be9a; see CONTRACT.md), written for this stand-in:
#  - a first argument that is an option (`-…`) or a `.conf` file is given to redis-server;
#  - started as root, with SETUID and SETGID in the bounding set and no SKIP_DROP_PRIVS, the
#    server (not other commands) first gets its data files back (unless SKIP_FIX_PERMS), then is
#    re-run as redis through setpriv with no-new-privs and every capability set emptied (keeping
#    SYS_RESOURCE only if it was there) — which needs SETPCAP on trixie; without SETUID or SETGID
#    it silently stays root, as upstream;
#  - a umask of 0022 becomes 0077;
#  - the server loads every usable module in /usr/local/lib/redis/modules.
set -e

modules=/usr/local/lib/redis/modules
drop=(/usr/bin/setpriv --reuid redis --regid redis --clear-groups)

bounding_has() { /usr/bin/setpriv -d | grep -q "Capability bounding set:.*\b$1\b"; }

# Owner and mode fixed only for files redis could not use, and only in the layouts upstream
# expects (a data folder of *.rdb and appendonlydir; a config folder holding just the config).
repair() {
  local want=$1 path add
  while IFS= read -r -d '' path; do
    if [ "$want" = rw ]; then "${drop[@]}" test -r "$path" -a -w "$path" && continue
    else "${drop[@]}" test -r "$path" && continue; fi
    add=$want
    [ -d "$path" ] && add="${want}x"
    chown redis "$path" 2>/dev/null || echo "Warning: cannot change owner of '$path' to redis. Use SKIP_FIX_PERMS=1 to skip permission changes."
    chmod "u+$add" "$path" 2>/dev/null || echo "Warning: cannot change mode of '$path'. Use SKIP_FIX_PERMS=1 to skip permission changes."
  done
}

repair_data() {
  local other
  other=$(find . -mindepth 1 -maxdepth 1 -not \( -name '*.rdb' -o \( -type d -a -name appendonlydir \) \) -print -quit)
  if [ -n "$other" ]; then
    echo "Notice: Unknown file '$other' found in data dir. Permissions will not be modified. Use SKIP_FIX_PERMS=1 to skip permission changes."
    return
  fi
  find . -print0 | repair rw
}

repair_config() {
  local file=$1 want=$2 dir other
  [ -n "$file" ] && [ -f "$file" ] || return 0
  dir=$(dirname "$file")
  other=$(find "$dir" -mindepth 1 -maxdepth 1 ! -name "$(basename "$file" | sed 's/[][?*]/\\&/g')" -print -quit)
  if [ -n "$other" ]; then
    echo "Notice: Unknown file '$other' found in '$dir'. Permissions will not be modified. Use SKIP_FIX_PERMS=1 to skip permission changes."
    return
  fi
  printf '%s\0%s\0' "$dir" "$file" | repair "$want"
}

if [ "${1#-}" != "$1" ] || [ "${1%.conf}" != "$1" ]; then
  set -- redis-server "$@"
fi

program=$(command -v "$1" 2>/dev/null || true)
server=""
sentinel=""
config=""
[ "$(readlink -f "$program")" = /usr/local/bin/redis-server ] && server=1
if [ "$program" = /usr/local/bin/redis-sentinel ]; then
  sentinel=1
elif [ "$program" = /usr/local/bin/redis-server ]; then
  for a in "${@:2}"; do [ "$a" = --sentinel ] && sentinel=1; done
fi
[ -n "$server" ] && [ "${2#-}" = "$2" ] && config=$2

if [ -n "$server" ] && [ -z "$SKIP_DROP_PRIVS" ] && [ "$(id -u)" = 0 ] && bounding_has setuid && bounding_has setgid; then
  if [ -z "$SKIP_FIX_PERMS" ]; then
    if [ -n "$sentinel" ]; then
      repair_config "$config" rw
    else
      repair_data
      repair_config "$config" r
    fi
  fi
  keep=""
  bounding_has sys_resource && keep=",+sys_resource"
  exec "${drop[@]}" --nnp --inh-caps="-all$keep" --ambient-caps="-all$keep" --bounding-set="-all$keep" "$0" "$@"
fi

[ "$(umask)" = 0022 ] && umask 0077

if [ -n "$server" ] && [ -z "$sentinel" ]; then
  echo "Starting Redis Server"
  if [ ! -d "$modules" ]; then
    echo "Warning: Default Redis modules directory $modules/ does not exist."
  else
    for m in "$modules"/*.so; do
      [ -e "$m" ] || continue
      if [ -d "$m" ] || [ ! -s "$m" ] || [ ! -r "$m" ]; then
        echo "Skipping module $m: not a readable, non-empty file."
        continue
      fi
      if [ ! -x "$m" ]; then
        echo "Warning: Module $m is not executable."
        continue
      fi
      set -- "$@" --loadmodule "$m"
    done
  fi
fi

exec "$@"
