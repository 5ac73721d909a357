import fs from "node:fs";
import path from "node:path";
import type { Probe, ProbeTarget } from "../probe.js";

/**
 * Airflow through its REST API (v2, Airflow 3): the probe DAG is put in the stack's DAG folder,
 * parsed by the DAG processor, triggered through the API server, scheduled by the scheduler and
 * run by its executor; the run must end in success.
 */

export const DAG_ID = "deloc_verify";
const DAG_FOLDER = "/opt/airflow/dags";
const DAG_FILE = `${DAG_ID}.py`;

/**
 * The probe DAG. Without conf it runs one task; with conf it is the extract-load of the
 * postgres → airflow → minio flow: a table's rows land in object storage as CSV and the load is
 * recorded in an audit table, through two Airflow connections the flow creates for the run.
 */
const DAG_SOURCE = `"""The DAG \`deloc verify\` triggers. Written here by verify and removed when it ends.

Without conf it runs one task. With conf {"table", "audit", "bucket", "key"} it is an extract-load:
the rows of a Postgres table land in object storage as CSV, and the load is recorded in an audit
table, through the connections deloc_verify_postgres and deloc_verify_s3.
"""
import csv
import io
from datetime import datetime

from airflow.sdk import Connection, dag, get_current_context, task


def _postgres():
    import psycopg2

    c = Connection.get("deloc_verify_postgres")
    return psycopg2.connect(host=c.host, port=c.port, user=c.login, password=c.password, dbname=c.schema)


@dag(dag_id="${DAG_ID}", schedule=None, start_date=datetime(2025, 1, 1), catchup=False, tags=["deloc"])
def deloc_verify():
    @task
    def extract_load():
        conf = get_current_context()["dag_run"].conf or {}
        if "table" not in conf:
            return {"rows": 0, "total": 0}
        import boto3
        from psycopg2 import sql

        with _postgres() as db, db.cursor() as cur:
            cur.execute(sql.SQL("SELECT id, amount FROM {} ORDER BY id").format(sql.Identifier(conf["table"])))
            rows = cur.fetchall()
        out = io.StringIO()
        writer = csv.writer(out, lineterminator="\\n")
        writer.writerow(["id", "amount"])
        writer.writerows(rows)
        s3c = Connection.get("deloc_verify_s3")
        s3 = boto3.client(
            "s3",
            endpoint_url=s3c.extra_dejson["endpoint_url"],
            aws_access_key_id=s3c.login,
            aws_secret_access_key=s3c.password,
            region_name="us-east-1",
        )
        s3.put_object(Bucket=conf["bucket"], Key=conf["key"], Body=out.getvalue().encode())
        return {"rows": len(rows), "total": sum(r[1] for r in rows)}

    @task
    def record(loaded):
        context = get_current_context()
        conf = context["dag_run"].conf or {}
        if "audit" not in conf:
            return
        from psycopg2 import sql

        with _postgres() as db, db.cursor() as cur:
            cur.execute(
                sql.SQL("INSERT INTO {} (run_id, rows, total, object) VALUES (%s, %s, %s, %s)").format(
                    sql.Identifier(conf["audit"])
                ),
                (context["run_id"], loaded["rows"], loaded["total"], f"s3://{conf['bucket']}/{conf['key']}"),
            )

    record(extract_load())


deloc_verify()
`;

/** Holders of the probe DAG file: the last one to let go removes it. */
let holders = 0;

/** Puts the probe DAG in the stack's DAG folder (a bind mount) until `release` is called. */
export function holdDag(api: ProbeTarget): () => void {
  const folder = api.service.volumes.find((v) => v.type === "bind" && v.target === DAG_FOLDER);
  if (!folder)
    throw new Error(
      `${api.service.name} mounts no host folder at ${DAG_FOLDER}, where the probe DAG must go`,
    );
  const file = path.join(folder.source, DAG_FILE);
  if (holders++ === 0) {
    fs.mkdirSync(folder.source, { recursive: true });
    fs.writeFileSync(file, DAG_SOURCE);
  }
  let released = false;
  return () => {
    if (released) return;
    released = true;
    if (--holders === 0) fs.rmSync(file, { force: true });
  };
}

