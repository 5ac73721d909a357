// `npm run bench`: how fast DELoc is, each figure next to what bounds it, measured in the same run on
// the same machine (the load at the time is printed; medians):
//   - start-up (`--version` against a bare `node -e ""`) and `plan` of generated stacks of 100,
//     1,000 and 2,000 services (targets: 1,000 under 300 ms, 2,000 at most 2.2× that);
//   - on the engine (when one answers and `npm run images` built deloc/debian:trixie): `up` of a
//     health-gated chain and of a fan-out against their floor — the readiness delays plus the
//     engine's own container start per link, measured here — (targets 1.05× and 1.3×);
//   - against Docker Compose v2 `up --detach --wait` (`npm run tools` builds it), alternating, on
//     the file `deloc export compose` writes: a chain of six 2 s services and 50 services (ten roots,
//     forty waiting on them, 10m CPU each), both with 1 s health intervals; `status` of the 50
//     (target under 500 ms) and the CLI's peak memory in `up` (target under 100 MiB);
//   - the full recipe (minimal profile) at `--memory 6g`: `up`, `verify`, `status` (target under
//     150 ms) and each container's peak memory against its limit.
// Results go to bench/out/results-<label>.json. With DELOC_BIN=<a built dist/deloc.js> and
// BENCH_LABEL=today it measures another build (main's, for the "today" column); bench/results.md
// shows bench/baseline.json (such a run, kept) next to this run. BENCH_CASES=plan,engine,compose,
// full picks parts (all by default; `deploy` is engine,compose,full: every case on the engine);
// BENCH_RUNS the runs of the quick cases (15); BENCH_MERGE reports runs made in parts together
// (e.g. BENCH_CASES=plan, then BENCH_CASES=deploy, each writing bench/out/results-now.json: copy
// the first aside, then BENCH_MERGE=plan.json,bench/out/results-now.json npm run bench).
import { spawnSync } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";

const ROOT = path.resolve(import.meta.dirname, "..");
const BIN = path.resolve(process.env.DELOC_BIN ?? path.join(ROOT, "dist/deloc.js"));
const LABEL = process.env.BENCH_LABEL ?? "now";
const RUNS = Number(process.env.BENCH_RUNS ?? 15);
// `deploy` names every case on the engine (the deploys against their floor and against Compose,
// `status`, the full recipe): what to run on a quiet machine apart from the planner's cases.
const CASES = new Set(
  (process.env.BENCH_CASES ?? "plan,engine,compose,full")
    .split(",")
    .flatMap((c) => (c === "deploy" ? ["engine", "compose", "full"] : [c])),
);
const COMPOSE = path.join(ROOT, "tools/bin/docker-compose");
const PEAK_RSS = path.join(ROOT, "bench/peak-rss.mjs");
const work = fs.mkdtempSync(path.join(os.tmpdir(), "deloc-bench-"));
const loads = [os.loadavg()[0]];

/** One run of the CLI (or node): time, exit status, and the CLI's own peak memory (KiB). */
function run(args, cwd = work, peak = true) {
  const t0 = process.hrtime.bigint();
  const r = spawnSync(process.execPath, [...(peak ? ["--import", PEAK_RSS] : []), ...args], {
    cwd,
    encoding: "utf8",
    maxBuffer: 256 * 1024 * 1024,
  });
  const ms = Number(process.hrtime.bigint() - t0) / 1e6;
  const peakKiB = Number(/@@peak-rss-kib (\d+)/.exec(r.stderr ?? "")?.[1] ?? Number.NaN);
  const cpuMs = Number(/@@cpu-ms (\d+)/.exec(r.stderr ?? "")?.[1] ?? Number.NaN);
  return { ms, ok: r.status === 0, peakKiB, cpuMs, stdout: r.stdout, stderr: r.stderr };
}

function time(args, cwd = work) {
  const r = run(args, cwd, false);
  if (!r.ok) throw new Error(`${args.join(" ")} failed: ${r.stderr}`);
  return r.ms;
}

const med = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

