/**
 * `plan`, `up`, `status`, `scale`, `logs`, `stop`, `down`, `backup`, `restore` and `verify` with the kubernetes target: the same Plan as the
 * Docker target, carried out by the same engine (src/engine/cluster.ts) over the Kubernetes
 * adapter — with Helm when it is installed, otherwise server-side apply. This module parses,
 * connects and renders.
 */
import fs from "node:fs";
import path from "node:path";
import type { ClusterAdapter } from "../adapters/adapter.js";
import { KubernetesTarget } from "../adapters/kubernetes/kubernetes-target.js";
import {
  formatBytes,
  NotDeployedError,
  NotScalableError,
  type Plan,
  type Stack,
  UsageError,
} from "../core/index.js";
import type { BackupTarget } from "../engine/backup.js";
import {
  clusterBackupTarget,
  downOnCluster,
  restartOnCluster,
  scaleOnCluster,
  stopOnCluster,
  upOnCluster,
} from "../engine/cluster.js";
import { ensureSecrets, maskSecrets, readSecrets, resolveEnv, resolveSecrets } from "../engine/secrets.js";
import { STATE_DIR, StateStore } from "../engine/state.js";
import { readinessOf } from "../engine/wait.js";
import { plan as makePlan } from "../planner/index.js";
import { clusterBudget, portableBudget } from "../resources/index.js";
import { ENGINE_WAIT_MS, openInput } from "./budget.js";
import { confirmDestruction, EXIT_DECLINED } from "./confirm.js";
import type { CommandContext } from "./context.js";
import { scaleOverrides, scaleRequest, serviceIn, stackNameOf, waitTimeoutOf } from "./engine-session.js";
import { logOptions, streamLogs } from "./log-stream.js";
import { loadProject } from "./project.js";
import { type HealthResult, reportHealth } from "./render/health-report.js";
import { renderTable } from "./render/table.js";

/**
 * The Plan for the cluster, for the commands that only need its services (status, logs, scale,
 * down): a function of the stack file, the profile and the sizing flags, as `deloc export` makes
 * it. Never of this machine's free host ports: a port moved because something listened here
 * changed Kafka's advertised listeners, so its config hash, so a second `up` rolled its pod.
 */
async function planForCluster(ctx: CommandContext, opts: Record<string, unknown>) {
  const { stack, catalog, capacity } = loadProject(ctx, opts);
  return { stack, plan: makePlan(stack, catalog, portableBudget(capacity)) };
}

/**
 * The stack a command acts on: `--stack NAME`, from the cluster's labels alone (no stack file; its
 * state in this folder, as on Docker), or the stack file's, with its plan.
 */
async function stackForCluster(
  ctx: CommandContext,
  opts: Record<string, unknown>,
): Promise<{ name: string; dir: string; plan: Plan | null }> {
  if (typeof opts.stack === "string") return { name: stackNameOf(opts.stack), dir: ctx.cwd, plan: null };
  const { stack, plan } = await planForCluster(ctx, opts);
  return { name: stack.name, dir: stack.dir, plan };
}

/**
 * The Plan `up` deploys and `plan` shows on the cluster: sized from the cluster's nodes (their
 * allocatable memory, less what the other pods request), unless `--memory`/`--cpus` say otherwise;
 * its ports as the file asks, as above.
 */
async function planOnCluster(ctx: CommandContext, opts: Record<string, unknown>, cluster: ClusterAdapter) {
  const { stack, catalog, capacity } = loadProject(ctx, opts);
  // Credentials limited to a namespace may not list the nodes: the profile's sizes then, said so.
  const budget = await cluster.capacity(stack.name).then(
    (c) => clusterBudget(c, capacity),
    (e: Error) => ({
      ...portableBudget(capacity),
      capacityNote: `the cluster's nodes and pods could not be read (${e.message.split("\n")[0]}): the profile's sizes`,
    }),
  );
  return { stack, plan: makePlan(stack, catalog, budget) };
}

