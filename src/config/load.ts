/**
 * Loads `deloc.yaml` into a validated Stack, running the phases in order:
 * parse → interpolate → schema → normalize → defaults → rules → layer.
 * Never prints and never throws for bad input: it returns every error it found.
 */
import fs from "node:fs";
import path from "node:path";
import { type Diagnostic, FileNotFoundError, type Stack } from "../core/index.js";
import { STACK_DEFAULTS } from "./phases/defaults.js";
import { fastParse } from "./phases/fast-parse.js";
import { interpolate } from "./phases/interpolate.js";
import { type CapacityOverride, type LayerFlags, layer } from "./phases/layer.js";
import { normalizeService } from "./phases/normalize.js";
import { documentData, type Locate, parse } from "./phases/parse.js";
import { checkStackRules } from "./phases/rules.js";
import { validateSchema } from "./phases/schema.js";

export const STACK_FILE_NAMES = ["deloc.yaml", "deloc.yml"] as const;

export interface LoadOptions {
  /** `-f FILE`; otherwise `DELOC_FILE`, then deloc.yaml / deloc.yml in `cwd`. */
  file?: string;
  cwd: string;
  env: Readonly<Record<string, string | undefined>>;
  flags?: LayerFlags;
  home: string;
  readFile?: (file: string) => string;
  exists?: (file: string) => boolean;
}

export type LoadResult =
  | {
      ok: true;
      file: string;
      stack: Stack;
      capacity: CapacityOverride;
      warnings: Diagnostic[];
      locate: Locate;
    }
  | { ok: false; file: string; errors: Diagnostic[]; warnings: Diagnostic[] };

/** Finds the stack file; throws `FileNotFoundError` naming where it looked. */
export function findStackFile(opts: Pick<LoadOptions, "file" | "cwd" | "env" | "exists">): string {
  const exists = opts.exists ?? fs.existsSync;
  const explicit = opts.file ?? opts.env.DELOC_FILE;
  if (explicit) {
    const file = path.resolve(opts.cwd, explicit);
    if (!exists(file))
      throw new FileNotFoundError(
        `Stack file ${explicit} does not exist.`,
        "Check the path, or run `deloc init` to write one.",
      );
    return file;
  }
  for (const name of STACK_FILE_NAMES) {
    const file = path.join(opts.cwd, name);
    if (exists(file)) return file;
  }
  throw new FileNotFoundError(
    `No deloc.yaml in ${opts.cwd}.`,
    "Run `deloc init --recipe streaming` to write one, or pass -f FILE.",
  );
}

export function loadStack(opts: LoadOptions): LoadResult {
  const file = findStackFile(opts);
  const display = path.relative(opts.cwd, file) || file;
  const text = (opts.readFile ?? ((f) => fs.readFileSync(f, "utf8")))(file);
  return loadStackText(text, { ...opts, file, display });
}

/** The phases on text already read; `display` is the file name used in messages. */
export function loadStackText(
  text: string,
  opts: LoadOptions & { file: string; display: string },
): LoadResult {
  const { file, display } = opts;
  const warnings: Diagnostic[] = [];
  const fail = (errors: Diagnostic[]): LoadResult => ({ ok: false, file: display, errors, warnings });

  // 1. parse, 2. interpolate: the fast way when it reads the file exactly as the Document would.
  const fast = fastParse(text);
  const read = fast === undefined ? readDocument(text, display, opts.env, warnings) : null;
  if (read && !read.ok) return fail(read.errors);
  const data = read ? read.data : fast;
  // Positions only for messages: the Document is built when one is needed.
  const locate: Locate = read ? read.locate : lazyLocate(text, display);

  // 3. schema
  const validated = validateSchema(data, locate);
  if (!validated.ok) return fail(validated.errors);
  const raw = validated.file;

  // 4. normalize and 5. defaults
  const dir = path.dirname(file);
  const ctx = { dir, home: opts.home };
  const services = Object.keys(raw.spec.services)
    .sort()
    .filter((name) => raw.spec.services[name]?.enabled !== false)
    .map((name) => normalizeService(name, raw.spec.services[name] ?? null, ctx));
  const stack: Stack = {
    apiVersion: raw.apiVersion,
    name: raw.metadata.name,
    profile: raw.spec.profile ?? STACK_DEFAULTS.profile,
    target: raw.spec.target ?? STACK_DEFAULTS.target,
    strategy: raw.spec.strategy ?? STACK_DEFAULTS.strategy,
    maxParallel: raw.spec.maxParallel ?? STACK_DEFAULTS.maxParallel,
    bindAddress: raw.spec.bindAddress ?? STACK_DEFAULTS.bindAddress,
    catalogPaths: (raw.spec.catalogPaths ?? []).map((p) => path.resolve(dir, p)),
    plugins: raw.spec.plugins ?? [],
    services,
    disabled: Object.keys(raw.spec.services)
      .filter((name) => raw.spec.services[name]?.enabled === false)
      .sort(),
    file,
    dir,
  };

  // 6. rules
  const ruleErrors = checkStackRules(stack, locate);

  // 7. layer
  const layered = layer(stack, opts.env, opts.flags ?? {}, opts.cwd);
  const errors = [...ruleErrors, ...layered.errors];
  if (errors.length) return fail(errors);
  return { ok: true, file: display, stack: layered.stack, capacity: layered.capacity, warnings, locate };
}

/** Parse and interpolation on the `yaml` library's Document, which keeps every node's position. */
function readDocument(
  text: string,
  display: string,
  env: LoadOptions["env"],
  warnings: Diagnostic[],
): { ok: true; data: unknown; locate: Locate } | { ok: false; errors: Diagnostic[] } {
  const parsed = parse(text, display);
  if (parsed.errors.length) return { ok: false, errors: parsed.errors };
  const { doc, locate } = parsed;
  if (doc.contents === null)
    return {
      ok: false,
      errors: [{ path: "", message: "the file is empty", suggestion: "run `deloc init`" }],
    };

  const interpolation = interpolate(doc, env, locate);
  warnings.push(...interpolation.warnings);
  if (interpolation.errors.length) return { ok: false, errors: interpolation.errors };

  const data = documentData(doc, 100);
  return data.ok ? { ok: true, data: data.data, locate } : data;
}

/** A `locate` that parses the Document on its first call. */
function lazyLocate(text: string, display: string): Locate {
  let located: Locate | undefined;
  return (path, opts) => {
    located ??= parse(text, display).locate;
    return located(path, opts);
  };
}
