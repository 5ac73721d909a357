/**
 * DELoc's own Podman adapter as a plugin, checked as any plugin is: Podman's own service (never a
 * Docker socket), through its Docker-compatible API. dockerode loads only when the target is opened.
 */
import type { DelocPlugin, EngineAdapterFactory } from "../../plugins/index.js";

const podman: EngineAdapterFactory = {
  kind: "engine",
  open: async (input) => {
    const { connectPodman, PodmanAdapter } = await import("./podman-adapter.js");
    return new PodmanAdapter(await connectPodman(input));
  },
};

export const apiVersion: DelocPlugin["apiVersion"] = 1;
/** It ships with DELoc: every DELoc. */
export const deloc = "*";
export const adapters: DelocPlugin["adapters"] = { podman };