export interface AirflowApi {
  call<T>(method: string, route: string, body?: unknown): Promise<T>;
  /** Triggers the probe DAG once it is parsed and waits for the run to end; throws unless it succeeded. */
  runDag(conf: Record<string, unknown>): Promise<{ runId: string; ms: number }>;
}

interface DagRun {
  dag_run_id: string;
  state: string;
}

/** A client of the API server, with a token from the simple auth manager (all users are admins). */
export async function airflowApi(t: ProbeTarget): Promise<AirflowApi> {
  const { host, port } = t.address("http");
  const base = `http://${host}:${port}`;
  const tokenResponse = await fetch(`${base}/auth/token`, { signal: t.signal });
  if (!tokenResponse.ok)
    throw new Error(
      `GET /auth/token: HTTP ${tokenResponse.status} (the probe needs AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_ALL_ADMINS=true)`,
    );
  const { access_token: token } = (await tokenResponse.json()) as { access_token: string };
  const call = async <T>(method: string, route: string, body?: unknown): Promise<T> => {
    const r = await fetch(`${base}/api/v2${route}`, {
      method,
      headers: { Authorization: `Bearer ${token}`, "Content-Type": "application/json" },
      signal: t.signal,
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    if (!r.ok) {
      const text = await r.text();
      throw new HttpError(r.status, `${method} /api/v2${route}: HTTP ${r.status} ${text.slice(0, 200)}`);
    }
    return (r.status === 204 ? null : await r.json()) as T;
  };
  const api: AirflowApi = {
    call,
    async runDag(conf) {
      await waitForDag(api, t.signal);
      const t0 = performance.now();
      const run = await call<DagRun>("POST", `/dags/${DAG_ID}/dagRuns`, { logical_date: null, conf });
      let state = run.state;
      while (state !== "success" && state !== "failed") {
        await sleep(500, t.signal);
        state = (await call<DagRun>("GET", `/dags/${DAG_ID}/dagRuns/${encodeURIComponent(run.dag_run_id)}`))
          .state;
      }
      if (state === "failed") throw new Error(`run ${run.dag_run_id} failed: ${await failedTasks(api, run)}`);
      return { runId: run.dag_run_id, ms: Math.round(performance.now() - t0) };
    },
  };
  return api;
}

class HttpError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

/** Waits until the DAG processor has parsed the probe DAG (a new file is found within its refresh interval). */
async function waitForDag(api: AirflowApi, signal: AbortSignal): Promise<void> {
  for (;;) {
    try {
      const d = await api.call<{ is_stale?: boolean; is_paused?: boolean }>("GET", `/dags/${DAG_ID}`);
      if (!d.is_stale) {
        if (d.is_paused) await api.call("PATCH", `/dags/${DAG_ID}`, { is_paused: false });
        return;
      }
    } catch (e) {
      if (!(e instanceof HttpError && e.status === 404)) throw e;
    }
    await sleep(1000, signal);
  }
}

async function failedTasks(api: AirflowApi, run: DagRun): Promise<string> {
  const r = await api
    .call<{ task_instances: { task_id: string; state: string | null }[] }>(
      "GET",
      `/dags/${DAG_ID}/dagRuns/${encodeURIComponent(run.dag_run_id)}/taskInstances`,
    )
    .catch(() => null);
  const failed = r?.task_instances.filter((ti) => ti.state !== "success") ?? [];
  return failed.length
    ? `${failed.map((ti) => `${ti.task_id} ${ti.state ?? "not run"}`).join(", ")} (task logs: the run's page in the UI)`
    : "see the run's page in the UI";
}

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal.aborted) return reject(signal.reason);
    const timer = setTimeout(resolve, ms);
    signal.addEventListener(
      "abort",
      () => {
        clearTimeout(timer);
        reject(signal.reason);
      },
      { once: true },
    );
  });
}

/** The Airflow probe: the probe DAG, triggered through the API, runs to success. */
export const airflowProbe: Probe = {
  what: "trigger a DAG through the REST API, wait for its success",
  hint: "`deloc logs airflow-scheduler` and `deloc logs airflow-dag-processor`; the run's task logs are in the UI.",
  async run(t) {
    const release = holdDag(t);
    try {
      const api = await airflowApi(t);
      const { runId, ms } = await api.runDag({});
      return `DAG ${DAG_ID} run ${runId} succeeded in ${(ms / 1000).toFixed(1)} s`;
    } finally {
      release();
    }
  },
};
