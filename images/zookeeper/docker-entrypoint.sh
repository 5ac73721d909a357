#!/bin/bash
# The start-up contract of 31z4/zookeeper-docker's 3.9.5/docker-entrypoint.sh (@adade282; see
# CONTRACT.md), for this stand-in:
#  - `zkServer.sh …` started as root: the data, data-log and log folders are given to zookeeper
#    (chown -R), then the script re-runs itself as zookeeper through gosu;
#  - without a zoo.cfg in $ZOO_CONF_DIR, one is written from the ZOO_* variables (ZOO_SERVERS,
#    default a standalone server.1; ZOO_4LW_COMMANDS_WHITELIST; ZOO_CFG_EXTRA, space-separated);
#  - without a myid in the data folder, $ZOO_MY_ID (default 1) is written there;
#  - then the command runs.
set -e

if [[ "$1" = zkServer.sh && "$(id -u)" = 0 ]]; then
  chown -R zookeeper "$ZOO_DATA_DIR" "$ZOO_DATA_LOG_DIR" "$ZOO_LOG_DIR"
  exec gosu zookeeper "$0" "$@"
fi

cfg="$ZOO_CONF_DIR/zoo.cfg"
if [[ ! -f "$cfg" ]]; then
  {
    printf '%s\n' "dataDir=$ZOO_DATA_DIR" "dataLogDir=$ZOO_DATA_LOG_DIR" \
      "tickTime=$ZOO_TICK_TIME" "initLimit=$ZOO_INIT_LIMIT" "syncLimit=$ZOO_SYNC_LIMIT" \
      "autopurge.snapRetainCount=$ZOO_AUTOPURGE_SNAPRETAINCOUNT" \
      "autopurge.purgeInterval=$ZOO_AUTOPURGE_PURGEINTERVAL" \
      "maxClientCnxns=$ZOO_MAX_CLIENT_CNXNS" "standaloneEnabled=$ZOO_STANDALONE_ENABLED" \
      "admin.enableServer=$ZOO_ADMINSERVER_ENABLED"
    for s in ${ZOO_SERVERS:-server.1=localhost:2888:3888;2181}; do echo "$s"; done
    [[ -n "${ZOO_4LW_COMMANDS_WHITELIST:-}" ]] && echo "4lw.commands.whitelist=$ZOO_4LW_COMMANDS_WHITELIST"
    for extra in ${ZOO_CFG_EXTRA:-}; do echo "$extra"; done
  } > "$cfg"
fi

[[ -f "$ZOO_DATA_DIR/myid" ]] || echo "${ZOO_MY_ID:-1}" > "$ZOO_DATA_DIR/myid"

exec "$@"
