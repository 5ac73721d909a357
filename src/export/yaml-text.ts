import { stringify } from "yaml";

/**
 * YAML for the tools that read exports. Helm and kubectl read YAML 1.1, where `yes`, `no`, `on`
 * and `off` are booleans: written as YAML 1.1, such strings are quoted and stay strings (redis's
 * `--appendonly yes`). Lines are never folded.
 */
export function yamlText(value: unknown, opts: { sortMapEntries?: boolean } = {}): string {
  return stringify(value, { version: "1.1", lineWidth: 0, ...opts });
}
