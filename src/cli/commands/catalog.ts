import pc from "picocolors";
import type { Catalog, ServiceTemplate } from "../../catalog/index.js";
import { closest, formatBytes, PROFILES, UnknownServiceError } from "../../core/index.js";
import type { CommandRun } from "../command.js";
import type { CommandContext } from "../context.js";
import { loadCatalogFor } from "../project.js";
import { renderTable } from "../render/table.js";

export const catalogList: CommandRun = async (ctx, _args, opts) => {
  const catalog = loadCatalogFor(ctx);
  if (opts.json) {
    ctx.out(
      JSON.stringify(
        {
          services: [...catalog.templates.values()].map(templateJson),
          groups: Object.fromEntries(catalog.groups),
          recipes: [...catalog.recipes.values()],
        },
        null,
        2,
      ),
    );
    return 0;
  }
  const rows = [...catalog.templates.values()].map((t) => [
    t.name,
    t.category,
    t.image,
    `${formatBytes(t.resources.development.memoryPreferredBytes)}`,
    t.ports
      .filter((p) => p.host !== undefined)
      .map((p) => String(p.host))
      .join(", ") || "-",
    t.description,
  ]);
  const bold = ctx.color ? pc.bold : undefined;
  ctx.out(
    renderTable(["name", "category", "image", "memory", "ports", "description"], rows, bold ? { bold } : {}),
  );
  ctx.out("\nGroups (one name brings all its services):");
  for (const [name, members] of catalog.groups) ctx.out(`  ${name}: ${members.join(", ")}`);
  ctx.out("\nRecipes (deloc init --recipe NAME):");
  for (const r of catalog.recipes.values()) ctx.out(`  ${r.name}: ${r.services.join(", ")}`);
  ctx.out("\nMemory is the development profile's preferred size. `deloc catalog show NAME` tells more.");
  return 0;
};

export const catalogShow: CommandRun = async (ctx, args, opts) => {
  const catalog = loadCatalogFor(ctx);
  const name = args[0] ?? "";
  const members = catalog.groups.get(name);
  const templates = members ? members.map((m) => catalog.templates.get(m)!) : [catalog.templates.get(name)];
  if (!templates[0]) throw new UnknownServiceError(name, suggest(catalog, name));
  if (opts.json) {
    ctx.out(
      JSON.stringify(
        members
          ? { group: name, services: templates.map((t) => templateJson(t!)) }
          : templateJson(templates[0]),
        null,
        2,
      ),
    );
    return 0;
  }
  if (members) ctx.out(`${name}: a group of ${members.length} services — ${members.join(", ")}\n`);
  ctx.out(templates.map((t) => describe(ctx, t!)).join("\n\n"));
  return 0;
};

function suggest(catalog: Catalog, name: string): string | undefined {
  return closest(name, [...catalog.templates.keys(), ...catalog.groups.keys()]);
}

function describe(ctx: CommandContext, t: ServiceTemplate): string {
  const h = (s: string) => (ctx.color ? pc.bold(s) : s);
  const lines = [`${h(t.name)} — ${t.description}`, `  image:        ${t.image}`];
  if (t.group) lines.push(`  group:        ${t.group}`);
  if (t.command) lines.push(`  command:      ${t.command.join(" ")}`);
  lines.push(
    `  ports:        ${t.ports.map((p) => `${p.name} ${p.container}${p.host ? ` (host ${p.host})` : " (not published)"}`).join(", ") || "-"}`,
  );
  lines.push(
    `  depends on:   ${
      Object.entries(t.dependsOn)
        .map(([d, c]) => `${d} (${c})`)
        .join(", ") || "-"
    }`,
    `  requires:     ${t.requires.join(", ") || "-"}`,
  );
  if (t.healthCheck) {
    const hc = t.healthCheck;
    lines.push(
      `  health check: ${hc.command.join(" ")}`,
      `                every ${hc.intervalMs / 1000}s (every ${hc.startIntervalMs}ms while starting), timeout ${hc.timeoutMs / 1000}s, ${hc.retries} retries`,
    );
  } else lines.push("  health check: none");
  if (t.jvm)
    lines.push(`  JVM heap:     ${t.jvm.env} = ${t.jvm.format} (heap = ${t.jvm.heapRatio} × memory limit)`);
  lines.push(
    `  kind:         ${[t.stateful ? "stateful" : "stateless", t.scalable ? "scalable" : "", t.oneShot ? "one-shot" : ""].filter(Boolean).join(", ")}`,
  );
  lines.push("  profiles:");
  for (const p of PROFILES) {
    const r = t.resources[p];
    lines.push(
      `    ${p.padEnd(12)} memory ${formatBytes(r.memoryMinBytes)} min, ${formatBytes(r.memoryPreferredBytes)} preferred · cpu ${r.cpuMillis / 1000}`,
    );
  }
  if (t.endpoints.length) {
    lines.push("  endpoints:");
    for (const e of t.endpoints) lines.push(`    ${e.name.padEnd(20)} ${e.url}`);
  }
  const variants = Object.entries(t.variants);
  if (variants.length) {
    lines.push("  variants:");
    for (const [n, v] of variants)
      lines.push(`    ${n.padEnd(12)} ${v.description}${v.image ? ` (${v.image})` : ""}`);
  }
  const shortcuts = Object.entries(t.shortcuts);
  if (shortcuts.length) {
    lines.push("  shortcuts:");
    for (const [n, c] of shortcuts) lines.push(`    deloc ${n.padEnd(24)} ${c.description}`);
  }
  if (t.docs) lines.push(`  docs:         ${t.docs}`);
  return lines.join("\n");
}

function templateJson(t: ServiceTemplate) {
  return {
    name: t.name,
    description: t.description,
    category: t.category,
    image: t.image,
    group: t.group ?? null,
    command: t.command ?? null,
    ports: t.ports,
    env: t.env,
    volumes: t.volumes,
    healthCheck: t.healthCheck ?? null,
    dependsOn: t.dependsOn,
    requires: t.requires,
    endpoints: t.endpoints,
    profiles: t.resources,
    jvm: t.jvm ?? null,
    stateful: t.stateful,
    scalable: t.scalable,
    oneShot: t.oneShot,
    variants: t.variants,
    shortcuts: t.shortcuts,
    docs: t.docs ?? null,
  };
}
