/**
 * `deloc plugins`: the plugins this stack and the user config load, and DELoc's own, each with
 * where it comes from, the plugin API version it is written against, and what it provides.
 */
import fs from "node:fs";
import path from "node:path";
import { BUILTIN_PLUGINS, loadBuiltin } from "../../adapters/registry.js";
import { readTemplateFile } from "../../catalog/index.js";
import { type LoadedPlugin, PLUGIN_API_VERSION } from "../../plugins/index.js";
import type { CommandRun } from "../command.js";
import type { CommandContext } from "../context.js";
import { pluginRequests } from "../plugins.js";
import { renderTable } from "../render/table.js";

/** A plugin as `deloc plugins --json` shows it. */
export interface PluginView {
  name: string;
  version: string;
  /** builtin: DELoc's own; stack: the stack file's spec.plugins; user: the user config's plugins. */
  origin: LoadedPlugin["origin"];
  /** The package's folder (DELoc's own: `DELoc <version>`). */
  from: string;
  apiVersion: number;
  /** The DELoc versions it supports. */
  deloc: string;
  targets: string[];
  /** Names of the templates its folders hold. */
  templates: string[];
  /** Templates it has a verify probe for. */
  probes: string[];
}

export const pluginsCommand: CommandRun = async (ctx, _args, opts) => {
  const builtins = await Promise.all(BUILTIN_PLUGINS.map((p) => loadBuiltin(p, ctx.version)));
  const loaded = ctx.plugins?.plugins ?? [];
  const views = [...builtins, ...loaded].map(view);
  const { userConfig } = await pluginRequests(ctx, opts);
  if (opts.json) {
    ctx.out(JSON.stringify({ apiVersion: PLUGIN_API_VERSION, userConfig, plugins: views }, null, 2));
    return 0;
  }
  ctx.out(
    `DELoc ${ctx.version} speaks plugin API ${PLUGIN_API_VERSION}; user config ${shown(ctx, userConfig)}\n`,
  );
  ctx.out(
    renderTable(
      ["PLUGIN", "VERSION", "API", "FROM", "PROVIDES"],
      views.map((v) => [v.name, v.version, String(v.apiVersion), from(ctx, v), provides(v)]),
    ),
  );
  if (loaded.length === 0)
    ctx.out("\nNo plugin is named by the stack file (spec.plugins) or the user config (plugins:).");
  return 0;
};

function view(p: LoadedPlugin): PluginView {
  return {
    name: p.name,
    version: p.version,
    origin: p.origin,
    from: p.from,
    apiVersion: p.apiVersion,
    deloc: p.deloc,
    targets: Object.keys(p.plugin.adapters ?? {}).sort(),
    templates: p.templateDirs.flatMap(templateNames).sort(),
    probes: Object.keys(p.plugin.probes ?? {}).sort(),
  };
}

/** The templates a folder's files define (a file that does not read is left to the catalog to report). */
function templateNames(dir: string): string[] {
  return fs
    .readdirSync(dir)
    .filter((f) => /\.ya?ml$/.test(f))
    .flatMap((f) => {
      const file = path.join(dir, f);
      const r = readTemplateFile(file, fs.readFileSync(file, "utf8"));
      return r.ok ? r.templates.map((t) => t.name) : [];
    });
}

function provides(v: PluginView): string {
  const parts = [
    v.targets.length ? `targets: ${v.targets.join(", ")}` : "",
    v.templates.length ? `templates: ${v.templates.join(", ")}` : "",
    v.probes.length ? `probes: ${v.probes.join(", ")}` : "",
  ];
  return parts.filter(Boolean).join("; ");
}

function from(ctx: CommandContext, v: PluginView): string {
  return v.origin === "builtin" ? "DELoc" : `${v.origin}: ${shown(ctx, v.from)}`;
}

function shown(ctx: CommandContext, p: string): string {
  return p.startsWith(`${ctx.home}/`) ? `~${p.slice(ctx.home.length)}` : p;
}
