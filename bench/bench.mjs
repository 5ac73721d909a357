// `npm run bench`: start-up and planning time of the built CLI, each next to a bare `node -e ""`
// measured in the same run on the same machine; and, when an engine answers and the local images
// are built, `up` of a health-gated chain against its floor, `status` latency, and the default
// stack and the full recipe sized for 6 GB with each container's peak memory. Medians of N runs; results also go to
// bench/out/results.json. Targets: --version within 1.3× bare Node; 1,000 services in under 1 s;
// the chain within 10% of its floor.
import { spawnSync } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";

const ROOT = path.resolve(import.meta.dirname, "..");
const BIN = path.join(ROOT, "dist/deloc.js");
const RUNS = Number(process.env.BENCH_RUNS ?? 15);
const work = fs.mkdtempSync(path.join(os.tmpdir(), "deloc-bench-"));

function time(args, cwd = work) {
  const t0 = process.hrtime.bigint();
  const r = spawnSync(process.execPath, args, { cwd, stdio: ["ignore", "ignore", "pipe"] });
  const ms = Number(process.hrtime.bigint() - t0) / 1e6;
  if (r.status !== 0) throw new Error(`${args.join(" ")} failed: ${r.stderr}`);
  return ms;
}

function median(args, cwd) {
  time(args, cwd); // warm the file cache
  const samples = Array.from({ length: RUNS }, () => time(args, cwd)).sort((a, b) => a - b);
  return samples[Math.floor(samples.length / 2)];
}

/** A stack of n custom services in a layered DAG: each depends on up to 3 of the previous layer. */
function generatedStack(n) {
  const lines = [
    "apiVersion: deloc.dev/v1",
    "kind: Stack",
    `metadata: { name: gen${n} }`,
    "spec:",
    "  services:",
  ];
  const width = Math.max(1, Math.round(Math.sqrt(n)));
  for (let i = 0; i < n; i++) {
    const layer = Math.floor(i / width);
    const deps = [];
    if (layer > 0) for (let k = 0; k < 3; k++) deps.push(`svc-${(layer - 1) * width + ((i + k) % width)}`);
    const uniq = [...new Set(deps)];
    lines.push(
      `    svc-${i}: { image: "example/svc:1", resources: { memory: 16Mi, cpu: 100m }${uniq.length ? `, dependsOn: [${uniq.join(", ")}]` : ""} }`,
    );
  }
  const dir = fs.mkdtempSync(path.join(work, `gen${n}-`));
  fs.writeFileSync(path.join(dir, "deloc.yaml"), `${lines.join("\n")}\n`);
  return dir;
}

const PEAK_RSS = path.join(ROOT, "bench/peak-rss.mjs");

/** Time and the CLI's own peak memory (KiB) of one run. */
function timeAndPeak(args, cwd) {
  const t0 = process.hrtime.bigint();
  const r = spawnSync(process.execPath, ["--import", PEAK_RSS, ...args], { cwd, encoding: "utf8" });
  const ms = Number(process.hrtime.bigint() - t0) / 1e6;
  if (r.status !== 0) throw new Error(`${args.join(" ")} failed (${r.status}): ${r.stderr}`);
  return { ms, peakKiB: Number(/@@peak-rss-kib (\d+)/.exec(r.stderr)?.[1] ?? Number.NaN) };
}

/**
 * `init` (with `initArgs`), `up --memory 6g`, `verify` and `status` of a stack, then its cleanup;
 * with `status` latency (median of 5) and the CLI's peak memory in `up` and `status`.
 */
