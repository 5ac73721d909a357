/**
 * The run-time supervisor: while `deloc ui` runs (or `deloc up --supervise`), it follows the
 * engine's events for the stack and decides. A kill for memory is reported with the limit and a
 * suggested size. A service that keeps dying goes through a circuit breaker — closed (the engine
 * restarts it) → open (DELoc stops it, so it does not restart for ever) → half-open after a backoff
 * that doubles each time (one trial start; ready closes the circuit, another death opens it again).
 * Every decision goes to the event log (`.deloc/events.ndjson`) and to `onDecision`.
 */
import type { Adapter } from "../adapters/adapter.js";
import { type ContainerEvent, formatBytes, type Plan } from "../core/index.js";
import { type Clock, systemClock } from "./clock.js";
import { maskSecrets } from "./secrets.js";
import type { StateStore } from "./state.js";
import { startAndWait, suggestMemory } from "./wait.js";

/** Exit codes of a container that was stopped rather than one that failed. */
const STOPPED_EXIT_CODES = new Set([0, 137, 143]);

export type CircuitState = "closed" | "open" | "half-open";

export interface BreakerOptions {
  /** Deaths within `windowMs` that open the circuit. */
  threshold: number;
  windowMs: number;
  /** The first wait before a trial; it doubles at each reopening, up to `maxBackoffMs`. */
  backoffMs: number;
  maxBackoffMs: number;
}

export const BREAKER_DEFAULTS: BreakerOptions = {
  threshold: 3,
  windowMs: 60_000,
  backoffMs: 5_000,
  maxBackoffMs: 300_000,
};

/** One service's circuit breaker. Pure: the caller gives the time. */
export class CircuitBreaker {
  state: CircuitState = "closed";
  /** When the open circuit lets one trial through. */
  retryAt = 0;
  /** Deaths in the window, while closed. */
  private deaths: number[] = [];
  /** Times opened since it was last closed: the backoff doubles with each. */
  private opened = 0;

  constructor(private readonly opts: BreakerOptions = BREAKER_DEFAULTS) {}

  /** A death at `now`; returns the new state when it changed. */
  failure(now: number): CircuitState | null {
    if (this.state === "open") return null;
    if (this.state === "closed") {
      this.deaths = [...this.deaths.filter((t) => now - t < this.opts.windowMs), now];
      if (this.deaths.length < this.opts.threshold) return null;
    }
    this.state = "open";
    this.retryAt = now + this.backoffMs();
    this.opened++;
    this.deaths = [];
    return "open";
  }

  /** The wait before the next trial, should the circuit open now. */
  backoffMs(): number {
    return Math.min(this.opts.maxBackoffMs, this.opts.backoffMs * 2 ** this.opened);
  }

  /** Moves an open circuit whose backoff is over to half-open; true when it did. */
  trial(now: number): boolean {
    if (this.state !== "open" || now < this.retryAt) return false;
    this.state = "half-open";
    return true;
  }

  /** The trial became ready. */
  success(): CircuitState | null {
    if (this.state !== "half-open") return null;
    this.state = "closed";
    this.opened = 0;
    return "closed";
  }

  /** Deaths counted so far in the window. */
  get recentDeaths(): number {
    return this.deaths.length;
  }
}

export interface Decision {
  at: string;
  service: string;
  kind: "oom" | "circuit-open" | "circuit-half-open" | "circuit-closed" | "died";
  text: string;
  /** The circuit's state after the decision. */
  circuit: CircuitState;
  memoryLimitBytes?: number;
  suggestedMemoryBytes?: number;
}

export interface SupervisorInput {
  adapter: Adapter;
  store: StateStore;
  plan: Plan;
  secrets: Readonly<Record<string, string>>;
  onDecision?: (d: Decision) => void;
  breaker?: Partial<BreakerOptions>;
  clock?: Clock;
}

export class Supervisor {
  private readonly stop = new AbortController();
  private readonly breakers = new Map<string, CircuitBreaker>();
  /** Containers DELoc itself is stopping or starting: their deaths are not failures. */
  private readonly ours = new Set<string>();
  /** Services an action (restart, scale, recover) is working on: their deaths are its doing. */
  private readonly acting = new Set<string>();
  private readonly timers = new Set<NodeJS.Timeout>();
  private readonly clock: Clock;

