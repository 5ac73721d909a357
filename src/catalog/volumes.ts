import type { VolumeSpec } from "../core/index.js";

/**
 * A template volume: `"kafka-data:/var/lib/kafka/data"` is a named volume of the stack;
 * `"./dags:/opt/airflow/dags"` is a bind relative to the stack file's folder, kept relative here
 * and resolved by the planner.
 */
export function parseTemplateVolume(text: string): VolumeSpec {
  const [source = "", target = "", mode] = text.split(":");
  return {
    type: source.startsWith(".") || source.startsWith("/") ? "bind" : "volume",
    source,
    target,
    readOnly: mode === "ro",
  };
}
