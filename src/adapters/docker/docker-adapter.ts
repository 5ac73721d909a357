/**
 * The Docker adapter: DELoc's adapter interface over the Docker Engine API (dockerode). Podman's
 * Docker-compatible socket works through the same code. No other module sees dockerode's types.
 */
import fs from "node:fs";
import { createRequire } from "node:module";
import path from "node:path";
import { createInterface } from "node:readline";
import { PassThrough, type Readable, type Writable } from "node:stream";
import { pipeline } from "node:stream/promises";
import type Docker from "dockerode";
import {
  BackupError,
  type BuildKitNeed,
  BuildKitUnavailableError,
  type ContainerEvent,
  type ContainerRequest,
  type ContainerState,
  type ContainerStats,
  type EngineCapabilities,
  type EngineInfo,
  EngineUnreachableError,
  type HealthState,
  LABEL_HASH,
  LABEL_HELPER,
  LABEL_REPLICA,
  LABEL_SERVICE,
  LABEL_STACK,
  type MemoryCommitment,
  type ObservedContainer,
  type ObservedStack,
} from "../../core/index.js";
import type {
  Adapter,
  AttachedExec,
  AttachedExecOptions,
  ExecResult,
  LogOptions,
  ProgressSink,
  TerminalSize,
} from "../adapter.js";
import {
  type BuildKitCli,
  buildArgv,
  builderFor,
  cliEnv,
  findBuildKitCli,
  runCliBuild,
} from "./buildkit-cli.js";
import { createdCommands, traceCommand, traceFile } from "./command-trace.js";
import { containerConfig } from "./container-config.js";
import { type Candidate, engineCandidates } from "./discover.js";
import { buildKitFeatures } from "./dockerfile-features.js";
import { type EngineReads, httpReads, plainAddress } from "./engine-reads.js";

const PING_TIMEOUT_MS = 1_500;
const VOLUME_MOUNT = "/deloc-volume";
/**
 * The image of the helper that empties a volume before a restore: BusyBox, pinned, 2 MB, on every
 * registry mirror. Service images cannot be relied on for it (upstream MinIO has no `find`).
 */
export const VOLUME_HELPER_IMAGE = "busybox:1.37";

export interface DockerConnection {
  /** dockerode, loaded on first use (writes, streams, TLS): reads go through `reads`. */
  readonly docker: Docker;
  /** The Engine API's GETs: plain HTTP where the engine allows it, else through dockerode. */
  reads: EngineReads;
  /** The strategy and endpoint, for messages: `rootful socket (unix:///var/run/docker.sock)`. */
  endpoint: string;
  skipped: string[];
  /**
   * The endpoint for DOCKER_HOST when the docker CLI must reach the same engine (builds); null
   * when it came from the current docker context, which the CLI finds by itself.
   */
  host?: string | null;
  /** The environment discovery read; the docker CLI of a build runs with it. */
  env?: Readonly<Record<string, string | undefined>>;
}

type BuildRoute =
  | { ok: true; cli: BuildKitCli }
  | {
      ok: false;
      why: string;
      /** Podman's Buildah reads `RUN --mount` and heredocs itself. */
      classicHandlesBuildKitSyntax: boolean;
    };

/** Tries each discovery strategy in order; the first engine that answers a ping is used. */
export function connectDocker(input: {
  env: Readonly<Record<string, string | undefined>>;
  home: string;
  uid: number;
}): Promise<DockerConnection> {
  return connectFirst(engineCandidates(input), input.env, {
    message: "No container engine answered. Tried, in order:",
  });
}

/**
 * The first candidate that answers a ping (and that `accept` takes: it returns why not, or null);
 * an EngineUnreachableError listing every candidate and why it was skipped when none does.
 */
export async function connectFirst(
  candidates: readonly Candidate[],
  env: Readonly<Record<string, string | undefined>>,
  opts: {
    message: string;
    hint?: string;
    accept?: (reads: EngineReads) => Promise<string | null>;
  },
): Promise<DockerConnection> {
  const skipped: string[] = [];
  for (const c of candidates) {
    const label = `${c.strategy}${c.endpoint ? ` (${c.endpoint})` : ""}`;
    if (c.skip) {
      skipped.push(`${label}: ${c.skip}`);
      continue;
    }
    if (c.endpoint.startsWith("unix://") && !fs.existsSync(c.endpoint.slice("unix://".length))) {
      skipped.push(`${label}: no socket there`);
      continue;
    }
    const conn = connectionTo(c, env);
    try {
      await withTimeout(conn.reads.get("/_ping"), PING_TIMEOUT_MS, "no answer to ping");
      const refused = opts.accept ? await opts.accept(conn.reads) : null;
      if (refused) {
        skipped.push(`${label}: ${refused}`);
        continue;
      }
      const host = c.strategy === "docker context" ? null : c.endpoint;
      return Object.assign(conn, { endpoint: label, skipped, host, env });
    } catch (e) {
      skipped.push(`${label}: ${reason(e)}`);
    }
  }
  throw new EngineUnreachableError(opts.message, skipped, opts.hint);
}

const require = createRequire(import.meta.url);

function clientFor(c: Candidate): Docker {
  const Dockerode = require("dockerode") as typeof Docker;
  if (c.strategy === "DOCKER_HOST") return new Dockerode(); // docker-modem reads DOCKER_HOST and its TLS vars
  if (c.endpoint.startsWith("unix://"))
    return new Dockerode({ socketPath: c.endpoint.slice("unix://".length) });
  const url = new URL(c.endpoint);
  return new Dockerode({ host: url.hostname, port: Number(url.port) || 2375, protocol: "http" });
}

