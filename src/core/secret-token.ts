/**
 * `{{secret.NAME}}`: how planned text (env values, endpoint URLs, health commands) refers to a
 * stack secret, whose value exists only at deploy time. The engine resolves, masks and reads back
 * the tokens; each export writes them its own way (a Compose variable, a `secretKeyRef`).
 */

/** Global: use it with `replace`, `matchAll` or `split`, never with `test` or `exec`. */
export const SECRET_TOKEN = /\{\{secret\.([A-Za-z0-9_.-]+)\}\}/g;

export type SecretPart = { text: string } | { secret: string };

/** A planned value as literal text and secret references, in order. */
export function secretParts(value: string): SecretPart[] {
  const parts: SecretPart[] = [];
  let last = 0;
  for (const m of value.matchAll(SECRET_TOKEN)) {
    if (m.index > last) parts.push({ text: value.slice(last, m.index) });
    parts.push({ secret: m[1]! });
    last = m.index + m[0].length;
  }
  if (last < value.length) parts.push({ text: value.slice(last) });
  return parts;
}