  private constructor(private readonly input: SupervisorInput) {
    this.clock = input.clock ?? systemClock;
  }

  /** Starts following the stack's events; `close` ends it. */
  static start(input: SupervisorInput): Supervisor {
    const s = new Supervisor(input);
    void s.follow();
    return s;
  }

  /** Each service's circuit, for the dashboard and metrics. */
  circuits(): Record<string, CircuitState> {
    return Object.fromEntries([...this.breakers].map(([k, b]) => [k, b.state]));
  }

  /**
   * Runs an action on services (a restart, a scale, a recovery) without counting the deaths it
   * causes; their circuits are closed after it (what it did decides what runs).
   */
  async whileActing<T>(services: readonly string[], run: () => Promise<T>): Promise<T> {
    for (const s of services) this.acting.add(s);
    try {
      return await run();
    } finally {
      for (const s of services) {
        this.acting.delete(s);
        this.breakers.delete(s);
      }
    }
  }

  close(): void {
    this.stop.abort();
    for (const t of this.timers) clearTimeout(t);
    this.timers.clear();
  }

  private breaker(service: string): CircuitBreaker {
    let b = this.breakers.get(service);
    if (!b) {
      b = new CircuitBreaker({ ...BREAKER_DEFAULTS, ...this.input.breaker });
      this.breakers.set(service, b);
    }
    return b;
  }

  private async follow(): Promise<void> {
    try {
      for await (const e of this.input.adapter.events(this.input.plan.stack, this.stop.signal))
        await this.seen(e).catch(() => undefined);
    } catch {
      // the engine's stream ended (the engine went away); nothing more to supervise
    }
  }

  private async seen(e: ContainerEvent): Promise<void> {
    const service = this.input.plan.services.find((s) => s.name === e.service);
    if (!service || service.oneShot) return;
    if (e.action === "oom") {
      const c = await this.input.adapter.inspectContainer(e.id).catch(() => null);
      const limit = c?.memoryLimitBytes || service.memoryBytes;
      const suggested = suggestMemory(limit);
      this.decide({
        service: service.name,
        kind: "oom",
        text: `${service.name} was killed for memory at its limit of ${formatBytes(limit)}; give it more: resources: { memory: ${mebi(suggested)} } in deloc.yaml (suggested ${formatBytes(suggested)}), then \`deloc up\``,
        circuit: this.breaker(service.name).state,
        memoryLimitBytes: limit,
        suggestedMemoryBytes: suggested,
      });
      return;
    }
    if (e.action !== "die" || this.ours.has(e.id) || this.acting.has(service.name)) return;
    // 0: it ended well; 143 and 137: stopped (SIGTERM, then SIGKILL after the grace period) by
    // `deloc stop`/`down`, a replacing `up` or `docker stop`. A kill for memory comes as `oom`.
    if (e.exitCode === undefined || STOPPED_EXIT_CODES.has(e.exitCode)) return;
    const b = this.breaker(service.name);
    const was = b.state;
    const now = this.clock.now();
    if (b.failure(now) !== "open") {
      if (was === "closed")
        this.decide({
          service: service.name,
          kind: "died",
          text: `${service.name} exited with code ${e.exitCode} (${b.recentDeaths} of ${this.threshold()} deaths in ${this.windowS()} s before its circuit opens); the engine restarts it`,
          circuit: b.state,
        });
      return;
    }
    await this.stopService(service.name);
    this.decide({
      service: service.name,
      kind: "circuit-open",
      text:
        (was === "half-open"
          ? `${service.name} died again in its trial (exit code ${e.exitCode})`
          : `${service.name} died ${this.threshold()} times in ${this.windowS()} s (last exit code ${e.exitCode})`) +
        `: circuit open, stopped it so it does not restart for ever; a trial start in ${Math.round((b.retryAt - now) / 1000)} s. \`deloc logs ${service.name}\` says why.`,
      circuit: "open",
    });
    this.schedule(service.name, b.retryAt - now);
  }

