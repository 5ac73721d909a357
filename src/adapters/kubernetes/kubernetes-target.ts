/**
 * The Kubernetes target: a cluster reached through the kubeconfig (`KUBECONFIG`, `~/.kube/config`,
 * or the in-cluster service account), spoken to with @kubernetes/client-node. Objects are applied
 * server-side (field manager `deloc`), so a second `up` changes nothing and a changed one is
 * patched; objects of the stack no longer planned are pruned. Everything DELoc applies carries the
 * `dev.deloc.stack` label, which status, scale, logs and down read back.
 */

import readline from "node:readline";
import { PassThrough } from "node:stream";
import {
  AppsV1Api,
  BatchV1Api,
  CoreV1Api,
  KubeConfig,
  type KubernetesObject,
  KubernetesObjectApi,
  Log,
  PatchStrategy,
  setHeaderOptions,
  type V1Pod,
  VersionApi,
} from "@kubernetes/client-node";
import {
  type ClusterCapacity,
  EngineUnreachableError,
  LABEL_SERVICE,
  LABEL_STACK,
  NotDeployedError,
  type Plan,
} from "../../core/index.js";
import { k8sManifestObjects } from "../../export/k8s/manifests.js";
import type { ClusterAdapter, ClusterCheckpoint, WorkloadStatus } from "../adapter.js";
import { helmInstall, helmRevision, helmRollback, helmUninstall } from "./helm.js";
import { type PodState, readiness, type WorkloadState } from "./readiness.js";

export type K8sObject = KubernetesObject & { apiVersion: string; kind: string; metadata: { name: string } };

const FIELD_MANAGER = "deloc";
/** Kinds DELoc applies, in the order `down` deletes them (workloads first). */
const KINDS: readonly [apiVersion: string, kind: string][] = [
  ["apps/v1", "Deployment"],
  ["apps/v1", "StatefulSet"],
  ["batch/v1", "Job"],
  ["v1", "Service"],
  ["v1", "ConfigMap"],
  ["networking.k8s.io/v1", "NetworkPolicy"],
  ["rbac.authorization.k8s.io/v1", "RoleBinding"],
  ["rbac.authorization.k8s.io/v1", "Role"],
  ["v1", "ServiceAccount"],
  ["v1", "Secret"],
];

export interface KubernetesOptions {
  /** Helm's binary: the stack goes as a release of its chart; null: server-side apply. */
  helm: string | null;
  /** The stack's `.deloc/`, where the chart and its values are written for Helm. */
  stateDir: string;
}

export class KubernetesTarget implements ClusterAdapter {
  readonly name = "kubernetes";
  private readonly objects: KubernetesObjectApi;
  private readonly core: CoreV1Api;
  private readonly apps: AppsV1Api;
  private readonly batch: BatchV1Api;

  private constructor(
    private readonly kc: KubeConfig,
    readonly namespace: string,
    readonly server: string,
    readonly version: string,
    private readonly opts: KubernetesOptions,
  ) {
    this.objects = KubernetesObjectApi.makeApiClient(kc);
    this.core = kc.makeApiClient(CoreV1Api);
    this.apps = kc.makeApiClient(AppsV1Api);
    this.batch = kc.makeApiClient(BatchV1Api);
  }

  /** The cluster of the kubeconfig's current context; throws EngineUnreachableError when it does not answer. */
  static async connect(
    namespace: string,
    opts: KubernetesOptions = { helm: null, stateDir: ".deloc" },
  ): Promise<KubernetesTarget> {
    const kc = new KubeConfig();
    const file = process.env.KUBECONFIG ?? "~/.kube/config";
    const hint =
      "Point KUBECONFIG at your cluster's kubeconfig (`kubectl cluster-info` should answer), or use `--target docker`.";
    try {
      kc.loadFromDefault();
    } catch (e) {
      throw new EngineUnreachableError(
        "No Kubernetes API server answered.",
        [`kubeconfig ${file}: ${reason(e)}`],
        hint,
      );
    }
    const cluster = kc.getCurrentCluster();
    const where = `context "${kc.getCurrentContext() || "(none)"}", server ${cluster?.server ?? "(none)"}`;
    try {
      const v = await kc.makeApiClient(VersionApi).getCode();
      return new KubernetesTarget(kc, namespace, cluster?.server ?? "", v.gitVersion, opts);
    } catch (e) {
      throw new EngineUnreachableError(
        "No Kubernetes API server answered.",
        [`kubeconfig ${file}, ${where}: ${reason(e)}`],
        hint,
      );
    }
  }