function median(args, cwd, runs = RUNS) {
  time(args, cwd); // warm the file cache
  return med(Array.from({ length: runs }, () => time(args, cwd)));
}

function docker(...args) {
  return spawnSync("docker", args, { encoding: "utf8" });
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

/**
 * A stack of services that each become ready (health check passing) `delayS` after they start,
 * each after the ones it names in `after` are healthy; its folder.
 */
function delayedStack(name, services, { interval = "5s", cpu = "100m" } = {}) {
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
      `      healthCheck: { command: ["test", "-f", "/tmp/ready"], interval: ${interval} }`,
      `      resources: { memory: 32Mi, cpu: ${cpu} }`,
      ...(s.after?.length ? [`      dependsOn: { ${s.after.map((a) => `${a}: healthy`).join(", ")} }`] : []),
    );
  const dir = fs.mkdtempSync(path.join(work, `${name}-`));
  fs.writeFileSync(path.join(dir, "deloc.yaml"), `${lines.join("\n")}\n`);
  return dir;
}

/** What the engine itself takes to start one container (no tool can go below it), median of 5. */
function engineStartMs() {
  const starts = [];
  for (let i = 0; i < 5; i++) {
    const name = `deloc-bench-start-${process.pid}-${i}`;
    docker("create", "--name", name, "deloc/debian:trixie", "sleep", "infinity");
    const t0 = process.hrtime.bigint();
    docker("start", name);
    starts.push(Number(process.hrtime.bigint() - t0) / 1e6);
    docker("rm", "-f", name);
  }
  return med(starts);
}

/** `up` of a stack `rounds` times, each torn down before the next; medians, failures counted. */
function ups(dir, rounds, floorMs) {
  const ms = [];
  let failed = 0;
  let peakKiB = 0;
  for (let i = 0; i < rounds; i++) {
    const r = run([BIN, "up"], dir);
    if (r.ok) ms.push(r.ms);
    else failed++;
    peakKiB = Math.max(peakKiB, r.peakKiB || 0);
    run([BIN, "down", "--volumes", "--yes"], dir);
  }
  return { floorMs, delocMs: ms.length ? med(ms) : null, rounds, failed, peakKiB };
}

/**
 * `up` of a stack by DELoc and by Compose from its export, `rounds` times each, alternating, each
 * torn down with its volumes before the next. Medians; a failed deploy is counted, not timed.
 * `during` runs on DELoc's last deploy before it is torn down (status latency).
 */
function againstCompose(label, dir, floorMs, rounds, during) {
  time([BIN, "export", "compose", "--no-start-interval", "--force"], dir);
  const compose = (...args) => {
    const t0 = process.hrtime.bigint();
    const r = spawnSync(COMPOSE, ["-f", "compose.yaml", ...args], {
      cwd: dir,
      stdio: ["ignore", "ignore", "pipe"],
    });
    return { ok: r.status === 0, ms: Number(process.hrtime.bigint() - t0) / 1e6 };
  };
  const deloc = [];
  const peer = [];
  let failed = 0;
  let peerFailed = 0;
  let peakKiB = 0;
  let extra = {};
  for (let i = 0; i < rounds; i++) {
    loads.push(os.loadavg()[0]);
    const r = run([BIN, "up"], dir);
    if (r.ok) deloc.push(r.ms);
    else failed++;
    peakKiB = Math.max(peakKiB, r.peakKiB || 0);
    if (r.ok && i === rounds - 1 && during) extra = during(dir);
    run([BIN, "down", "--volumes", "--yes"], dir);
    const c = compose("up", "--detach", "--wait");
    if (c.ok) peer.push(c.ms);
    else peerFailed++;
    compose("down", "--volumes");
  }
  run([BIN, "cleanup", "--yes"], dir);
  return {
    label,
    rounds,
    floorMs,
    delocMs: deloc.length ? med(deloc) : null,
    composeMs: peer.length ? med(peer) : null,
    failed,
    composeFailed: peerFailed,
    upPeakKiB: peakKiB,
    ...extra,
  };
}

