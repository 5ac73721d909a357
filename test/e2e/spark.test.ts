/**
 * Spark standalone and Jupyter from the catalog, on the real engine: a worker brings its master,
 * registers with it, a PySpark job runs on the cluster and Jupyter serves (`verify`), and the
 * workers scale.
 */
import assert from "node:assert/strict";
import fs from "node:fs";
import http from "node:http";
import os from "node:os";
import path from "node:path";
import { after, before, describe, test } from "node:test";
import { delocIn } from "../support/cli.js";

const STACK = "deloc-e2e-spark";
let dir: string;

const { ok, deloc } = delocIn(() => dir);

/** The master's own account of its workers, from its UI's JSON on the published port. */
async function aliveWorkers(): Promise<number> {
  const plan = JSON.parse(ok("plan", "--json")) as {
    services: { name: string; ports: { name: string; host: number }[] }[];
  };
  const ui = plan.services.find((s) => s.name === "spark-master")!.ports.find((p) => p.name === "ui")!.host;
  // A fresh connection each time: Jetty drops idle ones, which a pooled fetch would reuse.
  const body = await new Promise<string>((resolve, reject) =>
    http
      .get({ host: "127.0.0.1", port: ui, path: "/json/", agent: false }, (res) => {
        let text = "";
        res.on("data", (b: Buffer) => {
          text += b.toString();
        });
        res.on("end", () => resolve(text));
      })
      .on("error", reject),
  );
  const status = JSON.parse(body) as { workers: { state: string }[] };
  return status.workers.filter((w) => w.state === "ALIVE").length;
}

describe("spark (real engine)", () => {
  before(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), "deloc-spark-"));
    fs.writeFileSync(
      path.join(dir, "deloc.yaml"),
      `apiVersion: deloc.dev/v1\nkind: Stack\nmetadata: { name: ${STACK} }\nspec:\n  profile: minimal\n  services:\n    spark-worker: {}\n    jupyter: {}\n`,
    );
  });
  after(() => {
    deloc("down", "--volumes", "--yes");
    fs.rmSync(dir, { recursive: true, force: true });
  });

  test("a worker brings its master and registers with it", async () => {
    ok("up");
    assert.equal(await aliveWorkers(), 1);
  });

  test("verify: a PySpark job runs on the cluster and computes the right sum; Jupyter serves", () => {
    const r = JSON.parse(ok("verify", "--json")) as {
      probes: { service: string; ok: boolean; what: string | null }[];
    };
    assert.deepEqual(
      r.probes.filter((p) => p.what).map((p) => `${p.service}:${p.ok}`),
      ["jupyter:true", "spark-master:true"],
    );
  });

  test("scale: a second worker registers with the master", async () => {
    ok("scale", "spark-worker", "2");
    for (let i = 0; i < 40 && (await aliveWorkers()) < 2; i++) await new Promise((r) => setTimeout(r, 250));
    assert.equal(await aliveWorkers(), 2);
  });
});
