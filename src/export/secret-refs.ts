/**
 * Secrets in exported files: a planned value such as `postgresql://deloc:{{secret.postgres-password}}@…`
 * is split into literal text and secret references (`secretParts`, in core), which each target
 * writes its own way (a Compose variable, a Kubernetes `secretKeyRef` or `$(VAR)` reference).
 */

/** The variable a secret is passed in: `postgres-password` → `DELOC_SECRET_POSTGRES_PASSWORD`. */
export function secretVar(name: string): string {
  return `DELOC_SECRET_${name.toUpperCase().replace(/[^A-Z0-9]/g, "_")}`;
}
