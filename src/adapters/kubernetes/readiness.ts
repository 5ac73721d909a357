/**
 * Whether a service's workload on Kubernetes is ready, starting, or has failed and why, from what
 * the API server says of the workload and its pods. Pure: the target reads, this decides.
 */
import type { V1Pod } from "@kubernetes/client-node";
import { LABEL_SERVICE } from "../../core/index.js";

export interface PodState {
  name: string;
  /** Its phase is Running (its containers started; Ready or not). */
  running: boolean;
  ready: boolean;
  restarts: number;
  /** A waiting or terminated reason that means the pod will not get better on its own. */
  problem?: string;
  /** The last terminated state's reason (`OOMKilled`, `Error`) and exit code. */
  lastTermination?: { reason: string; exitCode: number };
  /** A container of it was killed for memory: its state now or its last one says `OOMKilled`. */
  oomKilled?: boolean;
  /** When its service's container started running this time (ms since the epoch, whole seconds). */
  startedAt?: number;
  /**
   * An init container (a wait on a dependency) that exited and is started again by the kubelet, with
   * a back-off: not a failure of the pod (its kubectl met an API server restarting, say).
   */
  initRetrying?: string;
  /** Being deleted (its workload rolled it out, or scaled it away). */
  terminating?: boolean;
}

export interface WorkloadState {
  service: string;
  kind: "Deployment" | "StatefulSet" | "Job";
  name: string;
  desired: number;
  ready: number;
  /**
   * Deployments and StatefulSets: replicas of the current spec (the controller has seen it, as
   * `kubectl rollout status` asks). Ready replicas of the spec before do not make a change ready.
   * @default desired
   */
  updated?: number;
  /** Replicas of an older spec still there (a rollout in progress). @default 0 */
  outdated?: number;
  /** Jobs: runs that succeeded / failed. */
  succeeded: number;
  failed: number;
  /** The Job's Failed condition message, when it has given up. */
  jobFailed?: string;
  pods: PodState[];
}

export type Readiness =
  | { state: "ready" }
  | { state: "starting"; detail: string }
  | { state: "failed"; reason: string };

/** Reasons that will not clear without a change (a bad image, a bad config, a crash loop). */
const FATAL = new Set([
  "ErrImagePull",
  "ImagePullBackOff",
  "InvalidImageName",
  "CreateContainerConfigError",
  "CreateContainerError",
  "CrashLoopBackOff",
]);

export function isFatal(reason: string | undefined): boolean {
  return reason !== undefined && FATAL.has(reason);
}

export function readiness(w: WorkloadState): Readiness {
  if (w.kind === "Job") {
    if (w.succeeded > 0) return { state: "ready" };
    if (w.jobFailed) return { state: "failed", reason: `the job gave up: ${w.jobFailed}` };
  } else if (w.desired === 0 || (w.ready >= w.desired && rolledOut(w))) return { state: "ready" };
  for (const p of w.pods)
    if (p.problem && isFatal(p.problem)) {
      const last = p.lastTermination
        ? ` (last exit: ${p.lastTermination.reason}, code ${p.lastTermination.exitCode})`
        : "";
      return { state: "failed", reason: `pod ${p.name}: ${p.problem}${last}` };
    }
  const retrying = w.pods.find((p) => p.initRetrying)?.initRetrying;
  const detail =
    w.kind === "Job"
      ? `${w.failed} failed runs so far`
      : retrying
        ? `${w.ready}/${w.desired} ready, ${retrying}`
        : rolledOut(w) || w.ready < w.desired
          ? `${w.ready}/${w.desired} ready${w.pods.length ? "" : ", no pod yet"}`
          : `rolling out: ${w.updated ?? 0}/${w.desired} updated, ${w.outdated ?? 0} of the previous spec left`;
  return { state: "starting", detail };
}

function rolledOut(w: WorkloadState): boolean {
  return (w.updated ?? w.desired) >= w.desired && (w.outdated ?? 0) === 0;
}

/** A pod as the API server reports it, as readiness reads it. */
export function podState(p: V1Pod): PodState {
  const init = p.status?.initContainerStatuses ?? [];
  const main = p.status?.containerStatuses ?? [];
  const statuses = [...init, ...main];
  // A wait on a dependency that exited (its kubectl met an API server restarting, say) is started
  // again by the kubelet, with a back-off: the pod waits on, it has not failed.
  const retrying = init.find((s) => s.state?.waiting?.reason === "CrashLoopBackOff");
  const waiting = statuses
    .filter((s) => s !== retrying)
    .map((s) => s.state?.waiting?.reason)
    .find((r) => r && r !== "PodInitializing");
  const terminated = statuses.map((s) => s.lastState?.terminated).find(Boolean);
  const service = p.metadata?.labels?.[LABEL_SERVICE];
  const own = main.find((s) => s.name === service) ?? main[0];
  const startedAt = own?.state?.running?.startedAt;
  return {
    name: p.metadata?.name ?? "",
    running: p.status?.phase === "Running",
    ready: p.status?.conditions?.some((c) => c.type === "Ready" && c.status === "True") ?? false,
    restarts: main.reduce((n, s) => n + (s.restartCount ?? 0), 0),
    ...(waiting ? { problem: waiting } : {}),
    ...(terminated
      ? { lastTermination: { reason: terminated.reason ?? "", exitCode: terminated.exitCode } }
      : {}),
    ...(statuses.some(
      (s) => s.state?.terminated?.reason === "OOMKilled" || s.lastState?.terminated?.reason === "OOMKilled",
    )
      ? { oomKilled: true }
      : {}),
    ...(startedAt ? { startedAt: new Date(startedAt).getTime() } : {}),
    ...(p.metadata?.deletionTimestamp ? { terminating: true } : {}),
    ...(retrying
      ? {
          initRetrying: `its wait ${retrying.name} restarting (exit ${retrying.lastState?.terminated?.exitCode ?? "?"}; ${retrying.restartCount} restarts)`,
        }
      : {}),
  };
}
