/**
 * Plugins through the built CLI, with no engine needed: a plugin named in the user config provides
 * the `docker` target and `plan` sizes from its engine; a plugin that cannot be used stops every
 * command that would use it with exit 9 and what to do; `deloc plugins` lists DELoc's own.
 */
import assert from "node:assert/strict";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { after, describe, test } from "node:test";
import { delocIn } from "../support/cli.js";
import { writePluginPackage } from "../support/plugin-package.js";

const FIXTURES = path.resolve(import.meta.dirname, "../fixtures/plugins");
const STACK = "apiVersion: deloc.dev/v1\nkind: Stack\nmetadata: { name: deloc-e2e-plugins-cli }\nspec:\n";

const dir = fs.mkdtempSync(path.join(os.tmpdir(), "deloc-e2e-plugins-cli-"));
/** The user config's base folder: the user config is `xdg/deloc/config.yaml`. */
const xdg = path.join(dir, "xdg");
const { deloc, ok } = delocIn(() => dir, { XDG_CONFIG_HOME: xdg });

function writeStack(spec: string): void {
  fs.writeFileSync(path.join(dir, "deloc.yaml"), `${STACK}${spec}`);
}

/** Installs a test plugin into the user config's folder and names it there. */
function installForUser(name: string): void {
  const config = path.join(xdg, "deloc");
  fs.cpSync(path.join(FIXTURES, name), path.join(config, "node_modules", name), { recursive: true });
  fs.writeFileSync(path.join(config, "config.yaml"), `plugins: [${name}]\n`);
}

describe("plugins (built CLI, no engine)", () => {
  after(() => fs.rmSync(dir, { recursive: true, force: true }));

  test("deloc plugins must list DELoc's own adapters as plugins of API 1", () => {
    writeStack("  services:\n    redis: {}\n");
    const r = JSON.parse(ok("plugins", "--json")) as {
      apiVersion: number;
      userConfig: string;
      plugins: { name: string; origin: string; apiVersion: number; targets: string[] }[];
    };
    assert.equal(r.apiVersion, 1);
    assert.equal(r.userConfig, path.join(xdg, "deloc", "config.yaml"));
    assert.deepEqual(
      r.plugins.map((p) => [p.name, p.origin, p.apiVersion, p.targets.join(",")]),
      [
        ["deloc:docker", "builtin", 1, "docker"],
        ["deloc:podman", "builtin", 1, "podman"],
        ["deloc:kubernetes", "builtin", 1, "kubernetes"],
        ["deloc:dry-run", "builtin", 1, "dry-run"],
      ],
    );
    assert.match(ok("plugins"), /No plugin is named by the stack file/);
  });

  test("a plugin named in the user config must provide the docker target that plan sizes from", () => {
    installForUser("deloc-plugin-small-engine");
    const plan = JSON.parse(ok("plan", "--json")) as { budget: { cpus: number; memoryBytes: number } };
    // The plugin's engine has 3 GiB and one CPU; this machine has more of both.
    assert.equal(plan.budget.cpus, 1);
    assert.ok(plan.budget.memoryBytes < 3 * 1024 ** 3, String(plan.budget.memoryBytes));
    const listed = JSON.parse(ok("plugins", "--json")) as {
      plugins: { name: string; origin: string; from: string }[];
    };
    assert.deepEqual(listed.plugins.at(-1), {
      ...listed.plugins.at(-1),
      name: "deloc-plugin-small-engine",
      origin: "user",
      from: path.join(xdg, "deloc", "node_modules", "deloc-plugin-small-engine"),
    });
    fs.rmSync(path.join(xdg, "deloc", "config.yaml"));
  });

  test("a plugin that is not installed must stop the command with exit 9, where DELoc looked and how to install it", () => {
    writeStack("  plugins: [deloc-plugin-absent]\n  services:\n    redis: {}\n");
    const r = deloc("plan");
    assert.equal(r.code, 9, r.err);
    assert.match(
      r.err,
      /Plugin deloc-plugin-absent \(named in deloc\.yaml \(spec\.plugins\)\) is not installed/,
    );
    assert.match(r.err, /npm install --save-dev deloc-plugin-absent/);
    const json = deloc("plugins", "--json");
    assert.equal(json.code, 9);
    assert.deepEqual((JSON.parse(json.out) as { error: { code: string; plugin: string } }).error, {
      ...(JSON.parse(json.out) as { error: object }).error,
      code: "E_PLUGIN",
      plugin: "deloc-plugin-absent",
    });
  });

  test("a plugin for another plugin API or DELoc version, or without the API's exports, must exit 9 naming it", () => {
    const cases: [string, string, RegExp][] = [
      [
        "deloc-plugin-v2",
        "export const apiVersion = 2; export const deloc = '*';",
        /is written for plugin API 2; this DELoc \(\S+\) speaks plugin API 1/,
      ],
      [
        "deloc-plugin-old",
        "export const apiVersion = 1; export const deloc = '<0.1.0';",
        /supports DELoc <0\.1\.0, not this DELoc/,
      ],
      ["deloc-plugin-none", "export const probes = {};", /does not export apiVersion or deloc/],
    ];
    for (const [name, text, message] of cases) {
      writePluginPackage(dir, name, { "index.js": text }, "1.0.0");
      writeStack(`  plugins: [${name}]\n  services:\n    redis: {}\n`);
      const r = deloc("plan");
      assert.equal(r.code, 9, `${name}: ${r.err}`);
      assert.match(r.err, new RegExp(`Plugin ${name} 1\\.0\\.0 `));
      assert.match(r.err, message);
    }
  });

  test("spec.plugins must be a list of names, with the stack file's line", () => {
    writeStack("  plugins: deloc-plugin-nats\n  services:\n    redis: {}\n");
    const r = deloc("plan");
    assert.equal(r.code, 2, r.err);
    assert.match(r.err, /deloc\.yaml:5:\d+ spec\.plugins: must be a list/);
  });
});
