/**
 * Builds through the engine's own BuildKit, driven by the docker CLI.
 *
 * Why the CLI and not the Engine API: a BuildKit build over the API (`POST /build?version=2`)
 * needs the client to serve a gRPC session on a hijacked `/session` connection — filesync of the
 * context (fsutil's DiffCopy stream), auth, secrets, progress decoding of BuildKit's protobuf
 * status. That is a second client of BuildKit to write and keep in step with every engine. The
 * docker CLI already is that client, it is what `docker build` runs, and its results are the
 * ones users compare ours with (`.dockerignore` and `<Dockerfile>.dockerignore`, cache mounts,
 * stage skipping with `--target`, build args).
 *
 * Which CLI: `docker buildx build` when the buildx plugin answers; otherwise a docker CLI older
 * than 23, whose own `docker build` has a BuildKit client (`DOCKER_BUILDKIT=1`). CLIs from 23 on
 * refuse BuildKit without buildx. Every `docker` on PATH is tried in order, because the first
 * one is not always the capable one (a static CLI in /usr/local/bin without plugins may shadow the
 * distribution's /usr/bin/docker).
 */
import { spawn } from "node:child_process";
import fs from "node:fs";
import path from "node:path";

export type BuildKitCli =
  | { kind: "buildx"; docker: string; version: string }
  | { kind: "embedded"; docker: string; version: string };

export type BuildKitProbe = { ok: true; cli: BuildKitCli } | { ok: false; why: string };

export interface RunResult {
  code: number | null;
  stdout: string;
}

/** Runs a short command (a probe) and returns its exit code and stdout; never throws. */
export type ProbeRunner = (
  file: string,
  args: readonly string[],
  env: NodeJS.ProcessEnv,
) => Promise<RunResult>;

const PROBE_TIMEOUT_MS = 10_000;
/** CLIs from this major version on have no BuildKit client of their own: they need buildx. */
const FIRST_CLI_WITHOUT_BUILDKIT = 23;

export const runProbe: ProbeRunner = (file, args, env) =>
  new Promise((resolve) => {
    const child = spawn(file, [...args], {
      env,
      stdio: ["ignore", "pipe", "ignore"],
      timeout: PROBE_TIMEOUT_MS,
    });
    let stdout = "";
    child.stdout.setEncoding("utf8").on("data", (d: string) => {
      stdout += d;
    });
    child.on("error", () => resolve({ code: null, stdout }));
    child.on("close", (code) => resolve({ code, stdout }));
  });

/** Every executable `docker` on PATH, in PATH order, each real file once. */
export function dockerOnPath(
  env: NodeJS.ProcessEnv,
  exists: (f: string) => boolean = isExecutable,
): string[] {
  const seen = new Set<string>();
  const out: string[] = [];
  for (const dir of (env.PATH ?? "").split(path.delimiter)) {
    if (!dir) continue;
    const file = path.join(dir, "docker");
    if (!exists(file)) continue;
    let real = file;
    try {
      real = fs.realpathSync(file);
    } catch {}
    if (seen.has(real)) continue;
    seen.add(real);
    out.push(file);
  }
  return out;
}

function isExecutable(file: string): boolean {
  try {
    fs.accessSync(file, fs.constants.X_OK);
    return fs.statSync(file).isFile();
  } catch {
    return false;
  }
}

/**
 * Finds a docker CLI that can build with BuildKit, or says why there is none. `DOCKER_BUILDKIT=0`
 * is the user's way to ask for the classic builder, as with `docker build`, and is honoured.
 */
export async function findBuildKitCli(
  env: NodeJS.ProcessEnv,
  run: ProbeRunner = runProbe,
  candidates: readonly string[] = dockerOnPath(env),
): Promise<BuildKitProbe> {
  const flag = env.DOCKER_BUILDKIT?.trim().toLowerCase();
  if (flag === "0" || flag === "false")
    return { ok: false, why: `DOCKER_BUILDKIT=${env.DOCKER_BUILDKIT} is set` };
  if (candidates.length === 0) return { ok: false, why: "no docker CLI on PATH" };
  const skipped: string[] = [];
  for (const docker of candidates) {
    const buildx = await run(docker, ["buildx", "version"], env);
    const cliVersion = /version v?(\d+)\.(\d+)\.(\d+)/i.exec((await run(docker, ["--version"], env)).stdout);
    const version = cliVersion ? `${cliVersion[1]}.${cliVersion[2]}.${cliVersion[3]}` : "unknown";
    if (buildx.code === 0) return { ok: true, cli: { kind: "buildx", docker, version } };
    if (cliVersion && Number(cliVersion[1]) < FIRST_CLI_WITHOUT_BUILDKIT)
      return { ok: true, cli: { kind: "embedded", docker, version } };
    skipped.push(`${docker} (docker CLI ${version}) has no buildx plugin`);
  }
  return { ok: false, why: skipped.join("; ") };
}

