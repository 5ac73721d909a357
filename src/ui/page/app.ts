/**
 * The dashboard's page: plain DOM, no library. It draws the state the server streams (server-sent
 * events, never a reload): the dependency graph with each service's condition and health, memory
 * against the limit per replica, endpoints, the timeline and verify's results; a live log tail of
 * the service chosen; and buttons that POST actions with the token.
 */
import type { Activity, DashboardService, DashboardState } from "../view.js";

const root = document.getElementById("app")!;
const token = root.dataset.token ?? "";
const q = (path: string, extra = "") => `${path}?token=${encodeURIComponent(token)}${extra}`;

root.innerHTML = `
<header><h1 id="stack">DELoc</h1><span class="state" id="state">…</span><span id="busy" class="warn"></span>
  <span class="live" id="live">connecting…</span></header>
<main>
  <section class="wide"><h2>Dependency graph</h2><div id="graph"></div></section>
  <section class="wide"><h2>Services</h2><table id="services"></table></section>
  <section><h2>Log <select id="log-service"></select><span class="grow"></span><span id="log-note" class="t"></span></h2><pre class="log" id="log"></pre></section>
  <section><h2>Timeline</h2><ol class="timeline" id="timeline"></ol></section>
  <section class="wide"><h2>Verify <span class="grow"></span><button data-action="verify" id="verify-run">Run verify</button></h2><div id="verify"></div></section>
</main>`;

const $ = (id: string) => document.getElementById(id)!;
const esc = (s: string) =>
  s.replace(/[&<>"']/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" })[c]!);

let last: DashboardState | null = null;
/** CPU time per container at the previous view, for the rate. */
let cpuBefore = new Map<string, { seconds: number; at: number }>();
const cpuRate = new Map<string, number>();

function mib(bytes: number): string {
  return bytes >= 1024 ** 3
    ? `${(bytes / 1024 ** 3).toFixed(1)} GiB`
    : `${Math.round(bytes / 1024 ** 2)} MiB`;
}

function uptime(s: number | null): string {
  if (s === null) return "-";
  if (s < 60) return `${s}s`;
  if (s < 3600) return `${Math.floor(s / 60)}m`;
  return `${Math.floor(s / 3600)}h${Math.floor((s % 3600) / 60)}m`;
}

const cls = (condition: string) => `c-${condition.replace(/\s+/g, "-")}`;

function healthOf(s: DashboardService): string {
  const hs = [...new Set(s.replicas.map((r) => r.health))];
  return hs.length ? hs.join(", ") : "-";
}

let circuits: Record<string, string> = {};
const circuitOf = (name: string) => circuits[name] ?? "closed";

function drawGraph(services: DashboardService[], phases: string[][]): void {
  const W = 190;
  const H = 54;
  const GX = 70;
  const GY = 18;
  const pos = new Map<string, { x: number; y: number }>();
  for (const [col, names] of phases.entries())
    for (const [row, n] of names.entries()) pos.set(n, { x: 10 + col * (W + GX), y: 10 + row * (H + GY) });
  let y = 10 + Math.max(0, ...phases.map((p) => p.length)) * (H + GY);
  for (const s of services)
    if (!pos.has(s.name)) {
      pos.set(s.name, { x: 10, y });
      y += H + GY;
    }
  const width = 20 + Math.max(1, phases.length) * (W + GX) - GX;
  const height = Math.max(...[...pos.values()].map((p) => p.y + H)) + 10;
  const edges = services.flatMap((s) =>
    s.dependsOn.map((d) => {
      const a = pos.get(d.service);
      const b = pos.get(s.name);
      if (!a || !b) return "";
      const x1 = a.x + W;
      const y1 = a.y + H / 2;
      const x2 = b.x - 4;
      const y2 = b.y + H / 2;
      const mx = (x1 + x2) / 2;
      return `<path class="edge" d="M${x1},${y1} C${mx},${y1} ${mx},${y2} ${x2},${y2}"><title>${esc(s.name)} waits for ${esc(d.service)} (${esc(d.condition)})</title></path>`;
    }),
  );
  const nodes = services.map((s) => {
    const p = pos.get(s.name)!;
    const running = s.replicas.filter((r) => r.uptimeSeconds !== null).length;
    return `<g class="node" data-service="${esc(s.name)}" transform="translate(${p.x},${p.y})">
      <rect class="${cls(s.condition)}" width="${W}" height="${H}" rx="7"></rect>
      <circle class="${cls(s.condition)}" cx="14" cy="18" r="5" fill="currentColor" stroke="none"></circle>
      <text x="26" y="22">${esc(s.name)}</text>
      <text class="sub" x="12" y="42">${esc(s.condition)} · ${esc(healthOf(s))} · ${running}/${s.replicas.length || s.plannedReplicas}${circuitOf(s.name) === "closed" ? "" : ` · circuit ${esc(circuitOf(s.name))}`}</text></g>`;
  });
  $("graph").innerHTML = `<svg width="${width}" height="${height}" role="img" aria-label="dependency graph">
    <defs><marker id="arrow" viewBox="0 0 10 10" refX="9" refY="5" markerWidth="7" markerHeight="7" orient="auto-start-reverse"><path d="M0,0 L10,5 L0,10 z" fill="#4b5663"/></marker></defs>
    ${edges.join("")}${nodes.join("")}</svg>`;
}

