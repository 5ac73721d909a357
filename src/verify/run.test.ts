import assert from "node:assert/strict";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { describe, it } from "node:test";
import { freePort } from "../../test/support/ports.js";
import { budget, catalog, stackFrom } from "../../test/support/stack.js";
import type { PlannedService } from "../core/index.js";
import { plan } from "../planner/index.js";
import { verify } from "./run.js";

/** The planned services of `services`, every published port pointed at `port`, the DAG folder at `dags`. */
function planned(services: string, port: number, dags: string): PlannedService[] {
  const p = plan(
    stackFrom(
      `apiVersion: deloc.dev/v1\nkind: Stack\nmetadata: { name: demo }\nspec:\n  services:\n${services}`,
    ),
    catalog,
    budget(32),
  );
  return p.services.map((s) => ({
    ...s,
    ports: s.ports.map((q) => ({ ...q, host: port })),
    volumes: s.volumes.map((v) =>
      v.type === "bind" && v.target === "/opt/airflow/dags" ? { ...v, source: dags } : v,
    ),
  }));
}

describe("verify", () => {
  it("reports each service (probed, proved by another's probe, or without a probe) and the flow its stack has the services for; failures carry what failed and a hint", async () => {
    const dags = fs.mkdtempSync(path.join(os.tmpdir(), "deloc-verify-dags-"));
    const services = planned(
      "    airflow: {}\n    minio: {}\n    redis: {}\n    spark-worker: {}\n    app: { image: example/app:1 }\n",
      await freePort(),
      dags,
    );
    const results = await verify(services, () => ({}));
    assert.deepEqual(
      results.map((r) => `${r.kind}:${r.service}:${r.what === null ? "no probe" : r.ok ? "pass" : "fail"}`),
      [
        "service:airflow-api-server:fail",
        "service:airflow-dag-processor:no probe",
        "service:airflow-init:no probe",
        "service:airflow-scheduler:no probe",
        "service:app:no probe",
        "service:minio:fail",
        "service:postgres:fail",
        "service:redis:fail",
        "service:spark-master:fail",
        "service:spark-worker:no probe",
        "flow:postgres → airflow → minio:fail",
      ],
    );
    const by = new Map(results.map((r) => [r.service, r]));
    assert.match(by.get("spark-worker")!.detail, /proved by spark-master's probe/);
    assert.match(by.get("airflow-init")!.detail, /proved by airflow-api-server's probe/);
    assert.equal(by.get("app")!.detail, "no probe for this kind of service yet");
    assert.match(by.get("redis")!.detail, /ECONNREFUSED/);
    for (const r of results.filter((r) => r.what !== null && !r.ok))
      assert.ok(r.hint, `${r.service} has a hint`);
    // The probe DAG is written for the run only, whatever the outcome.
    assert.deepEqual(fs.readdirSync(dags), []);
  });

  it("runs no flow when the stack lacks one of its services", async () => {
    const results = await verify(planned("    redis: {}\n", await freePort(), os.tmpdir()), () => ({}));
    assert.deepEqual(
      results.map((r) => `${r.kind}:${r.service}`),
      ["service:redis"],
    );
  });
});
