/**
 * Phase 1: YAML text → document that keeps every node's offset, plus a `locate` function that
 * turns a dotted path into `file:line:column` for messages of the later phases.
 */
import type { Document, Node } from "yaml";
import type { Diagnostic, SourcePosition } from "../../core/index.js";
import { yamlLib } from "./yaml-lib.js";

export type PathSegment = string | number;

/** Finds where a path is written in the source; `key: true` points at the key rather than the value. */
export type Locate = (path: readonly PathSegment[], opts?: { key?: boolean }) => SourcePosition | undefined;

export interface Parsed {
  doc: Document.Parsed;
  locate: Locate;
  errors: Diagnostic[];
}

export function parse(text: string, file: string): Parsed {
  const { isMap, isPair, isScalar, LineCounter, parseDocument } = yamlLib();
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { lineCounter, prettyErrors: false, uniqueKeys: true });
  const at = (offset: number): SourcePosition => {
    const { line, col } = lineCounter.linePos(offset);
    return { file, line, column: col };
  };
  // Only the first syntax error: the ones after it are usually its echoes.
  const errors: Diagnostic[] = doc.errors.slice(0, 1).map((e) => ({
    path: "",
    message: yamlMessage(e.message, e.code),
    position: at(e.pos[0]),
  }));
  const locate: Locate = (path, opts = {}) => {
    // Walk down as far as the path exists, so a missing key points at its parent.
    let node: unknown = doc.contents;
    let keyNode: Node | undefined;
    for (const segment of path) {
      if (!isMap(node) && !(node && typeof node === "object" && "items" in node)) break;
      const items = (node as { items: unknown[] }).items;
      let next: unknown;
      if (isMap(node)) {
        const pair = node.items.find(
          (p) => isPair(p) && isScalar(p.key) && String(p.key.value) === String(segment),
        );
        if (!pair) break;
        keyNode = pair.key as Node;
        next = pair.value;
      } else if (typeof segment === "number") {
        next = items[segment];
        keyNode = undefined;
      }
      if (next === undefined || next === null) {
        node = undefined;
        break;
      }
      node = next;
    }
    const target = opts.key && keyNode ? keyNode : ((node as Node | undefined) ?? keyNode);
    const range = target?.range;
    return range ? at(range[0]) : undefined;
  };
  return { doc, locate, errors };
}

/**
 * The document as plain data, or why it cannot be: the YAML library reports an alias without its
 * anchor, or one expanded more than `maxAliasCount` times, only here.
 */
export function documentData(
  doc: Document.Parsed,
  maxAliasCount: number,
  position?: SourcePosition,
): { ok: true; data: unknown } | { ok: false; errors: Diagnostic[] } {
  try {
    return { ok: true, data: doc.toJS({ maxAliasCount }) };
  } catch (e) {
    const message = `the YAML cannot be read: ${e instanceof Error ? e.message : String(e)}`;
    return {
      ok: false,
      errors: [
        {
          path: "",
          message,
          ...(position ? { position } : {}),
          suggestion: "define each &anchor before its *alias",
        },
      ],
    };
  }
}

export function yamlMessage(message: string, code: string): string {
  // The yaml library appends a source excerpt after the first line; the position says where.
  const first = message.split("\n")[0] ?? message;
  const text = first.replace(/ at line \d+, column \d+:?$/, "");
  return code === "DUPLICATE_KEY"
    ? text.replace("Map keys must be unique", "a key appears twice")
    : `invalid YAML: ${text}`;
}