  get endpoint(): string {
    return this.server;
  }

  /** The plan's objects, as a Helm release when Helm is there, else applied server-side and pruned. */
  async apply(plan: Plan, secrets: Readonly<Record<string, string>>): Promise<string> {
    if (this.opts.helm) return helmInstall(this.opts.helm, plan, this.namespace, secrets, this.opts.stateDir);
    const objects = k8sManifestObjects(plan, { namespace: this.namespace, secrets }) as K8sObject[];
    const { applied, pruned } = await this.applyObjects(plan.stack, objects);
    return `applied ${applied.length} objects (server-side apply)${pruned.length ? `; pruned ${pruned.join(", ")}` : ""}`;
  }

  /**
   * What the cluster offers the stack: the allocatable memory and CPU of its Ready, schedulable
   * nodes, and what every pod not of the stack requests (running or waiting to be scheduled).
   */
  async capacity(stack: string): Promise<ClusterCapacity> {
    const [nodes, pods] = await Promise.all([this.core.listNode(), this.core.listPodForAllNamespaces()]);
    const schedulable = nodes.items.filter(
      (n) =>
        !n.spec?.unschedulable &&
        n.status?.conditions?.some((c) => c.type === "Ready" && c.status === "True"),
    );
    const requests: ClusterCapacity["requests"] = [];
    for (const p of pods.items) {
      if (p.status?.phase === "Succeeded" || p.status?.phase === "Failed") continue;
      const labels = p.metadata?.labels ?? {};
      if (p.metadata?.namespace === this.namespace && labels[LABEL_STACK] === stack) continue;
      const r = podRequests(p);
      if (r.memoryBytes || r.cpuMillis)
        requests.push({
          name: `${p.metadata?.namespace}/${p.metadata?.name}`,
          ...(labels[LABEL_STACK] ? { stack: labels[LABEL_STACK] } : {}),
          ...r,
        });
    }
    return {
      nodes: schedulable.map((n) => ({
        name: n.metadata?.name ?? "",
        memoryBytes: quantityBytes(String(n.status?.allocatable?.memory ?? "0")),
        cpuMillis: cpuMillis(String(n.status?.allocatable?.cpu ?? "0")),
      })),
      requests,
    };
  }

  /** Readiness of each service's workload, from the workload and its pods. */
  async workloads(stack: string): Promise<WorkloadStatus[]> {
    return (await this.workloadStates(stack)).map((w) => {
      const r = readiness(w);
      return {
        service: w.service,
        kind: w.kind,
        state: r.state,
        detail: r.state === "failed" ? r.reason : r.state === "starting" ? r.detail : "",
        running: w.pods.filter((p) => p.running).length,
        ready: w.kind === "Job" ? w.succeeded : w.ready,
        desired: w.desired,
        restarts: w.pods.reduce((n, p) => n + p.restarts, 0),
        oomKilled: w.pods.some((p) => p.lastTermination?.reason === "OOMKilled" || p.problem === "OOMKilled"),
        pods: w.pods.map((p) => p.name),
      };
    });
  }

  async logTail(stack: string, service: string, lines: number): Promise<string[]> {
    const w = (await this.workloadStates(stack)).find((x) => x.service === service);
    // The pod that is failing, not a Ready one of the rollout before it.
    const pod = w?.pods.find((p) => !p.ready) ?? w?.pods[0];
    if (!pod) return [];
    return (await this.podLogs(pod.name, lines)).split("\n").filter(Boolean);
  }

  async events(stack: string, service: string, limit: number): Promise<string[]> {
    const w = (await this.workloadStates(stack)).find((x) => x.service === service);
    if (!w) return [];
    const names = new Set([w.name, ...w.pods.map((p) => p.name)]);
    const list = await this.core.listNamespacedEvent({
      namespace: this.namespace,
      fieldSelector: "type=Warning",
    });
    const at = (e: (typeof list.items)[number]) =>
      Date.parse(String(e.lastTimestamp ?? e.eventTime ?? e.metadata?.creationTimestamp ?? 0));
    return list.items
      .filter((e) => names.has(e.involvedObject?.name ?? ""))
      .sort((a, b) => at(a) - at(b))
      .slice(-limit)
      .map(
        (e) =>
          `${e.involvedObject?.name}: ${e.reason}: ${(e.message ?? "").split("\n")[0]}${e.count && e.count > 1 ? ` (×${e.count})` : ""}`,
      );
  }

