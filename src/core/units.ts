/**
 * Unit value types. The planner works only in these; each projection converts to engine units
 * (bytes for Docker's `Memory`, `NanoCpus`, Kubernetes quantities, `-Xmx`) at its own edge.
 */

const KIB = 1024;
const MIB = KIB * 1024;
const GIB = MIB * 1024;

const SIZE_UNITS: Record<string, number> = {
  "": 1,
  b: 1,
  k: KIB,
  kb: KIB,
  ki: KIB,
  kib: KIB,
  m: MIB,
  mb: MIB,
  mi: MIB,
  mib: MIB,
  g: GIB,
  gb: GIB,
  gi: GIB,
  gib: GIB,
  t: GIB * 1024,
  tb: GIB * 1024,
  ti: GIB * 1024,
  tib: GIB * 1024,
};

/** An amount of memory or disk, in bytes. Docker's convention: `512m` = 512 MiB. */
export class Size {
  private constructor(readonly bytes: number) {}

  static bytes(n: number): Size {
    if (!Number.isFinite(n) || n < 0)
      throw new RangeError(`A size cannot be negative or infinite (got ${n})`);
    return new Size(Math.floor(n));
  }
  static kib(n: number): Size {
    return Size.bytes(n * KIB);
  }
  static mib(n: number): Size {
    return Size.bytes(n * MIB);
  }
  static gib(n: number): Size {
    return Size.bytes(n * GIB);
  }
  static readonly zero = new Size(0);

  /** Parses `512m`, `2g`, `1.5Gi`, `256Mi`, `1073741824`. Returns undefined when it is not a size. */
  static parse(text: string | number): Size | undefined {
    if (typeof text === "number") return Number.isFinite(text) && text >= 0 ? Size.bytes(text) : undefined;
    const m = /^\s*(\d+(?:\.\d+)?)\s*([a-zA-Z]*)\s*$/.exec(text);
    if (!m) return undefined;
    const factor = SIZE_UNITS[m[2]!.toLowerCase()];
    if (factor === undefined) return undefined;
    const bytes = Number(m[1]) * factor;
    return Number.isFinite(bytes) ? Size.bytes(bytes) : undefined;
  }

  get mib(): number {
    return this.bytes / MIB;
  }
  get gib(): number {
    return this.bytes / GIB;
  }
  plus(other: Size): Size {
    return new Size(this.bytes + other.bytes);
  }
  minus(other: Size): Size {
    return Size.bytes(Math.max(0, this.bytes - other.bytes));
  }
  times(factor: number): Size {
    return Size.bytes(this.bytes * factor);
  }
  /** Rounds down to a whole number of MiB: limits and heaps are always whole MiB. */
  floorMib(): Size {
    return new Size(Math.floor(this.bytes / MIB) * MIB);
  }
  compare(other: Size): number {
    return this.bytes - other.bytes;
  }
  /** Human form with binary units: `512 MiB`, `1.5 GiB`. */
  toString(): string {
    return formatBytes(this.bytes);
  }
  /** The JVM form used in `-Xmx`: whole MiB, e.g. `768m`. */
  toJvm(): string {
    return `${Math.floor(this.bytes / MIB)}m`;
  }
  /** The Kubernetes quantity form, e.g. `768Mi`. */
  toQuantity(): string {
    if (this.bytes % GIB === 0 && this.bytes > 0) return `${this.bytes / GIB}Gi`;
    if (this.bytes % MIB === 0) return `${this.bytes / MIB}Mi`;
    return String(this.bytes);
  }
}

export function formatBytes(bytes: number): string {
  if (bytes >= GIB) return `${trimFixed(bytes / GIB)} GiB`;
  if (bytes >= MIB) return `${trimFixed(bytes / MIB)} MiB`;
  if (bytes >= KIB) return `${trimFixed(bytes / KIB)} KiB`;
  return `${bytes} B`;
}

function trimFixed(n: number): string {
  return n.toFixed(n >= 100 ? 0 : 1).replace(/\.0$/, "");
}

/** CPU capacity in millicores: `500m` = half a core, `2` = two cores. */
export class Cpu {
  private constructor(readonly millis: number) {}

  static millis(n: number): Cpu {
    if (!Number.isFinite(n) || n < 0) throw new RangeError(`CPU cannot be negative or infinite (got ${n})`);
    return new Cpu(Math.round(n));
  }
  static cores(n: number): Cpu {
    return Cpu.millis(n * 1000);
  }

  /** Parses `500m`, `0.5`, `2`. Returns undefined when it is not a CPU amount. */
  static parse(text: string | number): Cpu | undefined {
    const m = typeof text === "number" ? null : /^\s*(\d+(?:\.\d+)?)\s*(m?)\s*$/.exec(text);
    if (typeof text !== "number" && !m) return undefined;
    const millis =
      typeof text === "number" ? text * 1000 : m![2] === "m" ? Number(m![1]) : Number(m![1]) * 1000;
    // Zero, negative or too large to be a CPU amount (`1e305` cores): not one.
    return Number.isFinite(millis) && millis > 0 ? Cpu.millis(millis) : undefined;
  }

  get cores(): number {
    return this.millis / 1000;
  }
  min(other: Cpu): Cpu {
    return this.millis <= other.millis ? this : other;
  }
  /** `0.5`, `2`: cores with at most three decimals. */
  toString(): string {
    return String(Math.round(this.millis) / 1000);
  }
  /** The Kubernetes quantity form, e.g. `500m`. */
  toQuantity(): string {
    return this.millis % 1000 === 0 ? String(this.millis / 1000) : `${this.millis}m`;
  }
}

const DURATION_UNITS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 };

/** A span of time in milliseconds. Parses Go/compose style: `2s`, `1m30s`, `500ms`. */
export class Duration {
  private constructor(readonly ms: number) {}

  static ms(n: number): Duration {
    if (!Number.isFinite(n) || n < 0) throw new RangeError(`A duration cannot be negative (got ${n})`);
    return new Duration(Math.round(n));
  }
  static seconds(n: number): Duration {
    return Duration.ms(n * 1000);
  }
  static parse(text: string | number): Duration | undefined {
    if (typeof text === "number")
      return Number.isFinite(text * 1000) && text >= 0 ? Duration.seconds(text) : undefined;
    const trimmed = text.trim();
    if (trimmed === "") return undefined;
    const re = /(\d+(?:\.\d+)?)(ms|s|m|h)/gy;
    let total = 0;
    let consumed = 0;
    for (let m = re.exec(trimmed); m; m = re.exec(trimmed)) {
      total += Number(m[1]) * DURATION_UNITS[m[2]!]!;
      consumed = re.lastIndex;
    }
    return consumed === trimmed.length && Number.isFinite(total) ? Duration.ms(total) : undefined;
  }
  get seconds(): number {
    return this.ms / 1000;
  }
  /** `2s`, `1m30s`, `250ms`: the shortest exact form. */
  toString(): string {
    if (this.ms === 0) return "0s";
    if (this.ms % 1000 !== 0) return `${this.ms}ms`;
    let s = this.ms / 1000;
    const h = Math.floor(s / 3600);
    s -= h * 3600;
    const m = Math.floor(s / 60);
    s -= m * 60;
    return `${h ? `${h}h` : ""}${m ? `${m}m` : ""}${s ? `${s}s` : ""}`;
  }
}
