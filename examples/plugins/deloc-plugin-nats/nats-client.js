/**
 * Just enough of the NATS client protocol (https://docs.nats.io/reference/reference-protocols/nats-protocol)
 * for a probe: CONNECT, PING/PONG, SUB, PUB, and requests answered on an inbox. Node's own `net`,
 * no dependencies.
 */
import net from "node:net";

/** A connection to a NATS server; `request` sends a message and resolves with the one reply. */
export async function connectNats({ host, port, name, timeoutMs = 10_000, signal }) {
  const socket = net.connect({ host, port });
  let buffer = Buffer.alloc(0);
  let info = null;
  let pending = [];
  let closed = null;
  const subscriptions = new Map();
  const fail = (e) => {
    closed = e;
    for (const p of pending) p.reject(e);
    pending = [];
    for (const s of subscriptions.values()) s.reject(e);
    subscriptions.clear();
  };
  socket.on("error", fail);
  socket.on("close", () => fail(closed ?? new Error(`NATS at ${host}:${port} closed the connection`)));
  const abort = () => socket.destroy(new Error("stopped: the probe's deadline passed"));
  signal?.addEventListener("abort", abort, { once: true });
  socket.on("close", () => signal?.removeEventListener("abort", abort));

  socket.on("data", (chunk) => {
    buffer = Buffer.concat([buffer, chunk]);
    for (;;) {
      const end = buffer.indexOf("\r\n");
      if (end < 0) return;
      const line = buffer.subarray(0, end).toString("utf8");
      if (line.startsWith("MSG ")) {
        // MSG <subject> <sid> [reply-to] <#bytes>
        const parts = line.split(" ");
        const size = Number(parts.at(-1));
        if (buffer.length < end + 2 + size + 2) return;
        const payload = buffer.subarray(end + 2, end + 2 + size);
        buffer = buffer.subarray(end + 2 + size + 2);
        const sub = subscriptions.get(parts[2]);
        if (sub) {
          subscriptions.delete(parts[2]);
          sub.resolve(payload);
        }
        continue;
      }
      buffer = buffer.subarray(end + 2);
      if (line.startsWith("INFO ")) {
        info = JSON.parse(line.slice(5));
        pending.shift()?.resolve(info);
      } else if (line === "PING") socket.write("PONG\r\n");
      else if (line === "PONG") pending.shift()?.resolve(null);
      else if (line.startsWith("-ERR")) fail(new Error(`NATS said ${line}`));
    }
  });

  const next = () =>
    new Promise((resolve, reject) => {
      if (closed) return reject(closed);
      pending.push({ resolve, reject });
    });
  const within = (promise, what) => {
    let timer;
    return Promise.race([
      promise,
      new Promise((_, reject) => {
        timer = setTimeout(
          () => reject(new Error(`NATS did not answer ${what} within ${timeoutMs} ms`)),
          timeoutMs,
        );
      }),
    ]).finally(() => clearTimeout(timer));
  };

  const greeting = await within(next(), "with its INFO");
  socket.write(
    `CONNECT ${JSON.stringify({ verbose: false, pedantic: false, name, protocol: 1, lang: "node" })}\r\n`,
  );
  socket.write("PING\r\n");
  await within(next(), "PING");

  let sid = 0;
  return {
    info: greeting,
    /** Publishes `payload` to `subject` and resolves with the reply's payload. */
    request(subject, payload) {
      const id = String(++sid);
      const inbox = `_INBOX.deloc.${process.pid}.${id}`;
      const reply = new Promise((resolve, reject) => subscriptions.set(id, { resolve, reject }));
      const body = Buffer.from(payload);
      socket.write(`SUB ${inbox} ${id}\r\nUNSUB ${id} 1\r\nPUB ${subject} ${inbox} ${body.length}\r\n`);
      socket.write(Buffer.concat([body, Buffer.from("\r\n")]));
      return within(reply, `a request on ${subject}`);
    },
    close() {
      closed = new Error("closed");
      socket.end();
    },
  };
}