  async checkpoint(stack: string): Promise<Checkpoint> {
    if (this.opts.helm) {
      const revision = await helmRevision(this.opts.helm, stack, this.namespace);
      return {
        description: revision ? `helm revision ${revision}` : "nothing",
        helmRevision: revision,
        objects: [],
      };
    }
    const objects = (await this.listStack(stack)).map(reapplicable);
    return {
      description: objects.length ? `${objects.length} objects` : "nothing",
      helmRevision: null,
      objects,
    };
  }

  async rollback(stack: string, to: ClusterCheckpoint): Promise<string[]> {
    const c = to as Checkpoint;
    if (this.opts.helm && c.helmRevision)
      return [await helmRollback(this.opts.helm, stack, this.namespace, c.helmRevision)];
    if (!c.objects.length) {
      // Nothing ran before: what this deploy made goes; the claims (data) stay, as `down` keeps them.
      const gone = await this.remove(stack, { volumes: false });
      return [`removed ${gone.length} objects the deploy made (claims kept)`];
    }
    const { applied, pruned } = await this.applyObjects(stack, c.objects);
    return [
      `re-applied the ${applied.length} objects that ran before${pruned.length ? `; removed ${pruned.join(", ")}` : ""}`,
    ];
  }

  /** Applies the objects server-side in the stack's namespace (made if missing), then prunes the stack's others. */
  async applyObjects(
    stack: string,
    objects: readonly K8sObject[],
  ): Promise<{ applied: string[]; pruned: string[] }> {
    await this.objects.patch(
      { apiVersion: "v1", kind: "Namespace", metadata: { name: this.namespace } },
      undefined,
      undefined,
      FIELD_MANAGER,
      true,
      PatchStrategy.ServerSideApply,
    );
    const applied: string[] = [];
    for (const o of objects) {
      await this.objects.patch(
        { ...o, metadata: { ...o.metadata, namespace: this.namespace } },
        undefined,
        undefined,
        FIELD_MANAGER,
        true,
        PatchStrategy.ServerSideApply,
      );
      applied.push(`${o.kind}/${o.metadata.name}`);
    }
    const keep = new Set(applied);
    const pruned: string[] = [];
    for (const o of await this.listStack(stack))
      if (!keep.has(`${o.kind}/${o.metadata.name}`)) {
        await this.removeObject(o);
        pruned.push(`${o.kind}/${o.metadata.name}`);
      }
    return { applied, pruned };
  }

  /** Every object of the stack DELoc applies (claims aside), in deletion order. */
  async listStack(stack: string): Promise<K8sObject[]> {
    const out: K8sObject[] = [];
    for (const [apiVersion, kind] of KINDS) {
      const list = await this.objects.list(
        apiVersion,
        kind,
        this.namespace,
        undefined,
        undefined,
        undefined,
        undefined,
        `${LABEL_STACK}=${stack}`,
      );
      for (const item of list.items) out.push({ ...item, apiVersion, kind } as K8sObject);
    }
    return out;
  }