function sizeStack(label, stack, initArgs) {
  const dir = path.join(work, stack);
  fs.mkdirSync(dir);
  spawnSync(process.execPath, [BIN, "cleanup", "--yes", "--stack", stack], { cwd: work }); // an interrupted run's
  spawnSync(process.execPath, [BIN, "init", ...initArgs], { cwd: dir });
  const up = timeAndPeak([BIN, "up", "--memory", "6g"], dir);
  const upMs = up.ms;
  const t0 = process.hrtime.bigint();
  const verified = spawnSync(process.execPath, [BIN, "verify"], { cwd: dir }).status === 0;
  const verifyMs = Number(process.hrtime.bigint() - t0) / 1e6;
  const st = spawnSync(process.execPath, [BIN, "status", "--json"], { cwd: dir, encoding: "utf8" });
  if (st.status !== 0) throw new Error(`deloc status failed (${st.status}): ${st.stderr}`);
  const services = JSON.parse(st.stdout).services.flatMap((s) =>
    s.replicas.map((r) => ({
      service: r.name.slice(stack.length + 1),
      condition: r.condition,
      limitBytes: r.memoryLimitBytes,
      peakBytes: r.peakMemoryBytes,
      nowBytes: r.memoryBytes,
    })),
  );
  const statusMedian = () => {
    timeAndPeak([BIN, "status"], dir); // warm the file cache
    return Array.from({ length: 5 }, () => timeAndPeak([BIN, "status"], dir)).sort((a, b) => a.ms - b.ms);
  };
  // Right after verify, an engine without health-check start intervals (Docker < 25) still calls
  // some services "starting" until its first check, and `status` runs those checks itself.
  const fresh = statusMedian();
  const settledBy = Date.now() + 90_000;
  // The engine's own view: `status` would run the pending checks and report them passed.
  const pending = () =>
    spawnSync(
      "docker",
      ["ps", "-q", "--filter", "health=starting", "--filter", `label=dev.deloc.stack=${stack}`],
      {
        encoding: "utf8",
      },
    ).stdout.trim() !== "";
  while (Date.now() < settledBy && pending())
    Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 2000);
  const statuses = statusMedian();
  time([BIN, "cleanup", "--yes"], dir);
  return {
    label,
    upMs,
    verifyMs,
    verified,
    services,
    statusMs: statuses[2].ms,
    statusFreshMs: fresh[2].ms,
    cliPeakKiB: { up: up.peakKiB, status: Math.max(...[...fresh, ...statuses].map((x) => x.peakKiB)) },
  };
}

/**
 * A stack of services that each become ready (health check passing) `delayS` after they start,
 * each after the one it names in `after` is healthy; its folder.
 */
function delayedStack(name, services) {
  const lines = [
    "apiVersion: deloc.dev/v1",
    "kind: Stack",
    `metadata: { name: ${name} }`,
    "spec:",
    "  services:",
  ];
  for (const s of services)
    lines.push(
      `    ${s.name}:`,
      '      image: "deloc/debian:trixie"',
      `      command: ["bash", "-c", "sleep ${s.delayS}; touch /tmp/ready; trap 'exit 0' TERM; sleep infinity & wait"]`,
      '      healthCheck: { command: ["test", "-f", "/tmp/ready"], interval: 5s }',
      "      resources: { memory: 32Mi, cpu: 100m }",
      ...(s.after ? [`      dependsOn: { ${s.after}: healthy }`] : []),
    );
  const dir = fs.mkdtempSync(path.join(work, `${name}-`));
  fs.writeFileSync(path.join(dir, "deloc.yaml"), `${lines.join("\n")}\n`);
  return dir;
}

const COMPOSE = path.join(ROOT, "tools/bin/docker-compose");
const FAN_OUT = 10;
const FAN_DELAY_S = 1.5;
let versus = null;

/**
 * `up` of a stack by DELoc and by Compose from its export, `rounds` times each, alternating, each
 * torn down with its volumes before the next. Medians; `floorMs` is what no tool can beat.
 */
