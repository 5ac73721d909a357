import assert from "node:assert/strict";
import { test } from "node:test";
import { podmanCandidates } from "./discover.js";

const summary = (env: Record<string, string>, files: string[], uid = 1000) =>
  podmanCandidates({ env, uid, exists: (f) => files.includes(f) }).map(
    (c) => `${c.strategy}: ${c.skip ? `skip (${c.skip})` : c.endpoint}`,
  );

test("podman discovery: CONTAINER_HOST, then the user's own socket, then the system's; never Docker's", () => {
  assert.deepEqual(
    summary({ DOCKER_HOST: "unix:///var/run/docker.sock" }, ["/run/user/1000/podman/podman.sock"]),
    [
      "CONTAINER_HOST: skip (not set)",
      "rootless podman socket: unix:///run/user/1000/podman/podman.sock",
      "rootful podman socket: skip (no socket there)",
    ],
  );
  assert.deepEqual(summary({}, ["/run/podman/podman.sock"], 0), [
    "CONTAINER_HOST: skip (not set)",
    "rootful podman socket: unix:///run/podman/podman.sock",
    "rootless podman socket: skip (no socket there)",
  ]);
});

test("podman discovery: an explicit CONTAINER_HOST is the service, an ssh:// one is refused with what to do", () => {
  assert.deepEqual(summary({ CONTAINER_HOST: "tcp://10.0.0.5:8080" }, ["/run/podman/podman.sock"], 0), [
    "CONTAINER_HOST: tcp://10.0.0.5:8080",
    "rootful podman socket: skip (CONTAINER_HOST is set)",
    "rootless podman socket: skip (CONTAINER_HOST is set)",
  ]);
  assert.match(
    summary({ CONTAINER_HOST: "ssh://core@host/run/podman/podman.sock" }, [])[0]!,
    /skip \(ssh:\/\/ is not supported: forward the socket/,
  );
  assert.equal(
    podmanCandidates({ env: { XDG_RUNTIME_DIR: "/run/user/7" }, uid: 7, exists: () => true })[1]?.endpoint,
    "unix:///run/user/7/podman/podman.sock",
  );
});
