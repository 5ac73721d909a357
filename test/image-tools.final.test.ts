/**
 * Nothing DELoc runs inside a service's container may need a tool its upstream image lacks: a
 * look-alike more generous than upstream would let CI pass where a user's machine fails.
 *
 * Two sources, so the check cannot drift from the code: every command the catalog declares
 * (commands, entrypoints, health checks, backup and restore, of every template and variant), and
 * every command the engine actually ran during this test run (`DELOC_TRACE_COMMANDS`, set by
 * scripts/test.mjs; this file runs last). Each is checked against the ```tools block of the
 * CONTRACT.md of the image it ran in.
 */
import assert from "node:assert/strict";
import fs from "node:fs";
import { test } from "node:test";
import type { TracedCommand } from "../src/adapters/docker/command-trace.js";
import { hasTool, imageContracts, toolsOf, toolsOfCommand } from "./support/image-tools.js";
import { catalog } from "./support/stack.js";

const contracts = imageContracts();

function missing(commands: { image: string; argv: readonly string[]; where: string }[]): string[] {
  const out = new Set<string>();
  for (const c of commands) {
    const contract = contracts.get(c.image);
    if (!contract) continue; // not a look-alike of an upstream image (a test's own image)
    const run = c.where.endsWith("command") ? toolsOfCommand(contract, c.argv) : toolsOf(c.argv);
    for (const tool of run)
      if (!hasTool(contract, tool))
        out.add(`${c.where}: \`${tool}\` is not in ${c.image} (images/${contract.dir}/CONTRACT.md)`);
  }
  return [...out].sort();
}

test("image tools: every command the catalog declares runs with what the upstream image ships", () => {
  const commands: { image: string; argv: readonly string[]; where: string }[] = [];
  for (const t of catalog.templates.values()) {
    const at = (what: string, image: string, argv: readonly string[] | undefined) => {
      if (argv) commands.push({ image, argv, where: `${t.source} ${what}` });
    };
    at("command", t.image, t.entrypoint ?? t.command);
    at("healthCheck", t.image, t.healthCheck?.command);
    at("backup.dump", t.image, t.backup?.dump);
    at("backup.restore", t.image, t.backup?.restore);
    for (const [n, c] of Object.entries(t.shortcuts)) at(`shortcut ${n}`, t.image, c.command);
    for (const [name, v] of Object.entries(t.variants)) {
      const image = v.image ?? t.image;
      at(`variant ${name} command`, image, v.command ?? t.entrypoint ?? t.command);
      at(`variant ${name} healthCheck`, image, v.healthCheck?.command ?? t.healthCheck?.command);
      for (const [n, c] of Object.entries({ ...t.shortcuts, ...v.shortcuts }))
        at(`variant ${name} shortcut ${n}`, image, c.command);
    }
  }
  assert.ok(commands.length > 20, `only ${commands.length} commands found in the catalog`);
  assert.deepEqual(missing(commands), []);
});

test("image tools: every command run in a container during the tests was there upstream", (t) => {
  const file = process.env.DELOC_TRACE_COMMANDS;
  if (!file || !fs.existsSync(file)) {
    t.skip("no command trace (run through scripts/test.mjs)");
    return;
  }
  const traced = fs
    .readFileSync(file, "utf8")
    .split("\n")
    .filter(Boolean)
    .map((l) => JSON.parse(l) as TracedCommand);
  const inLookAlikes = traced.filter((c) => contracts.has(c.image));
  console.log(`${traced.length} traced commands, ${inLookAlikes.length} in look-alikes of upstream images`);
  assert.deepEqual(missing(traced.map((c) => ({ ...c, where: `ran by ${c.via}` }))), []);
});

test("image tools: a command reads as the programs it runs", () => {
  assert.deepEqual(toolsOf(["redis-cli", "-e", "ping"]), ["redis-cli"]);
  assert.deepEqual(toolsOf(["--appendonly", "yes"]), []);
  assert.deepEqual(
    toolsOf([
      "bash",
      "-c",
      "KAFKA_HEAP_OPTS=-Xmx64m /opt/kafka/bin/x.sh --b localhost:1 >/dev/null && find . | wc -l",
    ]),
    ["bash", "/opt/kafka/bin/x.sh", "find", "wc"],
  );
  assert.deepEqual(toolsOf(["/bin/sh", "-c", 'test "$(id -u)" = 0; exec gosu a b']), [
    "/bin/sh",
    "gosu",
    "id",
  ]);
  assert.deepEqual(toolsOf(["bash", "-c", "command -v find"]), ["bash"]);
  // Compound commands: the keywords are the shell's, the commands inside them are programs.
  assert.deepEqual(
    toolsOf(["sh", "-c", "trap 'exit 0' TERM; while true; do if wget -q x; then httpd -f; fi; done"]),
    ["sh", "wget", "httpd"],
  );
  // An entrypoint that puts its program first: minio's runs `minio server …` for `server …`.
  const minio = { dir: "minio", tag: "minio", tools: new Set(["minio", "sh"]), prepends: "minio" };
  assert.deepEqual(toolsOfCommand(minio, ["server", "/data"]), ["minio"]);
  assert.deepEqual(toolsOfCommand(minio, ["sh", "-c", "curl x"]), ["sh", "curl"]);
});
