/**
 * Secrets are never printed unless asked for (issue 15, item 6), on the real engine through the
 * built CLI: a stack with secrets (postgres, minio, jupyter, and a service of our own that echoes
 * them into its log, its health check and its verify probe, plain and in base64) is deployed once,
 * then EVERY command of the command table runs — read commands in text and `--json`, exports to
 * stdout included — and what each prints (stdout and stderr) is searched for every secret value,
 * its base64 (padded or not), its base64url and its URL encoding. The full recipe (airflow's
 * Fernet key and JWT secret among its secrets) is planned and exported beside it. A command with
 * `--show-secrets` must show them, which proves the search finds what it looks for; so must the
 * files written with the secrets (`export k8s -o`, compose's `.env`).
 */
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { after, before, beforeEach, describe, test } from "node:test";
import { COMMANDS, type CommandDef } from "../../src/cli/command-table.js";
import { CLI, delocIn, type Run } from "../support/cli.js";

const STACK = "deloc-e2e-no-secret-output";
const FULL = "deloc-e2e-no-secret-output-full";
const root = fs.mkdtempSync(path.join(os.tmpdir(), `${STACK}-`));
const dir = path.join(root, "stack");
const fullDir = path.join(root, "full");
fs.mkdirSync(dir);
fs.mkdirSync(fullDir);

/** Our own service: every way a service might let a secret out, plain and encoded. */
const APP = `    app:
      image: "deloc/debian:trixie"
      command: ["sh", "-c", "echo pg=$$PG s3=$$S3 token=$$TOKEN; echo dsn=$$DSN; echo b64=$$(printf %s \\"$$PG\\" | base64) b64url=$$(printf %s \\"$$TOKEN\\" | base64 | tr '+/' '-_'); trap 'exit 0' TERM; while :; do sleep 1 & wait $$!; done"]
      resources: { memory: 32Mi, cpu: 100m }
      env:
        PG: "{{secret.postgres-password}}"
        S3: "{{secret.minio-root-password}}"
        TOKEN: "{{secret.jupyter-token}}"
        DSN: "postgresql://deloc:{{secret.postgres-password}}@postgres:5432/deloc"
      healthCheck: { command: ["sh", "-c", "echo checked with $$PG"], interval: 1s, startInterval: 100ms }
      verify: { command: ["sh", "-c", "echo s3 key $$S3; printf %s \\"$$S3\\" | base64"] }
`;
/** The same service, failing its health check after printing the secrets: the error's log tail. */
const FAILING_APP = APP.replace(
  'healthCheck: { command: ["sh", "-c", "echo checked with $$PG"], interval: 1s, startInterval: 100ms }',
  // A function, so that `$$` stays as it is (in a replacement string it would be one `$`).
  () => `restart: "no"
      healthCheck: { command: ["sh", "-c", "echo checked with $$PG; printf %s \\"$$S3\\" | base64; exit 1"], interval: 1s, retries: 2 }`,
);

function stackFile(app: string): string {
  return `apiVersion: deloc.dev/v1
kind: Stack
metadata: { name: ${STACK} }
spec:
  profile: minimal
  services:
    postgres: {}
    minio: {}
    jupyter: {}
${app}`;
}

const inStack = delocIn(() => dir);
const inFull = delocIn(() => fullDir);

/** Every run, for the coverage check at the end. */
interface Ran {
  command: string;
  args: string[];
  shown: boolean;
}
const ran: Ran[] = [];

/** The secrets of both stacks, by name, read from their `.deloc/secrets.env`. */
function secrets(): Map<string, string> {
  const out = new Map<string, string>();
  for (const d of [dir, fullDir]) {
    const file = path.join(d, ".deloc", "secrets.env");
    if (!fs.existsSync(file)) continue;
    for (const line of fs.readFileSync(file, "utf8").split("\n")) {
      const m = /^([A-Za-z0-9_.-]+)=(.+)$/.exec(line);
      if (m) out.set(`${path.basename(d)}:${m[1]}`, m[2]!);
    }
  }
  return out;
}

/** How a secret may appear in text: as it is, in base64 (a Kubernetes Secret), base64url, in a URL. */
function forms(value: string): [string, string][] {
  const b64 = Buffer.from(value).toString("base64");
  const all: [string, string][] = [
    ["value", value],
    ["base64", b64.replace(/=+$/, "")],
    ["base64url", Buffer.from(value).toString("base64url")],
    ["URL-encoded", encodeURIComponent(value)],
  ];
  return all.filter(([, text], i) => all.findIndex(([, t]) => t === text) === i);
}

