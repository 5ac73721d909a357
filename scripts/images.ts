/**
 * `npm run images`: builds, on this machine's Docker engine, the images DELoc's tests deploy, since
 * no container registry is reachable here. First a Debian base made with debootstrap (from the
 * mirror in this machine's apt sources) and `docker import`; then each `images/<name>/` recipe on
 * top, tagged exactly as the catalog's upstream reference. An image already built from the same
 * recipe (its `dev.deloc.recipe` label) is skipped.
 *
 *   npm run images               # all
 *   npm run images -- postgres   # some
 *   npm run images -- --jobs 1   # one build at a time (default: 3 at once)
 *
 * Builds run side by side, the longest first: most of a build waits on the network (debootstrap,
 * apt inside the build, Maven Central, PyPI, the Go module proxy) or runs on one core (linking,
 * unpacking), so a few at once keep both cores of a small CI machine busy.
 */
import { execFile, spawn, spawnSync } from "node:child_process";
import { createHash } from "node:crypto";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import type Docker from "dockerode";
import { connectDocker, contextFiles } from "../src/adapters/docker/docker-adapter.js";

const ROOT = path.resolve(import.meta.dirname, "..");
const IMAGES = path.join(ROOT, "images");
const RECIPE_LABEL = "dev.deloc.recipe";
const DEFAULT_BASE = "deloc/debian:trixie";
const DEFAULT_JOBS = 3;
/**
 * The recipes that take longest on a fresh machine (Go and C builds, CPython, a 455 MB PyPI
 * package), longest first (README, "CI on a fresh machine"): started first, they end the run sooner.
 */
const LONGEST_FIRST = ["minio", "redis", "seaweedfs", "spark", "jupyter"];

interface BaseRecipe {
  tag: string;
  suite: string;
  variant: string;
  include: string[];
}

async function main(): Promise<number> {
  const { only, jobs } = parseArgs(process.argv.slice(2));
  const { docker, endpoint } = await connectDocker({
    env: process.env,
    home: os.homedir(),
    uid: process.getuid?.() ?? 0,
  });
  console.log(`engine: ${endpoint}`);
  const names = fs
    .readdirSync(IMAGES)
    .filter((n) => fs.existsSync(path.join(IMAGES, n, "image.json")))
    .filter((n) => only.length === 0 || only.includes(n))
    .sort((a, b) => rank(a) - rank(b) || a.localeCompare(b));
  // Every base this run needs starts at once (each is a debootstrap: network and dpkg).
  const bases = new Map<string, Promise<string>>();
  for (const name of names) {
    const base = readRecipe(name).base ?? DEFAULT_BASE;
    if (bases.has(base)) continue;
    const built = ensureBase(docker, base);
    built.catch(() => {}); // awaited (and reported) by the builds on it
    bases.set(base, built);
  }
  try {
    await inParallel(names, jobs, async (name) => {
      const recipe = readRecipe(name);
      await ensureImage(docker, name, recipe, await bases.get(recipe.base ?? DEFAULT_BASE)!);
    });
  } finally {
    if (downloads) fs.rmSync(downloads, { recursive: true, force: true });
  }
  return 0;
}

/**
 * This run's PyPI downloads, by requirement: the Spark and Jupyter images both carry pyspark's
 * source package (over 400 MB), fetched once (pip keeps no cache of it on our CI machines).
 */
const pypiDownloads = new Map<string, Promise<string>>();
let downloads: string | undefined;
/** Settles when the Maven run before is done. */
let mavenTurn: Promise<void> = Promise.resolve();

/** `pip download --no-deps` of one requirement, once a run; the folder holding what it fetched. */
function pypiDownload(requirement: string): Promise<string> {
  let fetched = pypiDownloads.get(requirement);
  if (!fetched) {
    downloads ??= fs.mkdtempSync(path.join(os.tmpdir(), "deloc-pypi-"));
    const dest = path.join(downloads, String(pypiDownloads.size));
    fetched = run("python3", [
      "-m",
      "pip",
      "download",
      "--quiet",
      "--no-deps",
      "--dest",
      dest,
      requirement,
    ]).then(() => dest);
    pypiDownloads.set(requirement, fetched);
  }
  return fetched;
}

function parseArgs(args: string[]): { only: string[]; jobs: number } {
  const i = args.indexOf("--jobs");
  if (i < 0) return { only: args, jobs: DEFAULT_JOBS };
  const jobs = Number(args[i + 1]);
  if (!Number.isInteger(jobs) || jobs < 1)
    throw new Error(`--jobs wants a whole number from 1 up, not ${args[i + 1]}`);
  return { only: args.filter((_, j) => j !== i && j !== i + 1), jobs };
}

function rank(name: string): number {
  const i = LONGEST_FIRST.indexOf(name);
  return i < 0 ? LONGEST_FIRST.length : i;
}