  /** The workloads of the stack and their pods, by service, as the API server reports them. */
  async workloadStates(stack: string): Promise<WorkloadState[]> {
    const selector = `${LABEL_STACK}=${stack}`;
    const ns = this.namespace;
    const [deployments, statefulSets, jobs, pods] = await Promise.all([
      this.apps.listNamespacedDeployment({ namespace: ns, labelSelector: selector }),
      this.apps.listNamespacedStatefulSet({ namespace: ns, labelSelector: selector }),
      this.batch.listNamespacedJob({ namespace: ns, labelSelector: selector }),
      this.core.listNamespacedPod({ namespace: ns, labelSelector: selector }),
    ]);
    const podsOf = (service: string) =>
      pods.items.filter((p) => p.metadata?.labels?.[LABEL_SERVICE] === service).map(podState);
    const service = (o: { metadata?: { labels?: Record<string, string> } }) =>
      o.metadata?.labels?.[LABEL_SERVICE] ?? "";
    type Replicated = {
      metadata?: { name?: string; labels?: Record<string, string>; generation?: number };
      spec?: { replicas?: number };
      status?: {
        readyReplicas?: number;
        replicas?: number;
        updatedReplicas?: number;
        observedGeneration?: number;
      };
    };
    const replicated = (kind: "Deployment" | "StatefulSet", w: Replicated): WorkloadState => {
      // As `kubectl rollout status`: until the controller has seen the spec, nothing of it is updated.
      const seen = (w.status?.observedGeneration ?? 0) >= (w.metadata?.generation ?? 1);
      const updated = seen ? (w.status?.updatedReplicas ?? 0) : 0;
      return {
        service: service(w),
        kind,
        name: w.metadata?.name ?? "",
        desired: w.spec?.replicas ?? 1,
        ready: w.status?.readyReplicas ?? 0,
        updated,
        outdated: Math.max(0, (w.status?.replicas ?? 0) - updated),
        succeeded: 0,
        failed: 0,
        pods: podsOf(service(w)),
      };
    };
    return [
      ...deployments.items.map((d) => replicated("Deployment", d)),
      ...statefulSets.items.map((st) => replicated("StatefulSet", st)),
      ...jobs.items.map((j): WorkloadState => {
        const failed = j.status?.conditions?.find((c) => c.type === "Failed" && c.status === "True");
        return {
          service: service(j),
          kind: "Job",
          name: j.metadata?.name ?? "",
          desired: 1,
          ready: 0,
          succeeded: j.status?.succeeded ?? 0,
          failed: j.status?.failed ?? 0,
          ...(failed ? { jobFailed: failed.message ?? failed.reason ?? "failed" } : {}),
          pods: podsOf(service(j)),
        };
      }),
    ].sort((a, b) => a.service.localeCompare(b.service));
  }

  /** Sets the replicas through the scale subresource; the next `up` applies them again with the rest. */
  async scale(stack: string, service: string, replicas: number): Promise<void> {
    const w = (await this.workloadStates(stack)).find((x) => x.service === service);
    if (!w || w.kind === "Job")
      throw new NotDeployedError(
        `${service} is not deployed on Kubernetes.`,
        "`deloc up --target kubernetes` deploys it.",
      );
    const request = { name: w.name, namespace: this.namespace, body: { spec: { replicas } } };
    const merge = setHeaderOptions("Content-Type", PatchStrategy.MergePatch);
    if (w.kind === "Deployment") await this.apps.patchNamespacedDeploymentScale(request, merge);
    else await this.apps.patchNamespacedStatefulSetScale(request, merge);
  }

  /**
   * A pod's log lines of its service's container, as they come when `follow` (until the pod's
   * container stops or `signal` aborts), else the lines so far.
   */
  async *logLines(
    pod: string,
    container: string,
    opts: { follow: boolean; tail?: number; signal?: AbortSignal },
  ): AsyncGenerator<string> {
    const stream = new PassThrough();
    const request = await new Log(this.kc).log(this.namespace, pod, container, stream, {
      follow: opts.follow,
      ...(opts.tail !== undefined ? { tailLines: opts.tail } : {}),
    });
    const stop = () => {
      request.abort();
      stream.end();
    };
    if (opts.signal?.aborted) stop();
    opts.signal?.addEventListener("abort", stop, { once: true });
    try {
      for await (const line of readline.createInterface({
        input: stream,
        crlfDelay: Number.POSITIVE_INFINITY,
      }))
        yield line;
    } finally {
      opts.signal?.removeEventListener("abort", stop);
      request.abort();
    }
  }

