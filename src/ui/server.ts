/**
 * The dashboard's HTTP server: loopback only, every request carries the random token of the URL
 * (as Jupyter's does; compared in constant time), and actions are POSTs that also carry it in a
 * header and come from the dashboard's own origin. Live updates go out as server-sent events.
 * It knows nothing of stacks: what it serves comes from the handlers it is given.
 */
import { createHash, randomBytes, timingSafeEqual } from "node:crypto";
import fs from "node:fs";
import http from "node:http";
import type { AddressInfo } from "node:net";

export interface DashboardHandlers {
  /** The state the page draws, as JSON text. */
  state(): string;
  /** The metrics, in Prometheus' text format. */
  metrics(): Promise<string>;
  /** A service's log, last lines then new ones, masked; until `signal` aborts. */
  logs(service: string, signal: AbortSignal): AsyncIterable<string>;
  /** Runs an action (`verify`, `restart`, `scale`); resolves with what to answer, rejects with a user error. */
  action(name: string, body: Record<string, unknown>): Promise<unknown>;
}

export interface DashboardServer {
  url: string;
  port: number;
  /** Sends the current state to every open page. */
  push(): void;
  close(): Promise<void>;
}

/** The page's script, built by `npm run build` beside the bundle (dist/ui/app.js). */
function pageScript(): string {
  for (const rel of ["../ui/app.js", "./ui/app.js", "../../dist/ui/app.js"]) {
    const f = new URL(rel, import.meta.url);
    if (fs.existsSync(f)) return fs.readFileSync(f, "utf8");
  }
  throw new Error("dist/ui/app.js is missing: run `npm run build`.");
}

