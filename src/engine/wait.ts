/**
 * Waiting for a container to be ready: healthy (its health check passes), started (running), or
 * completed (a one-shot task exited 0). The engine runs the health command itself at the start
 * interval (never slower than every 250 ms) instead of waiting out the engine's own interval, and
 * watches the container so an exit, an OOM kill or a restart loop fails fast. Every wait has a
 * deadline.
 */

import type { Adapter, ExecResult } from "../adapters/adapter.js";
import type { HealthCheckSpec, PlannedService, ServiceFailure } from "../core/index.js";
import { type Clock, systemClock } from "./clock.js";
import { maskSecrets, resolveSecrets } from "./secrets.js";
import { Slots } from "./walker.js";
import type { EventWatch } from "./watch.js";

/** The slowest DELoc polls while waiting, whatever a health check's start interval says. */
export const MAX_POLL_MS = 100;
/**
 * How often a waiting service is inspected while the engine's events are followed and no check of
 * DELoc's own is due: the events (start, die, oom, health_status) wake it the moment the engine
 * knows, so this poll only catches what has no event (a container removed). Forty services
 * inspected every 100 ms kept a 2-CPU engine busy answering (bench: 50 services at 10m CPU).
 */
export const EVENT_POLL_MS = 1_000;
/**
 * DELoc's own health checks (each an exec in the container) run at most this many at once, across
 * every service of a deploy and every command of this process: 40 services waiting at once, each
 * checked every poll, crowded a 2-CPU engine until its own checks and DELoc's timed out and the
 * deploy failed (bench: 50 services at 10m CPU each). A waiting service whose turn finds every slot
 * taken skips that check; the engine's own health events still wake it.
 */
export const OWN_CHECKS_AT_ONCE = 4;
const ownChecks = new Slots(OWN_CHECKS_AT_ONCE);
/** Restarts seen while waiting before the circuit breaker stops the container. */
export const RESTART_BREAKER = 3;
/**
 * A service without a health check is "started" once it has stayed up a moment (one that exits at
 * once is caught), and after a restart only once it stays up longer: a crash loop is running most
 * of the time between its exits.
 */
export const STARTED_SETTLE_MS = { fresh: 250, restarted: 2_000 } as const;
const LOG_TAIL = 15;

export type Readiness = "healthy" | "started" | "completed";

export function readinessOf(s: PlannedService): Readiness {
  if (s.oneShot) return "completed";
  return s.healthCheck ? "healthy" : "started";
}

/** How long a service may take: its health check's start period plus interval × retries. */
export function deadlineMs(s: PlannedService, override?: number): number {
  if (override !== undefined) return override;
  const hc = s.healthCheck;
  if (s.oneShot) return 10 * 60_000;
  if (!hc) return 60_000;
  return hc.startPeriodMs + hc.intervalMs * hc.retries + hc.timeoutMs;
}

export interface WaitInput {
  adapter: Adapter;
  containerId: string;
  service: PlannedService;
  clock: Clock;
  deadlineMs: number;
  signal?: AbortSignal;
  /** Resolves `{{secret.X}}` in the health command. */
  resolve: (text: string) => string;
  mask: (text: string) => string;
  /** The engine's events, when followed: kills for memory a restart hid, and an early wake-up. */
  watch?: EventWatch;
  /**
   * The engine checks a starting container at its health check's start interval (Docker ≥ 25):
   * DELoc then runs no check of its own and waits for the engine's word.
   */
  engineStartInterval?: boolean;
  /**
   * This run has just started the container: it has been up only as long as seen here. By the
   * engine's clock it may look up for seconds already, on a loaded engine whose start answered
   * late, though it is about to exit (the deploy-faults test saw such a service taken as started).
   */
  justStarted?: boolean;
}

