import { CreateBucketCommand } from "@aws-sdk/client-s3";
import { type Flow, requireEnv } from "../probe.js";
import { emptyBucket, s3Client } from "../probes/minio.js";
import { runPySpark } from "../probes/spark.js";

const ROWS = 1000;
/** Amounts are 1..ROWS, so the table's total is known in advance. */
const TOTAL = (ROWS * (ROWS + 1)) / 2;

/**
 * A batch job, as the stack wires Spark: S3A from PYSPARK_SUBMIT_ARGS (hadoop-aws from Maven
 * Central), MinIO's address and keys from AWS_* — all from spark-master's env. It writes a table
 * as Parquet into the lake.
 */
const JOB = `
import socket, sys
from pyspark.sql import SparkSession
master, path, rows = sys.argv[1], sys.argv[2], int(sys.argv[3])
spark = (SparkSession.builder.master(master).appName("deloc-verify-lakehouse")
  .config("spark.driver.host", socket.gethostbyname(socket.gethostname()))
  .config("spark.driver.bindAddress", "0.0.0.0")
  .config("spark.driver.memory", "512m").config("spark.executor.memory", "512m")
  .config("spark.cores.max", "1").getOrCreate())
(spark.range(1, rows + 1, numPartitions=2).selectExpr("id", "id AS amount", "concat('order-', id) AS name")
  .write.mode("overwrite").parquet(path))
print("deloc-verify-written", path)
spark.stop()
`;

/**
 * The notebook's side: pyarrow, as a notebook would use it, reads the table through its
 * S3FileSystem with the keys and endpoint the jupyter service has from its MinIO connection
 * (AWS_*); Spark's `_SUCCESS` marker is skipped as pyarrow skips `_` files.
 */
const READ = `
import os, sys
import pyarrow.compute as pc, pyarrow.parquet as pq
from pyarrow import fs
s3 = fs.S3FileSystem(endpoint_override=os.environ["AWS_ENDPOINT_URL"],
  access_key=os.environ["AWS_ACCESS_KEY_ID"], secret_key=os.environ["AWS_SECRET_ACCESS_KEY"],
  region=os.environ.get("AWS_REGION", "us-east-1"))
table = pq.read_table(sys.argv[1], filesystem=s3)
files = [f for f in s3.get_file_info(fs.FileSelector(sys.argv[1])) if f.path.endswith(".parquet")]
print("deloc-verify-read", table.num_rows, pc.sum(table["amount"]).as_py(), len(files))
`;

/**
 * The lakehouse round trip: a Spark job on the cluster writes a table as Parquet to a MinIO
 * bucket through S3A; inside the Jupyter container, pyarrow reads it back from MinIO.
 */
export const sparkMinioJupyter: Flow = {
  name: "spark → minio → jupyter",
  what: "a Spark job writes a Parquet table to the lake, Jupyter reads it back",
  needs: ["spark-master", "minio", "jupyter"],
  exclusive: "spark",
  // A first run fetches hadoop-aws and its 640 MB AWS SDK bundle into the driver (see kafka-spark-minio).
  timeoutMs: 300_000,
  hint: "the output above; `deloc logs spark-worker` for the executors, `deloc logs jupyter`. S3A comes from Maven Central on first use (PYSPARK_SUBMIT_ARGS); Jupyter reaches MinIO with its AWS_* env.",
  async run(targets) {
    const spark = targets["spark-master"]!;
    const minio = targets.minio!;
    const jupyter = targets.jupyter!;
    if (!jupyter.exec) throw new Error("this engine cannot run a command inside a container");
    requireEnv(spark, ["PYSPARK_SUBMIT_ARGS", "AWS_ENDPOINT_URL"], "MinIO");
    requireEnv(jupyter, ["AWS_ENDPOINT_URL", "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY"], "MinIO");
    const bucket = `deloc-verify-${Date.now().toString(36)}`;
    const table = "tables/orders";
    const s3 = s3Client(minio);
    try {
      await s3.send(new CreateBucketCommand({ Bucket: bucket }), { abortSignal: spark.signal });
      const w = await runPySpark(spark, JOB, [`s3a://${bucket}/${table}`, String(ROWS)], spark.env);
      if (w.exitCode !== 0 || !w.output.includes("deloc-verify-written"))
        throw new Error(`the Spark job exited ${w.exitCode}: ${tail(w.output)}`);
      const r = await jupyter.exec(["python3", "-c", READ, `${bucket}/${table}`]);
      const m = /deloc-verify-read (\d+) (\d+) (\d+)/.exec(r.output);
      if (r.exitCode !== 0 || !m)
        throw new Error(
          `reading the table in ${jupyter.service.name} exited ${r.exitCode}: ${tail(r.output)}`,
        );
      if (Number(m[1]) !== ROWS || Number(m[2]) !== TOTAL)
        throw new Error(
          `${jupyter.service.name} read ${m[1]} rows summing to ${m[2]}, not ${ROWS} summing to ${TOTAL}`,
        );
      return `a Spark job wrote ${ROWS} rows as ${m[3]} Parquet file(s) to s3://${bucket}/${table}; ${jupyter.service.name} read them back with pyarrow (sum ${TOTAL})`;
    } finally {
      await emptyBucket(s3, bucket).catch(() => undefined);
      s3.destroy();
    }
  },
};

/** The last lines of a command's output, on one line. */
function tail(output: string): string {
  return output.trim().split("\n").slice(-4).join(" | ");
}