/** Which secrets `text` shows, and in which form: `stack:postgres-password (base64)`. */
function found(text: string): string[] {
  const hits: string[] = [];
  for (const [name, value] of secrets()) {
    assert.ok(value.length >= 16, `${name} is a generated secret`);
    for (const [form, t] of forms(value)) if (text.includes(t)) hits.push(`${name} (${form})`);
  }
  return hits;
}

/** `deloc` and the command-table entry it runs, e.g. `export k8s` for `export k8s -o -`. */
function commandOf(args: readonly string[]): string {
  const def = COMMANDS.find((c) => c.name === args[0] || c.aliases?.includes(args[0] ?? ""));
  if (!def) return args[0] ?? "";
  const sub = def.subcommands?.find((s) => s.name === args[1]);
  return sub ? `${def.name} ${sub.name}` : def.name;
}

/** Whether the command-table entry `command` (e.g. `export k8s`) takes `--show-secrets`. */
function showsSecrets(command: string): boolean {
  const [name, sub] = command.split(" ");
  const def = COMMANDS.find((c) => c.name === name);
  const entry = sub ? def?.subcommands?.find((s) => s.name === sub) : def;
  return entry?.options.some((o) => o.flags.includes("--show-secrets")) ?? false;
}

/** Leaks of the current test, reported together at its end so one run lists them all. */
let leaks: string[] = [];

/**
 * Runs `deloc ARGS`, records it, and notes any secret in what it printed. `expect` is the exit
 * code it must end with (default 0).
 */
function run(where: typeof inStack, args: string[], expect: number | null = 0): Run {
  const r = where.deloc(...args);
  ran.push({ command: commandOf(args), args, shown: false });
  assert.equal(r.code, expect, `deloc ${args.join(" ")} exited ${r.code}:\n${r.err}\n${r.out}`);
  for (const hit of found(r.out + r.err)) leaks.push(`deloc ${args.join(" ")}: ${hit}`);
  return r;
}

/** Runs `deloc ARGS --show-secrets`, which must show them: the search is proven to find them. */
function runShowing(where: typeof inStack, args: string[], want: RegExp): Run {
  const r = where.deloc(...args, "--show-secrets");
  ran.push({ command: commandOf(args), args: [...args, "--show-secrets"], shown: true });
  assert.equal(r.code, 0, `deloc ${args.join(" ")} --show-secrets exited ${r.code}:\n${r.err}\n${r.out}`);
  const hits = found(r.out + r.err);
  assert.ok(
    hits.some((h) => want.test(h)),
    `deloc ${args.join(" ")} --show-secrets shows no ${want}; it showed ${hits.join(", ") || "none"}:\n${r.out}`,
  );
  return r;
}

/** A file DELoc wrote must not hold a secret (or must, when `holds`). */
function file(name: string, holds?: RegExp): void {
  const text = fs.readFileSync(name, "utf8");
  const hits = found(text);
  if (holds)
    assert.ok(
      hits.some((h) => holds.test(h)),
      `${name} holds no ${holds}: ${hits.join(", ")}`,
    );
  else for (const hit of hits) leaks.push(`${path.relative(root, name)}: ${hit}`);
}

function assertNoLeaks(): void {
  const these = leaks;
  leaks = [];
  assert.deepEqual(these, [], `secrets printed:\n${these.join("\n")}`);
}

