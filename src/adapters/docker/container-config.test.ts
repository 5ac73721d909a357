import assert from "node:assert/strict";
import { test } from "node:test";
import { budget, catalog, stackFrom } from "../../../test/support/stack.js";
import { LABEL_HASH, LABEL_SERVICE, LABEL_STACK } from "../../core/index.js";
import { plan as makePlan } from "../../planner/index.js";
import { containerConfig } from "./container-config.js";

const plan = makePlan(
  stackFrom(`
apiVersion: deloc.dev/v1
kind: Stack
metadata: { name: demo }
spec:
  services:
    postgres: {}
    redis: {}
    spark-worker: { replicas: 2 }
    app: { image: "example/app:1" }
`),
  catalog,
  budget(8),
  { takenPorts: new Set() },
);
const request = (name: string, replica = 1) => ({
  stack: "demo",
  service: plan.services.find((s) => s.name === name)!,
  replica,
  env: { POSTGRES_PASSWORD: "s3cret" },
  network: "demo_default",
  volumeNames: { "postgres-data": "demo_postgres-data" },
  publishPorts: replica === 1,
  deployedBy: "test",
});

test("container config: limits, no extra swap, labels, network alias and the stack's volume", () => {
  const s = request("postgres").service;
  const c = containerConfig(request("postgres"), { healthStartInterval: false });
  assert.equal(c.name, "demo-postgres-1");
  assert.equal(c.HostConfig?.Memory, s.memoryBytes);
  assert.equal(c.HostConfig?.MemorySwap, s.memoryBytes);
  assert.equal(c.HostConfig?.NanoCpus, s.cpuMillis * 1e6);
  assert.deepEqual(c.Labels && [c.Labels[LABEL_STACK], c.Labels[LABEL_SERVICE], c.Labels[LABEL_HASH]], [
    "demo",
    "postgres",
    s.hash,
  ]);
  assert.deepEqual(c.NetworkingConfig?.EndpointsConfig?.demo_default?.Aliases, ["postgres"]);
  assert.deepEqual(c.HostConfig?.PortBindings?.["5432/tcp"], [{ HostIp: "127.0.0.1", HostPort: "5432" }]);
  assert.equal(c.HostConfig?.Mounts?.[0]?.Source, "demo_postgres-data");
  assert.deepEqual(c.HostConfig?.RestartPolicy, { Name: "unless-stopped" });
  assert.ok(c.Env?.includes("POSTGRES_PASSWORD=s3cret"));
  assert.equal(c.HostConfig?.Privileged, false);
  assert.deepEqual(c.HostConfig?.SecurityOpt, ["no-new-privileges:true"]);
  // postgres's image user is known: every capability dropped but what its entrypoint needs to step down.
  assert.deepEqual(c.HostConfig?.CapDrop, ["ALL"]);
  assert.deepEqual(c.HostConfig?.CapAdd, [
    "CHOWN",
    "DAC_OVERRIDE",
    "FOWNER",
    "FSETID",
    "KILL",
    "SETGID",
    "SETUID",
  ]);
});

test("container config: redis keeps SETPCAP too, which its setpriv step-down needs to clear the bounding set", () => {
  const c = containerConfig(request("redis"), { healthStartInterval: false });
  assert.deepEqual(c.HostConfig?.CapDrop, ["ALL"]);
  assert.deepEqual(c.HostConfig?.CapAdd, [
    "CHOWN",
    "DAC_OVERRIDE",
    "FOWNER",
    "FSETID",
    "KILL",
    "SETGID",
    "SETUID",
    "SETPCAP",
  ]);
});

test("container config: an image DELoc does not know keeps the capabilities a server may need, not the unused ones", () => {
  const c = containerConfig(request("app"), { healthStartInterval: false });
  assert.deepEqual(c.HostConfig?.CapDrop, ["AUDIT_WRITE", "MKNOD", "NET_RAW", "SETFCAP", "SYS_CHROOT"]);
  assert.deepEqual(c.HostConfig?.CapAdd, []);
  assert.deepEqual(c.HostConfig?.SecurityOpt, ["no-new-privileges:true"]);
});

test("container config: the health check in nanoseconds, with a start interval only where the engine has one", () => {
  const hc = request("postgres").service.healthCheck!;
  const old = containerConfig(request("postgres"), { healthStartInterval: false }).Healthcheck!;
  assert.deepEqual(old.Test, ["CMD", ...hc.command]);
  assert.equal(old.Interval, hc.intervalMs * 1e6);
  assert.equal((old as { StartInterval?: number }).StartInterval, undefined);
  const next = containerConfig(request("postgres"), { healthStartInterval: true }).Healthcheck!;
  assert.equal((next as { StartInterval?: number }).StartInterval, hc.startIntervalMs * 1e6);
});

test("container config: only the first replica publishes host ports", () => {
  const second = containerConfig(request("spark-worker", 2), { healthStartInterval: false });
  assert.deepEqual(second.HostConfig?.PortBindings, {});
  assert.equal(second.name, "demo-spark-worker-2");
});
