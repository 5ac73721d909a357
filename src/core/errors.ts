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
  | "E_ENGINE_UNREACHABLE"
  | "E_IMAGE_UNAVAILABLE"
  | "E_DEPLOY_FAILED"
  | "E_LOCKED"
  | "E_NOT_DEPLOYED"
  | "E_NOT_SCALABLE"
  | "E_BACKUP"
  | "E_BUILDKIT_UNAVAILABLE"
  | "E_INTERRUPTED"
  | "E_TERMINATED"
  | "E_CONFIRMATION_REQUIRED"
  | "E_PLUGIN"
  | "E_INTERNAL";

/**
 * Exit code of each error code: 2 bad input, 3 the stack does not fit, 4 no engine answers, 5 the
 * deploy failed (an image, a build, a health check; a Dockerfile that needs BuildKit where nothing
 * can build with it), 6 another deloc holds the stack, 7 nothing of the stack runs, 8 a backup or
 * restore failed, 9 a plugin could not be loaded or does not fit, 130/143 stopped by SIGINT/SIGTERM,
 * 70 a bug.
 */
export const EXIT_CODES: Readonly<Record<ErrorCode, number>> = {
  E_USAGE: 2,
  E_CONFIG: 2,
  E_FILE_NOT_FOUND: 2,
  E_FILE_EXISTS: 2,
  E_CATALOG: 2,
  E_UNKNOWN_SERVICE: 2,
  E_CYCLE: 2,
  E_INSUFFICIENT_MEMORY: 3,
  E_ENGINE_UNREACHABLE: 4,
  E_IMAGE_UNAVAILABLE: 5,
  E_DEPLOY_FAILED: 5,
  E_LOCKED: 6,
  E_NOT_DEPLOYED: 7,
  E_NOT_SCALABLE: 2,
  E_BACKUP: 8,
  E_BUILDKIT_UNAVAILABLE: 5,
  E_INTERRUPTED: 130,
  E_TERMINATED: 143,
  E_CONFIRMATION_REQUIRED: 2,
  E_PLUGIN: 9,
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
      /** What the other stacks and containers on the engine are limited to, out of the budget already. */
      committedBytes?: number;
      commitments?: readonly { name: string; stack?: string; memoryBytes: number }[];
    },
  ) {
    super(message, hint);
  }
  override toJSON(): Record<string, unknown> {
    return { ...super.toJSON(), ...this.details };
  }
}

/** No container engine answered; `tried` says what discovery looked at and why each was skipped. */
export class EngineUnreachableError extends DelocError {
  readonly code = "E_ENGINE_UNREACHABLE";
  constructor(
    message: string,
    readonly tried: readonly string[],
    hint = "Start Docker (`sudo dockerd &`, or Docker Desktop), or point DOCKER_HOST at a running engine.",
  ) {
    super(`${message}\n${tried.map((t) => `  ${t}`).join("\n")}`, hint);
  }
  override toJSON(): Record<string, unknown> {
    return { ...super.toJSON(), tried: this.tried };
  }
}

export interface MissingImage {
  image: string;
  service: string;
  /** Why it could not be pulled, as the engine said. */
  reason: string;
}

export class ImageUnavailableError extends DelocError {
  readonly code = "E_IMAGE_UNAVAILABLE";
  constructor(readonly missing: readonly MissingImage[]) {
    super(
      `${missing.length === 1 ? "An image is" : `${missing.length} images are`} not on this engine and could not be pulled:\n${missing
        .map((m) => `  ${m.image} (service ${m.service}): ${m.reason}`)
        .join("\n")}`,
      "Load each (`docker load -i image.tar`), build it (`npm run images` builds the catalog images DELoc has recipes for; or give the service a `build:` context in deloc.yaml), or set `image:` to one you have (`docker images`). Nothing was changed.",
    );
  }
  override toJSON(): Record<string, unknown> {
    return { ...super.toJSON(), missing: this.missing };
  }
}

/** A line of a Dockerfile that only BuildKit can build. */
export interface BuildKitNeed {
  /** As the docs name it: `RUN --mount`, `COPY --link`, `heredoc (<<EOF)`, `# syntax=…`. */
  feature: string;
  /** The Dockerfile, as the user would open it. */
  file: string;
  /** 1-based; the line where the instruction starts. */
  line: number;
}

/**
 * A Dockerfile uses BuildKit-only features and nothing here can build with BuildKit (no docker CLI
 * that can, or DOCKER_BUILDKIT=0). Raised before the build starts: nothing was changed.
 */