/**
 * Runs `task` on each item, at most `jobs` at once, in the items' order. After a failure no new
 * task starts; the running ones finish (their builds and child processes end cleanly), then the
 * first failure is thrown, naming how many failed.
 */
async function inParallel<T>(items: T[], jobs: number, task: (item: T) => Promise<void>): Promise<void> {
  const queue = [...items];
  const failures: unknown[] = [];
  const worker = async (): Promise<void> => {
    for (let item = queue.shift(); item !== undefined && failures.length === 0; item = queue.shift()) {
      await task(item).catch((e: unknown) => failures.push(e));
    }
  };
  await Promise.all(Array.from({ length: Math.min(jobs, items.length) }, worker));
  if (failures.length > 1) console.error(`npm run images: ${failures.length} builds failed; the first:`);
  if (failures.length) throw failures[0];
}

/** Builds (or finds up to date) the base image tagged `tag`, from its `images/base/*.json` recipe. */
async function ensureBase(docker: Docker, tag: string): Promise<string> {
  const bases = path.join(IMAGES, "base");
  const file = fs
    .readdirSync(bases)
    .filter((f) => f.endsWith(".json"))
    .map((f) => path.join(bases, f))
    .find((f) => (JSON.parse(fs.readFileSync(f, "utf8")) as BaseRecipe).tag === tag);
  if (!file) throw new Error(`no recipe in images/base/ is tagged ${tag}`);
  const recipe = JSON.parse(fs.readFileSync(file, "utf8")) as BaseRecipe;
  const hash = sha256(fs.readFileSync(file));
  const existing = await labelOf(docker, recipe.tag);
  if (existing?.recipe === hash) {
    console.log(`${recipe.tag}: up to date`);
    return existing.id;
  }
  if (process.getuid?.() !== 0) throw new Error("debootstrap needs root: run `sudo npm run images`");
  if (spawnSync("debootstrap", ["--version"]).error)
    throw new Error("debootstrap is not installed: `apt-get install -y debootstrap`");
  const mirror = aptMirror();
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "deloc-rootfs-"));
  const t0 = performance.now();
  console.log(`${recipe.tag}: debootstrap ${recipe.suite} (${recipe.variant}) from ${mirror}`);
  try {
    await run("debootstrap", [
      `--variant=${recipe.variant}`,
      `--include=${recipe.include.join(",")}`,
      recipe.suite,
      dir,
      mirror,
    ]);
    // Caches and logs debootstrap leaves behind make the image bigger and not reproducible.
    for (const p of ["var/cache/apt/archives", "var/lib/apt/lists", "var/log"])
      for (const e of fs.readdirSync(path.join(dir, p), { withFileTypes: true }))
        if (e.isFile()) fs.rmSync(path.join(dir, p, e.name));
    const tar = spawn("tar", ["--numeric-owner", "-C", dir, "-c", "."], {
      stdio: ["ignore", "pipe", "inherit"],
    });
    const [repo, tag] = recipe.tag.split(":") as [string, string];
    const stream = (await docker.importImage(
      tar.stdout as unknown as string,
      {
        repo,
        tag,
        changes: [`LABEL ${RECIPE_LABEL}=${hash}`, "ENV LANG=C.UTF-8", 'CMD ["bash"]'],
      } as object,
    )) as NodeJS.ReadableStream;
    await follow(docker, stream);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
  console.log(`${recipe.tag}: built in ${((performance.now() - t0) / 1000).toFixed(0)} s`);
  return (await labelOf(docker, recipe.tag))!.id;
}

interface ImageRecipe {
  tag: string;
  /** The catalog service (or group) whose upstream image this stands in for. */
  service?: string;
  /** The plugin (its folder in this repository) whose template `service` is, when not DELoc's catalog's. */
  plugin?: string;
  /** Or the helper the Docker adapter runs (`volume`: empties a volume before a restore). */
  helper?: "volume";
  /** The base image (one of `images/base/*.json`); the Dockerfile's `FROM` names the same tag. */
  base?: string;
  /** Fetch the dependencies of the recipe's pom.xml from Maven Central into this folder of the context. */
  maven?: string;
  /** Fetch this PyPI requirement (e.g. `pyspark==4.1.1`), without its dependencies, into `dist/`. */
  pypi?: string;
  /** Fetch the wheels a lock file pins, for the image's Python (not the host's), into `wheels/`. */
  wheels?: { lock: string; python: string };
  /**
   * Build these Go packages (`module@version`) as static binaries into `bin/`; with `module`, the
   * package is built inside a copy of that module (`module@version`), so its go.mod's replace
   * directives apply (`go install pkg@version` refuses modules that have them).
   */
  go?: { package: string; module?: string; ldflags?: string }[];
  /**
   * Copy the source tree of these modules (`module@version`) from the Go module proxy, which
   * serves any public repository's tagged tree (CPython's among them), into the context's `dest`.
   */
  source?: { module: string; dest: string }[];
  /**
   * Copy the certificate authorities this machine adds to Debian's (`/usr/local/share/ca-certificates`:
   * on CI machines, a TLS-intercepting egress proxy's) into `host-ca/`, for an image whose
   * containers fetch from the internet at run time (Spark's Ivy and Maven Central) as the host does.
   */
  hostCAs?: boolean;
}

