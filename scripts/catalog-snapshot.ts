// Run by the build (bundled, then imported): validates the built-in catalog from its YAML files and
// writes dist/catalog.json, which commands load instead while the files are unchanged.
import fs from "node:fs";
import { builtinCatalogDir, loadCatalog } from "../src/catalog/load.js";
import { makeSnapshot, snapshotFile } from "../src/catalog/snapshot.js";

const dir = builtinCatalogDir();
fs.writeFileSync(
  snapshotFile(dir),
  `${JSON.stringify(makeSnapshot(dir, loadCatalog({ builtinDir: dir })))}\n`,
);