export async function serveDashboard(
  handlers: DashboardHandlers,
  opts: { port: number; title: string },
): Promise<DashboardServer> {
  const token = randomBytes(24).toString("base64url");
  const script = pageScript();
  const streams = new Set<http.ServerResponse>();
  let port = 0;
  const hosts = () => [`127.0.0.1:${port}`, `localhost:${port}`];

  const server = http.createServer((req, res) => {
    void route(req, res).catch((e: unknown) => {
      if (!res.headersSent) json(res, 500, { error: { message: (e as Error).message } });
      else res.end();
    });
  });

  async function route(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    const url = new URL(req.url ?? "/", `http://127.0.0.1:${port}`);
    // A page elsewhere that resolves its own name to 127.0.0.1 (DNS rebinding) sends its own Host.
    if (!hosts().includes(req.headers.host ?? ""))
      return json(res, 403, refusal("Host is not the dashboard's."));
    const given = url.searchParams.get("token") ?? header(req, "x-deloc-token");
    if (!given || !sameToken(given, token))
      return json(res, 403, refusal("No valid token: open the URL `deloc ui` printed."));
    res.setHeader("X-Content-Type-Options", "nosniff");
    res.setHeader("Referrer-Policy", "no-referrer");
    if (req.method === "POST") {
      const origin = header(req, "origin");
      if (!origin || !hosts().some((h) => origin === `http://${h}`) || !header(req, "x-deloc-token"))
        return json(res, 403, refusal("Actions come only from the dashboard's own page."));
      const name = /^\/api\/(verify|restart|recover|scale)$/.exec(url.pathname)?.[1];
      if (!name) return json(res, 404, refusal(`No action ${url.pathname}.`));
      const body = await readJson(req);
      try {
        return json(res, 200, await handlers.action(name, body));
      } catch (e) {
        const err = e as Error & { code?: string; hint?: string };
        return json(res, 400, {
          error: { code: err.code ?? "E_ACTION", message: err.message, hint: err.hint },
        });
      }
    }
    if (req.method !== "GET") return json(res, 405, refusal("GET or POST."));
    switch (url.pathname) {
      case "/":
        res.writeHead(200, {
          "Content-Type": "text/html; charset=utf-8",
          "Cache-Control": "no-store",
          "Content-Security-Policy":
            "default-src 'none'; script-src 'self'; style-src 'unsafe-inline'; connect-src 'self'; img-src 'self' data:; base-uri 'none'; frame-ancestors 'none'",
        });
        return void res.end(page(opts.title, token));
      case "/app.js":
        res.writeHead(200, { "Content-Type": "text/javascript; charset=utf-8", "Cache-Control": "no-store" });
        return void res.end(script);
      case "/api/state":
        res.writeHead(200, { "Content-Type": "application/json" });
        return void res.end(handlers.state());
      case "/metrics":
        res.writeHead(200, { "Content-Type": "text/plain; version=0.0.4; charset=utf-8" });
        return void res.end(await handlers.metrics());
      case "/api/stream":
        sse(res);
        streams.add(res);
        send(res, "state", handlers.state());
        req.on("close", () => streams.delete(res));
        return;
      case "/api/logs": {
        sse(res);
        const stop = new AbortController();
        req.on("close", () => stop.abort());
        try {
          for await (const line of handlers.logs(url.searchParams.get("service") ?? "", stop.signal))
            send(res, "line", JSON.stringify(line));
        } catch (e) {
          if (!stop.signal.aborted) send(res, "failed", JSON.stringify((e as Error).message));
        }
        return void res.end();
      }
      default:
        return json(res, 404, refusal(`No page ${url.pathname}.`));
    }
  }

  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(opts.port, "127.0.0.1", () => resolve());
  });
  port = (server.address() as AddressInfo).port;
  const keepAlive = setInterval(() => {
    for (const s of streams) s.write(": keep-alive\n\n");
  }, 15_000);
  keepAlive.unref();
  return {
    url: `http://127.0.0.1:${port}/?token=${token}`,
    port,
    push() {
      if (streams.size === 0) return;
      const state = handlers.state();
      for (const s of streams) send(s, "state", state);
    },
    close: () =>
      new Promise<void>((resolve) => {
        clearInterval(keepAlive);
        for (const s of streams) s.end();
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** Equal-length digests, so the comparison takes the same time whatever was given. */
function sameToken(given: string, token: string): boolean {
  const d = (s: string) => createHash("sha256").update(s).digest();
  return timingSafeEqual(d(given), d(token));
}

function header(req: http.IncomingMessage, name: string): string | undefined {
  const v = req.headers[name];
  return Array.isArray(v) ? v[0] : v;
}

function refusal(message: string) {
  return { error: { code: "E_REFUSED", message } };
}

function json(res: http.ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { "Content-Type": "application/json" });
  res.end(JSON.stringify(body));
}

function sse(res: http.ServerResponse): void {
  res.writeHead(200, {
    "Content-Type": "text/event-stream",
    "Cache-Control": "no-store",
    Connection: "keep-alive",
  });
  res.flushHeaders();
}

function send(res: http.ServerResponse, event: string, data: string): void {
  res.write(`event: ${event}\ndata: ${data}\n\n`);
}

async function readJson(req: http.IncomingMessage): Promise<Record<string, unknown>> {
  let text = "";
  for await (const chunk of req) {
    text += String(chunk);
    if (text.length > 65_536) throw new Error("request too large");
  }
  if (!text) return {};
  const v = JSON.parse(text) as unknown;
  return typeof v === "object" && v !== null && !Array.isArray(v) ? (v as Record<string, unknown>) : {};
}

function page(title: string, token: string): string {
  const esc = (s: string) => s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>${esc(title)} · DELoc</title>
<style>${STYLE}</style></head>
<body><div id="app" data-token="${esc(token)}"></div>
<script src="/app.js?token=${esc(token)}"></script></body></html>`;
}

const STYLE = `
:root{--bg:#0f1419;--panel:#171d24;--line:#2a333d;--fg:#d8dee6;--dim:#8793a0;--ok:#3fb950;--warn:#d29922;--bad:#f85149;--info:#58a6ff}
*{box-sizing:border-box}body{margin:0;background:var(--bg);color:var(--fg);font:14px/1.4 system-ui,sans-serif}
header{display:flex;gap:16px;align-items:center;padding:10px 18px;border-bottom:1px solid var(--line)}
header h1{font-size:17px;margin:0}header .state{padding:2px 8px;border-radius:10px;background:var(--panel)}
header .live{margin-left:auto;color:var(--dim);font-size:12px}
main{display:grid;grid-template-columns:minmax(0,3fr) minmax(0,2fr);gap:14px;padding:14px 18px}
section{background:var(--panel);border:1px solid var(--line);border-radius:8px;padding:10px 12px;min-width:0}
section h2{font-size:13px;text-transform:uppercase;letter-spacing:.06em;color:var(--dim);margin:0 0 8px;display:flex;gap:8px;align-items:center}
section h2 .grow{flex:1}
.wide{grid-column:1/-1}
svg text{fill:var(--fg);font:12px system-ui,sans-serif}svg .sub{fill:var(--dim);font-size:11px}
.node rect{fill:#1f2731;stroke-width:2}.edge{stroke:#4b5663;fill:none;marker-end:url(#arrow)}
.c-running,.c-completed{stroke:var(--ok);color:var(--ok)}.c-starting,.c-restarting,.c-outdated{stroke:var(--warn);color:var(--warn)}
.c-unhealthy,.c-exited,.c-oom-killed{stroke:var(--bad);color:var(--bad)}.c-stopped,.c-not-deployed{stroke:var(--dim);color:var(--dim)}
table{width:100%;border-collapse:collapse}td,th{text-align:left;padding:5px 6px;border-top:1px solid var(--line);vertical-align:middle;font-size:13px}
th{color:var(--dim);font-weight:500;border-top:0}
.bar{position:relative;height:14px;background:#0b0f13;border-radius:3px;min-width:140px;overflow:hidden}
.bar i{position:absolute;inset:0 auto 0 0;background:var(--info)}.bar i.hot{background:var(--warn)}.bar i.full{background:var(--bad)}
.bar span{position:absolute;right:4px;top:-1px;font-size:11px;color:#fff}
.dot{display:inline-block;width:9px;height:9px;border-radius:50%;background:currentColor;margin-right:6px}
a{color:var(--info)}button,select,input{background:#222b35;color:var(--fg);border:1px solid var(--line);border-radius:5px;padding:3px 9px;font:inherit;font-size:12px}
button:hover{border-color:var(--info)}button:disabled{opacity:.45}input[type=number]{width:52px}
pre.log{margin:0;height:260px;overflow:auto;background:#0b0f13;padding:8px;border-radius:5px;font:12px/1.35 ui-monospace,monospace;white-space:pre-wrap;word-break:break-all}
ol.timeline{list-style:none;margin:0;padding:0;max-height:260px;overflow:auto;font-size:12px}
ol.timeline li{padding:3px 0;border-top:1px solid var(--line);display:grid;grid-template-columns:70px 110px 150px 1fr;gap:6px}
.t{color:var(--dim)}.warn{color:var(--warn)}.error{color:var(--bad)}.pass{color:var(--ok)}.fail{color:var(--bad)}
`;
