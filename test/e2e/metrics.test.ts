/**
 * `deloc metrics` and the dashboard's `/metrics` on the real engine, through the built CLI: the
 * text passes `promtool check metrics` (Debian's prometheus package), says what the engine runs
 * (limits, replicas, health) and what the event log holds (a failed and a successful deploy), and
 * a real Prometheus scrapes `deloc ui`'s `/metrics` with the token as a parameter.
 */
import assert from "node:assert/strict";
import { type ChildProcess, spawn, spawnSync } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { after, before, describe, test } from "node:test";
import { CLI, delocIn } from "../support/cli.js";
import { freePort } from "../support/ports.js";

const STACK = "deloc-e2e-metrics";
const root = fs.mkdtempSync(path.join(os.tmpdir(), `${STACK}-`));
const { deloc, ok } = delocIn(() => root);

function stackFile(check: string): string {
  return `apiVersion: deloc.dev/v1
kind: Stack
metadata: { name: ${STACK} }
spec:
  services:
    app:
      image: "deloc/debian:trixie"
      command: ["sh", "-c", "trap 'exit 0' TERM; while :; do sleep 1 & wait $$!; done"]
      resources: { memory: 32Mi, cpu: 100m }
      replicas: 2
      healthCheck: { command: ["sh", "-c", "${check}"], interval: 1s, startInterval: 100ms, retries: 2 }
`;
}

/** The first line a long-running command prints, with the process. */
function started(cmd: string, args: string[], cwd: string): Promise<{ child: ChildProcess; line: string }> {
  const child = spawn(cmd, args, { cwd, stdio: ["ignore", "pipe", "pipe"] });
  return new Promise((resolve, reject) => {
    let out = "";
    child.stdout!.on("data", (c) => {
      out += String(c);
      if (out.includes("\n")) resolve({ child, line: out.split("\n")[0]! });
    });
    child.once("exit", (code) => reject(new Error(`${cmd} exited ${code}`)));
  });
}

function sample(text: string, name: string, labels: Record<string, string>): number | undefined {
  const want = Object.entries(labels).map(([k, v]) => `${k}="${v}"`);
  for (const line of text.split("\n")) {
    const m = /^([a-z_]+)\{([^}]*)\} (\S+)$/.exec(line);
    if (m && m[1] === name && want.every((w) => m[2]!.split(",").includes(w))) return Number(m[3]);
  }
  return undefined;
}

const children: ChildProcess[] = [];

