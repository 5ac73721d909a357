/**
 * Nothing destroyed by accident: before `down --volumes`, `cleanup` and `restore` delete or
 * overwrite a stack's data, the user is asked on the terminal, shown what would go and its size,
 * and offered `deloc backup`. `--yes` answers for them; without a terminal and without `--yes`
 * the command refuses (exit 2), saying how to proceed.
 */
import { ConfirmationRequiredError, formatBytes } from "../core/index.js";
import type { CommandContext } from "./context.js";

/** One thing the command would destroy: a volume or a claim, and the data it holds. */
export interface DataItem {
  name: string;
  /** Bytes held (a claim: requested); null when unknown. */
  bytes: number | null;
  /** Services whose data it is, for the backup hint. */
  services: readonly string[];
}

export interface Destruction {
  /** The command as typed, e.g. `deloc down --volumes`. */
  command: string;
  /** What happens to the items: "delete" or "overwrite". */
  verb: "delete" | "overwrite";
  /** "volume" or "PersistentVolumeClaim". */
  noun: string;
  /** Where: `of stack demo`, `of postgres with the backup pg.tar.gz`. */
  where: string;
  items: readonly DataItem[];
  /** What keeps the data instead, e.g. "`deloc down` removes the containers and keeps the volumes". */
  alternative: string;
  /** Services `deloc backup` can copy first; none on Kubernetes. */
  backups: readonly string[];
}

/**
 * True to go ahead: nothing to destroy, `--yes`, or "y" on the terminal. False when the user said
 * no (the caller changes nothing). Throws `ConfirmationRequiredError` when nobody can be asked.
 */
export async function confirmDestruction(
  ctx: CommandContext,
  opts: Record<string, unknown>,
  d: Destruction,
): Promise<boolean> {
  if (d.items.length === 0 || opts.yes === true) return true;
  const n = d.items.length;
  const things = `${n} ${d.noun}${n === 1 ? "" : "s"}`;
  const backup = d.backups.length
    ? `Keep a copy first with ${d.backups.map((s) => `\`deloc backup ${s}\``).join(", ")}.`
    : "";
  if (!ctx.ask)
    throw new ConfirmationRequiredError(
      `${d.command} would ${d.verb} ${things} ${d.where} (${d.items.map((i) => `${i.name} ${size(i)}`).join(", ")}), and there is no terminal to ask on.`,
      [`Run \`${d.command} --yes\` to ${d.verb} them, or ${d.alternative}.`, backup]
        .filter(Boolean)
        .join(" "),
    );
  const width = Math.max(...d.items.map((i) => i.name.length));
  const lines = [
    `${d.command} will ${d.verb} ${things} ${d.where}, and the data in ${n === 1 ? "it" : "them"}:`,
    ...d.items.map(
      (i) =>
        `  ${i.name.padEnd(width)}  ${size(i).padStart(12)}${i.services.length ? `  (${i.services.join(", ")})` : ""}`,
    ),
  ];
  if (backup) lines.push(backup);
  ctx.err(lines.join("\n"));
  const answer = await ctx.ask(
    `${d.verb === "delete" ? "Delete" : "Overwrite"} ${n === 1 ? "it" : "them"}? [y/N] `,
  );
  if (answer !== null && /^\s*y(es)?\s*$/i.test(answer)) return true;
  ctx.err(`Nothing was changed (${d.alternative}).`);
  return false;
}

/** Exit code of a command the user declined at the question: nothing happened, which is not success. */
export const EXIT_DECLINED = 1;

function size(i: DataItem): string {
  return i.bytes === null ? "size unknown" : formatBytes(i.bytes);
}
