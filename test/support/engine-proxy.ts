/**
 * A socket that passes everything through to the real Docker engine and can "lose" it after a
 * given number of API requests: every open connection is reset and the socket removed, as when
 * dockerd dies. Pointing DOCKER_HOST at it lets a test cut the engine at each step of a command.
 */
import fs from "node:fs";
import net from "node:net";
import os from "node:os";
import path from "node:path";

const ENGINE = "/var/run/docker.sock";
const REQUEST_LINE = / HTTP\/1\.[01]\r\n/g;

export interface EngineProxy {
  /** For DOCKER_HOST. */
  url: string;
  /** API requests seen so far. */
  requests(): number;
  close(): Promise<void>;
}

/** Passes requests through until `cutAfter` of them have gone (never, by default), then is gone. */
export async function engineProxy(cutAfter = Number.POSITIVE_INFINITY): Promise<EngineProxy> {
  const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), "deloc-proxy-")), "docker.sock");
  const sockets = new Set<net.Socket>();
  let seen = 0;
  let cut = false;
  const server = net.createServer((client) => {
    const engine = net.connect(ENGINE);
    sockets.add(client).add(engine);
    const drop = () => {
      client.destroy();
      engine.destroy();
    };
    client.on("error", drop).on("close", drop);
    engine.on("error", drop).on("close", drop);
    client.on("data", (chunk: Buffer) => {
      if (cut) return drop();
      const lines = chunk.toString("latin1").match(REQUEST_LINE)?.length ?? 0;
      if (seen + lines > cutAfter) return loseEngine();
      seen += lines;
      engine.write(chunk);
    });
    engine.on("data", (chunk: Buffer) => {
      if (!cut) client.write(chunk);
    });
  });
  const loseEngine = () => {
    cut = true;
    server.close();
    for (const s of sockets) s.destroy();
  };
  await new Promise<void>((resolve) => server.listen(file, resolve));
  return {
    url: `unix://${file}`,
    requests: () => seen,
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        if (cut) return resolve();
        server.close(() => resolve());
      }),
  };
}
