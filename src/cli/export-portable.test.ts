/**
 * Portable exports: `export compose|helm|k8s` are a function of the stack file, the profile and
 * explicit flags, never of the exporting machine. The same files come out on a big machine with no
 * engine, on a 6 GB machine whose engine is smaller still and already runs another stack, and with
 * the stack's host ports taken. Port moves are an `up` concern.
 */
import assert from "node:assert/strict";
import fs from "node:fs";
import net from "node:net";
import os from "node:os";
import path from "node:path";
import { describe, it } from "node:test";
import { DryRunAdapter } from "../adapters/dry-run/dry-run-adapter.js";
import { EngineUnreachableError } from "../core/index.js";
import type { HostFacts } from "../resources/index.js";
import type { CommandContext } from "./context.js";
import { main } from "./main.js";

const GIB = 1024 ** 3;

const host = (gib: number, cpus: number) => (): HostFacts => ({
  memoryBytes: { value: gib * GIB, source: "/proc/meminfo", detail: "test" },
  physicalMemoryBytes: gib * GIB,
  cpus: { value: cpus, source: "cpu count", detail: "test" },
});

const BIG: Partial<CommandContext> = {
  detectHost: host(64, 16),
  openEngine: async () => {
    throw new EngineUnreachableError("No container engine answered.", []);
  },
};

/** A 6 GB, 1-CPU laptop whose engine VM has 4 GiB, 2 GiB of it held by another stack. */
function small(): Partial<CommandContext> {
  const engine = new DryRunAdapter({
    memoryBytes: 4 * GIB,
    cpus: 1,
    seed: {
      stack: "elsewhere",
      containers: [
        {
          id: "x1",
          name: "elsewhere-db-1",
          service: "db",
          replica: 1,
          hash: "h",
          image: "postgres:17",
          imageId: "sha256:pg",
          state: "running",
          health: "healthy",
          exitCode: null,
          oomKilled: false,
          restartCount: 0,
          startedAt: null,
          memoryLimitBytes: 2 * GIB,
          cpuMillis: 1000,
          hostPorts: [],
        },
      ],
      volumes: [],
      networks: [],
      images: {},
    },
  });
  return { detectHost: host(6, 1), openEngine: async () => engine };
}

async function run(dir: string, argv: string[], seams: Partial<CommandContext>): Promise<string> {
  let out = "";
  let err = "";
  const code = await main(argv, "0.0.0-test", {
    cwd: dir,
    env: {},
    home: dir,
    tty: false,
    color: false,
    out: (t) => {
      out += `${t}\n`;
    },
    err: (t) => {
      err += `${t}\n`;
    },
    ...seams,
  });
  assert.equal(code, 0, `deloc ${argv.join(" ")}: ${err}${out}`);
  return out;
}

/** Every export of the stack in `dir`, as text: compose and k8s from stdout, the chart's files. */
async function exportsOf(dir: string, seams: Partial<CommandContext>, flags: string[] = []) {
  const compose = await run(dir, ["export", "compose", "-o", "-", ...flags], seams);
  const k8s = await run(dir, ["export", "k8s", "-o", "-", ...flags], seams);
  const chartDir = fs.mkdtempSync(path.join(os.tmpdir(), "deloc-chart-"));
  await run(dir, ["export", "helm", "-o", chartDir, ...flags], seams);
  const chart: Record<string, string> = {};
  for (const f of fs.readdirSync(chartDir, { recursive: true }).map(String).sort()) {
    const file = path.join(chartDir, f);
    if (fs.statSync(file).isFile()) chart[f] = fs.readFileSync(file, "utf8");
  }
  return { compose, k8s, chart };
}

function stackDir(extra = ""): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "deloc-portable-"));
  fs.writeFileSync(
    path.join(dir, "deloc.yaml"),
    `apiVersion: deloc.dev/v1\nkind: Stack\nmetadata: { name: portable }\nspec:\n  services:\n${["kafka", "spark-master", "spark-worker", "minio", "postgres", "airflow", "redis", "jupyter"].map((s) => `    ${s}: {}\n`).join("")}${extra}`,
  );
  return dir;
}

async function freePort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const port = (server.address() as net.AddressInfo).port;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

async function hold(port: number): Promise<net.Server | null> {
  const server = net.createServer();
  return new Promise((resolve) => {
    server.once("error", () => resolve(null));
    server.listen({ port, host: "127.0.0.1", exclusive: true }, () => resolve(server));
  });
}

describe("exports are portable", () => {
  it("the full stack exports byte for byte the same on a 6 GB machine with a busy, smaller engine", async () => {
    const dir = stackDir();
    const big = await exportsOf(dir, BIG);
    const laptop = await exportsOf(dir, small());
    assert.equal(laptop.compose, big.compose);
    assert.equal(laptop.k8s, big.k8s);
    assert.deepEqual(laptop.chart, big.chart);
    // The profile's sizes: Kafka gets its preferred 1.5 GiB, not what this machine could give.
    assert.match(big.compose, /kafka:[\s\S]*?memory: 1536m/);
  });

  it("explicit sizing flags still apply, the same on every machine", async () => {
    const dir = stackDir();
    const flags = ["--memory", "8g", "--profile", "minimal"];
    const big = await exportsOf(dir, BIG, flags);
    assert.deepEqual(await exportsOf(dir, small(), flags), big);
    assert.notEqual(big.compose, (await exportsOf(dir, BIG)).compose);
  });

  it("the same files with the stack's host ports taken: no port moves in an export", async () => {
    const port = await freePort();
    const dir = stackDir(
      `    app: { image: "x/app:1", ports: ["${port}:80"], env: { SELF: "http://localhost:{{port.80}}" } }\n`,
    );
    const free = await exportsOf(dir, BIG);
    const held = (await Promise.all([port, 9092, 5432, 8080].map(hold))).filter(
      (s): s is net.Server => s !== null,
    );
    try {
      assert.ok(held.length > 0);
      const taken = await exportsOf(dir, BIG);
      assert.equal(taken.compose, free.compose);
      assert.equal(taken.k8s, free.k8s);
      assert.deepEqual(taken.chart, free.chart);
      assert.match(taken.compose, new RegExp(`published: "${port}"`));
      assert.match(taken.chart["values.yaml"] ?? "", /portable/);
      assert.match(taken.k8s, /EXTERNAL:\/\/localhost:9092/);
    } finally {
      for (const s of held) s.close();
    }
  });
});
