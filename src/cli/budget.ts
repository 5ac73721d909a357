/**
 * The I/O edge of the one budget every command plans with (`budgetFor` in src/resources is the
 * pure part): this machine's figures, the engine's own memory and CPUs, and what the other stacks
 * and containers on the engine are limited to. `plan` and `resources` ask an engine for a moment
 * and fall back to the host, saying so; `up` and the engine commands hand in the engine they hold.
 */
import type { Adapter } from "../adapters/adapter.js";
import type { Budget, EngineInfo, MemoryCommitment, Target } from "../core/index.js";
import { budgetFor, type CapacityOverrideInput, detectHost } from "../resources/index.js";
import type { CommandContext } from "./context.js";

/** How long `plan` and `resources` wait for an engine before they plan with the host's figures. */
export const ENGINE_WAIT_MS = 2_000;

export interface BudgetRequest {
  stack: { name: string; dir: string; target: Target };
  capacity: CapacityOverrideInput;
}

/** What the engine said, or why nothing was asked. */
export type EngineFacts =
  | { ok: true; info: EngineInfo; commitments: MemoryCommitment[] }
  | { ok: false; why: string };

/** The budget of `plan`: an engine asked briefly, this machine's figures when none answers. */
export async function budgetHere(ctx: CommandContext, req: BudgetRequest): Promise<Budget> {
  return budgetFrom(ctx, req, await askEngine(ctx, req.stack.target, req.stack.name));
}

/** The same budget for a command that holds an engine already (`up`, `status`, …). */
export async function budgetOnEngine(
  seams: Pick<CommandContext, "detectHost">,
  req: BudgetRequest,
  engine: { adapter: Adapter; info: EngineInfo; commitments?: MemoryCommitment[] },
): Promise<Budget> {
  const facts: EngineFacts = engine.commitments
    ? { ok: true, info: engine.info, commitments: engine.commitments }
    : await factsOf(engine.adapter, req.stack.name, engine.info);
  return budgetFrom(seams, req, facts);
}

/** The budget from what the engine said (or why it said nothing) and this machine's figures. */
export function budgetFrom(
  seams: Pick<CommandContext, "detectHost">,
  req: BudgetRequest,
  engine: EngineFacts,
): Budget {
  const host = (seams.detectHost ?? ((dataDir) => detectHost({ dataDir })))(req.stack.dir);
  return engine.ok
    ? budgetFor({ host, engine: engine.info, override: req.capacity, commitments: engine.commitments })
    : budgetFor({ host, override: req.capacity, engineNote: engine.why });
}

/** The engine's figures for a plan of `stack`, from an engine found within `ENGINE_WAIT_MS`. */
export async function askEngine(ctx: CommandContext, target: Target, stack: string): Promise<EngineFacts> {
  if (target === "kubernetes") return { ok: false, why: "the kubernetes target: this machine's figures" };
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<EngineFacts>((resolve) => {
    timer = setTimeout(
      () =>
        resolve({
          ok: false,
          why: `no engine answered within ${ENGINE_WAIT_MS / 1000} s: this machine's figures`,
        }),
      ENGINE_WAIT_MS,
    );
  });
  const asked = (async (): Promise<EngineFacts> => {
    try {
      const adapter = await openEngine(ctx, target);
      return await factsOf(adapter, stack, await adapter.info());
    } catch {
      return { ok: false, why: "no engine answered: this machine's figures" };
    }
  })();
  try {
    return await Promise.race([asked, late]);
  } finally {
    clearTimeout(timer);
  }
}

async function factsOf(adapter: Adapter, stack: string, info: EngineInfo): Promise<EngineFacts> {
  return { ok: true, info, commitments: await adapter.memoryCommitments(stack) };
}

/** What a target's adapter factory is handed. */
export function openInput(ctx: CommandContext) {
  return { env: ctx.env, home: ctx.home, uid: process.getuid?.() ?? 1000, delocVersion: ctx.version };
}

/** The engine of a target: the test seam when one is set, else discovery. */
export async function openEngine(ctx: CommandContext, target: Target): Promise<Adapter> {
  if (ctx.openEngine) return ctx.openEngine(target);
  const { openAdapter } = await import("../adapters/registry.js");
  return openAdapter(target, openInput(ctx), ctx.plugins);
}
