/**
 * A compose project as Compose loads it: the files given, merged in order (later files override
 * earlier ones, with Compose's rules per key), `include:`d files, `extends:` resolved, `.env` for
 * interpolation, and profiles applied. Pure: files are read through the function it is handed.
 */
import path from "node:path";
import type { PathSegment } from "../../config/phases/parse.js";
import type { Diagnostic } from "../../core/index.js";
import { type ComposeSource, readComposeText, removeAt, setAt, valueAt, type Where } from "./source.js";

export type Raw = Record<string, unknown>;

export interface ComposeService {
  name: string;
  data: Raw;
  /** The folder relative paths of this service are resolved from. */
  dir: string;
  /** Where a key of this service is written (the last file that writes it). */
  where: (path: readonly (string | number)[]) => Where;
}

export interface ComposeProject {
  /** The folder of the first file: `.env` and relative paths start here. */
  dir: string;
  /** The top-level `name:` (the last file's that has one). */
  name?: string;
  /** What the files were interpolated with: `.env` under the process environment. */
  env: Readonly<Record<string, string>>;
  /** Variables the files use whose values came from `.env` (sorted), and where that file is. */
  fromDotEnv: { names: string[]; file: string };
  services: ComposeService[];
  /** Services left out because none of their profiles is active. */
  inactive: { name: string; profiles: string[]; where: Where }[];
  volumes: Raw;
  networks: Raw;
  /** Top-level keys other than services, volumes, networks (with their lines). */
  topLevel: { key: string; where: Where }[];
  warnings: Diagnostic[];
}

export interface ProjectInput {
  files: { path: string; shown: string }[];
  env: Readonly<Record<string, string | undefined>>;
  profiles: readonly string[];
  /** Reads a file; undefined when it does not exist. */
  read: (file: string) => string | undefined;
  /** How a path is shown in messages. */
  show: (file: string) => string;
}

export class ComposeLoadError extends Error {
  constructor(readonly diagnostics: Diagnostic[]) {
    super(diagnostics.map((d) => d.message).join("; "));
  }
}

interface Contribution {
  source: ComposeSource;
  name: string;
}

/** Keys of a service whose lists Compose merges as mappings. */
const MAPPING_LISTS = new Set(["environment", "labels", "extra_hosts", "sysctls", "annotations"]);
/** Keys whose value a later file replaces outright. */
const REPLACED = new Set(["command", "entrypoint", "test", "image", "build"]);