/**
 * `deloc plan` on the kubernetes target: sized from the cluster when its API server answers within
 * `ENGINE_WAIT_MS`, else by the profile alone (as an export), which the plan says.
 */
export async function planOnClusterHere(
  ctx: CommandContext,
  opts: Record<string, unknown>,
): Promise<{ stack: Stack; plan: Plan }> {
  const { stack, catalog, capacity } = loadProject(ctx, opts);
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<string>((resolve) => {
    timer = setTimeout(
      () => resolve(`no Kubernetes API server answered within ${ENGINE_WAIT_MS / 1000} s`),
      ENGINE_WAIT_MS,
    );
  });
  try {
    const cluster = await Promise.race([
      connect(ctx, opts, stack).catch((e: Error) =>
        (e.message.split("\n")[0] ?? "No Kubernetes API server answered").replace(/\.$/, ""),
      ),
      late,
    ]);
    if (typeof cluster !== "string") return await planOnCluster(ctx, opts, cluster);
    const budget = { ...portableBudget(capacity), capacityNote: `${cluster}: the profile's sizes` };
    return { stack, plan: makePlan(stack, catalog, budget) };
  } finally {
    clearTimeout(timer);
  }
}

/** The stack's namespace: `--namespace`, `DELOC_NAMESPACE`, or the stack's name. */
function namespaceOf(ctx: CommandContext, opts: Record<string, unknown>, stack: string): string {
  return typeof opts.namespace === "string" ? opts.namespace : (ctx.env.DELOC_NAMESPACE ?? stack);
}

/** DELoc's own Kubernetes target, through the plugin registry: its commands use more than the ClusterAdapter. */
async function connect(
  ctx: CommandContext,
  opts: Record<string, unknown>,
  stack: { name: string; dir: string },
): Promise<KubernetesTarget> {
  const { openCluster } = await import("../adapters/registry.js");
  const cluster = await openCluster(
    "kubernetes",
    {
      ...openInput(ctx),
      namespace: namespaceOf(ctx, opts, stack.name),
      stateDir: path.join(stack.dir, STATE_DIR),
    },
    ctx.plugins,
  );
  if (!(cluster instanceof KubernetesTarget))
    throw new UsageError(
      "The kubernetes target of a plugin cannot run DELoc's Kubernetes commands (status, logs, verify…).",
      "Remove the plugin that provides the kubernetes target from spec.plugins to use DELoc's own.",
    );
  return cluster;
}

export async function kubernetesUp(ctx: CommandContext, opts: Record<string, unknown>): Promise<number> {
  const { stack } = loadProject(ctx, opts);
  const waitMs = waitTimeoutOf(opts); // a bad flag stops here, before the cluster is touched
  const store = new StateStore(stack.dir, stack.name, "up");
  store.lock();
  try {
    const cluster = await connect(ctx, opts, stack);
    const { plan } = await planOnCluster(ctx, opts, cluster);
    const secrets = ensureSecrets(stack.dir, plan.secrets);
    // A `deloc scale` lasts until the file's replicas change, as on Docker.
    const scaled = scaleOverrides(store, plan);
    for (const s of plan.services) s.replicas = scaled[s.name] ?? s.replicas;
    ctx.err(
      `Deploying ${plan.stack} on Kubernetes ${cluster.version} (${cluster.endpoint}), namespace ${cluster.namespace}`,
    );
    for (const note of plan.notes) ctx.err(`note: ${note}`);
    await upOnCluster({
      plan,
      cluster,
      store,
      secrets,
      rollback: opts.rollback !== false,
      ...(waitMs !== undefined ? { waitTimeoutMs: waitMs } : {}),
      onApplied: (line) => ctx.err(line),
      onEvent: (e) => {
        if (e.status === "ready")
          ctx.err(`${e.service}: ready (${e.detail}) after ${(e.atMs / 1000).toFixed(1)} s`);
      },
    });
    ctx.err(
      `${plan.stack} is ready. Reach it with \`kubectl -n ${cluster.namespace} port-forward svc/<service> <port>\`.`,
    );
    return 0;
  } finally {
    store.unlock();
  }
}

