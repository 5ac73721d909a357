import assert from "node:assert/strict";
import { once } from "node:events";
import fs from "node:fs";
import http from "node:http";
import type { AddressInfo } from "node:net";
import os from "node:os";
import path from "node:path";
import { describe, it, test } from "node:test";
import { freePort } from "../../test/support/ports.js";
import { budget, catalog, stackFrom } from "../../test/support/stack.js";
import type { PlannedService } from "../core/index.js";
import { plan } from "../planner/index.js";
import type { Probe, ProbeResult } from "./probe.js";
import { oneAtATime, unprobedResult, verify } from "./run.js";

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

/** An HTTP server on 127.0.0.1 answering `status` on /healthz and 404 elsewhere; closed by the test. */
async function httpServer(status: number): Promise<{ port: number; close: () => Promise<void> }> {
  const server = http.createServer((req, res) => {
    res.statusCode = req.url === "/healthz" ? status : 404;
    res.end(req.url === "/healthz" ? "ok from the test server" : "no such page");
  });
  server.listen(0, "127.0.0.1");
  await once(server, "listening");
  return {
    port: (server.address() as AddressInfo).port,
    close: () => new Promise((r) => server.close(() => r())),
  };
}

const show = (results: readonly ProbeResult[]) => results.map((r) => `${r.kind}:${r.service}:${r.status}`);

