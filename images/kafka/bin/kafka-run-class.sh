#!/bin/sh
# Runs a Kafka class on the broker's class path, honouring the upstream scripts' variables. A tool
# logs as upstream's do (config/tools-log4j2.yaml: WARN to stderr) unless KAFKA_LOG4J_OPTS says
# otherwise; kafka-server-start.sh sets the broker's own.
exec java ${KAFKA_HEAP_OPTS:--Xmx256M} \
  ${KAFKA_JVM_PERFORMANCE_OPTS:--server -XX:+UseG1GC -XX:MaxGCPauseMillis=20 -XX:InitiatingHeapOccupancyPercent=35 -XX:+ExplicitGCInvokesConcurrent -Djava.awt.headless=true} \
  ${KAFKA_LOG4J_OPTS:--Dlog4j2.configurationFile=/opt/kafka/config/tools-log4j2.yaml} \
  ${KAFKA_OPTS:-} -cp "/opt/kafka/libs/*" "$@"