export async function kubernetesStatus(ctx: CommandContext, opts: Record<string, unknown>): Promise<number> {
  const stack = await stackForCluster(ctx, opts);
  const target = await connect(ctx, opts, stack);
  const [workloads, memory] = await Promise.all([
    target.workloads(stack.name),
    target
      .memoryUse(stack.name)
      .catch(() => new Map<string, { usedBytes: number; limitBytes: number | null }>()),
  ]);
  // The file's services; with `--stack`, those the cluster's labels name.
  const services =
    stack.plan?.services.map((s) => ({ name: s.name, replicas: s.replicas })) ??
    workloads.map((w) => ({ name: w.service, replicas: w.desired }));
  const rows = services.map((s) => {
    const w = workloads.find((x) => x.service === s.name);
    // A one-shot's finished pod uses nothing; the rest sum over their pods (replicas).
    const use = (w?.pods ?? []).map((p) => memory.get(p)).filter((m) => m !== undefined);
    return {
      service: s.name,
      kind: w?.kind ?? null,
      condition: !w
        ? "not deployed"
        : w.kind !== "Job" && w.desired === 0
          ? "stopped"
          : w.state === "ready"
            ? w.kind === "Job"
              ? "completed"
              : "running"
            : w.state,
      ready: w?.ready ?? 0,
      desired: w?.desired ?? s.replicas,
      restarts: w?.restarts ?? 0,
      detail: w?.detail ?? "",
      pods: w?.pods ?? [],
      /** Working set of its running pods, and their limits, from the kubelets' summary API. */
      memoryBytes: use.length ? use.reduce((n, m) => n + m.usedBytes, 0) : null,
      memoryLimitBytes:
        use.length && use.every((m) => m.limitBytes !== null)
          ? use.reduce((n, m) => n + (m.limitBytes ?? 0), 0)
          : null,
    };
  });
  if (opts.json)
    ctx.out(
      JSON.stringify(
        {
          stack: stack.name,
          target: "kubernetes",
          namespace: target.namespace,
          server: target.server,
          services: rows,
        },
        null,
        2,
      ),
    );
  else {
    ctx.out(
      `Stack ${stack.name} on Kubernetes ${target.version} (${target.server}), namespace ${target.namespace}`,
    );
    ctx.out(
      renderTable(
        ["SERVICE", "KIND", "CONDITION", "READY", "MEMORY", "RESTARTS", "DETAIL"],
        rows.map((r) => [
          r.service,
          r.kind ?? "-",
          r.condition,
          `${r.ready}/${r.desired}`,
          r.memoryBytes === null
            ? "-"
            : r.memoryLimitBytes
              ? `${formatBytes(r.memoryBytes)} / ${formatBytes(r.memoryLimitBytes)} (${Math.round((100 * r.memoryBytes) / r.memoryLimitBytes)}%)`
              : formatBytes(r.memoryBytes),
          String(r.restarts),
          r.detail,
        ]),
      ),
    );
  }
  return 0;
}

export async function kubernetesScale(
  ctx: CommandContext,
  args: string[],
  opts: Record<string, unknown>,
): Promise<number> {
  const { stack, plan } = await planForCluster(ctx, opts);
  const { service: s, replicas: n } = scaleRequest(plan, args);
  if (s.oneShot)
    throw new NotScalableError(
      `${s.name} cannot be scaled: it is a one-shot task (a Job on Kubernetes).`,
      "Scale a stateless service, e.g. spark-worker.",
    );
  const store = new StateStore(stack.dir, stack.name, "scale");
  store.lock();
  try {
    const cluster = await connect(ctx, opts, stack);
    await scaleOnCluster({ cluster, store, plan, service: s, count: n });
    ctx.err(`${s.name}: scaled to ${n} replicas.`);
    return 0;
  } finally {
    store.unlock();
  }
}

