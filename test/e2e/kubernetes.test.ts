/**
 * The kubernetes target on a real single-node cluster (`npm run cluster`: kube-apiserver, kubelet
 * with containerd, CoreDNS, a volume provisioner), with the built CLI as a user runs it. Pods run
 * the images the Docker tests build, loaded into the cluster's containerd; nothing here marks
 * anything ready: the kubelet's probes and the controllers do. The stack is
 * test/e2e/kubernetes/deloc.yaml, deployed to a namespace of its own which the test deletes.
 */
import assert from "node:assert/strict";
import { spawn, spawnSync } from "node:child_process";
import fs from "node:fs";
import net from "node:net";
import os from "node:os";
import path from "node:path";
import { after, before, describe, test } from "node:test";
import { CLI, delocIn } from "../support/cli.js";
import {
  deleteNamespace,
  HELM,
  KUBECONFIG,
  KUBECTL,
  kubectl,
  loadImages,
  type Obj,
  psqlIn,
  requireCluster,
  WAIT_IMAGE,
} from "../support/cluster.js";

const psql = (sql: string) => psqlIn(NS, sql);
/** redis-cli in the redis pod; its output. */
function redis(...args: string[]): string {
  return kubectl("-n", NS, "exec", "redis-0", "-c", "redis", "--", "redis-cli", ...args).trim();
}

const STACK = "deloc-k8s";
const NS = `deloc-k8s-${process.pid}`;
const UP = ["up", "--target", "kubernetes", "--memory", "8g", "--profile", "minimal"];
// The init containers' kubectl image (WAIT_IMAGE) and the volume helper are the cluster's own.
const IMAGES = [
  "postgres:17",
  "redis:8.10",
  "quay.io/minio/minio:RELEASE.2025-09-07T16-13-09Z",
  "apache/kafka:4.1.1",
];
const STATEFUL = ["kafka", "minio", "postgres", "redis"];
const CLAIMS = ["kafka-data-kafka-0", "minio-data-minio-0", "postgres-data-postgres-0", "redis-data-redis-0"];

let dir: string;
const env: Record<string, string> = { KUBECONFIG, DELOC_NAMESPACE: NS };
const { ok, deloc } = delocIn(() => dir, env);

/** The built CLI, awaited rather than run synchronously (so `eventually` and followers can run). */
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

/** The stack's objects of a kind (`pods`, `statefulsets.apps`), as the cluster reports them. */
function list(kind: string): Obj[] {
  return kubectl<Obj>("-n", NS, "get", kind, "-l", `dev.deloc.stack=${STACK}`, "-o", "json").items;
}
const names = (os: Obj[]) => os.map((o) => o.metadata.name as string).sort();
const podsOf = (service: string) =>
  list("pods").filter((p) => p.metadata.labels["dev.deloc.service"] === service);
const condition = (o: Obj, type: string) =>
  (o.status?.conditions ?? []).find((c: Obj) => c.type === type && c.status === "True");

/** Listens on each port that is free (others listen there already), until the servers close. */
async function holdPorts(ports: number[]): Promise<net.Server[]> {
  const held: net.Server[] = [];
  for (const port of ports)
    await new Promise<void>((resolve) => {
      const server = net.createServer();
      server.once("error", () => resolve());
      server.listen(port, () => {
        held.push(server);
        resolve();
      });
    });
  return held;
}

/** Polls `check` until it stops throwing, for at most `ms`. */
async function eventually(check: () => void, ms: number): Promise<void> {
  const end = Date.now() + ms;
  for (;;)
    try {
      return check();
    } catch (e) {
      if (Date.now() > end) throw e;
      await new Promise((r) => setTimeout(r, 1000));
    }
}

/** Every long-running pod Running and Ready, every Job Complete, every claim Bound. */
function assertRunning(): void {
  for (const p of list("pods").filter(
    (x) => !x.metadata.ownerReferences?.some((o: Obj) => o.kind === "Job"),
  )) {
    assert.equal(p.status.phase, "Running", p.metadata.name);
    assert.ok(condition(p, "Ready"), `${p.metadata.name} is Ready`);
  }
  const jobs = list("jobs.batch");
  assert.deepEqual(jobs.map((j) => j.metadata.labels["dev.deloc.service"]).sort(), ["seed", "topics"]);
  for (const j of jobs) assert.ok(condition(j, "Complete"), `${j.metadata.name} is Complete`);
  assert.deepEqual(names(list("persistentvolumeclaims")), CLAIMS);
  for (const c of list("persistentvolumeclaims")) assert.equal(c.status.phase, "Bound", c.metadata.name);
}

