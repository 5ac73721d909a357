/**
 * deloc-plugin-nats: NATS with JetStream for DELoc (plugin API 1). It adds the `nats` service
 * template (templates/nats.yaml) and the probe `deloc verify` runs for it: from the host, a
 * JetStream stream is created, a message published to it is stored (the server's PubAck), read
 * back from the stream by sequence number, compared, and the stream deleted.
 */
import { connectNats } from "./nats-client.js";

/** The plugin API this plugin is written against. */
export const apiVersion = 1;
/** The DELoc versions it supports. */
export const deloc = ">=0.1.0 <1";
/** Folders of service templates, in DELoc's catalog format. */
export const templates = [new URL("./templates/", import.meta.url)];

/** @type {Record<string, { what: string, hint: string, run: (t: any) => Promise<string> }>} */
export const probes = {
  nats: {
    what: "store a message in a JetStream stream, read it back, delete the stream",
    hint: "Check `deloc logs nats`; JetStream needs the --jetstream flag and a writable --store_dir.",
    async run(t) {
      const { host, port } = t.address("client");
      const nats = await connectWhenUp({ host, port, signal: t.signal });
      const token = `${Date.now().toString(36)}${Math.random().toString(36).slice(2, 8)}`;
      const stream = `DELOC_VERIFY_${token.toUpperCase()}`;
      const subject = `deloc.verify.${token}`;
      const api = async (verb, body) => {
        const answer = JSON.parse(
          (await nats.request(`$JS.API.${verb}`, JSON.stringify(body ?? {}))).toString(),
        );
        if (answer.error)
          throw new Error(
            `JetStream ${verb.split(".")[0]} said ${answer.error.code} ${answer.error.description}`,
          );
        return answer;
      };
      try {
        if (!nats.info.jetstream)
          throw new Error(`NATS ${nats.info.version} at ${host}:${port} has no JetStream`);
        await api(`STREAM.CREATE.${stream}`, { name: stream, subjects: [subject], storage: "file" });
        const message = JSON.stringify({ from: "deloc verify", token });
        const ack = JSON.parse((await nats.request(subject, message)).toString());
        if (ack.error || ack.stream !== stream)
          throw new Error(`publishing was not stored: ${JSON.stringify(ack)}`);
        const got = await api(`STREAM.MSG.GET.${stream}`, { seq: ack.seq });
        const data = Buffer.from(got.message.data, "base64").toString();
        if (data !== message)
          throw new Error(`read back ${JSON.stringify(data)}, stored ${JSON.stringify(message)}`);
        return `NATS ${nats.info.version}: stored message ${ack.seq} of stream ${stream} (file storage) and read it back`;
      } finally {
        await api(`STREAM.DELETE.${stream}`).catch(() => undefined);
        nats.close();
      }
    },
  },
};

/** A started NATS takes a moment to listen (the image has nothing to run a health check with). */
async function connectWhenUp({ host, port, signal }) {
  const deadline = Date.now() + 30_000;
  for (;;) {
    try {
      return await connectNats({ host, port, name: "deloc-verify", signal });
    } catch (e) {
      if (Date.now() > deadline || signal?.aborted) throw e;
      await new Promise((resolve) => setTimeout(resolve, 500));
    }
  }
}