export interface CliBuild {
  image: string;
  context: string;
  /** Relative to the context, as in deloc.yaml and compose; the CLI's `-f` is relative to its cwd. */
  dockerfile?: string;
  target?: string;
  args: Record<string, string>;
  labels: Record<string, string>;
}

/**
 * The buildx builder to use: the docker driver of the adapter's own engine ("default" is the
 * builder of the endpoint in DOCKER_HOST), which sees the engine's local images and keeps its
 * cache mounts on that engine; a `docker-container` builder picked with `docker buildx use` would
 * look for base images in a registry. BUILDX_BUILDER, an explicit choice for this run, is left to
 * the CLI, and so is the endpoint of a docker context (the context's own builder is its default).
 */
export function builderFor(env: NodeJS.ProcessEnv, engine: { host: string | null }): string | null {
  if (env.BUILDX_BUILDER) return null;
  return engine.host ? "default" : null;
}

/** The docker CLI's arguments for a build. Pure; sorted labels and args keep it deterministic. */
export function buildArgv(cli: BuildKitCli, b: CliBuild, builder: string | null): string[] {
  const argv =
    cli.kind === "buildx"
      ? // --load: the image lands on the engine whichever driver the builder has.
        ["buildx", "build", ...(builder ? ["--builder", builder] : []), "--load"]
      : ["build"];
  argv.push("--progress=plain", "--tag", b.image);
  if (b.dockerfile) argv.push("--file", path.resolve(b.context, b.dockerfile));
  if (b.target) argv.push("--target", b.target);
  // Build args go on the command line as with `docker build`: like the image history, they are
  // not a place for secrets (Docker's own advice), so there is nothing more to hide here.
  for (const k of Object.keys(b.args).sort()) argv.push("--build-arg", `${k}=${b.args[k]}`);
  for (const k of Object.keys(b.labels).sort()) argv.push("--label", `${k}=${b.labels[k]}`);
  argv.push(b.context);
  return argv;
}

/**
 * The CLI's environment: the same engine as the adapter's. An endpoint found in DOCKER_HOST or
 * a socket is passed as DOCKER_HOST (and any DOCKER_CONTEXT dropped, which would conflict); an
 * endpoint found from the current docker context is left to the CLI, which reads the same
 * context (and its TLS material) itself.
 */
export function cliEnv(
  env: NodeJS.ProcessEnv,
  cli: BuildKitCli,
  engine: { host: string | null },
): NodeJS.ProcessEnv {
  const out: NodeJS.ProcessEnv = { ...env, BUILDKIT_PROGRESS: "plain" };
  if (engine.host) {
    out.DOCKER_HOST = engine.host;
    delete out.DOCKER_CONTEXT;
  }
  if (cli.kind === "embedded") out.DOCKER_BUILDKIT = "1";
  return out;
}

/**
 * Runs the build, each output line to `progress` (BuildKit's plain progress is on stderr);
 * rejects with the last lines when the CLI fails.
 */
export function runCliBuild(
  cli: BuildKitCli,
  argv: readonly string[],
  env: NodeJS.ProcessEnv,
  progress: (line: string) => void,
): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(cli.docker, [...argv], { env, stdio: ["ignore", "pipe", "pipe"] });
    const tail: string[] = [];
    const onLine = (line: string) => {
      // Plain progress names each step's digest on a line of its own: noise to a reader.
      if (!line.trim() || /^#\d+ sha256:[0-9a-f]{64}$/.test(line)) return;
      tail.push(line);
      if (tail.length > 25) tail.shift();
      progress(line);
    };
    for (const stream of [child.stdout, child.stderr]) {
      let buf = "";
      stream.setEncoding("utf8");
      stream.on("data", (d: string) => {
        buf += d;
        const parts = buf.split(/\r?\n/);
        buf = parts.pop() ?? "";
        for (const p of parts) onLine(p);
      });
      stream.on("end", () => onLine(buf));
    }
    let failed: Error | undefined;
    child.on("error", (e) => {
      failed = e;
    });
    // "close" comes after both streams have ended, so the tail is complete.
    child.on("close", (code, signal) => {
      if (failed) return reject(new Error(`could not run ${cli.docker}: ${failed.message}`));
      if (code === 0) return resolve();
      const what = cli.kind === "buildx" ? "docker buildx build" : "DOCKER_BUILDKIT=1 docker build";
      reject(new Error(`${what} exited ${code ?? signal}${tail.length ? `\n${tail.join("\n")}` : ""}`));
    });
  });
}
