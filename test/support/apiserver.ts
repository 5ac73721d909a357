/**
 * A real Kubernetes API server for the tests: Debian's etcd and kube-apiserver (built from the Go
 * module proxy by `npm run tools`) on free ports of this machine, with a token for an admin and a
 * kubeconfig to reach it. No kubelet or controllers run here: workloads are stored and served by
 * the real API, but no pod ever starts.
 */
import assert from "node:assert/strict";
import { type ChildProcess, spawn, spawnSync } from "node:child_process";
import fs from "node:fs";
import https from "node:https";
import os from "node:os";
import path from "node:path";
import { freePort } from "./ports.js";

const APISERVER = path.resolve(import.meta.dirname, "../../tools/bin/kube-apiserver");
const TOKEN = "deloc-test-admin";

// biome-ignore lint/suspicious/noExplicitAny: API objects are read field by field
export type Obj = Record<string, any>;

export interface ApiServer {
  kubeconfig: string;
  url: string;
  /** GET/PATCH/… on the API as the admin. */
  request(method: string, route: string, body?: unknown, contentType?: string): Promise<Obj>;
  stop(): Promise<void>;
}

export async function startApiServer(): Promise<ApiServer> {
  assert.ok(fs.existsSync(APISERVER), `${APISERVER} is missing: run \`npm run tools\``);
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "deloc-apiserver-"));
  const [etcdPort, peerPort, apiPort] = [await freePort(), await freePort(), await freePort()];
  const key = path.join(dir, "sa.key");
  spawnSync("openssl", ["genrsa", "-out", key, "2048"], { stdio: "ignore" });
  spawnSync("openssl", ["rsa", "-in", key, "-pubout", "-out", path.join(dir, "sa.pub")], { stdio: "ignore" });
  fs.writeFileSync(path.join(dir, "tokens.csv"), `${TOKEN},admin,admin,"system:masters"\n`);
  const log = (name: string) => fs.openSync(path.join(dir, `${name}.log`), "w");
  const procs: ChildProcess[] = [];
  procs.push(
    spawn(
      "etcd",
      [
        "--data-dir",
        path.join(dir, "etcd"),
        "--listen-client-urls",
        `http://127.0.0.1:${etcdPort}`,
        "--advertise-client-urls",
        `http://127.0.0.1:${etcdPort}`,
        "--listen-peer-urls",
        `http://127.0.0.1:${peerPort}`,
      ],
      { stdio: ["ignore", log("etcd"), log("etcd")] },
    ),
  );
  procs.push(
    spawn(
      APISERVER,
      [
        `--etcd-servers=http://127.0.0.1:${etcdPort}`,
        `--secure-port=${apiPort}`,
        "--bind-address=127.0.0.1",
        `--cert-dir=${path.join(dir, "certs")}`,
        "--service-account-issuer=https://kubernetes.default.svc",
        `--service-account-key-file=${path.join(dir, "sa.pub")}`,
        `--service-account-signing-key-file=${key}`,
        `--token-auth-file=${path.join(dir, "tokens.csv")}`,
        "--authorization-mode=RBAC",
        "--service-cluster-ip-range=10.96.0.0/16",
      ],
      { stdio: ["ignore", log("apiserver"), log("apiserver")] },
    ),
  );
  const url = `https://127.0.0.1:${apiPort}`;
  const kubeconfig = path.join(dir, "kubeconfig");
  fs.writeFileSync(
    kubeconfig,
    [
      "apiVersion: v1",
      "kind: Config",
      "clusters:",
      `- name: test\n  cluster: { server: "${url}", insecure-skip-tls-verify: true }`,
      "users:",
      `- name: admin\n  user: { token: ${TOKEN} }`,
      "contexts:",
      "- name: test\n  context: { cluster: test, user: admin }",
      "current-context: test",
      "",
    ].join("\n"),
    { mode: 0o600 },
  );
  // The API server's own certificate is self-signed: this client trusts it for the test only.
  const request = (method: string, route: string, body?: unknown, contentType = "application/json") =>
    new Promise<Obj>((resolve, reject) => {
      const req = https.request(
        `${url}${route}`,
        {
          method,
          rejectUnauthorized: false,
          headers: { authorization: `Bearer ${TOKEN}`, "content-type": contentType },
        },
        (res) => {
          let text = "";
          res.on("data", (d) => {
            text += d;
          });
          res.on("end", () => {
            if ((res.statusCode ?? 500) >= 400)
              reject(new Error(`${method} ${route}: ${res.statusCode} ${text}`));
            else resolve(res.headers["content-type"]?.includes("json") ? JSON.parse(text) : { text });
          });
        },
      );
      req.on("error", reject);
      req.end(body === undefined ? undefined : JSON.stringify(body));
    });
  const stop = async () => {
    // Throwaway servers: no graceful shutdown to wait for (the API server's lasts a minute).
    await Promise.all(
      procs.map((p) => (p.exitCode === null ? new Promise((r) => p.once("exit", r).kill("SIGKILL")) : null)),
    );
    fs.rmSync(dir, { recursive: true, force: true });
  };
  const deadline = Date.now() + 60_000;
  for (;;) {
    if ((await request("GET", "/readyz").catch(() => null))?.text === "ok") break;
    if (Date.now() > deadline) {
      await stop();
      assert.fail(
        `the API server did not get ready: ${fs.readFileSync(path.join(dir, "apiserver.log"), "utf8").slice(-2000)}`,
      );
    }
    await new Promise((r) => setTimeout(r, 500));
  }
  return { kubeconfig, url, request, stop };
}
