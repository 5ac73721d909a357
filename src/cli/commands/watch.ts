/**
 * `deloc watch [services…]`: follows the build contexts of custom services and the `watch:` rules
 * of the stack file (sync into the running container, rebuild, restart, as Compose's
 * `develop.watch`), honouring `.dockerignore`. A burst of changes is taken together; each service
 * that changed is then synced, restarted, or rebuilt and recreated alone, health-gated, and the
 * services that depend on it with `restart: true` are restarted. A line per change, with its time;
 * Ctrl-C stops watching and leaves the stack running.
 */
import fs from "node:fs";
import path from "node:path";
import dockerignore, { type Ignore } from "@balena/dockerignore";
import { watch as watchFiles } from "chokidar";
import {
  DelocError,
  DeployFailedError,
  LockedError,
  type Plan,
  type PlannedService,
  UsageError,
  type WatchRule,
} from "../../core/index.js";
import { redeployService, restartServices } from "../../engine/lifecycle.js";
import { STATE_DIR } from "../../engine/state.js";
import { type SyncChange, syncInto } from "../../engine/sync.js";
import type { CommandRun } from "../command.js";
import type { CommandContext } from "../context.js";
import {
  type EngineSession,
  openSession,
  planForEngine,
  serviceIn,
  stackSecrets,
} from "../engine-session.js";

/** Docker's own `.dockerignore` matching (a CommonJS module: its factory is also its `default`). */
const ignore = dockerignore.default;

/** Changes closer together than this are one burst (an editor's save, a `git checkout`). */
const QUIET_MS = 300;

interface Rule extends WatchRule {
  service: string;
  /** Why a change under `path` is not one: the rule's patterns, and `.dockerignore` for builds. */
  ignored: (rel: string) => boolean;
  /** No pattern re-includes (`!…`): an ignored folder need not be walked at all. */
  prunes: boolean;
}

/** What a burst asks of one service. */
interface Pending {
  rebuild: string[];
  restart: string[];
  sync: Map<Rule, SyncChange[]>;
}

export const watch: CommandRun = async (ctx, args, opts) => {
  const session = await openSession(ctx, opts, "watch", { lock: false });
  const { adapter, project } = session;
  const observed = await adapter.observe(project.stack.name);
  const plan = await planForEngine(session, await adapter.info(), observed);
  const names = args.length ? args.map((a) => serviceIn(plan, a)) : plan.services.map((s) => s.name);
  const rules = names.flatMap((n) => rulesOf(session, plan.services.find((s) => s.name === n)!));
  if (!rules.length)
    throw new UsageError(
      `Nothing to watch in ${args.length ? names.join(", ") : `stack ${plan.stack}`}: no service is built from a folder or has watch rules.`,
      "Give a service `build: ./folder`, or `watch: [{ path: ./src, action: sync, target: /app/src }]`.",
    );
  const deployed = new Set(observed.containers.map((c) => c.service));
  const missing = [...new Set(rules.map((r) => r.service))].filter((s) => !deployed.has(s));
  if (missing.length)
    throw new UsageError(
      `${missing.join(", ")} ${missing.length === 1 ? "is" : "are"} not deployed: there is nothing to update.`,
      "`deloc up` first, then `deloc watch`.",
    );

  for (const r of rules) ctx.err(`Watching ${rel(ctx, r.path)} for ${r.service}: ${describe(r)}`);
  ctx.err("Ctrl-C stops watching; the stack keeps running.");

  const pending = new Map<string, Pending>();
  const stateDir = path.join(project.stack.dir, STATE_DIR);
  const watcher = watchFiles(
    [...new Set(rules.map((r) => r.path))],
    // Whole folders nobody wants are not even walked: VCS data, and DELoc's own state (which this
    // command writes: a context of "." would otherwise rebuild on its own event log).
    // So are folders every rule ignores (node_modules, say), unless a pattern re-includes inside them.
    {
      ignoreInitial: true,
      ignored: (p, stats) =>
        path.basename(p) === ".git" ||
        p === stateDir ||
        (stats?.isDirectory() === true &&
          rules.every((r) => {
            const inside = under(r.path, p);
            return inside === null || (inside !== "" && r.prunes && r.ignored(inside));
          })),
    },
  );
  let timer: NodeJS.Timeout | undefined;
  let running: Promise<void> = Promise.resolve();
  const onChange = (file: string, deleted: boolean) => {
    for (const r of rules) {
      const inside = under(r.path, file);
      if (inside === null || (inside && r.ignored(inside))) continue;
      const p: Pending = pending.get(r.service) ?? { rebuild: [], restart: [], sync: new Map() };
      pending.set(r.service, p);
      if (r.action === "rebuild") p.rebuild.push(file);
      else if (r.action === "restart") p.restart.push(file);
      else p.sync.set(r, [...(p.sync.get(r) ?? []), { file, deleted }]);
    }
    clearTimeout(timer);
    timer = setTimeout(() => {
      const burst = new Map(pending);
      pending.clear();
      running = running
        .then(() => applyBurst(ctx, session, plan, burst))
        .catch((e: unknown) => ctx.err(line(`not applied: ${failure(e)}`)));
    }, QUIET_MS);
  };
  watcher.on("add", (f) => onChange(f, false));
  watcher.on("change", (f) => onChange(f, false));
  watcher.on("unlink", (f) => onChange(f, true));
  watcher.on("unlinkDir", (f) => onChange(f, true));
  await new Promise<void>((resolve, reject) => {
    watcher.once("ready", resolve);
    watcher.once("error", reject);
  });
  ctx.err(line("ready; waiting for changes"));

  await new Promise<void>((resolve) => {
    const stop = () => {
      process.removeListener("SIGINT", stop);
      process.removeListener("SIGTERM", stop);
      // A second Ctrl-C while a change is being applied exits at once.
      process.once("SIGINT", () => process.exit(130));
      resolve();
    };
    process.once("SIGINT", stop);
    process.once("SIGTERM", stop);
  });
  clearTimeout(timer);
  await watcher.close();
  await running;
  ctx.err(`Stopped watching. ${plan.stack} keeps running (\`deloc down\` stops it).`);
  return 0;
};

