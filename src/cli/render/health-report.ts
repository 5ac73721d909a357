/** `deloc health`'s report, on every target: a row per replica, and exit 1 unless every check passed. */
import pc from "picocolors";
import type { CommandContext } from "../context.js";
import { renderTable } from "./table.js";

export interface HealthResult {
  service: string;
  /** 1-based; 0 when it has none deployed. */
  replica: number;
  ok: boolean;
  /** The check's command, `started`, or `completed` for a one-shot task. */
  check: string;
  /** What it said (its last line, secrets masked). */
  output: string;
  ms: number;
}

export function reportHealth(
  ctx: CommandContext,
  opts: Record<string, unknown>,
  stack: string,
  results: readonly HealthResult[],
): number {
  if (opts.json)
    ctx.out(JSON.stringify({ stack, healthy: results.every((r) => r.ok), services: results }, null, 2));
  else
    ctx.out(
      renderTable(
        ["service", "healthy", "check", "took", "said"],
        results.map((r) => [
          r.replica > 1 ? `${r.service}#${r.replica}` : r.service,
          r.ok ? "yes" : "NO",
          r.check.slice(0, 48),
          `${r.ms} ms`,
          r.output.slice(0, 60),
        ]),
        ctx.color ? { bold: pc.bold } : {},
      ),
    );
  return results.every((r) => r.ok) ? 0 : 1;
}
