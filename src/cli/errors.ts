/**
 * The one place that turns an error into a message and an exit code. User errors (DelocError)
 * print their message and remedy; anything else is a bug and says so, with the version.
 */
import { DelocError, EXIT_CODES } from "../core/index.js";
import type { CommandContext } from "./context.js";

export const EXIT_OK = 0;
export const EXIT_INTERRUPTED = 130;

export function reportError(e: unknown, ctx: CommandContext, json: boolean): number {
  if (e instanceof DelocError) {
    if (json) ctx.out(JSON.stringify({ error: e.toJSON() }, null, 2));
    else ctx.err(`${prefix(ctx)}${e.message}${e.hint ? `\n${e.hint}` : ""}`);
    return EXIT_CODES[e.code];
  }
  const err = e instanceof Error ? e : new Error(String(e));
  const stack = (err.stack ?? err.message).replaceAll(ctx.home, "~");
  if (json) ctx.out(JSON.stringify({ error: { code: "E_INTERNAL", message: err.message } }, null, 2));
  else
    ctx.err(
      `${prefix(ctx)}this should not happen: ${err.message}\n` +
        `DELoc ${ctx.version} on Node ${process.version}. Please report it with the lines below.\n${stack}`,
    );
  return EXIT_CODES.E_INTERNAL;
}

function prefix(ctx: CommandContext): string {
  return ctx.color ? "\x1b[31merror:\x1b[39m " : "error: ";
}
