/**
 * `deloc verify`'s report: the exit code its results give, the table, and the lines for stderr
 * (each failure's hint; the services no probe checked). A service that is not verified is shown
 * as such, never as a pass, and fails the command unless `--allow-unverified` accepts it.
 */
import pc from "picocolors";
import type { ProbeResult } from "../../verify/probe.js";
import type { CommandContext } from "../context.js";
import { renderTable } from "./table.js";

/** Exit code of `deloc verify` when a probe failed, or a service is not verified and not accepted. */
export const EXIT_VERIFY_FAILED = 1;

export interface VerifyOutcome {
  code: number;
  failed: ProbeResult[];
  unverified: ProbeResult[];
}

export function verifyOutcome(results: readonly ProbeResult[], allowUnverified: boolean): VerifyOutcome {
  const failed = results.filter((r) => r.status === "failed");
  const unverified = results.filter((r) => r.status === "not-verified");
  const code = failed.length || (unverified.length && !allowUnverified) ? EXIT_VERIFY_FAILED : 0;
  return { code, failed, unverified };
}

const RESULT: Record<ProbeResult["status"], string> = {
  passed: "pass",
  failed: "FAIL",
  "not-verified": "not verified",
};

export interface ReportStyle {
  bold?: (s: string) => string;
  /** Marks "not verified" on a terminal. */
  warn?: (s: string) => string;
}

export function formatVerifyTable(results: readonly ProbeResult[], style: ReportStyle = {}): string {
  const warn = style.warn ?? ((s: string) => s);
  return renderTable(
    ["service", "result", "probe", "took", "detail"],
    results.map((r) => [
      r.service,
      r.status === "not-verified" ? warn(RESULT[r.status]) : RESULT[r.status],
      r.what ?? "",
      r.what === null ? "" : `${r.ms} ms`,
      r.detail,
    ]),
    style.bold ? { bold: style.bold } : {},
  );
}

/** What goes to stderr after the table: hints of failures, then what to do about unverified services. */
export function verifyNotes(outcome: VerifyOutcome, allowUnverified: boolean): string[] {
  const lines = outcome.failed.map((r) => `${r.service}: ${r.hint ?? "see its detail above"}`);
  const names = outcome.unverified.map((r) => r.service);
  if (names.length === 0) return lines;
  if (allowUnverified) lines.push(`not verified, accepted with --allow-unverified: ${names.join(", ")}`);
  else {
    for (const r of outcome.unverified) if (r.hint) lines.push(`${r.service}: ${r.hint}`);
    lines.push(
      `${names.length} ${names.length === 1 ? "service was" : "services were"} not verified (${names.join(", ")}): ` +
        `declare a probe under verify: in deloc.yaml, or pass --allow-unverified to accept ${names.length === 1 ? "it" : "them"}.`,
    );
  }
  return lines;
}

/** The report of `verify`, a table or `--json`; its exit code. */
export function reportVerify(
  ctx: CommandContext,
  opts: Record<string, unknown>,
  stack: string,
  results: ProbeResult[],
): number {
  const allowUnverified = opts.allowUnverified === true;
  const outcome = verifyOutcome(results, allowUnverified);
  if (opts.json)
    ctx.out(JSON.stringify({ stack, ok: outcome.code === 0, allowUnverified, probes: results }, null, 2));
  else {
    ctx.out(formatVerifyTable(results, ctx.color ? { bold: pc.bold, warn: pc.yellow } : {}));
    for (const line of verifyNotes(outcome, allowUnverified)) ctx.err(line);
  }
  return outcome.code;
}