export async function kubernetesLogs(
  ctx: CommandContext,
  args: string[],
  opts: Record<string, unknown>,
): Promise<number> {
  const { stack, plan } = await planForCluster(ctx, opts);
  const service = args[0] ?? "";
  if (!plan.services.some((s) => s.name === service))
    throw new UsageError(
      `No service "${service}" in stack ${plan.stack}.`,
      `Its services: ${plan.services.map((s) => s.name).join(", ")}`,
    );
  const how = logOptions(opts);
  const target = await connect(ctx, opts, stack);
  const w = (await target.workloadStates(plan.stack)).find((x) => x.service === service);
  if (!w?.pods.length)
    throw new NotDeployedError(
      `${service} has no pod on Kubernetes.`,
      "`deloc up --target kubernetes` deploys it.",
    );
  await streamLogs(
    ctx,
    w.pods.map((pod) => ({
      name: pod.name,
      lines: (signal) => target.logLines(pod.name, service, { ...how, signal }),
    })),
    readSecrets(stack.dir),
  );
  return 0;
}

export async function kubernetesDown(ctx: CommandContext, opts: Record<string, unknown>): Promise<number> {
  return removeFromCluster(ctx, opts, opts.volumes === true ? "down --volumes" : "down");
}

/**
 * `deloc cleanup` on the cluster: everything of the stack goes — its objects, its claims (asked
 * first, as `down --volumes`) and `.deloc/`. Images are the cluster's nodes' own: none is removed.
 */
export async function kubernetesCleanup(ctx: CommandContext, opts: Record<string, unknown>): Promise<number> {
  return removeFromCluster(ctx, opts, "cleanup");
}

async function removeFromCluster(
  ctx: CommandContext,
  opts: Record<string, unknown>,
  command: "down" | "down --volumes" | "cleanup",
): Promise<number> {
  const stack = await stackForCluster(ctx, opts);
  const volumes = command !== "down";
  const store = new StateStore(stack.dir, stack.name, command.split(" ")[0]!);
  store.lock();
  try {
    const cluster = await connect(ctx, opts, stack);
    if (volumes) {
      const claims = await cluster.claims(stack.name);
      const flags = `${typeof opts.stack === "string" ? ` --stack ${stack.name}` : ""}${typeof opts.namespace === "string" ? ` -n ${opts.namespace}` : ""}`;
      const ok = await confirmDestruction(ctx, opts, {
        command: `deloc ${command} --target kubernetes${flags}`,
        verb: "delete",
        noun: "PersistentVolumeClaim",
        where: `of stack ${stack.name} in namespace ${cluster.namespace}`,
        items: claims.map((c) => ({ name: c.name, bytes: c.requestBytes, services: [] })),
        alternative: `\`deloc down --target kubernetes${flags}\` removes the workloads and keeps the claims`,
        backups: [],
      });
      if (!ok) return EXIT_DECLINED;
    }
    const gone = await downOnCluster({ cluster, store, stack: stack.name, volumes });
    const release = gone.find((g) => g.startsWith("helm release"));
    if (release) ctx.err(`helm uninstall ${stack.name}: done`);
    const objects = `${gone.length - (release ? 1 : 0)} objects from namespace ${cluster.namespace}`;
    if (command === "cleanup") {
      store.unlock();
      fs.rmSync(path.join(stack.dir, STATE_DIR), { recursive: true, force: true });
      ctx.err(`Cleaned up ${stack.name}: removed ${objects} (claims and their data too), and ${STATE_DIR}/.`);
    } else
      ctx.err(
        `${stack.name}: removed ${objects}${volumes ? " (claims and their data too)" : "; claims (your data) kept"}.`,
      );
    return 0;
  } finally {
    store.unlock();
  }
}