const HOST_CA_DIR = "/usr/local/share/ca-certificates";

/** The host's added CA certificates (name → content), sorted; none on a stock machine. */
function hostCAs(): [string, Buffer][] {
  if (!fs.existsSync(HOST_CA_DIR)) return [];
  return fs
    .readdirSync(HOST_CA_DIR)
    .filter((f) => f.endsWith(".crt"))
    .sort()
    .map((f) => [f, fs.readFileSync(path.join(HOST_CA_DIR, f))]);
}

function readRecipe(name: string): ImageRecipe {
  return JSON.parse(fs.readFileSync(path.join(IMAGES, name, "image.json"), "utf8")) as ImageRecipe;
}

async function ensureImage(docker: Docker, name: string, recipe: ImageRecipe, baseId: string): Promise<void> {
  const dir = path.join(IMAGES, name);
  const files = contextFiles(dir);
  const cas = recipe.hostCAs ? hostCAs() : [];
  const hash = sha256(
    Buffer.concat([
      Buffer.from(baseId),
      ...files.map((f) => Buffer.concat([Buffer.from(f), fs.readFileSync(path.join(dir, f))])),
      ...cas.map(([f, content]) => Buffer.concat([Buffer.from(f), content])),
    ]),
  );
  if ((await labelOf(docker, recipe.tag))?.recipe === hash) {
    console.log(`${recipe.tag}: up to date`);
    return;
  }
  const t0 = performance.now();
  console.log(`${recipe.tag}: building images/${name}`);
  const say = (line: string) => console.log(`  ${name}: ${line}`);
  // The context is a copy of the recipe plus what is fetched on the host, where that is more
  // robust than inside the build (the registries are reachable from here, not always from there).
  const context = fs.mkdtempSync(path.join(os.tmpdir(), `deloc-image-${name}-`));
  try {
    fs.cpSync(dir, context, { recursive: true });
    if (recipe.hostCAs) {
      fs.mkdirSync(path.join(context, "host-ca"));
      for (const [f, content] of cas) fs.writeFileSync(path.join(context, "host-ca", f), content);
    }
    if (recipe.maven) {
      say(`fetching ${path.join(name, "pom.xml")}'s dependencies from Maven Central`);
      // One Maven at a time: two writing the same artifact into ~/.m2 at once is not safe.
      const libs = path.join(context, recipe.maven);
      const turn = mavenTurn.then(() =>
        run("mvn", [
          "-q",
          "-B",
          "-f",
          path.join(context, "pom.xml"),
          "dependency:copy-dependencies",
          `-DoutputDirectory=${libs}`,
          "-DincludeScope=runtime",
        ]),
      );
      mavenTurn = turn.catch(() => {});
      await turn;
    }
    for (const g of recipe.go ?? []) {
      say(`building ${g.package}${g.module ? ` of ${g.module}` : ""} from the Go module proxy`);
      const flags = ["-trimpath", ...(g.ldflags ? ["-ldflags", g.ldflags] : [])];
      const env = { ...process.env, CGO_ENABLED: "0", GOBIN: path.join(context, "bin") };
      if (!g.module) {
        await run("go", ["install", ...flags, g.package], env);
        continue;
      }
      const tree = fs.mkdtempSync(path.join(os.tmpdir(), "deloc-module-"));
      try {
        await fs.promises.cp(await downloadedModule(g.module), tree, { recursive: true });
        await run("chmod", ["-R", "u+w", tree]);
        const out = path.join(context, "bin", path.basename(g.package));
        await run("go", ["build", ...flags, "-o", out, g.package], { ...env, GOFLAGS: "-mod=mod" }, tree);
      } finally {
        fs.rmSync(tree, { recursive: true, force: true });
      }
    }
    for (const src of recipe.source ?? []) {
      say(`fetching the source of ${src.module} from the Go module proxy`);
      const dir = await downloadedModule(src.module);
      await fs.promises.cp(dir, path.join(context, src.dest), { recursive: true });
      // The module cache is read-only; the build wants to write next to the sources.
      await run("chmod", ["-R", "u+w", path.join(context, src.dest)]);
    }
    if (recipe.pypi) {
      say(`fetching ${recipe.pypi} from PyPI`);
      await fs.promises.cp(await pypiDownload(recipe.pypi), path.join(context, "dist"), { recursive: true });
    }
    if (recipe.wheels) {
      const { lock, python } = recipe.wheels;
      const abi = `cp${python.replace(".", "")}`;
      say(`fetching the wheels ${path.join(name, lock)} pins, for Python ${python}, from PyPI`);
      // biome-ignore format: one platform or ABI per line reads best
      await run("python3", [
        "-m", "pip", "download", "--quiet", "--no-deps", "--only-binary=:all:",
        "--python-version", python, "--implementation", "cp", "--abi", abi, "--abi", "abi3", "--abi", "none",
        ...["manylinux_2_28_x86_64", "manylinux_2_17_x86_64", "manylinux2014_x86_64", "manylinux_2_5_x86_64", "manylinux1_x86_64", "any"].flatMap((p) => ["--platform", p]),
        "--dest", path.join(context, "wheels"), "-r", path.join(context, lock),
      ]);
    }
    const stream = await docker.buildImage(
      { context, src: contextFiles(context) },
      { t: recipe.tag, labels: { [RECIPE_LABEL]: hash }, rm: true, forcerm: true },
    );
    await follow(docker, stream, (e) => {
      if (e.stream?.startsWith("Step ")) say(e.stream.trim());
    });
  } finally {
    fs.rmSync(context, { recursive: true, force: true });
  }
  console.log(`${recipe.tag}: built in ${((performance.now() - t0) / 1000).toFixed(0)} s`);
}

