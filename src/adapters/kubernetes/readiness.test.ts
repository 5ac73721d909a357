import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { readiness, type WorkloadState } from "./readiness.js";

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
});
