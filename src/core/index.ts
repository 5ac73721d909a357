/** Units: `Size`, `Cpu`, `Duration`. */

/** Error classes with stable codes and their exit codes. */
export * from "./errors.js";
/** Label keys on engine resources. */
export * from "./labels.js";
/** Lifecycle states and their transition table. */
export * from "./lifecycle.js";
/** Engine-side names of networks, volumes and containers. */
export * from "./names.js";
/** What an engine reports of a stack. */
export * from "./observed.js";
/** Operations the engine asks an adapter to carry out. */
export * from "./operation.js";
/** The Plan every target projects. */
export * from "./plan.js";
/** Probes a service declares for `verify`. */
export * from "./probe.js";
/** `{{secret.NAME}}` tokens in planned text. */
export * from "./secret-token.js";
/** The rights a container runs with. */
export * from "./security.js";
/** Deterministic key order. */
export { sortKeys } from "./sort-keys.js";
/** The validated stack. */
export * from "./stack.js";
/** "Did you mean" suggestions. */
export { closest } from "./suggest.js";
export * from "./units.js";
