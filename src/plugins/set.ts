/** Loaded plugins merged into what the catalog, `verify` and the adapter registry look things up in. */
import { PluginError } from "../core/index.js";
import type { AdapterFactory, LoadedPlugin, PluginProbe, PluginSet } from "./api.js";

/** Merges plugins in load order; two plugins providing the same target or probe is an error. */
export function pluginSet(plugins: readonly LoadedPlugin[]): PluginSet {
  const probes = new Map<string, { probe: PluginProbe; plugin: string }>();
  const adapters = new Map<string, { factory: AdapterFactory; plugin: string }>();
  const claim = <T>(
    map: Map<string, T & { plugin: string }>,
    what: string,
    key: string,
    value: T,
    p: LoadedPlugin,
  ) => {
    const other = map.get(key);
    if (other)
      throw new PluginError(
        p.name,
        `Plugins ${other.plugin} and ${p.name} both provide ${what} ${key}.`,
        `Keep one of them in spec.plugins (or the user config).`,
      );
    map.set(key, { ...value, plugin: p.name });
  };
  for (const p of plugins) {
    for (const [target, factory] of Object.entries(p.plugin.adapters ?? {}))
      claim(adapters, "the target", target, { factory }, p);
    for (const [template, probe] of Object.entries(p.plugin.probes ?? {}))
      claim(probes, "a probe for", template, { probe }, p);
  }
  return { plugins, templateDirs: plugins.flatMap((p) => p.templateDirs), probes, adapters };
}