function bar(used: number | null, limit: number): string {
  if (used === null) return `<div class="bar"><span>- / ${mib(limit)}</span></div>`;
  const pct = limit > 0 ? Math.min(100, (100 * used) / limit) : 0;
  const heat = pct >= 90 ? "full" : pct >= 70 ? "hot" : "";
  return `<div class="bar" title="${pct.toFixed(0)}% of the limit"><i class="${heat}" style="width:${pct.toFixed(1)}%"></i><span>${mib(used)} / ${mib(limit)} (${pct.toFixed(0)}%)</span></div>`;
}

function endpoint(e: { name: string; url: string }): string {
  const link = /^https?:\/\//.test(e.url) && !e.url.includes("***");
  return link
    ? `<a href="${esc(e.url)}" target="_blank" rel="noopener noreferrer">${esc(e.name)}</a>`
    : `<code title="${esc(e.name)}">${esc(e.url)}</code>`;
}

function drawServices(services: DashboardService[], busy: boolean): void {
  const table = $("services");
  const kept = new Map<string, string>();
  for (const el of table.querySelectorAll<HTMLInputElement>("input[data-scale]"))
    kept.set(el.dataset.scale!, el.value);
  const rows = services.flatMap((s) => {
    const reps = s.replicas.length ? s.replicas : [null];
    return reps.map((r, i) => {
      const first = i === 0;
      const name = r && s.replicas.length > 1 ? `${s.name}#${r.replica}` : s.name;
      const cpu = r ? cpuRate.get(r.name) : undefined;
      const ailing =
        circuitOf(s.name) !== "closed" || !["running", "completed", "starting"].includes(s.condition);
      const actions = first
        ? (ailing
            ? `<button data-action="recover" data-service="${esc(s.name)}" title="restart it and what depends on it" ${busy ? "disabled" : ""}>Recover</button> `
            : "") +
          `<button data-action="restart" data-service="${esc(s.name)}" ${busy || !r ? "disabled" : ""}>Restart</button>` +
          (s.scalable
            ? ` <input type="number" min="0" max="64" data-scale="${esc(s.name)}" value="${esc(kept.get(s.name) ?? String(s.replicas.length))}"> <button data-action="scale" data-service="${esc(s.name)}" ${busy ? "disabled" : ""}>Scale</button>`
            : "")
        : "";
      return `<tr data-row="${esc(name)}"><td><span class="dot ${cls(r?.condition ?? s.condition)}"></span>${esc(name)}</td>
        <td class="${cls(r?.condition ?? s.condition)}">${esc(r?.condition ?? s.condition)}${s.outdated ? " (outdated)" : ""}${first && circuitOf(s.name) !== "closed" ? ` <span class="error">· circuit ${esc(circuitOf(s.name))}</span>` : ""}</td>
        <td>${esc(r?.health ?? "-")}</td><td>${bar(r?.memoryBytes ?? null, r?.memoryLimitBytes ?? s.memoryLimitBytes)}</td>
        <td>${cpu === undefined ? "-" : `${(cpu * 100).toFixed(1)}%`}</td><td>${r?.restarts ?? 0}</td><td>${uptime(r?.uptimeSeconds ?? null)}</td>
        <td>${first ? s.endpoints.map(endpoint).join(" ") || "-" : ""}</td><td>${actions}</td></tr>`;
    });
  });
  table.innerHTML = `<tr><th>service</th><th>state</th><th>health</th><th>memory / limit</th><th>CPU</th><th>restarts</th><th>uptime</th><th>endpoints</th><th></th></tr>${rows.join("")}`;
}

function drawTimeline(state: DashboardState): void {
  type Item = { at: string; who: string; what: string; text: string; level: Activity["level"] };
  const items: Item[] = [
    ...(state.view?.events ?? []).map((e) => ({
      at: e.time,
      who: e.service ?? "(stack)",
      what: e.from === e.to ? "" : `${e.from} → ${e.to}`,
      text: `${e.reason} · ${e.command}`,
      level: (e.to === "failed" ||
      e.to === "unhealthy" ||
      /^supervisor: .*(: circuit open|killed for memory)/.test(e.reason)
        ? "error"
        : "info") as Activity["level"],
    })),
    ...state.activity.map((a) => ({
      at: a.at,
      who: a.service ?? "(dashboard)",
      what: "",
      text: a.text,
      level: a.level,
    })),
  ].sort((a, b) => b.at.localeCompare(a.at));
  $("timeline").innerHTML = items
    .slice(0, 150)
    .map(
      (i) =>
        `<li class="${i.level === "info" ? "" : i.level}"><span class="t">${esc(new Date(i.at).toLocaleTimeString())}</span><span>${esc(i.who)}</span><span>${esc(i.what)}</span><span>${esc(i.text)}</span></li>`,
    )
    .join("");
}

