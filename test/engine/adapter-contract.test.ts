/**
 * The adapter contract: what the engine relies on of every adapter, run against the real Docker
 * engine, the real Podman service and the dry-run twin, so the twin the unit tests use behaves
 * like the real thing. Data-level checks (exec output, logs, volume archives) run on the engines.
 */
import assert from "node:assert/strict";
import { PassThrough, Readable } from "node:stream";
import { after, describe, test } from "node:test";
import type { Adapter } from "../../src/adapters/adapter.js";
import { VOLUME_HELPER_IMAGE } from "../../src/adapters/docker/docker-adapter.js";
import { DryRunAdapter } from "../../src/adapters/dry-run/dry-run-adapter.js";
import type { ContainerRequest } from "../../src/core/index.js";
import { BASE_IMAGE, dockerAdapter, service } from "../support/engine.js";
import { podmanAdapter } from "../support/podman.js";

const STACK = "deloc-contract";
const NETWORK = `${STACK}_default`;
const VOLUME = `${STACK}_data`;

const request = (name: string, over: Parameters<typeof service>[1] = {}): ContainerRequest => ({
  stack: STACK,
  service: service(name, over),
  replica: 1,
  env: { GREETING: "hi" },
  network: NETWORK,
  volumeNames: { data: VOLUME },
  publishPorts: true,
  deployedBy: "contract",
});

async function removeAll(a: Adapter) {
  const o = await a.observe(STACK);
  for (const c of o.containers) await a.removeContainer(c.id);
  for (const v of o.volumes) await a.removeVolume(v);
  await a.removeNetwork(NETWORK);
}

function contract(name: string, make: () => Promise<Adapter>) {
  describe(`adapter contract: ${name}`, () => {
    let a: Adapter;
    after(async () => a && (await removeAll(a)));

    test("network and volume: created once, labelled, observed", async () => {
      a = await make();
      await removeAll(a);
      await a.ensureNetwork(STACK, NETWORK);
      await a.ensureNetwork(STACK, NETWORK);
      await a.ensureVolume(STACK, VOLUME);
      const o = await a.observe(STACK);
      assert.deepEqual(o.networks, [NETWORK]);
      assert.deepEqual(o.volumes, [VOLUME]);
    });

    test("a container is observed by its labels: service, replica, hash, state, memory limit", async () => {
      const id = await a.createContainer(
        request("box", { volumes: [{ type: "volume", source: "data", target: "/data", readOnly: false }] }),
      );
      await a.startContainer(id);
      const [c] = (await a.observe(STACK, [BASE_IMAGE])).containers;
      assert.ok(c);
      assert.deepEqual(
        {
          id: c.id,
          name: c.name,
          service: c.service,
          replica: c.replica,
          hash: c.hash,
          state: c.state,
          mem: c.memoryLimitBytes,
        },
        {
          id,
          name: `${STACK}-box-1`,
          service: "box",
          replica: 1,
          hash: "hash-of-box",
          state: "running",
          mem: 64 * 1024 * 1024,
        },
      );
      assert.equal(c.imageId, (await a.observe(STACK, [BASE_IMAGE])).images[BASE_IMAGE]);
    });

    test("memory commitments: a running container's limit counts for other stacks, not its own", async () => {
      assert.ok(!(await a.memoryCommitments(STACK)).some((c) => c.stack === STACK));
      const seen = (await a.memoryCommitments(`${STACK}-other`)).find((c) => c.name === `${STACK}-box-1`);
      assert.deepEqual(seen, { name: `${STACK}-box-1`, stack: STACK, memoryBytes: 64 * 1024 * 1024 });
    });

    test("a container's environment is what it was created with", async () => {
      const [c] = (await a.observe(STACK)).containers;
      assert.equal((await a.containerEnv(c!.id)).GREETING, "hi");
      assert.deepEqual(await a.containerEnv("no-such-container"), {});
    });

    test("events: a start and a stop are reported as they happen, with the service", async () => {
      const stop = new AbortController();
      const seen: string[] = [];
      const following = (async () => {
        for await (const e of a.events(STACK, stop.signal)) {
          seen.push(`${e.service} ${e.action}`);
          if (e.action === "die") stop.abort();
        }
      })();
      await new Promise((r) => setTimeout(r, 100)); // the stream is open before anything happens
      const id = await a.createContainer(request("evented"));
      await a.startContainer(id);
      await a.stopContainer(id, 1);
      await following;
      assert.deepEqual(seen, ["evented start", "evented die"]);
      await a.removeContainer(id);
    });

    test(
      "events: a follow stopped before the engine answered ends at once (a deploy with nothing to do must exit)",
      { timeout: 10_000 },
      async () => {
        const stop = new AbortController();
        const iterator = a.events(STACK, stop.signal)[Symbol.asyncIterator]();
        const first = iterator.next();
        stop.abort();
        assert.equal((await first).done, true);
      },
    );

    test("exec returns the exit code", async () => {
      const [c] = (await a.observe(STACK)).containers;
      assert.equal((await a.exec(c!.id, ["true"])).exitCode, 0);
    });

    test("stop leaves the container exited; rename and remove take effect", async () => {
      const [c] = (await a.observe(STACK)).containers;
      await a.stopContainer(c!.id, 1);
      assert.equal((await a.inspectContainer(c!.id))?.state, "exited");
      await a.renameContainer(c!.id, `${STACK}-box-1-old`);
      assert.equal((await a.inspectContainer(c!.id))?.name, `${STACK}-box-1-old`);
      await a.removeContainer(c!.id);
      assert.equal(await a.inspectContainer(c!.id), null);
      await a.removeContainer(c!.id); // removing twice is fine
    });
  });
}