/** null when ready; otherwise why not, with the last log lines. */
export async function waitUntilReady(w: WaitInput): Promise<ServiceFailure | null> {
  const s = w.service;
  const want = readinessOf(s);
  const start = w.clock.now();
  const poll = Math.min(s.healthCheck?.startIntervalMs ?? MAX_POLL_MS, MAX_POLL_MS);
  let lastOutput: string | undefined;
  let firstRestarts: number | null = null;
  let checkMs = Number.POSITIVE_INFINITY;
  /**
   * Past the deadline, a service whose checks were skipped for want of a slot gets them, in turn,
   * until as many as its `retries` have failed (as the engine would count): it is failed for what
   * its checks say, not for a crowd of others waiting beside it.
   */
  const overdue = { due: false, failed: 0 };
  /** Since when it has been seen running without a restart, and at which restart count (-1: not running). */
  const up = { since: 0, restarts: -1 };

  const fail = async (
    reason: ServiceFailure["reason"],
    message: string,
    extra: Partial<ServiceFailure> = {},
  ) => ({
    service: s.name,
    reason,
    message,
    ...(lastOutput ? { healthOutput: w.mask(lastOutput) } : {}),
    ...extra,
    logTail: await logTail(w),
  });

  /**
   * DELoc's own check runs only where it sees readiness before the engine's next check would: the
   * engine lacks start intervals, and a check every `cadence` (twice what a check took) comes more
   * often than the engine's interval. A check slower than that (an exec in a container held to
   * 10m CPU takes seconds) would only take CPU from the service beside the engine's own.
   */
  const cadence = () => Math.max(poll, Number.isFinite(checkMs) ? 2 * checkMs : 0);
  /** How long the last check of DELoc's own took, whatever it said (one over its timeout included). */
  let lastCheckMs = 0;
  const ownCheckHelps = (hc: HealthCheckSpec) =>
    !w.engineStartInterval && Math.max(cadence(), 2 * lastCheckMs) < hc.intervalMs;
  /** When the engine's events are followed, and while they keep coming. */
  const following = () => w.watch !== undefined && !w.watch.broken;

  while (!w.signal?.aborted) {
    const tick = w.clock.now();
    /** A check of DELoc's own is due at the next poll (else the engine's events are awaited). */
    let checking = false;
    let settleLeft = Number.POSITIVE_INFINITY;
    if (want === "healthy" && w.watch?.healthy(w.containerId) && !w.watch.oomKilled(w.containerId))
      return null;
    const c = await w.adapter.inspectContainer(w.containerId);
    if (!c) return fail("exited", "its container disappeared");
    firstRestarts ??= c.restartCount;
    if (c.oomKilled || w.watch?.oomKilled(w.containerId)) {
      const limit = c.memoryLimitBytes || s.memoryBytes;
      return fail("oom-killed", `killed for running out of memory (limit ${mib(limit)})`, {
        exitCode: 137,
        memoryLimitBytes: limit,
        suggestedMemoryBytes: suggestMemory(limit),
      });
    }
    if (c.restartCount - firstRestarts >= RESTART_BREAKER) {
      // The circuit breaker: a service that keeps dying is stopped, not restarted for ever.
      await w.adapter.stopContainer(w.containerId, 2).catch(() => undefined);
      return fail(
        "restart-loop",
        `restarted ${c.restartCount - firstRestarts} times while starting (last exit code ${c.exitCode ?? "unknown"}); stopped it so it does not loop`,
        c.exitCode === null ? {} : { exitCode: c.exitCode },
      );
    }
    if (c.state !== "running") up.restarts = -1;
    if (c.state === "exited" || c.state === "dead") {
      if (want === "completed" && c.exitCode === 0) return null;
      // Exit 137 is SIGKILL; with no OOM kill recorded by the engine, something outside killed it.
      if (c.exitCode === 137)
        return fail(
          "killed",
          "was killed with SIGKILL (exit 137) while starting, not for memory: the engine recorded no OOM kill (`docker kill`, the host's OOM killer, or another tool)",
          { exitCode: 137 },
        );
      const restarts =
        s.restart === "always" ||
        s.restart === "unless-stopped" ||
        (s.restart === "on-failure" && c.exitCode !== 0);
      if (!restarts || want === "completed")
        return fail(
          "exited",
          `exited with code ${c.exitCode}${want === "completed" ? " (a one-shot task must exit 0)" : ""}`,
          c.exitCode === null ? {} : { exitCode: c.exitCode },
        );
    } else if (c.state === "running") {
      if (up.restarts !== c.restartCount)
        Object.assign(up, { since: w.clock.now(), restarts: c.restartCount });
      if (want === "started") {
        const settle = c.restartCount === 0 ? STARTED_SETTLE_MS.fresh : STARTED_SETTLE_MS.restarted;
        // Up that long by the engine's clock (a container kept running) or seen up that long here.
        const upMs = Math.max(
          c.startedAt && !w.justStarted ? Date.now() - Date.parse(c.startedAt) : 0,
          w.clock.now() - up.since,
        );
        if (upMs >= settle) return null;
        settleLeft = settle - upMs;
      }
      if (want === "healthy") {
        if (c.health === "healthy") return null;
        const hc = s.healthCheck;
        checking = hc !== undefined && (overdue.due || (ownCheckHelps(hc) && !ownChecks.full));
        if (hc && checking) {
          const began = w.clock.now();
          const r = await runHealthCheck(w.adapter, w.containerId, hc, w.resolve);
          if (r.exitCode === 0) return null;
          lastCheckMs = w.clock.now() - began;
          overdue.failed++;
          lastOutput = r.output || `exit code ${r.exitCode}`;
          // The fastest run that finished tells the check's own cost; a slow one, or one over its
          // timeout (-1), was waiting on the service.
          if (r.exitCode !== -1) checkMs = Math.min(checkMs, w.clock.now() - began);
        }
      }
    }
    const late = w.clock.now() - start > w.deadlineMs;
    if (
      late &&
      want === "healthy" &&
      s.healthCheck &&
      c.state === "running" &&
      overdue.failed < s.healthCheck.retries
    ) {
      overdue.due = true;
      continue;
    }
    if (late) {
      const what =
        want === "completed"
          ? "did not finish"
          : want === "healthy"
            ? "did not become healthy"
            : "did not start";
      return fail("unhealthy", `${what} within ${Math.round(w.deadlineMs / 1000)} s`);
    }
    // A costly check (a JVM client, say) is not run more than half the time: it would take CPU and
    // memory from the very service it waits for. With no check of its own due, and the engine's
    // events followed, the loop waits for them (a started service until it has settled).
    const every = checking || !following() ? cadence() : Math.min(EVENT_POLL_MS, settleLeft);
    // The engine's next event for this container (a start, a death, a health change) ends the nap.
    const nap = w.clock.sleep(Math.max(0, every - (w.clock.now() - tick)), w.signal);
    await (w.watch && following() ? Promise.race([nap, w.watch.next(w.containerId)]) : nap);
  }
  return fail("unhealthy", "the deploy was cancelled");
}

