// `npm run bench`: start-up and planning time of the built CLI, each next to a bare `node -e ""`
// measured in the same run on the same machine. Medians of N runs; results also go to
// bench/out/results.json. Targets: --version within 1.3× bare Node; 1,000 services in under 1 s.
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

console.log(
  `DELoc benchmark · node ${process.version} · ${os.cpus().length} CPUs · median of ${RUNS} runs\n`,
);
console.log(`${"case".padEnd(30)}${"median".padStart(10)}${"× bare".padStart(9)}   target`);
let failed = 0;
for (const r of results) {
  const verdict =
    r.target === undefined ? "" : r.ms <= r.target ? `${r.targetText}: met` : `${r.targetText}: MISSED`;
  if (r.target !== undefined && r.ms > r.target) failed++;
  console.log(
    `${r.name.padEnd(30)}${`${r.ms.toFixed(1)} ms`.padStart(10)}${(r.ms / bare).toFixed(2).padStart(9)}   ${verdict}`,
  );
}
fs.mkdirSync(path.join(ROOT, "bench/out"), { recursive: true });
fs.writeFileSync(
  path.join(ROOT, "bench/out/results.json"),
  JSON.stringify(
    { node: process.version, runs: RUNS, results: results.map(({ name, ms }) => ({ name, ms })) },
    null,
    2,
  ),
);
fs.rmSync(work, { recursive: true, force: true });
if (failed) console.log(`\n${failed} target(s) missed`);