/** `file` relative to `root` with `/` ("" for the root itself); null when it is not under it. */
function under(root: string, file: string): string | null {
  const inside = path.relative(root, file);
  return inside.startsWith("..") || path.isAbsolute(inside) ? null : inside.split(path.sep).join("/");
}

/** The rules of one service: the file's, else a rebuild on its build context. */
function rulesOf(session: EngineSession, s: PlannedService): Rule[] {
  const spec = session.project.stack.services.find((x) => x.name === s.name);
  const declared =
    spec?.watch ?? (s.build ? [{ path: s.build.context, action: "rebuild" as const, ignore: [] }] : []);
  return declared.map((r) => {
    if ((r.action === "rebuild" && !s.build) || !fs.existsSync(r.path))
      throw new UsageError(
        !fs.existsSync(r.path)
          ? `${s.name}: watch path ${r.path} does not exist.`
          : `${s.name}: a rebuild rule needs a service built from a folder (\`build:\`).`,
        "Fix the service's watch rules in the stack file.",
      );
    const own = ignore().add(r.ignore);
    const build = r.action === "rebuild" && s.build ? buildIgnore(s.build.context, s.build.dockerfile) : null;
    const patterns = [...r.ignore, ...(build ? ignoreFileLines(s.build!.context, s.build!.dockerfile) : [])];
    return {
      ...r,
      service: s.name,
      prunes: !patterns.some((l) => l.trim().startsWith("!")),
      ignored: (rel: string) =>
        own.ignores(rel) ||
        build?.(path.relative(s.build!.context, path.join(r.path, rel)).split(path.sep).join("/")) === true,
    };
  });
}

/**
 * What a build does not see: `.dockerignore` (or `<Dockerfile>.dockerignore`, as BuildKit reads
 * it), read again when it changes. The Dockerfile and the ignore file themselves always count.
 */
function buildIgnore(context: string, dockerfile = "Dockerfile"): (rel: string) => boolean {
  const files = ignoreFiles(context, dockerfile);
  let cached: { mtimes: string; ig: Ignore } | null = null;
  const current = (): Ignore => {
    const mtimes = files.map((f) => fs.statSync(f, { throwIfNoEntry: false })?.mtimeMs ?? 0).join(",");
    if (cached?.mtimes !== mtimes)
      cached = { mtimes, ig: ignore().add(ignoreFileLines(context, dockerfile)) };
    return cached.ig;
  };
  const always = new Set([dockerfile, ".dockerignore", `${dockerfile}.dockerignore`]);
  return (rel) => !always.has(rel) && !rel.startsWith("..") && current().ignores(rel);
}

function ignoreFiles(context: string, dockerfile = "Dockerfile"): string[] {
  return [path.join(context, `${dockerfile}.dockerignore`), path.join(context, ".dockerignore")];
}

/** The lines of the ignore file a build reads (the Dockerfile's own first); none without one. */
function ignoreFileLines(context: string, dockerfile = "Dockerfile"): string[] {
  const file = ignoreFiles(context, dockerfile).find((f) => fs.existsSync(f));
  return file ? fs.readFileSync(file, "utf8").split(/\r?\n/) : [];
}

/** Applies one burst, service by service; a failure is reported and watching goes on. */
async function applyBurst(
  ctx: CommandContext,
  session: EngineSession,
  plan: Plan,
  burst: Map<string, Pending>,
): Promise<void> {
  for (const [service, p] of burst) {
    try {
      session.store.lock();
    } catch (e) {
      if (!(e instanceof LockedError)) throw e;
      ctx.err(line(`${service}: not updated: ${e.message} Save again once it is done.`));
      continue;
    }
    try {
      await applyToService(ctx, session, plan, service, p);
    } catch (e) {
      ctx.err(line(`${service}: ${failure(e)}`));
    } finally {
      session.store.unlock();
    }
  }
}

