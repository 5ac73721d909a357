/**
 * The Engine API's reads (ping, info, version, lists, inspects) as plain HTTP GETs on the engine's
 * socket, and the writes that answer at once (creating a network or a container, starting one) as
 * POSTs, so the commands that only read (`status`, `plan`, `resources`) never load dockerode and
 * `up` loads it only for what streams (execs, events, logs, builds):
 * with its BuildKit session (gRPC, protobufjs) and SSH transport, loading it cost ~200 ms of CPU,
 * more than all else `status` does (bench/results.md). Writes, streams and TLS endpoints keep
 * dockerode, loaded on first use. Errors have dockerode's shape (`statusCode`, `json.message`, the
 * socket's `code`), so the adapter reads both alike.
 */
import http from "node:http";
import type { Candidate } from "./discover.js";

export interface EngineReads {
  get<T>(path: string, query?: Record<string, unknown>): Promise<T>;
  /**
   * A write that answers at once (create a container or a network, start a container): a POST
   * with a JSON body. `up` makes these before its first container starts, and loading dockerode
   * for them put ~200 ms of CPU on that path.
   */
  post<T>(path: string, query?: Record<string, unknown>, body?: unknown): Promise<T>;
}

/** Where plain HTTP reaches the engine: a unix socket, or TCP without TLS. null: use dockerode. */
export function plainAddress(
  c: Pick<Candidate, "strategy" | "endpoint">,
  env: Readonly<Record<string, string | undefined>>,
): { socketPath: string } | { host: string; port: number } | null {
  if (c.endpoint.startsWith("unix://")) return { socketPath: c.endpoint.slice("unix://".length) };
  const tls = env.DOCKER_TLS_VERIFY || env.DOCKER_CERT_PATH;
  if (!c.endpoint.startsWith("tcp://") || (c.strategy === "DOCKER_HOST" && tls)) return null;
  const url = new URL(c.endpoint.replace(/^tcp:/, "http:"));
  if (url.port === "2376") return null; // the TLS port
  return { host: url.hostname, port: Number(url.port) || 2375 };
}

/**
 * GETs over plain HTTP, a new connection each (16 at once at most). Not kept alive: a stopping
 * dockerd closes its listener but goes on serving the connections it has, so a kept connection
 * saw services "ready" on an engine that was shutting down, and `up` reported success (the
 * engine-down fault test).
 */
export function httpReads(address: { socketPath: string } | { host: string; port: number }): EngineReads {
  const agent = new http.Agent({ keepAlive: false, maxSockets: 16 });
  const request = <T>(method: "GET" | "POST", path: string, query: Record<string, unknown>, body?: unknown) =>
    new Promise<T>((resolve, reject) => {
      const data = body === undefined ? undefined : JSON.stringify(body);
      const req = http.request(
        {
          ...address,
          agent,
          method,
          path: path + queryString(query),
          ...(data === undefined
            ? {}
            : { headers: { "Content-Type": "application/json", "Content-Length": Buffer.byteLength(data) } }),
        },
        (res) => {
          const chunks: Buffer[] = [];
          res.on("data", (b: Buffer) => chunks.push(b));
          res.on("error", reject);
          res.on("end", () => {
            const text = Buffer.concat(chunks).toString("utf8");
            const json = parseJson(text);
            const status = res.statusCode ?? 0;
            if (status >= 200 && status < 300) return resolve((json ?? text) as T);
            const message = (json as { message?: string } | undefined)?.message ?? text.trim();
            reject(
              Object.assign(new Error(`(HTTP code ${status}) - ${message}`), {
                statusCode: status,
                json: { message },
              }),
            );
          });
        },
      );
      req.on("error", reject);
      req.end(data);
    });
  return {
    get: (path, query = {}) => request("GET", path, query),
    post: (path, query = {}, body = undefined) => request("POST", path, query, body),
  };
}

/** docker-modem's query encoding: objects (filters) as JSON, everything else as text. */
function queryString(query: Record<string, unknown>): string {
  const entries = Object.entries(query).filter(([, v]) => v !== undefined);
  if (!entries.length) return "";
  const pairs = entries.map(([k, v]): [string, string] => [
    k,
    typeof v === "object" ? JSON.stringify(v) : String(v),
  ]);
  return `?${new URLSearchParams(pairs)}`;
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}
