// `node --import ./test/support/record-loads.mjs …` appends every module URL the program resolves
// to the file named by DELOC_LOAD_LOG: the check that --version loads no heavy module.
import { register } from "node:module";

register("./record-loads-hooks.mjs", import.meta.url);
