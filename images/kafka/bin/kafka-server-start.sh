#!/bin/sh
# As upstream: the broker gets a 1 GiB heap unless KAFKA_HEAP_OPTS says otherwise, and logs INFO to
# stdout unless KAFKA_LOG4J_OPTS says otherwise.
export KAFKA_HEAP_OPTS="${KAFKA_HEAP_OPTS:--Xmx1G -Xms1G}"
export KAFKA_LOG4J_OPTS="${KAFKA_LOG4J_OPTS:--Dlog4j2.configurationFile=/opt/kafka/config/log4j2.properties}"
exec /opt/kafka/bin/kafka-run-class.sh kafka.Kafka "$@"
