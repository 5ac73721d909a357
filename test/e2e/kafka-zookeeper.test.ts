/**
 * Kafka's ZooKeeper variant on the real engine: Confluent's image of Kafka 3.9 after a ZooKeeper
 * server, both healthy within the minimal profile, and `verify` proves both (a znode written and
 * read, the broker registered in ZooKeeper, a message produced and consumed through the broker).
 */
import assert from "node:assert/strict";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { after, test } from "node:test";
import { delocIn } from "../support/cli.js";
import { dockerAdapter } from "../support/engine.js";

const STACK = "deloc-e2e-kafka-zk";
const dir = fs.mkdtempSync(path.join(os.tmpdir(), "deloc-kafka-zk-"));
fs.writeFileSync(
  path.join(dir, "deloc.yaml"),
  `apiVersion: deloc.dev/v1\nkind: Stack\nmetadata: { name: ${STACK} }\nspec:\n  profile: minimal\n  services:\n    kafka: { variant: zookeeper }\n`,
);
const { ok, deloc } = delocIn(() => dir);

after(() => {
  deloc("down", "--volumes", "--yes");
  fs.rmSync(dir, { recursive: true, force: true });
});

test("kafka on ZooKeeper: comes up after zookeeper, verify proves both, down --volumes leaves nothing", async () => {
  ok("up", "--memory", "2g");
  const engine = await dockerAdapter();
  assert.deepEqual(
    (await engine.observe(STACK)).containers.map((c) => `${c.service}:${c.image}`),
    ["kafka:confluentinc/cp-kafka:7.9.0", "zookeeper:zookeeper:3.9.5"],
  );
  const status = JSON.parse(ok("status", "--json")) as { services: { service: string; condition: string }[] };
  assert.deepEqual(
    status.services.map((s) => `${s.service}:${s.condition}`),
    ["kafka:running", "zookeeper:running"],
  );

  const r = JSON.parse(ok("verify", "--json")) as {
    ok: boolean;
    probes: { service: string; ok: boolean; detail: string }[];
  };
  assert.deepEqual(
    r.probes.map((p) => `${p.service}:${p.ok}`),
    ["kafka:true", "zookeeper:true"],
    JSON.stringify(r.probes, null, 2),
  );
  assert.match(r.probes[1]!.detail, /Kafka brokers registered: 1$/);

  ok("down", "--volumes", "--yes");
  const o = await engine.observe(STACK);
  assert.deepEqual([o.containers, o.volumes, o.networks], [[], [], []]);
});
