/**
 * Targets by name. Each comes from a plugin: DELoc's own (Docker, Podman, Kubernetes, the dry-run
 * twin), imported only when one of its targets is opened and checked as any
 * plugin is, or one the stack file or user config names (`spec.plugins`), which then wins.
 * dockerode and the Kubernetes client load only for the commands that talk to an engine.
 */
import { PluginError, type Target } from "../core/index.js";
import {
  type AdapterFactory,
  type AdapterInput,
  type LoadedPlugin,
  NO_PLUGINS,
  type PluginSet,
} from "../plugins/api.js";
// The checks alone, not the front door: the package loader (import-meta-resolve) loads only when a
// stack or the user config names a plugin.
import { checkPlugin } from "../plugins/check.js";
import type { Adapter, ClusterAdapter } from "./adapter.js";
import type { DryRunOptions } from "./dry-run/dry-run-adapter.js";

export interface OpenInput {
  env: Readonly<Record<string, string | undefined>>;
  home: string;
  uid: number;
  /** This DELoc's version, which DELoc's own plugins are checked against. @default "0.0.0" */
  delocVersion?: string;
}

/** A target DELoc opens: the stack file's targets, and the dry-run twin of `up --dry-run`. */
export type TargetName = Target | "dry-run";

interface BuiltinPlugin {
  name: string;
  targets: readonly TargetName[];
  load: () => Promise<Record<string, unknown>>;
}

/** DELoc's own plugins, in the order `deloc plugins` lists them. */
export const BUILTIN_PLUGINS: readonly BuiltinPlugin[] = [
  { name: "deloc:docker", targets: ["docker"], load: () => import("./docker/plugin.js") },
  { name: "deloc:podman", targets: ["podman"], load: () => import("./podman/plugin.js") },
  { name: "deloc:kubernetes", targets: ["kubernetes"], load: () => import("./kubernetes/plugin.js") },
  { name: "deloc:dry-run", targets: ["dry-run"], load: () => import("./dry-run/plugin.js") },
];

/** One of DELoc's own plugins, loaded and checked as a package's would be. */
export async function loadBuiltin(p: BuiltinPlugin, delocVersion = "0.0.0"): Promise<LoadedPlugin> {
  const from = `DELoc ${delocVersion}`;
  const { plugin, templateDirs } = checkPlugin(
    await p.load(),
    { name: p.name, version: delocVersion, dir: from, namedIn: "DELoc itself" },
    delocVersion,
  );
  return {
    name: p.name,
    version: delocVersion,
    origin: "builtin",
    from,
    apiVersion: plugin.apiVersion,
    deloc: plugin.deloc,
    plugin,
    templateDirs,
  };
}

/** The factory of a target and the plugin it comes from: a named plugin's first, else DELoc's own. */
async function factoryFor(
  target: string,
  plugins: PluginSet,
  delocVersion: string | undefined,
): Promise<{ factory: AdapterFactory; plugin: string }> {
  const named = plugins.adapters.get(target);
  if (named) return named;
  const builtin = BUILTIN_PLUGINS.find((p) => p.targets.some((t) => t === target));
  const factory = builtin && (await loadBuiltin(builtin, delocVersion)).plugin.adapters?.[target];
  if (!builtin || !factory)
    throw new PluginError(
      target,
      `No plugin provides the target ${target}.`,
      `DELoc's targets are ${BUILTIN_PLUGINS.flatMap((p) => p.targets).join(", ")}; a plugin named in spec.plugins may add others.`,
    );
  return { factory, plugin: builtin.name };
}

/** Methods an engine adapter cannot do without; a plugin's adapter is checked for them. */
const ENGINE_METHODS = ["info", "observe", "createContainer", "startContainer", "removeContainer"] as const;

/** The adapter for a target; throws EngineUnreachableError, listing what it tried, when none answers. */
export async function openAdapter(
  target: TargetName,
  input: OpenInput,
  plugins: PluginSet = NO_PLUGINS,
  options?: AdapterInput["options"],
): Promise<Adapter> {
  const { factory, plugin } = await factoryFor(target, plugins, input.delocVersion);
  if (factory.kind !== "engine") throw kindMismatch(plugin, target, "an engine", factory.kind);
  const adapter = await factory.open({ ...input, ...(options ? { options } : {}) });
  const missing = ENGINE_METHODS.filter(
    (m) => typeof (adapter as unknown as Record<string, unknown>)?.[m] !== "function",
  );
  if (missing.length)
    throw new PluginError(
      plugin,
      `The ${target} adapter of plugin ${plugin} lacks ${missing.join(", ")}.`,
      `Its adapter must implement DELoc's Adapter interface; install a version of ${plugin} that does.`,
    );
  return adapter;
}

/** A cluster target's adapter (Kubernetes) on the stack's namespace. */
export async function openCluster(
  target: TargetName,
  input: OpenInput & Pick<AdapterInput, "namespace" | "stateDir">,
  plugins: PluginSet = NO_PLUGINS,
): Promise<ClusterAdapter> {
  const { factory, plugin } = await factoryFor(target, plugins, input.delocVersion);
  if (factory.kind !== "cluster") throw kindMismatch(plugin, target, "a cluster", factory.kind);
  return factory.open(input);
}

export async function openDryRun(opts: DryRunOptions): Promise<Adapter> {
  return openAdapter("dry-run", { env: {}, home: "", uid: 0 }, NO_PLUGINS, { ...opts });
}

function kindMismatch(plugin: string, target: string, want: string, got: string): PluginError {
  return new PluginError(
    plugin,
    `Plugin ${plugin} provides ${target} as a ${got} target, where DELoc needs ${want} target.`,
    `Check ${plugin}'s adapters export: kind is "engine" for a container engine, "cluster" for a cluster.`,
  );
}