function againstCompose(label, dir, floorMs, rounds, sizing) {
  time([BIN, "export", "compose", "--no-start-interval", "--force", ...sizing], dir);
  const compose = (...args) => {
    const t0 = process.hrtime.bigint();
    const r = spawnSync(COMPOSE, ["-f", "compose.yaml", ...args], {
      cwd: dir,
      stdio: ["ignore", "ignore", "pipe"],
    });
    if (r.status !== 0) throw new Error(`docker compose ${args.join(" ")} failed: ${r.stderr}`);
    return Number(process.hrtime.bigint() - t0) / 1e6;
  };
  const deloc = [];
  const peer = [];
  for (let i = 0; i < rounds; i++) {
    deloc.push(time([BIN, "up", ...sizing], dir));
    time([BIN, "down", "--volumes", "--yes"], dir);
    peer.push(compose("up", "--detach", "--wait"));
    compose("down", "--volumes");
  }
  const med = (xs) => xs.sort((a, b) => a - b)[Math.floor(xs.length / 2)];
  time([BIN, "cleanup", "--yes"], dir);
  return { label, rounds, floorMs, delocMs: med(deloc), composeMs: med(peer) };
}

const fullDir = fs.mkdtempSync(path.join(work, "full-"));
spawnSync(process.execPath, [BIN, "init", "--recipe", "full"], { cwd: fullDir });

const bare = median(["-e", ""]);
const cases = [
  {
    name: "deloc --version",
    args: [BIN, "--version"],
    cwd: work,
    target: bare * 1.3,
    targetText: "≤ 1.3× bare node",
  },
  { name: "deloc plan (full recipe)", args: [BIN, "plan", "--memory", "16g"], cwd: fullDir },
  { name: "deloc plan (100 services)", args: [BIN, "plan", "--memory", "64g"], cwd: generatedStack(100) },
  {
    name: "deloc plan (1,000 services)",
    args: [BIN, "plan", "--memory", "64g"],
    cwd: generatedStack(1000),
    target: 1000,
    targetText: "< 1000 ms",
  },
];

const results = [{ name: 'node -e ""', ms: bare }];
for (const c of cases) results.push({ ...c, ms: median(c.args, c.cwd) });