/** A candidate's connection: dockerode made on first use; reads over plain HTTP when they can be. */
function connectionTo(
  c: Candidate,
  env: Readonly<Record<string, string | undefined>>,
): Pick<DockerConnection, "docker" | "reads"> {
  let docker: Docker | undefined;
  const client = () => {
    docker ??= clientFor(c);
    return docker;
  };
  const plain = plainAddress(c, env);
  return {
    get docker() {
      return client();
    },
    reads: plain ? httpReads(plain) : dockerodeReads(client),
  };
}

/** The same requests through dockerode's transport (TLS endpoints). */
function dockerodeReads(client: () => Docker): EngineReads {
  const dial = <T>(method: "GET" | "POST", path: string, options: Record<string, unknown>) =>
    new Promise<T>((resolve, reject) =>
      client().modem.dial(
        {
          path: `${path}?`,
          method,
          options,
          statusCodes: {
            200: true,
            201: true,
            204: true,
            304: "not modified",
            400: "bad parameter",
            404: "no such object",
            409: "conflict",
            500: "server error",
          },
        },
        (err, data) => (err ? reject(err) : resolve(data as T)),
      ),
    );
  return {
    get: (path, query = {}) => dial("GET", path, query),
    // docker-modem sends `_query` as the query string and `_body` as the JSON body.
    post: (path, query = {}, body = {}) => dial("POST", path, { _query: query, _body: body }),
  };
}

export class DockerAdapter implements Adapter {
  readonly name: string = "docker";

  constructor(protected readonly conn: DockerConnection) {}

  private get docker(): Docker {
    return this.conn.docker;
  }

  private get reads(): EngineReads {
    return this.conn.reads;
  }

  async info(): Promise<EngineInfo> {
    const [info, version] = await Promise.all([
      this.engine(() => this.reads.get<{ Name?: string; MemTotal: number; NCPU: number }>("/info")),
      this.version(),
    ]);
    return {
      name: info.Name?.includes("podman") || isPodman(version) ? "podman" : "docker",
      version: version.Version,
      apiVersion: version.ApiVersion,
      memoryBytes: info.MemTotal,
      cpus: info.NCPU,
      endpoint: this.conn.endpoint,
      skipped: this.conn.skipped,
    };
  }

  async capabilities(): Promise<EngineCapabilities> {
    const v = await this.version();
    return { healthStartInterval: apiAtLeast(v.ApiVersion, 1, 44), build: true, volumeBackup: true };
  }

  private cachedVersion: Docker.DockerVersion | null = null;
  protected async version(): Promise<Docker.DockerVersion> {
    this.cachedVersion ??= await this.engine(() => this.reads.get<Docker.DockerVersion>("/version"));
    return this.cachedVersion;
  }

  async observe(stack: string, images: readonly string[] = []): Promise<ObservedStack> {
    const filters = { label: [`${LABEL_STACK}=${stack}`] };
    const [list, volumes, networks, imageIds] = await Promise.all([
      this.engine(() => this.reads.get<Docker.ContainerInfo[]>("/containers/json", { all: true, filters })),
      this.engine(() =>
        this.reads.get<{ Volumes: Docker.VolumeInspectInfo[] | null }>("/volumes", { filters }),
      ),
      this.engine(() => this.reads.get<Docker.NetworkInspectInfo[]>("/networks", { filters })),
      Promise.all(images.map(async (i) => [i, await this.imageId(i)] as const)),
    ]);
    const containers = (await Promise.all(list.map((c) => this.inspectContainer(c.Id)))).filter(
      (c): c is ObservedContainer => c !== null,
    );
    containers.sort((a, b) => a.service.localeCompare(b.service) || a.replica - b.replica);
    return {
      stack,
      containers,
      volumes: (volumes.Volumes ?? []).map((v) => v.Name).sort(),
      networks: networks.map((n) => n.Name).sort(),
      images: Object.fromEntries(imageIds.filter((e): e is readonly [string, string] => e[1] !== null)),
    };
  }

