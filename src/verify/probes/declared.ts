/**
 * The probes a stack file or template declares (`verify: { http | tcp | command }`): an HTTP GET or
 * a TCP connection from the host to a published port, or a command inside the service's container.
 */
import http from "node:http";
import net from "node:net";
import type { PlannedProbe, PlannedService, ProbePort } from "../../core/index.js";
import type { Probe, ProbeTarget } from "../probe.js";

const CONNECT_TIMEOUT_MS = 10_000;
/** How much of an answer or a command's output a report quotes. */
const QUOTE_CHARS = 300;

export function declaredProbe(s: PlannedService, probe: PlannedProbe): Probe {
  const where = `declared under verify: for ${s.name}`;
  switch (probe.kind) {
    case "http":
      return {
        what: `HTTP GET ${probe.path} on port ${portLabel(probe.port)} answers ${probe.status}`,
        hint: `\`deloc logs ${s.name}\` shows the service's side; the probe is ${where}.`,
        run: (t) => httpGet(t, probe.port, probe.path, probe.status),
      };
    case "tcp":
      return {
        what: `TCP connection to port ${portLabel(probe.port)}`,
        hint: `\`deloc logs ${s.name}\` shows whether it listens; the probe is ${where}.`,
        run: (t) => tcpConnect(t, probe.port),
      };
    case "command":
      return {
        what: `\`${probe.argv.join(" ")}\` in the container exits 0`,
        hint: `The command's output is above; the probe is ${where}.`,
        run: (t) => runCommand(t, probe.argv),
      };
  }
}

const portLabel = (p: ProbePort) => (p.name ? `${p.name} (${p.container})` : String(p.container));

/** Where a planned container port is reached from here (its published port, or a forward). */
function published(t: ProbeTarget, port: ProbePort): { host: string; port: number } {
  return t.addressOf(port.container);
}

function httpGet(t: ProbeTarget, port: ProbePort, path: string, expected: number): Promise<string> {
  const { host, port: hostPort } = published(t, port);
  const url = `http://${host.includes(":") ? `[${host}]` : host}:${hostPort}${path}`;
  return new Promise((resolve, reject) => {
    const req = http.get(url, { signal: t.signal, timeout: CONNECT_TIMEOUT_MS }, (res) => {
      const chunks: Buffer[] = [];
      let size = 0;
      res.on("data", (c: Buffer) => {
        if (size < QUOTE_CHARS) chunks.push(c);
        size += c.length;
      });
      res.on("error", reject);
      res.on("end", () => {
        const body = Buffer.concat(chunks).toString("utf8").trim().slice(0, QUOTE_CHARS);
        if (res.statusCode === expected) resolve(`GET ${url} answered ${res.statusCode}`);
        else
          reject(
            new Error(
              `GET ${url} answered ${res.statusCode}, expected ${expected}${body ? `: ${body}` : ""}`,
            ),
          );
      });
    });
    req.on("timeout", () =>
      req.destroy(new Error(`GET ${url}: no answer within ${CONNECT_TIMEOUT_MS / 1000} s`)),
    );
    req.on("error", (e) => reject(new Error(`GET ${url}: ${e.message}`)));
  });
}

function tcpConnect(t: ProbeTarget, port: ProbePort): Promise<string> {
  const { host, port: hostPort } = published(t, port);
  return new Promise((resolve, reject) => {
    const socket = net.connect({ host, port: hostPort, signal: t.signal, timeout: CONNECT_TIMEOUT_MS });
    socket.once("connect", () => {
      socket.destroy();
      resolve(`connected to ${host}:${hostPort}`);
    });
    socket.once("timeout", () =>
      socket.destroy(new Error(`no connection to ${host}:${hostPort} within ${CONNECT_TIMEOUT_MS / 1000} s`)),
    );
    socket.once("error", (e) => reject(new Error(`connect to ${host}:${hostPort}: ${e.message}`)));
  });
}

async function runCommand(t: ProbeTarget, argv: readonly string[]): Promise<string> {
  if (!t.exec) throw new Error("this target cannot run a command in a service's container");
  const { exitCode, output } = await t.exec(argv);
  const tail = output.trim().slice(-QUOTE_CHARS);
  if (exitCode !== 0) throw new Error(`\`${argv.join(" ")}\` exited ${exitCode}${tail ? `: ${tail}` : ""}`);
  return `\`${argv.join(" ")}\` exited 0${tail ? `: ${tail}` : ""}`;
}
