import assert from "node:assert/strict";
import { describe, it } from "node:test";
import {
  type BuildKitCli,
  buildArgv,
  builderFor,
  cliEnv,
  dockerOnPath,
  findBuildKitCli,
  type ProbeRunner,
} from "./buildkit-cli.js";

/** A fake docker per path: its `--version` line and whether `buildx version` answers. */
const fakeClis =
  (clis: Record<string, { version: string; buildx: boolean }>): ProbeRunner =>
  async (file, args) => {
    const cli = clis[file];
    if (!cli) return { code: null, stdout: "" };
    if (args[0] === "buildx")
      return cli.buildx ? { code: 0, stdout: "github.com/docker/buildx v0.19.3" } : { code: 1, stdout: "" };
    return { code: 0, stdout: `Docker version ${cli.version}, build abc\n` };
  };

describe("findBuildKitCli", () => {
  const clis = fakeClis({
    "/usr/local/bin/docker": { version: "28.2.2", buildx: false },
    "/usr/bin/docker": { version: "20.10.24+dfsg1", buildx: false },
    "/opt/docker": { version: "27.5.1", buildx: true },
  });

  it("takes a CLI with buildx first", async () => {
    assert.deepEqual(await findBuildKitCli({}, clis, ["/opt/docker", "/usr/bin/docker"]), {
      ok: true,
      cli: { kind: "buildx", docker: "/opt/docker", version: "27.5.1" },
    });
  });

  it("passes over a CLI from 23 on without buildx, to a CLI before 23 that has BuildKit built in", async () => {
    assert.deepEqual(await findBuildKitCli({}, clis, ["/usr/local/bin/docker", "/usr/bin/docker"]), {
      ok: true,
      cli: { kind: "embedded", docker: "/usr/bin/docker", version: "20.10.24" },
    });
  });

  it("says why when no CLI can build with BuildKit", async () => {
    assert.deepEqual(await findBuildKitCli({}, clis, ["/usr/local/bin/docker"]), {
      ok: false,
      why: "/usr/local/bin/docker (docker CLI 28.2.2) has no buildx plugin",
    });
    assert.deepEqual(await findBuildKitCli({}, clis, []), { ok: false, why: "no docker CLI on PATH" });
  });

  it("honours DOCKER_BUILDKIT=0 as docker build does, without running any CLI", async () => {
    const never: ProbeRunner = async () => assert.fail("no CLI should run");
    assert.deepEqual(await findBuildKitCli({ DOCKER_BUILDKIT: "0" }, never, ["/opt/docker"]), {
      ok: false,
      why: "DOCKER_BUILDKIT=0 is set",
    });
  });
});

describe("dockerOnPath", () => {
  it("lists every docker on PATH in PATH order, skipping folders without one", () => {
    const files = new Set(["/usr/local/bin/docker", "/usr/bin/docker"]);
    assert.deepEqual(
      dockerOnPath({ PATH: "/usr/local/bin:/nowhere::/usr/bin" }, (f) => files.has(f)),
      ["/usr/local/bin/docker", "/usr/bin/docker"],
    );
  });
});

describe("buildArgv", () => {
  const build = {
    image: "shop/api:dev",
    context: "/src/api",
    dockerfile: "docker/Dockerfile.dev",
    target: "dev",
    args: { VERSION: "1.2", BASE: "trixie" },
    labels: { "dev.deloc.stack": "shop" },
  };
  const buildx: BuildKitCli = { kind: "buildx", docker: "/usr/bin/docker", version: "27.5.1" };
  const embedded: BuildKitCli = { kind: "embedded", docker: "/usr/bin/docker", version: "20.10.24" };

  it("buildx: the engine's docker-driver builder, --load, tag, Dockerfile from the context, target, sorted args and labels", () => {
    assert.deepEqual(buildArgv(buildx, build, "default"), [
      "buildx",
      "build",
      "--builder",
      "default",
      "--load",
      "--progress=plain",
      "--tag",
      "shop/api:dev",
      "--file",
      "/src/api/docker/Dockerfile.dev",
      "--target",
      "dev",
      "--build-arg",
      "BASE=trixie",
      "--build-arg",
      "VERSION=1.2",
      "--label",
      "dev.deloc.stack=shop",
      "/src/api",
    ]);
  });

  it("a CLI before 23: plain docker build, no file or target when not asked", () => {
    assert.deepEqual(buildArgv(embedded, { image: "a:1", context: "/c", args: {}, labels: {} }, null), [
      "build",
      "--progress=plain",
      "--tag",
      "a:1",
      "/c",
    ]);
  });
});

describe("the CLI's engine", () => {
  const embedded: BuildKitCli = { kind: "embedded", docker: "/usr/bin/docker", version: "20.10.24" };

  it("points the CLI at the adapter's endpoint, drops a conflicting DOCKER_CONTEXT, turns BuildKit on", () => {
    const env = cliEnv({ DOCKER_CONTEXT: "colima", PATH: "/usr/bin" }, embedded, {
      host: "unix:///var/run/docker.sock",
    });
    assert.equal(env.DOCKER_HOST, "unix:///var/run/docker.sock");
    assert.equal(env.DOCKER_CONTEXT, undefined);
    assert.equal(env.DOCKER_BUILDKIT, "1");
    assert.equal(env.PATH, "/usr/bin");
  });

  it("leaves an endpoint of the current docker context to the CLI, and its builder too", () => {
    const env = cliEnv({ DOCKER_CONTEXT: "colima" }, embedded, { host: null });
    assert.equal(env.DOCKER_HOST, undefined);
    assert.equal(env.DOCKER_CONTEXT, "colima");
    assert.equal(builderFor({}, { host: null }), null);
  });

  it("uses the endpoint's own builder unless BUILDX_BUILDER names one", () => {
    assert.equal(builderFor({}, { host: "unix:///var/run/docker.sock" }), "default");
    assert.equal(builderFor({ BUILDX_BUILDER: "ci" }, { host: "unix:///var/run/docker.sock" }), null);
  });
});