/** `status` of a running stack: median of 5 and the CLI's peak memory. */
function statusOf(dir) {
  run([BIN, "status"], dir); // warm the file cache
  const runs = Array.from({ length: 5 }, () => run([BIN, "status"], dir));
  return { statusMs: med(runs.map((r) => r.ms)), statusPeakKiB: Math.max(...runs.map((r) => r.peakKiB)) };
}

/**
 * `init` (with `initArgs`), `up --memory 6g`, `verify` and `status` of a stack, then its cleanup;
 * with `status` latency and the CLI's peak memory in `up` and `status`.
 */
function sizeStack(label, stack, initArgs) {
  const dir = path.join(work, stack);
  fs.mkdirSync(dir);
  run([BIN, "cleanup", "--yes", "--stack", stack]); // an interrupted run's
  run([BIN, "init", ...initArgs], dir);
  const up = run([BIN, "up", "--memory", "6g"], dir);
  if (!up.ok) {
    run([BIN, "cleanup", "--yes"], dir);
    return { label, failed: up.stderr.slice(-400) };
  }
  const verify = run([BIN, "verify"], dir);
  const st = run([BIN, "status", "--json"], dir);
  const services = JSON.parse(st.stdout).services.flatMap((s) =>
    s.replicas.map((r) => ({
      service: r.name.slice(stack.length + 1),
      condition: r.condition,
      limitBytes: r.memoryLimitBytes,
      peakBytes: r.peakMemoryBytes,
      nowBytes: r.memoryBytes,
    })),
  );
  // Right after verify, an engine without health-check start intervals (Docker < 25) still calls
  // some services "starting" until its first check, and `status` runs those checks itself.
  const fresh = statusOf(dir);
  const settledBy = Date.now() + 90_000;
  const pending = () =>
    docker(
      "ps",
      "-q",
      "--filter",
      "health=starting",
      "--filter",
      `label=dev.deloc.stack=${stack}`,
    ).stdout.trim() !== "";
  while (Date.now() < settledBy && pending())
    Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 2000);
  const settled = statusOf(dir);
  run([BIN, "cleanup", "--yes"], dir);
  return {
    label,
    upMs: up.ms,
    verifyMs: verify.ms,
    verified: verify.ok,
    services,
    statusMs: settled.statusMs,
    statusFreshMs: fresh.statusMs,
    cliPeakKiB: { up: up.peakKiB, status: Math.max(fresh.statusPeakKiB, settled.statusPeakKiB) },
  };
}

const out = { label: LABEL, bin: BIN, node: process.version, cpus: os.cpus().length, runs: RUNS };
// BENCH_MERGE=a.json,b.json measures nothing: it reports those runs' results together (a run made
// in parts, the engine's and the planner's, while the machine was quieter for each).
const merged = process.env.BENCH_MERGE?.split(",").filter(Boolean) ?? [];
if (merged.length) loads.length = 0;
for (const f of merged) {
  const part = JSON.parse(fs.readFileSync(f, "utf8"));
  loads.push(part.load.min, part.load.max);
  Object.assign(out, part, { label: LABEL });
  CASES.clear();
}

if (CASES.has("plan")) {
  const fullDir = fs.mkdtempSync(path.join(work, "full-"));
  run([BIN, "init", "--recipe", "full"], fullDir);
  const g1000 = generatedStack(1000);
  const g2000 = generatedStack(2000);
  out.bareMs = median(["-e", ""]);
  out.plan = {
    versionMs: median([BIN, "--version"]),
    fullRecipeMs: median([BIN, "plan", "--memory", "16g"], fullDir),
    s100Ms: median([BIN, "plan", "--memory", "64g"], generatedStack(100)),
    s1000Ms: median([BIN, "plan", "--memory", "64g"], g1000),
    s1000JsonMs: median([BIN, "plan", "--memory", "64g", "--json"], g1000),
    s2000Ms: median([BIN, "plan", "--memory", "64g"], g2000),
    s1000PeakKiB: run([BIN, "plan", "--memory", "64g"], g1000).peakKiB,
    // CPU time (user + system), median: what the CLI itself spends, whatever else loads the machine.
    s1000CpuMs: med(Array.from({ length: 5 }, () => run([BIN, "plan", "--memory", "64g"], g1000).cpuMs)),
    s2000CpuMs: med(Array.from({ length: 5 }, () => run([BIN, "plan", "--memory", "64g"], g2000).cpuMs)),
  };
}

