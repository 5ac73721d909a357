/**
 * The fast way to read a stack file: js-yaml, with the YAML 1.2 core schema the `yaml` library
 * uses (so `1_000`, `0b1`, `yes` and dates stay strings, as there), straight to plain data. It is
 * ten times faster than building the `yaml` library's Document on large files (`plan` of 1,000
 * services: 450 → 40 ms for the file; bench/results.md). It is taken only where the two cannot
 * differ: no `${VAR}` to interpolate (which needs the Document's scalar styles), no anchors,
 * aliases, merge keys or tags, and a file js-yaml reads without complaint. Anything else, and
 * every error's file:line:column, goes through the Document (`parse`).
 */
import { FAILSAFE_SCHEMA, load, Type } from "js-yaml";

const scalar = (tag: string, test: RegExp, construct: (s: string) => unknown) =>
  new Type(`tag:yaml.org,2002:${tag}`, {
    kind: "scalar",
    resolve: (s: string | null) => s !== null && test.test(s),
    construct: (s: string | null) => construct(s ?? ""),
  });

/**
 * YAML 1.2 core schema (https://yaml.org/spec/1.2.2/#1032-tag-resolution), one type per tag:
 * js-yaml keeps only the last type given for a tag.
 */
const CORE = FAILSAFE_SCHEMA.extend({
  implicit: [
    new Type("tag:yaml.org,2002:null", {
      kind: "scalar",
      resolve: (s: string | null) => s === null || /^(?:~|null|Null|NULL|)$/.test(s),
      construct: () => null,
    }),
    scalar("bool", /^(?:true|True|TRUE|false|False|FALSE)$/, (s) => s[0] === "t" || s[0] === "T"),
    scalar("int", /^(?:[-+]?[0-9]+|0o[0-7]+|0x[0-9a-fA-F]+)$/, (s) =>
      s.startsWith("0o")
        ? Number.parseInt(s.slice(2), 8)
        : s.startsWith("0x")
          ? Number.parseInt(s, 16)
          : Number.parseInt(s, 10),
    ),
    scalar(
      "float",
      /^(?:[-+]?(?:\.[0-9]+|[0-9]+(?:\.[0-9]*)?)(?:[eE][-+]?[0-9]+)?|[-+]?\.(?:inf|Inf|INF)|\.(?:nan|NaN|NAN))$/,
      (s) =>
        /nan/i.test(s)
          ? Number.NaN
          : /inf/i.test(s)
            ? (s[0] === "-" ? -1 : 1) * Number.POSITIVE_INFINITY
            : Number(s),
    ),
  ],
});

/**
 * What needs the Document: interpolation (a `$` anywhere), merge keys, and a token that starts an
 * anchor, an alias or a tag (`&a`, `*a`, `!t` after a space, a line start or a flow indicator; the
 * `&` of `sleep 1 & wait` is none); and what the two libraries read differently at the edges of the
 * grammar (found by fuzzing them against each other): complex keys (`?`), block scalars with an
 * indentation indicator or at the top, a flow collection that begins a line or is a key, empty
 * sequence items.
 */
const NEEDS_DOCUMENT =
  /[$]|<<|(?:^|[\s[{,])(?:[&*][^\s,[\]{}]|!|\?|[|>][-+]?[0-9])|^\s*[|>[{]|[\]}]\s*:|^\s*-\s*(?:-\s|$)/m;

/** The file's data when the fast way can read it exactly as the Document would; else undefined. */
export function fastParse(text: string): unknown {
  if (NEEDS_DOCUMENT.test(text) || text.split("\n").some(quoteLeftOpen)) return undefined;
  try {
    const data = load(text, { schema: CORE, json: false });
    return data === null || data === undefined ? undefined : data;
  } catch {
    return undefined;
  }
}

/**
 * A quoted scalar that goes on to the next line, or one with text right after it: js-yaml accepts continuation lines the `yaml`
 * library refuses (indented less than the key), so these files take the Document's way. An
 * apostrophe in plain text counts as a quote too: such files merely take the slower way.
 */
function quoteLeftOpen(line: string): boolean {
  let quote: "'" | '"' | null = null;
  for (let i = 0; i < line.length; i++) {
    const ch = line[i];
    if (quote === null) {
      if (ch === "#" && (i === 0 || line[i - 1] === " ")) return false;
      if (ch === "'" || ch === '"') quote = ch;
    } else if (quote === '"' && ch === "\\") i++;
    else if (ch === quote) {
      if (quote === "'" && line[i + 1] === "'") i++;
      else {
        quote = null;
        // Text right after a closing quote (`'a'b`, `''#`): the libraries disagree on it.
        if (i + 1 < line.length && !" :,]}".includes(line[i + 1]!)) return true;
      }
    }
  }
  return quote !== null;
}
