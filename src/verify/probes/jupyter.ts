import type { Probe } from "../probe.js";

/** A file written and read back through Jupyter Server's contents API, with the stack's token. */
export const jupyterProbe: Probe = {
  what: "write a file through the server's API, read it back",
  hint: "`deloc logs jupyter`; the token is JUPYTER_TOKEN in .deloc/secrets.env (`deloc status --show-secrets`).",
  async run(t) {
    const { host, port } = t.address("http");
    const base = `http://${host}:${port}/api`;
    const headers = {
      Authorization: `token ${t.env.JUPYTER_TOKEN ?? ""}`,
      "Content-Type": "application/json",
    };
    const call = async (method: string, path: string, body?: unknown) => {
      const r = await fetch(`${base}${path}`, {
        method,
        headers,
        signal: t.signal,
        ...(body ? { body: JSON.stringify(body) } : {}),
      });
      if (!r.ok) throw new Error(`${method} /api${path}: HTTP ${r.status}`);
      return r.status === 204 ? null : ((await r.json()) as Record<string, unknown>);
    };
    const file = `/contents/deloc-verify-${Date.now().toString(36)}.txt`;
    const text = "written by deloc verify";
    try {
      await call("PUT", file, { type: "file", format: "text", content: text });
      const got = await call("GET", `${file}?content=1`);
      if (got?.content !== text) throw new Error(`read back ${JSON.stringify(got?.content)}`);
      const specs = (await call("GET", "/kernelspecs")) as { kernelspecs?: Record<string, unknown> } | null;
      return `wrote and read a file; kernels: ${Object.keys(specs?.kernelspecs ?? {}).join(", ")}`;
    } finally {
      await call("DELETE", file).catch(() => undefined);
    }
  },
};
