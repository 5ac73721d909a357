#!/bin/bash
# ZooKeeper's command-line client (`zkCli.sh -server localhost:2181 ls /`), on the release's jars.
ZOOBINDIR=$(cd "$(dirname "$0")" && pwd)
exec java -Xmx64m -cp "$ZOO_CONF_DIR:$ZOOBINDIR/../lib/*" org.apache.zookeeper.ZooKeeperMain "$@"
