/** Units: `Size`, `Cpu`, `Duration`. */

/** Error classes with stable codes and their exit codes. */
export * from "./errors.js";
/** Label keys on engine resources. */
export * from "./labels.js";
/** The Plan every target projects. */
export * from "./plan.js";
/** Deterministic key order. */
export { sortKeys } from "./sort-keys.js";
/** The validated stack. */
export * from "./stack.js";
/** "Did you mean" suggestions. */
export { closest } from "./suggest.js";
export * from "./units.js";