export class BuildKitUnavailableError extends DelocError {
  readonly code = "E_BUILDKIT_UNAVAILABLE";
  constructor(
    readonly image: string,
    readonly needs: readonly BuildKitNeed[],
    /** Why no BuildKit client was found, e.g. "no docker CLI on PATH". */
    readonly why: string,
  ) {
    super(
      `Cannot build ${image}: its Dockerfile needs BuildKit, which cannot be used here (${why}):\n${needs
        .map((n) => `  ${n.file}:${n.line} ${n.feature}`)
        .join("\n")}`,
      why.startsWith("DOCKER_BUILDKIT=")
        ? "Unset DOCKER_BUILDKIT (or set it to 1) so that the build uses BuildKit, or rewrite the lines above without these features. Nothing was changed."
        : "Install a docker CLI that builds with BuildKit: the buildx plugin (Docker's docker-buildx-plugin, or Debian's docker-buildx from trixie on; `docker buildx version` must answer), or a docker CLI before 23 (Debian bookworm's docker.io), which builds with DOCKER_BUILDKIT=1. Or rewrite the lines above without these features. Nothing was changed.",
    );
  }
  override toJSON(): Record<string, unknown> {
    return { ...super.toJSON(), image: this.image, needs: this.needs, why: this.why };
  }
}

/** Why a service failed to come up: what the health check said, the exit, the last log lines. */
export interface ServiceFailure {
  service: string;
  reason:
    | "unhealthy"
    | "exited"
    | "killed"
    | "oom-killed"
    | "restart-loop"
    | "create-failed"
    | "build-failed"
    | "engine-unreachable";
  message: string;
  exitCode?: number;
  memoryLimitBytes?: number;
  suggestedMemoryBytes?: number;
  healthOutput?: string;
  logTail: string[];
}

export class DeployFailedError extends DelocError {
  readonly code = "E_DEPLOY_FAILED";
  constructor(
    readonly failures: readonly ServiceFailure[],
    readonly rolledBack: readonly string[],
    hint: string,
  ) {
    super(
      failures
        .map((f) => {
          const lines = [`${f.service}: ${f.message}`];
          if (f.healthOutput)
            lines.push(`  health check said: ${f.healthOutput.trim().split("\n").slice(-3).join(" | ")}`);
          if (f.suggestedMemoryBytes)
            lines.push(
              `  try resources: { memory: ${Math.ceil(f.suggestedMemoryBytes / 1024 / 1024)}Mi } for ${f.service} in the stack file`,
            );
          if (f.logTail.length) lines.push("  last log lines:", ...f.logTail.map((l) => `    ${l}`));
          return lines.join("\n");
        })
        .join("\n"),
      hint,
    );
  }
  override toJSON(): Record<string, unknown> {
    return { ...super.toJSON(), failures: this.failures, rolledBack: this.rolledBack };
  }
}

export class LockedError extends DelocError {
  readonly code = "E_LOCKED";
  constructor(
    readonly stackName: string,
    readonly holder: { pid: number; command: string; since: string },
  ) {
    super(
      `Another deloc (pid ${holder.pid}, \`${holder.command}\`, since ${holder.since}) is working on stack ${stackName}.`,
      "Wait for it to finish, or stop it. A lock left by a process that is gone is taken over by itself.",
    );
  }
}

export class NotDeployedError extends DelocError {
  readonly code = "E_NOT_DEPLOYED";
}

export class NotScalableError extends DelocError {
  readonly code = "E_NOT_SCALABLE";
}

export class BackupError extends DelocError {
  readonly code = "E_BACKUP";
}

/** The user stopped the command (Ctrl-C, or SIGTERM); what it had done was undone. */
export class InterruptedError extends DelocError {
  readonly code: "E_INTERRUPTED" | "E_TERMINATED";
  constructor(
    readonly signal: "SIGINT" | "SIGTERM",
    readonly rolledBack: readonly string[],
  ) {
    super(
      `Stopped by ${signal}.${rolledBack.length ? ` Rolled back ${rolledBack.join(", ")}; what ran before is as it was.` : " Nothing had changed."}`,
      "`deloc up` starts again from what runs now.",
    );
    this.code = signal === "SIGINT" ? "E_INTERRUPTED" : "E_TERMINATED";
  }
}

/** A bug in DELoc, not something the user did. */
/** A command that destroys data was run without a terminal to ask on and without `--yes`. */
export class ConfirmationRequiredError extends DelocError {
  readonly code = "E_CONFIRMATION_REQUIRED";
}

/**
 * A plugin named in the stack file or the user config was not found, could not be imported, or does
 * not fit this DELoc (plugin API version, supported DELoc versions, what it exports).
 */
export class PluginError extends DelocError {
  readonly code = "E_PLUGIN";
  constructor(
    /** The plugin's package name. */
    readonly plugin: string,
    message: string,
    hint: string,
  ) {
    super(message, hint);
  }
  override toJSON(): Record<string, unknown> {
    return { ...super.toJSON(), plugin: this.plugin };
  }
}

export class InternalError extends DelocError {
  readonly code = "E_INTERNAL";
}

export function isDelocError(e: unknown): e is DelocError {
  return e instanceof DelocError;
}
