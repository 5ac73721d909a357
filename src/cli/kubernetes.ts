/**
 * `up`, `status`, `scale`, `logs` and `down` with the kubernetes target: the same Plan as the
 * Docker target, applied as the chart's objects (with Helm when it is installed, otherwise
 * server-side apply), then waited for phase by phase with the same progress lines and errors.
 */
import { spawnSync } from "node:child_process";
import fs from "node:fs";
import path from "node:path";
import { stringify } from "yaml";
import { type K8sObject, KubernetesTarget } from "../adapters/kubernetes/kubernetes-target.js";
import { readiness, type WorkloadState } from "../adapters/kubernetes/readiness.js";
import {
  DeployFailedError,
  NotDeployedError,
  NotScalableError,
  type Plan,
  type ServiceFailure,
  UsageError,
} from "../core/index.js";
import { ensureSecrets, maskSecrets, readSecrets } from "../engine/secrets.js";
import { StateStore } from "../engine/state.js";
import { helmChart } from "../export/helm/chart.js";
import { k8sManifestObjects } from "../export/k8s/manifests.js";
import { planHere } from "./commands/plan.js";
import type { CommandContext } from "./context.js";
import { scaleOverrides, scaleRequest, waitTimeoutOf } from "./engine-session.js";
import { renderTable } from "./render/table.js";

/** The stack's namespace: `--namespace`, `DELOC_NAMESPACE`, or the stack's name. */
function namespaceOf(ctx: CommandContext, opts: Record<string, unknown>, stack: string): string {
  return typeof opts.namespace === "string" ? opts.namespace : (ctx.env.DELOC_NAMESPACE ?? stack);
}

/** `DELOC_HELM`, or `helm` on the PATH; none: server-side apply. */
function findHelm(ctx: CommandContext): string | null {
  if (ctx.env.DELOC_HELM) return ctx.env.DELOC_HELM;
  for (const dir of (ctx.env.PATH ?? "").split(path.delimiter))
    if (dir && fs.existsSync(path.join(dir, "helm"))) return path.join(dir, "helm");
  return null;
}

export async function kubernetesUp(ctx: CommandContext, opts: Record<string, unknown>): Promise<number> {
  const { stack, plan } = await planHere(ctx, opts);
  const waitMs = waitTimeoutOf(opts); // a bad flag stops here, before the cluster is touched
  const store = new StateStore(stack.dir, stack.name, "up");
  store.lock();
  try {
    const target = await KubernetesTarget.connect(namespaceOf(ctx, opts, stack.name));
    const secrets = ensureSecrets(stack.dir, plan.secrets);
    const state = store.read() ?? store.fresh();
    // A `deloc scale` lasts until the file's replicas change, as on Docker.
    const scaled = scaleOverrides(store, plan);
    for (const s of plan.services) s.replicas = scaled[s.name] ?? s.replicas;
    store.move(state, "deploying", `up on ${target.server}`);
    store.write(state);
    ctx.err(
      `Deploying ${plan.stack} on Kubernetes ${target.version} (${target.server}), namespace ${target.namespace}`,
    );
    for (const note of plan.notes) ctx.err(`note: ${note}`);

    const helm = findHelm(ctx);
    if (helm) helmInstall(ctx, helm, plan, target.namespace, secrets, stack.dir);
    else {
      const objects = k8sManifestObjects(plan, { namespace: target.namespace, secrets }) as K8sObject[];
      const { applied, pruned } = await target.apply(plan.stack, objects);
      ctx.err(
        `applied ${applied.length} objects (server-side apply)${pruned.length ? `; pruned ${pruned.join(", ")}` : ""}`,
      );
    }
    try {
      await waitForPhases(ctx, target, plan, waitMs);
    } catch (e) {
      store.move(state, "failed", "up failed");
      store.write(state);
      throw e;
    }
    store.move(state, "running", "up");
    store.write(state);
    ctx.err(
      `${plan.stack} is ready. Reach it with \`kubectl -n ${target.namespace} port-forward svc/<service> <port>\`.`,
    );
    return 0;
  } finally {
    store.unlock();
  }
}

function helmInstall(
  ctx: CommandContext,
  helm: string,
  plan: Plan,
  namespace: string,
  secrets: Readonly<Record<string, string>>,
  stackDir: string,
): void {
  const dir = path.join(stackDir, ".deloc", "chart", plan.stack);
  fs.rmSync(dir, { recursive: true, force: true });
  for (const [name, text] of Object.entries(helmChart(plan))) {
    fs.mkdirSync(path.dirname(path.join(dir, name)), { recursive: true });
    fs.writeFileSync(path.join(dir, name), text);
  }
  // The stack's own secrets, so the data made on an earlier deploy stays readable.
  const values = path.join(stackDir, ".deloc", "helm-secrets.yaml");
  fs.writeFileSync(values, stringify({ secrets }), { mode: 0o600 });
  const args = [
    "upgrade",
    "--install",
    plan.stack,
    dir,
    "--namespace",
    namespace,
    "--create-namespace",
    // Claims kept from a deploy without Helm (or from an earlier release) are adopted.
    "--take-ownership",
    "-f",
    values,
  ];
  const r = spawnSync(helm, args, { encoding: "utf8" });
  if (r.status !== 0)
    throw new DeployFailedError(
      [
        {
          service: plan.stack,
          reason: "create-failed",
          message: `helm ${args.slice(0, 3).join(" ")} failed: ${(r.stderr || r.error?.message || "").trim()}`,
          logTail: [],
        },
      ],
      [],
      "The chart is in .deloc/chart; `helm lint` it, or unset DELOC_HELM to apply without Helm.",
    );
  ctx.err(
    `helm upgrade --install ${plan.stack}: ${r.stdout.split("\n").find((l) => l.startsWith("STATUS")) ?? "done"}`,
  );
}

