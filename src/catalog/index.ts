/** Service templates, groups and recipes. */

/** The catalog as plain names, for the stack file's rules. */
export { catalogIndex } from "./catalog-index.js";
/** Read the built-in catalog and user template folders. */
export { builtinCatalogDir, loadCatalog, readTemplateFile } from "./load.js";
export type {
  BackupCommands,
  Catalog,
  EndpointTemplate,
  JvmSettings,
  ProfileResources,
  Recipe,
  SecretKind,
  ServiceTemplate,
  Shortcut,
  TemplateVariant,
} from "./template.js";
