/** Phase 5: the defaults of every optional stack-file key, in one place. */
import type { Profile, Strategy, Target } from "../../core/index.js";

export { HEALTH_CHECK_DEFAULTS } from "../../core/index.js";

export const STACK_DEFAULTS = {
  profile: "development" as Profile,
  target: "docker" as Target,
  strategy: "parallel" as Strategy,
  maxParallel: 3,
  bindAddress: "127.0.0.1",
} as const;
