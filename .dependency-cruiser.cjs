/**
 * The direction of imports in src/, as ARCHITECTURE.md's table gives it, checked in CI
 * (`npm run lint:imports`): a layer that reaches where it must not fails the build.
 */
const layer = (name) => `^src/${name}/`;
/** The layers config/, resources/, catalog/ and import/ sit below. */
const above = [
  "^src/engine/",
  "^src/adapters/",
  "^src/cli/",
  "^src/planner/",
  "^src/export/",
  "^src/verify/",
];
const io = "^(node:)?(fs|child_process|net|http|https|dgram|worker_threads)$";

/** @type {import('dependency-cruiser').IConfiguration} */
module.exports = {
  forbidden: [
    {
      name: "no-circular",
      severity: "error",
      comment: "A circle of imports: split what both sides need into a module of its own.",
      from: { path: "^src/" },
      to: { circular: true },
    },
    {
      name: "core-imports-nothing",
      severity: "error",
      comment: "core/ is the shared vocabulary: it imports no other layer.",
      from: { path: layer("core") },
      to: { path: "^src/", pathNot: layer("core") },
    },
    {
      name: "engine-only-core-and-the-adapter-interface",
      severity: "error",
      comment: "engine/ talks to targets only through src/adapters/adapter.ts; never config, planner or cli.",
      from: { path: layer("engine") },
      to: { path: "^src/", pathNot: [layer("core"), layer("engine"), "^src/adapters/adapter\\.ts$"] },
    },
    {
      name: "adapters-not-upward",
      severity: "error",
      comment:
        "An adapter uses core (the Kubernetes one also the k8s and Helm exports), never the engine, planner, config or cli.",
      from: { path: "^src/adapters/" },
      to: { path: ["^src/engine/", "^src/planner/", "^src/config/", "^src/cli/", "^src/verify/"] },
    },
    {
      name: "adapters-export-only-from-kubernetes",
      severity: "error",
      from: { path: "^src/adapters/", pathNot: "^src/adapters/kubernetes/" },
      to: { path: "^src/export/" },
    },
    {
      name: "pure-core-stays-pure",
      severity: "error",
      comment:
        "planner/ and export/ are pure projections: core, catalog and resources types, no engine, adapter or cli, no I/O.",
      from: { path: ["^src/planner/", "^src/export/"], pathNot: "\\.test\\.ts$" },
      to: { path: ["^src/engine/", "^src/adapters/", "^src/cli/", "^src/verify/", io] },
    },
    {
      name: "config-resources-catalog-below",
      severity: "error",
      comment: "config/, resources/ and catalog/ use core (catalog may use config's schema), nothing above.",
      from: { path: ["^src/config/", "^src/resources/", "^src/catalog/"] },
      to: {
        path: above,
      },
    },
    {
      name: "import-is-pure",
      severity: "error",
      comment:
        "import/ turns compose files into a stack file: core, config and catalog only, no I/O (the command reads the files).",
      from: { path: "^src/import/", pathNot: "\\.test\\.ts$" },
      to: {
        path: [...above, io],
      },
    },
    {
      name: "plugins-below-cli",
      severity: "error",
      comment:
        "plugins/ is the plugin API and its loader: core, the adapter interface and the probe's types; never the engine, planner, config, catalog or cli.",
      from: { path: "^src/plugins/", pathNot: "\\.test\\.ts$" },
      to: {
        path: "^src/",
        pathNot: ["^src/core/", "^src/plugins/", "^src/adapters/adapter\\.ts$", "^src/verify/probe\\.ts$"],
      },
    },
    {
      name: "testing-only-in-tests",
      severity: "error",
      comment: "src/testing/ holds fakes for tests; the product never imports it.",
      from: { path: "^src/", pathNot: ["\\.test\\.ts$", "^src/testing/"] },
      to: { path: "^src/testing/" },
    },
  ],
  options: {
    doNotFollow: { path: "node_modules" },
    exclude: { path: "\\.test\\.ts$" },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: "tsconfig.json" },
    enhancedResolveOptions: { extensions: [".ts", ".js"] },
  },
};