describe("verify", () => {
  it("reports each service (probed, proved by another's probe, or not verified) and the flow its stack has the services for; failures carry what failed and a hint", async () => {
    const dags = fs.mkdtempSync(path.join(os.tmpdir(), "deloc-verify-dags-"));
    const services = planned(
      "    airflow: {}\n    minio: {}\n    redis: {}\n    spark-worker: {}\n    app: { image: example/app:1 }\n",
      await freePort(),
      dags,
    );
    const results = await verify(services, () => ({}));
    assert.deepEqual(show(results), [
      "service:airflow-api-server:failed",
      "service:airflow-dag-processor:failed",
      "service:airflow-init:failed",
      "service:airflow-scheduler:failed",
      "service:app:not-verified",
      "service:minio:failed",
      "service:postgres:failed",
      "service:redis:failed",
      "service:spark-master:failed",
      "service:spark-worker:failed",
      "flow:postgres → airflow → minio:failed",
    ]);
    for (const r of results) assert.equal(r.ok, r.status === "passed", `${r.service}: ok follows status`);
    const by = new Map(results.map((r) => [r.service, r]));
    // A service proved by another probe is only as good as that probe.
    assert.match(
      by.get("spark-worker")!.detail,
      /spark-master's probe failed, and it is what proves spark-worker/,
    );
    assert.match(by.get("airflow-init")!.detail, /airflow-api-server's probe failed/);
    assert.equal(by.get("app")!.what, null);
    assert.match(by.get("app")!.detail, /^not verified: /);
    assert.match(by.get("app")!.hint!, /verify: \{ http:/);
    assert.match(by.get("redis")!.detail, /ECONNREFUSED/);
    for (const r of results.filter((r) => r.status !== "passed"))
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

  it("passes a declared HTTP probe on the expected status and fails it on another, quoting the answer", async () => {
    const good = await httpServer(200);
    const bad = await httpServer(503);
    try {
      const app =
        '    app: { image: example/app:1, ports: ["8080:8080"], verify: { http: { path: /healthz } } }\n';
      const [pass] = await verify(planned(app, good.port, os.tmpdir()), () => ({}));
      assert.equal(pass!.status, "passed", pass!.detail);
      assert.equal(pass!.what, "HTTP GET /healthz on port 8080 answers 200");
      assert.equal(pass!.detail, `GET http://127.0.0.1:${good.port}/healthz answered 200`);
      const [fail] = await verify(planned(app, bad.port, os.tmpdir()), () => ({}));
      assert.equal(fail!.status, "failed");
      assert.match(fail!.detail, /answered 503, expected 200: ok from the test server$/);
      assert.match(fail!.hint!, /deloc logs app/);
    } finally {
      await Promise.all([good.close(), bad.close()]);
    }
  });

  it("runs a plugin's probe for its template in place of DELoc's own, and a declared probe in place of the plugin's", async () => {
    const server = await httpServer(200);
    try {
      const seen: string[] = [];
      const probes = new Map([
        [
          "redis",
          {
            probe: {
              what: "the plugin's check",
              hint: "see the plugin",
              run: async (t: Parameters<Probe["run"]>[0]) => {
                const { host, port } = t.address();
                seen.push(`${t.service.name} ${host}:${port}`);
                return "the plugin saw it";
              },
            },
          },
        ],
      ]);
      const [fromPlugin] = await verify(planned("    redis: {}\n", server.port, os.tmpdir()), () => ({}), {
        probes,
      });
      assert.deepEqual(
        [fromPlugin!.status, fromPlugin!.what, fromPlugin!.detail],
        ["passed", "the plugin's check", "the plugin saw it"],
      );
      assert.deepEqual(seen, [`redis 127.0.0.1:${server.port}`]);
      const declared = "    redis: { verify: { http: { port: redis, path: /healthz } } }\n";
      const [own] = await verify(planned(declared, server.port, os.tmpdir()), () => ({}), { probes });
      assert.equal(own!.what, "HTTP GET /healthz on port redis (6379) answers 200");
      assert.equal(seen.length, 1);
    } finally {
      await server.close();
    }
  });

  it("passes a declared TCP probe when something listens and fails it when nothing does", async () => {
    const server = await httpServer(200);
    try {
      const app =
        "    app: { image: example/app:1, ports: [{ name: web, container: 80, host: 8080 }], verify: { tcp: { port: web } } }\n";
      const [pass] = await verify(planned(app, server.port, os.tmpdir()), () => ({}));
      assert.deepEqual([pass!.status, pass!.what], ["passed", "TCP connection to port web (80)"]);
      const [fail] = await verify(planned(app, await freePort(), os.tmpdir()), () => ({}));
      assert.equal(fail!.status, "failed");
      assert.match(fail!.detail, /ECONNREFUSED/);
    } finally {
      await server.close();
    }
  });

  it("runs a declared command probe in the service's container through the exec hook: exit 0 passes", async () => {
    const app = '    app: { image: example/app:1, verify: { command: ["/app/selfcheck", "--quick"] } }\n';
    const services = planned(app, await freePort(), os.tmpdir());
    const calls: string[] = [];
    const execIn = async (s: PlannedService, argv: readonly string[]) => {
      calls.push(`${s.name}: ${argv.join(" ")}`);
      return calls.length === 1
        ? { exitCode: 0, output: "all good\n" }
        : { exitCode: 3, output: "disk full\n" };
    };
    const [pass] = await verify(services, () => ({}), { execIn });
    assert.deepEqual([pass!.status, pass!.detail], ["passed", "`/app/selfcheck --quick` exited 0: all good"]);
    const [fail] = await verify(services, () => ({}), { execIn });
    assert.deepEqual(
      [fail!.status, fail!.detail],
      ["failed", "`/app/selfcheck --quick` exited 3: disk full"],
    );
    assert.deepEqual(calls, ["app: /app/selfcheck --quick", "app: /app/selfcheck --quick"]);
    // Without a way into the container, the probe fails rather than passing unchecked.
    const [none] = await verify(services, () => ({}));
    assert.equal(none!.status, "failed");
  });

  it("passes a covered service only when DELoc's probe that proves it passed, and never when that probe did not run", () => {
    const [master, worker] = planned("    spark-worker: {}\n", 7077, os.tmpdir());
    assert.deepEqual([master!.name, worker!.name], ["spark-master", "spark-worker"]);
    const masterResult = (status: ProbeResult["status"]): ProbeResult => ({
      kind: "service",
      service: "spark-master",
      template: "spark-master",
      what: "a PySpark job",
      status,
      ok: status === "passed",
      ms: 1,
      detail: "",
    });
    const of = (r: ProbeResult) => `${r.status}: ${r.detail}`;
    assert.equal(
      of(unprobedResult(worker!, [masterResult("passed")])),
      "passed: proved by spark-master's probe: its job runs on the workers",
    );
    assert.match(
      of(unprobedResult(worker!, [masterResult("failed")])),
      /^failed: spark-master's probe failed/,
    );
    const alone = unprobedResult(worker!, []);
    assert.equal(of(alone), "not-verified: not verified: proved by spark-master's probe, which did not run");
    assert.match(alone.hint!, /deloc verify spark-master spark-worker/);
    assert.match(
      of(unprobedResult(worker!, [], ["spark-master"])),
      /^not-verified: .*but spark-master declares another probe$/,
    );
  });

  it("does not count a declared probe on the covering service as proof of the covered one", async () => {
    const server = await httpServer(200);
    try {
      const stack =
        "    spark-master: { verify: { http: { port: ui, path: /healthz } } }\n    spark-worker: {}\n";
      assert.deepEqual(show(await verify(planned(stack, server.port, os.tmpdir()), () => ({}))), [
        "service:spark-master:passed",
        "service:spark-worker:not-verified",
      ]);
    } finally {
      await server.close();
    }
  });
});

test("checks that need the same resource run one after another, even when one fails; others at once", async () => {
  const inTurn = oneAtATime();
  const log: string[] = [];
  const step =
    (name: string, ms: number, fail = false) =>
    async () => {
      log.push(`${name}+`);
      await new Promise((r) => setTimeout(r, ms));
      log.push(`${name}-`);
      if (fail) throw new Error(name);
      return name;
    };
  const results = await Promise.allSettled([
    inTurn("spark", step("a", 30, true)),
    inTurn("spark", step("b", 10)),
    inTurn(undefined, step("c", 5)),
  ]);
  assert.deepEqual(
    results.map((r) => r.status),
    ["rejected", "fulfilled", "fulfilled"],
  );
  assert.ok(log.indexOf("b+") > log.indexOf("a-"), `b waited for a: ${log.join(" ")}`);
  assert.ok(log.indexOf("c-") < log.indexOf("a-"), `c ran beside a: ${log.join(" ")}`);
});
