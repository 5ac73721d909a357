/**
 * `up`, `status`, `scale`, `logs` and `down` with the kubernetes target: the same Plan as the
 * Docker target, carried out by the same engine (src/engine/cluster.ts) over the Kubernetes
 * adapter — with Helm when it is installed, otherwise server-side apply. This module parses,
 * connects and renders.
 */
import path from "node:path";
import { findHelm } from "../adapters/kubernetes/helm.js";
import { KubernetesTarget } from "../adapters/kubernetes/kubernetes-target.js";
import { NotDeployedError, NotScalableError, UsageError } from "../core/index.js";
import { downOnCluster, scaleOnCluster, upOnCluster } from "../engine/cluster.js";
import { ensureSecrets, maskSecrets, readSecrets } from "../engine/secrets.js";
import { STATE_DIR, StateStore } from "../engine/state.js";
import { planHere } from "./commands/plan.js";
import type { CommandContext } from "./context.js";
import { scaleOverrides, scaleRequest, waitTimeoutOf } from "./engine-session.js";
import { renderTable } from "./render/table.js";

/** The stack's namespace: `--namespace`, `DELOC_NAMESPACE`, or the stack's name. */
function namespaceOf(ctx: CommandContext, opts: Record<string, unknown>, stack: string): string {
  return typeof opts.namespace === "string" ? opts.namespace : (ctx.env.DELOC_NAMESPACE ?? stack);
}

function connect(ctx: CommandContext, opts: Record<string, unknown>, stack: { name: string; dir: string }) {
  return KubernetesTarget.connect(namespaceOf(ctx, opts, stack.name), {
    helm: findHelm(ctx.env),
    stateDir: path.join(stack.dir, STATE_DIR),
  });
}

export async function kubernetesUp(ctx: CommandContext, opts: Record<string, unknown>): Promise<number> {
  const { stack, plan } = await planHere(ctx, opts);
  const waitMs = waitTimeoutOf(opts); // a bad flag stops here, before the cluster is touched
  const store = new StateStore(stack.dir, stack.name, "up");
  store.lock();
  try {
    const cluster = await connect(ctx, opts, stack);
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
  const { stack, plan } = await planHere(ctx, opts);
  const target = await connect(ctx, opts, stack);
  const workloads = await target.workloads(plan.stack);
  const rows = plan.services.map((s) => {
    const w = workloads.find((x) => x.service === s.name);
    return {
      service: s.name,
      kind: w?.kind ?? null,
      condition: !w
        ? "not deployed"
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
    };
  });
  if (opts.json)
    ctx.out(
      JSON.stringify(
        {
          stack: plan.stack,
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
      `Stack ${plan.stack} on Kubernetes ${target.version} (${target.server}), namespace ${target.namespace}`,
    );
    ctx.out(
      renderTable(
        ["SERVICE", "KIND", "CONDITION", "READY", "RESTARTS", "DETAIL"],
        rows.map((r) => [
          r.service,
          r.kind ?? "-",
          r.condition,
          `${r.ready}/${r.desired}`,
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
  const { stack, plan } = await planHere(ctx, opts);
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
  if (opts.follow)
    throw new UsageError(
      "deloc logs --follow does not follow pods on Kubernetes yet; nothing was printed.",
      `Use \`kubectl logs -f -l dev.deloc.service=${args[0]}\`, or drop --follow for the lines so far.`,
    );
  const { stack, plan } = await planHere(ctx, opts);
  const target = await connect(ctx, opts, stack);
  const w = (await target.workloadStates(plan.stack)).find((x) => x.service === args[0]);
  if (!w?.pods.length)
    throw new NotDeployedError(
      `${args[0]} has no pod on Kubernetes.`,
      "`deloc up --target kubernetes` deploys it.",
    );
  const tail = opts.tail === undefined ? undefined : Number(opts.tail);
  const secrets = readSecrets(stack.dir);
  for (const pod of w.pods) {
    const prefix = w.pods.length > 1 ? `${pod.name} | ` : "";
    for (const line of (await target.podLogs(pod.name, tail)).split("\n").filter(Boolean))
      ctx.out(prefix + maskSecrets(line, secrets));
  }
  return 0;
}

export async function kubernetesDown(ctx: CommandContext, opts: Record<string, unknown>): Promise<number> {
  const { stack } = await planHere(ctx, opts);
  const store = new StateStore(stack.dir, stack.name, "down");
  store.lock();
  try {
    const cluster = await connect(ctx, opts, stack);
    const gone = await downOnCluster({ cluster, store, stack: stack.name, volumes: opts.volumes === true });
    const release = gone.find((g) => g.startsWith("helm release"));
    if (release) ctx.err(`helm uninstall ${stack.name}: done`);
    ctx.err(
      `${stack.name}: removed ${gone.length - (release ? 1 : 0)} objects from namespace ${cluster.namespace}${opts.volumes ? " (claims and their data too)" : "; claims (your data) kept"}.`,
    );
    return 0;
  } finally {
    store.unlock();
  }
}
