/**
 * `target: podman` against the machine's real engines: it finds Podman's service and says which
 * socket; pointed at Docker's socket it refuses it (exit 4) rather than deploying to Docker.
 */
import assert from "node:assert/strict";
import os from "node:os";
import { test } from "node:test";
import { openAdapter } from "../../src/adapters/registry.js";
import { EngineUnreachableError, EXIT_CODES } from "../../src/core/index.js";

const open = (env: Record<string, string | undefined>) =>
  openAdapter("podman", { env, home: os.homedir(), uid: process.getuid?.() ?? 0 });

test("target podman finds Podman's service and names the socket it used", async () => {
  const info = await (await open({ ...process.env, CONTAINER_HOST: undefined })).info();
  assert.equal(info.name, "podman");
  assert.match(info.endpoint, /podman socket \(unix:\/\/.*podman\.sock\)/);
});

test("target podman refuses a Docker engine on CONTAINER_HOST, with what it found and what to do", async () => {
  const e = await open({ CONTAINER_HOST: "unix:///var/run/docker.sock" }).then(
    () => assert.fail("a Docker engine was accepted as Podman"),
    (err: unknown) => err,
  );
  assert.ok(e instanceof EngineUnreachableError);
  assert.equal(EXIT_CODES[e.code], 4);
  assert.match(
    e.message,
    /CONTAINER_HOST \(unix:\/\/\/var\/run\/docker\.sock\): answers as Docker .*, not Podman: refused/,
  );
  assert.match(e.hint ?? "", /podman system service/);
});