function drawVerify(state: DashboardState): void {
  const v = state.verify;
  ($("verify-run") as HTMLButtonElement).disabled = state.busy !== null;
  $("verify").innerHTML = v
    ? `<p class="${v.ok ? "pass" : "fail"}" id="verify-outcome">${v.ok ? "All probes passed" : "Some probes did not pass"} · ${esc(new Date(v.at).toLocaleTimeString())}</p>
       <table><tr><th>service</th><th>result</th><th>took</th><th>what it saw</th></tr>${v.probes
         .map(
           (p) =>
             `<tr><td>${esc(p.service)}</td><td class="${p.status === "passed" ? "pass" : "fail"}">${esc(p.status)}</td><td>${p.ms} ms</td><td>${esc(p.detail)}</td></tr>`,
         )
         .join("")}</table>`
    : `<p class="t">Not run yet from this dashboard.</p>`;
}

function draw(state: DashboardState): void {
  last = state;
  circuits = state.circuits;
  $("busy").textContent = state.busy ? `${state.busy}…` : "";
  if (!state.view) {
    $("state").textContent = state.error ?? "no view";
    return;
  }
  const v = state.view;
  const now = Date.parse(v.at);
  const next = new Map<string, { seconds: number; at: number }>();
  for (const s of v.services)
    for (const r of s.replicas) {
      if (r.cpuSeconds === null) {
        cpuRate.delete(r.name);
        continue;
      }
      const before = cpuBefore.get(r.name);
      if (before && now > before.at)
        cpuRate.set(r.name, Math.max(0, (r.cpuSeconds - before.seconds) / ((now - before.at) / 1000)));
      next.set(r.name, { seconds: r.cpuSeconds, at: now });
    }
  cpuBefore = next;
  document.title = `${v.stack} · DELoc`;
  $("stack").textContent = v.stack;
  $("state").textContent = v.state;
  drawGraph(v.services, v.phases);
  drawServices(v.services, state.busy !== null);
  drawTimeline(state);
  drawVerify(state);
  const select = $("log-service") as HTMLSelectElement;
  const names = v.services.map((s) => s.name);
  if ([...select.options].map((o) => o.value).join() !== names.join()) {
    const was = select.value;
    select.innerHTML = names.map((n) => `<option>${esc(n)}</option>`).join("");
    if (names.includes(was)) select.value = was;
    if (select.value !== logFor) followLog(select.value);
  }
}

let logSource: EventSource | null = null;
let logFor = "";
function followLog(service: string): void {
  logSource?.close();
  logFor = service;
  const pre = $("log");
  pre.textContent = "";
  $("log-note").textContent = service ? "following" : "";
  if (!service) return;
  logSource = new EventSource(q("/api/logs", `&service=${encodeURIComponent(service)}`));
  logSource.addEventListener("line", (e) => {
    const atEnd = pre.scrollTop + pre.clientHeight >= pre.scrollHeight - 4;
    pre.append(`${JSON.parse((e as MessageEvent<string>).data) as string}\n`);
    while (pre.childNodes.length > 500) pre.firstChild?.remove();
    if (atEnd) pre.scrollTop = pre.scrollHeight;
  });
  logSource.addEventListener("failed", (e) => {
    $("log-note").textContent = JSON.parse((e as MessageEvent<string>).data) as string;
  });
}
$("log-service").addEventListener("change", (e) => followLog((e.target as HTMLSelectElement).value));

async function act(action: string, body: Record<string, unknown>): Promise<void> {
  const r = await fetch(q(`/api/${action}`), {
    method: "POST",
    headers: { "Content-Type": "application/json", "X-Deloc-Token": token },
    body: JSON.stringify(body),
  });
  if (!r.ok) {
    const e = (await r.json().catch(() => ({}))) as { error?: { message?: string; hint?: string } };
    alertLine(
      `${action} failed: ${e.error?.message ?? r.statusText}${e.error?.hint ? ` ${e.error.hint}` : ""}`,
    );
  }
}

function alertLine(text: string): void {
  if (!last) return;
  draw({ ...last, activity: [...last.activity, { at: new Date().toISOString(), text, level: "error" }] });
}

document.addEventListener("click", (e) => {
  const b = (e.target as HTMLElement).closest<HTMLButtonElement>("button[data-action]");
  if (!b) return;
  const service = b.dataset.service;
  if (b.dataset.action === "verify") void act("verify", {});
  else if (b.dataset.action === "restart" || b.dataset.action === "recover")
    void act(b.dataset.action, { service });
  else if (b.dataset.action === "scale") {
    const input = document.querySelector<HTMLInputElement>(
      `input[data-scale="${CSS.escape(service ?? "")}"]`,
    );
    void act("scale", { service, replicas: Number(input?.value) });
  }
});

const stream = new EventSource(q("/api/stream"));
stream.addEventListener("state", (e) => {
  $("live").textContent = `live · ${new Date().toLocaleTimeString()}`;
  draw(JSON.parse((e as MessageEvent<string>).data) as DashboardState);
});
stream.addEventListener("error", () => {
  $("live").textContent = "reconnecting…";
});
