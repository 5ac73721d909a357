/** DELoc's dry-run twin as a plugin: `up --dry-run` opens it with the engine state to start from. */
import type { DelocPlugin } from "../../plugins/index.js";
import type { DryRunOptions } from "./dry-run-adapter.js";

export const apiVersion: DelocPlugin["apiVersion"] = 1;
export const deloc = "*";
export const adapters: DelocPlugin["adapters"] = {
  "dry-run": {
    kind: "engine",
    open: async (input) => {
      const { DryRunAdapter } = await import("./dry-run-adapter.js");
      return new DryRunAdapter((input.options ?? {}) as DryRunOptions);
    },
  },
};
