/**
 * Loading plugins by package name, with real packages written to a folder's node_modules and
 * imported as DELoc imports them: each way a plugin can fail to fit is refused with a PluginError
 * (exit 9) that names the package and says what to do.
 */
import assert from "node:assert/strict";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { after, describe, it } from "node:test";
import { writePluginPackage } from "../../test/support/plugin-package.js";
import { BUILTIN_PLUGINS, loadBuiltin } from "../adapters/registry.js";
import { EXIT_CODES, PluginError } from "../core/index.js";
import { loadPlugins, PLUGIN_API_VERSION, type PluginRequest, readUserConfig } from "./index.js";

const root = fs.mkdtempSync(path.join(os.tmpdir(), "deloc-plugins-"));
after(() => fs.rmSync(root, { recursive: true, force: true }));

let n = 0;
/** A folder with one package in its node_modules: `index.js` is the module's text. */
function folderWith(name: string, index: string, extra: Record<string, string> = {}): string {
  const dir = path.join(root, `stack-${++n}`);
  writePluginPackage(dir, name, { "index.js": index, ...extra });
  return dir;
}

const request = (name: string): PluginRequest => ({
  name,
  origin: "stack",
  namedIn: "deloc.yaml (spec.plugins)",
});
const PROBE = `export const probes = { thing: { what: "a check", hint: "look", run: async () => "fine" } };`;

async function refusal(dir: string, name: string, delocVersion = "0.1.0"): Promise<PluginError> {
  try {
    await loadPlugins([request(name)], { searchDirs: [dir], delocVersion });
  } catch (e) {
    assert.ok(e instanceof PluginError, String(e));
    assert.equal(e.plugin, name);
    assert.equal(EXIT_CODES[e.code], 9);
    return e;
  }
  assert.fail(`${name} was loaded`);
}

