import type { Adapter } from "../adapters/adapter.js";
import type { Target } from "../core/index.js";
import type { PluginSet } from "../plugins/index.js";
import type { HostFacts } from "../resources/index.js";

/** What every command gets: where it runs and how to write. Commands never touch `process` directly. */
export interface CommandContext {
  cwd: string;
  env: Readonly<Record<string, string | undefined>>;
  home: string;
  version: string;
  /** stdout is a terminal: tables and colour; otherwise plain lines. */
  tty: boolean;
  color: boolean;
  out: (text: string) => void;
  err: (text: string) => void;
  /**
   * Asks a question on the terminal and resolves with the answer (null when the input ended);
   * absent when stdin or stderr is not a terminal: nobody is there to answer.
   */
  ask?: (question: string) => Promise<string | null>;
  /** Seam for tests: the engine of a target. @default engine discovery (`openAdapter`) */
  openEngine?: (target: Target) => Promise<Adapter>;
  /**
   * The plugins the stack file and the user config name, loaded before the command runs (see
   * `cli/plugins.ts`). @default none
   */
  plugins?: PluginSet;
  /** Seam for tests: this machine's memory and CPUs. @default `detectHost` */
  detectHost?: (dataDir: string) => HostFacts;
}

/** Global options every command accepts. */
export interface GlobalOptions {
  json?: boolean;
  file?: string;
}