describe("kubernetes target (a real single-node cluster)", () => {
  before(() => {
    requireCluster();
    loadImages(...IMAGES);
    dir = path.join(fs.mkdtempSync(path.join(os.tmpdir(), "deloc-k8s-")), STACK);
    fs.mkdirSync(dir);
    fs.copyFileSync(path.join(import.meta.dirname, "kubernetes/deloc.yaml"), path.join(dir, "deloc.yaml"));
  });
  after(() => {
    if (!process.env.KEEP_FAILED) deleteNamespace(NS);
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

  test("up must bring every pod to Running and Ready, every Job to Complete, every claim to Bound", async () => {
    const r = await delocAsync(UP);
    assert.equal(r.code, 0, r.err);
    assert.match(r.err, /applied \d+ objects \(server-side apply\)/);
    assertRunning();
    assert.deepEqual(names(list("statefulsets.apps")), STATEFUL);
    assert.deepEqual(names(list("deployments.apps")), ["web"]);
    const secret = list("secrets")[0];
    const saved = fs.readFileSync(path.join(dir, ".deloc/secrets.env"), "utf8");
    assert.ok(saved.includes(`postgres-password=${Buffer.from(secret.data["postgres-password"], "base64")}`));
  });

  test("init containers must hold the start order: no container starts before what it depends on is ready", () => {
    /** When a service's first pod became Ready; a Job's, when its container finished. */
    const readyAt = (service: string) => {
      const p = podsOf(service)[0];
      const done = p.status.containerStatuses[0].state.terminated?.finishedAt;
      return Date.parse(done ?? condition(p, "Ready").lastTransitionTime);
    };
    const startedAt = (service: string) => {
      const s = podsOf(service)[0].status.containerStatuses[0];
      return Date.parse(s.state.running?.startedAt ?? s.state.terminated?.startedAt);
    };
    for (const [service, deps] of Object.entries({
      redis: ["postgres"],
      seed: ["postgres"],
      topics: ["kafka"],
      web: ["redis", "seed"],
    }))
      for (const dep of deps)
        assert.ok(
          startedAt(service) >= readyAt(dep),
          `${service} started ${new Date(startedAt(service)).toISOString()}, before ${dep} was ready ${new Date(readyAt(dep)).toISOString()}`,
        );
    // Kafka's in-stack listener is reachable from another pod: the topics Job created its topic.
    const topics = podsOf("topics")[0].metadata.name;
    assert.match(kubectl("-n", NS, "logs", topics), /Created topic deloc-k8s/);
  });

  test("a second up must change nothing: no object's spec or data moves, no pod is replaced", async () => {
    const snapshot = () =>
      Object.fromEntries(
        ["configmaps", "services", "secrets", "deployments.apps", "statefulsets.apps", "jobs.batch", "pods"]
          .flatMap(list)
          .map((o) => [`${o.kind}/${o.metadata.name}`, o.metadata.generation ?? o.metadata.uid]),
      );
    const before = snapshot();
    // Something now listens on the host ports the stack asks for: the cluster's plan must not care
    // (it moved Kafka's port, so its advertised listener, so its hash, and its pod rolled).
    const held = await holdPorts([9092, 9093, 9094, 9095, 18081]);
    try {
      const r = await delocAsync(UP);
      assert.equal(r.code, 0, r.err);
    } finally {
      for (const server of held) server.close();
    }
    assert.deepEqual(snapshot(), before);
  });

  test("status --json must say each service runs (a one-shot completed) with its pods", () => {
    const s = JSON.parse(ok("status", "--target", "kubernetes", "--json")) as {
      namespace: string;
      services: { service: string; condition: string; ready: number; desired: number; pods: string[] }[];
    };
    assert.equal(s.namespace, NS);
    assert.deepEqual(s.services.map((x) => x.service).sort(), [
      "kafka",
      "minio",
      "postgres",
      "redis",
      "seed",
      "topics",
      "web",
    ]);
    for (const x of s.services) {
      assert.equal(x.condition, ["seed", "topics"].includes(x.service) ? "completed" : "running", x.service);
      assert.equal(x.pods.length, 1, x.service);
    }
  });

  test("status must show each running service's memory in use against its limit (the kubelet's summary API)", async () => {
    type Row = { service: string; memoryBytes: number | null; memoryLimitBytes: number | null };
    // The kubelet samples every few seconds: a pod that just started may not be in it yet.
    await eventually(() => {
      const rows = (JSON.parse(ok("status", "--target", "kubernetes", "--json")) as { services: Row[] })
        .services;
      for (const r of rows.filter((x) => !["seed", "topics"].includes(x.service))) {
        const limit = podsOf(r.service)[0].spec.containers[0].resources.limits.memory as string;
        assert.equal(r.memoryLimitBytes, Number.parseInt(limit, 10) * 2 ** 20, `${r.service}: ${limit}`);
        assert.ok(
          r.memoryBytes! > 0 && r.memoryBytes! < r.memoryLimitBytes!,
          `${r.service}: ${r.memoryBytes}`,
        );
      }
    }, 30_000);
    assert.match(
      ok("status", "--target", "kubernetes"),
      /^kafka\s+StatefulSet\s+running\s+1\/1\s+[\d.]+ MiB \/ \d+ MiB \(\d+%\)/m,
    );
  });

  test("scale web 2 must run two Ready pods, and a later up keeps them; a stateful service cannot be scaled", async () => {
    ok("scale", "web", "2", "--target", "kubernetes");
    await eventually(() => {
      const pods = podsOf("web").filter((p) => !p.metadata.deletionTimestamp);
      assert.equal(pods.length, 2);
      for (const p of pods) assert.ok(condition(p, "Ready"), p.metadata.name);
    }, 60_000);
    const r = await delocAsync(UP);
    assert.equal(r.code, 0, r.err);
    assert.equal(list("deployments.apps")[0].spec.replicas, 2);
    assert.equal(deloc("scale", "postgres", "2", "--target", "kubernetes").code, 2);
  });

  test("logs must print a pod's lines; logs of an unknown service: exit 2", () => {
    const out = ok("logs", "web", "--target", "kubernetes", "--tail", "50");
    assert.match(out, /response:200/);
    assert.equal(deloc("logs", "nothing", "--target", "kubernetes").code, 2);
  });

  test("logs -f must follow: a line the pod writes later is printed, until interrupted", async () => {
    const child = spawn(
      process.execPath,
      [CLI, "logs", "web", "-f", "--tail", "0", "--target", "kubernetes"],
      {
        cwd: dir,
        env: { ...process.env, CI: "1", ...env },
      },
    );
    let out = "";
    child.stdout.on("data", (d) => {
      out += d;
    });
    const exited = new Promise<number | null>((resolve) => child.on("close", resolve));
    try {
      // A request for a missing file: a 404 no health probe makes.
      const web = podsOf("web")[0].metadata.name;
      await eventually(() => {
        spawnSync(KUBECTL, [
          "--kubeconfig",
          KUBECONFIG,
          "-n",
          NS,
          "exec",
          web,
          "--",
          "wget",
          "-q",
          "http://127.0.0.1:8080/none",
        ]);
        assert.match(out, /response:404/);
      }, 30_000);
    } finally {
      child.kill("SIGINT");
    }
    assert.equal(await exited, 0);
  });

  test("the cluster provides the init containers' kubectl image: npm run cluster built and loaded it, not the test", () => {
    const init = podsOf("web")[0].status.initContainerStatuses as Obj[];
    assert.ok(init.length > 0);
    for (const c of init) {
      assert.equal(c.image, WAIT_IMAGE);
      assert.equal(c.state.terminated?.exitCode, 0, JSON.stringify(c.state));
    }
  });

  test("plan --target kubernetes must size from the cluster's nodes (allocatable, less what other pods request), and say so", () => {
    const node = kubectl<Obj>("get", "nodes", "-o", "json").items[0];
    const allocatable = Number.parseInt(node.status.allocatable.memory, 10) * 1024; // Ki
    const plan = JSON.parse(ok("plan", "--target", "kubernetes", "--profile", "minimal", "--json")) as {
      budget: Obj;
    };
    assert.equal(plan.budget.capacity, "cluster");
    assert.equal(plan.budget.memorySource, "kubernetes nodes");
    assert.equal(plan.budget.hostMemoryBytes, allocatable);
    // CoreDNS at least requests memory; this stack's own pods are not counted against it.
    assert.ok(plan.budget.committedBytes > 0);
    assert.ok(
      !(plan.budget.commitments as Obj[]).some((c) => c.stack === STACK),
      "the stack's own pods are not counted",
    );
    assert.equal(
      plan.budget.memoryBytes,
      allocatable - Math.floor(allocatable * 0.1) - plan.budget.committedBytes,
    );
    const text = ok("plan", "--target", "kubernetes", "--profile", "minimal");
    assert.match(text, /allocatable \(kubernetes nodes\)/);
    assert.match(text, /Cluster: the cluster's 1 schedulable node: .* allocatable/);
    const stated = JSON.parse(ok("plan", "--target", "kubernetes", "--memory", "8g", "--json"));
    assert.equal(stated.budget.capacity, "flags");
    assert.equal(stated.budget.hostMemoryBytes, 8 * 2 ** 30);
  });

  test("verify --target kubernetes must pass every probe, through port-forwards (Kafka produce and consume too)", async () => {
    const r = await delocAsync(["verify", "--target", "kubernetes", "--json"]);
    assert.equal(r.code, 0, r.out + r.err);
    const report = JSON.parse(r.out) as { probes: { service: string; status: string; detail: string }[] };
    const by = Object.fromEntries(report.probes.map((p) => [p.service, p]));
    for (const s of ["kafka", "minio", "postgres", "redis", "web"])
      assert.equal(by[s]?.status, "passed", `${s}: ${by[s]?.detail}`);
    assert.match(by.kafka!.detail, /produced and consumed a message/);
  });

  test("backup and restore must go through the API server's exec: a postgres dump, redis's claim", async () => {
    psql("CREATE TABLE IF NOT EXISTS kept (v text); DELETE FROM kept; INSERT INTO kept VALUES ('before')");
    const dump = path.join(dir, "pg.tar.gz");
    let r = await delocAsync(["backup", "postgres", "-o", dump, "--target", "kubernetes"]);
    assert.equal(r.code, 0, r.err);
    psql("UPDATE kept SET v = 'after'");
    // Without a terminal to ask on and without --yes, nothing is overwritten.
    r = await delocAsync(["restore", "postgres", dump, "--target", "kubernetes"]);
    assert.equal(r.code, 2, r.err);
    assert.match(r.err, /would overwrite 1 volume of postgres .*--yes/s);
    assert.equal(psql("SELECT v FROM kept"), "after");
    r = await delocAsync(["restore", "postgres", dump, "--yes", "--target", "kubernetes"]);
    assert.equal(r.code, 0, r.err);
    assert.equal(psql("SELECT v FROM kept"), "before");

    assert.equal(redis("SET", "kept", "before"), "OK");
    const vol = path.join(dir, "redis.tar.gz");
    r = await delocAsync(["backup", "redis", "-o", vol, "--target", "kubernetes", "--json"]);
    assert.equal(r.code, 0, r.err);
    assert.deepEqual(JSON.parse(r.out).volumes, ["redis-data"]);
    // Backed up while stopped, and running and Ready again after.
    assert.ok(condition(podsOf("redis")[0], "Ready"));
    assert.equal(redis("SET", "kept", "after"), "OK");
    r = await delocAsync(["restore", "redis", vol, "--yes", "--target", "kubernetes"]);
    assert.equal(r.code, 0, r.err);
    assert.equal(redis("GET", "kept"), "before");
    // No helper pod is left behind.
    await eventually(
      () =>
        assert.deepEqual(
          list("pods").filter((p) => p.metadata.labels["dev.deloc.role"]),
          [],
        ),
      30_000,
    );
  });

  test("stop must scale services to no pods, keeping their claims; status says stopped; up starts them again", async () => {
    let r = await delocAsync(["stop", "web", "redis", "--target", "kubernetes"]);
    assert.equal(r.code, 0, r.err);
    assert.match(r.err, /Stopped redis, web/);
    assert.deepEqual(podsOf("web"), []);
    assert.deepEqual(podsOf("redis"), []);
    const rows = JSON.parse(ok("status", "--target", "kubernetes", "--json")).services as Obj[];
    assert.equal(rows.find((x) => x.service === "redis").condition, "stopped");
    assert.equal(rows.find((x) => x.service === "postgres").condition, "running");
    r = await delocAsync(UP);
    assert.equal(r.code, 0, r.err);
    assertRunning();
    assert.equal(redis("GET", "kept"), "before");
  });

  test("a service whose probe never passes must fail the deploy, with its pod's events and log tail, and roll back to what ran before", async () => {
    const file = path.join(dir, "deloc.yaml");
    const good = fs.readFileSync(file, "utf8");
    const hash = () => list("deployments.apps")[0].spec.template.metadata.annotations["dev.deloc.hash"];
    const before = hash();
    const seed = () => list("jobs.batch").filter((j) => j.metadata.labels["dev.deloc.service"] === "seed");
    const [seedBefore] = seed();
    // The seed task changes too (a new Job), and ran in the failed deploy.
    fs.writeFileSync(
      file,
      good
        .replace("http://127.0.0.1:8080/passwd", "http://127.0.0.1:8080/never")
        .replace('"-t", "30"]', '"-t", "31"]'),
    );
    try {
      const r = await delocAsync([...UP, "--wait-timeout", "25s"]);
      assert.equal(r.code, 5, r.err);
      assert.match(r.err, /web: (not ready in time|pod web-\S+: CrashLoopBackOff)/);
      assert.match(r.err, /health check said: .*(Startup|Readiness) probe failed/);
      assert.match(r.err, /last log lines:[\s\S]*response:404/);
      assert.match(r.err, /Rolled back to what ran before \(\d+ objects\): re-applied/);
    } finally {
      fs.writeFileSync(file, good);
    }
    assert.equal(hash(), before);
    // up returned once what ran before was Ready again: no waiting here.
    const pods = podsOf("web").filter((p) => !p.metadata.deletionTimestamp);
    assert.equal(pods.length, 2);
    for (const p of pods) {
      assert.equal(p.metadata.annotations["dev.deloc.hash"], before);
      assert.ok(condition(p, "Ready"), p.metadata.name);
    }
    // The seed task that ran before is the same Job, not made again (it would run again).
    assert.deepEqual(
      seed().map((j) => j.metadata.uid),
      [seedBefore.metadata.uid],
    );
    // What ran before is the stack as it was: a later up changes nothing.
    const r = await delocAsync(UP);
    assert.equal(r.code, 0, r.err);
  });

  test("down must keep the claims (the data); down --volumes removes them; nothing of the stack is left", async () => {
    ok("down", "--target", "kubernetes");
    assert.deepEqual(list("deployments.apps"), []);
    assert.deepEqual(list("statefulsets.apps"), []);
    assert.deepEqual(list("secrets"), []);
    await eventually(() => assert.deepEqual(list("pods"), []), 120_000);
    assert.deepEqual(names(list("persistentvolumeclaims")), CLAIMS);
    for (const c of list("persistentvolumeclaims")) assert.equal(c.status.phase, "Bound");
    ok("down", "--volumes", "--yes", "--target", "kubernetes");
    // The pvc-protection controller lets a claim go once no pod uses it; none does any more.
    await eventually(() => assert.deepEqual(list("persistentvolumeclaims"), []), 60_000);
    for (const kind of [
      "configmaps",
      "services",
      "jobs.batch",
      "roles.rbac.authorization.k8s.io",
      "networkpolicies.networking.k8s.io",
    ])
      assert.deepEqual(list(kind), [], kind);
  });

  test("with Helm (DELOC_HELM): up installs the chart as a release that becomes Ready; down uninstalls it", async () => {
    const r = await delocAsync(UP, { DELOC_HELM: HELM });
    assert.equal(r.code, 0, r.err);
    assert.match(r.err, /helm upgrade --install deloc-k8s: STATUS: deployed/);
    assertRunning();
    assert.equal(kubectl<Obj>("-n", NS, "get", "secrets", "-l", "owner=helm", "-o", "json").items.length, 1);
    // A failed upgrade goes back with `helm rollback` to the revision that ran.
    const file = path.join(dir, "deloc.yaml");
    const good = fs.readFileSync(file, "utf8");
    const hash = () => list("deployments.apps")[0].spec.template.metadata.annotations["dev.deloc.hash"];
    const before = hash();
    fs.writeFileSync(file, good.replace("http://127.0.0.1:8080/passwd", "http://127.0.0.1:8080/never"));
    try {
      const bad = await delocAsync([...UP, "--wait-timeout", "25s"], { DELOC_HELM: HELM });
      assert.equal(bad.code, 5, bad.err);
      assert.match(bad.err, /Rolled back to what ran before \(helm revision 1\): Rollback was a success/);
    } finally {
      fs.writeFileSync(file, good);
    }
    assert.equal(hash(), before);
    const down = await delocAsync(["down", "--volumes", "--yes", "--target", "kubernetes"], {
      DELOC_HELM: HELM,
    });
    assert.equal(down.code, 0, down.err);
    assert.deepEqual(kubectl<Obj>("-n", NS, "get", "secrets", "-l", "owner=helm", "-o", "json").items, []);
    assert.deepEqual(list("statefulsets.apps"), []);
    await eventually(() => assert.deepEqual(list("persistentvolumeclaims"), []), 120_000);
  });
});
