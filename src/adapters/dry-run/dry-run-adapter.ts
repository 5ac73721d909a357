/**
 * The dry-run twin: an engine held in memory. `deloc up --dry-run` seeds it with what the real
 * engine runs and lets the engine "deploy" into it, so the user sees the operations without any
 * taking effect; unit tests drive the engine with it. Services become healthy at once unless a
 * behaviour says otherwise.
 */
import { PassThrough, type Readable, type Writable } from "node:stream";
import type {
  ContainerEvent,
  ContainerRequest,
  ContainerStats,
  EngineCapabilities,
  EngineInfo,
  MemoryCommitment,
  ObservedContainer,
  ObservedStack,
} from "../../core/index.js";
import type {
  Adapter,
  AttachedExec,
  AttachedExecOptions,
  ExecResult,
  LogOptions,
  ProgressSink,
} from "../adapter.js";

/** How a service behaves in the twin. */
export interface ServiceBehaviour {
  /** Health checks fail this many times before passing; Infinity never passes. */
  failHealthChecks?: number;
  /** The container exits with this code right after it starts. */
  exitCode?: number;
  oomKilled?: boolean;
  /** The container keeps crashing and the engine keeps restarting it. */
  crashLoop?: boolean;
  /**
   * The container is killed for memory and restarted by its policy, as an engine does it: the
   * restart clears the kill from what inspecting it shows; only the engine's events tell.
   */
  oomRestart?: boolean;
}

export interface DryRunOptions {
  seed?: ObservedStack;
  behaviour?: Record<string, ServiceBehaviour>;
  memoryBytes?: number;
  cpus?: number;
  /** Images present on the engine; others are "pulled". */
  images?: string[];
  /** Images whose pull fails, as with no registry. */
  unpullable?: string[];
}

export class DryRunAdapter implements Adapter {
  readonly name = "dry-run";
  /** Every change, in order, as a user would read it. */
  readonly journal: string[] = [];
  private readonly containers = new Map<
    string,
    ObservedContainer & { stack: string; env: Record<string, string>; oneShot?: boolean }
  >();
  private readonly volumes = new Map<string, string>();
  private readonly networks = new Map<string, string>();
  private readonly images: Map<string, string>;
  private readonly healthCalls = new Map<string, number>();
  private nextId = 1;
  private readonly listeners = new Set<(e: ContainerEvent) => void>();

  constructor(private readonly opts: DryRunOptions = {}) {
    this.images = new Map((opts.images ?? []).map((i) => [i, `sha256:${i}`]));
    const seed = opts.seed;
    if (seed) {
      for (const c of seed.containers) this.containers.set(c.id, { ...c, stack: seed.stack, env: {} });
      for (const v of seed.volumes) this.volumes.set(v, seed.stack);
      for (const n of seed.networks) this.networks.set(n, seed.stack);
      for (const [tag, id] of Object.entries(seed.images)) this.images.set(tag, id);
    }
  }

  async info(): Promise<EngineInfo> {
    return {
      name: "dry-run",
      version: "0",
      apiVersion: "0",
      memoryBytes: this.opts.memoryBytes ?? Number.MAX_SAFE_INTEGER,
      cpus: this.opts.cpus ?? 64,
      endpoint: "memory",
      skipped: [],
    };
  }

  async capabilities(): Promise<EngineCapabilities> {
    // The twin runs no health check of its own: DELoc's checks are what make its services healthy.
    return { healthStartInterval: false, build: true, volumeBackup: true };
  }

  async observe(stack: string, images: readonly string[] = []): Promise<ObservedStack> {
    const containers = [...this.containers.values()]
      .filter((c) => c.stack === stack)
      .map(({ stack: _s, env: _e, ...c }) => ({ ...c }))
      .sort((a, b) => a.service.localeCompare(b.service) || a.replica - b.replica);
    const owned = (m: Map<string, string>) =>
      [...m]
        .filter(([, s]) => s === stack)
        .map(([n]) => n)
        .sort();
    return {
      stack,
      containers,
      volumes: owned(this.volumes),
      networks: owned(this.networks),
      images: Object.fromEntries(
        images.flatMap((i) => (this.images.has(i) ? [[i, this.images.get(i)!]] : [])),
      ),
    };
  }