/** Waits for each phase's services in start order; a service fails fast on a reason that will not clear. */
async function waitForPhases(
  ctx: CommandContext,
  target: KubernetesTarget,
  plan: Plan,
  fixed: number | undefined,
): Promise<void> {
  const t0 = Date.now();
  for (const phase of plan.phases) {
    const pending = new Set(phase);
    const deadline = new Map(
      phase.map((name) => {
        const h = plan.services.find((s) => s.name === name)!.healthCheck;
        // As patient as `up` on Docker, plus a minute to schedule the pod and pull its image.
        const ms = fixed ?? (h ? h.startPeriodMs + h.retries * h.intervalMs : 0) + 60_000;
        return [name, Date.now() + ms];
      }),
    );
    while (pending.size) {
      const workloads = await target.workloads(plan.stack);
      const failures: ServiceFailure[] = [];
      for (const name of pending) {
        const w = workloads.find((x) => x.service === name);
        const r = w ? readiness(w) : { state: "starting" as const, detail: "not created yet" };
        if (r.state === "ready") {
          pending.delete(name);
          ctx.err(
            `${name}: ready${w && w.kind !== "Job" ? ` (${w.ready}/${w.desired})` : " (completed)"} after ${((Date.now() - t0) / 1000).toFixed(1)} s`,
          );
        } else if (r.state === "failed" || Date.now() > deadline.get(name)!)
          failures.push({
            service: name,
            reason: r.state === "failed" && /OOMKilled/.test(r.reason) ? "oom-killed" : "unhealthy",
            message: r.state === "failed" ? r.reason : `not ready in time: ${r.detail}`,
            logTail: w ? await lastLines(target, w) : [],
          });
      }
      if (failures.length)
        throw new DeployFailedError(
          failures,
          [],
          `\`kubectl -n ${target.namespace} describe pod -l dev.deloc.service=${failures[0]!.service}\` says more; what ran before this deploy is left as it was by Kubernetes' rolling update.`,
        );
      if (pending.size) await new Promise((r) => setTimeout(r, 1000));
    }
  }
}

async function lastLines(target: KubernetesTarget, w: WorkloadState): Promise<string[]> {
  const pod = w.pods[0];
  if (!pod) return [];
  return (await target.podLogs(pod.name, 10).catch(() => "")).split("\n").filter(Boolean);
}

export async function kubernetesStatus(ctx: CommandContext, opts: Record<string, unknown>): Promise<number> {
  const { stack, plan } = await planHere(ctx, opts);
  const target = await KubernetesTarget.connect(namespaceOf(ctx, opts, stack.name));
  const workloads = await target.workloads(plan.stack);
  const rows = plan.services.map((s) => {
    const w = workloads.find((x) => x.service === s.name);
    const r = w ? readiness(w) : null;
    return {
      service: s.name,
      kind: w?.kind ?? null,
      condition: !w
        ? "not deployed"
        : r!.state === "ready"
          ? w.kind === "Job"
            ? "completed"
            : "running"
          : r!.state === "failed"
            ? "failed"
            : "starting",
      ready: w ? (w.kind === "Job" ? w.succeeded : w.ready) : 0,
      desired: w?.desired ?? s.replicas,
      restarts: w?.pods.reduce((n, p) => n + p.restarts, 0) ?? 0,
      detail: r && r.state !== "ready" ? (r.state === "failed" ? r.reason : r.detail) : "",
      pods: w?.pods.map((p) => p.name) ?? [],
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
    const target = await KubernetesTarget.connect(namespaceOf(ctx, opts, stack.name));
    const w = (await target.workloads(plan.stack)).find((x) => x.service === s.name);
    if (!w || w.kind === "Job")
      throw new NotDeployedError(
        `${s.name} is not deployed on Kubernetes.`,
        "`deloc up --target kubernetes` deploys it.",
      );
    await target.scale(w.kind, w.name, n);
    const state = store.read() ?? store.fresh();
    state.scale[s.name] = { replicas: n, fileReplicas: s.replicas };
    store.write(state);
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
  const target = await KubernetesTarget.connect(namespaceOf(ctx, opts, stack.name));
  const w = (await target.workloads(plan.stack)).find((x) => x.service === args[0]);
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
    const target = await KubernetesTarget.connect(namespaceOf(ctx, opts, stack.name));
    // A Helm release is uninstalled as Helm knows it (claims marked to be kept stay).
    const helm = findHelm(ctx);
    if (helm) {
      const r = spawnSync(helm, ["uninstall", stack.name, "--namespace", target.namespace], {
        encoding: "utf8",
      });
      if (r.status === 0) ctx.err(`helm uninstall ${stack.name}: done`);
    }
    const gone = await target.down(stack.name, { volumes: opts.volumes === true });
    const state = store.read() ?? store.fresh();
    store.move(state, "stopped", "down");
    store.write(state);
    ctx.err(
      `${stack.name}: removed ${gone.length} objects from namespace ${target.namespace}${opts.volumes ? " (claims and their data too)" : "; claims (your data) kept"}.`,
    );
    return 0;
  } finally {
    store.unlock();
  }
}
