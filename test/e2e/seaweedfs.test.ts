/**
 * MinIO's maintained stand-in: `minio: { variant: seaweedfs }` runs SeaweedFS's `weed mini` with S3
 * on MinIO's port and the stack's MinIO keys, so DELoc's own S3 probe, unchanged, passes against it.
 */
import assert from "node:assert/strict";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { after, before, describe, test } from "node:test";
import { delocIn } from "../support/cli.js";

const STACK = "deloc-e2e-seaweedfs";
let dir: string;
const { ok, deloc } = delocIn(() => dir);

describe("minio's seaweedfs variant (real engine)", () => {
  before(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), "deloc-seaweedfs-"));
    fs.writeFileSync(
      path.join(dir, "deloc.yaml"),
      `apiVersion: deloc.dev/v1\nkind: Stack\nmetadata: { name: ${STACK} }\nspec:\n  profile: minimal\n  services:\n    minio: { variant: seaweedfs }\n`,
    );
  });
  after(() => {
    deloc("down", "--volumes", "--yes");
    fs.rmSync(dir, { recursive: true, force: true });
  });

  test("up: SeaweedFS becomes healthy on MinIO's S3 port", () => {
    ok("up");
    const plan = JSON.parse(ok("plan", "--json")) as { services: { name: string; image: string }[] };
    assert.equal(plan.services.find((s) => s.name === "minio")!.image, "chrislusf/seaweedfs:4.53");
  });

  test("verify: MinIO's S3 probe passes against it with the stack's keys", () => {
    const r = JSON.parse(ok("verify", "--json")) as {
      probes: { service: string; status: string; detail: string }[];
    };
    const minio = r.probes.find((p) => p.service === "minio")!;
    assert.equal(minio.status, "passed", minio.detail);
    assert.match(minio.detail, /put and got s3:\/\/deloc-verify-\S+\/probe\.txt/);
  });
});