export async function kubernetesStop(
  ctx: CommandContext,
  args: string[],
  opts: Record<string, unknown>,
): Promise<number> {
  const stack = await stackForCluster(ctx, opts);
  const names = stack.plan ? args.map((a) => serviceIn(stack.plan!, a)) : args;
  const store = new StateStore(stack.dir, stack.name, "stop");
  store.lock();
  try {
    const cluster = await connect(ctx, opts, stack);
    const stopped = await stopOnCluster({
      cluster,
      store,
      stack: stack.name,
      ...(stack.plan ? { plan: stack.plan } : {}),
      ...(names.length ? { services: names } : {}),
    });
    ctx.err(
      stopped.length
        ? `Stopped ${stopped.join(", ")} (scaled to no pods; claims kept). \`deloc up --target kubernetes\` starts them again.`
        : `Nothing of ${stack.name} was running in namespace ${cluster.namespace}.`,
    );
    return 0;
  } finally {
    store.unlock();
  }
}

/** `deloc restart` on the cluster: new pods in start order, each service waited for until ready. */
export async function kubernetesRestart(
  ctx: CommandContext,
  args: string[],
  opts: Record<string, unknown>,
): Promise<number> {
  const { stack, plan } = await planForCluster(ctx, opts);
  const names = args.length
    ? args.map((a) => serviceIn(plan, a))
    : plan.services.filter((s) => !s.oneShot).map((s) => s.name);
  const store = new StateStore(stack.dir, stack.name, "restart");
  store.lock();
  try {
    const cluster = await connect(ctx, opts, stack);
    await restartOnCluster({
      cluster,
      store,
      plan,
      services: names,
      onEvent: (e) => {
        if (e.status === "ready") ctx.err(`${e.service}: restarted and ready (${e.detail})`);
      },
    });
    return 0;
  } finally {
    store.unlock();
  }
}

/** The service of a backup or restore on the cluster, with the lock held until `run` ends. */
export async function onClusterService<T>(
  ctx: CommandContext,
  opts: Record<string, unknown>,
  command: "backup" | "restore",
  name: string | undefined,
  run: (t: BackupTarget) => Promise<T>,
): Promise<T> {
  const { stack, plan } = await planForCluster(ctx, opts);
  const service = plan.services.find((s) => s.name === serviceIn(plan, name))!;
  const store = new StateStore(stack.dir, stack.name, command);
  store.lock();
  try {
    const cluster = await connect(ctx, opts, stack);
    return await run(await clusterBackupTarget(cluster, plan, service, store));
  } finally {
    store.unlock();
  }
}

/**
 * What `verify` and `health` run on the cluster with: the plan, the services asked for (all by
 * default), the cluster, and the secrets the pods run with (the cluster's Secret first: a chart
 * installed by hand generated its own).
 */
async function probing(ctx: CommandContext, args: string[], opts: Record<string, unknown>) {
  const { stack, plan } = await planForCluster(ctx, opts);
  const names = args.length ? args.map((a) => serviceIn(plan, a)) : plan.services.map((s) => s.name);
  const target = await connect(ctx, opts, stack);
  const secrets = { ...readSecrets(stack.dir), ...(await target.secrets(plan.stack)) };
  return { plan, names, target, secrets };
}

/**
 * `deloc verify` on the cluster: the same probes, from this machine, each service's ports reached
 * through the API server's port-forward to a Ready pod (Kafka's advertised listener too); a client
 * inside the stack (the Spark driver) is a one-off pod in the namespace; command probes run in the
 * service's pod through exec.
 */