describe("no command prints a secret unless --show-secrets (real engine, built CLI)", () => {
  before(() => {
    inStack.deloc("cleanup", "--yes", "--stack", STACK);
    fs.writeFileSync(path.join(dir, "deloc.yaml"), stackFile(APP));
  });
  beforeEach(() => {
    leaks = [];
  });
  after(() => {
    inStack.deloc("cleanup", "--yes", "--stack", STACK);
    inFull.deloc("cleanup", "--yes", "--stack", FULL);
    fs.rmSync(root, { recursive: true, force: true });
  });

  test("the full recipe's secrets (airflow's Fernet key and JWT secret too): init, plan, every export", () => {
    run(inFull, ["init", "--recipe", "full", "--profile", "minimal", "--name", FULL]);
    // Files first: they make the stack's secrets, and they must hold them where they belong.
    run(inFull, ["export", "compose", "-o", "compose.yaml"]);
    assert.equal(fs.statSync(path.join(fullDir, ".env")).mode & 0o777, 0o600);
    file(path.join(fullDir, ".env"), /full:airflow-fernet-key \(value\)/);
    file(path.join(fullDir, "compose.yaml"));
    run(inFull, ["export", "k8s", "-o", "k8s.yaml", "-n", "data"]);
    assert.equal(fs.statSync(path.join(fullDir, "k8s.yaml")).mode & 0o777, 0o600);
    file(path.join(fullDir, "k8s.yaml"), /full:airflow-jwt-secret \(base64\)/);
    run(inFull, ["export", "helm", "-o", "chart"]);
    for (const f of fs.readdirSync(path.join(fullDir, "chart"), { recursive: true }))
      if (fs.statSync(path.join(fullDir, "chart", String(f))).isFile())
        file(path.join(fullDir, "chart", String(f)));
    assert.ok(found(fs.readFileSync(path.join(fullDir, ".deloc", "secrets.env"), "utf8")).length >= 5);

    // To stdout: never the secrets.
    run(inFull, ["plan"]);
    run(inFull, ["plan", "--json"]);
    run(inFull, ["export", "compose", "-o", "-"]);
    const printed = run(inFull, ["export", "k8s"]).out;
    assert.match(
      printed,
      /kubectl create secret generic \S+ --namespace default --from-env-file=\.deloc\/secrets\.env/,
    );
    run(inFull, ["export", "k8s", "-o", "-", "-n", "data"]);
    if (showsSecrets("export k8s"))
      runShowing(inFull, ["export", "k8s"], /full:postgres-password \(base64\)/);
    run(inFull, ["events"]);
    run(inFull, ["events", "--json"]);
    assertNoLeaks();
  });

  test("commands that need no stack: help, version, catalog, resources, completion", () => {
    run(inStack, ["--version"]);
    run(inStack, ["help"]);
    for (const c of COMMANDS.filter((c) => !c.hidden)) run(inStack, ["help", c.name]);
    run(inStack, ["catalog"]);
    run(inStack, ["catalog", "--json"]);
    for (const s of ["postgres", "minio", "jupyter", "airflow"]) {
      run(inStack, ["catalog", "show", s]);
      run(inStack, ["catalog", "show", s, "--json"]);
    }
    run(inStack, ["resources"]);
    run(inStack, ["resources", "--json"]);
    for (const shell of ["bash", "zsh", "fish"]) run(inStack, ["completion", shell]);
    run(inStack, ["__complete", "logs", ""]);
    assertNoLeaks();
  });

  test("deploy once; up again, in text and --json, and --dry-run; --show-secrets shows them", () => {
    run(inStack, ["plan"]);
    run(inStack, ["plan", "--json"]);
    run(inStack, ["up"]);
    run(inStack, ["up", "--json"]);
    run(inStack, ["deploy", "--dry-run"]);
    run(inStack, ["up", "--dry-run", "--json"]);
    runShowing(inStack, ["up"], /stack:postgres-password \(value\)/);
    assertNoLeaks();
  });

  test("every read command, in text and --json; --show-secrets shows them", () => {
    for (const args of [
      ["status"],
      ["status", "--json"],
      ["status", "--stack", STACK],
      ["status", "--stack", STACK, "--json"],
      ["health"],
      ["health", "--json"],
      ["health", "app", "--json"],
      ["events"],
      ["events", "--json"],
      ["events", "--service", "app", "--last", "5"],
      ["verify"],
      ["verify", "--json"],
      ["plan"],
      ["plan", "--json"],
      ["export", "compose", "-o", "-"],
      ["export", "k8s"],
      ["export", "k8s", "-o", "-"],
      ["metrics"],
      ["metrics", "--json"],
      ["plugins"],
      ["plugins", "--json"],
      // exec prints what the command prints (no secret here); watch has nothing built to follow.
      ["exec", "app", "--", "echo", "hello"],
    ])
      run(inStack, args);
    run(inStack, ["watch"], 2);
    for (const s of ["app", "postgres", "minio", "jupyter"]) {
      run(inStack, ["logs", s]);
      run(inStack, ["logs", s, "--tail", "20"]);
    }
    runShowing(inStack, ["status"], /stack:postgres-password \(value\)/);
    runShowing(inStack, ["status", "--json"], /stack:jupyter-token \(value\)/);
    // What the app's log holds, unmasked, is what `logs` had to hide.
    assert.match(inStack.ok("logs", "app"), /pg=\*+ s3=\*+ token=\*+/);
    assertNoLeaks();
  });

  test("the dashboard (deloc ui): what it prints, its page, state, metrics and the app's log tail", async () => {
    const args = ["ui", "--no-open"];
    const child = spawn(process.execPath, [CLI, ...args], { cwd: dir, stdio: ["ignore", "pipe", "pipe"] });
    ran.push({ command: "ui", args, shown: false });
    let printed = "";
    child.stdout.on("data", (c) => {
      printed += String(c);
    });
    child.stderr.on("data", (c) => {
      printed += String(c);
    });
    try {
      while (!printed.includes("\n")) await new Promise((r) => setTimeout(r, 100));
      const url = new URL(printed.split("\n")[0]!);
      const get = async (p: string) =>
        (
          await fetch(
            new URL(`${p}${p.includes("?") ? "&" : "?"}token=${url.searchParams.get("token")}`, url),
          )
        ).text();
      for (const p of ["/", "/app.js", "/api/state", "/metrics"])
        for (const hit of found(await get(p))) leaks.push(`deloc ui ${p}: ${hit}`);
      // The log tail streams for a while; what it sent is searched.
      const stop = new AbortController();
      setTimeout(() => stop.abort(), 2000);
      let tail = "";
      const res = await fetch(new URL(`/api/logs?service=app&token=${url.searchParams.get("token")}`, url), {
        signal: stop.signal,
      });
      try {
        for await (const chunk of res.body!) tail += Buffer.from(chunk).toString();
      } catch {
        // aborted after two seconds
      }
      assert.match(tail, /pg=\*+ s3=\*+ token=\*+/, "the log tail came, masked");
      for (const hit of found(tail)) leaks.push(`deloc ui /api/logs: ${hit}`);
    } finally {
      child.kill("SIGINT");
    }
    for (const hit of found(printed)) leaks.push(`deloc ui: ${hit}`);
    assertNoLeaks();
  });

  test("every changing command: export files, backup, restore, scale, restart, stop, up again", () => {
    run(inStack, ["export", "compose"]);
    file(path.join(dir, "compose.yaml"));
    file(path.join(dir, ".env"), /stack:minio-root-password \(value\)/);
    // Importing the exported file back reads the secrets from .env: none is printed.
    run(inStack, ["import", "compose", "compose.yaml", "-o", "imported.yaml"]);
    run(inStack, ["export", "helm"]);
    run(inStack, ["export", "k8s", "-o", "k8s.yaml"]);
    file(path.join(dir, "k8s.yaml"), /stack:postgres-password \(base64\)/);
    const dump = path.join(root, "postgres.tar.gz");
    run(inStack, ["backup", "postgres", "-o", dump]);
    run(inStack, ["backup", "postgres", "-o", path.join(root, "postgres-2.tar.gz"), "--json"]);
    run(inStack, ["restore", "--yes", "postgres", dump]);
    run(inStack, ["scale", "app", "2"]);
    run(inStack, ["logs", "app"]);
    run(inStack, ["status"]);
    run(inStack, ["scale", "app", "1"]);
    run(inStack, ["restart", "app"]);
    run(inStack, ["stop", "app"]);
    run(inStack, ["status", "--json"]);
    run(inStack, ["up"]);
    assertNoLeaks();
  });

  test("errors: a deploy that fails its health check after printing the secrets, an unknown service", () => {
    fs.writeFileSync(path.join(dir, "deloc.yaml"), stackFile(FAILING_APP));
    const failed = run(inStack, ["up"], 5);
    assert.match(failed.err, /checked with \*+/, "the health check's output is shown, masked");
    run(inStack, ["up", "--json"], 5);
    fs.writeFileSync(path.join(dir, "deloc.yaml"), stackFile(APP));
    run(inStack, ["logs", "nosuch"], 2);
    run(inStack, ["catalog", "show", "nosuch"], 2);
    run(inStack, ["scale", "postgres", "2"], 2);
    run(inStack, ["events"]);
    run(inStack, ["events", "--json"]);
    assertNoLeaks();
  });

  test("the state DELoc keeps (.deloc/ but secrets.env) holds no secret", () => {
    for (const d of [dir, fullDir])
      for (const f of fs.readdirSync(path.join(d, ".deloc")))
        if (f !== "secrets.env" && fs.statSync(path.join(d, ".deloc", f)).isFile())
          file(path.join(d, ".deloc", f));
    assertNoLeaks();
  });

  test("teardown: stop, down, down --volumes, cleanup", () => {
    run(inStack, ["stop"]);
    run(inStack, ["down"]);
    run(inStack, ["status"]);
    run(inStack, ["down", "--volumes", "--yes", "--stack", STACK]);
    run(inStack, ["cleanup", "--yes"]);
    run(inFull, ["cleanup", "--yes"]);
    assertNoLeaks();
  });

  test("every command of the command table ran; read ones with --json; --show-secrets ones showing them", () => {
    const missing: string[] = [];
    const walk = (defs: CommandDef[], parent: string) => {
      for (const def of defs) {
        const name = parent ? `${parent} ${def.name}` : def.name;
        if (def.subcommands?.length) walk(def.subcommands, name);
        if (!def.load) continue;
        const runs = ran.filter((r) => r.command === name);
        if (runs.length === 0) missing.push(name);
        if (def.json && !runs.some((r) => r.args.includes("--json"))) missing.push(`${name} --json`);
        if (showsSecrets(name) && !runs.some((r) => r.shown)) missing.push(`${name} --show-secrets`);
      }
    };
    walk(COMMANDS, "");
    assert.deepEqual(missing, []);
  });
});
