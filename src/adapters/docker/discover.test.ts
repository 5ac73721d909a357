import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { test } from "node:test";
import { engineCandidates } from "./discover.js";

const summary = (env: Record<string, string>, files: Record<string, string>, uid = 1000) =>
  engineCandidates({
    env,
    home: "/home/u",
    uid,
    exists: (f) => f in files,
    readFile: (f) => files[f] ?? null,
  }).map((c) => `${c.strategy}: ${c.skip ? `skip (${c.skip})` : c.endpoint}`);

test("discovery: DOCKER_HOST, then the context, then the rootful and rootless sockets, each with why it was skipped", () => {
  assert.deepEqual(summary({}, { "/run/user/1000/docker.sock": "" }), [
    "DOCKER_HOST: skip (not set)",
    "docker context: skip (no /home/u/.docker/config.json)",
    "rootful socket: skip (no socket there)",
    "rootless socket: unix:///run/user/1000/docker.sock",
  ]);
});

test("discovery: the current context's endpoint comes from its metadata file", () => {
  const id = createHash("sha256").update("colima").digest("hex");
  const files = {
    "/home/u/.docker/config.json": JSON.stringify({ currentContext: "colima" }),
    [`/home/u/.docker/contexts/meta/${id}/meta.json`]: JSON.stringify({
      Endpoints: { docker: { Host: "unix:///home/u/.colima/docker.sock" } },
    }),
  };
  assert.deepEqual(summary({ DOCKER_HOST: "tcp://10.0.0.2:2375" }, files).slice(0, 2), [
    "DOCKER_HOST: tcp://10.0.0.2:2375",
    "docker context: skip (DOCKER_HOST is set)",
  ]);
  assert.equal(summary({}, files)[1], "docker context: unix:///home/u/.colima/docker.sock");
  assert.equal(
    summary({ DOCKER_CONTEXT: "default" }, files)[1],
    "docker context: skip (the default context (the sockets below))",
  );
});

test("discovery: target docker never falls back to Podman's sockets (another engine, without the stack's containers)", () => {
  const podman = { "/run/podman/podman.sock": "", "/run/user/1000/podman/podman.sock": "" };
  for (const uid of [0, 1000])
    assert.ok(
      summary({}, podman, uid).every((c) => !c.includes("podman")),
      summary({}, podman, uid).join("\n"),
    );
});
