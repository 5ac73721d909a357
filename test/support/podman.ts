/**
 * Podman for the tests: its own service (started by scripts/engine-up.sh), found the way `deloc`
 * finds it, with the images a test needs copied from Docker into its storage first.
 */
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import os from "node:os";
import path from "node:path";
import type { Adapter } from "../../src/adapters/adapter.js";
import { openAdapter } from "../../src/adapters/registry.js";

const LOAD = path.resolve(import.meta.dirname, "../../scripts/podman-load.sh");

/** Copies images from Docker into Podman (skipped when there with the same ID); fails loudly. */
export function loadIntoPodman(images: readonly string[]): void {
  const r = spawnSync("bash", [LOAD, ...images], { encoding: "utf8", timeout: 900_000 });
  assert.equal(r.status, 0, `podman-load ${images.join(" ")} failed:\n${r.stderr}${r.stdout}`);
}

export async function podmanAdapter(images: readonly string[]): Promise<Adapter> {
  loadIntoPodman(images);
  return openAdapter("podman", { env: process.env, home: os.homedir(), uid: process.getuid?.() ?? 0 });
}