describe("deloc metrics: Prometheus' format, checked by promtool and scraped by Prometheus (real engine)", () => {
  before(() => {
    deloc("cleanup", "--yes", "--stack", STACK);
    // A deploy that fails (the check never passes), then one that succeeds: two outcomes in the log.
    fs.writeFileSync(path.join(root, "deloc.yaml"), stackFile("exit 1"));
    const failed = deloc("up", "--wait-timeout", "3s");
    assert.equal(failed.code, 5, failed.err);
    fs.writeFileSync(path.join(root, "deloc.yaml"), stackFile("true"));
    ok("up");
  });
  after(() => {
    for (const c of children) c.kill("SIGINT");
    deloc("cleanup", "--yes", "--stack", STACK);
    fs.rmSync(root, { recursive: true, force: true });
  });

  test("deloc metrics passes promtool and says what runs and how the deploys went", () => {
    const text = ok("metrics");
    const check = spawnSync("promtool", ["check", "metrics"], { input: text, encoding: "utf8" });
    assert.equal(check.status, 0, `promtool: ${check.stdout}${check.stderr}`);
    assert.equal(`${check.stdout}${check.stderr}`.trim(), "", "no lint warnings");
    const app = { stack: STACK, service: "app" };
    for (const replica of ["1", "2"]) {
      assert.equal(sample(text, "deloc_service_memory_limit_bytes", { ...app, replica }), 32 * 1024 ** 2);
      assert.ok((sample(text, "deloc_service_memory_usage_bytes", { ...app, replica }) ?? 0) > 0);
      assert.ok((sample(text, "deloc_service_cpu_seconds_total", { ...app, replica }) ?? -1) >= 0);
      assert.equal(sample(text, "deloc_service_healthy", { ...app, replica }), 1);
      assert.equal(sample(text, "deloc_service_restarts_total", { ...app, replica }), 0);
    }
    assert.equal(sample(text, "deloc_service_replicas", app), 2);
    assert.equal(sample(text, "deloc_service_condition", { ...app, condition: "running" }), 1);
    assert.ok((sample(text, "deloc_service_ready_duration_seconds", app) ?? 0) > 0);
    assert.equal(
      sample(text, "deloc_deploy_duration_seconds_count", { stack: STACK, outcome: "success" }),
      1,
    );
    assert.equal(
      sample(text, "deloc_deploy_duration_seconds_count", { stack: STACK, outcome: "failure" }),
      1,
    );
    assert.ok(
      (sample(text, "deloc_deploy_duration_seconds_sum", { stack: STACK, outcome: "failure" }) ?? 0) >= 3,
    );
    assert.equal(sample(text, "deloc_deploy_last_success", { stack: STACK }), 1);
    const json = JSON.parse(ok("metrics", "--json")) as { metrics: { name: string; type: string }[] };
    assert.deepEqual(json.metrics.find((m) => m.name === "deloc_deploy_duration_seconds")?.type, "histogram");
    // By name alone, with no stack file.
    assert.equal(
      sample(delocIn(() => os.tmpdir()).ok("metrics", "--stack", STACK), "deloc_service_replicas", app),
      2,
    );
  });

  test("a Kubernetes stack is refused with what to use instead (exit 2)", () => {
    const k8s = path.join(root, "k8s");
    fs.mkdirSync(k8s);
    fs.writeFileSync(
      path.join(k8s, "deloc.yaml"),
      stackFile("true").replace("spec:\n", "spec:\n  target: kubernetes\n"),
    );
    for (const args of [["metrics"], ["ui", "--no-open"]]) {
      const command = args[0]!;
      const r = delocIn(() => k8s).deloc(...args);
      assert.equal(r.code, 2, r.err);
      assert.match(r.err, new RegExp(`deloc ${command} works on a container engine`));
    }
  });

  test("a real Prometheus scrapes deloc ui's /metrics with the token", async () => {
    const ui = await started(process.execPath, [CLI, "ui", "--no-open"], root);
    children.push(ui.child);
    const url = new URL(ui.line);
    const direct = await fetch(new URL(`/metrics?token=${url.searchParams.get("token")}`, url));
    assert.equal(direct.status, 200);
    assert.match(direct.headers.get("content-type") ?? "", /^text\/plain; version=0\.0\.4/);
    assert.equal((await fetch(new URL("/metrics", url))).status, 403, "no token, no metrics");

    const promPort = await freePort();
    const data = path.join(root, "prometheus");
    fs.mkdirSync(data);
    fs.writeFileSync(
      path.join(data, "prometheus.yml"),
      `global: { scrape_interval: 1s, evaluation_interval: 1s }
scrape_configs:
  - job_name: deloc
    metrics_path: /metrics
    params: { token: ["${url.searchParams.get("token")}"] }
    static_configs: [{ targets: ["127.0.0.1:${url.port}"] }]
`,
    );
    const prom = spawn(
      "prometheus",
      [
        `--config.file=${path.join(data, "prometheus.yml")}`,
        `--storage.tsdb.path=${path.join(data, "tsdb")}`,
        `--web.listen-address=127.0.0.1:${promPort}`,
      ],
      { stdio: "ignore" },
    );
    children.push(prom);
    const query = async (
      q: string,
    ): Promise<{ metric: Record<string, string>; value: [number, string] }[]> => {
      const r = await fetch(`http://127.0.0.1:${promPort}/api/v1/query?query=${encodeURIComponent(q)}`).catch(
        () => null,
      );
      if (!r?.ok) return [];
      return ((await r.json()) as { data: { result: [] } }).data.result;
    };
    const deadline = Date.now() + 30_000;
    let up: Awaited<ReturnType<typeof query>> = [];
    let limits: Awaited<ReturnType<typeof query>> = [];
    while (Date.now() < deadline) {
      up = await query('up{job="deloc"}');
      limits = await query(`deloc_service_memory_limit_bytes{stack="${STACK}",service="app"}`);
      if (up[0]?.value[1] === "1" && limits.length === 2) break;
      await new Promise((r) => setTimeout(r, 500));
    }
    assert.equal(up[0]?.value[1], "1", "Prometheus scraped the target");
    assert.deepEqual(limits.map((l) => [l.metric.replica, l.value[1]]).sort(), [
      ["1", String(32 * 1024 ** 2)],
      ["2", String(32 * 1024 ** 2)],
    ]);
    const deploys = await query(`sum(deloc_deploy_duration_seconds_count{stack="${STACK}"})`);
    assert.equal(deploys[0]?.value[1], "2");
  });
});