  async memoryCommitments(excludeStack: string): Promise<MemoryCommitment[]> {
    return [...this.containers.values()]
      .filter(
        (c) =>
          c.stack !== excludeStack &&
          ["running", "restarting", "paused"].includes(c.state) &&
          c.memoryLimitBytes > 0,
      )
      .map((c) => ({ name: c.name, ...(c.stack ? { stack: c.stack } : {}), memoryBytes: c.memoryLimitBytes }))
      .sort((a, b) => a.name.localeCompare(b.name));
  }

  async ensureNetwork(stack: string, name: string): Promise<void> {
    if (this.networks.has(name)) return;
    this.networks.set(name, stack);
    this.journal.push(`create network ${name}`);
  }
  async removeNetwork(name: string): Promise<void> {
    if (this.networks.delete(name)) this.journal.push(`remove network ${name}`);
  }
  async ensureVolume(stack: string, name: string): Promise<void> {
    if (this.volumes.has(name)) return;
    this.volumes.set(name, stack);
    this.journal.push(`create volume ${name}`);
  }
  async removeVolume(name: string): Promise<void> {
    if (this.volumes.delete(name)) this.journal.push(`remove volume ${name}`);
  }
  async volumeSizes(names: readonly string[]): Promise<Record<string, number | null>> {
    return Object.fromEntries(names.map((n) => [n, null]));
  }

  async imageId(image: string): Promise<string | null> {
    return this.images.get(image) ?? null;
  }
  async pullImage(image: string, progress: ProgressSink): Promise<void> {
    if (this.opts.unpullable?.includes(image)) throw new Error(`pull access denied for ${image}`);
    this.images.set(image, `sha256:${image}`);
    this.journal.push(`pull ${image}`);
    progress(`pulled ${image}`);
  }
  async buildImage(
    image: string,
    build: { context: string },
    _l: Record<string, string>,
    progress: ProgressSink,
  ) {
    this.images.set(image, `sha256:${image}:${this.nextId++}`);
    this.journal.push(`build ${image} from ${build.context}`);
    progress(`built ${image}`);
  }

  async removeStackImages(stack: string): Promise<string[]> {
    this.journal.push(`remove images of ${stack}`);
    return [];
  }

  async createContainer(req: ContainerRequest): Promise<string> {
    let id = `c${this.nextId++}`;
    while (this.containers.has(id)) id = `c${this.nextId++}`;
    const name = `${req.stack}-${req.service.name}-${req.replica}`;
    this.containers.set(id, {
      id,
      name,
      service: req.service.name,
      replica: req.replica,
      hash: req.service.hash,
      image: req.service.image,
      imageId: this.images.get(req.service.image) ?? "",
      state: "created",
      health: "none",
      exitCode: null,
      oomKilled: false,
      restartCount: 0,
      startedAt: null,
      memoryLimitBytes: req.service.memoryBytes,
      cpuMillis: req.service.cpuMillis,
      hostPorts: req.publishPorts ? req.service.ports.map((p) => p.host) : [],
      stack: req.stack,
      env: req.env,
      oneShot: req.service.oneShot,
    });
    this.journal.push(`create ${name}`);
    return id;
  }

