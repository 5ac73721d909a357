/**
 * DELoc's own Docker adapter as a plugin, checked as any plugin is. dockerode loads only when the
 * target is opened.
 */
import type { DelocPlugin, EngineAdapterFactory } from "../../plugins/index.js";

const docker: EngineAdapterFactory = {
  kind: "engine",
  open: async (input) => {
    const { connectDocker, DockerAdapter } = await import("./docker-adapter.js");
    return new DockerAdapter(await connectDocker(input));
  },
};

export const apiVersion: DelocPlugin["apiVersion"] = 1;
/** It ships with DELoc: every DELoc. */
export const deloc = "*";
export const adapters: DelocPlugin["adapters"] = { docker };
