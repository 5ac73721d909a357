/**
 * `deloc export compose|helm|k8s`: the stack's Plan written for another target. The projections
 * are pure (src/export); this module plans, picks the stack's secrets and writes the files, never
 * over a file DELoc did not write unless `--force`.
 */
import fs from "node:fs";
import path from "node:path";
import { FileExistsError } from "../../core/index.js";
import { writeFileAtomic } from "../../engine/atomic-file.js";
import { ensureSecrets } from "../../engine/secrets.js";
import { composeEnvFile, composeFile } from "../../export/compose/compose.js";
import { helmChart } from "../../export/helm/chart.js";
import { k8sManifests } from "../../export/k8s/manifests.js";
import type { CommandRun } from "../command.js";
import type { CommandContext } from "../context.js";
import { planPortable } from "./plan.js";

/** First line of every file DELoc exports: what may be overwritten without `--force`. */
const MARK = "written by `deloc export";

export const exportCompose: CommandRun = async (ctx, _args, opts) => {
  const { stack, plan } = planPortable(ctx, opts);
  const out = typeof opts.output === "string" ? opts.output : "compose.yaml";
  if (out === "-") {
    ctx.out(
      composeFile(plan, { baseDir: stack.dir, noStartInterval: opts.startInterval === false }).trimEnd(),
    );
    return 0;
  }
  const file = path.resolve(ctx.cwd, out);
  const dir = path.dirname(file);
  refuseForeign(ctx, file, opts);
  const envFile = path.join(dir, ".env");
  const secrets = ensureSecrets(stack.dir, plan.secrets);
  writeFileAtomic(file, composeFile(plan, { baseDir: dir, noStartInterval: opts.startInterval === false }));
  const existing = fs.existsSync(envFile) ? fs.readFileSync(envFile, "utf8") : "";
  writeFileAtomic(envFile, composeEnvFile(plan, secrets, existing), 0o600);
  ctx.out(
    `Wrote ${shown(ctx, file)} (${plan.services.length} services) and the stack's secrets to ${shown(ctx, envFile)} (mode 0600).`,
  );
  ctx.out(`Next: docker compose -f ${shown(ctx, file)} up -d --wait`);
  return 0;
};

export const exportHelm: CommandRun = async (ctx, _args, opts) => {
  const { plan } = planPortable(ctx, opts);
  const dir = path.resolve(
    ctx.cwd,
    typeof opts.output === "string" ? opts.output : path.join("chart", plan.stack),
  );
  refuseForeign(ctx, path.join(dir, "Chart.yaml"), opts);
  const files = helmChart(plan);
  // Templates of services no longer in the stack must not linger in the chart.
  fs.rmSync(path.join(dir, "templates"), { recursive: true, force: true });
  for (const [name, text] of Object.entries(files)) writeFileAtomic(path.join(dir, name), text);
  ctx.out(`Wrote the ${plan.stack} chart to ${shown(ctx, dir)} (${Object.keys(files).length} files).`);
  ctx.out(
    `Next: helm upgrade --install ${plan.stack} ${shown(ctx, dir)} --namespace ${plan.stack} --create-namespace`,
  );
  return 0;
};

export const exportK8s: CommandRun = async (ctx, _args, opts) => {
  const { stack, plan } = planPortable(ctx, opts);
  const namespace = typeof opts.namespace === "string" ? opts.namespace : "default";
  const out = typeof opts.output === "string" ? opts.output : "-";
  // Made in any case, so that the printed manifests' note (how to create their Secret) works.
  const secrets = ensureSecrets(stack.dir, plan.secrets);
  // Printed, the manifests leave the Secret's values out unless asked for; a file keeps them (0600).
  const text = k8sManifests(plan, {
    namespace,
    secrets: out !== "-" || opts.showSecrets === true ? secrets : null,
  });
  if (out === "-") {
    ctx.out(text.trimEnd());
    return 0;
  }
  const file = path.resolve(ctx.cwd, out);
  refuseForeign(ctx, file, opts);
  writeFileAtomic(file, text, 0o600);
  ctx.out(`Wrote ${shown(ctx, file)} (mode 0600: it holds the stack's secrets).`);
  ctx.out(`Next: kubectl apply --namespace ${namespace} -f ${shown(ctx, file)}`);
  return 0;
};

function shown(ctx: CommandContext, file: string): string {
  return path.relative(ctx.cwd, file) || file;
}

function refuseForeign(ctx: CommandContext, file: string, opts: Record<string, unknown>): void {
  if (opts.force || !fs.existsSync(file)) return;
  const head = fs.readFileSync(file, "utf8").split("\n", 1)[0] ?? "";
  if (!head.includes(MARK))
    throw new FileExistsError(
      `${shown(ctx, file)} exists and was not written by deloc export; nothing was written.`,
      "Pass --force to overwrite it, or -o to write elsewhere.",
    );
}
