/**
 * The kubernetes target against a real API server (Kubernetes 1.37's kube-apiserver on Debian's
 * etcd, test/support/apiserver.ts), with the built CLI as a user runs it. No kubelet or
 * controllers can run on this machine, so where the cluster would make a workload ready, the test
 * says so through the workload's status subresource, as the controllers do; everything DELoc does
 * (apply, prune, wait, status, scale, down, Helm) meets the real API.
 */
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { after, before, describe, test } from "node:test";
import { type ApiServer, type Obj, startApiServer } from "../support/apiserver.js";
import { CLI, delocIn } from "../support/cli.js";

const STACK = "deloc-k8s";
const NS = STACK;
const UP = ["up", "--target", "kubernetes", "--memory", "16g"];
const HELM = path.resolve(import.meta.dirname, "../../tools/bin/helm");

let api: ApiServer;
let dir: string;
const env: Record<string, string> = {};
const { ok, deloc } = delocIn(() => dir, env);

/** The built CLI, awaited rather than run synchronously. */
function delocAsync(
  args: string[],
  extraEnv: Record<string, string> = {},
): Promise<{ code: number | null; out: string; err: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [CLI, ...args], {
      cwd: dir,
      env: { ...process.env, CI: "1", ...env, ...extraEnv },
    });
    let out = "";
    let err = "";
    child.stdout.on("data", (d) => {
      out += d;
    });
    child.stderr.on("data", (d) => {
      err += d;
    });
    child.on("close", (code) => resolve({ code, out, err }));
  });
}

/** Lists the stack's objects of a kind: `apps/v1 deployments`. */
async function list(group: string, plural: string): Promise<Obj[]> {
  const base = group === "v1" ? "/api/v1" : `/apis/${group}`;
  return (
    await api.request("GET", `${base}/namespaces/${NS}/${plural}?labelSelector=dev.deloc.stack%3D${STACK}`)
  ).items;
}

/** What the controllers and kubelets would report once the pods run: every workload ready. */
async function markReady(): Promise<void> {
  const merge = "application/merge-patch+json";
  for (const plural of ["deployments", "statefulsets"])
    for (const w of await list("apps/v1", plural)) {
      const n = w.spec.replicas;
      await api.request(
        "PATCH",
        `/apis/apps/v1/namespaces/${NS}/${plural}/${w.metadata.name}/status`,
        {
          status: {
            observedGeneration: w.metadata.generation,
            replicas: n,
            readyReplicas: n,
            availableReplicas: n,
            updatedReplicas: n,
          },
        },
        merge,
      );
    }
  for (const j of await list("batch/v1", "jobs"))
    await api.request(
      "PATCH",
      `/apis/batch/v1/namespaces/${NS}/jobs/${j.metadata.name}/status`,
      { status: { startTime: new Date().toISOString(), succeeded: 1 } },
      merge,
    );
}

