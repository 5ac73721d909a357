import type { Adapter } from "../../adapters/adapter.js";
import type { ObservedStack, Plan } from "../../core/index.js";
import { runOneOff } from "../../engine/one-off.js";
import { maskSecrets, readSecrets, resolveEnv } from "../../engine/secrets.js";
import type { ExecOutcome, ProbeResult } from "../../verify/probe.js";
import { COMMAND_PROBE_TIMEOUT_MS, type VerifyHooks, verify } from "../../verify/run.js";
import type { CommandRun } from "../command.js";
import { type EngineSession, openSession, planForEngine, serviceIn } from "../engine-session.js";
import { reportVerify } from "../render/verify-report.js";
import { onKubernetes } from "../target.js";

export const verifyCommand: CommandRun = async (ctx, args, opts) => {
  if (onKubernetes(ctx, opts)) return (await import("../kubernetes.js")).kubernetesVerify(ctx, args, opts);
  const session = await openSession(ctx, opts, "verify", { lock: false });
  const { plan, results } = await verifyStack(session, args, ctx.version, ctx.plugins?.probes);
  return reportVerify(ctx, opts, plan.stack, results);
};

/** Runs the probes of the services named (all when none), their details masked; `deloc ui` runs it too. */
export async function verifyStack(
  session: EngineSession,
  args: readonly string[],
  deployedBy: string,
  probes?: VerifyHooks["probes"],
): Promise<{ plan: Plan; results: ProbeResult[] }> {
  const { adapter, project } = session;
  const observed = await adapter.observe(project.stack.name);
  const plan = await planForEngine(session, await adapter.info(), observed);
  const names = args.length ? args.map((a) => serviceIn(plan, a)) : plan.services.map((s) => s.name);
  const secrets = readSecrets(project.stack.dir);
  const results = (
    await verify(
      plan.services.filter((s) => names.includes(s.name) && !s.oneShot),
      (s) => resolveEnv(s.env, secrets),
      {
        runInStack: (image, argv, memoryBytes, env, signal) =>
          runOneOff(adapter, plan.stack, { image, argv, env, memoryBytes, signal, deployedBy }),
        execIn: (service, argv) => execInReplicas(adapter, observed, service.name, argv),
        ...(probes ? { probes } : {}),
      },
    )
  ).map((r) => ({ ...r, detail: maskSecrets(r.detail, secrets) }));
  return { plan, results };
}

/** A command probe runs in every running replica; the first that fails is the answer. */
async function execInReplicas(
  adapter: Adapter,
  observed: ObservedStack,
  service: string,
  argv: readonly string[],
): Promise<ExecOutcome> {
  const running = observed.containers.filter((c) => c.service === service && c.state === "running");
  if (running.length === 0) throw new Error(`${service} has no running container to run the probe in`);
  let last: ExecOutcome = { exitCode: 0, output: "" };
  for (const c of running) {
    const r = await adapter.exec(c.id, argv, { timeoutMs: COMMAND_PROBE_TIMEOUT_MS });
    last = running.length > 1 ? { ...r, output: `${c.name}: ${r.output}` } : r;
    if (r.exitCode !== 0) return last;
  }
  return last;
}
