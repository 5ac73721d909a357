/**
 * Helm, when it is installed: the stack goes to the cluster as a release of the chart `deloc export
 * helm` writes, so `helm list`, `helm history` and `helm rollback` know it. Run as a child process
 * (asynchronously: the engine goes on waiting and rendering meanwhile).
 */
import { execFile } from "node:child_process";
import fs from "node:fs";
import path from "node:path";
import { promisify } from "node:util";
import { stringify } from "yaml";
import { DeployFailedError, type Plan } from "../../core/index.js";
import { helmChart } from "../../export/helm/chart.js";

const run = promisify(execFile);

/** `DELOC_HELM`, or `helm` on the PATH; null: none (server-side apply is used). */
export function findHelm(env: Readonly<Record<string, string | undefined>>): string | null {
  if (env.DELOC_HELM) return env.DELOC_HELM;
  for (const dir of (env.PATH ?? "").split(path.delimiter))
    if (dir && fs.existsSync(path.join(dir, "helm"))) return path.join(dir, "helm");
  return null;
}

/** `helm upgrade --install` of the plan's chart, written under `stateDir/chart`; returns Helm's STATUS line. */
export async function helmInstall(
  helm: string,
  plan: Plan,
  namespace: string,
  secrets: Readonly<Record<string, string>>,
  stateDir: string,
): Promise<string> {
  const dir = path.join(stateDir, "chart", plan.stack);
  fs.rmSync(dir, { recursive: true, force: true });
  for (const [name, text] of Object.entries(helmChart(plan))) {
    fs.mkdirSync(path.dirname(path.join(dir, name)), { recursive: true });
    fs.writeFileSync(path.join(dir, name), text);
  }
  // The stack's own secrets, so the data made on an earlier deploy stays readable.
  const values = path.join(stateDir, "helm-secrets.yaml");
  fs.writeFileSync(values, stringify({ secrets }), { mode: 0o600 });
  const args = [
    "upgrade",
    "--install",
    plan.stack,
    dir,
    "--namespace",
    namespace,
    "--create-namespace",
    // Claims kept from a deploy without Helm (or from an earlier release) are adopted.
    "--take-ownership",
    "-f",
    values,
  ];
  try {
    const { stdout } = await run(helm, args, { encoding: "utf8" });
    return `helm upgrade --install ${plan.stack}: ${stdout.split("\n").find((l) => l.startsWith("STATUS")) ?? "done"}`;
  } catch (e) {
    const err = e as { stderr?: string; message?: string };
    throw new DeployFailedError(
      [
        {
          service: plan.stack,
          reason: "create-failed",
          message: `helm ${args.slice(0, 3).join(" ")} failed: ${(err.stderr || err.message || "").trim()}`,
          logTail: [],
        },
      ],
      [],
      "The chart is in .deloc/chart; `helm lint` it, or unset DELOC_HELM to apply without Helm.",
    );
  }
}

/** `helm uninstall` of the stack's release; false when there is none. */
export async function helmUninstall(helm: string, stack: string, namespace: string): Promise<boolean> {
  return run(helm, ["uninstall", stack, "--namespace", namespace], { encoding: "utf8" }).then(
    () => true,
    () => false,
  );
}

/** The release's current revision, or null when the stack has no release. */
export async function helmRevision(helm: string, stack: string, namespace: string): Promise<number | null> {
  return run(helm, ["status", stack, "--namespace", namespace, "-o", "json"], { encoding: "utf8" }).then(
    ({ stdout }) => (JSON.parse(stdout) as { version?: number }).version ?? null,
    () => null,
  );
}

/** `helm rollback` of the stack's release to `revision`; returns Helm's line. */
export async function helmRollback(
  helm: string,
  stack: string,
  namespace: string,
  revision: number,
): Promise<string> {
  const { stdout } = await run(helm, ["rollback", stack, String(revision), "--namespace", namespace], {
    encoding: "utf8",
  });
  return stdout.trim() || `helm rollback ${stack} ${revision}: done`;
}
