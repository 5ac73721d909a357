import assert from "node:assert/strict";
import { test } from "node:test";
import type { LifecycleEvent } from "../core/index.js";
import { deployRuns, formatMetrics, readyDurations, stackMetrics } from "./metrics.js";

const ev = (time: string, from: string, to: string, service?: string): LifecycleEvent =>
  ({
    time: `2026-01-01T00:00:${time}Z`,
    stack: "s",
    from,
    to,
    reason: "r",
    command: "up",
    ...(service ? { service } : {}),
  }) as LifecycleEvent;

const LOG = [
  ev("00.000", "stopped", "deploying"),
  ev("01.000", "stopped", "deploying", "db"),
  ev("03.500", "deploying", "running", "db"),
  ev("10.000", "deploying", "failed"),
  ev("20.000", "failed", "deploying"),
  ev("21.000", "failed", "deploying", "db"),
  ev("22.250", "deploying", "running", "db"),
  ev("25.000", "deploying", "running"),
  ev("30.000", "running", "stopped"),
];

test("each up in the event log: its duration and outcome", () => {
  assert.deepEqual(
    deployRuns(LOG).map((d) => [d.seconds, d.outcome]),
    [
      [10, "failure"],
      [5, "success"],
    ],
  );
});

test("time to ready is each service's last way from deploying to running", () => {
  assert.deepEqual([...readyDurations(LOG)], [["db", 1.25]]);
});

test("the text format: HELP and TYPE per family, labels escaped, histogram buckets cumulative", () => {
  const text = formatMetrics(stackMetrics({ stack: 'a"b\\c', services: [], cpu: new Map(), events: LOG }));
  assert.match(text, /^# HELP deloc_deploy_duration_seconds /m);
  assert.match(text, /^# TYPE deloc_deploy_duration_seconds histogram$/m);
  assert.match(
    text,
    /^deloc_deploy_duration_seconds_bucket\{stack="a\\"b\\\\c",outcome="success",le="5"\} 1$/m,
  );
  assert.match(
    text,
    /^deloc_deploy_duration_seconds_bucket\{stack="a\\"b\\\\c",outcome="failure",le="5"\} 0$/m,
  );
  assert.match(
    text,
    /^deloc_deploy_duration_seconds_bucket\{stack="a\\"b\\\\c",outcome="failure",le="10"\} 1$/m,
  );
  assert.match(text, /^deloc_deploy_duration_seconds_count\{stack="a\\"b\\\\c",outcome="failure"\} 1$/m);
  assert.match(text, /^deloc_deploy_last_success\{stack="a\\"b\\\\c"\} 1$/m);
  assert.ok(text.endsWith("\n"));
});