const engineReady =
  run([BIN, "status", "--stack", "deloc-bench-chain"]).ok &&
  docker("image", "inspect", "deloc/debian:trixie").status === 0;
if (!engineReady)
  console.log(
    "(no engine or no deloc/debian:trixie image: engine benchmarks skipped; run `npm run images`)\n",
  );

if (engineReady && (CASES.has("engine") || CASES.has("compose"))) out.engineStartMs = engineStartMs();

// The chain of five (5 s health intervals) and the fan-out of ten against their floor.
const DELAYS_S = [1.0, 1.5, 2.0, 1.0, 1.5];
const FAN_OUT = 10;
const FAN_DELAY_S = 1.5;
if (engineReady && CASES.has("engine")) {
  const chainDir = delayedStack(
    "deloc-bench-chain",
    DELAYS_S.map((d, i) => ({ name: `s${i}`, delayS: d, ...(i > 0 ? { after: [`s${i - 1}`] } : {}) })),
  );
  const fanDir = delayedStack(
    "deloc-bench-fan",
    Array.from({ length: FAN_OUT }, (_, i) => ({ name: `f${i}`, delayS: FAN_DELAY_S })),
  );
  const floorChain = DELAYS_S.reduce((a, b) => a + b, 0) * 1000 + DELAYS_S.length * out.engineStartMs;
  loads.push(os.loadavg()[0]);
  out.chain = { label: `chain of ${DELAYS_S.length}`, ...ups(chainDir, 5, floorChain) };
  out.fan = { label: `fan-out of ${FAN_OUT}`, ...ups(fanDir, 5, FAN_DELAY_S * 1000 + out.engineStartMs) };
  run([BIN, "cleanup", "--yes"], chainDir);
  run([BIN, "cleanup", "--yes"], fanDir);
}

// Against Compose v2, with 1 s health intervals: a chain of six 2 s services, and 50 services.
if (engineReady && CASES.has("compose") && fs.existsSync(COMPOSE)) {
  const six = delayedStack(
    "deloc-bench-six",
    Array.from({ length: 6 }, (_, i) => ({
      name: `c${i}`,
      delayS: 2,
      ...(i > 0 ? { after: [`c${i - 1}`] } : {}),
    })),
    { interval: "1s" },
  );
  const fifty = delayedStack(
    "deloc-bench-fifty",
    Array.from({ length: 50 }, (_, i) => ({
      name: `n${i}`,
      delayS: 2,
      ...(i >= 10 ? { after: [`n${i % 10}`] } : {}),
    })),
    { interval: "1s", cpu: "10m" },
  );
  out.versus = [
    againstCompose("chain of six 2 s services", six, 6 * (2000 + out.engineStartMs), 3),
    againstCompose(
      "50 services: 10 roots, 40 waiting (10m CPU)",
      fifty,
      2 * (2000 + out.engineStartMs),
      3,
      statusOf,
    ),
  ];
}

// The full recipe at 6 GB, proved by `verify`, with `status` latency and each container's memory.
if (engineReady && CASES.has("full"))
  out.full = sizeStack("full recipe, minimal profile", "deloc-bench-full", [
    "--recipe",
    "full",
    "--profile",
    "minimal",
  ]);

if (!merged.length) loads.push(os.loadavg()[0]);
out.load = { min: Math.min(...loads), max: Math.max(...loads) };
fs.mkdirSync(path.join(ROOT, "bench/out"), { recursive: true });
fs.writeFileSync(path.join(ROOT, `bench/out/results-${LABEL}.json`), `${JSON.stringify(out, null, 2)}\n`);
fs.rmSync(work, { recursive: true, force: true });

