/**
 * `deloc import compose [FILE…]`: compose files → a commented deloc.yaml that plans. The import is
 * pure (src/import); this module finds the files, checks the result the way `plan` loads a stack
 * (a service whose catalog mapping does not load is imported again as a custom service, and says
 * so), writes it, and lists what could not be carried.
 */
import fs from "node:fs";
import path from "node:path";
import { type Catalog, catalogIndex } from "../../catalog/index.js";
import { checkAgainstCatalog, isStackName, loadStackText, STACK_NAME_RULE } from "../../config/index.js";
import {
  ConfigError,
  type Diagnostic,
  FileNotFoundError,
  isDelocError,
  UsageError,
} from "../../core/index.js";
import { writeFileAtomic } from "../../engine/atomic-file.js";
import { at, ComposeLoadError, type ImportResult, importCompose, type Note } from "../../import/index.js";
import { checkAddresses, plan } from "../../planner/index.js";
import { portableBudget } from "../../resources/index.js";
import type { CommandRun } from "../command.js";
import type { CommandContext } from "../context.js";
import { loadCatalogFor, newFileFor } from "../project.js";

/** The files Compose reads when none is given, in its order of preference. */
const DEFAULT_FILES = ["compose.yaml", "compose.yml", "docker-compose.yaml", "docker-compose.yml"];
const OVERRIDES: Record<string, string> = {
  "compose.yaml": "compose.override.yaml",
  "compose.yml": "compose.override.yml",
  "docker-compose.yaml": "docker-compose.override.yaml",
  "docker-compose.yml": "docker-compose.override.yml",
};

export const importComposeCommand: CommandRun = async (ctx, args, opts) => {
  const files = composeFiles(ctx, args);
  const { file: out, shown: shownOut } = newFileFor(
    ctx,
    opts,
    opts.output,
    "deloc.yaml",
    "Pass --force to overwrite it, or -o to write elsewhere.",
  );
  const name = typeof opts.name === "string" ? opts.name : undefined;
  if (name !== undefined && !isStackName(name))
    throw new UsageError(`--name must be ${STACK_NAME_RULE} (got "${name}").`);
  const profiles = [
    ...(typeof opts.profile === "string" ? opts.profile.split(",") : []),
    ...(ctx.env.COMPOSE_PROFILES ?? "").split(","),
  ]
    .map((p) => p.trim())
    .filter(Boolean);
  const catalog = loadCatalogFor(ctx);
  const read = (f: string) => {
    try {
      return fs.statSync(f).isFile() ? fs.readFileSync(f, "utf8") : undefined;
    } catch {
      return undefined;
    }
  };

  const shownFiles = files.map((f) => path.relative(ctx.cwd, f) || f).join(", ");
  const custom = new Set<string>();
  const demoted: Note[] = [];
  let result: ImportResult;
  for (;;) {
    try {
      result = importCompose({
        files,
        out,
        cwd: ctx.cwd,
        env: ctx.env,
        profiles,
        catalog,
        read,
        custom,
        notes: demoted,
        ...(name ? { name } : {}),
      });
    } catch (e) {
      if (e instanceof ComposeLoadError) throw new ConfigError(shownFiles, e.diagnostics);
      throw e;
    }
    const errors = check(ctx, result.text, out, catalog);
    if (!errors.length) break;
    // A catalog mapping that does not load (a template requiring a service the file lacks…) is
    // imported again as a custom service.
    const named = (s: { name: string }) =>
      errors.some(
        (d) => d.path.startsWith(`spec.services.${s.name}.`) || d.path === `spec.services.${s.name}`,
      );
    const mentioned = (s: { name: string }) => errors.some((d) => d.message.includes(s.name));
    const candidates = result.services.filter((s) => !custom.has(s.name) && s.template !== undefined);
    const culprit = candidates.find(named) ?? candidates.find(mentioned);
    if (!culprit)
      throw new ConfigError(
        shownFiles,
        errors.map((d) => atCompose(d, result)),
      );
    custom.add(culprit.name);
    demoted.push({
      where: culprit.where,
      service: culprit.name,
      key: "image",
      why: `as the catalog's service it does not load (${errors[0]?.message}); imported as a custom service`,
    });
  }
  writeFileAtomic(out, result.text);
  report(ctx, result, files, shownOut);
  return 0;
};

