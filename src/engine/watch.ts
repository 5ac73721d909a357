/**
 * The engine's own events, followed while the engine waits: a kill for memory is seen even when a
 * restart policy brings the container back (the engine clears `OOMKilled` when it restarts), and a
 * waiting loop wakes the moment a container starts, dies or changes health instead of at its next
 * poll. The waiting loop inspects rarely while the events come; when the stream breaks (the engine
 * went away) it polls again. DELoc still runs a health check itself while a service starts, where
 * the engine has no start interval.
 */
import type { Adapter } from "../adapters/adapter.js";
import type { ContainerEvent, HealthState } from "../core/index.js";

export class EventWatch {
  private readonly stop = new AbortController();
  private readonly oom = new Set<string>();
  /** Each container's health as the engine last reported it since its last start. */
  private readonly health = new Map<string, HealthState>();
  private readonly waiters = new Map<string, Set<() => void>>();
  /** Containers with an event no one was waiting for yet: the next `next` returns at once. */
  private readonly unseen = new Set<string>();
  private ended = false;

  /** Starts following the stack's events; call `close` when done. Never throws: no events, no harm. */
  static follow(adapter: Adapter, stack: string): EventWatch {
    const w = new EventWatch();
    void w.run(adapter, stack);
    return w;
  }

  private async run(adapter: Adapter, stack: string): Promise<void> {
    try {
      for await (const e of adapter.events(stack, this.stop.signal)) this.seen(e);
    } catch {
      // The stream broke (the engine went away): polling alone carries on and reports it.
    }
    // Ended without being closed: no more events will come; every waiting loop polls again.
    this.ended = true;
    this.wakeAll();
  }

  /** The stream ended or broke: waiting loops cannot rely on events. */
  get broken(): boolean {
    return this.ended && !this.stop.signal.aborted;
  }

  private seen(e: ContainerEvent): void {
    if (e.action === "oom") this.oom.add(e.id);
    if (e.action === "health_status" && e.health) this.health.set(e.id, e.health);
    if (e.action === "start" || e.action === "die") this.health.delete(e.id);
    const waiting = this.waiters.get(e.id);
    if (!waiting) {
      this.unseen.add(e.id);
      return;
    }
    this.waiters.delete(e.id);
    for (const wake of waiting) wake();
  }

  /**
   * The engine reported this container healthy (and has not seen it start or die since): its
   * word, at once, where an inspect could wait seconds behind the engine's own check starting in
   * a container held to little CPU.
   */
  healthy(id: string): boolean {
    return this.health.get(id) === "healthy";
  }

  /** The engine reported a kill for memory of this container since the watch began. */
  oomKilled(id: string): boolean {
    return this.oom.has(id);
  }

  /**
   * Resolves at the next event of this container, or at once when one came since the last call: a
   * health change reported while the waiting loop was busy (inspecting, running a check) is not
   * lost until its next poll.
   */
  next(id: string): Promise<void> {
    if (this.unseen.delete(id)) return Promise.resolve();
    return new Promise((resolve) => {
      const set = this.waiters.get(id) ?? new Set();
      set.add(resolve);
      this.waiters.set(id, set);
    });
  }

  close(): void {
    this.stop.abort();
    this.wakeAll();
  }

  private wakeAll(): void {
    for (const set of this.waiters.values()) for (const wake of set) wake();
    this.waiters.clear();
  }
}
