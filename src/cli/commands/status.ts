import { setTimeout as sleep } from "node:timers/promises";
import pc from "picocolors";
import { formatBytes } from "../../core/index.js";
import { maskSecrets, presentSecrets, readSecrets, resolveSecrets } from "../../engine/secrets.js";
import { markSeenReady, statsOf, summarize } from "../../engine/status.js";
import { readinessOf, runHealthCheck } from "../../engine/wait.js";
import type { CommandRun } from "../command.js";
import { openByName, openSession, planForEngine } from "../engine-session.js";
import { formatEndpoints } from "../render/endpoints.js";
import { type HealthResult, reportHealth } from "../render/health-report.js";
import { renderTable } from "../render/table.js";
import { onKubernetes } from "../target.js";

export const status: CommandRun = async (ctx, _args, opts) => {
  if (onKubernetes(ctx, opts)) return (await import("../kubernetes.js")).kubernetesStatus(ctx, opts);
  const { stack, dir, adapter, store, session } = await openByName(ctx, opts, "status", { lock: false });
  // Everything the engine is asked, at once: the stack, its figures and what else it holds.
  const [observed, info, commitments] = await Promise.all([
    adapter.observe(stack),
    session ? adapter.info() : null,
    session ? adapter.memoryCommitments(stack) : null,
  ]);
  const [plan, stats] = await Promise.all([
    session && info ? planForEngine(session, info, observed, commitments ?? undefined) : null,
    statsOf(adapter, observed),
  ]);
  // An engine without health-check start intervals (Docker < 25) says "starting" until its first
  // check, up to an interval after the service is ready. A container `up` saw ready (the state
  // file lists it, and it has not started again since) is; any other such check runs now, within
  // `CHECKS_WITHIN_MS` (running each one for 50 services at once took seconds).
  const secrets = readSecrets(dir);
  const saved = store.read();
  if (plan) {
    const pending = markSeenReady(observed, saved);
    const deadline = sleep(CHECKS_WITHIN_MS, undefined, { ref: false });
    await Promise.all(
      pending.map(async (c) => {
        const hc = plan.services.find((s) => s.name === c.service)?.healthCheck;
        if (!hc) return;
        const r = await Promise.race([
          runHealthCheck(adapter, c.id, hc, (t) => resolveSecrets(t, secrets)),
          deadline,
        ]);
        if (r?.exitCode === 0) c.health = "healthy";
      }),
    );
  }
  const services = summarize(observed, plan, stats, new Date());

  if (opts.json) {
    ctx.out(
      JSON.stringify(
        {
          stack,
          state:
            saved?.state ?? (observed.containers.some((c) => c.state === "running") ? "running" : "stopped"),
          services: services.map((s) => ({
            ...s,
            endpoints: (plan?.services.find((p) => p.name === s.service)?.endpoints ?? []).map((e) => ({
              ...e,
              url: presentSecrets(e.url, secrets, opts.showSecrets === true),
              ...(e.description
                ? { description: presentSecrets(e.description, secrets, opts.showSecrets === true) }
                : {}),
            })),
          })),
          volumes: observed.volumes,
          networks: observed.networks,
        },
        null,
        2,
      ),
    );
    return 0;
  }
  if (services.length === 0) {
    ctx.out(`Nothing of stack ${stack} is on the engine. \`deloc up\` deploys it.`);
    return 0;
  }
  const bold = ctx.color ? { bold: pc.bold } : {};
  const rows = services.flatMap((s) =>
    (s.replicas.length ? s.replicas : [null]).map((r) => [
      r && s.replicas.length > 1 ? `${s.service}#${r.replica}` : s.service,
      r
        ? r.condition +
          (r.exitCode !== null && r.condition === "exited" ? ` (${r.exitCode})` : "") +
          (s.outdated ? ", outdated" : "")
        : "not deployed",
      r ? (r.health === "none" ? "-" : r.health) : "-",
      r?.uptimeSeconds != null ? uptime(r.uptimeSeconds) : "-",
      r?.memoryBytes != null
        ? `${formatBytes(r.memoryBytes)} / ${formatBytes(r.memoryLimitBytes)} (${Math.round((100 * r.memoryBytes) / Math.max(1, r.memoryLimitBytes))}%)`
        : r
          ? `- / ${formatBytes(r.memoryLimitBytes)}`
          : "-",
      r?.restarts ? String(r.restarts) : "0",
      r?.ports.length ? r.ports.map((p) => `127.0.0.1:${p}`).join(", ") : "-",
    ]),
  );
  ctx.out(
    `Stack ${stack}: ${saved?.state ?? "state unknown (no .deloc/state.json); from the engine's labels"}`,
  );
  ctx.out(renderTable(["service", "state", "health", "uptime", "memory", "restarts", "ports"], rows, bold));
  if (plan)
    ctx.out(`\n${formatEndpoints(plan, secrets, { showSecrets: opts.showSecrets === true, ...bold })}`);
  return 0;
};

export const health: CommandRun = async (ctx, args, opts) => {
  if (onKubernetes(ctx, opts)) return (await import("../kubernetes.js")).kubernetesHealth(ctx, args, opts);
  const session = await openSession(ctx, opts, "health", { lock: false });
  const { adapter, project } = session;
  const observed = await adapter.observe(project.stack.name);
  const plan = await planForEngine(session, await adapter.info(), observed);
  const secrets = readSecrets(project.stack.dir);
  const wanted = args.length ? plan.services.filter((s) => args.includes(s.name)) : plan.services;
  const results = await Promise.all(
    wanted.flatMap((s): Promise<HealthResult>[] => {
      const containers = observed.containers.filter((c) => c.service === s.name);
      if (containers.length === 0)
        return [
          Promise.resolve({
            service: s.name,
            replica: 0,
            ok: false,
            check: readinessOf(s),
            output: "not deployed",
            ms: 0,
          }),
        ];
      return containers.map(async (c) => {
        const t = performance.now();
        if (s.oneShot)
          return {
            service: s.name,
            replica: c.replica,
            ok: c.exitCode === 0,
            check: "completed",
            output: c.exitCode === null ? c.state : `exit ${c.exitCode}`,
            ms: 0,
          };
        if (c.state !== "running")
          return {
            service: s.name,
            replica: c.replica,
            ok: false,
            check: readinessOf(s),
            output: c.state,
            ms: 0,
          };
        if (!s.healthCheck)
          return {
            service: s.name,
            replica: c.replica,
            ok: true,
            check: "started",
            output: "running (no health check)",
            ms: 0,
          };
        const r = await runHealthCheck(adapter, c.id, s.healthCheck, (a) => resolveSecrets(a, secrets));
        return {
          service: s.name,
          replica: c.replica,
          ok: r.exitCode === 0,
          check: s.healthCheck.command.join(" "),
          // A check may echo what it was given (a password in its arguments or environment).
          output: maskSecrets(r.output.trim().split("\n").at(-1) ?? "", secrets),
          ms: Math.round(performance.now() - t),
        };
      });
    }),
  );
  return reportHealth(ctx, opts, plan.stack, results);
};

/** How long `status` waits for the health checks it runs itself; unanswered, a service stays "starting". */
const CHECKS_WITHIN_MS = 5_000;

function uptime(s: number): string {
  if (s < 60) return `${s}s`;
  if (s < 3600) return `${Math.floor(s / 60)}m${s % 60 ? `${s % 60}s` : ""}`;
  return `${Math.floor(s / 3600)}h${Math.floor((s % 3600) / 60)}m`;
}
