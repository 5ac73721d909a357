/**
 * DELoc's own Kubernetes target as a plugin: a cluster adapter, opened on the stack's namespace with
 * Helm when it is installed. The Kubernetes client loads only when the target is opened.
 */
import type { DelocPlugin } from "../../plugins/index.js";

export const apiVersion: DelocPlugin["apiVersion"] = 1;
export const deloc = "*";
export const adapters: DelocPlugin["adapters"] = {
  kubernetes: {
    kind: "cluster",
    open: async (input) => {
      const [{ KubernetesTarget }, { findHelm }] = await Promise.all([
        import("./kubernetes-target.js"),
        import("./helm.js"),
      ]);
      return KubernetesTarget.connect(input.namespace ?? "default", {
        helm: findHelm(input.env),
        stateDir: input.stateDir ?? ".deloc",
      });
    },
  },
};