/** `go mod download` of one module version; the folder of its unpacked tree in the module cache. */
async function downloadedModule(module: string): Promise<string> {
  // Not spawnSync: the other builds of the run go on meanwhile.
  const { stdout, stderr, failed } = await new Promise<{ stdout: string; stderr: string; failed: boolean }>(
    (resolve) =>
      execFile(
        "go",
        ["mod", "download", "-json", module],
        { env: { ...process.env, GOFLAGS: "-mod=mod" }, cwd: os.tmpdir(), maxBuffer: 1 << 20 },
        (err, stdout, stderr) => resolve({ stdout, stderr, failed: err !== null }),
      ),
  );
  const info = JSON.parse(stdout || "{}") as { Dir?: string; Error?: string };
  if (failed || !info.Dir) throw new Error(`go mod download ${module}: ${info.Error ?? stderr}`);
  return info.Dir;
}

/** The first Debian mirror in this machine's apt sources (deb822 `.sources` or one-line lists). */
function aptMirror(): string {
  const files = [
    "/etc/apt/sources.list",
    ...listDir("/etc/apt/sources.list.d").map((f) => `/etc/apt/sources.list.d/${f}`),
  ];
  for (const f of files) {
    const text = fs.existsSync(f) ? fs.readFileSync(f, "utf8") : "";
    const m = /^URIs:\s*(\S+)/m.exec(text) ?? /^deb\s+(?:\[[^\]]*\]\s+)?(\S+)/m.exec(text);
    if (m && !m[1]!.includes("security")) return m[1]!;
  }
  throw new Error("no Debian mirror in /etc/apt/sources.list or /etc/apt/sources.list.d/");
}

function listDir(d: string): string[] {
  return fs.existsSync(d)
    ? fs
        .readdirSync(d)
        .filter((f) => f.endsWith(".list") || f.endsWith(".sources"))
        .sort()
    : [];
}

async function labelOf(
  docker: Docker,
  tag: string,
): Promise<{ id: string; recipe: string | undefined } | null> {
  try {
    const i = await docker.getImage(tag).inspect();
    return { id: i.Id, recipe: i.Config.Labels?.[RECIPE_LABEL] };
  } catch {
    return null;
  }
}

function follow(
  docker: Docker,
  stream: NodeJS.ReadableStream,
  onEvent?: (e: { stream?: string }) => void,
): Promise<void> {
  return new Promise((resolve, reject) =>
    docker.modem.followProgress(
      stream,
      (err: Error | null, events: { error?: string }[]) => {
        const failed = err?.message ?? events.find((e) => e.error)?.error;
        if (failed) reject(new Error(failed));
        else resolve();
      },
      onEvent,
    ),
  );
}

function run(cmd: string, args: string[], env: NodeJS.ProcessEnv = process.env, cwd?: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { stdio: ["ignore", "ignore", "inherit"], env, ...(cwd ? { cwd } : {}) });
    child.on("error", reject);
    child.on("exit", (code) => (code === 0 ? resolve() : reject(new Error(`${cmd} exited with ${code}`))));
  });
}

function sha256(data: Buffer): string {
  return createHash("sha256").update(data).digest("hex").slice(0, 16);
}

main().then(
  (code) => process.exit(code),
  (e: unknown) => {
    console.error(`npm run images: ${e instanceof Error ? e.message : String(e)}`);
    process.exit(1);
  },
);
