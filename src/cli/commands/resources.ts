import { readCapacity } from "../../config/index.js";
import { ConfigError, type Diagnostic, formatBytes } from "../../core/index.js";
import { detectHost, OS_RESERVE_RATIO, SAFETY_MARGIN_RATIO } from "../../resources/index.js";
import { askEngine, budgetFrom } from "../budget.js";
import type { CommandRun } from "../command.js";
import type { CommandContext } from "../context.js";
import { loadProject } from "../project.js";

export const resources: CommandRun = async (ctx, _args, opts) => {
  const errors: Diagnostic[] = [];
  const capacity = readCapacity(
    ctx.env,
    {
      ...(typeof opts.memory === "string" ? { memory: opts.memory } : {}),
      ...(typeof opts.cpus === "string" ? { cpus: opts.cpus } : {}),
    },
    errors,
  );
  if (errors.length) throw new ConfigError("command line", errors);
  const facts = (ctx.detectHost ?? ((dataDir) => detectHost({ dataDir })))(ctx.cwd);
  // The budget `plan` would use: the engine's, net of what runs on it besides the stack here.
  const stack = stackHere(ctx, opts);
  const engine = await askEngine(ctx, stack?.target ?? "docker", stack?.name ?? "");
  const budget = budgetFrom(
    { detectHost: () => facts },
    { stack: { name: stack?.name ?? "", dir: ctx.cwd, target: stack?.target ?? "docker" }, capacity },
    engine,
  );

  if (opts.json) {
    ctx.out(
      JSON.stringify(
        {
          host: facts,
          engine: engine.ok
            ? {
                name: engine.info.name,
                endpoint: engine.info.endpoint,
                memoryBytes: engine.info.memoryBytes,
                cpus: engine.info.cpus,
              }
            : null,
          budget,
          osReserveRatio: OS_RESERVE_RATIO,
          safetyMarginRatio: SAFETY_MARGIN_RATIO,
        },
        null,
        2,
      ),
    );
    return 0;
  }
  const pct = (r: number) => `${Math.round(r * 100)}%`;
  const rows: [string, string, string][] = [
    [
      "Memory",
      formatBytes(facts.memoryBytes.value),
      `${facts.memoryBytes.source}: ${facts.memoryBytes.detail}`,
    ],
    ["CPUs", String(facts.cpus.value), `${facts.cpus.source}: ${facts.cpus.detail}`],
    [
      "Disk",
      facts.disk
        ? `${formatBytes(facts.disk.freeBytes)} free of ${formatBytes(facts.disk.totalBytes)}`
        : "unknown",
      facts.disk ? `statfs: ${facts.disk.path}` : "statfs failed",
    ],
  ];
  if (facts.physicalMemoryBytes !== facts.memoryBytes.value)
    rows.splice(1, 0, ["", `(machine: ${formatBytes(facts.physicalMemoryBytes)})`, "/proc/meminfo"]);
  rows.push(
    engine.ok
      ? [
          "Engine",
          `${formatBytes(engine.info.memoryBytes)}, ${engine.info.cpus} CPUs`,
          `${engine.info.name} at ${engine.info.endpoint}`,
        ]
      : ["Engine", "-", engine.why],
  );
  const width = Math.max(...rows.map((r) => r[1].length));
  ctx.out("Detected");
  for (const [k, v, src] of rows) ctx.out(`  ${k.padEnd(8)}${v.padEnd(width + 3)}${src}`);
  ctx.out("\nBudget for services");
  const lines: [string, string][] = [
    [`memory (${budget.memorySource})`, formatBytes(budget.hostMemoryBytes)],
    [`- OS reserve (${pct(OS_RESERVE_RATIO)})`, formatBytes(budget.reserveBytes)],
    [`- safety margin (${pct(SAFETY_MARGIN_RATIO)} of the rest)`, formatBytes(budget.marginBytes)],
    ...(budget.commitments ?? []).map((c): [string, string] => [
      `- ${c.stack ? `stack ${c.stack}: ` : ""}${c.name}`,
      formatBytes(c.memoryBytes),
    ]),
    ["= memory for services", formatBytes(budget.memoryBytes)],
    [`CPUs${capacity.cpus ? ` (${capacity.cpus.source})` : ""}`, String(budget.cpus)],
  ];
  const w = Math.max(...lines.map((l) => l[0].length));
  for (const [k, v] of lines) ctx.out(`  ${k.padEnd(w + 3)}${v}`);
  return 0;
};

/** The stack of the folder, when its file loads: its own containers are not "what else runs". */
function stackHere(ctx: CommandContext, opts: Record<string, unknown>) {
  try {
    return loadProject({ ...ctx, err: () => undefined }, opts).stack;
  } catch {
    return undefined;
  }
}
