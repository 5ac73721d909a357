#!/bin/bash
# The official image's entrypoint: without a zoo.cfg in $ZOO_CONF_DIR, one is written from the
# ZOO_* variables; $ZOO_MY_ID goes to myid in the data folder; then the command runs.
set -e
if [[ ! -f "$ZOO_CONF_DIR/zoo.cfg" ]]; then
  {
    echo "dataDir=$ZOO_DATA_DIR"
    echo "dataLogDir=$ZOO_DATA_LOG_DIR"
    echo "tickTime=$ZOO_TICK_TIME"
    echo "initLimit=$ZOO_INIT_LIMIT"
    echo "syncLimit=$ZOO_SYNC_LIMIT"
    echo "autopurge.snapRetainCount=$ZOO_AUTOPURGE_SNAPRETAINCOUNT"
    echo "autopurge.purgeInterval=$ZOO_AUTOPURGE_PURGEINTERVAL"
    echo "maxClientCnxns=$ZOO_MAX_CLIENT_CNXNS"
    echo "standaloneEnabled=$ZOO_STANDALONE_ENABLED"
    echo "admin.enableServer=$ZOO_ADMINSERVER_ENABLED"
    if [[ -z "${ZOO_SERVERS:-}" ]]; then
      ZOO_SERVERS="server.1=localhost:2888:3888;2181"
    fi
    for server in $ZOO_SERVERS; do
      echo "$server"
    done
    if [[ -n "${ZOO_4LW_COMMANDS_WHITELIST:-}" ]]; then
      echo "4lw.commands.whitelist=$ZOO_4LW_COMMANDS_WHITELIST"
    fi
    for kv in ${ZOO_CFG_EXTRA:-}; do
      echo "$kv"
    done
  } > "$ZOO_CONF_DIR/zoo.cfg"
fi
if [[ ! -f "$ZOO_DATA_DIR/myid" ]]; then
  echo "${ZOO_MY_ID:-1}" > "$ZOO_DATA_DIR/myid"
fi
exec "$@"