describe("loading plugins by package name", () => {
  it("loads a plugin's templates and probes from the stack folder's node_modules", async () => {
    const dir = folderWith(
      "deloc-plugin-good",
      `export const apiVersion = 1;\nexport const deloc = ">=0.1.0 <1";\nexport const templates = [new URL("./templates/", import.meta.url)];\n${PROBE}`,
      { "templates/thing.yaml": "name: thing\n" },
    );
    const set = await loadPlugins([request("deloc-plugin-good")], {
      searchDirs: [dir],
      delocVersion: "0.1.0",
    });
    const [p] = set.plugins;
    assert.deepEqual(
      [p?.name, p?.version, p?.origin, p?.apiVersion, p?.from],
      ["deloc-plugin-good", "1.2.3", "stack", 1, path.join(dir, "node_modules", "deloc-plugin-good")],
    );
    assert.deepEqual(set.templateDirs, [path.join(dir, "node_modules", "deloc-plugin-good", "templates")]);
    assert.equal(await set.probes.get("thing")?.probe.run({} as never), "fine");
  });

  it("takes the plugin from its default export too (a CommonJS module's exports)", async () => {
    const dir = folderWith(
      "deloc-plugin-default",
      `export default { apiVersion: 1, deloc: "*", probes: { thing: { what: "w", hint: "h", run: async () => "ok" } } };`,
    );
    const set = await loadPlugins([request("deloc-plugin-default")], {
      searchDirs: [dir],
      delocVersion: "0.1.0",
    });
    assert.deepEqual([...set.probes.keys()], ["thing"]);
  });

  it("looks in the next folder (the user config's) when the stack's has no such package", async () => {
    const user = folderWith(
      "deloc-plugin-user",
      `export const apiVersion = 1; export const deloc = "*"; ${PROBE}`,
    );
    const empty = path.join(root, "empty");
    fs.mkdirSync(empty, { recursive: true });
    const set = await loadPlugins([request("deloc-plugin-user")], {
      searchDirs: [empty, user],
      delocVersion: "0.1.0",
    });
    assert.equal(set.plugins[0]?.from, path.join(user, "node_modules", "deloc-plugin-user"));
  });

  it("refuses a package that is not installed, saying where it looked and how to install it", async () => {
    const e = await refusal(path.join(root, "nowhere"), "deloc-plugin-missing");
    assert.match(
      e.message,
      /deloc-plugin-missing \(named in deloc\.yaml \(spec\.plugins\)\) is not installed/,
    );
    assert.match(e.message, /nowhere\/node_modules: not there/);
    assert.match(e.hint ?? "", /npm install --save-dev deloc-plugin-missing/);
    // Named in the user config: installed in its folder.
    const user = { name: "deloc-plugin-missing", origin: "user" as const, namedIn: "config.yaml (plugins)" };
    await assert.rejects(
      loadPlugins([user], {
        searchDirs: [path.join(root, "nowhere"), path.join(root, "config")],
        delocVersion: "0.1.0",
      }),
      (e: PluginError) => /npm install --prefix \S+\/config deloc-plugin-missing/.test(e.hint ?? ""),
    );
  });

  it("refuses a plugin written for another plugin API version", async () => {
    const dir = folderWith(
      "deloc-plugin-future",
      `export const apiVersion = 2; export const deloc = "*"; ${PROBE}`,
    );
    const e = await refusal(dir, "deloc-plugin-future");
    assert.match(
      e.message,
      /deloc-plugin-future 1\.2\.3 .* is written for plugin API 2; this DELoc \(0\.1\.0\) speaks plugin API 1/,
    );
    assert.match(e.hint ?? "", /made for plugin API 1/);
  });

  it("refuses a plugin that does not support this DELoc's version", async () => {
    const dir = folderWith(
      "deloc-plugin-later",
      `export const apiVersion = 1; export const deloc = ">=0.3.0"; ${PROBE}`,
    );
    const e = await refusal(dir, "deloc-plugin-later");
    assert.match(e.message, /supports DELoc >=0\.3\.0, not this DELoc \(0\.1\.0\)/);
    // The same plugin fits a DELoc in its range.
    await loadPlugins([request("deloc-plugin-later")], { searchDirs: [dir], delocVersion: "0.3.1" });
  });

  it("refuses a module that lacks the plugin API's exports", async () => {
    const dir = folderWith("deloc-plugin-bare", `export const templates = [];`);
    const e = await refusal(dir, "deloc-plugin-bare");
    assert.match(e.message, /does not export apiVersion or deloc: it is not a DELoc plugin/);
    assert.match(e.hint ?? "", new RegExp(`apiVersion = ${PLUGIN_API_VERSION}`));
  });

  it("refuses exports of the wrong shape, a range that is not one, and a plugin that provides nothing", async () => {
    const bad = folderWith(
      "deloc-plugin-shape",
      `export const apiVersion = 1; export const deloc = "*"; export const probes = { thing: { what: "w", hint: "h", run: "not a function" } };`,
    );
    assert.match(
      (await refusal(bad, "deloc-plugin-shape")).message,
      /probes\.thing\.run: must be a function/,
    );
    const range = folderWith(
      "deloc-plugin-range",
      `export const apiVersion = 1; export const deloc = "soon"; ${PROBE}`,
    );
    assert.match(
      (await refusal(range, "deloc-plugin-range")).message,
      /deloc = "soon", which is not a semver range/,
    );
    const empty = folderWith("deloc-plugin-empty", `export const apiVersion = 1; export const deloc = "*";`);
    assert.match((await refusal(empty, "deloc-plugin-empty")).message, /provides nothing/);
  });

  it("refuses a module that throws on import, and two plugins providing the same probe", async () => {
    const broken = folderWith("deloc-plugin-broken", `throw new Error("kaput");`);
    assert.match((await refusal(broken, "deloc-plugin-broken")).message, /could not be loaded: kaput/);
    const dir = folderWith(
      "deloc-plugin-a",
      `export const apiVersion = 1; export const deloc = "*"; ${PROBE}`,
    );
    writePluginPackage(dir, "deloc-plugin-b", {
      "index.js": `export const apiVersion = 1; export const deloc = "*"; ${PROBE}`,
    });
    await assert.rejects(
      loadPlugins([request("deloc-plugin-a"), request("deloc-plugin-b")], {
        searchDirs: [dir],
        delocVersion: "0.1.0",
      }),
      /Plugins deloc-plugin-a and deloc-plugin-b both provide a probe for thing/,
    );
  });
});

describe("DELoc's own adapters as plugins", () => {
  it("pass the same checks and provide docker, podman, kubernetes and dry-run", async () => {
    const loaded = await Promise.all(BUILTIN_PLUGINS.map((p) => loadBuiltin(p, "0.1.0")));
    assert.deepEqual(
      loaded.flatMap((p) => Object.keys(p.plugin.adapters ?? {})),
      ["docker", "podman", "kubernetes", "dry-run"],
    );
    assert.ok(loaded.every((p) => p.apiVersion === PLUGIN_API_VERSION && p.origin === "builtin"));
  });
});

describe("the user config", () => {
  it("names plugins in $XDG_CONFIG_HOME/deloc/config.yaml, and a missing file names none", () => {
    const xdg = path.join(root, "xdg");
    assert.deepEqual(readUserConfig({ XDG_CONFIG_HOME: xdg }, "/home/x").plugins, []);
    fs.mkdirSync(path.join(xdg, "deloc"), { recursive: true });
    fs.writeFileSync(path.join(xdg, "deloc", "config.yaml"), "plugins: [deloc-plugin-nats]\n");
    const c = readUserConfig({ XDG_CONFIG_HOME: xdg }, "/home/x");
    assert.deepEqual([c.plugins, c.dir], [["deloc-plugin-nats"], path.join(xdg, "deloc")]);
    assert.equal(readUserConfig({}, "/home/x").file, "/home/x/.config/deloc/config.yaml");
    fs.writeFileSync(path.join(xdg, "deloc", "config.yaml"), "plugin: [deloc-plugin-nats]\n");
    assert.throws(() => readUserConfig({ XDG_CONFIG_HOME: xdg }, "/home/x"), /unknown key\(s\) plugin/);
  });
});
