/**
 * The checks every plugin passes before DELoc uses it, DELoc's own included: the plugin API version
 * it is written against, the DELoc versions it supports, and the shape of what it exports.
 */
import fs from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
// The two functions alone: all of semver is forty modules, read at every command that opens a target.
import satisfies from "semver/functions/satisfies.js";
import validRange from "semver/ranges/valid.js";
import { z } from "zod";
import { PluginError } from "../core/index.js";
import { type DelocPlugin, PLUGIN_API_VERSION } from "./api.js";

const fn = z.custom<(...args: never[]) => unknown>((v) => typeof v === "function", "must be a function");

const factorySchema = z.object({ kind: z.enum(["engine", "cluster"]), open: fn });

const probeSchema = z.object({
  what: z.string().min(1),
  hint: z.string(),
  run: fn,
  exclusive: z.string().optional(),
  timeoutMs: z.int().positive().optional(),
});

const pluginSchema = z.object({
  apiVersion: z.int(),
  deloc: z.string(),
  adapters: z.record(z.string().min(1), factorySchema).optional(),
  templates: z.array(z.union([z.string().min(1), z.instanceof(URL)])).optional(),
  probes: z.record(z.string().min(1), probeSchema).optional(),
});

/** Who the plugin is, for messages: its package name and version, and where its module is. */
export interface PluginIdentity {
  name: string;
  version: string;
  /** The package's folder. */
  dir: string;
  /** Where it was named, e.g. "deloc.yaml (spec.plugins)". */
  namedIn: string;
}

/**
 * The plugin a module exports (named exports, or the members of its default export), checked.
 * Throws PluginError: written for another plugin API, not for this DELoc, an export missing or
 * of the wrong shape, nothing provided, a template folder that is not there.
 */
export function checkPlugin(
  exports: Readonly<Record<string, unknown>>,
  who: PluginIdentity,
  delocVersion: string,
): { plugin: DelocPlugin; templateDirs: string[] } {
  const mod = "apiVersion" in exports || !isObject(exports.default) ? exports : exports.default;
  const named = `Plugin ${who.name}${who.version ? ` ${who.version}` : ""} (${who.dir}, named in ${who.namedIn})`;
  const fail = (message: string, hint: string): never => {
    throw new PluginError(who.name, `${named} ${message}`, hint);
  };
  const missing = ["apiVersion", "deloc"].filter((k) => mod[k] === undefined);
  if (missing.length)
    fail(
      `does not export ${missing.join(" or ")}: it is not a DELoc plugin, or not one DELoc can check.`,
      `A plugin exports \`apiVersion = ${PLUGIN_API_VERSION}\` and \`deloc\` (the DELoc versions it supports, e.g. ">=0.1.0 <1"); see "Writing a plugin" in DELoc's README. Check the package name in ${who.namedIn}.`,
    );
  if (mod.apiVersion !== PLUGIN_API_VERSION)
    fail(
      `is written for plugin API ${show(mod.apiVersion)}; this DELoc (${delocVersion}) speaks plugin API ${PLUGIN_API_VERSION}.`,
      `Install a version of ${who.name} made for plugin API ${PLUGIN_API_VERSION}, or a DELoc that speaks plugin API ${show(mod.apiVersion)}.`,
    );
  const range = typeof mod.deloc === "string" ? validRange(mod.deloc) : null;
  if (range === null)
    fail(
      `exports deloc = ${show(mod.deloc)}, which is not a semver range.`,
      `The plugin's author writes the DELoc versions it supports as a range, e.g. ">=0.1.0 <1".`,
    );
  if (!satisfies(delocVersion, range!, { includePrerelease: true }))
    fail(
      `supports DELoc ${mod.deloc as string}, not this DELoc (${delocVersion}).`,
      `Install a version of ${who.name} that supports DELoc ${delocVersion}, or a DELoc in ${mod.deloc as string}.`,
    );
  const parsed = pluginSchema.safeParse(mod);
  if (!parsed.success)
    fail(
      `exports what DELoc cannot use:\n${parsed.error.issues
        .map((i) => `  ${i.path.map(String).join(".") || "(module)"}: ${i.message}`)
        .join("\n")}`,
      `Fix these exports (see "Writing a plugin" in DELoc's README), or install a version of ${who.name} that has them right.`,
    );
  const plugin = parsed.data as DelocPlugin;
  const templateDirs = (plugin.templates ?? []).map((t) =>
    path.resolve(who.dir, t instanceof URL ? fileURLToPath(t) : t),
  );
  const absent = templateDirs.filter((d) => !fs.statSync(d, { throwIfNoEntry: false })?.isDirectory());
  if (absent.length)
    fail(
      `names template folders that are not there: ${absent.join(", ")}.`,
      `Reinstall ${who.name}; its package must ship its templates.`,
    );
  const provides =
    Object.keys(plugin.adapters ?? {}).length + templateDirs.length + Object.keys(plugin.probes ?? {}).length;
  if (provides === 0)
    fail(
      "provides nothing: no adapters, templates or probes.",
      `A plugin exports at least one of adapters, templates and probes; remove ${who.name} from ${who.namedIn}.`,
    );
  return { plugin, templateDirs };
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null;
}

function show(v: unknown): string {
  return v === undefined ? "nothing" : (JSON.stringify(v) ?? String(v));
}
