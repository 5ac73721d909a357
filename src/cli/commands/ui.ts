/**
 * `deloc ui`: a live dashboard of the stack on 127.0.0.1. The first line printed is its URL (with
 * the token every request needs). The view is refreshed at each of the engine's events for the
 * stack and every two seconds (memory, the event log), and streamed to open pages.
 */
import { spawn } from "node:child_process";
import { UsageError } from "../../core/index.js";
import { restartServices, scaleService } from "../../engine/lifecycle.js";
import { formatMetrics } from "../../engine/metrics.js";
import { maskSecrets, readSecrets } from "../../engine/secrets.js";
import { recoverySet, Supervisor } from "../../engine/supervisor.js";
import { type DashboardServer, serveDashboard } from "../../ui/server.js";
import type { Activity, DashboardState } from "../../ui/view.js";
import type { CommandRun } from "../command.js";
import {
  openSession,
  planForEngine,
  scaleOverrides,
  scaleRequest,
  serviceIn,
  stackSecrets,
} from "../engine-session.js";
import { dashboardView, lookAtStack, metricsOf } from "../stack-view.js";
import { untilSignal } from "../supervise.js";
import { dockerOnly } from "../target.js";
import { verifyStack } from "./verify.js";

const REFRESH_MS = 2000;

export const ui: CommandRun = async (ctx, _args, opts) => {
  const port = opts.port === undefined ? 0 : Number(opts.port);
  if (!Number.isInteger(port) || port < 0 || port > 65535)
    throw new UsageError(
      `--port: "${String(opts.port)}" is not a port.`,
      "Give a number from 1 to 65535, or leave it out for a free one.",
    );
  dockerOnly(ctx, opts, "ui");
  const session = await openSession(ctx, opts, "ui", { lock: false });
  const { adapter, project, store } = session;
  const stack = project.stack.name;
  const dir = project.stack.dir;
  const plan = await planForEngine(session, await adapter.info(), await adapter.observe(stack));

  const state: DashboardState = { view: null, verify: null, busy: null, activity: [], circuits: {} };
  let server: DashboardServer | null = null;
  const note = (text: string, level: Activity["level"] = "info", service?: string) => {
    state.activity.push({ at: new Date().toISOString(), text, level, ...(service ? { service } : {}) });
    if (state.activity.length > 200) state.activity.splice(0, state.activity.length - 200);
    server?.push();
  };

  let refreshing: Promise<void> | null = null;
  const refresh = (): Promise<void> => {
    refreshing ??= (async () => {
      try {
        const look = await lookAtStack(adapter, stack, plan, store);
        state.view = dashboardView(look, plan, readSecrets(dir), store.read()?.state ?? "unknown");
        state.circuits = supervisor.circuits();
        delete state.error;
      } catch (e) {
        state.view = null;
        state.error = (e as Error).message.split("\n")[0];
      }
      server?.push();
    })().finally(() => {
      refreshing = null;
    });
    return refreshing;
  };

  /** One action at a time; its progress goes to the activity list, its outcome to the caller. */
  const exclusive = async <T>(name: string, run: () => Promise<T>): Promise<T> => {
    if (state.busy)
      throw new UsageError(
        `${state.busy} is running; wait for it to finish.`,
        "The dashboard runs one action at a time.",
      );
    state.busy = name;
    note(`${name}…`);
    try {
      const out = await run();
      note(`${name}: done`);
      return out;
    } catch (e) {
      note(`${name} failed: ${maskSecrets((e as Error).message, readSecrets(dir)).split("\n")[0]}`, "error");
      throw e;
    } finally {
      state.busy = null;
      await refresh();
    }
  };

  /** Under the stack's lock, with the supervisor told not to count the deaths the action causes. */
  const locked = async <T>(services: readonly string[], run: () => Promise<T>): Promise<T> => {
    store.lock();
    try {
      return await supervisor.whileActing(services, run);
    } finally {
      store.unlock();
    }
  };

  const progress = (e: { service: string; status: string; detail?: string }) =>
    note(
      `${e.status}${e.detail ? `: ${maskSecrets(e.detail, readSecrets(dir))}` : ""}`,
      e.status === "failed" ? "error" : "info",
      e.service,
    );

  const serviceNamed = (body: Record<string, unknown>) =>
    serviceIn(plan, typeof body.service === "string" ? body.service : undefined);
  /** Restarts services in start order, waiting for each, as `deloc restart` does. */
  const restartAction = (name: string, services: string[]) =>
    exclusive(`${name} ${services.join(", ")}`, () =>
      locked(services, async () => ({
        restarted: await restartServices({
          adapter,
          store,
          plan,
          observed: await adapter.observe(stack),
          secrets: readSecrets(dir),
          services,
          onEvent: progress,
        }),
      })),
    );

  const actions: Record<string, (body: Record<string, unknown>) => Promise<unknown>> = {
    verify: () =>
      exclusive("verify", async () => {
        const { results } = await verifyStack(session, [], ctx.version, ctx.plugins?.probes);
        state.verify = {
          at: new Date().toISOString(),
          ok: results.every((r) => r.status === "passed"),
          probes: results.map((r) => ({
            service: r.service,
            probe: r.what ?? "",
            status: r.status,
            ms: r.ms,
            detail: r.detail,
          })),
        };
        return state.verify;
      }),
    restart: (body) => restartAction("restart", [serviceNamed(body)]),
    recover: (body) => restartAction("recover", recoverySet(plan, serviceNamed(body))),
    scale: (body) => {
      const { service, replicas } = scaleRequest(plan, [
        String(body.service ?? ""),
        String(body.replicas ?? ""),
      ]);
      return exclusive(`scale ${service.name} to ${replicas}`, () =>
        locked([service.name], async () => {
          const observed = await adapter.observe(stack);
          const result = await scaleService({
            plan,
            adapter,
            store,
            service: service.name,
            count: replicas,
            replicas: scaleOverrides(store, plan),
            secrets: await stackSecrets(ctx, session, plan, observed),
            deployedBy: ctx.version,
            runId: `scale${Date.now().toString(36)}`,
            onEvent: (e) => (e.service === service.name ? progress(e) : undefined),
          });
          return { service: service.name, replicas, changed: result.changed, removed: result.removed };
        }),
      );
    },
  };

  const supervisor = Supervisor.start({
    adapter,
    store,
    plan,
    secrets: readSecrets(dir),
    // Each decision is in the event log, which the timeline shows: a fresh view carries it.
    onDecision: () => void refresh(),
  });
  await refresh();
  server = await serveDashboard(
    {
      state: () => JSON.stringify(state),
      metrics: async () => formatMetrics(metricsOf(await lookAtStack(adapter, stack, plan, store))),
      logs: (service, signal) => serviceLogs(service, signal),
      action: (name, body) => actions[name]!(body),
    },
    { port, title: stack },
  ).catch((e: NodeJS.ErrnoException) => {
    if (e.code === "EADDRINUSE")
      throw new UsageError(
        `--port ${port}: the port is taken.`,
        "Give another, or leave --port out for a free one.",
      );
    throw e;
  });
  ctx.out(server.url);
  ctx.err(`Dashboard of ${stack} at ${server.url} (Ctrl-C stops it)`);
  if (opts.open !== false) openBrowser(server.url);

  async function* serviceLogs(service: string, signal: AbortSignal): AsyncIterable<string> {
    const name = serviceIn(plan, service);
    const containers = (await adapter.observe(stack)).containers.filter((c) => c.service === name);
    if (containers.length === 0) throw new Error(`${name} has no container on the engine.`);
    const secrets = readSecrets(dir);
    const lines: string[] = [];
    const waiting: { wake: (() => void) | null } = { wake: null };
    let open = containers.length;
    for (const c of containers)
      void (async () => {
        try {
          for await (const line of adapter.logs(c.id, { follow: true, tail: 200, signal })) {
            lines.push((containers.length > 1 ? `${c.name} | ` : "") + maskSecrets(line, secrets));
            waiting.wake?.();
          }
        } catch {
          // the container went away: its log ends here
        } finally {
          open--;
          waiting.wake?.();
        }
      })();
    while (!signal.aborted && (open > 0 || lines.length)) {
      if (lines.length) yield lines.shift()!;
      else
        await new Promise<void>((r) => {
          waiting.wake = r;
        });
      waiting.wake = null;
    }
  }

  const follow = new AbortController();
  void (async () => {
    try {
      for await (const _ of adapter.events(stack, follow.signal)) void refresh();
    } catch {
      // no events from this engine: the timer alone keeps the view fresh
    }
  })();
  const timer = setInterval(() => void refresh(), REFRESH_MS);
  await untilSignal();
  clearInterval(timer);
  follow.abort();
  supervisor.close();
  await server.close();
  return 0;
};

/** Opens the URL in the desktop's browser, when there is one; nothing happens otherwise. */
function openBrowser(url: string): void {
  const cmd = process.platform === "darwin" ? "open" : process.platform === "win32" ? "explorer" : "xdg-open";
  try {
    const child = spawn(cmd, [url], { stdio: "ignore", detached: true });
    child.on("error", () => {});
    child.unref();
  } catch {
    // no browser to open: the URL is printed
  }
}