  async startContainer(id: string): Promise<void> {
    const c = this.must(id);
    const b = this.opts.behaviour?.[c.service] ?? {};
    c.startedAt = new Date().toISOString();
    if (b.crashLoop) {
      Object.assign(c, { state: "restarting", exitCode: 1 });
    } else if (b.oomRestart) {
      Object.assign(c, { state: "running", exitCode: null, oomKilled: false });
      const e = { id, service: c.service };
      this.emit({ ...e, action: "start" });
      this.emit({ ...e, action: "oom" });
      this.emit({ ...e, action: "die", exitCode: 137 });
      this.emit({ ...e, action: "start" });
    } else if (b.exitCode !== undefined || c.oneShot) {
      // A one-shot task runs to completion: exit 0 unless a behaviour says otherwise.
      Object.assign(c, { state: "exited", exitCode: b.exitCode ?? 0, oomKilled: b.oomKilled ?? false });
    } else {
      Object.assign(c, { state: "running", exitCode: null });
    }
    if (!b.oomRestart) this.emit({ id, service: c.service, action: "start" });
    this.journal.push(`start ${c.name}`);
  }
  async stopContainer(id: string): Promise<void> {
    const c = this.containers.get(id);
    if (!c || (c.state !== "running" && c.state !== "restarting")) return;
    Object.assign(c, { state: "exited", exitCode: 0 });
    this.emit({ id, service: c.service, action: "die", exitCode: 0 });
    this.journal.push(`stop ${c.name}`);
  }
  async removeContainer(id: string): Promise<void> {
    const c = this.containers.get(id);
    if (!c) return;
    this.containers.delete(id);
    this.journal.push(`remove ${c.name}`);
  }
  async renameContainer(id: string, name: string): Promise<void> {
    const c = this.must(id);
    this.journal.push(`rename ${c.name} to ${name}`);
    c.name = name;
  }
  async inspectContainer(id: string): Promise<ObservedContainer | null> {
    const c = this.containers.get(id);
    if (!c) return null;
    if (c.state === "restarting" || this.opts.behaviour?.[c.service]?.oomRestart) c.restartCount++;
    const { stack: _s, env: _e, oneShot: _o, ...rest } = c;
    return { ...rest };
  }

  async exec(id: string, _argv: readonly string[]): Promise<ExecResult> {
    const c = this.must(id);
    const calls = (this.healthCalls.get(id) ?? 0) + 1;
    this.healthCalls.set(id, calls);
    const b = this.opts.behaviour?.[c.service];
    // Killed for memory over and over, it never answers its health check.
    const fails = b?.oomRestart ? Number.POSITIVE_INFINITY : (b?.failHealthChecks ?? 0);
    if (calls <= fails) return { exitCode: 1, output: `${c.service} is not ready (check ${calls})` };
    c.health = "healthy";
    return { exitCode: 0, output: "ok" };
  }
  async execAttached(id: string, argv: readonly string[], io: AttachedExecOptions): Promise<AttachedExec> {
    const r = await this.exec(id, argv);
    io.stdout.write(r.output);
    return { resize: async () => undefined, exitCode: Promise.resolve(r.exitCode) };
  }

  async copyInto(id: string, dir: string, tar: Readable): Promise<void> {
    tar.resume();
    this.journal.push(`copy into ${id}:${dir}`);
  }

  async containerEnv(id: string): Promise<Record<string, string>> {
    return { ...(this.containers.get(id)?.env ?? {}) };
  }
  async lastHealthOutput(): Promise<string | null> {
    return null;
  }
  async *logs(id: string, _opts: LogOptions): AsyncIterable<string> {
    yield `${this.must(id).name} started`;
  }
  async *events(_stack: string, signal: AbortSignal): AsyncIterable<ContainerEvent> {
    const queue: ContainerEvent[] = [];
    let wake: (() => void) | null = null;
    const listener = (e: ContainerEvent) => {
      queue.push(e);
      wake?.();
    };
    const stop = () => wake?.();
    this.listeners.add(listener);
    signal.addEventListener("abort", stop, { once: true });
    try {
      while (!signal.aborted) {
        const e = queue.shift();
        if (e) yield e;
        else
          await new Promise<void>((r) => {
            wake = r;
          });
      }
    } finally {
      this.listeners.delete(listener);
      signal.removeEventListener("abort", stop);
    }
  }

  protected emit(e: ContainerEvent): void {
    for (const l of this.listeners) l(e);
  }

  async stats(id: string): Promise<ContainerStats> {
    const c = this.must(id);
    return { memoryBytes: 0, memoryLimitBytes: c.memoryLimitBytes, peakMemoryBytes: null, cpuPercent: 0 };
  }
  async archiveVolume(volume: string, _image: string, out: Writable): Promise<void> {
    this.journal.push(`archive volume ${volume}`);
    out.end();
  }
  async restoreVolume(volume: string, tar: Readable): Promise<void> {
    tar.pipe(new PassThrough()).resume();
    this.journal.push(`restore volume ${volume}`);
  }

  private must(id: string) {
    const c = this.containers.get(id);
    if (!c) throw new Error(`no container ${id}`);
    return c;
  }
}
