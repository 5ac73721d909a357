/** What a command is: its options, what it completes, and how its module runs it. */
import type { CommandContext } from "./context.js";

export type CommandRun = (
  ctx: CommandContext,
  args: string[],
  opts: Record<string, unknown>,
) => Promise<number>;

export type Completion = "services" | "recipes" | "profiles" | "strategies" | "targets" | "shells" | "files";

export interface OptionDef {
  flags: string;
  description: string;
  completes?: Completion;
}

export interface CommandDef {
  name: string;
  summary: string;
  /** Positional arguments as commander writes them, e.g. `[service]`. */
  args?: string;
  argCompletes?: Completion;
  options: OptionDef[];
  /** Read commands print JSON with `--json`. */
  json?: boolean;
  hidden?: boolean;
  aliases?: string[];
  subcommands?: CommandDef[];
  /** Options after the first argument belong to it (`deloc exec app ls -la`), not to deloc. */
  passThrough?: boolean;
  load?: () => Promise<CommandRun>;
}
