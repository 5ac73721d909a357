/**
 * The plugin API, version 1: what an npm package (or one of DELoc's own adapters) exports to add
 * targets, service templates or verify probes. A plugin's main module exports these as named
 * exports (or as the members of its default export):
 *
 * ```js
 * export const apiVersion = 1;                       // the plugin API it is written against
 * export const deloc = ">=0.1.0 <1";                 // the DELoc versions it supports (a semver range)
 * export const templates = [new URL("./templates/", import.meta.url)]; // folders of template YAML
 * export const probes = { nats: { what: "…", hint: "…", run: async (t) => "…" } };
 * export const adapters = { docker: { kind: "engine", open: async (input) => adapter } };
 * ```
 *
 * Every plugin is checked on load (`checkPlugin`): a plugin written for another API version, one
 * that does not support this DELoc, or one that provides nothing is refused with what, which
 * package and what to do (`PluginError`, exit code 9).
 */
import type { Adapter, ClusterAdapter } from "../adapters/adapter.js";
import type { Probe } from "../verify/probe.js";

/** The plugin API version this DELoc speaks. Raised only when the API changes incompatibly. */
export const PLUGIN_API_VERSION = 1;

/** What DELoc hands an adapter factory when a command needs the target's engine. */
export interface AdapterInput {
  env: Readonly<Record<string, string | undefined>>;
  home: string;
  uid: number;
  /** The stack's namespace (cluster targets). */
  namespace?: string;
  /** The stack's state folder (`.deloc/`), absolute (cluster targets keep Helm's files there). */
  stateDir?: string;
  /**
   * What the target's own commands pass (DELoc's dry-run: the engine state to start from;
   * Kubernetes: the helm binary). @default {}
   */
  options?: Readonly<Record<string, unknown>>;
}

/** A container engine (Docker, Podman, the dry-run twin): DELoc's engine drives it container by container. */
export interface EngineAdapterFactory {
  kind: "engine";
  /** Finds the engine and returns its adapter; throws EngineUnreachableError (exit 4) when none answers. */
  open(input: AdapterInput): Promise<Adapter>;
}

/** A cluster (Kubernetes): DELoc applies the plan's objects and waits on workloads. */
export interface ClusterAdapterFactory {
  kind: "cluster";
  open(input: AdapterInput): Promise<ClusterAdapter>;
}

export type AdapterFactory = EngineAdapterFactory | ClusterAdapterFactory;

/** A verify probe: the same shape as DELoc's own (`what`, `hint`, `run(target)` → what it saw). */
export type PluginProbe = Probe;

/** What a plugin module exports, as checked. */
export interface DelocPlugin {
  /** The plugin API version the plugin is written against: must equal `PLUGIN_API_VERSION`. */
  apiVersion: number;
  /** The DELoc versions the plugin supports, a semver range (`">=0.1.0 <1"`). */
  deloc: string;
  /** Targets the plugin adds, or replaces DELoc's own for (`docker`), by name. @default {} */
  adapters?: Readonly<Record<string, AdapterFactory>>;
  /**
   * Folders of service templates (absolute paths or `file:` URLs), in the catalog's format; they join
   * the catalog as `spec.catalogPaths` folders do, before them. @default []
   */
  templates?: readonly (string | URL)[];
  /** Verify probes by catalog template name; one replaces DELoc's own probe for that template. @default {} */
  probes?: Readonly<Record<string, PluginProbe>>;
}

/** Where a plugin was named. */
export type PluginOrigin = "builtin" | "stack" | "user";

/** A plugin that passed its checks, and what `deloc plugins` shows of it. */
export interface LoadedPlugin {
  /** The npm package's name (`deloc-plugin-nats`), or `deloc:docker` for DELoc's own. */
  name: string;
  /** The package's version (DELoc's own: DELoc's). */
  version: string;
  origin: PluginOrigin;
  /** The package's folder (DELoc's own: the module), absolute. */
  from: string;
  apiVersion: number;
  deloc: string;
  plugin: DelocPlugin;
  /** Its template folders, absolute. */
  templateDirs: string[];
}

/** What a set of loaded plugins provides, merged, for the catalog, `verify` and the registry. */
export interface PluginSet {
  plugins: readonly LoadedPlugin[];
  /** Template folders of every plugin, in load order. */
  templateDirs: readonly string[];
  /** Probes by template, with the plugin that provides each. */
  probes: ReadonlyMap<string, { probe: PluginProbe; plugin: string }>;
  /** Adapter factories by target, with the plugin that provides each. */
  adapters: ReadonlyMap<string, { factory: AdapterFactory; plugin: string }>;
}

/** The plugin set with no plugins in it. */
export const NO_PLUGINS: PluginSet = {
  plugins: [],
  templateDirs: [],
  probes: new Map(),
  adapters: new Map(),
};
