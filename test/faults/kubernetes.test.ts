/**
 * Faults on the project's real single-node cluster (`npm run cluster`), with the built CLI: a
 * service that never becomes ready, one killed for memory, the kubelet killed in the middle of
 * `up`, the API server killed and started again in the middle of `up`. A failed deploy exits 5,
 * names the cause and rolls back; a deploy that outlives the fault completes; whatever ran before
 * is there after, its data intact. Kills cluster programs: run alone (the suite runs files one at
 * a time), never beside another test of the cluster.
 */
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { after, before, describe, test } from "node:test";
import { CLI, delocIn } from "../support/cli.js";
import {
  deleteNamespace,
  KUBECONFIG,
  killComponent,
  kubectl,
  loadImages,
  type Obj,
  psqlIn,
  requireCluster,
  startCluster,
} from "../support/cluster.js";

const STACK = "deloc-k8s-faults";
const NS = `deloc-k8s-faults-${process.pid}`;
const UP = ["up", "--target", "kubernetes", "--memory", "4g"];

let dir: string;
const env = { KUBECONFIG, DELOC_NAMESPACE: NS };
const { ok } = delocIn(() => dir, env);

/** The stack: postgres holds the data, web waits for it; `extra` adds the service a fault needs. */
function write(extra = ""): void {
  fs.writeFileSync(
    path.join(dir, "deloc.yaml"),
    `apiVersion: deloc.dev/v1
kind: Stack
metadata: { name: ${STACK} }
spec:
  profile: minimal
  services:
    postgres: {}
    web:
      image: busybox:1.37
      dependsOn: { postgres: healthy }
      command: ["httpd", "-f", "-p", "8080", "-h", "/etc"]
      healthCheck: { command: ["wget", "-q", "-O", "/dev/null", "http://127.0.0.1:8080/passwd"], interval: 1s, retries: 10 }
      resources: { memory: 32Mi, cpu: 100m }
${extra}`,
  );
}

/** `deloc up` running; `stderr` so far, and its exit. */
function upAsync(args: string[]) {
  const child = spawn(process.execPath, [CLI, ...args], {
    cwd: dir,
    env: { ...process.env, CI: "1", ...env },
  });
  const run = { err: "", out: "" };
  child.stderr.on("data", (d) => {
    run.err += d;
  });
  child.stdout.on("data", (d) => {
    run.out += d;
  });
  const code = new Promise<number | null>((resolve) => child.on("close", resolve));
  return { run, code };
}

async function until(check: () => boolean, ms: number, what: string): Promise<void> {
  const end = Date.now() + ms;
  while (!check()) {
    assert.ok(Date.now() < end, `${what}: not within ${ms / 1000} s`);
    await new Promise((r) => setTimeout(r, 250));
  }
}

const psql = (sql: string) => psqlIn(NS, sql);

/** What ran before: postgres's and web's pods (same uids: not replaced), both Ready, the row kept. */
let baseline: Record<string, string>;
function snapshot(): Record<string, string> {
  const pods = kubectl<Obj>("-n", NS, "get", "pods", "-l", `dev.deloc.stack=${STACK}`, "-o", "json")
    .items as Obj[];
  return Object.fromEntries(
    pods
      .filter(
        (p) =>
          ["postgres", "web"].includes(p.metadata.labels["dev.deloc.service"]) &&
          !p.metadata.deletionTimestamp,
      )
      .map((p) => [p.metadata.name, p.metadata.uid]),
  );
}
async function assertKept(): Promise<void> {
  assert.deepEqual(snapshot(), baseline);
  assert.equal(psql("SELECT v FROM kept"), "the data of before");
  assert.ok(!fs.existsSync(path.join(dir, ".deloc", "lock")), "the lock is released");
}

