/**
 * The main scenarios on Podman's own service (`target: podman`), as on Docker: up, status, logs,
 * verify, backup and restore, a failed deploy rolled back, down. One stack, reused: postgres from
 * the catalog and a service of ours that reaches it by name (Podman's DNS, aardvark-dns) and is
 * health-gated by DELoc's own probing (Podman runs no health checks without systemd).
 */
import assert from "node:assert/strict";
import fs from "node:fs";
import path from "node:path";
import { after, before, describe, test } from "node:test";
import type { Adapter } from "../../src/adapters/adapter.js";
import { VOLUME_HELPER_IMAGE } from "../../src/adapters/docker/docker-adapter.js";
import { BASE_IMAGE } from "../support/engine.js";
import { type FaultProject, faultProject, service } from "../support/faults.js";
import { podmanAdapter } from "../support/podman.js";

const STACK = "deloc-podman-e2e";
const POSTGRES = "postgres:17";
const postgres = `    postgres:\n      template: postgres\n      image: "${POSTGRES}"\n`;
const web = (check: string) =>
  service(
    "web",
    `dependsOn: [postgres]\nhealthCheck: { command: ${check}, interval: 1s, startInterval: 100ms, retries: 3 }`,
  );
const reachesPostgres = '["getent", "hosts", "postgres"]';

describe("target: podman, end to end", () => {
  let project: FaultProject;
  let podman: Adapter;
  const sql = (q: string) => project.ok("psql", "--", "-tAc", q).trim();

  before(async () => {
    podman = await podmanAdapter([BASE_IMAGE, VOLUME_HELPER_IMAGE, POSTGRES]);
    project = faultProject(STACK, { DELOC_TARGET: "podman" });
    project.deloc("cleanup", "--yes", "--stack", STACK);
    project.write(postgres + web(reachesPostgres));
  });
  after(() => project?.dispose());

  test("up deploys on Podman, health-gated, and says which socket; the containers are Podman's", async () => {
    const r = project.deloc("up");
    assert.equal(r.code, 0, r.err + r.out);
    assert.match(r.err + r.out, /podman socket/);
    assert.equal((await podman.observe(STACK)).containers.length, 2);
  });

  test("status says healthy for the services up saw ready (Podman runs no checks without systemd)", () => {
    const status = JSON.parse(project.ok("status", "--json")) as {
      services: { service: string; condition: string; replicas: { health: string }[] }[];
    };
    assert.deepEqual(
      status.services
        .map((s) => `${s.service} ${s.condition} ${s.replicas.map((r) => r.health).join(",")}`)
        .sort(),
      ["postgres running healthy", "web running healthy"],
    );
  });

  test("logs and verify", () => {
    assert.match(
      project.ok("logs", "postgres", "--tail", "50"),
      /database system is ready to accept connections/,
    );
    const r = project.deloc("verify", "postgres");
    assert.equal(r.code, 0, r.err + r.out);
  });

  test("backup and restore bring the data back", () => {
    sql("create table kept (x int); insert into kept values (42)");
    const file = path.join(project.dir, "pg.tar.gz");
    project.ok("backup", "postgres", "-o", file);
    assert.ok(fs.statSync(file).size > 0);
    sql("drop table kept");
    project.ok("restore", "postgres", file, "--yes");
    assert.equal(sql("select x from kept"), "42");
  });

  test("a deploy that fails its health check exits 5 and is rolled back: the running web stays", async () => {
    const before = (await podman.observe(STACK)).containers.find((c) => c.service === "web");
    project.write(postgres + web('["false"]'));
    const r = project.deloc("up", "--wait-timeout", "20s");
    assert.equal(r.code, 5, r.err + r.out);
    assert.match(r.err, /web/);
    const now = (await podman.observe(STACK)).containers.find((c) => c.service === "web");
    assert.equal(now?.id, before?.id);
    assert.equal(now?.state, "running");
    project.write(postgres + web(reachesPostgres));
  });

  test("down removes the containers and the network, keeps the volume; cleanup --stack removes it on Podman", async () => {
    project.ok("down");
    const o = await podman.observe(STACK);
    assert.deepEqual(o.containers, []);
    assert.deepEqual(o.networks, []);
    assert.ok(o.volumes.length > 0);
    // No stack file read: DELOC_TARGET=podman names the engine.
    project.ok("cleanup", "--yes", "--stack", STACK);
    assert.deepEqual((await podman.observe(STACK)).volumes, []);
  });
});