  /**
   * Memory in use (the working set, as the kubelet reckons it for eviction and OOM) and the limit
   * of each pod of the stack, from each node's summary API through the API server's node proxy
   * (`/api/v1/nodes/<node>/proxy/stats/summary`). Pods whose node does not answer are left out.
   */
  async memoryUse(stack: string): Promise<Map<string, { usedBytes: number; limitBytes: number | null }>> {
    const pods = await this.core.listNamespacedPod({
      namespace: this.namespace,
      labelSelector: `${LABEL_STACK}=${stack}`,
    });
    const out = new Map<string, { usedBytes: number; limitBytes: number | null }>();
    const nodes = [...new Set(pods.items.map((p) => p.spec?.nodeName).filter((n): n is string => !!n))];
    const summaries = await Promise.all(
      nodes.map((name) =>
        this.core
          .connectGetNodeProxyWithPath({ name, path: "stats/summary" })
          .then((text) => JSON.parse(typeof text === "string" ? text : JSON.stringify(text)) as Summary)
          .catch(() => null),
      ),
    );
    for (const summary of summaries)
      for (const ps of summary?.pods ?? []) {
        if (ps.podRef.namespace !== this.namespace) continue;
        const pod = pods.items.find((p) => p.metadata?.name === ps.podRef.name);
        const service = pod?.metadata?.labels?.[LABEL_SERVICE];
        const main = ps.containers?.find((c) => c.name === service);
        if (!pod || !main?.memory?.workingSetBytes) continue;
        const limit = pod.spec?.containers.find((c) => c.name === service)?.resources?.limits?.memory;
        out.set(ps.podRef.name, {
          usedBytes: main.memory.workingSetBytes,
          limitBytes: limit ? quantityBytes(String(limit)) : null,
        });
      }
    return out;
  }

  async podLogs(pod: string, tail?: number): Promise<string> {
    return this.core.readNamespacedPodLog({
      name: pod,
      namespace: this.namespace,
      ...(tail !== undefined ? { tailLines: tail } : {}),
    });
  }

  /**
   * Deletes the stack's objects (a Helm release is uninstalled as Helm knows it first); its
   * PersistentVolumeClaims too with `volumes` (their data with them).
   */
  async remove(stack: string, { volumes }: { volumes: boolean }): Promise<string[]> {
    const gone: string[] = [];
    if (this.opts.helm && (await helmUninstall(this.opts.helm, stack, this.namespace)))
      gone.push(`helm release ${stack}`);
    for (const o of await this.listStack(stack)) {
      await this.removeObject(o);
      gone.push(`${o.kind}/${o.metadata.name}`);
    }
    if (volumes) {
      const claims = await this.core.listNamespacedPersistentVolumeClaim({
        namespace: this.namespace,
        labelSelector: `${LABEL_STACK}=${stack}`,
      });
      for (const c of claims.items) {
        await this.core.deleteNamespacedPersistentVolumeClaim({
          name: c.metadata?.name ?? "",
          namespace: this.namespace,
        });
        gone.push(`PersistentVolumeClaim/${c.metadata?.name}`);
      }
    }
    return gone;
  }

  private async removeObject(o: K8sObject): Promise<void> {
    await this.objects
      .delete(
        {
          apiVersion: o.apiVersion,
          kind: o.kind,
          metadata: { name: o.metadata.name, namespace: this.namespace },
        },
        undefined,
        undefined,
        undefined,
        undefined,
        "Background",
      )
      .catch((e: unknown) => {
        if (status(e) !== 404) throw e;
      });
  }
}

interface Checkpoint extends ClusterCheckpoint {
  helmRevision: number | null;
  objects: K8sObject[];
}

/** Labels the Job controller puts on a Job's selector and pod template; applied again, they clash. */
const JOB_LABELS = [
  "controller-uid",
  "job-name",
  "batch.kubernetes.io/controller-uid",
  "batch.kubernetes.io/job-name",
];

/**
 * An object as read from the API server, made fit to apply again: what the server owns (status,
 * ids, managed fields) dropped, and a Job's generated selector and labels with it.
 */
function reapplicable(o: K8sObject): K8sObject {
  const { status: _status, metadata, ...rest } = o as K8sObject & { status?: unknown };
  const m = metadata as {
    name: string;
    labels?: Record<string, string>;
    annotations?: Record<string, string>;
  };
  const out = {
    ...rest,
    metadata: {
      name: m.name,
      ...(m.labels ? { labels: m.labels } : {}),
      // Controllers' own annotations (deployment.kubernetes.io/revision) are theirs to keep.
      ...(m.annotations
        ? {
            annotations: Object.fromEntries(
              Object.entries(m.annotations).filter(([k]) => !k.includes("kubernetes.io/")),
            ),
          }
        : {}),
    },
  } as K8sObject & { spec?: Record<string, unknown> };
  if (o.kind === "Job" && out.spec) {
    const spec = structuredClone(out.spec) as {
      selector?: unknown;
      manualSelector?: unknown;
      template?: { metadata?: { labels?: Record<string, string> } };
    };
    delete spec.selector;
    delete spec.manualSelector;
    for (const l of JOB_LABELS) delete spec.template?.metadata?.labels?.[l];
    out.spec = spec as Record<string, unknown>;
  }
  return out;
}