/** A problem of the imported stack, shown at the compose service it comes from. */
function atCompose(d: Diagnostic, r: ImportResult): Diagnostic {
  const name = /^spec\.services\.([^.]+)/.exec(d.path)?.[1];
  const svc = r.services.find((s) => s.name === name);
  const { position: _, ...rest } = d;
  return {
    ...rest,
    path: d.path.replace(/^spec\.services\./, "services."),
    ...(svc ? { position: { file: svc.where.file, line: svc.where.line, column: 1 } } : {}),
  };
}

function check(ctx: CommandContext, text: string, out: string, catalog: Catalog): Diagnostic[] {
  const loaded = loadStackText(text, {
    file: out,
    display: path.basename(out),
    cwd: path.dirname(out),
    env: {},
    home: ctx.home,
  });
  if (!loaded.ok) return loaded.errors;
  const errors = checkAgainstCatalog(loaded.stack, catalogIndex(catalog), loaded.locate);
  if (!errors.length) errors.push(...checkAddresses(loaded.stack, catalog, loaded.locate));
  if (errors.length) return errors;
  try {
    plan(loaded.stack, catalog, portableBudget({}));
  } catch (e) {
    if (isDelocError(e)) return [{ path: "", message: e.message }];
    throw e;
  }
  return [];
}

function composeFiles(ctx: CommandContext, args: string[]): string[] {
  if (args.length) {
    const files = args.map((a) => path.resolve(ctx.cwd, a));
    for (const [i, f] of files.entries())
      if (!fs.existsSync(f))
        throw new FileNotFoundError(`Compose file ${args[i]} does not exist.`, "Check the path.");
    return files;
  }
  const env = ctx.env.COMPOSE_FILE;
  if (env) return composeFiles(ctx, env.split(ctx.env.COMPOSE_PATH_SEPARATOR ?? ":"));
  for (const name of DEFAULT_FILES) {
    const f = path.join(ctx.cwd, name);
    if (!fs.existsSync(f)) continue;
    const override = path.join(ctx.cwd, OVERRIDES[name]!);
    return fs.existsSync(override) ? [f, override] : [f];
  }
  throw new FileNotFoundError(
    `No compose file in ${ctx.cwd} (looked for ${DEFAULT_FILES.join(", ")}).`,
    "Name the file: `deloc import compose path/to/docker-compose.yml`.",
  );
}

function report(ctx: CommandContext, r: ImportResult, files: string[], out: string): void {
  const notes = r.notes;
  const catalogued = r.services.filter((s) => s.template !== undefined);
  const custom = r.services.filter((s) => s.template === undefined);
  const from = files.map((f) => path.relative(ctx.cwd, f) || f).join(", ");
  ctx.out(`Wrote ${out}: stack "${r.name}", ${r.services.length} services from ${from}.`);
  if (catalogued.length)
    ctx.out(
      `  from the catalog (sized by DELoc; health check, verify and backup apply): ${catalogued.map((s) => s.name).join(", ")}`,
    );
  if (custom.length) ctx.out(`  custom: ${custom.map((s) => s.name).join(", ")}`);
  if (r.leftOut.length) {
    ctx.out(`Left out (${r.leftOut.length}):`);
    for (const n of r.leftOut) ctx.out(`  ${at(n.where)} ${n.service}: ${n.why}`);
  }
  if (notes.length) {
    ctx.out(`Not carried (${notes.length}; also commented in ${out}):`);
    for (const n of notes) ctx.out(`  ${at(n.where)} ${n.service ? `${n.service} ` : ""}${n.key}: ${n.why}`);
  }
  ctx.out(
    `Next: \`deloc plan${out === "deloc.yaml" ? "" : ` -f ${out}`}\` shows what would run here; \`deloc up\` deploys it.`,
  );
}
