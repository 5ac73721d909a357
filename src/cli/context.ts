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
}

/** Global options every command accepts. */
export interface GlobalOptions {
  json?: boolean;
  file?: string;
}