// The report: this run next to bench/baseline.json ("today", main before issue 15 item 8).
const baselineFile = path.join(ROOT, "bench/baseline.json");
const base =
  LABEL !== "today" && fs.existsSync(baselineFile) ? JSON.parse(fs.readFileSync(baselineFile, "utf8")) : {};
const ms = (x) => (x == null ? "—" : x >= 10_000 ? `${(x / 1000).toFixed(1)} s` : `${Math.round(x)} ms`);
const mib = (kib) => (kib == null || Number.isNaN(kib) ? "—" : `${Math.round(kib / 1024)} MiB`);
const verdict = (value, ok) => (value == null ? "—" : ok ? "met" : "MISSED");
const rows = [];
const row = (what, today, now, target, met) =>
  rows.push(`| ${what} | ${today} | ${now} | ${target} | ${met} |`);
const p = out.plan;
const bp = base.plan;
if (p) {
  row('`node -e ""`', ms(base.bareMs), ms(out.bareMs), "", "");
  row(
    "`deloc --version`",
    ms(bp?.versionMs),
    ms(p.versionMs),
    "≤ 1.3× bare node",
    verdict(p.versionMs, p.versionMs <= 1.3 * out.bareMs),
  );
  row("`plan` full recipe", ms(bp?.fullRecipeMs), ms(p.fullRecipeMs), "", "");
  row("`plan` 100 services", ms(bp?.s100Ms), ms(p.s100Ms), "", "");
  row(
    "`plan` 1,000 services",
    ms(bp?.s1000Ms),
    ms(p.s1000Ms),
    "< 300 ms",
    verdict(p.s1000Ms, p.s1000Ms < 300),
  );
  row("`plan --json` 1,000 services", ms(bp?.s1000JsonMs), ms(p.s1000JsonMs), "", "");
  const ratio = (x) => (x ? `${ms(x.s2000Ms)} (${(x.s2000Ms / x.s1000Ms).toFixed(2)}×)` : "—");
  row(
    "`plan` 2,000 services",
    ratio(bp),
    ratio(p),
    "≤ 2.2× 1,000",
    verdict(p.s2000Ms, p.s2000Ms <= 2.2 * p.s1000Ms),
  );
  const cpu = (x) =>
    x?.s1000CpuMs
      ? `${x.s1000CpuMs} ms / ${x.s2000CpuMs} ms (${(x.s2000CpuMs / x.s1000CpuMs).toFixed(2)}×)`
      : "—";
  row("`plan` 1,000 / 2,000 services, CPU time", cpu(bp), cpu(p), "", "");
  row("CLI peak memory, `plan` 1,000", mib(bp?.s1000PeakKiB), mib(p.s1000PeakKiB), "", "");
}
const floorRow = (key, factor) => {
  const now = out[key];
  if (!now) return;
  const then = base[key];
  const show = (x) =>
    x
      ? `${ms(x.delocMs)} (${x.delocMs ? (x.delocMs / x.floorMs).toFixed(2) : "—"}× floor ${ms(x.floorMs)}${x.failed ? `, ${x.failed} failed` : ""})`
      : "—";
  row(
    `\`up\` ${now.label}`,
    show(then),
    show(now),
    `≤ ${factor}× floor`,
    verdict(now.delocMs, now.delocMs && now.delocMs <= factor * now.floorMs && !now.failed),
  );
};
floorRow("chain", 1.05);
floorRow("fan", 1.3);
for (const v of out.versus ?? []) {
  const then = (base.versus ?? []).find((b) => b.label === v.label);
  const show = (x) =>
    x
      ? `${ms(x.delocMs)}${x.failed ? ` (${x.failed}/${x.rounds} failed)` : ""} vs Compose ${ms(x.composeMs)}${x.composeFailed ? ` (${x.composeFailed} failed)` : ""}, floor ${ms(x.floorMs)}`
      : "—";
  row(
    `\`up\` ${v.label}`,
    show(then),
    show(v),
    "faster than Compose",
    v.failed ? "MISSED (failed)" : verdict(v.delocMs, v.delocMs && v.composeMs && v.delocMs < v.composeMs),
  );
  if (v.statusMs != null)
    row(
      "`status`, 50 services",
      ms(then?.statusMs),
      ms(v.statusMs),
      "< 500 ms",
      verdict(v.statusMs, v.statusMs < 500),
    );
  row(
    `CLI peak memory, \`up\` ${v.label}`,
    mib(then?.upPeakKiB),
    mib(v.upPeakKiB),
    "< 100 MiB",
    verdict(v.upPeakKiB, v.upPeakKiB < 100 * 1024),
  );
}
if (out.full && !out.full.failed) {
  const f = out.full;
  const b = base.full && !base.full.failed ? base.full : null;
  row(
    "`status` full recipe (checks settled)",
    ms(b?.statusMs),
    ms(f.statusMs),
    "< 150 ms",
    verdict(f.statusMs, f.statusMs < 150),
  );
  row("`status` full recipe, right after `verify`", ms(b?.statusFreshMs), ms(f.statusFreshMs), "", "");
  row(
    "CLI peak memory, `up` / `status` full recipe",
    b ? `${mib(b.cliPeakKiB.up)} / ${mib(b.cliPeakKiB.status)}` : "—",
    `${mib(f.cliPeakKiB.up)} / ${mib(f.cliPeakKiB.status)}`,
    "< 100 MiB",
    verdict(f.cliPeakKiB.up, Math.max(f.cliPeakKiB.up, f.cliPeakKiB.status) < 100 * 1024),
  );
}
const engineVersion = docker("version", "--format", "{{.Server.Version}}").stdout?.trim() || "none";
const composeVersion = fs.existsSync(COMPOSE)
  ? spawnSync(COMPOSE, ["version", "--short"], { encoding: "utf8" }).stdout.trim()
  : "—";
