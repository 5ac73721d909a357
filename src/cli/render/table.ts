import { stripVTControlCharacters } from "node:util";

/**
 * A kubectl-style table: no borders, upper-case headers, two spaces between columns. The same on
 * a terminal and in a pipe (only the header is bold on a terminal). A cell may hold several lines.
 *
 * Written here rather than with cli-table3: its layout checks every cell against every other for
 * row and column spans, which made `plan` of 1,000 services spend ~1 s in the table alone (a
 * third of the command; bench/results.md). A borderless table needs no spans.
 */
export function renderTable(
  headers: readonly string[],
  rows: readonly (readonly string[])[],
  opts: { bold?: (s: string) => string } = {},
): string {
  const bold = opts.bold ?? ((s: string) => s);
  const cells = [
    headers.map((h) => [bold(h.toUpperCase())]),
    ...rows.map((r) => r.map((c) => c.split("\n"))),
  ];
  const columns = Math.max(...cells.map((r) => r.length));
  const widths = Array.from({ length: columns }, (_, i) =>
    Math.max(0, ...cells.map((r) => Math.max(0, ...(r[i] ?? []).map(displayWidth)))),
  );
  const out: string[] = [];
  for (const row of cells) {
    const height = Math.max(1, ...row.map((c) => c.length));
    for (let line = 0; line < height; line++)
      out.push(
        widths
          .map((w, i) => {
            const text = row[i]?.[line] ?? "";
            return text + " ".repeat(w - displayWidth(text));
          })
          .join("  ")
          .trimEnd(),
      );
  }
  return out.join("\n");
}

/** Columns a text takes on a terminal: escape sequences take none, wide (CJK, emoji) characters two. */
function displayWidth(text: string): number {
  const plain = text.includes("\u001b") ? stripVTControlCharacters(text) : text;
  if (/^[ -~]*$/.test(plain)) return plain.length; // printable ASCII: the common, fast case
  let width = 0;
  for (const ch of plain) width += wide(ch.codePointAt(0) ?? 0) ? 2 : 1;
  return width;
}

/** East Asian wide and full-width ranges, and emoji: two columns. */
function wide(cp: number): boolean {
  return (
    (cp >= 0x1100 && cp <= 0x115f) ||
    (cp >= 0x2e80 && cp <= 0xa4cf) ||
    (cp >= 0xac00 && cp <= 0xd7a3) ||
    (cp >= 0xf900 && cp <= 0xfaff) ||
    (cp >= 0xfe30 && cp <= 0xfe4f) ||
    (cp >= 0xff00 && cp <= 0xff60) ||
    (cp >= 0xffe0 && cp <= 0xffe6) ||
    (cp >= 0x1f300 && cp <= 0x1faff) ||
    (cp >= 0x20000 && cp <= 0x3fffd)
  );
}
