import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { podState, readiness, type WorkloadState } from "./readiness.js";

const workload = (o: Partial<WorkloadState>): WorkloadState => ({
  service: "s",
  kind: "Deployment",
  name: "s",
  desired: 2,
  ready: 0,
  succeeded: 0,
  failed: 0,
  pods: [],
  ...o,
});

describe("kubernetes readiness", () => {
  it("a workload is ready when all its replicas are; a Job when a run succeeded", () => {
    assert.deepEqual(readiness(workload({ ready: 2 })), { state: "ready" });
    assert.deepEqual(readiness(workload({ ready: 1 })), {
      state: "starting",
      detail: "1/2 ready, no pod yet",
    });
    assert.deepEqual(readiness(workload({ desired: 0 })), { state: "ready" });
    assert.deepEqual(readiness(workload({ kind: "Job", desired: 1, succeeded: 1 })), { state: "ready" });
  });

  it("a changed workload is ready only once its new spec rolled out: the old spec's Ready pods do not count", () => {
    assert.deepEqual(readiness(workload({ ready: 2, updated: 1, outdated: 1 })), {
      state: "starting",
      detail: "rolling out: 1/2 updated, 1 of the previous spec left",
    });
    assert.deepEqual(readiness(workload({ ready: 2, updated: 0, outdated: 0 })).state, "starting");
    assert.deepEqual(readiness(workload({ ready: 2, updated: 2, outdated: 0 })), { state: "ready" });
  });

  it("fails fast on what will not clear by itself, naming the pod and its last exit", () => {
    const crash = workload({
      pods: [
        {
          name: "s-1",
          running: false,
          ready: false,
          restarts: 4,
          problem: "CrashLoopBackOff",
          lastTermination: { reason: "OOMKilled", exitCode: 137 },
        },
      ],
    });
    assert.deepEqual(readiness(crash), {
      state: "failed",
      reason: "pod s-1: CrashLoopBackOff (last exit: OOMKilled, code 137)",
    });
    assert.equal(
      readiness(
        workload({
          pods: [{ name: "s-1", running: false, ready: false, restarts: 0, problem: "ImagePullBackOff" }],
        }),
      ).state,
      "failed",
    );
    // Still being made: waiting, not failed.
    assert.equal(
      readiness(
        workload({
          pods: [{ name: "s-1", running: false, ready: false, restarts: 0, problem: "ContainerCreating" }],
        }),
      ).state,
      "starting",
    );
    assert.deepEqual(readiness(workload({ kind: "Job", desired: 1, jobFailed: "BackoffLimitExceeded" })), {
      state: "failed",
      reason: "the job gave up: BackoffLimitExceeded",
    });
  });

  it("a wait on a dependency that exited is retried by the kubelet: the pod is starting, not failed", () => {
    // Its kubectl started while the API server was restarting: exit 1, twice, then CrashLoopBackOff.
    const pod = podState({
      metadata: { name: "s-1", labels: { "dev.deloc.service": "s" } },
      status: {
        phase: "Pending",
        initContainerStatuses: [
          {
            name: "wait-for-db",
            image: "kubectl",
            imageID: "",
            ready: false,
            restartCount: 2,
            state: { waiting: { reason: "CrashLoopBackOff" } },
            lastState: { terminated: { exitCode: 1, reason: "Error" } },
          },
        ],
        containerStatuses: [
          {
            name: "s",
            image: "busybox",
            imageID: "",
            ready: false,
            restartCount: 0,
            state: { waiting: { reason: "PodInitializing" } },
          },
        ],
      },
    });
    assert.deepEqual(readiness(workload({ desired: 1, pods: [pod] })), {
      state: "starting",
      detail: "0/1 ready, its wait wait-for-db restarting (exit 1; 2 restarts)",
    });
  });

  it("a container killed for memory is seen in its state now as in its last one; its start time is read", () => {
    const pod = (state: object, lastState: object) =>
      podState({
        metadata: { name: "s-1", labels: { "dev.deloc.service": "s" } },
        status: {
          phase: "Running",
          containerStatuses: [
            { name: "s", image: "b", imageID: "", ready: false, restartCount: 1, state, lastState },
          ],
        },
      });
    assert.equal(pod({ terminated: { exitCode: 137, reason: "OOMKilled" } }, {}).oomKilled, true);
    const again = pod(
      { running: { startedAt: new Date("2026-12-03T17:51:27Z") } },
      { terminated: { exitCode: 137, reason: "OOMKilled" } },
    );
    assert.equal(again.oomKilled, true);
    assert.equal(again.startedAt, Date.parse("2026-12-03T17:51:27Z"));
    assert.equal(pod({ running: {} }, {}).oomKilled, undefined);
  });
});
