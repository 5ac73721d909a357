/**
 * Live progress of a deploy: on a terminal, one line per service redrawn in place; otherwise one
 * plain line per change, for logs and CI.
 */
import type { DeployEvent } from "../../engine/events.js";
import type { CommandContext } from "../context.js";

const FRAMES = ["⠋", "⠙", "⠹", "⠸", "⠼", "⠴", "⠦", "⠧", "⠇", "⠏"];
const DONE: Record<string, string> = {
  ready: "✔",
  kept: "✔",
  failed: "✖",
  skipped: "-",
  "rolled back": "↺",
  removed: "-",
  stopped: "■",
};

export interface ProgressView {
  onEvent(e: DeployEvent): void;
  stop(): void;
}

export async function progressView(ctx: CommandContext, services: readonly string[]): Promise<ProgressView> {
  // A terminal that reports no size (some CI pseudo-terminals) would crop the live view to nothing.
  if (!ctx.tty || !process.stderr.isTTY || !process.stderr.rows) {
    return {
      onEvent: (e) => {
        if ((e.status === "building" || e.status === "pulling") && e.detail && !e.detail.includes(" "))
          return;
        ctx.err(
          `[${(e.atMs / 1000).toFixed(1).padStart(6)}s] ${e.service}: ${e.status}${e.detail ? ` ${e.detail}` : ""}`,
        );
      },
      stop: () => undefined,
    };
  }
  const { createLogUpdate } = await import("log-update");
  const draw = createLogUpdate(process.stderr);
  const width = Math.max(...services.map((s) => s.length), 8);
  const rows = new Map<string, { status: string; detail: string; at: number; since: number }>(
    services.map((s) => [s, { status: "queued", detail: "", at: 0, since: performance.now() }]),
  );
  let frame = 0;
  const render = () => {
    frame = (frame + 1) % FRAMES.length;
    const lines = [...rows].map(([name, r]) => {
      const mark = DONE[r.status] ?? FRAMES[frame];
      const secs =
        r.status in DONE ? (r.at / 1000).toFixed(1) : ((performance.now() - r.since) / 1000).toFixed(1);
      return `${mark} ${name.padEnd(width)}  ${r.status.padEnd(11)} ${secs.padStart(6)}s  ${r.detail.slice(0, 60)}`;
    });
    draw(lines.join("\n"));
  };
  const timer = setInterval(render, 100);
  let stopped = false;
  return {
    onEvent: (e) => {
      const r = rows.get(e.service) ?? { status: "", detail: "", at: 0, since: performance.now() };
      if (r.status !== e.status) r.since = performance.now();
      r.status = e.status;
      r.detail = e.detail ?? "";
      r.at = e.atMs;
      rows.set(e.service, r);
    },
    stop: () => {
      if (stopped) return;
      stopped = true;
      clearInterval(timer);
      render();
      draw.done();
    },
  };
}
