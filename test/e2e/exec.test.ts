/**
 * `deloc exec` and the catalog's shortcuts, on the real engine through the built CLI: plain
 * streams without a terminal (stdin fed, stdout and stderr apart, the command's exit code as
 * DELoc's), a real terminal on a pseudo-terminal (a TTY inside, keys typed), and `deloc psql` both
 * ways: `echo 'select …' | deloc psql` and an interactive session.
 */
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { after, before, describe, test } from "node:test";
import { CLI } from "../support/cli.js";
import { faultProject, service } from "../support/faults.js";
import { delocInPty } from "../support/pty.js";

const STACK = "deloc-e2e-exec";
const project = faultProject(STACK);

const SERVICES = `${service("app")}    postgres:
      ports: ["55433:5432"]
      resources: { memory: 128Mi }
`;

/** The built CLI with `input` on its stdin and no terminal. */
function piped(input: string, ...args: string[]) {
  const r = spawnSync(process.execPath, [CLI, ...args], {
    cwd: project.dir,
    input,
    encoding: "utf8",
    env: { ...process.env, CI: "1" },
  });
  return { code: r.status, out: r.stdout, err: r.stderr };
}

describe("exec and shortcuts (real engine, real terminal)", () => {
  before(() => {
    project.deloc("cleanup", "--yes", "--stack", STACK);
    project.write(SERVICES);
    project.ok("up");
  });
  after(() => project.dispose());

  test("without a terminal: stdout and stderr apart, stdin fed, the command's exit code is DELoc's", () => {
    const r = project.deloc("exec", "app", "--", "sh", "-c", "echo out; echo err >&2; exit 3");
    assert.equal(r.code, 3, r.err);
    assert.equal(r.out, "out\n");
    assert.equal(r.err, "err\n");
    const cat = piped("hello\nworld\n", "exec", "app", "--", "sh", "-c", "tr a-z A-Z; tty || true");
    assert.equal(cat.code, 0, cat.err);
    assert.equal(cat.out, "HELLO\nWORLD\nnot a tty\n");
    // Options after the service belong to the command, without `--` too.
    assert.equal(project.ok("exec", "app", "ls", "-d", "/tmp"), "/tmp\n");
  });

  test("echo 'select …' | deloc psql runs the SQL as the stack's user on its database", () => {
    const r = piped("select 41 + 1;\nselect current_user, current_database();\n", "psql", "-tA");
    assert.equal(r.code, 0, r.err);
    assert.equal(r.out, "42\ndeloc|deloc\n");
    const bad = piped("select nope;\n", "psql", "-v", "ON_ERROR_STOP=1");
    assert.equal(bad.code, 3, "psql's own exit code");
    assert.match(bad.err, /column "nope" does not exist/);
  });

  test("on a terminal: a TTY inside, keys typed reach the shell, its exit code comes back", async () => {
    const r = await delocInPty(
      project.dir,
      ["exec", "app"],
      [{ when: /[#$] $/m, send: "tty; stty size; exit 5\r" }],
    );
    assert.equal(r.code, 5, r.output);
    assert.match(r.output, /\/dev\/pts\/\d+/);
    // The terminal's size reached the container's (script's own has none: DELoc's default, 24 × 80).
    assert.match(r.output, /^24 80\r?$/m);
  });

  test("deloc psql on a terminal is an interactive session", async () => {
    const r = await delocInPty(
      project.dir,
      ["psql"],
      [
        { when: /deloc=# /, send: "select 6 * 7 as answer;\r" },
        { when: /\b42\b[\s\S]*deloc=# /, send: "\\q\r" },
      ],
    );
    assert.equal(r.code, 0, r.output);
    assert.match(r.output, /answer/);
  });

  test("what cannot run says why: unknown service (2), not running (7), no service with the shortcut (2)", () => {
    const unknown = project.deloc("exec", "nope", "--", "true");
    assert.equal(unknown.code, 2, unknown.err);
    assert.match(unknown.err, /No service "nope".*\n.*app, postgres/);
    const redis = project.deloc("redis-cli", "ping");
    assert.equal(redis.code, 2, redis.err);
    assert.match(redis.err, /runs in a redis service, and stack deloc-e2e-exec has none/);
    project.ok("stop", "app");
    const stopped = project.deloc("exec", "app", "--", "true");
    assert.equal(stopped.code, 7, stopped.err);
    assert.match(stopped.err, /app has no running container/);
  });

  test("catalog show lists a template's shortcuts", () => {
    assert.match(
      project.ok("catalog", "show", "postgres"),
      /shortcuts:\n\s+deloc psql\s+psql on the stack's database/,
    );
    const kafka = JSON.parse(project.ok("catalog", "show", "kafka", "--json")) as {
      shortcuts: Record<string, { command: string[] }>;
    };
    assert.ok(kafka.shortcuts["kafka-topics"]?.command.join(" ").includes("/opt/kafka/bin/kafka-topics.sh"));
  });
});
