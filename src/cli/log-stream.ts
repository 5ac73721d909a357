/**
 * The log fan-out of `deloc logs`, on every target: each source's lines (a container, a pod),
 * prefixed with its name when there are several, secrets masked, printed as they come; with
 * `--follow`, until the sources end or Ctrl-C / SIGTERM stops them (exit 0, as `docker logs -f`).
 */
import { UsageError } from "../core/index.js";
import { maskSecrets } from "../engine/secrets.js";
import type { CommandContext } from "./context.js";

export interface LogSource {
  /** The container's or pod's name, the prefix of its lines when there are several. */
  name: string;
  lines: (signal: AbortSignal) => AsyncIterable<string>;
}

export async function streamLogs(
  ctx: CommandContext,
  sources: readonly LogSource[],
  secrets: Readonly<Record<string, string>>,
): Promise<void> {
  const controller = new AbortController();
  const stop = () => controller.abort();
  process.once("SIGINT", stop);
  process.once("SIGTERM", stop);
  try {
    await Promise.all(
      sources.map(async (s) => {
        const prefix = sources.length > 1 ? `${s.name} | ` : "";
        // Secrets never reach the terminal through a service's own log lines.
        for await (const line of s.lines(controller.signal)) ctx.out(prefix + maskSecrets(line, secrets));
      }),
    );
  } finally {
    process.removeListener("SIGINT", stop);
    process.removeListener("SIGTERM", stop);
  }
}

/** `--follow` and `--tail N` as the log sources take them. */
export function logOptions(opts: Record<string, unknown>): { follow: boolean; tail?: number } {
  if (opts.tail === undefined) return { follow: opts.follow === true };
  const tail = Number(opts.tail);
  if (!Number.isInteger(tail) || tail < 0)
    throw new UsageError(`--tail: "${opts.tail}" is not a line count.`, "Use e.g. --tail 100.");
  return { follow: opts.follow === true, tail };
}
