/**
 * `.deloc/`: the local history and cache of a stack. The engine's labels are the source of truth;
 * this holds the lifecycle state (written atomically), the append-only event log, and the lock
 * that keeps two deloc runs on one stack from interleaving.
 */
import fs from "node:fs";
import path from "node:path";
import { type LifecycleEvent, type LifecycleState, LockedError, transition } from "../core/index.js";
import { writeFileAtomic } from "./atomic-file.js";

export const STATE_DIR = ".deloc";

export interface ServiceRecord {
  state: LifecycleState;
  hash: string;
  containers: string[];
}

export interface StackState {
  version: 1;
  stack: string;
  state: LifecycleState;
  updatedAt: string;
  services: Record<string, ServiceRecord>;
  /** Replica counts set by `deloc scale`; they last while the file's own count stays what it was. */
  scale: Record<string, { replicas: number; fileReplicas: number }>;
  /** Host ports the stack's containers published at the last deploy: `plan` does not count them as taken. */
  hostPorts?: number[];
  /** The sizing flags of the last `up` (`--memory 6g`…): later commands plan what was deployed. */
  flags?: Record<string, string>;
}

export function ensureStateDir(stackDir: string): string {
  const dir = path.join(stackDir, STATE_DIR);
  fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
  const ignore = path.join(dir, ".gitignore");
  if (!fs.existsSync(ignore)) fs.writeFileSync(ignore, "*\n");
  return dir;
}

export class StateStore {
  readonly dir: string;
  private lockFile: string | null = null;
  private unlockAtExit = false;

  constructor(
    readonly stackDir: string,
    readonly stack: string,
    readonly command: string,
    private readonly now: () => Date = () => new Date(),
  ) {
    this.dir = path.join(stackDir, STATE_DIR);
  }

  /**
   * Takes the stack's lock or refuses with who holds it. A lock whose process is gone is stale and
   * taken over. Released by `unlock` (and at exit).
   */
  lock(): void {
    ensureStateDir(this.stackDir);
    const file = path.join(this.dir, "lock");
    const me = JSON.stringify({ pid: process.pid, command: this.command, since: this.now().toISOString() });
    for (let attempt = 0; attempt < 3; attempt++) {
      try {
        fs.writeFileSync(file, me, { flag: "wx", mode: 0o600 });
        this.lockFile = file;
        // Once per store: a long-running command (`deloc ui`) locks for each action.
        if (!this.unlockAtExit) {
          this.unlockAtExit = true;
          process.once("exit", () => this.unlock());
        }
        this.recover();
        return;
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code !== "EEXIST") throw e;
      }
      const holder = readJson<{ pid: number; command: string; since: string }>(file);
      if (holder && holder.pid !== process.pid && alive(holder.pid))
        throw new LockedError(this.stack, holder);
      fs.rmSync(file, { force: true }); // stale: its process is gone, or the file is unreadable
    }
    throw new LockedError(this.stack, { pid: 0, command: "unknown", since: "unknown" });
  }

  /**
   * With the lock held, nobody is deploying, scaling or cleaning up: a state file that says so was
   * left by a run that was killed. It is closed as failed (or stopped), so the next run can start.
   */
  private recover(): void {
    const state = this.read();
    if (!state) return;
    const reason = "left unfinished by a deloc run that was killed";
    const close = (from: LifecycleState): LifecycleState | null =>
      from === "deploying" || from === "scaling" ? "failed" : from === "cleanup" ? "stopped" : null;
    let changed = false;
    for (const [name, rec] of Object.entries(state.services)) {
      const to = close(rec.state);
      if (to) {
        this.move(state, to, reason, name);
        changed = true;
      }
    }
    const to = close(state.state);
    if (to) {
      this.move(state, to, reason);
      changed = true;
    }
    if (changed) this.write(state);
  }

  unlock(): void {
    if (!this.lockFile) return;
    fs.rmSync(this.lockFile, { force: true });
    this.lockFile = null;
  }

  /** The saved state; null when missing or unreadable (the engine's labels still tell the truth). */
  read(): StackState | null {
    const s = readJson<StackState>(path.join(this.dir, "state.json"));
    return s && s.version === 1 && typeof s.services === "object" ? { ...s, scale: s.scale ?? {} } : null;
  }

  /** Written to a temporary file and renamed over the old one: never half-written. */
  write(state: StackState): void {
    ensureStateDir(this.stackDir);
    writeFileAtomic(path.join(this.dir, "state.json"), `${JSON.stringify(state, null, 2)}\n`, 0o600);
  }

  /** Moves the stack (or one service) to a new lifecycle state and logs the transition. */
  move(state: StackState, to: LifecycleState, reason: string, service?: string): void {
    const now = this.now().toISOString();
    if (service === undefined) {
      const from = state.state;
      state.state = transition(from, to);
      if (from !== to) this.append({ time: now, stack: this.stack, from, to, reason, command: this.command });
    } else {
      const rec = state.services[service] ?? { state: "stopped", hash: "", containers: [] };
      state.services[service] = rec;
      const from = rec.state;
      rec.state = transition(from, to);
      if (from !== to)
        this.append({ time: now, stack: this.stack, service, from, to, reason, command: this.command });
    }
    state.updatedAt = now;
  }

  append(event: LifecycleEvent): void {
    ensureStateDir(this.stackDir);
    const file = path.join(this.dir, "events.ndjson");
    // A line a crash cut short is closed first, so this event does not join it and get lost.
    const line = `${endsMidLine(file) ? "\n" : ""}${JSON.stringify(event)}\n`;
    fs.appendFileSync(file, line, { mode: 0o600 });
  }

  events(): LifecycleEvent[] {
    const file = path.join(this.dir, "events.ndjson");
    if (!fs.existsSync(file)) return [];
    return fs
      .readFileSync(file, "utf8")
      .split("\n")
      .flatMap((line) => {
        try {
          return line ? [JSON.parse(line) as LifecycleEvent] : [];
        } catch {
          return []; // a line cut short by a crash is skipped, the rest still reads
        }
      });
  }

  fresh(): StackState {
    return {
      version: 1,
      stack: this.stack,
      state: "stopped",
      updatedAt: this.now().toISOString(),
      services: {},
      scale: {},
    };
  }
}

function readJson<T>(file: string): T | null {
  try {
    return JSON.parse(fs.readFileSync(file, "utf8")) as T;
  } catch {
    return null;
  }
}

function endsMidLine(file: string): boolean {
  let fd: number;
  try {
    fd = fs.openSync(file, "r");
  } catch {
    return false;
  }
  try {
    const size = fs.fstatSync(fd).size;
    if (size === 0) return false;
    const last = Buffer.alloc(1);
    fs.readSync(fd, last, 0, 1, size - 1);
    return last[0] !== 0x0a;
  } finally {
    fs.closeSync(fd);
  }
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === "EPERM";
  }
}