// On the engine (when one answers and the base image is built): `up` of a chain of health-gated
// services with known readiness delays, against the floor — the sum of the delays, which no tool
// can beat — and `status` latency on the running chain.
const DELAYS_S = [1.0, 1.5, 2.0, 1.0, 1.5];
let sizing = null;
const engine = spawnSync(process.execPath, [BIN, "status", "--stack", "deloc-bench-chain"], { cwd: work });
if (
  engine.status === 0 &&
  spawnSync("docker", ["image", "inspect", "deloc/debian:trixie"], { stdio: "ignore" }).status === 0
) {
  const chainDir = delayedStack(
    "deloc-bench-chain",
    DELAYS_S.map((d, i) => ({ name: `s${i}`, delayS: d, ...(i > 0 ? { after: `s${i - 1}` } : {}) })),
  );
  const floor = DELAYS_S.reduce((a, b) => a + b, 0) * 1000;
  // What the engine itself takes to start one container (no tool can go below it), median of 5.
  const starts = [];
  for (let i = 0; i < 5; i++) {
    spawnSync(
      "docker",
      ["create", "--name", `deloc-bench-start-${i}`, "deloc/debian:trixie", "sleep", "infinity"],
      { stdio: "ignore" },
    );
    const t0 = process.hrtime.bigint();
    spawnSync("docker", ["start", `deloc-bench-start-${i}`], { stdio: "ignore" });
    starts.push(Number(process.hrtime.bigint() - t0) / 1e6);
    spawnSync("docker", ["rm", "-f", `deloc-bench-start-${i}`], { stdio: "ignore" });
  }
  const engineStart = starts.sort((a, b) => a - b)[2];
  const ups = [];
  for (let i = 0; i < 3; i++) {
    ups.push(time([BIN, "up"], chainDir));
    if (i < 2) time([BIN, "down"], chainDir);
  }
  ups.sort((a, b) => a - b);
  const up = ups[1];
  results.push({
    name: `deloc up (chain of ${DELAYS_S.length})`,
    ms: up,
    floor,
    target: floor * 1.1,
    targetText: `≤ floor ${(floor / 1000).toFixed(1)} s + 10%`,
  });
  results.push({
    name: `  floor + engine start ×${DELAYS_S.length}`,
    ms: floor + engineStart * DELAYS_S.length,
    floor,
  });
  results.push({ name: "deloc status (chain running)", ms: median([BIN, "status"], chainDir) });
  time([BIN, "cleanup", "--yes"], chainDir);

  // Against the peer: the same stacks, the same images, the same machine and run, deployed by DELoc
  // and by Docker Compose v2 (`npm run tools` builds it from its Go module) from `deloc export
  // compose`, alternating; time until every service is healthy (`up`, `up --detach --wait`).
  if (fs.existsSync(COMPOSE)) {
    const fanDir = delayedStack(
      "deloc-bench-fan",
      Array.from({ length: FAN_OUT }, (_, i) => ({ name: `f${i}`, delayS: FAN_DELAY_S })),
    );
    const fullDir = path.join(work, "deloc-bench-vs-full");
    fs.mkdirSync(fullDir);
    spawnSync(process.execPath, [BIN, "init", "--recipe", "full", "--profile", "minimal"], { cwd: fullDir });
    versus = [
      againstCompose(`chain of ${DELAYS_S.length}`, chainDir, floor, 3, []),
      againstCompose(`fan-out of ${FAN_OUT}`, fanDir, FAN_DELAY_S * 1000, 3, []),
      againstCompose("full recipe (minimal, 6g)", fullDir, null, 1, ["--memory", "6g"]),
    ];
  }

  // Sizing on a 6 GB machine (`up --memory 6g`), proved by `verify`: the default stack, and the
  // full recipe with the minimal profile; then each container's peak memory (the engine's figure,
  // page cache included) against the limit it got.
  sizing = [
    sizeStack("default stack (streaming)", "deloc-bench-sizing", []),
    sizeStack("full recipe, minimal profile", "deloc-bench-full", [
      "--recipe",
      "full",
      "--profile",
      "minimal",
    ]),
  ];
} else
  console.log(
    "(no engine or no deloc/debian:trixie image: engine benchmarks skipped; run `npm run images`)\n",
  );