/** The part of the kubelet's stats/summary that `memoryUse` reads. */
interface Summary {
  pods?: {
    podRef: { name: string; namespace: string };
    containers?: { name: string; memory?: { workingSetBytes?: number } }[];
  }[];
}

const QUANTITY: Record<string, number> = {
  "": 1,
  k: 1e3,
  M: 1e6,
  G: 1e9,
  T: 1e12,
  Ki: 2 ** 10,
  Mi: 2 ** 20,
  Gi: 2 ** 30,
  Ti: 2 ** 40,
};

/** A memory quantity (`768Mi`, `1G`, `536870912`) in bytes. */
export function quantityBytes(q: string): number {
  const m = /^(\d+(?:\.\d+)?)(Ki|Mi|Gi|Ti|k|M|G|T)?$/.exec(q.trim());
  return m ? Math.round(Number(m[1]) * QUANTITY[m[2] ?? ""]!) : Number.NaN;
}

/** A CPU quantity (`2`, `1500m`, `0.5`) in millicores. */
export function cpuMillis(q: string): number {
  const m = /^(\d+(?:\.\d+)?)(m)?$/.exec(q.trim());
  return m ? Math.round(Number(m[1]) * (m[2] ? 1 : 1000)) : 0;
}

/**
 * What a pod asks the scheduler for, as the scheduler counts it: the larger of its containers'
 * requests together and of any one init container's, plus the pod's overhead.
 */
function podRequests(p: V1Pod): { memoryBytes: number; cpuMillis: number } {
  type Rs = { requests?: Record<string, unknown> } | undefined;
  const mem = (r: Rs) => (r?.requests?.memory ? quantityBytes(String(r.requests.memory)) || 0 : 0);
  const cpu = (r: Rs) => (r?.requests?.cpu ? cpuMillis(String(r.requests.cpu)) : 0);
  const main = p.spec?.containers ?? [];
  const init = p.spec?.initContainers ?? [];
  const overhead = p.spec?.overhead ?? {};
  return {
    memoryBytes:
      Math.max(
        main.reduce((n, c) => n + mem(c.resources), 0),
        ...init.map((c) => mem(c.resources)),
      ) + (overhead.memory ? quantityBytes(String(overhead.memory)) : 0),
    cpuMillis:
      Math.max(
        main.reduce((n, c) => n + cpu(c.resources), 0),
        ...init.map((c) => cpu(c.resources)),
      ) + (overhead.cpu ? cpuMillis(String(overhead.cpu)) : 0),
  };
}

function podState(p: V1Pod): PodState {
  const statuses = [...(p.status?.initContainerStatuses ?? []), ...(p.status?.containerStatuses ?? [])];
  const waiting = statuses.map((s) => s.state?.waiting?.reason).find((r) => r && r !== "PodInitializing");
  const terminated = statuses.map((s) => s.lastState?.terminated).find(Boolean);
  return {
    name: p.metadata?.name ?? "",
    running: p.status?.phase === "Running",
    ready: p.status?.conditions?.some((c) => c.type === "Ready" && c.status === "True") ?? false,
    restarts: statuses.reduce((n, s) => n + (s.restartCount ?? 0), 0),
    ...(waiting ? { problem: waiting } : {}),
    ...(terminated
      ? { lastTermination: { reason: terminated.reason ?? "", exitCode: terminated.exitCode } }
      : {}),
  };
}

function status(e: unknown): number | undefined {
  return (e as { code?: number }).code;
}

function reason(e: unknown): string {
  const err = e as { cause?: { code?: string; message?: string }; message?: string; code?: number };
  return err.cause?.code ?? err.cause?.message ?? err.message ?? String(e);
}
