import { createHash } from "node:crypto";

/**
 * A short, stable hash of a value: canonical JSON (keys sorted at every depth), SHA-256, first 16
 * hex digits. Used as the `dev.deloc.hash` label so an unchanged service is left alone.
 */
export function stableHash(value: unknown): string {
  return createHash("sha256").update(canonicalJson(value)).digest("hex").slice(0, 16);
}

export function canonicalJson(value: unknown): string {
  return JSON.stringify(value, (_key, v: unknown) =>
    v && typeof v === "object" && !Array.isArray(v)
      ? Object.fromEntries(
          Object.keys(v)
            .sort()
            .map((k) => [k, (v as Record<string, unknown>)[k]]),
        )
      : v,
  );
}