describe("faults on Kubernetes (a real single-node cluster)", () => {
  before(async () => {
    requireCluster();
    loadImages("postgres:17", "busybox:1.37");
    dir = path.join(fs.mkdtempSync(path.join(os.tmpdir(), "deloc-k8s-faults-")), STACK);
    fs.mkdirSync(dir);
    write();
    ok(...UP);
    psql("CREATE TABLE kept (v text); INSERT INTO kept VALUES ('the data of before')");
    baseline = snapshot();
  });
  after(() => {
    if (!process.env.KEEP_FAILED) deleteNamespace(NS);
  });

  test("a service that never becomes ready must fail the deploy (exit 5) and be rolled back; what ran is kept", async () => {
    write(`    never:
      image: busybox:1.37
      command: ["sleep", "3600"]
      healthCheck: { command: ["false"], interval: 1s, retries: 3 }
      resources: { memory: 16Mi, cpu: 100m }
`);
    const { run, code } = upAsync([...UP, "--wait-timeout", "20s"]);
    assert.equal(await code, 5, run.err);
    assert.match(run.err, /never: not ready in time/);
    assert.match(
      run.err,
      /Rolled back to what ran before \(\d+ objects\): re-applied .*; what ran before is ready again/,
    );
    assert.deepEqual(
      kubectl<Obj>("-n", NS, "get", "deployments", "-l", "dev.deloc.service=never", "-o", "json").items,
      [],
    );
    await assertKept();
  });

  test("a pod killed for memory must fail the deploy (exit 5), naming its limit and a size to try; what ran is kept", async () => {
    // No health check: its pod is Ready as soon as it runs, before dd's 64 MiB block outgrows the
    // 32 MiB limit. It must stay up a moment to count, as on Docker.
    write(`    hog:
      image: busybox:1.37
      command: ["dd", "if=/dev/zero", "of=/dev/null", "bs=64M", "count=1000000"]
      resources: { memory: 32Mi, cpu: 100m }
`);
    const { run, code } = upAsync([...UP, "--wait-timeout", "60s"]);
    assert.equal(await code, 5, run.err);
    assert.match(run.err, /hog: killed for running out of memory \(limit 32 MiB\)/);
    assert.match(run.err, /try resources: \{ memory: 64Mi \} for hog in the stack file/);
    assert.deepEqual(
      kubectl<Obj>("-n", NS, "get", "deployments", "-l", "dev.deloc.service=hog", "-o", "json").items,
      [],
    );
    await assertKept();
  });

  /**
   * New services added by an `up` during which `component` is killed, then started again: `slow`
   * gets ready only after 15 s, so `service`'s init container is still waiting for it (kubectl
   * talking to the API server) while the component is away.
   */
  async function killedMidUp(component: string, service: string, downMs: number): Promise<void> {
    write(`    slow:
      image: busybox:1.37
      dependsOn: { postgres: healthy }
      command: ["sh", "-c", "sleep 15; exec httpd -f -p 8080 -h /etc"]
      healthCheck: { command: ["wget", "-q", "-O", "/dev/null", "http://127.0.0.1:8080/passwd"], interval: 1s, retries: 60 }
      resources: { memory: 32Mi, cpu: 100m }
    ${service}:
      image: busybox:1.37
      dependsOn: { slow: healthy }
      command: ["httpd", "-f", "-p", "8080", "-h", "/etc"]
      resources: { memory: 32Mi, cpu: 100m }
`);
    const { run, code } = upAsync([...UP, "--wait-timeout", "5m"]);
    await until(() => /applied \d+ objects/.test(run.err), 60_000, "up applied");
    killComponent(component);
    await new Promise((r) => setTimeout(r, downMs));
    startCluster();
    assert.equal(await code, 0, run.err);
    const rows = JSON.parse(ok("status", "--target", "kubernetes", "--json")).services as Obj[];
    for (const name of ["slow", service])
      assert.equal(rows.find((x) => x.service === name).condition, "running", name);
    // postgres and web are what they were, their data with them.
    await assertKept();
  }

  test("the kubelet killed in the middle of up, then started again: up completes; what ran is kept", () =>
    killedMidUp("kubelet", "late", 10_000));

  test("the API server killed in the middle of up, then started again: up waits it out and completes; what ran is kept", () =>
    killedMidUp("kube-apiserver", "later", 5_000));
});