console.log(
  `DELoc benchmark · node ${process.version} · ${os.cpus().length} CPUs · median of ${RUNS} runs\n`,
);
console.log(`${"case".padEnd(30)}${"median".padStart(10)}${"× bare".padStart(9)}   target`);
let failed = 0;
for (const r of results) {
  const verdict =
    r.target === undefined ? "" : r.ms <= r.target ? `${r.targetText}: met` : `${r.targetText}: MISSED`;
  if (r.target !== undefined && r.ms > r.target) failed++;
  const ratio = r.floor ? `${(r.ms / r.floor).toFixed(2)}×fl` : (r.ms / bare).toFixed(2);
  console.log(`${r.name.padEnd(30)}${`${r.ms.toFixed(1)} ms`.padStart(10)}${ratio.padStart(9)}   ${verdict}`);
}
const STATUS_TARGET_MS = 300;
const mib = (b) => (b == null ? "-" : `${Math.round(b / 1024 / 1024)} MiB`);
for (const z of sizing ?? []) {
  console.log(
    `\n${z.label} with --memory 6g: up ${(z.upMs / 1000).toFixed(1)} s, verify ${(z.verifyMs / 1000).toFixed(1)} s ${z.verified ? "passed" : "FAILED"}`,
  );
  const statusMet = z.statusMs < STATUS_TARGET_MS;
  if (!statusMet) failed++;
  console.log(
    `status ${z.statusMs.toFixed(0)} ms (< ${STATUS_TARGET_MS} ms: ${statusMet ? "met" : "MISSED"}; right after verify, with health checks still pending: ${z.statusFreshMs.toFixed(0)} ms); CLI peak memory: up ${mib(z.cliPeakKiB.up * 1024)}, status ${mib(z.cliPeakKiB.status * 1024)}`,
  );
  console.log(
    `${"container".padEnd(24)}${"limit".padStart(10)}${"peak".padStart(10)}${"now".padStart(10)}   state`,
  );
  for (const s of z.services)
    console.log(
      `${s.service.padEnd(24)}${mib(s.limitBytes).padStart(10)}${mib(s.peakBytes).padStart(10)}${mib(s.nowBytes).padStart(10)}   ${s.condition}`,
    );
}
if (versus) {
  const composeVersion = spawnSync(COMPOSE, ["version", "--short"], { encoding: "utf8" }).stdout.trim();
  const engineVersion = spawnSync("docker", ["version", "--format", "{{.Server.Version}}"], {
    encoding: "utf8",
  }).stdout.trim();
  const s1 = (ms) => (ms == null ? "—" : `${(ms / 1000).toFixed(1)} s`);
  const lines = [
    "# DELoc against Docker Compose",
    "",
    `Written by \`npm run bench\` on ${os.cpus().length} CPUs, Docker Engine ${engineVersion}, Compose v${composeVersion}`,
    "(built from its Go module by `npm run tools`), Node " +
      process.version +
      ". The same stacks and images, in the",
    "same run, alternating; each deploy torn down with its volumes before the next. Time until every",
    "service is healthy: `deloc up` against `docker compose up --detach --wait` on the file `deloc",
    "export compose --no-start-interval` writes (this engine predates health-check start intervals, so",
    "Compose sees readiness at each health check's interval; DELoc runs the checks itself while a",
    "service starts). The floor is the critical path of readiness delays, which no tool can beat.",
    "",
    "| stack | runs | floor | deloc | compose | deloc / floor | deloc / compose |",
    "| --- | --- | --- | --- | --- | --- | --- |",
    ...versus.map(
      (v) =>
        `| ${v.label} | ${v.rounds} | ${s1(v.floorMs)} | ${s1(v.delocMs)} | ${s1(v.composeMs)} | ${v.floorMs ? `${(v.delocMs / v.floorMs).toFixed(2)}×` : "—"} | ${(v.delocMs / v.composeMs).toFixed(2)}× |`,
    ),
    "",
    `\`deloc status\` on the running stack (median of 5; target under ${STATUS_TARGET_MS} ms) once the engine has run`,
    "every health check, and right after `verify`, when this engine (no start intervals) still calls",
    "some services `starting` and `status` runs their checks itself; and the CLI's own peak resident",
    "memory (`process.resourceUsage().maxRSS`) in `up` and in `status`:",
    "",
    "| stack | status | status, checks pending | CLI peak in up | CLI peak in status |",
    "| --- | --- | --- | --- | --- |",
    ...(sizing ?? []).map(
      (z) =>
        `| ${z.label} | ${z.statusMs.toFixed(0)} ms | ${z.statusFreshMs.toFixed(0)} ms | ${mib(z.cliPeakKiB.up * 1024)} | ${mib(z.cliPeakKiB.status * 1024)} |`,
    ),
    "",
  ];
  fs.writeFileSync(path.join(ROOT, "bench/results.md"), lines.join("\n"));
  console.log(`\n${lines.slice(10).join("\n")}`);
}
fs.mkdirSync(path.join(ROOT, "bench/out"), { recursive: true });
fs.writeFileSync(
  path.join(ROOT, "bench/out/results.json"),
  `${JSON.stringify(
    {
      node: process.version,
      runs: RUNS,
      results: results.map(({ name, ms, floor }) => ({ name, ms, ...(floor ? { floorMs: floor } : {}) })),
      sizing,
      versus,
    },
    null,
    2,
  )}\n`,
);
fs.rmSync(work, { recursive: true, force: true });
if (failed) console.log(`\n${failed} target(s) missed`);
