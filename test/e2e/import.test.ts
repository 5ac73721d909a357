/**
 * Coming from Docker Compose, on the real engine: `deloc import compose` on an everyday app stack
 * (postgres and MinIO from catalog images, a migration job and an API built from a Dockerfile),
 * then `deloc up`, health-gated, then `down`. The catalog's services keep the compose file's
 * credentials and are verified by DELoc's own probes.
 */
import assert from "node:assert/strict";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { after, before, describe, test } from "node:test";
import type { Adapter } from "../../src/adapters/adapter.js";
import { delocIn } from "../support/cli.js";
import { dockerAdapter } from "../support/engine.js";

const STACK = "deloc-import-e2e";
const FIXTURE = path.resolve(import.meta.dirname, "../fixtures/compose/e2e");

let dir: string;
let engine: Adapter;
const { deloc, ok } = delocIn(() => dir);

const containers = async () => (await engine.observe(STACK)).containers;

describe("import compose, then up (real engine)", () => {
  before(async () => {
    engine = await dockerAdapter();
    dir = fs.mkdtempSync(path.join(os.tmpdir(), "deloc-import-"));
    fs.cpSync(FIXTURE, dir, { recursive: true });
    deloc("cleanup", "--yes", "--stack", STACK); // whatever an earlier, interrupted run left
  });
  after(() => {
    deloc("cleanup", "--yes");
    fs.rmSync(dir, { recursive: true, force: true });
  });

  test("import writes a commented stack file and lists what it left out", () => {
    const out = ok("import", "compose");
    assert.match(out, /Wrote deloc\.yaml: stack "deloc-import-e2e", 4 services from compose\.yaml\./);
    assert.match(out, /from the catalog .*: db, storage/);
    assert.match(out, /compose\.yaml:\d+ debug: in profile debug; pass --profile debug to import it/);
    assert.match(out, /compose\.yaml:20 db healthcheck: the catalog's postgres health check is used instead/);
    const text = fs.readFileSync(path.join(dir, "deloc.yaml"), "utf8");
    assert.match(text, /^# deloc\.yaml — imported from compose\.yaml/);
    assert.match(text, /# not carried: compose\.yaml:20 healthcheck:/);
    // A second import does not overwrite it.
    const again = deloc("import", "compose");
    assert.equal(again.code, 2);
    assert.match(again.err, /deloc\.yaml already exists; nothing was written/);
  });

  test("up: health-gated in the compose file's order, within the limits it gave", async () => {
    ok("up");
    const running = Object.fromEntries((await containers()).map((c) => [c.service, c]));
    assert.deepEqual(Object.keys(running).sort(), ["api", "db", "migrate", "storage"]);
    assert.equal(running.migrate?.state, "exited");
    assert.equal(running.migrate?.exitCode, 0);
    for (const s of ["api", "db", "storage"]) assert.equal(running[s]?.state, "running", s);
    assert.equal(running.api?.memoryLimitBytes, 128 * 1024 ** 2);
    assert.equal(running.api?.cpuMillis, 500);
    // The migration ran once postgres was healthy, and the api started only after it completed.
    assert.equal(fs.readFileSync(path.join(dir, "shared", "migrated"), "utf8"), "migrated 0001\n");
    assert.ok(Date.parse(running.api!.startedAt!) > Date.parse(running.migrate!.startedAt!));
    // Interpolation, the anchor and the env_file reached the api.
    const env = await engine.exec(running.api!.id, ["sh", "-c", "echo $DATABASE_URL $LOG_LEVEL $GREETING"]);
    assert.equal(env.output, "postgresql://app:s3cret@db:5432/app info hello\n");
    // The database has the compose file's user and database, under DELoc's sizing.
    const sql = await engine.exec(running.db!.id, [
      "psql",
      "-U",
      "app",
      "-d",
      "app",
      "-tAc",
      "select current_user",
    ]);
    assert.equal(sql.output.trim(), "app");
  });

  test("verify: DELoc's own probes prove the catalog services, with the compose file's credentials", () => {
    const r = JSON.parse(ok("verify", "db", "storage", "--json")) as {
      ok: boolean;
      probes: { service: string; ok: boolean; what: string | null }[];
    };
    assert.equal(r.ok, true);
    assert.deepEqual(
      r.probes.filter((p) => p.what !== null).map((p) => `${p.service}:${p.ok}`),
      ["db:true", "storage:true"],
    );
  });

  test("down removes the containers and keeps the database's volume", async () => {
    ok("down");
    assert.deepEqual(await containers(), []);
    assert.ok((await engine.observe(STACK)).volumes.includes(`${STACK}_db-data`));
  });
});
