/**
 * `DELOC_TRACE_COMMANDS=<file>`: every command DELoc makes run inside a container — a container's
 * entrypoint and command, its health check, each exec (health checks, backup dumps, restores) —
 * is appended to `<file>` as one JSON line `{"image", "argv", "via"}`. For the curious ("what does
 * deloc run in my containers?") and for the image-tools check of the tests, which fails when a
 * command needs a tool the service's upstream image does not ship.
 */
import fs from "node:fs";

export type TracedVia = "command" | "healthcheck" | "exec";

export interface TracedCommand {
  image: string;
  argv: string[];
  via: TracedVia;
}

/** Where traces go, or null when tracing is off (the default: no cost). */
export function traceFile(env: NodeJS.ProcessEnv = process.env): string | null {
  return env.DELOC_TRACE_COMMANDS || null;
}

export function traceCommand(file: string, c: TracedCommand): void {
  // One short write per line with O_APPEND: lines from concurrent processes do not interleave.
  fs.appendFileSync(file, `${JSON.stringify(c)}\n`);
}

/** What a container create asks the image to run: its command, and its health check. */
export function createdCommands(config: {
  Image?: string;
  Entrypoint?: string | string[];
  Cmd?: string | string[];
  Healthcheck?: { Test?: string[] };
}): TracedCommand[] {
  const image = config.Image ?? "";
  const list = (v: string | string[] | undefined) => (v === undefined ? [] : Array.isArray(v) ? v : [v]);
  const out: TracedCommand[] = [];
  const run = [...list(config.Entrypoint), ...list(config.Cmd)];
  if (run.length) out.push({ image, argv: run, via: "command" });
  const test = config.Healthcheck?.Test ?? [];
  if (test[0] === "CMD") out.push({ image, argv: test.slice(1), via: "healthcheck" });
  else if (test[0] === "CMD-SHELL")
    out.push({ image, argv: ["/bin/sh", "-c", ...test.slice(1)], via: "healthcheck" });
  return out;
}
