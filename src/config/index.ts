/** Load and validate a stack file. */
export {
  findStackFile,
  type LoadOptions,
  type LoadResult,
  loadStack,
  loadStackText,
  STACK_FILE_NAMES,
} from "./load.js";
/** Defaults of the stack file. */
export { HEALTH_CHECK_DEFAULTS, STACK_DEFAULTS } from "./phases/defaults.js";
/** Capacity overrides from flags and environment. */
export { type CapacityOverride, catalogPathsFromEnv, type LayerFlags, readCapacity } from "./phases/layer.js";
export {
  normalizeArgv,
  normalizeEnv,
  normalizeHealthCheck,
  normalizePort,
  normalizeVerify,
  normalizeVolume,
} from "./phases/normalize.js";
export type { Locate } from "./phases/parse.js";
export { parse as parseYaml } from "./phases/parse.js";
/** Rules that need the catalog's names. */
export {
  type CatalogIndex,
  checkAgainstCatalog,
  DNS_LABEL,
  dnsSafe,
  isStackName,
  STACK_NAME_RULE,
} from "./phases/rules.js";
/** Schema parts the catalog reuses. */
export { checkCpu, checkDuration, checked, checkSize, verifySchema } from "./phases/schema.js";
