/**
 * MinIO, Redis, Spark and Postgres from the catalog, on look-alikes that behave as their upstream
 * images do (images/<name>/CONTRACT.md): up, verify, and a MinIO backup restored onto changed data.
 *
 * What upstream does and a generous look-alike hid: Redis 8 steps down with `setpriv
 * --bounding-set=-all`, which needs SETPCAP (without it the container exits 127), and silently
 * stays root when SETUID or SETGID is missing; Spark's image sets no PYTHONPATH; MinIO runs as
 * root on a base with no `find`, so a restore cannot empty its volume from inside its image.
 */
import assert from "node:assert/strict";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { after, before, describe, test } from "node:test";
import {
  CreateBucketCommand,
  GetObjectCommand,
  ListObjectsV2Command,
  PutObjectCommand,
  S3Client,
} from "@aws-sdk/client-s3";
import type { Adapter } from "../../src/adapters/adapter.js";
import { delocIn } from "../support/cli.js";
import { dockerAdapter } from "../support/engine.js";

const STACK = "deloc-e2e-upstream";
let dir: string;
let engine: Adapter;
const { ok, deloc } = delocIn(() => dir);

async function running(service: string) {
  const c = (await engine.observe(STACK)).containers.find(
    (x) => x.service === service && x.state === "running",
  );
  assert.ok(c, `${service} is running`);
  return c;
}

function s3(): S3Client {
  process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= "true";
  const plan = JSON.parse(ok("plan", "--json")) as {
    services: { name: string; env: Record<string, string>; ports: { name: string; host: number }[] }[];
  };
  const minio = plan.services.find((s) => s.name === "minio")!;
  const secrets = fs.readFileSync(path.join(dir, ".deloc", "secrets.env"), "utf8");
  const password = /^minio-root-password=(.*)$/m.exec(secrets)?.[1];
  assert.ok(password, "the MinIO password is in .deloc/secrets.env");
  return new S3Client({
    endpoint: `http://127.0.0.1:${minio.ports.find((p) => p.name === "s3")!.host}`,
    region: "us-east-1",
    forcePathStyle: true,
    credentials: { accessKeyId: minio.env.MINIO_ROOT_USER!, secretAccessKey: password },
  });
}

async function keys(client: S3Client): Promise<string[]> {
  const r = await client.send(new ListObjectsV2Command({ Bucket: "lake" }));
  return (r.Contents ?? []).map((o) => o.Key!).sort();
}

describe("upstream-faithful images (real engine)", () => {
  before(async () => {
    engine = await dockerAdapter();
    dir = fs.mkdtempSync(path.join(os.tmpdir(), "deloc-upstream-"));
    fs.writeFileSync(
      path.join(dir, "deloc.yaml"),
      `apiVersion: deloc.dev/v1\nkind: Stack\nmetadata: { name: ${STACK} }\nspec:\n  profile: minimal\n  services:\n    minio: {}\n    redis: {}\n    spark-worker: {}\n    postgres: {}\n`,
    );
  });
  after(() => {
    deloc("down", "--volumes", "--yes");
    fs.rmSync(dir, { recursive: true, force: true });
  });

  test("up: every service starts, Redis among them, with the capabilities its setpriv needs", () => {
    ok("up");
  });

  test("redis stepped down to uid 999 with no capability left, as upstream's entrypoint does", async () => {
    const redis = await running("redis");
    const status = (await engine.exec(redis.id, ["cat", "/proc/1/status"])).output;
    assert.match(status, /^Uid:\s+999\s+999\s+999\s+999$/m, "redis-server runs as redis, not root");
    assert.match(status, /^CapBnd:\s+0+$/m, "its bounding set is empty");
    assert.match(status, /^NoNewPrivs:\s+1$/m);
  });

  test("verify: every probe passes against upstream-faithful images (Spark's driver without a PYTHONPATH from the image)", () => {
    const r = JSON.parse(ok("verify", "--json")) as {
      ok: boolean;
      probes: { service: string; ok: boolean; what: string | null; detail: string }[];
    };
    const ran = r.probes.filter((p) => p.what);
    assert.deepEqual(
      ran.map((p) => `${p.service}:${p.ok}`),
      ["minio:true", "postgres:true", "redis:true", "spark-master:true"],
      JSON.stringify(ran, null, 2),
    );
  });

  test("minio runs as root, on an image without find or tar", async () => {
    const minio = await running("minio");
    assert.match((await engine.exec(minio.id, ["cat", "/proc/1/status"])).output, /^Uid:\s+0\s/m);
    for (const tool of ["find", "tar"])
      assert.notEqual((await engine.exec(minio.id, ["bash", "-c", `command -v ${tool}`])).exitCode, 0, tool);
  });

  test("backup and restore of MinIO: the restored bucket is the backed-up one, exactly", async () => {
    const client = s3();
    try {
      await client.send(new CreateBucketCommand({ Bucket: "lake" }));
      await client.send(new PutObjectCommand({ Bucket: "lake", Key: "events/1.json", Body: '{"n":1}' }));
      ok("backup", "minio", "-o", "minio.tar.gz");
      await client.send(
        new PutObjectCommand({ Bucket: "lake", Key: "events/1.json", Body: '{"n":"changed"}' }),
      );
      await client.send(new PutObjectCommand({ Bucket: "lake", Key: "events/2.json", Body: '{"n":2}' }));
      ok("restore", "--yes", "minio", "minio.tar.gz");
    } finally {
      client.destroy();
    }
    const again = s3();
    try {
      // The restarted server answers once it has loaded the restored data.
      let listed: string[] = [];
      for (let i = 0; i < 40; i++) {
        listed = await keys(again).catch(() => []);
        if (listed.length) break;
        await new Promise((r) => setTimeout(r, 250));
      }
      assert.deepEqual(listed, ["events/1.json"], "the object written after the backup is gone");
      const got = await again.send(new GetObjectCommand({ Bucket: "lake", Key: "events/1.json" }));
      assert.equal(await got.Body?.transformToString(), '{"n":1}');
    } finally {
      again.destroy();
    }
  });
});