describe("kubernetes target (a real API server)", () => {
  let controllers: NodeJS.Timeout | undefined;
  before(async () => {
    api = await startApiServer();
    env.KUBECONFIG = api.kubeconfig;
    dir = path.join(fs.mkdtempSync(path.join(os.tmpdir(), "deloc-k8s-")), STACK);
    fs.mkdirSync(dir);
    ok("init", "--recipe", "full", "--profile", "minimal");
  });
  after(async () => {
    clearInterval(controllers);
    await api?.stop();
  });

  test("no API server answering: exit 4, naming the kubeconfig's server", () => {
    const r = delocIn(() => dir, { KUBECONFIG: path.join(dir, "missing-kubeconfig") }).deloc(
      "status",
      "--target",
      "kubernetes",
    );
    assert.equal(r.code, 4, r.err);
    assert.match(r.err, /No Kubernetes API server answered/);
  });

  test("up with nothing becoming ready: exit 5, naming the first phase's services", () => {
    const r = deloc("up", "--target", "kubernetes", "--memory", "16g", "--wait-timeout", "2s");
    assert.equal(r.code, 5, r.err);
    assert.match(r.err, /applied \d+ objects \(server-side apply\)/);
    assert.match(r.err, /postgres: not ready in time: 0\/1 ready, no pod yet/);
    // Only the first phase was waited for: what depends on it was not reported.
    assert.doesNotMatch(r.err, /airflow-api-server: not ready/);
  });

  test("up: every object applied, each phase waited for in start order", async () => {
    controllers = setInterval(() => void markReady().catch(() => undefined), 300);
    // Run without blocking this process: the stand-in controllers above must keep running.
    const r = await delocAsync(UP);
    assert.equal(r.code, 0, r.err);
    const order = [...r.err.matchAll(/^([\w-]+): ready/gm)].map((m) => m[1]);
    assert.ok(order.indexOf("postgres") < order.indexOf("airflow-init"), order.join(" "));
    assert.ok(order.indexOf("airflow-init") < order.indexOf("airflow-scheduler"), order.join(" "));
    assert.ok(order.indexOf("spark-master") < order.indexOf("spark-worker"), order.join(" "));
    const names = (os: Obj[]) => os.map((o) => o.metadata.name).sort();
    assert.deepEqual(names(await list("apps/v1", "statefulsets")), ["kafka", "minio", "postgres", "redis"]);
    assert.deepEqual(names(await list("apps/v1", "deployments")), [
      "airflow-api-server",
      "airflow-dag-processor",
      "airflow-scheduler",
      "jupyter",
      "spark-master",
      "spark-worker",
    ]);
    assert.match(names(await list("batch/v1", "jobs")).join(), /^airflow-init-[0-9a-f]{8}$/);
    assert.deepEqual(names(await list("v1", "secrets")), [`${STACK}-secrets`]);
    assert.deepEqual(names(await list("v1", "persistentvolumeclaims")), [
      "airflow-logs",
      "dags",
      "notebooks",
    ]);
    const secret = (await list("v1", "secrets"))[0]!;
    const saved = fs.readFileSync(path.join(dir, ".deloc/secrets.env"), "utf8");
    assert.ok(saved.includes(`postgres-password=${Buffer.from(secret.data["postgres-password"], "base64")}`));
  });

  test("a second up changes nothing: no object's spec or data moves", async () => {
    const snapshot = async () =>
      Object.fromEntries(
        (
          await Promise.all([
            list("v1", "configmaps"),
            list("v1", "services"),
            list("v1", "secrets"),
            list("apps/v1", "deployments"),
            list("apps/v1", "statefulsets"),
          ])
        )
          .flat()
          .map((o) => [`${o.kind}/${o.metadata.name}`, o.metadata.generation ?? o.metadata.resourceVersion]),
      );
    const before = await snapshot();
    assert.equal((await delocAsync(UP)).code, 0);
    assert.deepEqual(await snapshot(), before);
  });

  test("status --json: each service running (a one-shot completed)", () => {
    const s = JSON.parse(ok("status", "--target", "kubernetes", "--json")) as {
      namespace: string;
      services: { service: string; condition: string }[];
    };
    assert.equal(s.namespace, NS);
    for (const x of s.services)
      assert.equal(x.condition, x.service === "airflow-init" ? "completed" : "running", x.service);
  });

  test("scale spark-worker 3 sets the Deployment's replicas, and a later up keeps them; logs of a pod-less service: exit 7", async () => {
    ok("scale", "spark-worker", "3", "--target", "kubernetes");
    const replicas = async () =>
      (await list("apps/v1", "deployments")).find((d) => d.metadata.name === "spark-worker")!.spec.replicas;
    assert.equal(await replicas(), 3);
    assert.equal((await delocAsync(UP)).code, 0);
    assert.equal(await replicas(), 3);
    assert.equal(deloc("scale", "postgres", "2", "--target", "kubernetes").code, 2);
    assert.equal(deloc("logs", "kafka", "--target", "kubernetes").code, 7);
    assert.equal(deloc("logs", "kafka", "-f", "--target", "kubernetes").code, 2);
  });

  test("down keeps the claims (the data); down --volumes removes them; nothing of the stack is left", async () => {
    ok("down", "--target", "kubernetes");
    assert.deepEqual(await list("apps/v1", "deployments"), []);
    assert.deepEqual(await list("v1", "secrets"), []);
    assert.equal((await list("v1", "persistentvolumeclaims")).length, 3);
    ok("down", "--volumes", "--target", "kubernetes");
    // The claims are deleted; the pvc-protection controller (absent here) lets them go once no pod
    // uses them: the test does its part.
    for (const c of await list("v1", "persistentvolumeclaims")) {
      assert.ok(c.metadata.deletionTimestamp, `${c.metadata.name} is being deleted`);
      await api.request(
        "PATCH",
        `/api/v1/namespaces/${NS}/persistentvolumeclaims/${c.metadata.name}`,
        { metadata: { finalizers: null } },
        "application/merge-patch+json",
      );
    }
    for (const [g, p] of [
      ["v1", "persistentvolumeclaims"],
      ["v1", "configmaps"],
      ["v1", "services"],
      ["batch/v1", "jobs"],
      ["apps/v1", "statefulsets"],
      ["rbac.authorization.k8s.io/v1", "roles"],
      ["networking.k8s.io/v1", "networkpolicies"],
    ] as const)
      assert.deepEqual(await list(g, p), [], p);
  });

  test("with Helm (DELOC_HELM): up installs the chart as a release; down uninstalls it", async () => {
    const r = await delocAsync(UP, { DELOC_HELM: HELM });
    assert.equal(r.code, 0, r.err);
    assert.match(r.err, /helm upgrade --install deloc-k8s: STATUS: deployed/);
    const releases = await api.request("GET", `/api/v1/namespaces/${NS}/secrets?labelSelector=owner%3Dhelm`);
    assert.equal(releases.items.length, 1);
    assert.equal((await list("apps/v1", "statefulsets")).length, 4);
    assert.equal(
      (await delocAsync(["down", "--volumes", "--target", "kubernetes"], { DELOC_HELM: HELM })).code,
      0,
    );
    assert.deepEqual(
      (await api.request("GET", `/api/v1/namespaces/${NS}/secrets?labelSelector=owner%3Dhelm`)).items,
      [],
    );
    assert.deepEqual(await list("apps/v1", "statefulsets"), []);
  });
});
