/** Host facts with their sources. */

/** The budget after the OS reserve and the safety margin. */
export {
  type BudgetInput,
  budgetFor,
  type CapacityOverrideInput,
  capToEngine,
  clusterBudget,
  computeBudget,
  OS_RESERVE_RATIO,
  portableBudget,
  SAFETY_MARGIN_RATIO,
} from "./budget.js";
export { type DetectOptions, detectHost, type Figure, type HostFacts } from "./detect.js";