const podman = () => podmanAdapter([BASE_IMAGE, VOLUME_HELPER_IMAGE]);
contract("docker", dockerAdapter);
contract("podman", podman);
contract("dry-run", async () => new DryRunAdapter({ images: [BASE_IMAGE] }));
data("docker", dockerAdapter);
data("podman", podman);

function data(name: string, make: () => Promise<Adapter>) {
  describe(`${name} adapter: data`, () => {
    let a: Adapter;
    after(async () => a && (await removeAll(a)));

    test("exec: output, stdin, and a non-zero exit", async () => {
      a = await make();
      await removeAll(a);
      await a.ensureNetwork(STACK, NETWORK);
      const id = await a.createContainer(request("box"));
      await a.startContainer(id);
      const r = await a.exec(id, ["sh", "-c", 'echo "$GREETING"; cat; exit 3'], {
        stdin: Readable.from(["from stdin\n"]),
      });
      assert.equal(r.exitCode, 3);
      assert.equal(r.output, "hi\nfrom stdin\n");
    });

    test("exec: a check over its timeout fails, and is not left running beside the next one", async () => {
      const [c] = (await a.observe(STACK)).containers.filter((x) => x.service === "box");
      const r = await a.exec(c!.id, ["sleep", "1"], { timeoutMs: 200 });
      assert.equal(r.exitCode, -1);
      assert.match(r.output, /timed out after 200 ms/);
      const ps = await a.exec(c!.id, [
        "sh",
        "-c",
        "for f in /proc/[0-9]*/cmdline; do tr '\\0' ' ' < $f; echo; done",
      ]);
      assert.ok(ps.output.includes("sleep infinity"), ps.output);
      assert.ok(!ps.output.includes("sleep 1 "), ps.output);
    });

    test("logs: the last lines, and follow until stopped", async () => {
      const id = await a.createContainer(
        request("talker", {
          command: ["sh", "-c", "for i in 1 2 3 4; do echo line $i; done; sleep infinity"],
        }),
      );
      await a.startContainer(id);
      await new Promise((r) => setTimeout(r, 300));
      const lines: string[] = [];
      for await (const l of a.logs(id, { tail: 2 })) lines.push(l);
      assert.deepEqual(lines, ["line 3", "line 4"]);
      const controller = new AbortController();
      const followed: string[] = [];
      for await (const l of a.logs(id, { follow: true, signal: controller.signal })) {
        followed.push(l);
        if (followed.length === 4) controller.abort();
      }
      assert.deepEqual(followed, ["line 1", "line 2", "line 3", "line 4"]);
    });

    test("events: a kill for memory is reported though the restart policy brings the container back (and inspect no longer shows it)", async () => {
      const stop = new AbortController();
      const actions: string[] = [];
      const following = (async () => {
        for await (const e of a.events(STACK, stop.signal))
          if (e.service === "hog") {
            actions.push(e.action === "die" && name === "podman" ? `die ${e.exitCode}` : e.action);
            if (actions.filter((x) => x === "start").length >= 2) stop.abort();
          }
      })();
      await new Promise((r) => setTimeout(r, 100));
      const id = await a.createContainer(
        request("hog", { command: ["tail", "/dev/zero"], restart: "always", memoryBytes: 16 * 1024 * 1024 }),
      );
      await a.startContainer(id);
      await following;
      if (name === "podman") {
        // Podman 4.3 on cgroup v1 neither emits `oom` nor sets OOMKilled (conmon does not see the
        // kill): the death is reported with the kill's exit code, and DELoc calls it a kill.
        assert.ok(actions.includes("die 137"), actions.join(" "));
      } else {
        assert.ok(actions.includes("oom"), actions.join(" "));
        assert.ok(actions.indexOf("die") > actions.indexOf("oom"), actions.join(" "));
      }
      await a.removeContainer(id);
    });

    test("the memory limit is real: stats report it", async () => {
      const [c] = (await a.observe(STACK)).containers.filter((x) => x.service === "box");
      const s = await a.stats(c!.id);
      assert.equal(s.memoryLimitBytes, 64 * 1024 * 1024);
      assert.ok(s.memoryBytes > 0);
    });

    test("a volume archived and restored comes back with its contents, and only them", async () => {
      await a.ensureVolume(STACK, VOLUME);
      const vol = { type: "volume" as const, source: "data", target: "/data", readOnly: false };
      const id = await a.createContainer(request("writer", { volumes: [vol] }));
      await a.startContainer(id);
      await a.exec(id, ["sh", "-c", "mkdir -p /data/sub && echo kept > /data/sub/file"]);
      const chunks: Buffer[] = [];
      const sink = new PassThrough();
      sink.on("data", (b: Buffer) => chunks.push(b));
      await a.archiveVolume(VOLUME, BASE_IMAGE, sink);
      await a.exec(id, ["sh", "-c", "rm -rf /data/sub && echo stray > /data/stray"]);
      await a.stopContainer(id, 1);
      await a.restoreVolume(VOLUME, Readable.from([Buffer.concat(chunks)]));
      await a.startContainer(id);
      const r = await a.exec(id, ["sh", "-c", "cat /data/sub/file; ls /data"]);
      assert.equal(r.output, "kept\nsub\n");
    });
  });
}