  private schedule(service: string, ms: number): void {
    const t = setTimeout(() => {
      this.timers.delete(t);
      void this.tryAgain(service).catch(() => undefined);
    }, ms);
    this.timers.add(t);
  }

  /** Half-open: one trial start of the service; ready closes the circuit, a death reopens it. */
  private async tryAgain(name: string): Promise<void> {
    const b = this.breaker(name);
    if (this.stop.signal.aborted || this.acting.has(name) || !b.trial(this.clock.now())) return;
    const { adapter, plan, secrets } = this.input;
    const service = plan.services.find((s) => s.name === name)!;
    this.decide({
      service: name,
      kind: "circuit-half-open",
      text: `${name}: circuit half-open, a trial start`,
      circuit: "half-open",
    });
    const ids = (await adapter.observe(plan.stack)).containers
      .filter((c) => c.service === name)
      .map((c) => c.id);
    const failures = await startAndWait(adapter, service, ids, secrets, this.clock, this.stop.signal).catch(
      (e: Error) => [{ message: e.message }],
    );
    if (this.stop.signal.aborted || b.state !== "half-open") return; // a death reopened it meanwhile
    const failed = failures[0];
    if (!failed) {
      b.success();
      this.decide({
        service: name,
        kind: "circuit-closed",
        text: `${name} is ready again: circuit closed`,
        circuit: "closed",
      });
      return;
    }
    b.failure(this.clock.now());
    await this.stopService(name);
    this.decide({
      service: name,
      kind: "circuit-open",
      text: `${name} failed its trial (${failed.message}): circuit open again; the next trial in ${Math.round((b.retryAt - this.clock.now()) / 1000)} s`,
      circuit: "open",
    });
    this.schedule(name, b.retryAt - this.clock.now());
  }

  private async stopService(name: string): Promise<void> {
    const { adapter, plan } = this.input;
    const ids = (await adapter.observe(plan.stack)).containers
      .filter((c) => c.service === name)
      .map((c) => c.id);
    for (const id of ids) this.ours.add(id);
    try {
      await Promise.all(ids.map((id) => adapter.stopContainer(id, 2).catch(() => undefined)));
    } finally {
      // The engine reports the stop's death a moment later.
      const t = setTimeout(() => {
        this.timers.delete(t);
        for (const id of ids) this.ours.delete(id);
      }, 1_000);
      this.timers.add(t);
    }
  }

  private decide(d: Omit<Decision, "at">): void {
    const decision: Decision = { at: new Date().toISOString(), ...d };
    const { store, plan, secrets } = this.input;
    // The log records the decision; the service's lifecycle state stays as `up` and the commands
    // left it (the supervisor holds no lock and does not rewrite state.json behind them).
    const recorded = store.read()?.services[d.service]?.state ?? "stopped";
    store.append({
      time: decision.at,
      stack: plan.stack,
      service: d.service,
      from: recorded,
      to: recorded,
      reason: maskSecrets(`supervisor: ${d.text}`, secrets),
      command: store.command,
    });
    this.input.onDecision?.(decision);
  }

  private threshold(): number {
    return this.input.breaker?.threshold ?? BREAKER_DEFAULTS.threshold;
  }

  private windowS(): number {
    return Math.round((this.input.breaker?.windowMs ?? BREAKER_DEFAULTS.windowMs) / 1000);
  }
}

/** A service and every service that depends on it, directly or not, in start order: what a recovery restarts. */
export function recoverySet(plan: Plan, service: string): string[] {
  const out = new Set([service]);
  for (let grew = true; grew; ) {
    grew = false;
    for (const s of plan.services)
      if (!out.has(s.name) && s.dependsOn.some((d) => out.has(d.service))) {
        out.add(s.name);
        grew = true;
      }
  }
  return plan.phases.flat().filter((s) => out.has(s));
}

/** A size as the stack file writes it, in whole MiB. */
function mebi(bytes: number): string {
  return `${Math.ceil(bytes / 1024 ** 2)}Mi`;
}
