/**
 * The README's main job, as a user runs it: `deloc init` (the default `streaming` recipe) and
 * `deloc up` on the real engine; then `deloc verify` proves every service moves data and that the
 * recipe does what it says (events from Kafka land in MinIO through Spark), and
 * `deloc down --volumes` leaves nothing behind.
 */
import assert from "node:assert/strict";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { after, test } from "node:test";
import { delocIn } from "../support/cli.js";
import { dockerAdapter } from "../support/engine.js";

const dir = path.join(fs.mkdtempSync(path.join(os.tmpdir(), "deloc-main-")), "deloc-main-job");
fs.mkdirSync(dir);

const { ok: deloc, deloc: run } = delocIn(() => dir);

after(() => {
  run("cleanup", "--yes");
});

test("main job: init and up bring the default stack up; verify proves each service; down --volumes leaves nothing", async () => {
  deloc("init");
  deloc("up");
  const report = JSON.parse(deloc("verify", "--json")) as {
    ok: boolean;
    probes: { service: string; ok: boolean; what: string | null; detail: string }[];
  };
  assert.equal(report.ok, true, JSON.stringify(report.probes, null, 2));
  assert.deepEqual(
    report.probes.filter((p) => p.what !== null).map((p) => `${p.service}:${p.ok}`),
    ["kafka:true", "minio:true", "postgres:true", "spark-master:true", "kafka → spark → minio:true"],
  );
  deloc("down", "--volumes", "--yes");
  const o = await (await dockerAdapter()).observe("deloc-main-job");
  assert.deepEqual([o.containers, o.volumes, o.networks], [[], [], []]);
});