export async function kubernetesVerify(
  ctx: CommandContext,
  args: string[],
  opts: Record<string, unknown>,
): Promise<number> {
  const { plan, names, target, secrets } = await probing(ctx, args, opts);
  const services = plan.services.filter((s) => names.includes(s.name) && !s.oneShot);
  const forwards = new Map<string, { host: string; port: number; close: () => void }>();
  const routes = new Map<string, { host: string; port: number }>();
  const unreachable = new Map<string, string>();
  try {
    for (const s of services)
      for (const p of s.ports.filter((q) => q.protocol === "tcp")) {
        const f = await target.forward(plan.stack, s.name, p.container).catch((e: Error) => e);
        if (f instanceof Error) {
          unreachable.set(`${s.name}:${p.container}`, f.message); // its probe says so
          continue;
        }
        forwards.set(`${s.name}:${p.container}`, f);
        // What the service tells its clients: `localhost:<published port>` (Kafka's EXTERNAL
        // listener) and `<service>:<port>` (addresses inside the stack).
        routes.set(`localhost:${p.host}`, f);
        routes.set(`${s.name}:${p.container}`, f);
      }
    const { COMMAND_PROBE_TIMEOUT_MS, verify } = await import("../verify/run.js");
    const { reportVerify } = await import("./render/verify-report.js");
    const results = (
      await verify(services, (s) => resolveEnv(s.env, secrets), {
        reach: (s, port) => {
          const f = forwards.get(`${s.name}:${port}`);
          if (f) return f;
          throw new Error(
            unreachable.get(`${s.name}:${port}`) ?? `${s.name} has no port ${port} to forward to`,
          );
        },
        route: (host, port) => routes.get(`${host}:${port}`),
        runInStack: (image, argv, memoryBytes, env, signal) =>
          target.runPod(plan.stack, { image, argv, env, memoryBytes, signal }),
        execIn: (s, argv) => target.exec(plan.stack, s.name, argv, { timeoutMs: COMMAND_PROBE_TIMEOUT_MS }),
        ...(ctx.plugins ? { probes: ctx.plugins.probes } : {}),
      })
    ).map((r) => ({ ...r, detail: maskSecrets(r.detail, secrets) }));
    return reportVerify(ctx, opts, plan.stack, results);
  } finally {
    for (const f of forwards.values()) f.close();
  }
}

/**
 * `deloc health` on the cluster: each service's check run now in each of its pods (through the API
 * server's exec), as on Docker in each container; a one-shot task reports whether its Job completed.
 */
export async function kubernetesHealth(
  ctx: CommandContext,
  args: string[],
  opts: Record<string, unknown>,
): Promise<number> {
  const { plan, names, target, secrets } = await probing(ctx, args, opts);
  const workloads = await target.workloadStates(plan.stack);
  const results = await Promise.all(
    plan.services
      .filter((s) => names.includes(s.name))
      .flatMap((s): Promise<HealthResult>[] => {
        const w = workloads.find((x) => x.service === s.name);
        const row = (replica: number, ok: boolean, check: string, output: string, ms = 0) =>
          Promise.resolve({ service: s.name, replica, ok, check, output, ms });
        if (w?.kind === "Job")
          return [
            row(1, w.succeeded > 0, "completed", w.succeeded > 0 ? "completed" : `${w.failed} failed runs`),
          ];
        if (!w?.pods.some((p) => !p.terminating))
          return [row(0, false, readinessOf(s), w ? "no pod" : "not deployed")];
        // The pods of the service now: not those a rollout (a restart) is deleting.
        return w.pods
          .filter((p) => !p.terminating)
          .sort((a, b) => a.name.localeCompare(b.name))
          .map(async (pod, i) => {
            if (!pod.running) return row(i + 1, false, readinessOf(s), pod.problem ?? "not running");
            if (!s.healthCheck) return row(i + 1, pod.ready, "started", "running (no health check)");
            const t = performance.now();
            const argv = s.healthCheck.command.map((a) => resolveSecrets(a, secrets));
            const r = await target
              .execInPod(pod.name, s.name, argv, { timeoutMs: s.healthCheck.timeoutMs })
              .catch((e: Error) => ({ exitCode: -1, output: e.message }));
            // A check may echo what it was given (a password in its arguments or environment).
            const said = maskSecrets(r.output.trim().split("\n").at(-1) ?? "", secrets);
            return row(
              i + 1,
              r.exitCode === 0,
              s.healthCheck.command.join(" "),
              said,
              Math.round(performance.now() - t),
            );
          });
      }),
  );
  return reportHealth(ctx, opts, plan.stack, results);
}
