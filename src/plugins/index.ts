/** The plugin API (what a plugin exports), its checks, and loading plugins by package name. */

/** What a plugin exports and what DELoc makes of it. */
export type {
  AdapterFactory,
  AdapterInput,
  ClusterAdapterFactory,
  DelocPlugin,
  EngineAdapterFactory,
  LoadedPlugin,
  PluginOrigin,
  PluginProbe,
  PluginSet,
} from "./api.js";
/** The plugin API version and the empty plugin set. */
export { NO_PLUGINS, PLUGIN_API_VERSION } from "./api.js";
/** The checks every plugin passes, DELoc's own included. */
export { checkPlugin, type PluginIdentity } from "./check.js";
/** Loading plugins named by package. */
export { type LoadPluginsOptions, loadPlugins, type PluginRequest } from "./load.js";
/** Merging loaded plugins. */
export { pluginSet } from "./set.js";
/** The user-level config that names plugins for every stack. */
export { readUserConfig, type UserConfig, userConfigDir } from "./user-config.js";
