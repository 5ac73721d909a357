/**
 * Errors a user can cause carry a stable `code`; `cli/errors.ts` turns each into a message with a
 * remedy and a documented exit code. Anything else that escapes is a bug (`InternalError`).
 */

/** Stable error codes. Documented in the README with their exit codes; never renamed. */
export type ErrorCode =
  | "E_USAGE"
  | "E_CONFIG"
  | "E_FILE_NOT_FOUND"
  | "E_FILE_EXISTS"
  | "E_CATALOG"
  | "E_UNKNOWN_SERVICE"
  | "E_CYCLE"
  | "E_INSUFFICIENT_MEMORY"
  | "E_INTERNAL";

/** Exit code of each error code: 2 for bad input, 3 for a stack that does not fit, 70 for a bug. */
export const EXIT_CODES: Readonly<Record<ErrorCode, number>> = {
  E_USAGE: 2,
  E_CONFIG: 2,
  E_FILE_NOT_FOUND: 2,
  E_FILE_EXISTS: 2,
  E_CATALOG: 2,
  E_UNKNOWN_SERVICE: 2,
  E_CYCLE: 2,
  E_INSUFFICIENT_MEMORY: 3,
  E_INTERNAL: 70,
};

export abstract class DelocError extends Error {
  abstract readonly code: ErrorCode;
  /** What the user can do about it; rendered after the message. */
  readonly hint: string | undefined;

  constructor(message: string, hint?: string) {
    super(message);
    this.name = new.target.name;
    this.hint = hint;
  }

  /** Structured data for `--json` output. */
  toJSON(): Record<string, unknown> {
    return { code: this.code, message: this.message, ...(this.hint ? { hint: this.hint } : {}) };
  }
}

/** A position in a source file, 1-based. */
export interface SourcePosition {
  file: string;
  line: number;
  column: number;
}

/** One problem found in a stack file or catalog template. */
export interface Diagnostic {
  /** Dotted path of the offending value, e.g. `spec.services.kafka.resources.memory`. */
  path: string;
  message: string;
  position?: SourcePosition;
  suggestion?: string;
}

export function formatDiagnostic(d: Diagnostic): string {
  const where = d.position ? `${d.position.file}:${d.position.line}:${d.position.column} ` : "";
  const path = d.path ? `${d.path}: ` : "";
  const suggestion = d.suggestion ? ` (${d.suggestion})` : "";
  return `${where}${path}${d.message}${suggestion}`;
}

export class UsageError extends DelocError {
  readonly code = "E_USAGE";
}

/** Every problem found while loading a stack file, collected rather than thrown one by one. */
export class ConfigError extends DelocError {
  readonly code: "E_CONFIG" | "E_CATALOG";
  constructor(
    readonly file: string,
    readonly diagnostics: readonly Diagnostic[],
    kind: "stack" | "catalog" = "stack",
  ) {
    const count = diagnostics.length;
    super(
      `${file} has ${count} ${count === 1 ? "error" : "errors"}:\n${diagnostics.map((d) => `  ${formatDiagnostic(d)}`).join("\n")}`,
      kind === "stack"
        ? "Fix the lines above; `deloc catalog` lists the services you can use."
        : "Fix the template file named above.",
    );
    this.code = kind === "stack" ? "E_CONFIG" : "E_CATALOG";
  }
  override toJSON(): Record<string, unknown> {
    return { ...super.toJSON(), file: this.file, diagnostics: this.diagnostics };
  }
}

export class FileNotFoundError extends DelocError {
  readonly code = "E_FILE_NOT_FOUND";
}

export class FileExistsError extends DelocError {
  readonly code = "E_FILE_EXISTS";
}

export class UnknownServiceError extends DelocError {
  readonly code = "E_UNKNOWN_SERVICE";
  constructor(
    readonly service: string,
    suggestion: string | undefined,
  ) {
    super(
      `Unknown service "${service}"${suggestion ? `; did you mean "${suggestion}"?` : "."}`,
      "`deloc catalog` lists the services you can use.",
    );
  }
}

export class CycleError extends DelocError {
  readonly code = "E_CYCLE";
  constructor(readonly cycle: readonly string[]) {
    super(
      `Services depend on each other in a cycle: ${cycle.join(" -> ")}`,
      "Remove one of these dependsOn entries so that the services can start in order.",
    );
  }
  override toJSON(): Record<string, unknown> {
    return { ...super.toJSON(), cycle: this.cycle };
  }
}

export interface MemoryNeed {
  service: string;
  replicas: number;
  /** The smallest memory the service can run in, for all its replicas. */
  minimumBytes: number;
}

export class InsufficientMemoryError extends DelocError {
  readonly code = "E_INSUFFICIENT_MEMORY";
  constructor(
    message: string,
    hint: string,
    readonly details: {
      budgetBytes: number;
      neededBytes: number;
      shortfallBytes: number;
      profile: string;
      needs: readonly MemoryNeed[];
    },
  ) {
    super(message, hint);
  }
  override toJSON(): Record<string, unknown> {
    return { ...super.toJSON(), ...this.details };
  }
}

/** A bug in DELoc, not something the user did. */
export class InternalError extends DelocError {
  readonly code = "E_INTERNAL";
}

export function isDelocError(e: unknown): e is DelocError {
  return e instanceof DelocError;
}
