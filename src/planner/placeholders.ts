/**
 * `{{…}}` placeholders in template text. `{{secret.NAME}}` is kept as a token (secret values exist
 * only at deploy time); names that are not placeholders of ours are left as they are.
 */
export interface PlaceholderContext {
  service: string;
  stack: string;
  /** Port name (or container port as text) → host port, or container port when unpublished. */
  hostPorts: ReadonlyMap<string, number>;
  containerPorts: ReadonlyMap<string, number>;
  env: Readonly<Record<string, string>>;
}

const PLACEHOLDER = /\{\{\s*([a-zA-Z]+)(?:\.([A-Za-z0-9_.-]+))?\s*\}\}/g;

export function resolvePlaceholders(text: string, ctx: PlaceholderContext, problems: string[]): string {
  return text.replace(PLACEHOLDER, (whole, kind: string, arg: string | undefined) => {
    switch (kind) {
      case "service":
        return ctx.service;
      case "stack":
        return ctx.stack;
      case "port":
      case "containerPort": {
        const port = (kind === "port" ? ctx.hostPorts : ctx.containerPorts).get(arg ?? "");
        if (port === undefined) problems.push(`${whole} names no port of ${ctx.service}`);
        return String(port ?? "");
      }
      case "env": {
        const value = ctx.env[arg ?? ""];
        if (value === undefined) problems.push(`${whole}: ${ctx.service} has no env ${arg}`);
        // Env values may themselves hold secret tokens; those stay tokens.
        return value ?? "";
      }
      default:
        return whole;
    }
  });
}

const SECRET = /\{\{\s*secret\.([A-Za-z0-9_.-]+)\s*\}\}/g;

/** Names of the secrets a text refers to. */
export function secretsIn(text: string): string[] {
  return [...text.matchAll(SECRET)].map((m) => m[1]!);
}

/** Replaces secret tokens, e.g. with `••••` for display or with values at deploy time. */
export function replaceSecrets(text: string, value: (name: string) => string): string {
  return text.replace(SECRET, (_, name: string) => value(name));
}
