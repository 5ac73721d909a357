import zk from "node-zookeeper-client";
import type { Probe } from "../probe.js";

/** A znode created with data, read back and deleted; the Kafka brokers registered are reported. */
export const zookeeperProbe: Probe = {
  what: "create a znode, read it back, delete it",
  hint: "`deloc logs zookeeper` shows the server's side; `deloc status` shows its client port.",
  async run(t) {
    const { host, port } = t.address("client");
    const client = zk.createClient(`${host}:${port}`, { sessionTimeout: 10_000, retries: 0 });
    try {
      await new Promise<void>((resolve, reject) => {
        const fail = (why: string) => reject(new Error(`no session with ${host}:${port}: ${why}`));
        const timer = setTimeout(() => fail("no answer within 10 s"), 10_000);
        t.signal.addEventListener("abort", () => fail("aborted"));
        client.once("connected", () => {
          clearTimeout(timer);
          resolve();
        });
        client.connect();
      });
      const create = (p: string, data: Buffer) =>
        new Promise<string>((resolve, reject) =>
          client.create(p, data, zk.CreateMode.EPHEMERAL, (e, made) => (e ? reject(e) : resolve(made))),
        );
      const getData = (p: string) =>
        new Promise<Buffer>((resolve, reject) =>
          client.getData(p, (e, data) => (e ? reject(e) : resolve(data))),
        );
      const getChildren = (p: string) =>
        new Promise<string[]>((resolve, reject) =>
          client.getChildren(p, (e, children) => (e ? reject(e) : resolve(children))),
        );
      const remove = (p: string) =>
        new Promise<void>((resolve, reject) => client.remove(p, (e) => (e ? reject(e) : resolve())));

      const node = await create(
        `/deloc-verify-${Date.now().toString(36)}`,
        Buffer.from("written by deloc verify"),
      );
      const got = (await getData(node)).toString();
      if (got !== "written by deloc verify") throw new Error(`read back ${JSON.stringify(got)} from ${node}`);
      await remove(node);
      const brokers = await getChildren("/brokers/ids").catch(() => []);
      return `created, read and deleted ${node}${brokers.length ? `; Kafka brokers registered: ${brokers.join(", ")}` : ""}`;
    } finally {
      client.close();
    }
  },
};
