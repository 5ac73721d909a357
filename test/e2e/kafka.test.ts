/**
 * Kafka (KRaft) from the catalog, on the real engine: it comes up within its limits, clients on the
 * host and services in the stack both reach it (its two listeners), and `verify` proves it.
 */
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { after, before, describe, test } from "node:test";
import type { Adapter } from "../../src/adapters/adapter.js";
import { delocIn } from "../support/cli.js";
import { dockerAdapter, service } from "../support/engine.js";

const STACK = "deloc-e2e-kafka";
let dir: string;
let engine: Adapter;

const { ok, deloc } = delocIn(() => dir);

describe("kafka (real engine)", () => {
  before(async () => {
    engine = await dockerAdapter();
    dir = fs.mkdtempSync(path.join(os.tmpdir(), "deloc-kafka-"));
    fs.writeFileSync(
      path.join(dir, "deloc.yaml"),
      `apiVersion: deloc.dev/v1\nkind: Stack\nmetadata: { name: ${STACK} }\nspec:\n  profile: minimal\n  services:\n    kafka: {}\n`,
    );
  });
  after(() => {
    deloc("down", "--volumes", "--yes");
    fs.rmSync(dir, { recursive: true, force: true });
  });

  test("comes up healthy with its heap inside its memory limit, sized as `up` was told", async () => {
    // A small machine: kafka is shrunk below its preferred size.
    ok("up", "--memory", "1g");
    // Later commands plan what was deployed: the same limits, so nothing looks outdated.
    const status = JSON.parse(ok("status", "--json")) as { services: { outdated: boolean }[] };
    assert.deepEqual(
      status.services.map((s) => s.outdated),
      [false],
    );
    const plan = JSON.parse(ok("plan", "--json", "--memory", "1g")) as {
      services: { name: string; memoryBytes: number; jvmHeapBytes: number }[];
    };
    const k = plan.services.find((s) => s.name === "kafka")!;
    const [c] = (await engine.observe(STACK)).containers;
    assert.equal(c?.state, "running");
    assert.equal(c?.memoryLimitBytes, k.memoryBytes);
    assert.ok(k.jvmHeapBytes < k.memoryBytes);
    const heap = await engine.exec(c!.id, ["sh", "-c", "tr '\\0' ' ' < /proc/1/cmdline"]);
    assert.match(heap.output, new RegExp(`-Xmx${k.jvmHeapBytes / 1024 / 1024}m`));
  });

  test("verify: a topic created, a message produced and consumed from the host", () => {
    const r = JSON.parse(ok("verify", "--json")) as {
      ok: boolean;
      probes: { service: string; ok: boolean }[];
    };
    assert.deepEqual(
      r.probes.map((p) => `${p.service}:${p.ok}`),
      ["kafka:true"],
    );
  });

  test("a service in the stack reaches the broker by name on its internal listener", async () => {
    const [c] = (await engine.observe(STACK)).containers;
    // A second JVM in the broker's container would not fit its limit: run the client in its own.
    const id = await engine.createContainer({
      stack: STACK,
      service: service("client", { image: "apache/kafka:4.1.1", memoryBytes: 384 * 1024 * 1024 }),
      replica: 1,
      env: { KAFKA_HEAP_OPTS: "-Xmx128m" },
      network: `${STACK}_default`,
      volumeNames: {},
      publishPorts: false,
      deployedBy: "test",
    });
    try {
      await engine.startContainer(id);
      const topics = await engine.exec(id, [
        "/opt/kafka/bin/kafka-topics.sh",
        "--bootstrap-server",
        "kafka:19092",
        "--create",
        "--topic",
        "in-stack",
        "--partitions",
        "1",
      ]);
      assert.equal(topics.exitCode, 0, topics.output);
      // As upstream's tools (config/tools-log4j2.yaml: WARN and up, to stderr), stdout holds only
      // the answer, so `deloc kafka-topics --list | …` reads topic names and nothing else.
      const list = spawnSync(
        "docker",
        ["exec", id, "/opt/kafka/bin/kafka-topics.sh", "--bootstrap-server", "kafka:19092", "--list"],
        { encoding: "utf8" },
      );
      assert.equal(list.status, 0, list.stderr);
      const lines = list.stdout.split("\n").filter(Boolean);
      assert.ok(lines.includes("in-stack"), list.stdout);
      assert.ok(
        lines.every((l) => /^[\w.-]+$/.test(l)),
        `stdout holds more than topic names:\n${list.stdout}`,
      );
    } finally {
      await engine.removeContainer(id);
    }
    assert.equal((await engine.inspectContainer(c!.id))?.state, "running");
  });
});
