/** Plugin packages written for tests: a package in a folder's node_modules, as npm would install it. */
import fs from "node:fs";
import path from "node:path";

/**
 * Writes `node_modules/<name>` under `dir`: a package.json (ES module, version `version`) and the
 * files given (`index.js`, the main module, among them). Returns the package's folder.
 */
export function writePluginPackage(
  dir: string,
  name: string,
  files: Record<string, string>,
  version = "1.2.3",
): string {
  const pkg = path.join(dir, "node_modules", name);
  fs.mkdirSync(pkg, { recursive: true });
  fs.writeFileSync(
    path.join(pkg, "package.json"),
    JSON.stringify({ name, version, type: "module", exports: "./index.js" }),
  );
  for (const [file, text] of Object.entries(files)) {
    fs.mkdirSync(path.dirname(path.join(pkg, file)), { recursive: true });
    fs.writeFileSync(path.join(pkg, file), text);
  }
  return pkg;
}
