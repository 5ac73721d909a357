/**
 * The exported chart on the project's real single-node cluster (`npm run cluster`): `deloc export
 * helm`, then Helm itself installs it, as a user would without DELoc. The pods become Ready, the
 * init containers hold the start order (seen in the pods' start times), `deloc verify` passes
 * against it, and `helm upgrade` with more memory in values.yaml rolls the pod and its JVM heap
 * follows (the chart derives it in `deloc.heap`).
 */
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { after, before, describe, test } from "node:test";
import { parse, stringify } from "yaml";
import { delocIn } from "../support/cli.js";
import {
  deleteNamespace,
  HELM,
  KUBECONFIG,
  kubectl,
  loadImages,
  type Obj,
  requireCluster,
} from "../support/cluster.js";

const STACK = "deloc-chart";
const NS = `deloc-chart-${process.pid}`;
const IMAGES = ["postgres:17", "apache/kafka:4.1.1", "busybox:1.37"];

let dir: string;
const { ok } = delocIn(() => dir, { KUBECONFIG, DELOC_NAMESPACE: NS });

function helm(...args: string[]): string {
  const r = spawnSync(HELM, ["--kubeconfig", KUBECONFIG, "--namespace", NS, ...args], {
    cwd: dir,
    encoding: "utf8",
    timeout: 600_000,
  });
  assert.equal(r.status, 0, `helm ${args.join(" ")}: ${r.stderr}${r.stdout}`);
  return r.stdout;
}

const podsOf = (service: string): Obj[] =>
  kubectl<Obj>("-n", NS, "get", "pods", "-l", `dev.deloc.service=${service}`, "-o", "json").items.filter(
    (p: Obj) => !p.metadata.deletionTimestamp,
  );
const ready = (p: Obj) =>
  (p.status.conditions ?? []).find((c: Obj) => c.type === "Ready" && c.status === "True");

describe("the exported Helm chart, installed by Helm on a real cluster", () => {
  before(() => {
    requireCluster();
    loadImages(...IMAGES);
    dir = path.join(fs.mkdtempSync(path.join(os.tmpdir(), "deloc-chart-")), STACK);
    fs.mkdirSync(dir);
    fs.copyFileSync(
      path.join(import.meta.dirname, "kubernetes-helm/deloc.yaml"),
      path.join(dir, "deloc.yaml"),
    );
    ok("export", "helm", "-o", "chart");
  });
  after(() => {
    if (!process.env.KEEP_FAILED) deleteNamespace(NS);
  });

  test("helm install must become Ready: every pod Ready, the Job complete", () => {
    helm("install", STACK, "./chart", "--create-namespace", "--wait", "--wait-for-jobs", "--timeout", "8m");
    for (const s of ["postgres", "kafka", "web"]) {
      const [p] = podsOf(s);
      assert.ok(p && ready(p), `${s} is Ready`);
    }
    const job = kubectl<Obj>("-n", NS, "get", "jobs", "-l", "dev.deloc.service=topics", "-o", "json")
      .items[0];
    assert.ok(job.status.conditions.some((c: Obj) => c.type === "Complete" && c.status === "True"));
  });

  test("its init containers must hold the start order: each main container starts after what it waits for is Ready", () => {
    const readyAt = (service: string) => Date.parse(ready(podsOf(service)[0]).lastTransitionTime);
    const startedAt = (service: string) => {
      const s = podsOf(service)[0].status.containerStatuses[0];
      return Date.parse(s.state.running?.startedAt ?? s.state.terminated?.startedAt);
    };
    for (const [service, dep] of [
      ["topics", "kafka"],
      ["web", "postgres"],
    ] as const) {
      assert.ok(podsOf(service)[0].spec.initContainers.some((c: Obj) => c.name === `wait-for-${dep}`));
      assert.ok(
        startedAt(service) >= readyAt(dep),
        `${service} started ${new Date(startedAt(service)).toISOString()}, before ${dep} was Ready`,
      );
    }
  });

  test("deloc verify must pass against the chart Helm installed (the secrets it generated read from the cluster)", () => {
    const report = JSON.parse(ok("verify", "--target", "kubernetes", "--json")) as {
      ok: boolean;
      probes: { service: string; status: string; detail: string }[];
    };
    for (const p of report.probes) assert.equal(p.status, "passed", `${p.service}: ${p.detail}`);
    assert.deepEqual(report.probes.map((p) => p.service).sort(), ["kafka", "postgres", "web"]);
  });

  test("helm upgrade with more memory in values.yaml must roll the pod, and the JVM heap must follow", () => {
    const before = podsOf("kafka")[0];
    const limit = before.spec.containers[0].resources.limits.memory as string;
    const mib = Number.parseInt(limit, 10);
    assert.match(limit, /^\d+Mi$/);
    const file = path.join(dir, "chart/values.yaml");
    const values = parse(fs.readFileSync(file, "utf8"));
    values.services.kafka.resources.limits.memory = `${mib + 128}Mi`;
    fs.writeFileSync(file, stringify(values));
    helm("upgrade", STACK, "./chart", "--wait", "--timeout", "8m");
    const [after] = podsOf("kafka");
    assert.notEqual(after.metadata.uid, before.metadata.uid, "the pod was replaced");
    assert.equal(after.spec.containers[0].resources.limits.memory, `${mib + 128}Mi`);
    const env = kubectl("-n", NS, "exec", "kafka-0", "-c", "kafka", "--", "env");
    const heap = Math.floor((mib + 128) / 2); // the catalog's heapRatio for Kafka: 0.5
    assert.match(env, new RegExp(`^KAFKA_HEAP_OPTS=-Xmx${heap}m -Xms${heap}m$`, "m"));
  });
});
