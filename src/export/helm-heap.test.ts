/**
 * The chart's JVM heap follows the memory in values.yaml: computed in the template from the
 * container limit with the catalog's ratio, the same figures as the Plan at default values.
 * Rendered with the real Helm (`npm run tools`); skipped when it is not built.
 */
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { describe, it } from "node:test";
import { parseAllDocuments } from "yaml";
import { budget, catalog, recipeStack, stackFrom } from "../../test/support/stack.js";
import { plan } from "../planner/index.js";
import { helmChart } from "./helm/chart.js";
import { k8sManifestObjects } from "./k8s/manifests.js";

const HELM = path.resolve(import.meta.dirname, "../../tools/bin/helm");
const MIB = 1024 ** 2;

// biome-ignore lint/suspicious/noExplicitAny: manifests are read field by field
type Obj = Record<string, any>;

function render(files: Record<string, string>, set: string[] = []): Obj[] {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "deloc-heap-"));
  for (const [name, text] of Object.entries(files)) {
    fs.mkdirSync(path.dirname(path.join(dir, name)), { recursive: true });
    fs.writeFileSync(path.join(dir, name), text);
  }
  const r = spawnSync(HELM, ["template", "t", dir, ...set.flatMap((s) => ["--set", s])], {
    encoding: "utf8",
  });
  assert.equal(r.status, 0, r.stderr);
  return parseAllDocuments(r.stdout)
    .map((d) => d.toJS() as Obj)
    .filter(Boolean);
}

const envOf = (objs: Obj[], service: string) =>
  objs.find((o) => o.kind === "ConfigMap" && o.metadata.name === `${service}-env`)?.data ?? {};

describe(
  "helm chart heap",
  { skip: fs.existsSync(HELM) ? false : "tools/bin/helm is not built (npm run tools)" },
  () => {
    const p = plan(recipeStack("full"), catalog, budget(16));
    const files = helmChart(p);

    it("at default values, every JVM service's heap is the Plan's", () => {
      const objs = render(files);
      for (const s of p.services.filter((x) => x.jvmHeapEnv))
        assert.equal(envOf(objs, s.name)[s.jvmHeapEnv!], s.env[s.jvmHeapEnv!], s.name);
    });

    it("follows the memory set in values.yaml, with the catalog's ratios", () => {
      const objs = render(files, [
        "services.kafka.resources.limits.memory=3Gi",
        "services.spark-master.resources.limits.memory=2000Mi",
        "services.spark-worker.resources.limits.memory=4G",
      ]);
      assert.equal(envOf(objs, "kafka").KAFKA_HEAP_OPTS, "-Xmx1536m -Xms1536m");
      assert.equal(
        envOf(objs, "spark-master").SPARK_DAEMON_MEMORY,
        `${Math.floor((2000 * 0.7 * MIB) / MIB)}m`,
      );
      assert.equal(envOf(objs, "spark-worker").SPARK_WORKER_MEMORY, `${Math.floor((4e9 * 0.75) / MIB)}m`);
    });

    it("ZooKeeper's heap, in MiB, follows too", () => {
      const zk = plan(
        stackFrom(
          `apiVersion: deloc.dev/v1\nkind: Stack\nmetadata: { name: z }\nspec:\n  services:\n    kafka: { variant: zookeeper }\n`,
        ),
        catalog,
        budget(16),
      );
      const zkFiles = helmChart(zk);
      const planned = zk.services.find((s) => s.name === "zookeeper")!;
      assert.equal(envOf(render(zkFiles), "zookeeper").ZK_SERVER_HEAP, planned.env.ZK_SERVER_HEAP);
      assert.equal(
        envOf(render(zkFiles, ["services.zookeeper.resources.limits.memory=1Gi"]), "zookeeper")
          .ZK_SERVER_HEAP,
        "614",
      );
    });

    it("a heap the stack file sets itself stays as written", () => {
      const own = plan(
        stackFrom(
          `apiVersion: deloc.dev/v1\nkind: Stack\nmetadata: { name: o }\nspec:\n  services:\n    kafka: { env: { KAFKA_HEAP_OPTS: "-Xmx300m" } }\n`,
        ),
        catalog,
        budget(16),
      );
      const objs = render(helmChart(own), ["services.kafka.resources.limits.memory=3Gi"]);
      assert.equal(envOf(objs, "kafka").KAFKA_HEAP_OPTS, "-Xmx300m");
    });

    it("export k8s computes the same heap as the chart renders", () => {
      const objs = k8sManifestObjects(p, { namespace: "default", secrets: {} });
      for (const s of p.services.filter((x) => x.jvmHeapEnv))
        assert.equal(envOf(objs as Obj[], s.name)[s.jvmHeapEnv!], s.env[s.jvmHeapEnv!], s.name);
    });
  },
);
