/**
 * For the fault-injection suite: a stack project in a folder of the test's, the built CLI run in
 * the background (to hit it while it works), and what the engine holds of a stack, to compare
 * before and after a fault.
 */
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import type { Adapter } from "../../src/adapters/adapter.js";
import { CLI, delocIn } from "./cli.js";

/** A process that idles and stops at once on SIGTERM (a bare `sleep` as PID 1 would wait out the stop timeout). */
export const IDLE = '["sh", "-c", "trap \'exit 0\' TERM; while :; do sleep 1 & wait $!; done"]';

/**
 * One service of a test stack as stack-file lines: the base image, idling, in 32 MiB, unless
 * `fields` (stack-file lines, not indented) say otherwise.
 */
export function service(name: string, fields = ""): string {
  const lines = fields.split("\n").filter(Boolean);
  const has = (key: string) => lines.some((l) => l.startsWith(`${key}:`));
  return `${[
    `    ${name}:`,
    '      image: "deloc/debian:trixie"',
    ...(has("command") ? [] : [`      command: ${IDLE}`]),
    ...(has("resources") ? [] : ["      resources: { memory: 32Mi, cpu: 100m }"]),
    ...lines.map((l) => `      ${l}`),
  ].join("\n")}\n`;
}

/** Stack-file lines of a service that gets healthy `seconds` after it starts. */
export function readyAfter(seconds: number): string {
  return `command: ["sh", "-c", "sleep ${seconds}; touch /tmp/ready; trap 'exit 0' TERM; while :; do sleep 1 & wait $!; done"]
healthCheck: { command: ["test", "-f", "/tmp/ready"], interval: 1s, startInterval: 100ms, retries: 30 }`;
}

export function stackYaml(stack: string, services: string): string {
  return `apiVersion: deloc.dev/v1\nkind: Stack\nmetadata: { name: ${stack} }\nspec:\n  services:\n${services}`;
}

export interface FaultProject {
  dir: string;
  write(services: string): void;
  deloc: ReturnType<typeof delocIn>["deloc"];
  ok: ReturnType<typeof delocIn>["ok"];
  /** Starts `deloc ARGS` in the background. */
  start(...args: string[]): Running;
  /** The same, with more environment variables (DOCKER_HOST…). */
  startWith(env: Record<string, string>, ...args: string[]): Running;
  /** Removes what the stack has on the engine, and the folder. */
  dispose(): void;
}

export function faultProject(stack: string, env: Record<string, string> = {}): FaultProject {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), `${stack}-`));
  const { deloc, ok } = delocIn(() => dir, env);
  return {
    dir,
    write: (services) => fs.writeFileSync(path.join(dir, "deloc.yaml"), stackYaml(stack, services)),
    deloc,
    ok,
    start: (...args) => running(dir, args, env),
    startWith: (more, ...args) => running(dir, args, { ...env, ...more }),
    dispose: () => {
      deloc("cleanup", "--yes", "--stack", stack);
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
}

export interface Running {
  pid: number;
  exited: Promise<number | null>;
  stderr(): string;
  stdout(): string;
  /** Resolves once stderr matches; fails the test (with what was printed) after `ms`. */
  waitFor(re: RegExp, ms?: number): Promise<void>;
  kill(signal: NodeJS.Signals): void;
}

function running(dir: string, args: string[], env: Record<string, string>): Running {
  const child = spawn(process.execPath, [CLI, ...args], {
    cwd: dir,
    env: { ...process.env, CI: "1", ...env },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let err = "";
  let out = "";
  child.stderr.on("data", (b: Buffer) => {
    err += b.toString();
  });
  child.stdout.on("data", (b: Buffer) => {
    out += b.toString();
  });
  const exited = new Promise<number | null>((resolve) => child.on("close", (code) => resolve(code)));
  return {
    pid: child.pid!,
    exited,
    stderr: () => err,
    stdout: () => out,
    async waitFor(re, ms = 60_000) {
      const until = Date.now() + ms;
      while (!re.test(err)) {
        if (Date.now() > until || child.exitCode !== null)
          assert.fail(`deloc ${args.join(" ")}: no ${re} on stderr; it printed:\n${err}\n${out}`);
        await new Promise((r) => setTimeout(r, 50));
      }
    },
    kill: (signal) => child.kill(signal),
  };
}

export interface EngineSnapshot {
  /** `name id state`, by name. */
  containers: string[];
  volumes: string[];
  networks: string[];
}

/** What the engine holds of a stack, in a form to compare with deepEqual. */
export async function snapshot(engine: Adapter, stack: string): Promise<EngineSnapshot> {
  const o = await engine.observe(stack);
  return {
    containers: o.containers.map((c) => `${c.name} ${c.id.slice(0, 12)} ${c.state}`).sort(),
    volumes: o.volumes,
    networks: o.networks,
  };
}

/** The output of a command run in a service's first container. */
export async function execIn(engine: Adapter, stack: string, service: string, argv: string[]) {
  const c = (await engine.observe(stack)).containers.find((x) => x.service === service);
  assert.ok(c, `${service} of ${stack} is not on the engine`);
  return engine.exec(c.id, argv);
}

/** Data a test puts in keeper's volume (at /data) before a fault, to find again after it. */
export async function writeMarker(engine: Adapter, stack: string): Promise<void> {
  const r = await execIn(engine, stack, "keeper", ["sh", "-c", "echo precious > /data/marker"]);
  assert.equal(r.exitCode, 0, r.output);
}

export async function assertMarker(engine: Adapter, stack: string): Promise<void> {
  const r = await execIn(engine, stack, "keeper", ["cat", "/data/marker"]);
  assert.equal(r.output, "precious\n", "the data in keeper's volume is intact");
}

/** A JSON file DELoc wrote. */
export function readJson<T>(file: string): T {
  return JSON.parse(fs.readFileSync(file, "utf8")) as T;
}
