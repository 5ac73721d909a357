/**
 * The Plan as a Compose-spec file: what `deloc up` runs, for `docker compose up`. Start order
 * survives as `depends_on` conditions, readiness as health checks (with their start interval),
 * sizing as `deploy.resources`; secrets are Compose variables, set in an env file. Pure and
 * deterministic: the same Plan gives the same text (keys sorted, no timestamps).
 */
import path from "node:path";
import type { DependencyCondition, Plan, PlannedService } from "../../core/index.js";
import { Cpu, containerSecurity, Duration, secretParts } from "../../core/index.js";
import { secretVar } from "../secret-refs.js";
import { yamlText } from "../yaml-text.js";

export interface ComposeOptions {
  /** Folder the compose file is written to: host paths under it are written relative to it. */
  baseDir: string;
  /** Leave out `start_interval`, which Docker Engine before 25 refuses. */
  noStartInterval?: boolean;
}

const CONDITION: Record<DependencyCondition, string> = {
  healthy: "service_healthy",
  started: "service_started",
  completed: "service_completed_successfully",
};

export function composeFile(plan: Plan, opts: ComposeOptions): string {
  const volumes = Object.fromEntries(plan.volumes.map((v) => [v, {}]));
  const doc = {
    name: plan.stack,
    services: Object.fromEntries(plan.services.map((s) => [s.name, composeService(s, opts)])),
    ...(plan.volumes.length ? { volumes } : {}),
  };
  const header = [
    `# The ${plan.stack} stack as \`deloc up\` runs it (profile ${plan.profile}), written by \`deloc export compose\`.`,
    "# Secrets are the DELOC_SECRET_* variables, read by Compose from the .env file beside this one.",
  ];
  return `${header.join("\n")}\n${yamlText(doc, { sortMapEntries: true })}`;
}

function composeService(s: PlannedService, opts: ComposeOptions): Record<string, unknown> {
  const out: Record<string, unknown> = { image: s.image };
  if (s.build)
    out.build = {
      context: hostPath(s.build.context, opts.baseDir),
      ...(s.build.dockerfile ? { dockerfile: s.build.dockerfile } : {}),
      ...(s.build.target ? { target: s.build.target } : {}),
      ...(Object.keys(s.build.args).length ? { args: s.build.args } : {}),
    };
  if (s.entrypoint) out.entrypoint = s.entrypoint.map(escapeDollars);
  if (s.command) out.command = s.command.map(escapeDollars);
  if (Object.keys(s.env).length)
    out.environment = Object.fromEntries(Object.entries(s.env).map(([k, v]) => [k, composeValue(v)]));
  if (s.ports.length)
    out.ports = s.ports.map((p) => ({
      ...(p.name ? { name: p.name } : {}),
      target: p.container,
      published: s.replicas > 1 ? `${p.host}-${p.host + s.replicas - 1}` : String(p.host),
      host_ip: p.hostIp,
      protocol: p.protocol,
    }));
  if (s.volumes.length)
    out.volumes = s.volumes.map((v) =>
      v.type === "tmpfs"
        ? { type: "tmpfs", target: v.target }
        : {
            type: v.type,
            source: v.type === "bind" ? hostPath(v.source, opts.baseDir) : v.source,
            target: v.target,
            ...(v.readOnly ? { read_only: true } : {}),
          },
    );
  if (s.healthCheck) {
    const h = s.healthCheck;
    out.healthcheck = {
      test: ["CMD", ...h.command.map(escapeDollars)],
      interval: Duration.ms(h.intervalMs).toString(),
      timeout: Duration.ms(h.timeoutMs).toString(),
      retries: h.retries,
      start_period: Duration.ms(h.startPeriodMs).toString(),
      ...(opts.noStartInterval ? {} : { start_interval: Duration.ms(h.startIntervalMs).toString() }),
    };
  }
  if (s.dependsOn.length)
    out.depends_on = Object.fromEntries(
      s.dependsOn.map((d) => [d.service, { condition: CONDITION[d.condition] }]),
    );
  out.deploy = {
    replicas: s.replicas,
    resources: {
      limits: { memory: bytes(s.memoryBytes), cpus: Cpu.millis(s.cpuMillis).toString() },
      reservations: { memory: bytes(s.memoryMinBytes) },
    },
  };
  out.restart = s.restart;
  const security = containerSecurity(s);
  out.security_opt = ["no-new-privileges:true"];
  out.cap_drop = security.capDrop;
  if (security.capAdd.length) out.cap_add = security.capAdd;
  return out;
}

/** A planned value with each secret as a Compose variable and any other `$` escaped. */
function composeValue(value: string): string {
  return secretParts(value)
    .map((p) =>
      "secret" in p
        ? `\${${secretVar(p.secret)}:?is set in .env by deloc export compose}`
        : escapeDollars(p.text),
    )
    .join("");
}

/** Compose interpolates `$` everywhere; a literal one is written `$$`. */
function escapeDollars(text: string): string {
  return text.replaceAll("$", "$$$$");
}

function hostPath(p: string, baseDir: string): string {
  const rel = path.relative(baseDir, p);
  if (rel === "") return ".";
  return rel.startsWith("..") || path.isAbsolute(rel) ? p : `./${rel.split(path.sep).join("/")}`;
}

/** Compose's byte form: whole MiB as `768m`, otherwise bytes. */
function bytes(n: number): string {
  return n % 2 ** 20 === 0 ? `${n / 2 ** 20}m` : `${n}b`;
}

/**
 * The `.env` Compose reads beside the file, with the stack's secrets: lines of an existing file
 * that are not DELoc's are kept as they were.
 */
export function composeEnvFile(plan: Plan, secrets: Readonly<Record<string, string>>, existing = ""): string {
  const ours = new Map(plan.secrets.map((s) => [secretVar(s.name), secrets[s.name] ?? ""]));
  const kept = existing
    .split("\n")
    .filter((line) => line !== "" && !ours.has(/^\s*([A-Za-z_][A-Za-z0-9_]*)\s*=/.exec(line)?.[1] ?? ""))
    .filter((line) => line !== ENV_HEADER);
  return `${[...kept, ENV_HEADER, ...[...ours].map(([k, v]) => `${k}=${v}`)].join("\n")}\n`;
}

const ENV_HEADER = "# deloc: the stack's secrets (deloc export compose); keep this file private";
