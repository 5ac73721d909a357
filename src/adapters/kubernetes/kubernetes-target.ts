/**
 * The Kubernetes target: a cluster reached through the kubeconfig (`KUBECONFIG`, `~/.kube/config`,
 * or the in-cluster service account), spoken to with @kubernetes/client-node. Objects are applied
 * server-side (field manager `deloc`), so a second `up` changes nothing and a changed one is
 * patched; objects of the stack no longer planned are pruned. Everything DELoc applies carries the
 * `dev.deloc.stack` label, which status, scale, logs and down read back.
 */
import {
  AppsV1Api,
  BatchV1Api,
  CoreV1Api,
  KubeConfig,
  type KubernetesObject,
  KubernetesObjectApi,
  PatchStrategy,
  setHeaderOptions,
  type V1Pod,
  VersionApi,
} from "@kubernetes/client-node";
import {
  EngineUnreachableError,
  LABEL_SERVICE,
  LABEL_STACK,
  NotDeployedError,
  type Plan,
} from "../../core/index.js";
import { k8sManifestObjects } from "../../export/k8s/manifests.js";
import type { ClusterAdapter, WorkloadStatus } from "../adapter.js";
import { helmInstall, helmUninstall } from "./helm.js";
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
    kc: KubeConfig,
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
    const pod = w?.pods[0];
    if (!pod) return [];
    return (await this.podLogs(pod.name, lines)).split("\n").filter(Boolean);
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
      metadata?: { name?: string; labels?: Record<string, string> };
      spec?: { replicas?: number };
      status?: { readyReplicas?: number };
    };
    const replicated = (kind: "Deployment" | "StatefulSet", w: Replicated): WorkloadState => ({
      service: service(w),
      kind,
      name: w.metadata?.name ?? "",
      desired: w.spec?.replicas ?? 1,
      ready: w.status?.readyReplicas ?? 0,
      succeeded: 0,
      failed: 0,
      pods: podsOf(service(w)),
    });
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
