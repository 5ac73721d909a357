/**
 * Phase 2: `${VAR}` interpolation in string values, compose-style:
 * `${VAR}`, `$VAR`, `${VAR:-default}` (unset or empty), `${VAR-default}` (unset),
 * `${VAR:?message}` / `${VAR?message}` (required), `${VAR:+alt}`, and `$$` for a literal `$`.
 * Works on the YAML document so positions survive. A plain (unquoted) scalar is re-typed after
 * interpolation, so `replicas: ${WORKERS:-2}` is the number 2.
 */
import type { Document } from "yaml";
import type { Diagnostic } from "../../core/index.js";
import type { Locate, PathSegment } from "./parse.js";
import { yamlLib } from "./yaml-lib.js";

export interface InterpolationResult {
  errors: Diagnostic[];
  warnings: Diagnostic[];
}

export function interpolate(
  doc: Document.Parsed,
  env: Readonly<Record<string, string | undefined>>,
  locate: Locate,
) {
  const { parse: parseYamlScalar, Scalar, visit } = yamlLib();
  const result: InterpolationResult = { errors: [], warnings: [] };
  visit(doc, {
    Scalar(key, node, ancestors) {
      if (key === "key" || typeof node.value !== "string" || !node.value.includes("$")) return;
      const path = pathOf(ancestors, node);
      const dotted = path.join(".");
      const problems: string[] = [];
      const missing: string[] = [];
      const out = substitute(node.value, env, problems, missing);
      for (const p of problems) result.errors.push({ path: dotted, message: p, position: locate(path) });
      for (const name of missing)
        result.warnings.push({
          path: dotted,
          message: `variable ${name} is not set; using an empty string`,
          position: locate(path),
          suggestion: `set it, or write \${${name}:-default}`,
        });
      if (node.type === Scalar.PLAIN && out !== node.value) {
        // An unquoted `${PORT}` becomes a number as if written so; text YAML cannot read as one
        // scalar (`!>`, `&x`) stays the string it is.
        let typed: unknown = out;
        try {
          typed = parseYamlScalar(out);
        } catch {}
        node.value = typed === null || typeof typed === "object" ? out : typed;
      } else {
        node.value = out;
      }
    },
  });
  return result;
}

/** Replaces variables in one string; problems and unset names are pushed to the given arrays. */
export function substitute(
  text: string,
  env: Readonly<Record<string, string | undefined>>,
  problems: string[],
  missing: string[],
): string {
  let out = "";
  let i = 0;
  while (i < text.length) {
    const ch = text[i];
    if (ch !== "$") {
      out += ch;
      i++;
      continue;
    }
    const next = text[i + 1];
    if (next === "$") {
      out += "$";
      i += 2;
      continue;
    }
    if (next === "{") {
      const end = matchingBrace(text, i + 1);
      if (end < 0) {
        problems.push(`unclosed "\${" in "${text}"; write $$ for a literal $`);
        return out + text.slice(i);
      }
      out += expand(text.slice(i + 2, end), env, problems, missing);
      i = end + 1;
      continue;
    }
    const bare = /^[A-Za-z_][A-Za-z0-9_]*/.exec(text.slice(i + 1));
    if (bare) {
      const value = env[bare[0]];
      if (value === undefined) missing.push(bare[0]);
      out += value ?? "";
      i += 1 + bare[0].length;
      continue;
    }
    out += "$";
    i++;
  }
  return out;
}

function expand(
  body: string,
  env: Readonly<Record<string, string | undefined>>,
  problems: string[],
  missing: string[],
): string {
  const m = /^([A-Za-z_][A-Za-z0-9_]*)(?:(:?[-?+])([\s\S]*))?$/.exec(body);
  if (!m) {
    problems.push(`"\${${body}}" is not a valid variable reference; use \${NAME} or \${NAME:-default}`);
    return "";
  }
  const [, name, op, arg = ""] = m as unknown as [string, string, string | undefined, string | undefined];
  const value = env[name];
  const unsetOrEmpty = value === undefined || value === "";
  const inner = () => substitute(arg, env, problems, missing);
  switch (op) {
    case undefined:
      if (value === undefined) missing.push(name);
      return value ?? "";
    case ":-":
      return unsetOrEmpty ? inner() : value;
    case "-":
      return value === undefined ? inner() : value;
    case ":?":
    case "?":
      if (op === ":?" ? unsetOrEmpty : value === undefined) {
        problems.push(`required variable ${name} is not set${arg ? `: ${inner()}` : ""}`);
        return "";
      }
      return value as string;
    case ":+":
    case "+":
      return (op === ":+" ? unsetOrEmpty : value === undefined) ? "" : inner();
    default:
      return value ?? "";
  }
}

function matchingBrace(text: string, open: number): number {
  let depth = 0;
  for (let j = open; j < text.length; j++) {
    if (text[j] === "{") depth++;
    else if (text[j] === "}" && --depth === 0) return j;
  }
  return -1;
}

function pathOf(ancestors: readonly unknown[], node: unknown): PathSegment[] {
  const path: PathSegment[] = [];
  let child: unknown = node;
  for (let a = ancestors.length - 1; a >= 0; a--) {
    const anc = ancestors[a] as { items?: unknown[]; key?: unknown; value?: unknown };
    if (anc && "key" in anc && "value" in anc && anc.value === child) {
      const k = anc.key;
      path.unshift(yamlLib().isScalar(k) ? String(k.value) : String(k));
    } else if (anc && Array.isArray(anc.items)) {
      const idx = anc.items.indexOf(child);
      if (idx >= 0 && !("key" in (anc.items[idx] as object))) path.unshift(idx);
    }
    child = anc;
  }
  return path;
}