export function loadProject(input: ProjectInput): ComposeProject {
  const first = input.files[0];
  if (!first) throw new ComposeLoadError([{ path: "", message: "no compose file given" }]);
  const dir = path.dirname(first.path);
  const dotenv = readDotEnv(path.join(dir, ".env"), input);
  // The process environment wins over `.env`, as in Compose.
  const env = { ...dotenv, ...definedOnly(input.env) };
  const warnings: Diagnostic[] = [];
  const services = new Map<string, { data: Raw; contributions: Contribution[] }>();
  const volumes: Raw = {};
  const networks: Raw = {};
  const topLevel: { key: string; where: Where }[] = [];
  let name: string | undefined;
  const usedDotEnv = new Set<string>();

  const load = (file: { path: string; shown: string }, chain: string[]): ComposeSource => {
    if (chain.includes(file.path))
      throw new ComposeLoadError([
        {
          path: "include",
          message: `include cycle: ${[...chain, file.path].map(input.show).join(" → ")}`,
          position: { file: file.shown, line: 1, column: 1 },
        },
      ]);
    const text = input.read(file.path);
    for (const m of text?.matchAll(/\$\{?([A-Za-z_][A-Za-z0-9_]*)/g) ?? [])
      if (m[1]! in dotenv && input.env[m[1]!] === undefined) usedDotEnv.add(m[1]!);
    if (text === undefined)
      throw new ComposeLoadError([
        { path: "", message: `${file.shown} does not exist`, suggestion: "check the path" },
      ]);
    const r = readComposeText(text, file, env);
    if (!r.ok) throw new ComposeLoadError(r.errors);
    warnings.push(...r.source.warnings);
    return r.source;
  };

  const addFile = (file: { path: string; shown: string }, chain: string[]) => {
    const source = load(file, chain);
    const data = source.data;
    if (typeof data.name === "string" && data.name) name = data.name;
    const include = data.include;
    if (include !== undefined) {
      if (!Array.isArray(include))
        throw new ComposeLoadError([diag(source, ["include"], "include: must be a list of files")]);
      include.forEach((entry, i) => {
        const paths = includePaths(entry);
        if (!paths) throw new ComposeLoadError([diag(source, ["include", i], "include: entry has no path")]);
        for (const p of paths) {
          if (/^[a-z]+:\/\//i.test(p) || p.startsWith("git@"))
            throw new ComposeLoadError([
              diag(
                source,
                ["include", i],
                `include of a remote resource (${p}) is not supported`,
                "download it and include the local file",
              ),
            ]);
          const abs = path.resolve(path.dirname(source.path), p);
          addFile({ path: abs, shown: input.show(abs) }, [...chain, file.path]);
        }
      });
    }
    const svcs = data.services ?? {};
    if (!isRecord(svcs))
      throw new ComposeLoadError([
        diag(source, ["services"], "services: must be a mapping of service names"),
      ]);
    for (const [name, value] of Object.entries(svcs)) {
      if (value !== null && !isRecord(value))
        throw new ComposeLoadError([diag(source, ["services", name], `service ${name} must be a mapping`)]);
      const entry = services.get(name);
      const contribution = { source, name };
      if (!entry) services.set(name, { data: { ...(value ?? {}) }, contributions: [contribution] });
      else {
        const base = structuredClone(entry.data);
        for (const p of tagsUnder(source.tagged.reset, ["services", name])) removeAt(base, p);
        entry.data = mergeService(base, value ?? {});
        for (const p of tagsUnder(source.tagged.override, ["services", name]))
          setAt(entry.data, p, structuredClone(valueAt(value, p)));
        entry.contributions.push(contribution);
      }
    }
    for (const [key, target] of [
      ["services", services],
      ["volumes", volumes],
      ["networks", networks],
    ] as const)
      for (const p of tagsUnder(source.tagged.reset, [key]))
        if (p.length === 1) target instanceof Map ? target.delete(String(p[0])) : delete target[String(p[0])];
    for (const [key, target] of [
      ["volumes", volumes],
      ["networks", networks],
    ] as const) {
      const v = data[key];
      if (isRecord(v)) Object.assign(target, v);
    }
    for (const key of Object.keys(data)) {
      if (["services", "volumes", "networks", "include", "name"].includes(key)) continue;
      topLevel.push({ key, where: source.where([key]) ?? { file: source.file, line: 1 } });
    }
  };

  for (const f of input.files) addFile(f, []);

  const resolved = new Map<string, ComposeService>();
  const resolve = (name: string, chain: string[]): ComposeService => {
    const done = resolved.get(name);
    if (done) return done;
    const entry = services.get(name)!;
    const where = whereOf(entry.contributions);
    let data = entry.data;
    const ext = data.extends;
    if (ext !== undefined) {
      const spec = typeof ext === "string" ? { service: ext } : isRecord(ext) ? ext : undefined;
      const base = typeof spec?.service === "string" ? spec.service : undefined;
      if (!base) throw new ComposeLoadError([at(where(["extends"]), "extends", "extends: needs a service")]);
      const key = `${typeof spec?.file === "string" ? spec.file : ""}#${base}`;
      if (chain.includes(key))
        throw new ComposeLoadError([
          at(where(["extends"]), "extends", `extends cycle: ${[...chain, key].join(" → ")}`),
        ]);
      let baseData: Raw;
      if (typeof spec?.file === "string") {
        const last = entry.contributions[entry.contributions.length - 1]!.source;
        const abs = path.resolve(path.dirname(last.path), spec.file);
        const other = load({ path: abs, shown: input.show(abs) }, []);
        const otherServices = isRecord(other.data.services) ? other.data.services : {};
        const b = otherServices[base];
        if (!isRecord(b))
          throw new ComposeLoadError([
            at(where(["extends"]), "extends", `extends: ${spec.file} has no service ${base}`),
          ]);
        if (b.extends !== undefined)
          throw new ComposeLoadError([
            at(
              where(["extends"]),
              "extends",
              `extends: ${base} in ${spec.file} extends another service, which is not supported`,
            ),
          ]);
        baseData = b;
      } else {
        if (!services.has(base))
          throw new ComposeLoadError([
            at(where(["extends"]), "extends", `extends: there is no service ${base}`),
          ]);
        baseData = resolve(base, [...chain, key]).data;
      }
      const { extends: _drop, ...own } = data;
      data = mergeService(baseData, own);
    }
    const svc: ComposeService = {
      name,
      data,
      dir: path.dirname(entry.contributions[0]!.source.path),
      where: (p) => where(p),
    };
    resolved.set(name, svc);
    return svc;
  };

  const active = new Set(input.profiles);
  const all = [...services.keys()].sort();
  const out: ComposeService[] = [];
  const inactive: ComposeProject["inactive"] = [];
  for (const name of all) {
    const svc = resolve(name, []);
    const profiles = Array.isArray(svc.data.profiles) ? svc.data.profiles.map(String) : [];
    if (profiles.length && !active.has("*") && !profiles.some((p) => active.has(p)))
      inactive.push({ name, profiles, where: svc.where(["profiles"]) });
    else out.push(svc);
  }
  return {
    dir,
    ...(name ? { name } : {}),
    env,
    fromDotEnv: { names: [...usedDotEnv].sort(), file: input.show(path.join(dir, ".env")) },
    services: out,
    inactive,
    volumes,
    networks,
    topLevel,
    warnings,
  };
}

function whereOf(contributions: Contribution[]) {
  return (p: readonly (string | number)[]): Where => {
    // A service is shown where it is first defined; its keys where they were last written.
    if (p.length === 0) {
      const c = contributions[0]!;
      return c.source.where(["services", c.name]) ?? { file: c.source.file, line: 1 };
    }
    for (let n = p.length; n >= 0; n--)
      for (let i = contributions.length - 1; i >= 0; i--) {
        const c = contributions[i]!;
        const w = c.source.where(["services", c.name, ...p.slice(0, n)]);
        if (w) return w;
      }
    const c = contributions[contributions.length - 1]!;
    return { file: c.source.file, line: 1 };
  };
}

function includePaths(entry: unknown): string[] | undefined {
  if (typeof entry === "string") return [entry];
  if (isRecord(entry)) {
    const p = entry.path;
    if (typeof p === "string") return [p];
    if (Array.isArray(p) && p.every((x) => typeof x === "string")) return p as string[];
  }
  return undefined;
}

/** `.env` beside the first file (KEY=VALUE lines, as Compose reads them). */
function readDotEnv(file: string, input: ProjectInput): Record<string, string> {
  const text = input.read(file);
  return text === undefined ? {} : parseEnvFile(text);
}

/** A dotenv text: KEY=VALUE lines, `#` comments, quoted values, `export` prefixes. */
export function parseEnvFile(text: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const raw of text.split(/\r?\n/)) {
    const line = raw.trim();
    if (!line || line.startsWith("#")) continue;
    const m = /^(?:export\s+)?([^=\s]+)\s*=\s*(.*)$/.exec(line);
    if (!m) continue;
    let value = m[2]!;
    const q = value[0];
    if ((q === '"' || q === "'") && value.lastIndexOf(q) > 0) {
      value = value.slice(1, value.lastIndexOf(q));
      if (q === '"') value = value.replace(/\\n/g, "\n").replace(/\\(["\\])/g, "$1");
    } else value = value.replace(/\s+#.*$/, "");
    out[m[1]!] = value;
  }
  return out;
}

/** The tagged paths below `prefix`, relative to it. */
function tagsUnder(paths: readonly PathSegment[][], prefix: readonly string[]): PathSegment[][] {
  return paths
    .filter((p) => p.length > prefix.length && prefix.every((k, i) => p[i] === k))
    .map((p) => p.slice(prefix.length));
}

/** Compose's merge of one service over another. */
export function mergeService(base: Raw, over: Raw): Raw {
  const out: Raw = { ...base };
  for (const [key, value] of Object.entries(over)) {
    const prev = out[key];
    if (prev === undefined || value === null || REPLACED.has(key)) out[key] = value;
    else if (MAPPING_LISTS.has(key) || key === "depends_on")
      out[key] = { ...asMapping(prev, key), ...asMapping(value, key) };
    else if (key === "volumes" && Array.isArray(prev) && Array.isArray(value))
      out[key] = mergeBy(prev, value, volumeTarget);
    else if (key === "healthcheck" && isRecord(prev) && isRecord(value)) out[key] = { ...prev, ...value };
    else if (isRecord(prev) && isRecord(value)) out[key] = mergeService(prev, value);
    else if (Array.isArray(prev) && Array.isArray(value))
      out[key] = mergeBy(prev, value, (v) => JSON.stringify(v));
    else out[key] = value;
  }
  return out;
}

function mergeBy(a: unknown[], b: unknown[], id: (v: unknown) => string | undefined): unknown[] {
  const out = [...a];
  for (const v of b) {
    const k = id(v);
    const i = k === undefined ? -1 : out.findIndex((x) => id(x) === k);
    if (i >= 0) out[i] = v;
    else out.push(v);
  }
  return out;
}

/** A list (`KEY=VALUE`, or names for depends_on) or a mapping, as a mapping. */
export function asMapping(v: unknown, key: string): Raw {
  if (isRecord(v)) return v;
  if (!Array.isArray(v)) return {};
  const out: Raw = {};
  for (const item of v) {
    const s = String(item);
    if (key === "depends_on") out[s] = { condition: "service_started" };
    else {
      const sep = key === "extra_hosts" ? s.search(/[=:]/) : s.indexOf("=");
      if (sep < 0) out[s] = null;
      else out[s.slice(0, sep)] = s.slice(sep + 1);
    }
  }
  return out;
}

export function volumeTarget(v: unknown): string | undefined {
  if (typeof v === "string") {
    const parts = v.split(":");
    return parts.length === 1 ? parts[0] : parts[1];
  }
  if (isRecord(v) && typeof v.target === "string") return v.target;
  return undefined;
}

export function isRecord(v: unknown): v is Raw {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

function definedOnly(env: Readonly<Record<string, string | undefined>>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(env)) if (v !== undefined) out[k] = v;
  return out;
}

function diag(
  source: ComposeSource,
  p: (string | number)[],
  message: string,
  suggestion?: string,
): Diagnostic {
  const w = source.where(p);
  return at(w ?? { file: source.file, line: 1 }, p.join("."), message, suggestion);
}

function at(w: Where, p: string, message: string, suggestion?: string): Diagnostic {
  return {
    path: p,
    message,
    position: { file: w.file, line: w.line, column: 1 },
    ...(suggestion ? { suggestion } : {}),
  };
}
