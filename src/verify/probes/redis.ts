import { Redis } from "ioredis";
import type { Probe } from "../probe.js";

/** A key set with an expiry, read back and deleted. */
export const redisProbe: Probe = {
  what: "set a key, get it back, delete it",
  hint: "`deloc logs redis` shows the server's side; `deloc status` shows its port.",
  async run(t) {
    const { host, port } = t.address("redis");
    const client = new Redis({
      host,
      port,
      lazyConnect: true,
      connectTimeout: 5_000,
      maxRetriesPerRequest: 0,
      retryStrategy: () => null,
    });
    // ioredis reports why a connection failed on its error event, and only "closed" to the caller.
    let cause: Error | undefined;
    client.on("error", (e: Error) => {
      cause ??= e;
    });
    const key = `deloc:verify:${Date.now().toString(36)}`;
    try {
      await client.connect().catch((e: Error) => {
        throw cause ?? e;
      });
      await client.set(key, "written by deloc verify", "PX", 60_000);
      const got = await client.get(key);
      if (got !== "written by deloc verify") throw new Error(`read back ${JSON.stringify(got)}`);
      await client.del(key);
      const version = /redis_version:(\S+)/.exec(await client.info("server"))?.[1];
      return `set, got and deleted a key (Redis ${version})`;
    } finally {
      client.disconnect();
    }
  },
};
