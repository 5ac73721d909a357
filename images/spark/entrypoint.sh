#!/bin/bash
# The start-up contract of apache/spark-docker's 4.1.1/scala2.13-java21-ubuntu/entrypoint.sh
# (commit b0876281ebd5; see CONTRACT.md), for this stand-in:
#  - `driver ARGS…`: spark-submit in client mode, bound to $SPARK_DRIVER_BIND_ADDRESS, and
#    `executor`: the Kubernetes executor backend from $SPARK_EXECUTOR_* — both under `tini -s`,
#    stepped down to spark with gosu when started as root, with a passwd entry faked through
#    libnss_wrapper for a uid the image does not know (OpenShift);
#  - anything else (`/opt/spark/bin/spark-class …Master`) is exec'd as it is: no tini, no gosu,
#    no PYTHONPATH;
#  - JAVA_HOME found from `java` when unset.
set -eo pipefail

fake_passwd_entry() {
  local uid gid lib
  uid=$(id -u)
  getent passwd "$uid" >/dev/null 2>&1 && return 0
  gid=$(id -g)
  for lib in {/usr,}/lib{/*,}/libnss_wrapper.so; do
    [ -s "$lib" ] || continue
    NSS_WRAPPER_PASSWD=$(mktemp)
    NSS_WRAPPER_GROUP=$(mktemp)
    printf 'spark:x:%s:%s:%s:%s:/bin/false\n' "$uid" "$gid" "${SPARK_USER_NAME:-anonymous uid}" "$SPARK_HOME" >"$NSS_WRAPPER_PASSWD"
    printf 'spark:x:%s:\n' "$gid" >"$NSS_WRAPPER_GROUP"
    export LD_PRELOAD=$lib NSS_WRAPPER_PASSWD NSS_WRAPPER_GROUP
    return 0
  done
}

as_spark() {
  if [ "$(id -u)" -eq 0 ]; then
    exec gosu spark /usr/bin/tini -s -- "$@"
  fi
  exec /usr/bin/tini -s -- "$@"
}

if [ -z "$JAVA_HOME" ]; then
  JAVA_HOME=$(java -XshowSettings:properties -version 2>&1 >/dev/null | awk '/java.home/ { print $3 }')
fi
[ -n "${PYSPARK_PYTHON+x}" ] && export PYSPARK_PYTHON
[ -n "${PYSPARK_DRIVER_PYTHON+x}" ] && export PYSPARK_DRIVER_PYTHON
if [ -n "$HADOOP_HOME" ] && [ -z "$SPARK_DIST_CLASSPATH" ]; then
  SPARK_DIST_CLASSPATH=$("$HADOOP_HOME/bin/hadoop" classpath)
  export SPARK_DIST_CLASSPATH
fi

classpath="${SPARK_CONF_DIR:-$SPARK_HOME/conf}${HADOOP_CONF_DIR:+:$HADOOP_CONF_DIR}:${SPARK_CLASSPATH:+$SPARK_CLASSPATH:}$SPARK_HOME/jars/*${SPARK_EXTRA_CLASSPATH:+:$SPARK_EXTRA_CLASSPATH}:$PWD"
executor_opts=()
for v in "${!SPARK_JAVA_OPT_@}"; do executor_opts+=("${!v}"); done

case "$1" in
  driver)
    shift
    fake_passwd_entry
    as_spark "$SPARK_HOME/bin/spark-submit" \
      --conf "spark.driver.bindAddress=$SPARK_DRIVER_BIND_ADDRESS" \
      --conf "spark.executorEnv.SPARK_DRIVER_POD_IP=$SPARK_DRIVER_BIND_ADDRESS" \
      --deploy-mode client "$@"
    ;;
  executor)
    shift
    fake_passwd_entry
    as_spark "$JAVA_HOME/bin/java" "${executor_opts[@]}" \
      -Xms"$SPARK_EXECUTOR_MEMORY" -Xmx"$SPARK_EXECUTOR_MEMORY" \
      -cp "$classpath:$SPARK_DIST_CLASSPATH" \
      org.apache.spark.scheduler.cluster.k8s.KubernetesExecutorBackend \
      --driver-url "$SPARK_DRIVER_URL" --executor-id "$SPARK_EXECUTOR_ID" \
      --cores "$SPARK_EXECUTOR_CORES" --app-id "$SPARK_APPLICATION_ID" \
      --hostname "$SPARK_EXECUTOR_POD_IP" --resourceProfileId "$SPARK_RESOURCE_PROFILE_ID" \
      --podName "$SPARK_EXECUTOR_POD_NAME"
    ;;
  *)
    exec "$@"
    ;;
esac
