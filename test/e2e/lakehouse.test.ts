/**
 * The lakehouse recipe on the real engine: `deloc init --recipe lakehouse --profile minimal`,
 * `deloc up`, and `deloc verify` passes every probe and the spark → minio → jupyter flow — a
 * Spark job on the cluster writes a Parquet table to MinIO through S3A, and pyarrow inside the
 * Jupyter container reads it back with the stack's wiring — leaving no bucket behind.
 */
import assert from "node:assert/strict";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { after, test } from "node:test";
import { delocIn } from "../support/cli.js";
import { dockerAdapter } from "../support/engine.js";

const STACK = "deloc-lakehouse";
const dir = path.join(fs.mkdtempSync(path.join(os.tmpdir(), "deloc-lakehouse-")), STACK);
fs.mkdirSync(dir);

const { ok, deloc } = delocIn(() => dir);

after(() => {
  deloc("down", "--volumes", "--yes");
  fs.rmSync(path.dirname(dir), { recursive: true, force: true });
});

test("lakehouse recipe: verify passes the spark → minio → jupyter flow and removes its bucket", async () => {
  ok("init", "--recipe", "lakehouse", "--profile", "minimal");
  ok("up");

  const report = JSON.parse(ok("verify", "--json")) as {
    ok: boolean;
    probes: { kind: string; service: string; ok: boolean; what: string | null; detail: string }[];
  };
  assert.equal(report.ok, true, JSON.stringify(report.probes, null, 2));
  assert.deepEqual(
    report.probes.filter((p) => p.what !== null).map((p) => `${p.kind}:${p.service}:${p.ok}`),
    [
      "service:jupyter:true",
      "service:minio:true",
      "service:postgres:true",
      "service:spark-master:true",
      "flow:spark → minio → jupyter:true",
    ],
  );
  const flow = report.probes.find((p) => p.kind === "flow")!;
  assert.match(
    flow.detail,
    /wrote 1000 rows as [1-9]\d* Parquet file\(s\) to s3:\/\/deloc-verify-\S+\/tables\/orders; jupyter read them back with pyarrow \(sum 500500\)/,
  );

  // The flow's bucket is gone: MinIO's data folder holds no deloc-verify-* bucket.
  const adapter = await dockerAdapter();
  const minio = (await adapter.observe(STACK)).containers.find((c) => c.service === "minio")!;
  const ls = await adapter.exec(minio.id, ["ls", "-A", "/data"]);
  assert.equal(ls.exitCode, 0, ls.output);
  assert.doesNotMatch(ls.output, /deloc-verify-/);
});
