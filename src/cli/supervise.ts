/** `deloc up --supervise`: after the deploy, `up` stays in the foreground and the supervisor decides. */
import type { Adapter } from "../adapters/adapter.js";
import type { Plan } from "../core/index.js";
import type { StateStore } from "../engine/state.js";
import { Supervisor } from "../engine/supervisor.js";
import type { CommandContext } from "./context.js";

/** Resolves at the first Ctrl-C (SIGINT) or SIGTERM. */
export function untilSignal(): Promise<NodeJS.Signals> {
  return new Promise((resolve) => {
    const done = (signal: NodeJS.Signals) => {
      process.removeListener("SIGINT", done);
      process.removeListener("SIGTERM", done);
      resolve(signal);
    };
    process.on("SIGINT", done);
    process.on("SIGTERM", done);
  });
}

/** Supervises the stack until a signal, printing each decision on stderr; the stack keeps running after. */
export async function superviseUntilSignal(
  ctx: CommandContext,
  input: { adapter: Adapter; store: StateStore; plan: Plan; secrets: Readonly<Record<string, string>> },
): Promise<number> {
  const supervisor = Supervisor.start({
    ...input,
    onDecision: (d) => ctx.err(`[${d.at.slice(11, 19)}] supervisor: ${d.text}`),
  });
  ctx.err(
    `Supervising ${input.plan.stack}: kills for memory are reported, crash loops go through a circuit breaker. Ctrl-C stops supervising; the stack keeps running.`,
  );
  await untilSignal();
  supervisor.close();
  return 0;
}
