import path from "node:path";
import type { Catalog } from "../../catalog/index.js";
import { dnsSafe, isStackName, STACK_NAME_RULE } from "../../config/index.js";
import { closest, PROFILES, type Profile, UsageError } from "../../core/index.js";
import { writeFileAtomic } from "../../engine/atomic-file.js";
import type { CommandRun } from "../command.js";
import { loadCatalogFor, newFileFor } from "../project.js";

export const DEFAULT_RECIPE = "streaming";

export const init: CommandRun = async (ctx, _args, opts) => {
  const catalog = loadCatalogFor(ctx);
  const recipeName = typeof opts.recipe === "string" ? opts.recipe : DEFAULT_RECIPE;
  const recipe = catalog.recipes.get(recipeName);
  if (!recipe) {
    const guess = closest(recipeName, catalog.recipes.keys());
    throw new UsageError(
      `There is no recipe "${recipeName}"${guess ? `; did you mean "${guess}"?` : "."}`,
      `Recipes: ${[...catalog.recipes.keys()].join(", ")}.`,
    );
  }
  const profile = (typeof opts.profile === "string" ? opts.profile : "development") as Profile;
  if (!PROFILES.includes(profile))
    throw new UsageError(`--profile must be one of ${PROFILES.join(" | ")} (got "${profile}").`);
  const name = typeof opts.name === "string" ? opts.name : dnsSafe(path.basename(ctx.cwd));
  if (!isStackName(name)) throw new UsageError(`--name must be ${STACK_NAME_RULE} (got "${name}").`);

  const { file, shown } = newFileFor(ctx, opts, opts.file, "deloc.yaml", "Pass --force to overwrite it.");
  const text = stackFileText(catalog, { name, profile, services: recipe.services, recipe: recipe.name });
  writeFileAtomic(file, text);
  ctx.out(
    `Wrote ${shown}: stack "${name}", recipe ${recipe.name} (${recipe.services.join(", ")}), profile ${profile}.`,
  );
  ctx.out("Next: `deloc plan` shows what would run on this machine.");
  return 0;
};

/** A commented deloc.yaml for a recipe. Exported for tests. */
export function stackFileText(
  catalog: Catalog,
  o: { name: string; profile: Profile; services: readonly string[]; recipe: string },
): string {
  const lines = [
    `# deloc.yaml — the "${o.recipe}" recipe. Reference: the "Stack file" section of DELoc's README`,
    "# `deloc plan` shows what would run on this machine; `deloc catalog show NAME` describes a service.",
    "apiVersion: deloc.dev/v1",
    "kind: Stack",
    "metadata:",
    `  name: ${o.name}`,
    "spec:",
    "  # Sizing: minimal | development | production. Services shrink toward their minimum when the",
    "  # machine is short of memory; `deloc plan --memory 8g` shows the plan for another machine.",
    `  profile: ${o.profile}`,
    "  # Where `deloc up` deploys: docker | podman | kubernetes.",
    "  target: docker",
    "  # Start order: parallel (independent services together) | sequential | hybrid (maxParallel at once).",
    "  strategy: parallel",
    "  services:",
  ];
  for (const name of o.services) {
    const members = catalog.groups.get(name);
    const t = catalog.templates.get(members?.[0] ?? name);
    const description = members ? `${name}: ${members.join(", ")}` : t?.description;
    lines.push(`    # ${description}`);
    if (t?.scalable) lines.push(`    ${name}:`, "      replicas: 1");
    else lines.push(`    ${name}: {}`);
  }
  lines.push(
    "    # Your own service, built from a Dockerfile, started once postgres is healthy:",
    "    # api:",
    "    #   build: { context: ./api }",
    '    #   ports: ["3000:3000"]',
    '    #   env: { DATABASE_URL: "{{endpoint.postgres.sql-in-stack}}" } # postgresql://deloc:…@postgres:5432/deloc',
    "    #   dependsOn: { postgres: healthy }",
    '    #   healthCheck: { command: ["wget", "-qO-", "http://localhost:3000/health"] }',
    "    #   resources: { memory: 256Mi, cpu: 500m }",
    "",
  );
  return lines.join("\n");
}
