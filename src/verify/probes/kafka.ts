import net from "node:net";
import { Kafka, logLevel } from "kafkajs";
import type { Probe, ProbeTarget } from "../probe.js";

/** A topic created, a message produced and consumed back from the host, the topic deleted. */
export const kafkaProbe: Probe = {
  what: "create a topic, produce a message, consume it",
  hint: "`deloc logs kafka` shows the broker's side; its EXTERNAL listener must advertise localhost and the published port.",
  async run(t) {
    const kafka = kafkaClient(t);
    const topic = `deloc-verify-${Date.now().toString(36)}`;
    const admin = kafka.admin();
    const producer = kafka.producer();
    const consumer = kafka.consumer({ groupId: `${topic}-group` });
    await admin.connect();
    try {
      await admin.createTopics({
        topics: [{ topic, numPartitions: 1, replicationFactor: 1 }],
        waitForLeaders: true,
      });
      await producer.connect();
      await producer.send({ topic, messages: [{ key: "deloc", value: "written by deloc verify" }] });
      await consumer.connect();
      await consumer.subscribe({ topics: [topic], fromBeginning: true });
      const got = await new Promise<string>((resolve, reject) => {
        t.signal.addEventListener("abort", () => reject(new Error("no message consumed in time")));
        void consumer
          .run({ eachMessage: async ({ message }) => resolve(message.value?.toString() ?? "") })
          .catch(reject);
      });
      if (got !== "written by deloc verify") throw new Error(`consumed ${JSON.stringify(got)}`);
      const cluster = await admin.describeCluster();
      return `produced and consumed a message on ${topic} (${cluster.brokers.length} broker, controller ${cluster.controller})`;
    } finally {
      await consumer.disconnect().catch(() => undefined);
      await producer.disconnect().catch(() => undefined);
      await admin.deleteTopics({ topics: [topic] }).catch(() => undefined);
      await admin.disconnect().catch(() => undefined);
    }
  },
};

/** A client of the broker's published listener, as verify's checks use it. */
export function kafkaClient(t: ProbeTarget): Kafka {
  const { host, port } = t.address("broker");
  return new Kafka({
    clientId: "deloc-verify",
    brokers: [`${host}:${port}`],
    logLevel: logLevel.NOTHING,
    connectionTimeout: 5_000,
    retry: { retries: 3 },
    // The brokers it is told of (advertised listeners), reached as this target reaches them.
    socketFactory: ({ host, port, onConnect }) => {
      const to = t.route(host, port);
      const socket = net.connect({ host: to.host, port: to.port }, onConnect);
      socket.setKeepAlive(true, 60_000);
      return socket;
    },
  });
}
