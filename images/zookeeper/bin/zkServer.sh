#!/bin/bash
# ZooKeeper's server script (a stand-in for the release's bin/zkServer.sh), for the two commands
# the image's users rely on, on the release's jars in ../lib:
#   start-foreground  the server, with a heap of $ZK_SERVER_HEAP MiB (default 1000, as zkEnv.sh)
#   status            asks the running server (`srvr`) and prints its mode; exit 1 if it does not answer
set -euo pipefail
ZOOBINDIR=$(cd "$(dirname "$0")" && pwd)
conf="${ZOOCFGDIR:-$ZOO_CONF_DIR}/zoo.cfg"
case "${1:-}" in
  start-foreground)
    exec java "-Xmx${ZK_SERVER_HEAP:-1000}m" ${SERVER_JVMFLAGS:-} \
      "-Dzookeeper.log.dir=$ZOO_LOG_DIR" \
      -cp "$ZOO_CONF_DIR:$ZOOBINDIR/../lib/*" \
      org.apache.zookeeper.server.quorum.QuorumPeerMain "$conf"
    ;;
  status)
    port=$(sed -n 's/^clientPort=//p; s/^server\.[0-9]*=.*;\([0-9]*\)$/\1/p' "$conf" | head -1)
    port=${port:-2181}
    echo "Client port found: $port."
    exec 3<>"/dev/tcp/127.0.0.1/$port" || { echo "Error contacting service. It is probably not running."; exit 1; }
    printf 'srvr' >&3
    mode=$(sed -n 's/^Mode: //p' <&3)
    exec 3>&-
    if [[ -z "$mode" ]]; then
      echo "Error contacting service. It is probably not running."
      exit 1
    fi
    echo "Mode: $mode"
    ;;
  *)
    echo "Usage: zkServer.sh {start-foreground|status}" >&2
    exit 2
    ;;
esac
