/**
 * The built-in catalog, validated once by the build and shipped as `dist/catalog.json`. Loading it
 * skips parsing and checking a dozen YAML files, about 50 ms of every command that plans. It is
 * used only while the catalog's files are exactly those it was made from (a digest of them), so an
 * edited template is never shadowed by a stale snapshot.
 */
import { createHash } from "node:crypto";
import fs from "node:fs";
import path from "node:path";
import type { Catalog, Recipe, ServiceTemplate } from "./template.js";

const VERSION = 1;

export interface CatalogSnapshot {
  version: typeof VERSION;
  /** sha256 of the catalog's files, names and contents. */
  digest: string;
  /** Each template's `source` is relative to the catalog folder. */
  templates: ServiceTemplate[];
  groups: [string, string[]][];
  recipes: [string, Recipe][];
}

/** `<package>/dist/catalog.json`, beside the bundle, for the catalog folder `<package>/catalog`. */
export function snapshotFile(builtinDir: string): string {
  return path.join(builtinDir, "..", "dist", "catalog.json");
}

export function makeSnapshot(builtinDir: string, catalog: Catalog): CatalogSnapshot {
  return {
    version: VERSION,
    digest: catalogDigest(builtinDir),
    templates: [...catalog.templates.values()].map((t) => ({
      ...t,
      source: path.relative(builtinDir, t.source),
    })),
    groups: [...catalog.groups].map(([name, components]) => [name, [...components]]),
    recipes: [...catalog.recipes],
  };
}

/** The snapshot's catalog; null when there is none, or the catalog's files changed since it was made. */
export function readSnapshot(builtinDir: string): Catalog | null {
  let snapshot: CatalogSnapshot;
  try {
    snapshot = JSON.parse(fs.readFileSync(snapshotFile(builtinDir), "utf8")) as CatalogSnapshot;
    if (snapshot.version !== VERSION || snapshot.digest !== catalogDigest(builtinDir)) return null;
  } catch {
    return null;
  }
  return {
    templates: new Map(
      snapshot.templates.map((t) => [t.name, { ...t, source: path.join(builtinDir, t.source) }]),
    ),
    groups: new Map(snapshot.groups),
    recipes: new Map(snapshot.recipes),
  };
}

function catalogDigest(builtinDir: string): string {
  const hash = createHash("sha256");
  const services = path.join(builtinDir, "services");
  const files = fs
    .readdirSync(services)
    .filter((f) => /\.ya?ml$/.test(f))
    .sort()
    .map((f) => path.join(services, f));
  for (const file of [...files, path.join(builtinDir, "recipes.yaml")])
    hash.update(path.basename(file)).update("\0").update(fs.readFileSync(file)).update("\0");
  return hash.digest("hex");
}
