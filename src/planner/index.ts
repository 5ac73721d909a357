/** Stack + catalog + budget → Plan. */

/** Addresses between services: `{{host.S}}`, `{{address.S.PORT}}`, `{{endpoint.S.NAME}}`. */
export { checkAddresses } from "./addresses.js";
/** Memory allocation and host ports. */
export { type AllocationContext, allocateMemory, type MemoryRequest } from "./allocate.js";
/** The dependency graph. */
export { assertAcyclic, buildGraph, findCycle, type Graph, levels, topologicalOrder } from "./graph.js";
export { canonicalJson, stableHash } from "./hash.js";
/** Secret tokens in planned text. */
export { replaceSecrets, secretsIn } from "./placeholders.js";
export { type PlanOptions, plan, serviceHash } from "./plan.js";
/** The stable `plan --json` projection. */
export { PLAN_JSON_VERSION, type PlanJson, planToJson } from "./plan-json.js";
export { assignPorts } from "./ports.js";
