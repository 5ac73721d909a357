import {
  CreateBucketCommand,
  DeleteBucketCommand,
  DeleteObjectCommand,
  GetObjectCommand,
} from "@aws-sdk/client-s3";
import type { Flow, ProbeTarget } from "../probe.js";
import { type AirflowApi, airflowApi, holdDag } from "../probes/airflow.js";
import { s3Client } from "../probes/minio.js";
import { connectPostgres } from "../probes/postgres.js";

const ROWS = 100;
/** Amounts are 1..ROWS, so the load's total is known in advance. */
const TOTAL = (ROWS * (ROWS + 1)) / 2;
const CONN_POSTGRES = "deloc_verify_postgres";
const CONN_S3 = "deloc_verify_s3";

/**
 * The extract-load a data engineer writes first: a DAG copies a Postgres table into the lake as
 * CSV and records the load. From the host the flow seeds the table, creates the bucket and the two
 * Airflow connections (in-stack addresses, the stack's credentials), triggers the DAG, then reads
 * the object back from MinIO and the audit row from Postgres.
 */
export const postgresAirflowMinio: Flow = {
  name: "postgres → airflow → minio",
  what: "a DAG loads a table into the lake and records the load",
  needs: ["postgres", "airflow-api-server", "minio"],
  hint: "the DAG run's task logs (UI, DAG deloc_verify); the connections it uses are deloc_verify_postgres and deloc_verify_s3.",
  async run(targets) {
    const postgres = targets.postgres!;
    const airflow = targets["airflow-api-server"]!;
    const minio = targets.minio!;
    const id = Date.now().toString(36);
    const table = `deloc_verify_orders_${id}`;
    const audit = `deloc_verify_loads_${id}`;
    const bucket = `deloc-verify-${id}`;
    const key = "orders/orders.csv";
    const db = await connectPostgres(postgres);
    const s3 = s3Client(minio);
    const release = holdDag(airflow);
    const api = await airflowApi(airflow).catch(async (e: unknown) => {
      release();
      await db.end();
      throw e;
    });
    try {
      await db.query(`CREATE TABLE ${table} (id integer PRIMARY KEY, amount integer NOT NULL)`);
      await db.query(`INSERT INTO ${table} SELECT i, i FROM generate_series(1, ${ROWS}) AS i`);
      await db.query(
        `CREATE TABLE ${audit} (run_id text PRIMARY KEY, rows integer, total integer, object text)`,
      );
      await s3.send(new CreateBucketCommand({ Bucket: bucket }), { abortSignal: minio.signal });
      await putConnection(api, {
        connection_id: CONN_POSTGRES,
        conn_type: "postgres",
        host: postgres.service.name,
        port: containerPort(postgres, "sql"),
        login: postgres.env.POSTGRES_USER ?? "postgres",
        password: postgres.env.POSTGRES_PASSWORD ?? "",
        schema: postgres.env.POSTGRES_DB ?? postgres.env.POSTGRES_USER ?? "postgres",
      });
      await putConnection(api, {
        connection_id: CONN_S3,
        conn_type: "aws",
        login: minio.env.MINIO_ROOT_USER ?? "",
        password: minio.env.MINIO_ROOT_PASSWORD ?? "",
        extra: JSON.stringify({ endpoint_url: `http://${minio.service.name}:${containerPort(minio, "s3")}` }),
      });
      const { runId, ms } = await api.runDag({ table, audit, bucket, key });

      const object = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: key }), {
        abortSignal: minio.signal,
      });
      const lines = ((await object.Body?.transformToString()) ?? "").trim().split("\n");
      const sum = lines.slice(1).reduce((n, l) => n + Number(l.split(",")[1]), 0);
      if (lines.length !== ROWS + 1 || sum !== TOTAL)
        throw new Error(
          `s3://${bucket}/${key} has ${lines.length - 1} rows summing to ${sum}, not ${ROWS} to ${TOTAL}`,
        );
      const recorded = await db.query<{ rows: number; total: number }>(
        `SELECT rows, total FROM ${audit} WHERE run_id = $1`,
        [runId],
      );
      const row = recorded.rows[0];
      if (row?.rows !== ROWS || row.total !== TOTAL)
        throw new Error(`the audit table has ${JSON.stringify(recorded.rows)} for run ${runId}`);
      return `${ROWS} rows of ${table} landed in s3://${bucket}/${key} (total ${TOTAL}) and the load was recorded, in ${(ms / 1000).toFixed(1)} s`;
    } finally {
      release();
      for (const c of [CONN_POSTGRES, CONN_S3])
        await api.call("DELETE", `/connections/${c}`).catch(() => undefined);
      await s3.send(new DeleteObjectCommand({ Bucket: bucket, Key: key })).catch(() => undefined);
      await s3.send(new DeleteBucketCommand({ Bucket: bucket })).catch(() => undefined);
      s3.destroy();
      await db.query(`DROP TABLE IF EXISTS ${table}, ${audit}`).catch(() => undefined);
      await db.end();
    }
  },
};

/** The port a service listens on inside the stack's network. */
function containerPort(t: ProbeTarget, name: string): number {
  const p = t.service.ports.find((q) => q.name === name) ?? t.service.ports[0];
  if (!p) throw new Error(`${t.service.name} has no port ${name}`);
  return p.container;
}

/** Creates the connection, or replaces one left by an interrupted run. */
async function putConnection(api: AirflowApi, conn: Record<string, string | number>): Promise<void> {
  await api.call("DELETE", `/connections/${conn.connection_id}`).catch(() => undefined);
  await api.call("POST", "/connections", conn);
}
