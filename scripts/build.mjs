// Bundles src/bin/deloc.ts into dist/deloc.js with code splitting: every command module and the
// libraries only it uses land in their own chunk, loaded on demand. Dependencies stay external
// (installed by npm), except BUNDLED: zod is 226 small ES modules, and resolving them cost every
// command that reads a stack file about 40 ms (`status` of the full recipe: 340 → 300 ms, median
// of 15); semver is twenty, read by every command that opens a target (the plugin check). Writes dist/meta.json, the bundle report (`npx esbuild --analyze` reads it).
import { readFileSync, rmSync, writeFileSync } from "node:fs";
import { build } from "esbuild";

const pkg = JSON.parse(readFileSync(new URL("../package.json", import.meta.url), "utf8"));
const BUNDLED = new Set(["zod", "semver"]);
const external = Object.keys(pkg.dependencies)
  .filter((d) => !BUNDLED.has(d))
  .flatMap((d) => [d, `${d}/*`]);
rmSync(new URL("../dist", import.meta.url), { recursive: true, force: true });
const result = await build({
  entryPoints: { deloc: "src/bin/deloc.ts" },
  outdir: "dist",
  bundle: true,
  splitting: true,
  format: "esm",
  platform: "node",
  target: "node20",
  external,
  sourcemap: true,
  metafile: true,
  chunkNames: "chunks/[name]-[hash]",
  define: { DELOC_VERSION: JSON.stringify(pkg.version) },
  logLevel: "warning",
});
writeFileSync("dist/meta.json", JSON.stringify(result.metafile));

// The dashboard's page (`deloc ui`): plain DOM, bundled for the browser into dist/ui/app.js, which
// the server sends itself (no CDN).
await build({
  entryPoints: ["src/ui/page/app.ts"],
  outfile: "dist/ui/app.js",
  bundle: true,
  format: "iife",
  platform: "browser",
  target: "es2022",
  minify: true,
  logLevel: "warning",
});

// The built-in catalog, validated now and shipped as dist/catalog.json (src/catalog/snapshot.ts).
const snapshotScript = new URL("../dist/catalog-snapshot.mjs", import.meta.url);
await build({
  entryPoints: ["scripts/catalog-snapshot.ts"],
  outfile: snapshotScript.pathname,
  bundle: true,
  format: "esm",
  platform: "node",
  target: "node20",
  packages: "external",
  logLevel: "warning",
});
await import(snapshotScript.href);
rmSync(snapshotScript);