async function logTail(w: WaitInput): Promise<string[]> {
  const lines: string[] = [];
  try {
    for await (const line of w.adapter.logs(w.containerId, { tail: LOG_TAIL })) lines.push(w.mask(line));
  } catch {
    // a container that is gone has no logs; the failure message says enough
  }
  return lines.slice(-LOG_TAIL);
}

/** Half as much again as the limit that was too small, rounded up to 64 MiB. */
export function suggestMemory(limitBytes: number): number {
  const step = 64 * 1024 * 1024;
  return Math.ceil((limitBytes * 1.5) / step) * step;
}

function mib(bytes: number): string {
  return `${Math.round(bytes / 1024 / 1024)} MiB`;
}

/**
 * Runs a health check's command in a container now, secrets resolved, within its timeout. Exit 0
 * means healthy; -1 means it could not run or took too long (its output says which). At most
 * `OWN_CHECKS_AT_ONCE` run at once; the rest wait their turn.
 */
export async function runHealthCheck(
  adapter: Adapter,
  containerId: string,
  hc: HealthCheckSpec,
  resolve: (text: string) => string,
): Promise<ExecResult> {
  await ownChecks.acquire();
  try {
    return await adapter.exec(containerId, hc.command.map(resolve), { timeoutMs: hc.timeoutMs });
  } catch (e) {
    return { exitCode: -1, output: e instanceof Error ? e.message : String(e) };
  } finally {
    ownChecks.release();
  }
}

/** Starts the given (stopped) containers of a service again and waits until each is ready. */
export async function startAndWait(
  adapter: Adapter,
  service: PlannedService,
  ids: readonly string[],
  secrets: Readonly<Record<string, string>>,
  clock: Clock = systemClock,
  signal?: AbortSignal,
): Promise<ServiceFailure[]> {
  for (const id of ids) await adapter.startContainer(id);
  const results = await Promise.all(
    ids.map((containerId) =>
      waitUntilReady({
        adapter,
        containerId,
        service,
        clock,
        deadlineMs: deadlineMs(service),
        ...(signal ? { signal } : {}),
        resolve: (t) => resolveSecrets(t, secrets),
        mask: (t) => maskSecrets(t, secrets),
        justStarted: true,
      }),
    ),
  );
  return results.filter((f): f is ServiceFailure => f !== null);
}
