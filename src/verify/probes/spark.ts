import type { ExecOutcome, Probe, ProbeTarget } from "../probe.js";

/**
 * A small PySpark job submitted to the cluster: the driver runs in a one-off container of the
 * stack (its own memory limit, beside the master rather than inside it), the executors on the
 * workers; the sum it computes must come back right.
 */
const JOB = `
import socket, sys
from pyspark.sql import SparkSession
spark = (SparkSession.builder.master(sys.argv[1]).appName("deloc-verify")
  .config("spark.driver.host", socket.gethostbyname(socket.gethostname()))
  .config("spark.driver.bindAddress", "0.0.0.0")
  .config("spark.driver.memory", "512m").config("spark.executor.memory", "512m")
  .config("spark.cores.max", "1").getOrCreate())
total = spark.range(0, 1000, numPartitions=4).selectExpr("sum(id) AS s").first()["s"]
print("deloc-verify-sum", total)
spark.stop()
`;

/** What `bin/spark-submit` puts on a PySpark driver's path in Spark 4.1's image layout. */
const SPARK_PYTHONPATH = "/opt/spark/python:/opt/spark/python/lib/py4j-0.10.9.9-src.zip";

/**
 * Runs a PySpark script on the cluster of `t` (spark-master) from a one-off driver container of its
 * image, with the master's URL as its first argument. Spark wants 450 MiB of heap at least for a
 * driver and for an executor: the driver gets 1 GiB. The image keeps PySpark in
 * $SPARK_HOME/python and sets no PYTHONPATH (spark-submit would add it), so the driver gets it;
 * `env` adds what the job needs (the stack's connector wiring).
 */
export async function runPySpark(
  t: ProbeTarget,
  job: string,
  args: readonly string[],
  env: Readonly<Record<string, string>> = {},
): Promise<ExecOutcome & { master: string }> {
  if (!t.runInStack) throw new Error("this engine cannot run a one-off container");
  const master = `spark://${t.service.name}:7077`;
  const r = await t.runInStack(t.service.image, ["python3", "-c", job, master, ...args], 1024 * 1024 * 1024, {
    ...env,
    PYTHONPATH: SPARK_PYTHONPATH,
  });
  return { ...r, master };
}

export const sparkProbe: Probe = {
  what: "run a small PySpark job on the cluster",
  hint: "`deloc logs spark-master` and `deloc logs spark-worker`; a worker must be registered and have memory to offer.",
  exclusive: "spark",
  async run(t) {
    const r = await runPySpark(t, JOB, []);
    const m = /deloc-verify-sum (\d+)/.exec(r.output);
    if (r.exitCode !== 0 || !m)
      throw new Error(`the job exited ${r.exitCode}: ${r.output.trim().split("\n").slice(-3).join(" | ")}`);
    if (m[1] !== "499500") throw new Error(`the job summed ${m[1]}, not 499500`);
    return `a job on ${r.master} summed 0..999 to 499500 on the workers`;
  },
};
