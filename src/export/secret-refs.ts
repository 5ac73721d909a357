/**
 * Secrets in exported files: a planned value such as `postgresql://deloc:{{secret.postgres-password}}@…`
 * is split into literal text and secret references, which each target writes its own way (a
 * Compose variable, a Kubernetes `secretKeyRef` or `$(VAR)` reference).
 */

const TOKEN = /\{\{secret\.([A-Za-z0-9_.-]+)\}\}/g;

export type EnvPart = { text: string } | { secret: string };

export function envParts(value: string): EnvPart[] {
  const parts: EnvPart[] = [];
  let last = 0;
  for (const m of value.matchAll(TOKEN)) {
    if (m.index > last) parts.push({ text: value.slice(last, m.index) });
    parts.push({ secret: m[1]! });
    last = m.index + m[0].length;
  }
  if (last < value.length) parts.push({ text: value.slice(last) });
  return parts;
}

/** The variable a secret is passed in: `postgres-password` → `DELOC_SECRET_POSTGRES_PASSWORD`. */
export function secretVar(name: string): string {
  return `DELOC_SECRET_${name.toUpperCase().replace(/[^A-Z0-9]/g, "_")}`;
}
