/**
 * One compose file read the way Compose reads it: YAML with anchors and `<<` merge keys, then
 * `${VAR}` interpolation of every value (the same rules as the stack file's), and a `where`
 * function that gives the line a value is written on, following merge keys into their anchors so
 * a key that came from `x-airflow-common` points there.
 */
import {
  type Document,
  isAlias,
  isMap,
  isPair,
  isScalar,
  isSeq,
  LineCounter,
  type Node,
  parseDocument,
} from "yaml";
import { interpolate } from "../../config/phases/interpolate.js";
import { documentData, type Locate, type PathSegment, yamlMessage } from "../../config/phases/parse.js";
import type { Diagnostic } from "../../core/index.js";

export interface Where {
  file: string;
  line: number;
}

export interface ComposeSource {
  /** As shown in messages (relative to where the command runs). */
  file: string;
  /** Absolute path. */
  path: string;
  data: Record<string, unknown>;
  /** The line of a path in this file, or undefined when the file does not write it. */
  where: (path: readonly PathSegment[]) => Where | undefined;
  warnings: Diagnostic[];
  /**
   * Paths tagged `!reset` (the key is removed from what the files before this one gave; its value
   * here is dropped) and `!override` (its value replaces what came before instead of merging).
   */
  tagged: { reset: PathSegment[][]; override: PathSegment[][] };
}

export type SourceResult = { ok: true; source: ComposeSource } | { ok: false; errors: Diagnostic[] };

export function readComposeText(
  text: string,
  file: { shown: string; path: string },
  env: Readonly<Record<string, string | undefined>>,
): SourceResult {
  const lineCounter = new LineCounter();
  // Compose files use `!reset` and `!override`; unknown tags are kept as their plain values.
  const doc = parseDocument(text, { lineCounter, merge: true, prettyErrors: false });
  const at = (offset: number) => {
    const { line, col } = lineCounter.linePos(offset);
    return { file: file.shown, line, column: col };
  };
  const syntax = doc.errors[0];
  if (syntax)
    return {
      ok: false,
      errors: [
        {
          path: "",
          message: yamlMessage(syntax.message, syntax.code),
          position: at(syntax.pos[0]),
        },
      ],
    };
  const nodeAt = (path: readonly PathSegment[]) => findNode(doc, path);
  const locate: Locate = (path) => {
    for (let n = path.length; n >= 0; n--) {
      const node = nodeAt(path.slice(0, n));
      if (node?.range) return at(node.range[0]);
    }
    return undefined;
  };
  const interpolation = interpolate(doc, env, locate);
  if (interpolation.errors.length) return { ok: false, errors: interpolation.errors };
  const read = documentData(doc, 1000, { file: file.shown, line: 1, column: 1 });
  if (!read.ok) return read;
  let data = read.data;
  if (data === null || data === undefined) data = {};
  if (typeof data !== "object" || Array.isArray(data))
    return {
      ok: false,
      errors: [
        {
          path: "",
          message: "a compose file is a mapping with a services: key",
          position: { file: file.shown, line: 1, column: 1 },
        },
      ],
    };
  const tagged = taggedPaths(doc.contents);
  // Last first, so removing an item of a list leaves the indices of earlier ones as written.
  for (const p of [...tagged.reset].reverse()) removeAt(data, p);
  const where = (path: readonly PathSegment[]): Where | undefined => {
    const node = nodeAt(path);
    if (!node?.range) return undefined;
    return { file: file.shown, line: lineCounter.linePos(node.range[0]).line };
  };
  return {
    ok: true,
    source: {
      file: file.shown,
      path: file.path,
      data: data as Record<string, unknown>,
      where,
      warnings: interpolation.warnings,
      tagged,
    },
  };
}

/** Where the file writes `!reset` and `!override` (Compose's tags for override files), by key path. */
function taggedPaths(root: unknown): ComposeSource["tagged"] {
  const tagged: ComposeSource["tagged"] = { reset: [], override: [] };
  const walk = (node: unknown, path: PathSegment[]) => {
    if (!node || typeof node !== "object") return;
    const tag = (node as { tag?: string }).tag;
    if (tag === "!reset" || tag === "!override") {
      if (path.length) tagged[tag === "!reset" ? "reset" : "override"].push(path);
      if (tag === "!reset") return;
    }
    if (isMap(node))
      for (const p of node.items) {
        if (isPair(p) && isScalar(p.key) && p.key.value !== "<<")
          walk(p.value, [...path, String(p.key.value)]);
      }
    else if (isSeq(node))
      node.items.forEach((item, i) => {
        walk(item, [...path, i]);
      });
  };
  walk(root, []);
  return tagged;
}

/** Removes the value at a path of plain data (a key of a mapping, an item of a list). */
export function removeAt(data: unknown, path: readonly PathSegment[]): void {
  const parent = valueAt(data, path.slice(0, -1));
  const last = path[path.length - 1];
  if (Array.isArray(parent) && typeof last === "number") parent.splice(last, 1);
  else if (parent && typeof parent === "object" && last !== undefined)
    delete (parent as Record<string, unknown>)[String(last)];
}

/** Sets the value at a path of plain data whose parents exist. */
export function setAt(data: unknown, path: readonly PathSegment[], value: unknown): void {
  const parent = valueAt(data, path.slice(0, -1));
  const last = path[path.length - 1];
  if (parent && typeof parent === "object" && last !== undefined)
    (parent as Record<string | number, unknown>)[last] = value;
}

/** The value at a path of plain data. */
export function valueAt(data: unknown, path: readonly PathSegment[]): unknown {
  let node = data;
  for (const segment of path) {
    if (!node || typeof node !== "object") return undefined;
    node = (node as Record<string | number, unknown>)[segment];
  }
  return node;
}

/** The node at a path: the key's node for a mapping entry, following aliases and `<<` merges. */
function findNode(doc: Document.Parsed, path: readonly PathSegment[]): Node | undefined {
  let node: unknown = doc.contents;
  let found: Node | undefined = node as Node | undefined;
  for (const segment of path) {
    node = deref(doc, node);
    if (isMap(node)) {
      const pair = findPair(doc, node, String(segment), 0);
      if (!pair) return undefined;
      found = pair.key as Node;
      node = pair.value;
    } else if (isSeq(node) && typeof segment === "number") {
      node = node.items[segment];
      found = node as Node | undefined;
      if (!found) return undefined;
    } else return undefined;
  }
  return found;
}

function deref(doc: Document.Parsed, node: unknown): unknown {
  return isAlias(node) ? node.resolve(doc) : node;
}

type Pair = { key: unknown; value: unknown };

function findPair(doc: Document.Parsed, map: unknown, key: string, depth: number): Pair | undefined {
  if (!isMap(map) || depth > 20) return undefined;
  for (const p of map.items)
    if (isPair(p) && isScalar(p.key) && String(p.key.value) === key) return p as Pair;
  // Keys from `<<: *anchor` (or a list of anchors; the first one listed wins).
  for (const p of map.items) {
    if (!isPair(p) || !isScalar(p.key) || p.key.value !== "<<") continue;
    const sources = isSeq(p.value) ? p.value.items : [p.value];
    for (const s of sources) {
      const hit = findPair(doc, deref(doc, s), key, depth + 1);
      if (hit) return hit;
    }
  }
  return undefined;
}
