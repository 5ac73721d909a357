import { loadCatalog } from "../../src/catalog/index.js";
import { loadStackText } from "../../src/config/index.js";
import type { Budget, Stack } from "../../src/core/index.js";

/** A stack from YAML text, as if read from /project/deloc.yaml; fails the test on errors. */
export function stackFrom(yaml: string, env: Record<string, string> = {}): Stack {
  const result = loadStackText(yaml, {
    cwd: "/project",
    env,
    home: "/home/user",
    file: "/project/deloc.yaml",
    display: "deloc.yaml",
  });
  if (!result.ok)
    throw new Error(
      `fixture stack is invalid:\n${result.errors.map((e) => `${e.path}: ${e.message}`).join("\n")}`,
    );
  return result.stack;
}

export const catalog = loadCatalog();

const GIB = 1024 ** 3;

/** A budget of `memoryGiB` for services (already after reserve and margin). */
export function budget(memoryGiB: number, cpus = 4): Budget {
  return {
    hostMemoryBytes: memoryGiB * GIB,
    reserveBytes: 0,
    marginBytes: 0,
    memoryBytes: memoryGiB * GIB,
    cpus,
    memorySource: "--memory",
    cpuSource: "--cpus",
  };
}

/** The stack file of a catalog recipe, as `deloc init --recipe NAME` lists its services. */
export function recipeStack(recipe: string, profile = "development"): Stack {
  const services = catalog.recipes.get(recipe)?.services;
  if (!services) throw new Error(`no recipe ${recipe}`);
  return stackFrom(
    `apiVersion: deloc.dev/v1\nkind: Stack\nmetadata: { name: ${recipe} }\nspec:\n  profile: ${profile}\n  services:\n${services.map((s) => `    ${s}: {}\n`).join("")}`,
  );
}