const lines = [
  "# DELoc's speed",
  "",
  `Written by \`npm run bench\` on ${out.cpus} CPUs (load average ${out.load.min.toFixed(1)}–${out.load.max.toFixed(1)} during the run${base.load ? `; ${base.load.min.toFixed(1)}–${base.load.max.toFixed(1)} during the "today" run` : ""}), Docker Engine ${engineVersion}, Compose v${composeVersion}, Node ${process.version}.`,
  `Medians (${out.runs} runs of the quick cases, 5 deploys against the floor, 3 against Compose). "Today" is`,
  "main before issue 15 item 8 (bench/baseline.json: the same bench with `DELOC_BIN` at main's build).",
  "The floor of a deploy is what no tool can beat: the readiness delays on the critical path plus the",
  `engine's own start of one container per link (${ms(out.engineStartMs)}, \`docker start\`, measured in this run).`,
  "Against Compose: `deloc up` and `docker compose up --detach --wait` on the file `deloc export compose",
  "--no-start-interval` writes (this engine predates health-check start intervals), alternating, each",
  "torn down with its volumes before the next; time until every service is healthy.",
  "",
  "| case | today | now | target | |",
  "| --- | --- | --- | --- | --- |",
  ...rows,
  "",
];
if (out.full?.services) {
  lines.push(
    `Full recipe (minimal profile) at \`--memory 6g\`: up ${ms(out.full.upMs)}, verify ${ms(out.full.verifyMs)} ${out.full.verified ? "passed" : "FAILED"}; each container's memory (the engine's figure):`,
    "",
    "| container | limit | peak | now | state |",
    "| --- | --- | --- | --- | --- |",
    ...out.full.services.map(
      (s) =>
        `| ${s.service} | ${mib(s.limitBytes / 1024)} | ${mib(s.peakBytes / 1024)} | ${mib(s.nowBytes / 1024)} | ${s.condition} |`,
    ),
    "",
  );
}
if (LABEL === "now") fs.writeFileSync(path.join(ROOT, "bench/results.md"), lines.join("\n"));
console.log(lines.join("\n"));
