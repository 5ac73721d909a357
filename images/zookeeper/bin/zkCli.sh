#!/bin/bash
# ZooKeeper's command-line client (`zkCli.sh -server localhost:2181 ls /`).
exec java -Xmx64m -cp "$ZOO_CONF_DIR:/usr/share/java/zookeeper.jar:/usr/share/java/logback-classic.jar:/usr/share/java/logback-core.jar" \
  org.apache.zookeeper.ZooKeeperMain "$@"
