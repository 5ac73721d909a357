/**
 * The Kubernetes target: a cluster reached through the kubeconfig (`KUBECONFIG`, `~/.kube/config`,
 * or the in-cluster service account), spoken to with @kubernetes/client-node. Objects are applied
 * server-side (field manager `deloc`), so a second `up` changes nothing and a changed one is
 * patched; objects of the stack no longer planned are pruned. Everything DELoc applies carries the
 * `dev.deloc.stack` label, which status, scale, logs and down read back.
 */

import { randomBytes } from "node:crypto";
import net from "node:net";
import readline from "node:readline";
import { PassThrough, type Readable, Writable } from "node:stream";
import {
  AppsV1Api,
  BatchV1Api,
  CoreV1Api,
  Exec,
  KubeConfig,
  type KubernetesObject,
  KubernetesObjectApi,
  Log,
  PatchStrategy,
  PortForward,
  setHeaderOptions,
  type V1Pod,
  type V1Status,
  VersionApi,
} from "@kubernetes/client-node";
import {
  BackupError,
  type ClusterCapacity,
  EngineUnreachableError,
  LABEL_SERVICE,
  LABEL_STACK,
  NotDeployedError,
  type Plan,
} from "../../core/index.js";
import { k8sManifestObjects } from "../../export/k8s/manifests.js";
import { jobName } from "../../export/k8s/objects.js";
import type { ClusterAdapter, ClusterCheckpoint, ExecResult, WorkloadStatus } from "../adapter.js";
import { helmInstall, helmRevision, helmRollback, helmUninstall } from "./helm.js";
import { isFatal, podState, readiness, type WorkloadState } from "./readiness.js";

export type K8sObject = KubernetesObject & { apiVersion: string; kind: string; metadata: { name: string } };

const FIELD_MANAGER = "deloc";
/**
 * The image of the pod that reads and writes a stopped service's claims for `backup` and `restore`
 * (the service's own image may have no `tar`: MinIO's has none). The Docker target's volume helper.
 */