  async memoryCommitments(excludeStack: string): Promise<MemoryCommitment[]> {
    // The list has no HostConfig.Memory: each running container is inspected, all at once.
    // The list without `all` is what runs, paused and restarting included (Podman refuses a
    // `restarting` status filter: it has no such state).
    const list = await this.engine(() => this.reads.get<Docker.ContainerInfo[]>("/containers/json"));
    const others = list.filter((c) => c.Labels?.[LABEL_STACK] !== excludeStack);
    const local = this.conn.endpoint.includes("unix://");
    const out = await Promise.all(
      others.map(async (c): Promise<MemoryCommitment | null> => {
        // A local engine's cgroup files hold the limit: no inspect, which waits behind a health
        // check starting in a container held to little CPU (a second and more on a loaded engine).
        const limit = local ? readCgroupMemory(c.Id)?.memoryLimitBytes : undefined;
        if (limit !== undefined) {
          const stack = c.Labels?.[LABEL_STACK];
          const name = (c.Names?.[0] ?? c.Id).replace(/^\//, "");
          return limit > 0 && limit < NO_LIMIT
            ? { name, ...(stack ? { stack } : {}), memoryBytes: limit }
            : null;
        }
        const info = await this.reads
          .get<Docker.ContainerInspectInfo>(`/containers/${c.Id}/json`)
          .catch((e: unknown) => {
            if (statusOf(e) === 404) return null; // gone since the list
            throw this.wrap(e);
          });
        const memoryBytes = info?.HostConfig.Memory ?? 0;
        if (!info || memoryBytes <= 0) return null;
        const stack = info.Config.Labels?.[LABEL_STACK];
        return { name: info.Name.replace(/^\//, ""), ...(stack ? { stack } : {}), memoryBytes };
      }),
    );
    return out.filter((c): c is MemoryCommitment => c !== null).sort((a, b) => a.name.localeCompare(b.name));
  }
  async ensureNetwork(stack: string, name: string): Promise<void> {
    const existing = await this.engine(() =>
      this.reads.get<Docker.NetworkInspectInfo[]>("/networks", { filters: { name: [name] } }),
    );
    if (existing.some((n) => n.Name === name)) return;
    await this.engine(() =>
      this.reads.post(
        "/networks/create",
        {},
        {
          Name: name,
          Driver: "bridge",
          CheckDuplicate: true,
          Labels: { [LABEL_STACK]: stack },
        },
      ),
    );
  }

  async removeNetwork(name: string): Promise<void> {
    await this.ignoreMissing(() => this.docker.getNetwork(name).remove());
  }

  async ensureVolume(stack: string, name: string): Promise<void> {
    await this.engine(() => this.docker.createVolume({ Name: name, Labels: { [LABEL_STACK]: stack } }));
  }

  async removeVolume(name: string): Promise<void> {
    await this.ignoreMissing(() => this.docker.getVolume(name).remove());
  }

  async volumeSizes(names: readonly string[]): Promise<Record<string, number | null>> {
    if (!names.length) return {};
    // Only `GET /system/df` reports a volume's size; -1 means the engine has not computed it.
    const df = (await this.engine(() => this.docker.df())) as {
      Volumes?: { Name: string; UsageData?: { Size?: number } | null }[] | null;
    };
    const sizes = new Map((df.Volumes ?? []).map((v) => [v.Name, v.UsageData?.Size ?? -1]));
    return Object.fromEntries(
      names.map((n) => {
        const size = sizes.get(n) ?? -1;
        return [n, size >= 0 ? size : null];
      }),
    );
  }

  async imageId(image: string): Promise<string | null> {
    try {
      return (await this.reads.get<Docker.ImageInspectInfo>(`/images/${encodeURIComponent(image)}/json`)).Id;
    } catch (e) {
      if (statusOf(e) === 404) return null;
      throw this.wrap(e);
    }
  }

  async pullImage(image: string, progress: ProgressSink): Promise<void> {
    const stream = await this.engine(() => this.docker.pull(image) as Promise<NodeJS.ReadableStream>).catch(
      (e: unknown) => {
        throw e instanceof EngineUnreachableError ? e : new Error(reason(e).trim());
      },
    );
    await followProgress(this.docker, stream, (e) => {
      const line = [e.id, e.status, e.progress].filter(Boolean).join(" ");
      if (line) progress(line);
    });
  }

  /**
   * Builds as `docker build` does today: with the engine's BuildKit, through the docker CLI
   * (buildkit-cli.ts says why the CLI and which one). Every build on a Docker engine takes that
   * route when a capable CLI is found, not only the Dockerfiles that need it: results then match
   * `docker build` (BuildKit since Docker 23: unused stages skipped, `<Dockerfile>.dockerignore`,
   * cache mounts), one build cache serves every build (the classic builder's is separate, so a
   * Dockerfile that gains a `RUN --mount` would rebuild from scratch). The cost is start-up, only
   * when a build is due (`deloc up` with its images present builds nothing, and probes nothing):
   * the probe, 0.15–0.3 s once per command, and a fully cached build takes 0.3–0.5 s against the
   * API's 0.12 s (measured on Docker 20.10 here), while a build that runs steps is faster (1.2 s
   * against 1.7 s for a three-step Dockerfile). The Engine API's classic builder remains for
   * Podman (Buildah builds cache mounts and heredocs itself), for engines without BuildKit, and
   * where no CLI can drive BuildKit: then a Dockerfile that needs BuildKit fails before anything
   * starts, naming its lines.
   */
  async buildImage(
    image: string,
    build: { context: string; dockerfile?: string; target?: string; args: Record<string, string> },
    labels: Record<string, string>,
    progress: ProgressSink,
  ): Promise<void> {
    const route = await this.buildRoute();
    if (route.ok) {
      const engine = { host: this.conn.host ?? null };
      const argv = buildArgv(
        route.cli,
        { image, ...build, labels },
        route.cli.kind === "buildx" ? builderFor(this.buildEnv, engine) : null,
      );
      await runCliBuild(route.cli, argv, cliEnv(this.buildEnv, route.cli, engine), progress);
      return;
    }
    if (!route.classicHandlesBuildKitSyntax) {
      const needs = dockerfileNeeds(build);
      if (needs.length) throw new BuildKitUnavailableError(image, needs, route.why);
    }
    await this.classicBuild(image, build, labels, progress);
  }

  private get buildEnv(): NodeJS.ProcessEnv {
    return { ...(this.conn.env ?? process.env) };
  }

  private buildRouteOnce: Promise<BuildRoute> | null = null;
  private buildRoute(): Promise<BuildRoute> {
    this.buildRouteOnce ??= (async (): Promise<BuildRoute> => {
      const v = await this.version();
      if (isPodman(v))
        return { ok: false, why: "Podman builds with Buildah", classicHandlesBuildKitSyntax: true };
      if (v.Os === "windows")
        return { ok: false, why: "a Windows engine has no BuildKit", classicHandlesBuildKitSyntax: false };
      if (!apiAtLeast(v.ApiVersion, 1, 39))
        return {
          ok: false,
          why: `the engine's API ${v.ApiVersion} predates BuildKit (Docker 18.09)`,
          classicHandlesBuildKitSyntax: false,
        };
      const probe = await findBuildKitCli(this.buildEnv);
      return probe.ok ? probe : { ...probe, classicHandlesBuildKitSyntax: false };
    })();
    return this.buildRouteOnce;
  }

  /** The Engine API's classic builder: the context packed by dockerode (filtered by `.dockerignore`). */
  private async classicBuild(
    image: string,
    build: { context: string; dockerfile?: string; target?: string; args: Record<string, string> },
    labels: Record<string, string>,
    progress: ProgressSink,
  ): Promise<void> {
    const src = contextFiles(build.context);
    const stream = await this.engine(() =>
      this.docker.buildImage(
        { context: build.context, src },
        {
          t: image,
          labels,
          buildargs: build.args,
          rm: true,
          forcerm: true,
          ...(build.dockerfile ? { dockerfile: build.dockerfile } : {}),
          ...(build.target ? { target: build.target } : {}),
        },
      ),
    );
    const tail: string[] = [];
    await followProgress(this.docker, stream, (e) => {
      for (const line of (e.stream ?? "").split("\n").filter((l) => l.trim())) {
        tail.push(line);
        if (tail.length > 20) tail.shift();
        progress(line);
      }
    }).catch((e: unknown) => {
      throw new Error(`${reason(e)}${tail.length ? `\n${tail.join("\n")}` : ""}`);
    });
  }

  async removeStackImages(stack: string): Promise<string[]> {
    const images = await this.engine(() =>
      this.docker.listImages({ filters: { label: [`${LABEL_STACK}=${stack}`] } }),
    );
    const removed: string[] = [];
    for (const i of images) {
      await this.ignoreMissing(() => this.docker.getImage(i.Id).remove({ force: true }));
      removed.push(...(i.RepoTags ?? [i.Id]));
    }
    return removed;
  }

  async createContainer(req: ContainerRequest): Promise<string> {
    for (const v of req.service.volumes)
      if (v.type === "bind" && !fs.existsSync(v.source)) fs.mkdirSync(v.source, { recursive: true });
    const caps = await this.capabilities();
    const config = containerConfig(req, { healthStartInterval: caps.healthStartInterval });
    const trace = traceFile();
    if (trace) for (const c of createdCommands(config)) traceCommand(trace, c);
    const { name, ...body } = config;
    const c = await this.engine(() => this.reads.post<{ Id: string }>("/containers/create", { name }, body));
    return c.Id;
  }

  async startContainer(id: string): Promise<void> {
    await this.engine(() => this.reads.post(`/containers/${id}/start`)).catch((e: unknown) => {
      throw portTaken(e) ?? e;
    });
  }

  async stopContainer(id: string, timeoutSeconds = 10): Promise<void> {
    try {
      await this.docker.getContainer(id).stop({ t: timeoutSeconds });
    } catch (e) {
      const status = statusOf(e);
      if (status === 304 || status === 404) return; // already stopped, or gone
      throw this.wrap(e);
    }
  }

  async removeContainer(id: string): Promise<void> {
    await this.ignoreMissing(() => this.docker.getContainer(id).remove({ force: true, v: false }));
  }

  async renameContainer(id: string, name: string): Promise<void> {
    await this.engine(() => this.docker.getContainer(id).rename({ name }));
  }

  async inspectContainer(id: string): Promise<ObservedContainer | null> {
    let c: Docker.ContainerInspectInfo;
    try {
      c = await this.reads.get<Docker.ContainerInspectInfo>(`/containers/${id}/json`);
    } catch (e) {
      if (statusOf(e) === 404) return null;
      throw this.wrap(e);
    }
    const labels = c.Config.Labels ?? {};
    const ports = Object.values(c.HostConfig.PortBindings ?? {}) as { HostPort: string }[][];
    const state = c.State as Docker.ContainerInspectInfo["State"] & { Health?: { Status: string } };
    return {
      id: c.Id,
      name: c.Name.replace(/^\//, ""),
      service: labels[LABEL_SERVICE] ?? "",
      replica: Number(labels[LABEL_REPLICA] ?? "1"),
      hash: labels[LABEL_HASH] ?? "",
      image: c.Config.Image,
      imageId: c.Image,
      state: state.Status as ContainerState,
      health: (state.Health?.Status as HealthState | undefined) ?? "none",
      // A restarting container's code is that of the exit it restarts after.
      exitCode: ["exited", "dead", "restarting"].includes(state.Status) ? state.ExitCode : null,
      oomKilled: state.OOMKilled,
      restartCount: c.RestartCount,
      startedAt: state.StartedAt && !state.StartedAt.startsWith("0001") ? state.StartedAt : null,
      memoryLimitBytes: c.HostConfig.Memory ?? 0,
      cpuMillis: Math.round((c.HostConfig.NanoCpus ?? 0) / 1_000_000),
      hostPorts: ports
        .flat()
        .map((b) => Number(b.HostPort))
        .filter((p) => p > 0),
    };
  }

  async exec(
    id: string,
    argv: readonly string[],
    opts: { stdin?: Readable; stdout?: Writable; timeoutMs?: number } = {},
  ): Promise<ExecResult> {
    const exec = await this.createExec(id, argv, { stdin: opts.stdin !== undefined });
    // The engine lost here (a reset, a hang-up) is the one "engine unreachable" error too.
    const stream = (await this.engine(() =>
      exec.start({ hijack: true, stdin: opts.stdin !== undefined }),
    )) as NodeJS.ReadWriteStream;
    const chunks: Buffer[] = [];
    const collect = new PassThrough();
    collect.on("data", (b: Buffer) => chunks.push(b));
    this.docker.modem.demuxStream(stream, opts.stdout ?? collect, collect);
    if (opts.stdin) {
      opts.stdin.pipe(stream as unknown as Writable, { end: false });
      opts.stdin.on("end", () => (stream as unknown as { end: () => void }).end());
    }
    const done = new Promise<void>((resolve, reject) => {
      stream.on("end", resolve);
      stream.on("close", resolve);
      stream.on("error", reject);
    });
    if (opts.timeoutMs) {
      const timedOut = await Promise.race([
        done.then(() => false),
        new Promise<boolean>((r) => setTimeout(() => r(true), opts.timeoutMs).unref()),
      ]);
      if (timedOut) {
        (stream as unknown as { destroy: () => void }).destroy();
        // The engine cannot kill an exec: wait (bounded) for it to end, so checks never pile up.
        for (let i = 0; i < 150 && (await exec.inspect().catch(() => ({ Running: false }))).Running; i++)
          await new Promise((r) => setTimeout(r, 200));
        return { exitCode: -1, output: `timed out after ${opts.timeoutMs} ms` };
      }
    } else await done;
    // The exec's exit code is set a moment after its output ends.
    let info = await exec.inspect();
    for (let i = 0; info.Running && i < 50; i++) {
      await new Promise((r) => setTimeout(r, 20));
      info = await exec.inspect();
    }
    return { exitCode: info.ExitCode ?? -1, output: Buffer.concat(chunks).toString("utf8") };
  }

  /** An exec of argv in the container, traced as every command DELoc runs in a service's image is. */
  private async createExec(
    id: string,
    argv: readonly string[],
    opts: { stdin: boolean; tty?: boolean; user?: string },
  ): Promise<Docker.Exec> {
    const trace = traceFile();
    if (trace) {
      const image = await this.docker
        .getContainer(id)
        .inspect()
        .then(
          (i) => i.Config.Image,
          () => "",
        );
      traceCommand(trace, { image, argv: [...argv], via: "exec" });
    }
    return this.engine(() =>
      this.docker.getContainer(id).exec({
        Cmd: [...argv],
        AttachStdout: true,
        AttachStderr: true,
        AttachStdin: opts.stdin,
        Tty: opts.tty ?? false,
        ...(opts.user ? { User: opts.user } : {}),
      }),
    );
  }

  async execAttached(id: string, argv: readonly string[], io: AttachedExecOptions): Promise<AttachedExec> {
    const exec = await this.createExec(id, argv, {
      stdin: io.stdin !== undefined,
      tty: io.tty,
      ...(io.user ? { user: io.user } : {}),
    });
    const stream = (await this.engine(() =>
      exec.start({ hijack: true, stdin: io.stdin !== undefined, Tty: io.tty }),
    )) as NodeJS.ReadWriteStream & { destroy: () => void };
    const resize = async (size: TerminalSize) => {
      // An exec that has ended cannot be resized: nothing is left to tell.
      await exec.resize({ h: size.rows, w: size.columns }).catch(() => undefined);
    };
    if (io.tty && io.size) await resize(io.size);
    // With a TTY the engine sends raw bytes; otherwise frames for stdout and stderr.
    if (io.tty) stream.on("data", (b: Buffer) => io.stdout.write(b));
    else this.docker.modem.demuxStream(stream, io.stdout, io.stderr);
    const input = io.stdin;
    const feed = (b: Buffer) => stream.write(b);
    // End of input closes the command's stdin (`echo 'select 1' | deloc psql`); a terminal's never ends.
    const close = () => (stream as unknown as { end: () => void }).end();
    input?.on("data", feed).once("end", close);
    const exitCode = new Promise<void>((resolve, reject) => {
      stream.once("end", resolve);
      stream.once("close", resolve);
      stream.once("error", reject);
    })
      .then(async () => {
        input?.off("data", feed).off("end", close);
        let info = await exec.inspect();
        // The exit code is set a moment after the output ends.
        for (let i = 0; info.Running && i < 100; i++) {
          await new Promise((r) => setTimeout(r, 20));
          info = await exec.inspect();
        }
        return info.ExitCode ?? -1;
      })
      .catch((e: unknown) => {
        throw this.wrap(e);
      });
    return { resize, exitCode };
  }

  async copyInto(id: string, dir: string, tar: Readable): Promise<void> {
    await this.engine(() => this.docker.getContainer(id).putArchive(tar, { path: dir }));
  }

  async containerEnv(id: string): Promise<Record<string, string>> {
    let env: string[];
    try {
      env = (await this.docker.getContainer(id).inspect()).Config.Env ?? [];
    } catch (e) {
      if (statusOf(e) === 404) return {};
      throw this.wrap(e);
    }
    return Object.fromEntries(
      env.map((kv) => {
        const i = kv.indexOf("=");
        return i < 0 ? [kv, ""] : [kv.slice(0, i), kv.slice(i + 1)];
      }),
    );
  }

  async lastHealthOutput(id: string): Promise<string | null> {
    try {
      const c = await this.docker.getContainer(id).inspect();
      const log = (c.State as { Health?: { Log?: { Output: string }[] } }).Health?.Log;
      return log?.at(-1)?.Output ?? null;
    } catch {
      return null;
    }
  }

  async *logs(id: string, opts: LogOptions): AsyncIterable<string> {
    const container = this.docker.getContainer(id);
    const common = {
      stdout: true,
      stderr: true,
      timestamps: false,
      ...(opts.tail !== undefined ? { tail: opts.tail } : {}),
    };
    if (!opts.follow) {
      const buf = (await this.engine(() =>
        container.logs({ ...common, follow: false as const }),
      )) as unknown as Buffer;
      yield* demuxBuffer(buf)
        .split("\n")
        .filter((l, i, all) => l !== "" || i < all.length - 1);
      return;
    }
    const stream = (await this.engine(() =>
      container.logs({ ...common, follow: true as const }),
    )) as NodeJS.ReadableStream;
    const out = new PassThrough();
    this.docker.modem.demuxStream(stream, out, out);
    stream.on("end", () => out.end());
    opts.signal?.addEventListener("abort", () => {
      (stream as unknown as { destroy: () => void }).destroy();
      out.end();
    });
    for await (const line of createInterface({ input: out, crlfDelay: Number.POSITIVE_INFINITY })) yield line;
  }

  /** The events followed, by the names the engine's filter knows them by. */
  protected readonly eventFilter: readonly string[] = ["start", "die", "oom", "health_status"];

  async *events(stack: string, signal: AbortSignal): AsyncIterable<ContainerEvent> {
    if (signal.aborted) return;
    // From the moment of the call: an event that comes while the stream is being set up (a loaded
    // engine takes a while) is replayed, not lost.
    const since = Date.now() / 1000;
    const stream = (await this.engine(() =>
      this.docker.getEvents({
        since,
        filters: {
          type: ["container"],
          label: [`${LABEL_STACK}=${stack}`],
          event: [...this.eventFilter],
        },
      }),
    )) as NodeJS.ReadableStream & { destroy: () => void };
    // Stopped while the request was on its way: the listener below would never be called.
    if (signal.aborted) {
      stream.destroy();
      return;
    }
    const lines = createInterface({ input: stream, crlfDelay: Number.POSITIVE_INFINITY });
    // Closing the reader ends the loop below; destroying the stream alone would leave it waiting.
    const close = () => {
      lines.close();
      stream.destroy();
    };
    signal.addEventListener("abort", close, { once: true });
    try {
      for await (const line of lines) {
        const e = parseEvent(line);
        if (e) yield e;
      }
    } catch (e) {
      if (!signal.aborted) throw e;
    } finally {
      signal.removeEventListener("abort", close);
      close();
    }
  }
  async stats(id: string): Promise<ContainerStats> {
    // A local engine's cgroup files answer at once; the Engine API answers at its next 1 s tick.
    const local = this.conn.endpoint.includes("unix://") ? readCgroupMemory(id) : null;
    if (local) return { ...local, cpuPercent: 0, ...cgroupCpuSeconds(id) };
    const s = (await this.engine(() =>
      this.docker.getContainer(id).stats({ stream: false, "one-shot": true } as { stream: false }),
    )) as Docker.ContainerStats;
    const mem = s.memory_stats;
    const stats = mem.stats as Record<string, number> | undefined;
    // What `docker stats` shows: usage less the page cache (cgroup v1 `cache`, v2 `inactive_file`).
    const cache = stats?.total_inactive_file ?? stats?.inactive_file ?? stats?.cache ?? 0;
    const cpuDelta = s.cpu_stats.cpu_usage.total_usage - s.precpu_stats.cpu_usage.total_usage;
    const systemDelta = (s.cpu_stats.system_cpu_usage ?? 0) - (s.precpu_stats.system_cpu_usage ?? 0);
    const cpus = s.cpu_stats.online_cpus ?? 1;
    return {
      memoryBytes: Math.max(0, (mem.usage ?? 0) - cache),
      memoryLimitBytes: mem.limit ?? 0,
      peakMemoryBytes: mem.max_usage ?? null,
      cpuPercent: systemDelta > 0 && cpuDelta > 0 ? (cpuDelta / systemDelta) * cpus * 100 : 0,
      cpuSeconds: s.cpu_stats.cpu_usage.total_usage / 1e9,
    };
  }

  async archiveVolume(volume: string, image: string, out: Writable): Promise<void> {
    await this.withVolumeHelper(volume, image, undefined, async (helper) => {
      const tar = (await helper.getArchive({ path: `${VOLUME_MOUNT}/.` })) as NodeJS.ReadableStream;
      await pipeline(tar, out);
    });
  }

  async restoreVolume(volume: string, tar: Readable): Promise<void> {
    // First empty the volume, then unpack into it. The service's image may have no tool to empty
    // it with (MinIO's ubi-micro has no `find`): a BusyBox helper runs `find … -delete`, no shell.
    await this.ensureHelperImage();
    await this.withVolumeHelper(
      volume,
      VOLUME_HELPER_IMAGE,
      // `-exec rm -rf {} +` rather than `-delete`, which BusyBox builds may leave out.
      ["find", VOLUME_MOUNT, "-mindepth", "1", "-maxdepth", "1", "-exec", "rm", "-rf", "{}", "+"],
      async (helper) => {
        await helper.start();
        const result = (await helper.wait()) as { StatusCode: number };
        if (result.StatusCode !== 0)
          throw new Error(`could not empty volume ${volume} (exit ${result.StatusCode})`);
        await helper.putArchive(tar, { path: VOLUME_MOUNT });
      },
    );
  }

  /** The helper image is pulled when missing, like a service image; a clear error when it cannot be. */
  private async ensureHelperImage(): Promise<void> {
    if (await this.imageId(VOLUME_HELPER_IMAGE)) return;
    try {
      await this.pullImage(VOLUME_HELPER_IMAGE, () => undefined);
    } catch (e) {
      if (e instanceof EngineUnreachableError) throw e;
      throw new BackupError(
        `Restoring a volume needs the helper image ${VOLUME_HELPER_IMAGE}, which is not on the engine and could not be pulled: ${(e as Error).message}`,
        `Pull it where a registry is reachable (\`docker pull ${VOLUME_HELPER_IMAGE}\`) or \`docker load\` it, then restore again. Nothing was changed.`,
      );
    }
  }

  private async withVolumeHelper(
    volume: string,
    image: string,
    cmd: string[] | undefined,
    use: (c: Docker.Container) => Promise<void>,
  ): Promise<void> {
    const config: Docker.ContainerCreateOptions = {
      Image: image,
      // A helper that only carries the volume for an archive is never started: it runs nothing.
      ...(cmd ? { Entrypoint: [cmd[0]!], Cmd: cmd.slice(1) } : { Entrypoint: ["true"] }),
      User: "0",
      NetworkDisabled: true,
      HostConfig: { Mounts: [{ Type: "volume", Source: volume, Target: VOLUME_MOUNT }] },
      Labels: { [LABEL_HELPER]: "volume" },
    };
    const trace = traceFile();
    if (trace && cmd) for (const c of createdCommands(config)) traceCommand(trace, c);
    const helper = await this.engine(() => this.docker.createContainer(config));
    try {
      await use(helper);
    } finally {
      await this.ignoreMissing(() => helper.remove({ force: true }));
    }
  }

  /** A removal that is done when the object is gone already (404) or going (409); other errors as engine() says. */
  private async ignoreMissing(call: () => Promise<unknown>): Promise<void> {
    try {
      await call();
    } catch (e) {
      if (statusOf(e) !== 404 && statusOf(e) !== 409) throw this.wrap(e);
    }
  }

  /** Runs an engine call; a connection failure becomes the one "engine unreachable" error. */
  protected async engine<T>(call: () => Promise<T>): Promise<T> {
    try {
      return await call();
    } catch (e) {
      throw this.wrap(e);
    }
  }

  protected wrap(e: unknown): unknown {
    const code = (e as { code?: string }).code;
    if (code === "ECONNREFUSED" || code === "ENOENT" || code === "EPIPE" || code === "ECONNRESET")
      return new EngineUnreachableError(
        `The container engine at ${this.conn.endpoint} stopped answering (${code}).`,
        [],
      );
    return e;
  }
}

/**
 * A host port another program took after the plan was made (the plan moves ports taken then):
 * the engine's words, from its userland proxy or its own allocator, made plain.
 */
function portTaken(e: unknown): Error | null {
  const text = reason(e);
  const m =
    /listen (?:tcp|udp)[46]? \[?([^\]\s]*?)\]?:(\d+): bind: address already in use/.exec(text) ??
    /Bind for \[?([^\]\s]*?)\]?:(\d+) failed: port is already allocated/.exec(text);
  if (!m) return null;
  return new Error(
    `host port ${m[2]} is taken: another program started listening on ${m[1] || "0.0.0.0"}:${m[2]} after the plan was made; run \`deloc up\` again and the plan moves to a free port`,
  );
}

/** Podman's service names itself among the version's components (`Podman Engine`). */
export function isPodman(v: { Components?: { Name: string }[] | null }): boolean {
  return v.Components?.some((c) => /podman/i.test(c.Name)) ?? false;
}

function apiAtLeast(version: string, major: number, minor: number): boolean {
  const [a = 0, b = 0] = version.split(".").map(Number);
  return a > major || (a === major && b >= minor);
}

function statusOf(e: unknown): number | undefined {
  return (e as { statusCode?: number }).statusCode;
}

function reason(e: unknown): string {
  const err = e as { json?: { message?: string }; message?: string; code?: string };
  // docker-modem prefixes the engine's own words with "(HTTP code 500) server error - ".
  return err.json?.message ?? err.message?.replace(/^\(HTTP code \d+\) [^-]*- /, "") ?? err.code ?? String(e);
}

function withTimeout<T>(p: Promise<T>, ms: number, message: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  return Promise.race([
    p.finally(() => clearTimeout(timer)),
    new Promise<T>((_, reject) => {
      timer = setTimeout(() => reject(new Error(message)), ms);
    }),
  ]);
}

interface ProgressEvent {
  id?: string;
  status?: string;
  progress?: string;
  stream?: string;
  error?: string;
  errorDetail?: { message?: string };
}

function followProgress(
  docker: Docker,
  stream: NodeJS.ReadableStream,
  onEvent: (e: ProgressEvent) => void,
): Promise<void> {
  return new Promise((resolve, reject) => {
    docker.modem.followProgress(
      stream,
      (err: Error | null, events: ProgressEvent[]) => {
        const failed = err ?? events.find((e) => e.error);
        if (!failed) return resolve();
        reject(
          new Error(failed instanceof Error ? failed.message : (failed.errorDetail?.message ?? failed.error)),
        );
      },
      onEvent,
    );
  });
}

/** The Engine API frames non-TTY output: 8-byte headers (stream, size) before each chunk. */
function demuxBuffer(buf: Buffer): string {
  const parts: Buffer[] = [];
  let i = 0;
  while (i + 8 <= buf.length) {
    const size = buf.readUInt32BE(i + 4);
    parts.push(buf.subarray(i + 8, i + 8 + size));
    i += 8 + size;
  }
  return Buffer.concat(parts).toString("utf8");
}

/**
 * The BuildKit-only lines of a build's Dockerfile (relative to its context, as in deloc.yaml),
 * named as the user would open the file. None when it cannot be read: the builder says why.
 */
function dockerfileNeeds(build: { context: string; dockerfile?: string }): BuildKitNeed[] {
  const file = path.resolve(build.context, build.dockerfile ?? "Dockerfile");
  let text: string;
  try {
    text = fs.readFileSync(file, "utf8");
  } catch {
    return [];
  }
  const rel = path.relative(process.cwd(), file);
  const shown = rel && !rel.startsWith("..") && !path.isAbsolute(rel) ? rel : file;
  return buildKitFeatures(text).map((f) => ({ ...f, file: shown }));
}

/**
 * Every file of a build context, relative with `/`, sorted: dockerode filters them by
 * `.dockerignore` and packs them; `npm run images` also hashes them into the recipe's label.
 */
export function contextFiles(root: string, dir = ""): string[] {
  return fs
    .readdirSync(path.join(root, dir), { withFileTypes: true })
    .flatMap((e) => {
      const rel = dir ? `${dir}/${e.name}` : e.name;
      return e.isDirectory() ? contextFiles(root, rel) : [rel];
    })
    .sort();
}

/** What cgroup v1 reports for a container without a memory limit (a page-rounded 2^63 - 1). */
const NO_LIMIT = 2 ** 62;

/**
 * Memory of a container from the host's cgroup files, as `docker stats` computes it (usage less
 * inactive page cache), for the layouts of Docker's cgroupfs and systemd drivers on cgroup v1 and
 * v2. null when none is readable (a remote engine, a VM, rootless): the caller asks the API.
 */
function readCgroupMemory(
  id: string,
): { memoryBytes: number; memoryLimitBytes: number; peakMemoryBytes: number | null } | null {
  const v1 = ["/sys/fs/cgroup/memory/docker", "/sys/fs/cgroup/memory/system.slice"];
  const v2 = ["/sys/fs/cgroup/system.slice", "/sys/fs/cgroup/docker"];
  const read = (f: string) => {
    try {
      return fs.readFileSync(f, "utf8");
    } catch {
      return null;
    }
  };
  const stat = (text: string | null, key: string) =>
    Number(new RegExp(`^${key} (\\d+)$`, "m").exec(text ?? "")?.[1] ?? 0);
  for (const root of v1)
    for (const dir of [`${root}/${id}`, `${root}/docker-${id}.scope`]) {
      const usage = read(`${dir}/memory.usage_in_bytes`);
      if (usage === null) continue;
      const st = read(`${dir}/memory.stat`);
      return {
        memoryBytes: Math.max(0, Number(usage) - stat(st, "total_inactive_file")),
        memoryLimitBytes: Number(read(`${dir}/memory.limit_in_bytes`) ?? 0),
        peakMemoryBytes: Number(read(`${dir}/memory.max_usage_in_bytes`) ?? Number.NaN) || null,
      };
    }
  for (const root of v2)
    for (const dir of [`${root}/docker-${id}.scope`, `${root}/${id}`]) {
      const usage = read(`${dir}/memory.current`);
      if (usage === null) continue;
      const max = read(`${dir}/memory.max`)?.trim();
      return {
        memoryBytes: Math.max(0, Number(usage) - stat(read(`${dir}/memory.stat`), "inactive_file")),
        memoryLimitBytes: max && max !== "max" ? Number(max) : 0,
        peakMemoryBytes: Number(read(`${dir}/memory.peak`) ?? Number.NaN) || null,
      };
    }
  return null;
}

/** The CPU time a local container has used (cgroup v1 `cpuacct.usage`, v2 `cpu.stat`); none when not found. */
function cgroupCpuSeconds(id: string): { cpuSeconds?: number } {
  const read = (f: string) => {
    try {
      return fs.readFileSync(f, "utf8");
    } catch {
      return null;
    }
  };
  for (const root of ["/sys/fs/cgroup/cpuacct/docker", "/sys/fs/cgroup/cpu,cpuacct/docker"]) {
    const ns = read(`${root}/${id}/cpuacct.usage`);
    if (ns !== null) return { cpuSeconds: Number(ns) / 1e9 };
  }
  for (const root of ["/sys/fs/cgroup/system.slice", "/sys/fs/cgroup/docker"])
    for (const dir of [`${root}/docker-${id}.scope`, `${root}/${id}`]) {
      const usec = /^usage_usec (\d+)$/m.exec(read(`${dir}/cpu.stat`) ?? "")?.[1];
      if (usec !== undefined) return { cpuSeconds: Number(usec) / 1e6 };
    }
  return {};
}

/** One line of the Engine API's event stream, as a ContainerEvent; null for what DELoc does not follow. */
export function parseEvent(line: string): ContainerEvent | null {
  let raw: {
    Action?: string;
    status?: string;
    id?: string;
    Actor?: { ID?: string; Attributes?: Record<string, string> };
  };
  try {
    raw = JSON.parse(line);
  } catch {
    return null;
  }
  const action = raw.Action ?? raw.status ?? "";
  const attrs = raw.Actor?.Attributes ?? {};
  const base = { id: raw.Actor?.ID ?? raw.id ?? "", service: attrs[LABEL_SERVICE] ?? "" };
  if (action === "start" || action === "oom") return { ...base, action };
  if (action === "die") {
    const code = attrs.exitCode ?? attrs.containerExitCode; // Podman's name for it
    return { ...base, action, ...(code !== undefined ? { exitCode: Number(code) } : {}) };
  }
  const health = /^health_status: (healthy|unhealthy|starting)$/.exec(action)?.[1];
  if (health)
    return { ...base, action: "health_status", health: health as ContainerEvent["health"] & string };
  return null;
}
