import Table from "cli-table3";

/**
 * A kubectl-style table: no borders, upper-case headers, two spaces between columns. The same on
 * a terminal and in a pipe (only the header is bold on a terminal).
 */
export function renderTable(
  headers: readonly string[],
  rows: readonly (readonly string[])[],
  opts: { bold?: (s: string) => string } = {},
): string {
  const bold = opts.bold ?? ((s: string) => s);
  const table = new Table({
    head: headers.map((h) => bold(h.toUpperCase())),
    chars: {
      top: "",
      "top-mid": "",
      "top-left": "",
      "top-right": "",
      bottom: "",
      "bottom-mid": "",
      "bottom-left": "",
      "bottom-right": "",
      left: "",
      "left-mid": "",
      mid: "",
      "mid-mid": "",
      right: "",
      "right-mid": "",
      middle: "  ",
    },
    style: { head: [], border: [], "padding-left": 0, "padding-right": 0 },
  });
  for (const row of rows) table.push([...row]);
  return table
    .toString()
    .split("\n")
    .map((l) => l.trimEnd())
    .join("\n");
}
