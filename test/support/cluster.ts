/**
 * The project's single-node cluster (`npm run cluster`, scripts/cluster.sh) as the tests meet it:
 * its kubeconfig and kubectl, and images loaded from the Docker engine into its containerd.
 */
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import fs from "node:fs";
import path from "node:path";

const ROOT = path.resolve(import.meta.dirname, "../..");
export const KUBECONFIG = path.join(ROOT, "tools/kubeconfig");
export const KUBECTL = path.join(ROOT, "tools/bin/kubectl");
export const HELM = path.join(ROOT, "tools/bin/helm");
/** The image DELoc's init containers wait with (src/export/k8s/values.ts WAIT_IMAGE). */
export const WAIT_IMAGE = "registry.k8s.io/kubectl:v1.37.0";

// biome-ignore lint/suspicious/noExplicitAny: kubectl's JSON, read by the checks
export type Obj = any;

/** Throws, saying how to start it, unless the cluster answers and its node is Ready. */
export function requireCluster(): void {
  const hint = "no Kubernetes cluster answers at tools/kubeconfig: run `npm run cluster` first";
  assert.ok(fs.existsSync(KUBECTL) && fs.existsSync(KUBECONFIG), hint);
  const r = spawnSync(
    KUBECTL,
    ["--kubeconfig", KUBECONFIG, "--request-timeout=5s", "get", "--raw", "/readyz"],
    {
      encoding: "utf8",
    },
  );
  assert.equal(r.status, 0, `${hint} (${r.stderr.trim()})`);
  const nodes = kubectl<Obj>("get", "nodes", "-o", "json").items as Obj[];
  assert.ok(
    nodes.some((n) => n.status.conditions.some((c: Obj) => c.type === "Ready" && c.status === "True")),
    `${hint} (no node is Ready)`,
  );
}

/** kubectl with the cluster's kubeconfig; parsed JSON when the output is JSON, else the text. */
export function kubectl<T = string>(...args: string[]): T {
  const r = spawnSync(KUBECTL, ["--kubeconfig", KUBECONFIG, ...args], { encoding: "utf8", timeout: 120_000 });
  assert.equal(r.status, 0, `kubectl ${args.join(" ")}: ${r.stderr}`);
  return (args.includes("json") ? JSON.parse(r.stdout) : r.stdout) as T;
}

/**
 * Copies images from the Docker engine into the cluster's containerd (a no-op for those loaded
 * already). The init containers' kubectl image is the cluster's own (`npm run cluster` builds and
 * loads it).
 */
export function loadImages(...images: string[]): void {
  const r = spawnSync("bash", [path.join(ROOT, "scripts/cluster.sh"), "load", ...images], {
    encoding: "utf8",
    timeout: 600_000,
  });
  assert.equal(r.status, 0, `npm run cluster -- load ${images.join(" ")}: ${r.stderr}${r.stdout}`);
}

/** Deletes a namespace of a test's, without waiting for it to go. */
export function deleteNamespace(ns: string): void {
  spawnSync(KUBECTL, [
    "--kubeconfig",
    KUBECONFIG,
    "delete",
    "namespace",
    ns,
    "--wait=false",
    "--ignore-not-found",
  ]);
}

/** Where scripts/cluster.sh keeps its components' pid files. */
const RUN_DIR = "/run/deloc-cluster";

/** Stops one of the cluster's programs (`kubelet`, `kube-apiserver`…) as a crash would: SIGKILL. */
export function killComponent(name: string): void {
  const pid = Number(fs.readFileSync(path.join(RUN_DIR, `${name}.pid`), "utf8").trim());
  assert.ok(pid > 1, `no pid for ${name}`);
  process.kill(pid, "SIGKILL");
}

/** `npm run cluster`: starts again what is not running (idempotent), waits until the node is Ready. */
export function startCluster(): void {
  const r = spawnSync("bash", [path.join(ROOT, "scripts/cluster.sh")], {
    encoding: "utf8",
    timeout: 600_000,
  });
  assert.equal(r.status, 0, `npm run cluster: ${r.stderr}${r.stdout}`);
}

/** SQL through psql in the pod `postgres-0` of a namespace (the catalog's user, deloc); its output. */
export function psqlIn(ns: string, sql: string): string {
  return kubectl(
    "-n",
    ns,
    "exec",
    "postgres-0",
    "-c",
    "postgres",
    "--",
    "psql",
    "-U",
    "deloc",
    "-d",
    "postgres",
    "-tAc",
    sql,
  ).trim();
}