async function applyToService(
  ctx: CommandContext,
  session: EngineSession,
  plan: Plan,
  service: string,
  p: Pending,
): Promise<void> {
  const { adapter, store } = session;
  const t0 = performance.now();
  const took = () => `${((performance.now() - t0) / 1000).toFixed(1)} s`;
  const observed = await adapter.observe(plan.stack, [...new Set(plan.services.map((s) => s.image))]);
  const secrets = await stackSecrets(ctx, session, plan, observed);
  if (p.rebuild.length) {
    ctx.err(line(`${service}: ${changed(ctx, p.rebuild)}; rebuilding`));
    const result = await redeployService({
      plan,
      adapter,
      store,
      secrets,
      service,
      rebuild: true,
      deployedBy: ctx.version,
      runId: `watch${Date.now().toString(36)}`,
    });
    if (!result.changed.includes(service)) {
      ctx.err(line(`${service}: rebuilt; the image is the same, the container is kept (${took()})`));
      return;
    }
    ctx.err(line(`${service}: rebuilt and recreated; ${readiness(plan, service)} after ${took()}`));
    await restartDependents(ctx, session, plan, service, secrets);
    return;
  }
  const ids = observed.containers
    .filter((c) => c.service === service && c.state === "running")
    .map((c) => c.id);
  for (const [rule, changes] of p.sync) {
    const { copied, removed } = await syncInto(adapter, ids, rule.path, rule.target!, changes);
    const what = [
      copied ? `${copied} file${copied === 1 ? "" : "s"} copied` : "",
      removed ? `${removed} removed` : "",
    ]
      .filter(Boolean)
      .join(", ");
    ctx.err(line(`${service}: synced to ${rule.target} (${what || "nothing to copy"})`));
  }
  const restart = p.restart.length > 0 || [...p.sync.keys()].some((r) => r.action === "sync+restart");
  if (restart) {
    if (p.restart.length) ctx.err(line(`${service}: ${changed(ctx, p.restart)}; restarting`));
    await restartServices({ adapter, store, plan, observed, secrets, services: [service] });
    ctx.err(line(`${service}: restarted; ${readiness(plan, service)} after ${took()}`));
    await restartDependents(ctx, session, plan, service, secrets);
  }
}

/** Services that depend on `service` with `restart: true` come back after it, in start order. */
async function restartDependents(
  ctx: CommandContext,
  session: EngineSession,
  plan: Plan,
  service: string,
  secrets: Readonly<Record<string, string>>,
): Promise<void> {
  const dependents = session.project.stack.services
    .filter((s) => s.restartWith?.includes(service) && plan.services.some((p) => p.name === s.name))
    .map((s) => s.name);
  if (!dependents.length) return;
  const observed = await session.adapter.observe(plan.stack);
  const t0 = performance.now();
  await restartServices({
    adapter: session.adapter,
    store: session.store,
    plan,
    observed,
    secrets,
    services: dependents,
  });
  ctx.err(
    line(
      `${dependents.join(", ")}: restarted after ${service} (dependsOn restart: true); ready after ${((performance.now() - t0) / 1000).toFixed(1)} s`,
    ),
  );
}

function readiness(plan: Plan, service: string): string {
  return plan.services.find((s) => s.name === service)?.healthCheck ? "healthy" : "running";
}

function failure(e: unknown): string {
  if (e instanceof DeployFailedError) {
    const f = e.failures[0];
    const tail = f?.logTail.length ? `\n    ${f.logTail.slice(-8).join("\n    ")}` : "";
    return `${f ? f.message : e.message}; the previous version keeps running. Fix it and save again.${tail}`;
  }
  if (e instanceof DelocError) return `${e.message}${e.hint ? ` ${e.hint}` : ""}`;
  return `failed: ${(e as Error).message}`;
}

function describe(r: Rule): string {
  if (r.action === "rebuild") return "rebuild and recreate on a change (.dockerignore honoured)";
  if (r.action === "restart") return "restart on a change";
  return `sync to ${r.target}${r.action === "sync+restart" ? ", then restart" : ""}`;
}

function changed(ctx: CommandContext, files: readonly string[]): string {
  const unique = [...new Set(files)];
  const shown = unique.slice(0, 3).map((f) => rel(ctx, f));
  return `${unique.length === 1 ? shown[0] : `${unique.length} files (${shown.join(", ")}${unique.length > 3 ? ", …" : ""})`} changed`;
}

function rel(ctx: CommandContext, file: string): string {
  const r = path.relative(ctx.cwd, file);
  return r && !r.startsWith("..") ? r : file;
}

/** A live line: the local time, then what happened. */
function line(text: string): string {
  return `[${new Date().toTimeString().slice(0, 8)}] ${text}`;
}
