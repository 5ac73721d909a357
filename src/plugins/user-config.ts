/**
 * The user-level config: `$XDG_CONFIG_HOME/deloc/config.yaml` (`~/.config/deloc/config.yaml`), which
 * names the plugins every stack loads. Plugins it names are installed in its folder
 * (`npm install --prefix ~/.config/deloc deloc-plugin-…`). A missing file is no config.
 */
import fs from "node:fs";
import path from "node:path";
import { load } from "js-yaml";
import { z } from "zod";
import { ConfigError } from "../core/index.js";

const userConfigSchema = z.strictObject({
  /** npm packages every stack loads as plugins, after the stack file's own. @default [] */
  plugins: z.array(z.string().min(1)).optional(),
});

export interface UserConfig {
  /** The file, absolute (whether or not it exists). */
  file: string;
  /** Its folder: where the plugins it names are installed. */
  dir: string;
  plugins: string[];
}

/** Where the user config is: `$XDG_CONFIG_HOME/deloc/`, else `~/.config/deloc/`. */
export function userConfigDir(env: Readonly<Record<string, string | undefined>>, home: string): string {
  const base =
    env.XDG_CONFIG_HOME && path.isAbsolute(env.XDG_CONFIG_HOME)
      ? env.XDG_CONFIG_HOME
      : path.join(home, ".config");
  return path.join(base, "deloc");
}

/** The user config, checked; throws ConfigError (exit 2) naming the file when it is not valid. */
export function readUserConfig(env: Readonly<Record<string, string | undefined>>, home: string): UserConfig {
  const dir = userConfigDir(env, home);
  const file = path.join(dir, "config.yaml");
  let text: string;
  try {
    text = fs.readFileSync(file, "utf8");
  } catch {
    return { file, dir, plugins: [] };
  }
  let data: unknown;
  try {
    data = load(text) ?? {};
  } catch (e) {
    throw new ConfigError(file, [{ path: "", message: `the YAML cannot be read: ${(e as Error).message}` }]);
  }
  const result = userConfigSchema.safeParse(data);
  if (!result.success)
    throw new ConfigError(
      file,
      result.error.issues.map((i) => ({
        path: i.path.map(String).join("."),
        message:
          i.code === "unrecognized_keys"
            ? `unknown key(s) ${i.keys.join(", ")} (the user config has plugins:)`
            : i.message,
      })),
    );
  return { file, dir, plugins: result.data.plugins ?? [] };
}
