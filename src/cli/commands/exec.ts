/**
 * `deloc exec SERVICE [-- command…]` and the catalog's shortcuts (`deloc psql`, `deloc redis-cli`,
 * `deloc kafka-topics`): a command run in a service's running container, with the user's terminal
 * attached when there is one (raw keys, the window's size) and plain streams otherwise, so
 * `echo 'select 1' | deloc psql` works. The command's exit code is DELoc's.
 */
import type { Catalog, Shortcut } from "../../catalog/index.js";
import { NotDeployedError, type Plan, type PlannedService, UsageError } from "../../core/index.js";
import type { CommandRun } from "../command.js";
import type { CommandContext } from "../context.js";
import { openSession, serviceIn } from "../engine-session.js";
import { loadCatalogFor, loadProject } from "../project.js";
import { planPortable } from "./plan.js";

export const exec: CommandRun = async (ctx, args, opts) => {
  const [service, ...rest] = args;
  // Commander passes through the `--` that separates the command (`deloc exec app -- ls -la`).
  const command = rest[0] === "--" ? rest.slice(1) : rest;
  const { plan } = planPortable(ctx, opts);
  return runIn(ctx, opts, plan, serviceIn(plan, service), command.length ? command : ["sh"]);
};

/**
 * `deloc NAME [args…]` where a catalog template declares the shortcut NAME; null when none does
 * (the command is then unknown). Deloc's own options, before `--`: `--service S` (when several
 * services have it), `--file F`, `--no-tty`; every other argument is the tool's.
 */
export async function runShortcut(ctx: CommandContext, argv: readonly string[]): Promise<number | null> {
  const [name = "", ...rest] = argv;
  const { opts, args } = shortcutArgs(rest);
  // A plugin's template may declare the shortcut; a plugin that does not load is the error to show.
  await (await import("../plugins.js")).preparePlugins(ctx, "exec", opts);
  let catalog: Catalog;
  let plan: Plan | null = null;
  try {
    catalog = loadProject(ctx, opts).catalog;
    plan = planPortable(ctx, opts).plan;
  } catch (e) {
    // No stack file (or a broken one): a shortcut still needs one; anything else is not ours.
    if (!declares(loadCatalogFor(ctx), name)) return null;
    throw e;
  }
  if (!declares(catalog, name)) return null;
  const candidates = plan.services.filter((s) => shortcutOf(catalog, s, name));
  const pick = typeof opts.service === "string" ? opts.service : undefined;
  const templates = templatesDeclaring(catalog, name);
  if (!candidates.length)
    throw new UsageError(
      `\`deloc ${name}\` runs in a ${templates.join(" or ")} service, and stack ${plan.stack} has none.`,
      `Add one to the stack file (\`${templates[0]}: {}\`), or use \`deloc exec SERVICE -- …\`.`,
    );
  if (pick && !candidates.some((s) => s.name === pick))
    throw new UsageError(
      `--service ${pick}: not a service with \`deloc ${name}\`.`,
      `Services with it: ${candidates.map((s) => s.name).join(", ")}`,
    );
  if (!pick && candidates.length > 1)
    throw new UsageError(
      `Stack ${plan.stack} has ${candidates.length} services with \`deloc ${name}\`: ${candidates.map((s) => s.name).join(", ")}.`,
      `Say which: \`deloc ${name} --service ${candidates[0]!.name} …\`.`,
    );
  const service = candidates.find((s) => s.name === pick) ?? candidates[0]!;
  const shortcut = shortcutOf(catalog, service, name)!;
  return runIn(ctx, opts, plan, service.name, [...shortcut.command, ...args], true);
}

/** The shortcut of a planned service: its variant's, else its template's. */
function shortcutOf(catalog: Catalog, s: PlannedService, name: string): Shortcut | undefined {
  const t = s.template ? catalog.templates.get(s.template) : undefined;
  if (!t) return undefined;
  return (s.variant ? t.variants[s.variant]?.shortcuts?.[name] : undefined) ?? t.shortcuts[name];
}

function templatesDeclaring(catalog: Catalog, name: string): string[] {
  return [...catalog.templates.values()]
    .filter((t) => t.shortcuts[name] || Object.values(t.variants).some((v) => v.shortcuts?.[name]))
    .map((t) => t.name);
}

function declares(catalog: Catalog, name: string): boolean {
  return templatesDeclaring(catalog, name).length > 0;
}

function shortcutArgs(argv: readonly string[]): { opts: Record<string, unknown>; args: string[] } {
  const opts: Record<string, unknown> = {};
  const args: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (a === "--") {
      args.push(...argv.slice(i + 1));
      break;
    }
    const m = /^--(service|file)(?:=(.*))?$/.exec(a);
    if (m) {
      const value = m[2] ?? argv[++i];
      if (value === undefined) throw new UsageError(`--${m[1]} needs a value.`, `e.g. --${m[1]} NAME`);
      opts[m[1]!] = value;
    } else if (a === "--no-tty") opts.tty = false;
    else args.push(a);
  }
  return { opts, args };
}

/** Runs argv in the service's first running container; resolves with its exit code. */
async function runIn(
  ctx: CommandContext,
  opts: Record<string, unknown>,
  plan: Plan,
  service: string,
  argv: string[],
  resolveEnv = false,
): Promise<number> {
  const session = await openSession(ctx, opts, "exec", { lock: false });
  const { adapter } = session;
  const replica = opts.replica === undefined ? 1 : Number(opts.replica);
  if (!Number.isInteger(replica) || replica < 1)
    throw new UsageError(`--replica: "${String(opts.replica)}" is not a replica number.`, "e.g. --replica 2");
  const observed = await adapter.observe(plan.stack);
  const container = observed.containers.find(
    (c) => c.service === service && c.replica === replica && c.state === "running",
  );
  if (!container)
    throw new NotDeployedError(
      `${service}${replica > 1 ? ` replica ${replica}` : ""} has no running container in stack ${plan.stack}.`,
      "`deloc up` starts it; `deloc status` shows what runs.",
    );
  let command = argv;
  if (resolveEnv) {
    const env = await adapter.containerEnv(container.id);
    command = argv.map((a) =>
      a.replace(/\{\{env\.([A-Za-z_][A-Za-z0-9_]*)\}\}/g, (_, k: string) => env[k] ?? ""),
    );
  }
  const stdin = process.stdin;
  const stdout = process.stdout;
  const tty = opts.tty !== false && stdin.isTTY === true && stdout.isTTY === true;
  const size = () => ({ rows: stdout.rows || 24, columns: stdout.columns || 80 });
  if (tty) stdin.setRawMode(true);
  try {
    const run = await adapter.execAttached(container.id, command, {
      tty,
      stdin,
      stdout,
      stderr: process.stderr,
      ...(tty ? { size: size() } : {}),
      ...(typeof opts.user === "string" ? { user: opts.user } : {}),
    });
    const onResize = () => void run.resize(size());
    if (tty) stdout.on("resize", onResize);
    try {
      return await run.exitCode;
    } finally {
      stdout.off("resize", onResize);
    }
  } finally {
    if (tty) stdin.setRawMode(false);
    // The command ended: what is left of our input is not read (and does not keep DELoc alive).
    stdin.pause();
    (stdin as { unref?: () => void }).unref?.();
  }
}
