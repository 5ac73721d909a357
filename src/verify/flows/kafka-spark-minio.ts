import { CreateBucketCommand, ListObjectsV2Command } from "@aws-sdk/client-s3";
import { type Flow, requireEnv } from "../probe.js";
import { kafkaClient } from "../probes/kafka.js";
import { emptyBucket, s3Client } from "../probes/minio.js";
import { runPySpark } from "../probes/spark.js";

const EVENTS = 200;
/** Amounts are 1..EVENTS, so the lake's total is known in advance. */
const TOTAL = (EVENTS * (EVENTS + 1)) / 2;

/**
 * A Structured Streaming job, as the stack wires Spark: the Kafka source and S3A come from
 * PYSPARK_SUBMIT_ARGS (`--packages` from Maven Central), the broker from KAFKA_BOOTSTRAP_SERVERS,
 * MinIO's address and keys from AWS_* — all from spark-master's env. It drains the topic into
 * Parquet (availableNow), then reads the lake back.
 */
const JOB = `
import os, socket, sys
from pyspark.sql import SparkSession, functions as F
master, topic, bucket = sys.argv[1:4]
spark = (SparkSession.builder.master(master).appName("deloc-verify-streaming")
  .config("spark.driver.host", socket.gethostbyname(socket.gethostname()))
  .config("spark.driver.bindAddress", "0.0.0.0")
  .config("spark.driver.memory", "512m").config("spark.executor.memory", "512m")
  .config("spark.cores.max", "1").config("spark.sql.shuffle.partitions", "2").getOrCreate())
events = (spark.readStream.format("kafka")
  .option("kafka.bootstrap.servers", os.environ["KAFKA_BOOTSTRAP_SERVERS"])
  .option("subscribe", topic).option("startingOffsets", "earliest").load()
  .select(F.get_json_object(F.col("value").cast("string"), "$.amount").cast("long").alias("amount")))
lake = f"s3a://{bucket}/events"
(events.writeStream.format("parquet").option("path", lake)
  .option("checkpointLocation", f"s3a://{bucket}/_checkpoints/events")
  .trigger(availableNow=True).start().awaitTermination())
row = spark.read.parquet(lake).agg(F.count("*").alias("n"), F.sum("amount").alias("total")).first()
print("deloc-verify-lake", row["n"], row["total"])
spark.stop()
`;

/**
 * Event streaming into a lake: events produced to Kafka from the host, landed as Parquet in a
 * MinIO bucket by a Spark Structured Streaming job on the cluster, read back by Spark and listed
 * with an S3 client from the host.
 */
export const kafkaSparkMinio: Flow = {
  name: "kafka → spark → minio",
  what: "a streaming job lands Kafka events as Parquet in the lake",
  needs: ["kafka", "spark-master", "minio"],
  exclusive: "spark",
  // A first run fetches the Kafka source and hadoop-aws with its 640 MB AWS SDK bundle from Maven
  // Central into the driver, which then serves them to the executors.
  timeoutMs: 300_000,
  hint: "the driver's output above; `deloc logs spark-worker` for the executors. The connectors come from Maven Central on first use (PYSPARK_SUBMIT_ARGS).",
  async run(targets) {
    const kafkaT = targets.kafka!;
    const spark = targets["spark-master"]!;
    const minio = targets.minio!;
    requireEnv(
      spark,
      ["KAFKA_BOOTSTRAP_SERVERS", "PYSPARK_SUBMIT_ARGS", "AWS_ENDPOINT_URL"],
      "Kafka and MinIO",
    );
    const id = Date.now().toString(36);
    const topic = `deloc-verify-events-${id}`;
    const bucket = `deloc-verify-${id}`;
    const kafka = kafkaClient(kafkaT);
    const admin = kafka.admin();
    const producer = kafka.producer();
    const s3 = s3Client(minio);
    await admin.connect();
    try {
      await admin.createTopics({
        topics: [{ topic, numPartitions: 2, replicationFactor: 1 }],
        waitForLeaders: true,
      });
      await producer.connect();
      await producer.send({
        topic,
        messages: Array.from({ length: EVENTS }, (_, i) => ({
          key: String(i % 7),
          value: JSON.stringify({ id: i + 1, amount: i + 1 }),
        })),
      });
      await s3.send(new CreateBucketCommand({ Bucket: bucket }), { abortSignal: spark.signal });
      const r = await runPySpark(spark, JOB, [topic, bucket], spark.env);
      const m = /deloc-verify-lake (\d+) (\d+)/.exec(r.output);
      if (r.exitCode !== 0 || !m)
        throw new Error(`the job exited ${r.exitCode}: ${r.output.trim().split("\n").slice(-4).join(" | ")}`);
      if (Number(m[1]) !== EVENTS || Number(m[2]) !== TOTAL)
        throw new Error(
          `the lake holds ${m[1]} events summing to ${m[2]}, not ${EVENTS} summing to ${TOTAL}`,
        );
      const listed = await s3.send(new ListObjectsV2Command({ Bucket: bucket, Prefix: "events/" }));
      const parquet = (listed.Contents ?? []).filter((o) => o.Key?.endsWith(".parquet"));
      if (parquet.length === 0) throw new Error(`no Parquet file under s3://${bucket}/events/`);
      return `${EVENTS} events from ${topic} landed as ${parquet.length} Parquet file(s) in s3://${bucket}/events/ and read back (sum ${TOTAL})`;
    } finally {
      await producer.disconnect().catch(() => undefined);
      await admin.deleteTopics({ topics: [topic] }).catch(() => undefined);
      await admin.disconnect().catch(() => undefined);
      await emptyBucket(s3, bucket).catch(() => undefined);
      s3.destroy();
    }
  },
};
