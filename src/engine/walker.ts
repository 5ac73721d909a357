/**
 * The one dependency walker. Every command that acts on several services — deploy, restart, stop,
 * teardown, the Kubernetes readiness wait — walks them with this: forward (a step runs once what it
 * needs has reached its gate: started or done) or backward (a step runs once everything that needs
 * it is done), never more than `limit` steps holding a slot at once. The cap is exact: a slot freed
 * is handed to the next waiting step, so no step that arrives meanwhile can slip in beside it.
 */
import { setMaxListeners } from "node:events";
import type { PlannedService } from "../core/index.js";

export type Gate = "started" | "done";

export interface WalkStep {
  readonly name: string;
  /** What this step needs, and how far each must be before it may run. */
  readonly after: readonly { readonly name: string; readonly gate: Gate }[];
}

export type WalkOutcome =
  | { state: "done" }
  | { state: "failed"; error: unknown }
  /** Not run: a step it needed failed or was skipped, or the walk was stopped. */
  | { state: "skipped" };

export interface WalkOptions<S extends WalkStep> {
  steps: readonly S[];
  direction: "forward" | "backward";
  /** How many steps may run at once (1: one after another; Infinity: no cap). */
  limit: number;
  /** Stops steps that have not begun; aborted by the walker itself at the first failure. */
  signal?: AbortSignal;
  /** Work a step may do before what it needs is ready, outside the cap (creating a container, say). */
  prepare?: (step: S, signal: AbortSignal) => Promise<void>;
  /**
   * The step's work, holding a slot. `started()` lets steps that need this one `started` go on
   * while it finishes (waits for its health, say); returning is `done`.
   */
  run: (step: S, started: () => void, signal: AbortSignal) => Promise<void>;
  /** Called as each step settles, in the order they settle. */
  onSettled?: (step: S, outcome: WalkOutcome) => void;
}

/** Walks every step; resolves (never rejects) with each step's outcome once all have settled. */
export async function walk<S extends WalkStep>(opts: WalkOptions<S>): Promise<Map<string, WalkOutcome>> {
  const names = new Set(opts.steps.map((s) => s.name));
  const stop = new AbortController();
  // Every step waiting (a sleep between checks, say) listens on this one signal: fifty services
  // are fifty listeners, not a leak.
  setMaxListeners(0, stop.signal);
  const onOuterAbort = () => stop.abort(opts.signal?.reason);
  if (opts.signal?.aborted) stop.abort(opts.signal.reason);
  opts.signal?.addEventListener("abort", onOuterAbort, { once: true });

  // Forward, a step waits for each of its own `after` at that gate; backward, for every step that
  // names it, to be done.
  const waitsFor = new Map<string, { name: string; gate: Gate }[]>(opts.steps.map((s) => [s.name, []]));
  for (const s of opts.steps)
    for (const a of s.after) {
      if (!names.has(a.name)) continue; // outside this walk: not waited for
      if (opts.direction === "forward") waitsFor.get(s.name)!.push(a);
      else waitsFor.get(a.name)!.push({ name: s.name, gate: "done" });
    }

  const started = new Map(opts.steps.map((s) => [s.name, new Signal()]));
  const done = new Map(opts.steps.map((s) => [s.name, new Signal()]));
  const slots = new Slots(opts.limit);
  const outcomes = new Map<string, WalkOutcome>();

  const runStep = async (s: S): Promise<WalkOutcome> => {
    await opts.prepare?.(s, stop.signal);
    for (const w of waitsFor.get(s.name)!) {
      const ok = await (w.gate === "started" ? started : done).get(w.name)!.reached;
      if (!ok) return { state: "skipped" };
    }
    if (stop.signal.aborted) return { state: "skipped" };
    await slots.acquire();
    try {
      if (stop.signal.aborted) return { state: "skipped" };
      await opts.run(s, () => started.get(s.name)!.set(true), stop.signal);
      return { state: "done" };
    } finally {
      slots.release();
    }
  };

  await Promise.all(
    opts.steps.map(async (s) => {
      let outcome: WalkOutcome;
      try {
        outcome = await runStep(s);
      } catch (error) {
        outcome = { state: "failed", error };
        stop.abort(error);
      }
      outcomes.set(s.name, outcome);
      started.get(s.name)!.set(outcome.state === "done");
      done.get(s.name)!.set(outcome.state === "done");
      opts.onSettled?.(s, outcome);
    }),
  );
  opts.signal?.removeEventListener("abort", onOuterAbort);
  return outcomes;
}

/** Resolves once with whether the step got there (false: it failed or was skipped). */
class Signal {
  readonly reached: Promise<boolean>;
  private resolve!: (ok: boolean) => void;
  private isSet = false;
  constructor() {
    this.reached = new Promise((r) => {
      this.resolve = r;
    });
  }
  set(ok: boolean): void {
    if (this.isSet) return;
    this.isSet = true;
    this.resolve(ok);
  }
}

/** A counting semaphore that hands a freed slot straight to the next in line. */
export class Slots {
  private active = 0;
  private readonly queue: (() => void)[] = [];
  constructor(private readonly limit: number) {}
  async acquire(): Promise<void> {
    if (this.active < this.limit) {
      this.active++;
      return;
    }
    // The releasing step passes its slot on: `active` stays as it is.
    await new Promise<void>((r) => this.queue.push(r));
  }
  /** No slot free: a caller that may skip its turn (a poll) does. */
  get full(): boolean {
    return this.active >= this.limit;
  }
  release(): void {
    const next = this.queue.shift();
    if (next) next();
    else this.active--;
  }
}

/** A plan's services as steps: each waits for what it depends on, `started` or ready (`done`). */
export function serviceSteps(
  services: readonly PlannedService[],
): (WalkStep & { service: PlannedService })[] {
  return services.map((s) => ({
    name: s.name,
    service: s,
    after: s.dependsOn.map((d) => ({
      name: d.service,
      gate: d.condition === "started" ? "started" : "done",
    })),
  }));
}

/** The strategy's cap on steps at once. */
export function strategyLimit(strategy: "parallel" | "sequential" | "hybrid", maxParallel: number): number {
  return strategy === "sequential" ? 1 : strategy === "hybrid" ? maxParallel : Number.POSITIVE_INFINITY;
}
