/**
 * Which lines of a Dockerfile only BuildKit can build. The Engine API's classic builder (what
 * dockerode's `buildImage` drives) rejects them, or worse, ignores them (`# syntax=`), so the
 * adapter asks this before it falls back to that builder. Pure: text in, findings out.
 *
 * Follows the Dockerfile reference's parsing: parser directives only at the very top, the
 * `# escape=` character for line continuations, comment lines inside a continuation skipped,
 * heredoc bodies skipped (so their contents are never read as instructions).
 */

/** One use of a BuildKit-only feature, at the line where its instruction starts (1-based). */
export interface BuildKitFeatureUse {
  /** As a user would search the docs for it: `RUN --mount`, `COPY --link`, `heredoc (<<EOF)`, `# syntax=`. */
  feature: string;
  line: number;
}

/**
 * Flags each instruction accepts in the classic builder (moby's builder/dockerfile dispatchers);
 * any other flag on these instructions is BuildKit's. `--chmod` is parsed by the classic builder
 * only to fail with "the --chmod option requires BuildKit", so it is not listed.
 */
const CLASSIC_FLAGS: Readonly<Record<string, readonly string[]>> = {
  RUN: [],
  COPY: ["from", "chown"],
  ADD: ["chown"],
};

/** The BuildKit-only features a Dockerfile uses, in line order; empty when the classic builder can build it. */
export function buildKitFeatures(text: string): BuildKitFeatureUse[] {
  const lines = text.split(/\r?\n/);
  const found: BuildKitFeatureUse[] = [];
  let escapeChar = "\\";
  let i = 0;

  // Parser directives: `# key=value` lines at the very top; the first other line ends them.
  for (; i < lines.length; i++) {
    const m = /^#\s*([a-zA-Z][a-zA-Z0-9_-]*)\s*=\s*(.*?)\s*$/.exec(lines[i]!);
    if (!m) break;
    const key = m[1]!.toLowerCase();
    if (key === "escape" && (m[2] === "`" || m[2] === "\\")) escapeChar = m[2];
    else if (key === "syntax") found.push({ feature: `# syntax=${m[2]}`, line: i + 1 });
  }

  while (i < lines.length) {
    const start = i;
    const first = lines[i]!;
    i++;
    if (/^\s*(#|$)/.test(first)) continue;
    // One logical line: join continuations, skipping comment and empty lines inside them.
    let logical = first;
    let continued = endsWithEscape(first, escapeChar);
    if (continued) logical = stripEscape(logical);
    while (continued && i < lines.length) {
      const next = lines[i++]!;
      if (/^\s*(#|$)/.test(next)) continue;
      continued = endsWithEscape(next, escapeChar);
      logical += ` ${continued ? stripEscape(next) : next}`;
    }
    const words = logical.trim().split(/\s+/);
    const instruction = words[0]!.toUpperCase();
    const classic = CLASSIC_FLAGS[instruction];
    if (!classic) continue;
    for (const word of words.slice(1)) {
      if (!word.startsWith("--")) break;
      const flag = word.slice(2).split("=")[0]!.toLowerCase();
      if (!classic.includes(flag)) found.push({ feature: `${instruction} --${flag}`, line: start + 1 });
    }
    // Heredocs (`RUN <<EOF`, `COPY <<-"EOF" /dst`): BuildKit's; their bodies follow, to the terminator.
    // As BuildKit reads them: a word of its own that starts with `<<`, not `<<` inside a string.
    const heredocs = words
      .map((w) => /^<<(-?)(["']?)([A-Za-z_][A-Za-z0-9_]*)\2$/.exec(w))
      .filter((m): m is RegExpExecArray => m !== null);
    if (heredocs.length) found.push({ feature: `heredoc (<<${heredocs[0]![3]})`, line: start + 1 });
    for (const h of heredocs) {
      const strip = h[1] === "-";
      while (i < lines.length) {
        const body = lines[i++]!;
        if ((strip ? body.replace(/^\t+/, "") : body) === h[3]) break;
      }
    }
  }
  return found;
}

function stripEscape(line: string): string {
  return line.replace(/\s*$/, "").slice(0, -1);
}

function endsWithEscape(line: string, escapeChar: string): boolean {
  return line.replace(/\s*$/, "").endsWith(escapeChar);
}