export const VOLUME_HELPER_IMAGE = "busybox:1.37";
const HELPER_MOUNT = "/volume";
/** How long a helper pod may take to be scheduled and started. */
const HELPER_START_MS = 120_000;
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
    const { applied, pruned } = await this.applyObjects(plan.stack, objects, { keepJobs: true });
    return `applied ${applied.length} objects (server-side apply)${pruned.length ? `; pruned ${pruned.join(", ")}` : ""}`;
  }

  /**
   * After a deploy that succeeded: the stack's Jobs of an earlier spec go. They are kept until then
   * so that a rollback finds them as they ran: pruned at the apply and applied again by the
   * rollback, a completed Job was created anew and ran again (a migration, a seed, twice).
   */
  async settle(plan: Plan): Promise<string[]> {
    if (this.opts.helm) return [];
    const planned = new Set(plan.services.filter((s) => s.oneShot).map((s) => jobName(s)));
    const gone: string[] = [];
    for (const o of await this.listStack(plan.stack))
      if (o.kind === "Job" && !planned.has(o.metadata.name)) {
        await this.removeObject(o);
        gone.push(`Job/${o.metadata.name}`);
      }
    return gone;
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

  /**
   * Readiness of each service's workload, from the workload and its pods. An API server that does
   * not answer (restarting, gone) is an EngineUnreachableError, which the engine waits out.
   */
  async workloads(stack: string): Promise<WorkloadStatus[]> {
    const states = await this.workloadStates(stack).catch((e: unknown) => {
      throw lost(e, this.server) ?? e;
    });
    return states.map((w) => {
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
        oomKilled: w.pods.some((p) => p.oomKilled),
        pods: w.pods.map((p) => p.name),
        replicas: w.pods.map((p) => ({
          pod: p.name,
          ready: p.ready,
          restarts: p.restarts,
          oomKilled: p.oomKilled === true,
          ...(p.startedAt !== undefined ? { startedAtMs: p.startedAt } : {}),
        })),
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
    // A Job that ran before and is still there (kept until a deploy succeeds) is left as it ran.
    const live = new Set(
      (await this.listStack(stack)).filter((o) => o.kind === "Job").map((o) => `Job/${o.metadata.name}`),
    );
    const { applied, pruned } = await this.applyObjects(stack, c.objects, { unchanged: live });
    return [
      `re-applied the ${applied.length} objects that ran before${pruned.length ? `; removed ${pruned.join(", ")}` : ""}`,
    ];
  }

  /** Applies the objects server-side in the stack's namespace (made if missing), then prunes the stack's others. */
  async applyObjects(
    stack: string,
    objects: readonly K8sObject[],
    opts: { keepJobs?: boolean; unchanged?: ReadonlySet<string> } = {},
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
      const id = `${o.kind}/${o.metadata.name}`;
      if (opts.unchanged?.has(id)) {
        applied.push(id);
        continue;
      }
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
      if (!keep.has(`${o.kind}/${o.metadata.name}`) && !(opts.keepJobs && o.kind === "Job")) {
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
    // A long-running service's pods; a Job's are found by its name.
    const podsOf = (service: string) =>
      pods.items
        .filter(
          (p) =>
            p.metadata?.labels?.[LABEL_SERVICE] === service &&
            !p.metadata?.labels?.["batch.kubernetes.io/job-name"],
        )
        .map(podState);
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
      ...newestJobs(jobs.items).map((j): WorkloadState => {
        const failed = j.status?.conditions?.find((c) => c.type === "Failed" && c.status === "True");
        const name = j.metadata?.name ?? "";
        return {
          service: service(j),
          kind: "Job",
          name,
          desired: 1,
          ready: 0,
          succeeded: j.status?.succeeded ?? 0,
          failed: j.status?.failed ?? 0,
          ...(failed ? { jobFailed: failed.message ?? failed.reason ?? "failed" } : {}),
          pods: pods.items
            .filter((p) => p.metadata?.labels?.["batch.kubernetes.io/job-name"] === name)
            .map(podState),
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
   * New pods for the service's workload, as `kubectl rollout restart` makes them: a restart time in
   * its pod template's annotations (a change of the template, so the controller rolls it out).
   */
  async restart(stack: string, service: string): Promise<void> {
    const w = (await this.workloadStates(stack)).find((x) => x.service === service);
    if (!w || w.kind === "Job")
      throw new NotDeployedError(
        `${service} has no long-running workload on Kubernetes.`,
        "`deloc up --target kubernetes` deploys it.",
      );
    const body = {
      spec: {
        template: {
          metadata: { annotations: { "kubectl.kubernetes.io/restartedAt": new Date().toISOString() } },
        },
      },
    };
    const request = { name: w.name, namespace: this.namespace, body };
    const merge = setHeaderOptions("Content-Type", PatchStrategy.StrategicMergePatch);
    if (w.kind === "Deployment") await this.apps.patchNamespacedDeployment(request, merge);
    else await this.apps.patchNamespacedStatefulSet(request, merge);
  }

  /**
   * Runs argv in the service's container of one of its pods (a Ready one first), through the API
   * server's exec; stdout goes to `io.stdout` when given, else into the output with stderr.
   */
  async exec(
    stack: string,
    service: string,
    argv: readonly string[],
    io: { stdout?: Writable; stdin?: Readable; timeoutMs?: number } = {},
  ): Promise<ExecResult> {
    const w = (await this.workloadStates(stack)).find((x) => x.service === service && x.kind !== "Job");
    const pod = w?.pods.find((p) => p.ready) ?? w?.pods.find((p) => p.running);
    if (!pod)
      throw new NotDeployedError(
        `${service} has no running pod on Kubernetes.`,
        "`deloc up --target kubernetes` starts it.",
      );
    return this.execInPod(pod.name, service, argv, io);
  }

  /** Runs argv in a container of a pod; its exit code from the API server's status. */
  async execInPod(
    pod: string,
    container: string,
    argv: readonly string[],
    io: { stdout?: Writable; stdin?: Readable; timeoutMs?: number } = {},
  ): Promise<ExecResult> {
    const output: Buffer[] = [];
    // Streams of our own: the client ends them when the command ends, never the caller's.
    const sink = (to?: Writable) =>
      new Writable({
        write(chunk: Buffer, _enc, done) {
          if (to) to.write(chunk);
          else output.push(chunk);
          done();
        },
      });
    let status: V1Status | undefined;
    const ws = await new Exec(this.kc).exec(
      this.namespace,
      pod,
      container,
      [...argv],
      sink(io.stdout),
      sink(),
      io.stdin ?? null,
      false,
      (s) => {
        status = s;
      },
    );
    await new Promise<void>((resolve, reject) => {
      const timer = io.timeoutMs
        ? setTimeout(() => {
            ws.close();
            reject(new Error(`\`${argv.join(" ")}\` in ${pod}: no end within ${io.timeoutMs! / 1000} s`));
          }, io.timeoutMs)
        : undefined;
      ws.on("close", () => {
        clearTimeout(timer);
        resolve();
      });
      ws.on("error", (e: Error) => {
        clearTimeout(timer);
        reject(e);
      });
    });
    const text = Buffer.concat(output).toString("utf8");
    if (status?.status === "Success") return { exitCode: 0, output: text };
    const code = status?.details?.causes?.find((c) => c.reason === "ExitCode")?.message;
    return {
      exitCode: code ? Number(code) : -1,
      output: code || !status ? text : `${text}${status.message ?? ""}`,
    };
  }

  /** Writes a tar of the contents of the service's claim for `volume` (its pods stopped) to `out`. */
  async archiveVolume(stack: string, service: string, volume: string, out: Writable): Promise<void> {
    await this.withVolumeHelper(stack, service, volume, async (pod) => {
      const r = await this.execInPod(pod, "helper", ["tar", "-c", "-f", "-", "-C", HELPER_MOUNT, "."], {
        stdout: out,
      });
      await new Promise<void>((resolve, reject) =>
        out.end((e?: Error | null) => (e ? reject(e) : resolve())),
      );
      if (r.exitCode !== 0)
        throw new BackupError(
          `tar of ${volume} in the helper pod ${pod} failed (exit ${r.exitCode}): ${r.output.trim().slice(-300)}`,
          "Nothing was kept.",
        );
    });
  }

  /** Empties the service's claim for `volume` (its pods stopped), then unpacks the tar read from `tar` into it. */
  async restoreVolume(stack: string, service: string, volume: string, tar: Readable): Promise<void> {
    await this.withVolumeHelper(stack, service, volume, async (pod) => {
      const steps: [string[], Readable | undefined][] = [
        [
          ["find", HELPER_MOUNT, "-mindepth", "1", "-maxdepth", "1", "-exec", "rm", "-rf", "{}", "+"],
          undefined,
        ],
        [["tar", "-x", "-f", "-", "-C", HELPER_MOUNT], tar],
      ];
      for (const [argv, stdin] of steps) {
        const r = await this.execInPod(pod, "helper", argv, stdin ? { stdin } : {});
        if (r.exitCode !== 0)
          throw new BackupError(
            `\`${argv.join(" ")}\` on ${volume} in the helper pod ${pod} failed (exit ${r.exitCode}): ${r.output.trim().slice(-300)}`,
            "The volume may be partly restored; the backup file is unchanged.",
          );
      }
    });
  }

  /**
   * The claim that holds a service's named volume: its StatefulSet's claim of the first replica
   * when the volume is one of its claim templates, else the stack's claim of that name.
   */
  private async claimOf(stack: string, service: string, volume: string): Promise<string> {
    const sets = await this.apps.listNamespacedStatefulSet({
      namespace: this.namespace,
      labelSelector: `${LABEL_STACK}=${stack},${LABEL_SERVICE}=${service}`,
    });
    const set = sets.items[0];
    const claim = set?.spec?.volumeClaimTemplates?.some((t) => t.metadata?.name === volume)
      ? `${volume}-${set.metadata?.name}-0`
      : volume;
    await this.core
      .readNamespacedPersistentVolumeClaim({ name: claim, namespace: this.namespace })
      .catch(() => {
        throw new BackupError(
          `${service}'s volume ${volume} has no claim ${claim} in namespace ${this.namespace}.`,
          "`deloc up --target kubernetes` makes it.",
        );
      });
    return claim;
  }

  /** A pod of the helper image with the claim of `volume` mounted, for `run`; deleted after. */
  private async withVolumeHelper<T>(
    stack: string,
    service: string,
    volume: string,
    run: (pod: string) => Promise<T>,
  ): Promise<T> {
    const claim = await this.claimOf(stack, service, volume);
    const name = `${service.slice(0, 40)}-volume-${randomBytes(3).toString("hex")}`;
    await this.core.createNamespacedPod({
      namespace: this.namespace,
      body: {
        metadata: { name, labels: { [LABEL_STACK]: stack, "dev.deloc.role": "volume-helper" } },
        spec: {
          restartPolicy: "Never",
          terminationGracePeriodSeconds: 0,
          containers: [
            {
              name: "helper",
              image: VOLUME_HELPER_IMAGE,
              imagePullPolicy: "IfNotPresent",
              command: ["sleep", "3600"],
              volumeMounts: [{ name: "data", mountPath: HELPER_MOUNT }],
              resources: {
                limits: { cpu: "500m", memory: "128Mi" },
                requests: { cpu: "10m", memory: "16Mi" },
              },
            },
          ],
          volumes: [{ name: "data", persistentVolumeClaim: { claimName: claim } }],
        },
      },
    });
    try {
      const end = Date.now() + HELPER_START_MS;
      for (;;) {
        const p = await this.core.readNamespacedPod({ name, namespace: this.namespace });
        if (p.status?.phase === "Running") break;
        const waiting = p.status?.containerStatuses?.[0]?.state?.waiting;
        if (Date.now() > end || isFatal(waiting?.reason))
          throw new BackupError(
            `The helper pod ${name} (${VOLUME_HELPER_IMAGE}, claim ${claim}) did not start: ${waiting?.reason ?? p.status?.phase}${waiting?.message ? `: ${waiting.message}` : ""}.`,
            `The cluster needs the image ${VOLUME_HELPER_IMAGE} (\`npm run cluster -- load ${VOLUME_HELPER_IMAGE}\` on the project's cluster). Nothing was changed.`,
          );
        await new Promise((r) => setTimeout(r, 500));
      }
      return await run(name);
    } finally {
      await this.core
        .deleteNamespacedPod({ name, namespace: this.namespace, gracePeriodSeconds: 0 })
        .catch(() => undefined);
    }
  }

  /**
   * The stack's secrets as the cluster holds them (its Secret `<stack>-secrets`): what the pods
   * run with, also when the chart was installed by hand and generated them. Empty when there is none.
   */
  async secrets(stack: string): Promise<Record<string, string>> {
    const secret = await this.core
      .readNamespacedSecret({ name: `${stack}-secrets`, namespace: this.namespace })
      .catch(() => null);
    return Object.fromEntries(
      Object.entries(secret?.data ?? {}).map(([k, v]) => [k, Buffer.from(v, "base64").toString("utf8")]),
    );
  }

  /**
   * A local port (127.0.0.1) forwarded to a container port of a Ready pod of the service, through
   * the API server's port-forward: each connection to it is one stream to the pod. `close` stops
   * listening and cuts the connections.
   */
  async forward(
    stack: string,
    service: string,
    containerPort: number,
  ): Promise<{ host: string; port: number; close: () => void }> {
    const w = (await this.workloadStates(stack)).find((x) => x.service === service && x.kind !== "Job");
    const pod = w?.pods.find((p) => p.ready);
    if (!pod)
      throw new NotDeployedError(
        `${service} has no Ready pod on Kubernetes to forward port ${containerPort} to.`,
        "`deloc status --target kubernetes` shows why; `deloc up --target kubernetes` starts it.",
      );
    const forwarder = new PortForward(this.kc);
    const open = new Set<net.Socket>();
    const server = net.createServer((socket) => {
      open.add(socket);
      socket.on("close", () => open.delete(socket));
      socket.on("error", () => socket.destroy());
      forwarder
        .portForward(this.namespace, pod.name, [containerPort], socket, null, socket)
        .then((ws) => {
          if (typeof ws === "function") return;
          ws.on("close", () => socket.destroy());
          ws.on("error", () => socket.destroy());
          socket.on("close", () => ws.close());
        })
        .catch(() => socket.destroy());
    });
    await new Promise<void>((resolve, reject) => {
      server.once("error", reject);
      server.listen(0, "127.0.0.1", resolve);
    });
    return {
      host: "127.0.0.1",
      port: (server.address() as net.AddressInfo).port,
      close: () => {
        server.close();
        for (const s of open) s.destroy();
      },
    };
  }

  /**
   * Runs a one-off pod of `image` in the stack's namespace to completion (a client inside the
   * stack: the Spark driver of `verify`), its output read when it ends; deleted after, or when
   * `signal` aborts.
   */
  async runPod(
    stack: string,
    run: {
      image: string;
      argv: readonly string[];
      env: Readonly<Record<string, string>>;
      memoryBytes: number;
      signal?: AbortSignal;
    },
  ): Promise<ExecResult> {
    const name = `${stack.slice(0, 40)}-run-${randomBytes(3).toString("hex")}`;
    const mib = Math.ceil(run.memoryBytes / 2 ** 20);
    await this.core.createNamespacedPod({
      namespace: this.namespace,
      body: {
        metadata: { name, labels: { [LABEL_STACK]: stack, "dev.deloc.role": "one-off" } },
        spec: {
          restartPolicy: "Never",
          terminationGracePeriodSeconds: 0,
          containers: [
            {
              name: "run",
              image: run.image,
              imagePullPolicy: "IfNotPresent",
              command: [...run.argv],
              env: Object.entries(run.env).map(([n, value]) => ({ name: n, value })),
              resources: {
                limits: { memory: `${mib}Mi`, cpu: "1" },
                requests: { memory: `${mib}Mi`, cpu: "100m" },
              },
            },
          ],
        },
      },
    });
    try {
      for (;;) {
        if (run.signal?.aborted) throw new Error(`the one-off pod ${name} did not end in time`);
        const p = await this.core.readNamespacedPod({ name, namespace: this.namespace });
        const waiting = p.status?.containerStatuses?.[0]?.state?.waiting;
        if (isFatal(waiting?.reason))
          return { exitCode: -1, output: `pod ${name}: ${waiting?.reason}: ${waiting?.message ?? ""}` };
        const done = p.status?.containerStatuses?.[0]?.state?.terminated;
        if (done) return { exitCode: done.exitCode, output: await this.podLogs(name).catch(() => "") };
        await new Promise((r) => setTimeout(r, 1000));
      }
    } finally {
      await this.core
        .deleteNamespacedPod({ name, namespace: this.namespace, gracePeriodSeconds: 0 })
        .catch(() => undefined);
    }
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

  async claims(stack: string): Promise<{ name: string; requestBytes: number | null }[]> {
    const list = await this.core.listNamespacedPersistentVolumeClaim({
      namespace: this.namespace,
      labelSelector: `${LABEL_STACK}=${stack}`,
    });
    return list.items
      .map((c) => {
        const bytes = quantityBytes(String(c.spec?.resources?.requests?.storage ?? ""));
        return { name: c.metadata?.name ?? "", requestBytes: Number.isFinite(bytes) ? bytes : null };
      })
      .sort((a, b) => a.name.localeCompare(b.name));
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

/**
 * Each service's newest Job: a Job of an earlier spec is kept until a deploy succeeds (see
 * `settle`), and the newest is the one the deploy waits on.
 */
function newestJobs<J extends { metadata?: { creationTimestamp?: Date; labels?: Record<string, string> } }>(
  jobs: readonly J[],
): J[] {
  const by = new Map<string, J>();
  const at = (j: J) => new Date(j.metadata?.creationTimestamp ?? 0).getTime();
  for (const j of jobs) {
    const service = j.metadata?.labels?.[LABEL_SERVICE] ?? "";
    const seen = by.get(service);
    if (!seen || at(j) > at(seen)) by.set(service, j);
  }
  return [...by.values()];
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
export function podRequests(p: V1Pod): { memoryBytes: number; cpuMillis: number } {
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

/**
 * An error of the connection to the API server (refused, reset, cut) or of an API server that is
 * starting (503), as EngineUnreachableError; null for an answer the API server gave.
 */
function lost(e: unknown, server: string): EngineUnreachableError | null {
  const code = status(e);
  if (code !== undefined && code !== 503) return null;
  return new EngineUnreachableError(
    "The Kubernetes API server stopped answering.",
    [`${server}: ${reason(e)}`],
    "Start it again (`npm run cluster` on the project's cluster); the next `deloc up --target kubernetes` converges.",
  );
}

/** The HTTP status the API server answered with; undefined when none answered (`ECONNREFUSED`). */
function status(e: unknown): number | undefined {
  const code = (e as { code?: unknown }).code;
  return typeof code === "number" ? code : undefined;
}

function reason(e: unknown): string {
  const err = e as { cause?: { code?: string; message?: string }; message?: string; code?: number };
  return err.cause?.code ?? err.cause?.message ?? err.message ?? String(e);
}
