/**
 * Secrets stay secret, on the real engine through the built CLI: the generated value never appears
 * in what DELoc prints (up, status, plan, events, logs, errors and their log tails, `--json` or
 * not), nor in the event log or the Compose export; it is only in `.deloc/secrets.env` (0600,
 * folder 0700) and in the container. And user strings are argv, never a shell's input.
 */
import assert from "node:assert/strict";
import fs from "node:fs";
import path from "node:path";
import { after, before, describe, test } from "node:test";
import type { Adapter } from "../../src/adapters/adapter.js";
import { dockerAdapter } from "../support/engine.js";
import { execIn, faultProject, service } from "../support/faults.js";

const STACK = "deloc-e2e-secrets";
const project = faultProject(STACK);
let engine: Adapter;
let token = "";

/** A health check whose arguments look like shell code: they must reach `test` as they are. */
const SERVICE = service(
  "app",
  `env: { TOKEN: "{{secret.app-token}}", URL: "https://user:{{secret.app-token}}@example.com" }
healthCheck: { command: ["test", "!", "-e", "/tmp/x; touch /tmp/pwned $(touch /tmp/pwned2)"], interval: 1s, startInterval: 100ms }`,
);
const LEAKY = service(
  "app",
  `command: ["sh", "-c", "echo token is $$TOKEN; exit 1"]
restart: "no"
env: { TOKEN: "{{secret.app-token}}" }
healthCheck: { command: ["sh", "-c", "echo checked with $$TOKEN; exit 1"], interval: 1s, retries: 2 }`,
);

function assertHidden(where: string, text: string): void {
  assert.ok(token.length >= 16, "the generated token");
  assert.ok(!text.includes(token), `${where} shows the secret:\n${text}`);
}

describe("secrets never shown, user strings never a shell's (real engine)", () => {
  before(async () => {
    engine = await dockerAdapter();
    project.deloc("cleanup", "--yes", "--stack", STACK);
    project.write(SERVICE);
  });
  after(() => {
    project.dispose();
  });

  test("generated into .deloc/secrets.env (0600, folder 0700); in the container, and nowhere printed", async () => {
    const up = project.deloc("up");
    assert.equal(up.code, 0, up.err);
    const file = path.join(project.dir, ".deloc", "secrets.env");
    token = /^app-token=(.+)$/m.exec(fs.readFileSync(file, "utf8"))?.[1] ?? "";
    assert.equal(fs.statSync(file).mode & 0o777, 0o600);
    assert.equal(fs.statSync(path.dirname(file)).mode & 0o777, 0o700);
    assert.equal((await execIn(engine, STACK, "app", ["printenv", "TOKEN"])).output, `${token}\n`);

    assertHidden("up", up.out + up.err);
    assertHidden("up --json", project.ok("up", "--json"));
    for (const args of [
      ["status"],
      ["status", "--json"],
      ["plan"],
      ["plan", "--json"],
      ["events", "--json"],
      ["logs", "app"],
      ["export", "compose", "-o", "-"],
    ])
      assertHidden(args.join(" "), project.ok(...args));
    assertHidden("events.ndjson", fs.readFileSync(path.join(project.dir, ".deloc", "events.ndjson"), "utf8"));
  });

  test("a failing deploy that prints the secret in its logs and health output shows it masked", () => {
    project.write(LEAKY);
    for (const args of [["up"], ["up", "--json"]]) {
      const r = project.deloc(...args);
      assert.equal(r.code, 5, r.err);
      assertHidden(args.join(" "), r.out + r.err);
      assert.match(r.out + r.err, /token is \*+/, "the log line is shown, masked");
    }
    assertHidden("events.ndjson", fs.readFileSync(path.join(project.dir, ".deloc", "events.ndjson"), "utf8"));
  });

  test("health-check arguments that look like shell code reach the command as they are", async () => {
    project.write(SERVICE);
    project.ok("up");
    assert.ok(!fs.existsSync("/tmp/pwned") && !fs.existsSync("/tmp/pwned2"), "nothing ran on the host");
    const inside = await execIn(engine, STACK, "app", ["sh", "-c", "ls /tmp/pwned /tmp/pwned2 2>&1 || true"]);
    assert.match(inside.output, /No such file/);
    assert.doesNotMatch(inside.output, /^\/tmp\/pwned$/m);
  });
});
