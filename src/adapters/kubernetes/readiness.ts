/**
 * Whether a service's workload on Kubernetes is ready, starting, or has failed and why, from what
 * the API server says of the workload and its pods. Pure: the target reads, this decides.
 */

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
  const detail =
    w.kind === "Job"
      ? `${w.failed} failed runs so far`
      : rolledOut(w) || w.ready < w.desired
        ? `${w.ready}/${w.desired} ready${w.pods.length ? "" : ", no pod yet"}`
        : `rolling out: ${w.updated ?? 0}/${w.desired} updated, ${w.outdated ?? 0} of the previous spec left`;
  return { state: "starting", detail };
}

function rolledOut(w: WorkloadState): boolean {
  return (w.updated ?? w.desired) >= w.desired && (w.outdated ?? 0) === 0;
}
