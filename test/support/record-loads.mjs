// `node --import ./test/support/record-loads.mjs …` appends every module URL the program resolves
// to the file named by DELOC_LOAD_LOG (the check that --version loads no heavy module), and as it
// exits the files CommonJS `require` loaded, which the resolve hook does not see (`createRequire`).
import fs from "node:fs";
import { createRequire, register } from "node:module";
import { pathToFileURL } from "node:url";

register("./record-loads-hooks.mjs", import.meta.url);

const required = createRequire(import.meta.url).cache;
process.on("exit", () => {
  if (!process.env.DELOC_LOAD_LOG) return;
  const urls = Object.keys(required).map((f) => `${pathToFileURL(f)}\n`);
  if (urls.length) fs.appendFileSync(process.env.DELOC_LOAD_LOG, urls.join(""));
});
