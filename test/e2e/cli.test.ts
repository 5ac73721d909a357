/**
 * End to end: the built CLI (`node dist/deloc.js`) run as a user would, in a scratch folder.
 * `npm test` builds first.
 */
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { describe, it } from "node:test";

const ROOT = path.resolve(import.meta.dirname, "../..");
const BIN = path.join(ROOT, "dist/deloc.js");
const VERSION = JSON.parse(fs.readFileSync(path.join(ROOT, "package.json"), "utf8")).version as string;

function scratch(): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), "deloc-e2e-"));
}

function deloc(cwd: string, args: string[], env: Record<string, string> = {}, nodeArgs: string[] = []) {
  const r = spawnSync(process.execPath, [...nodeArgs, BIN, ...args], {
    cwd,
    encoding: "utf8",
    env: { PATH: process.env.PATH ?? "", HOME: process.env.HOME ?? "/root", ...env },
  });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

describe("deloc (built CLI)", () => {
  it("prints its version", () => {
    const r = deloc(scratch(), ["--version"]);
    assert.equal(r.code, 0);
    assert.equal(r.stdout, `${VERSION}\n`);
  });

  it("answers --version without loading the CLI or any library", () => {
    const log = path.join(scratch(), "loads.txt");
    const hook = ["--import", path.join(ROOT, "test/support/record-loads.mjs")];
    assert.equal(deloc(scratch(), ["--version"], { DELOC_LOAD_LOG: log }, hook).code, 0);
    const loaded = fs
      .readFileSync(log, "utf8")
      .split("\n")
      .filter((u) => u.startsWith("file:"));
    assert.deepEqual(
      loaded.filter((u) => !u.includes("/test/support/")),
      [`file://${BIN}`],
    );

    // The same probe sees the heavy modules when a command does need them.
    const log2 = path.join(scratch(), "loads.txt");
    assert.equal(deloc(scratch(), ["catalog"], { DELOC_LOAD_LOG: log2 }, hook).code, 0);
    const loaded2 = fs.readFileSync(log2, "utf8");
    assert.match(loaded2, /node_modules\/commander\//);
    assert.match(loaded2, /node_modules\/picocolors\//);
  });

  it("plans a plain stack file without loading dockerode or the yaml library's Document", () => {
    const dir = scratch();
    assert.equal(deloc(dir, ["init", "--recipe", "full", "--name", "light"]).code, 0);
    const log = path.join(scratch(), "loads.txt");
    const hook = ["--import", path.join(ROOT, "test/support/record-loads.mjs")];
    const r = deloc(dir, ["plan"], { DELOC_LOAD_LOG: log }, hook);
    assert.equal(r.code, 0, r.stderr);
    const loaded = fs.readFileSync(log, "utf8");
    assert.doesNotMatch(loaded, /node_modules\/(dockerode|yaml)\//);
  });

  it("init writes a stack file that plans, and refuses to overwrite it without --force", () => {
    const dir = scratch();
    const first = deloc(dir, ["init", "--recipe", "full", "--name", "lab"]);
    assert.equal(first.code, 0, first.stderr);
    const text = fs.readFileSync(path.join(dir, "deloc.yaml"), "utf8");
    assert.match(text, /^# deloc\.yaml/);
    assert.match(text, /name: lab/);
    assert.match(text, /airflow: \{\}/);

    const again = deloc(dir, ["init"]);
    assert.equal(again.code, 2);
    assert.match(
      again.stderr,
      /deloc\.yaml already exists; nothing was written\.\nPass --force to overwrite it\./,
    );
    assert.equal(fs.readFileSync(path.join(dir, "deloc.yaml"), "utf8"), text);
    assert.equal(deloc(dir, ["init", "--recipe", "streaming", "--force"]).code, 0);
    assert.match(fs.readFileSync(path.join(dir, "deloc.yaml"), "utf8"), /recipe/);
  });

  it("plan --json follows the documented contract", () => {
    const dir = scratch();
    deloc(dir, ["init", "--recipe", "full"]);
    const r = deloc(dir, ["plan", "--json", "--memory", "6g", "--profile", "minimal", "--cpus", "2"]);
    assert.equal(r.code, 0, r.stderr);
    const plan = JSON.parse(r.stdout);
    assert.equal(typeof plan.stack, "string");
    assert.equal(plan.budget.cpus, 2);
    assert.ok(plan.budget.memoryBytes < 6 * 1024 ** 3);
    assert.ok(Array.isArray(plan.phases) && plan.phases.every((p: unknown) => Array.isArray(p)));
    for (const s of plan.services) {
      for (const key of [
        "name",
        "image",
        "phase",
        "memoryBytes",
        "cpus",
        "jvmHeapBytes",
        "ports",
        "dependsOn",
        "replicas",
      ])
        assert.ok(key in s, `${s.name} lacks ${key}`);
      assert.ok(plan.phases[s.phase - 1].includes(s.name));
    }
    assert.ok(plan.totalMemoryBytes <= plan.budget.memoryBytes);
    assert.doesNotMatch(r.stdout, /"POSTGRES_PASSWORD": "(?!\{\{secret)/);
  });

  it("prints the plan table on stdout", () => {
    const dir = scratch();
    deloc(dir, ["init", "--recipe", "streaming"]);
    const r = deloc(dir, ["plan", "--memory", "16g"]);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /^SERVICE +IMAGE +PHASE +MEMORY +CPU +HEAP +PORTS +WAITS FOR$/m);
    assert.match(r.stdout, /^spark-worker +apache\/spark/m);
  });

  it("reports every stack-file error with its position and exits 2", () => {
    const dir = scratch();
    fs.writeFileSync(
      path.join(dir, "deloc.yaml"),
      "apiVersion: deloc.dev/v1\nkind: Stack\nmetadata: { name: s }\nspec:\n  profile: big\n  services:\n    kafak: {}\n",
    );
    const r = deloc(dir, ["plan"]);
    assert.equal(r.code, 2);
    assert.match(
      r.stderr,
      /deloc\.yaml:5:12 spec\.profile: must be one of minimal \| development \| production \(got "big"\)/,
    );
    assert.equal(r.stdout, "");
    const json = deloc(dir, ["plan", "--json"]);
    assert.equal(json.code, 2);
    assert.equal(JSON.parse(json.stdout).error.code, "E_CONFIG");
  });

  it("exits 3 with the shortfall and remedies when the stack cannot fit", () => {
    const dir = scratch();
    deloc(dir, ["init", "--recipe", "full"]);
    const r = deloc(dir, ["plan", "--memory", "3g"]);
    assert.equal(r.code, 3);
    assert.match(r.stderr, /Not enough memory for stack .*\(short by/);
    assert.match(r.stderr, /Either .*give the machine \(or the Docker VM\) at least/);
  });

  it("says how to start when there is no stack file", () => {
    const r = deloc(scratch(), ["plan"]);
    assert.equal(r.code, 2);
    assert.match(r.stderr, /No deloc\.yaml in .*\nRun `deloc init/);
  });

  it("shows the catalog and one service", () => {
    const list = deloc(scratch(), ["catalog"]);
    assert.equal(list.code, 0);
    assert.match(list.stdout, /^kafka +streaming +apache\/kafka:/m);
    const show = deloc(scratch(), ["catalog", "show", "kafka", "--json"]);
    assert.equal(JSON.parse(show.stdout).jvm.env, "KAFKA_HEAP_OPTS");
    const unknown = deloc(scratch(), ["catalog", "show", "postgress"]);
    assert.equal(unknown.code, 2);
    assert.match(unknown.stderr, /did you mean "postgres"\?/);
  });

  it("lists templates from the folders in DELOC_CATALOG_PATH, relative to the working folder", () => {
    const dir = scratch();
    fs.mkdirSync(path.join(dir, "templates"));
    const sizes = "{ memory: { min: 64Mi, preferred: 128Mi }, cpu: 250m }";
    fs.writeFileSync(
      path.join(dir, "templates", "mailpit.yaml"),
      `name: mailpit\ndescription: SMTP test server\nimage: axllent/mailpit:v1.27\nresources:\n  minimal: ${sizes}\n  development: ${sizes}\n  production: ${sizes}\n`,
    );
    const r = deloc(dir, ["catalog"], { DELOC_CATALOG_PATH: "templates" });
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /^mailpit +other +axllent\/mailpit:v1\.27/m);
  });

  it("shows resources with their sources", () => {
    const r = deloc(scratch(), ["resources", "--json", "--memory", "8g"]);
    assert.equal(r.code, 0, r.stderr);
    const out = JSON.parse(r.stdout);
    assert.equal(out.budget.hostMemoryBytes, 8 * 1024 ** 3);
    assert.ok(["cgroup v2", "cgroup v1", "/proc/meminfo"].includes(out.host.memoryBytes.source));
    assert.equal(out.host.disk.source, "statfs");
  });

  it("completes commands, options and service names", () => {
    const dir = scratch();
    assert.match(deloc(dir, ["completion", "bash"]).stdout, /complete -o default -F _deloc_complete deloc/);
    assert.match(deloc(dir, ["completion", "zsh"]).stdout, /compdef _deloc deloc/);
    assert.match(deloc(dir, ["completion", "fish"]).stdout, /complete -c deloc/);
    assert.equal(deloc(dir, ["completion", "tcsh"]).code, 2);
    assert.deepEqual(deloc(dir, ["__complete", "pl"]).stdout.trim().split("\n"), ["plan", "plugins"]);
    assert.deepEqual(deloc(dir, ["__complete", "plan", "--pro"]).stdout.trim().split("\n"), ["--profile"]);
    assert.deepEqual(deloc(dir, ["__complete", "plan", "--profile", "m"]).stdout.trim().split("\n"), [
      "minimal",
    ]);
    assert.deepEqual(deloc(dir, ["__complete", "catalog", "show", "spark"]).stdout.trim().split("\n"), [
      "spark-master",
      "spark-worker",
    ]);
  });

  it("rejects an unknown command with a suggestion and exit 2", () => {
    const r = deloc(scratch(), ["plna"]);
    assert.equal(r.code, 2);
    assert.match(r.stderr, /Did you mean plan\?/);
  });
});
