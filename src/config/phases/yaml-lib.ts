/**
 * The `yaml` library, loaded when first needed: the Document (positions, interpolation) is built
 * only for a stack file the fast path does not read and for messages, so `status` and `plan` of a
 * plain file never load it.
 */
import { createRequire } from "node:module";

const require = createRequire(import.meta.url);

export function yamlLib(): typeof import("yaml") {
  return require("yaml") as typeof import("yaml");
}
