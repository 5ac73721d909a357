import type { CatalogIndex } from "../config/index.js";
import type { Catalog } from "./template.js";

/** The names a stack file may use, as plain data for `config`'s catalog rules. */
export function catalogIndex(catalog: Catalog): CatalogIndex {
  return {
    templates: [...catalog.templates.keys()],
    groups: Object.fromEntries(catalog.groups),
    variants: Object.fromEntries(
      [...catalog.templates.values()].map((t) => [t.name, Object.keys(t.variants).sort()]),
    ),
    ports: Object.fromEntries([...catalog.templates.values()].map((t) => [t.name, t.ports])),
  };
}
