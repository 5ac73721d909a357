/**
 * The Plan as Kubernetes objects, with holes where the chart's values go (see values.ts).
 *
 * - a stateful service is a StatefulSet (its named volumes become volumeClaimTemplates), a
 *   one-shot task a Job (named with its config hash, so a changed task runs anew), any other a
 *   Deployment; each with a Service for its ports (named as the service: in-stack addresses such
 *   as `postgres:5432` keep working) and a ConfigMap with its plain environment;
 * - start order survives: a pod waits in init containers until what it depends on is rolled out
 *   and ready (`healthy`, `started`) or has completed (`completed`), asking the API server with
 *   kubectl and a token mounted into those init containers only;
 * - health checks become startup probes (as patient as `deloc up`), readiness probes (what a
 *   Service routes on) and liveness probes (as patient as the engine's `retries`);
 * - secrets come from one Secret, whole (`secretKeyRef`) or inside a value (`$(VAR)`);
 * - non-root security contexts where the catalog knows the image's user, a ServiceAccount without
 *   token automount, and a NetworkPolicy that admits traffic from the stack's own pods only.
 */
import path from "node:path";
import {
  type DependencyCondition,
  LABEL_HASH,
  LABEL_SERVICE,
  LABEL_STACK,
  type Plan,
  type PlannedService,
  secretParts,
  type VolumeSpec,
} from "../../core/index.js";
import { secretVar } from "../secret-refs.js";
import { heapHole, hole, RELEASE_NAMESPACE } from "./values.js";

export type K8sObject = {
  apiVersion: string;
  kind: string;
  metadata: { name: string; labels?: Record<string, string>; [k: string]: unknown };
  [k: string]: unknown;
};

export interface StackObjects {
  /** Objects of the whole stack: service accounts, RBAC of the waiters. */
  stack: K8sObject[];
  /** Shown only when the values enable it. */
  networkPolicy: K8sObject;
  /** Each service's objects, shown only when the values enable the service. */
  services: Record<string, K8sObject[]>;
  /** PersistentVolumeClaims the chart sizes in `volumes:` (volumeClaimTemplates included). */
  pvcNames: string[];
  /** The Secret every secret reference points to. */
  secretName: string;
}

/** The labels of every object of the stack; the Kubernetes target finds them by `dev.deloc.stack`. */
export function stackLabels(stack: string): Record<string, string> {
  return { "app.kubernetes.io/part-of": stack, [LABEL_STACK]: stack };
}

const TOKEN_VOLUME = "deloc-wait-token";
const SA_PATH = "/var/run/secrets/kubernetes.io/serviceaccount";
/** How long an init container waits for a dependency before it fails (and is retried). */
const WAIT_SECONDS = 600;

export function k8sObjects(plan: Plan): StackObjects {
  const stack = plan.stack;
  const secretName = `${stack}-secrets`;
  const claims = claimsOf(plan);
  const services: Record<string, K8sObject[]> = {};
  for (const s of plan.services) services[s.name] = serviceObjects(plan, s, claims, secretName);

  const meta = (name: string) => ({ name, labels: stackLabels(stack) });
  const read = ["get", "list", "watch"];
  return {
    stack: [
      {
        apiVersion: "v1",
        kind: "ServiceAccount",
        metadata: meta(stack),
        automountServiceAccountToken: false,
      },
      {
        apiVersion: "v1",
        kind: "ServiceAccount",
        metadata: meta(waiter(stack)),
        automountServiceAccountToken: false,
      },
      {
        apiVersion: "rbac.authorization.k8s.io/v1",
        kind: "Role",
        metadata: meta(waiter(stack)),
        rules: [
          { apiGroups: ["apps"], resources: ["deployments", "statefulsets", "replicasets"], verbs: read },
          { apiGroups: ["batch"], resources: ["jobs"], verbs: read },
          { apiGroups: [""], resources: ["pods"], verbs: read },
        ],
      },
      {
        apiVersion: "rbac.authorization.k8s.io/v1",
        kind: "RoleBinding",
        metadata: meta(waiter(stack)),
        roleRef: { apiGroup: "rbac.authorization.k8s.io", kind: "Role", name: waiter(stack) },
        subjects: [
          { kind: "ServiceAccount", name: waiter(stack), namespace: hole("scalar", RELEASE_NAMESPACE) },
        ],
      },
      ...claims.standalone.map(
        (name): K8sObject => ({
          apiVersion: "v1",
          kind: "PersistentVolumeClaim",
          metadata: meta(name),
          spec: claimSpec(name),
        }),
      ),
    ],
    networkPolicy: {
      apiVersion: "networking.k8s.io/v1",
      kind: "NetworkPolicy",
      metadata: meta(stack),
      spec: {
        podSelector: { matchLabels: { [LABEL_STACK]: stack } },
        policyTypes: ["Ingress"],
        ingress: [{ from: [{ podSelector: { matchLabels: { [LABEL_STACK]: stack } } }] }],
      },
    },
    services,
    pvcNames: [...claims.standalone, ...claims.templates.values()].flat().sort(),
    secretName,
  };
}

const waiter = (stack: string) => `${stack}-wait`;

/** The name of a one-shot task's Job: with its config hash, so a changed task is a new Job. */
export function jobName(s: PlannedService): string {
  return `${s.name}-${s.hash.slice(0, 8)}`;
}

interface Claims {
  /** Service → claims it owns as volumeClaimTemplates (named volumes of a stateful service no other service mounts). */
  templates: Map<string, string[]>;
  /** Claims of their own: shared named volumes, and host folders (which a cluster does not have). */
  standalone: string[];
  /** Volume (named volume's name or host folder's path) → claim name. */
  claimOf: Map<string, string>;
}

function claimsOf(plan: Plan): Claims {
  const users = new Map<string, Set<string>>();
  for (const s of plan.services)
    for (const v of s.volumes)
      if (v.type !== "tmpfs") users.set(v.source, (users.get(v.source) ?? new Set()).add(s.name));
  const templates = new Map<string, string[]>();
  const standalone = new Set<string>();
  const claimOf = new Map<string, string>();
  const taken = new Set(plan.volumes);
  for (const s of plan.services)
    for (const v of s.volumes) {
      if (v.type === "tmpfs" || claimOf.has(v.source)) continue;
      if (v.type === "volume") {
        claimOf.set(v.source, v.source);
        if (s.stateful && users.get(v.source)!.size === 1)
          templates.set(s.name, [...(templates.get(s.name) ?? []), v.source]);
        else standalone.add(v.source);
      } else {
        // A host folder (./dags) becomes a claim named after it, to be filled with `kubectl cp`.
        let name = dnsName(path.basename(v.source)) || "folder";
        while (taken.has(name)) name = `${name}-folder`;
        taken.add(name);
        claimOf.set(v.source, name);
        standalone.add(name);
      }
    }
  return { templates, standalone: [...standalone].sort(), claimOf };
}

function dnsName(text: string): string {
  return text
    .toLowerCase()
    .replace(/[^a-z0-9-]+/g, "-")
    .replace(/^-+|-+$/g, "")
    .slice(0, 63);
}

function claimSpec(name: string) {
  return {
    accessModes: ["ReadWriteOnce"],
    storageClassName: hole("optional", "global", "storageClass"),
    resources: { requests: { storage: hole("scalar", "volumes", name, "size") } },
  };
}

function serviceObjects(plan: Plan, s: PlannedService, claims: Claims, secretName: string): K8sObject[] {
  const labels = { "app.kubernetes.io/name": s.name, ...stackLabels(plan.stack), [LABEL_SERVICE]: s.name };
  const selector = { [LABEL_STACK]: plan.stack, [LABEL_SERVICE]: s.name };
  const v = (...p: string[]) => hole("scalar", "services", s.name, ...p);
  const b = (...p: string[]) => hole("block", "services", s.name, ...p);
  const out: K8sObject[] = [];

  const ports = servicePorts(s);
  const { plainEnv, env } = splitEnv(s.env, secretName);
  // The heap follows the memory limit the values give, as the planner derives it from the Plan's.
  const data: Record<string, unknown> = { ...plainEnv };
  if (s.jvmHeapRule && s.jvmHeapEnv && s.jvmHeapEnv in data)
    data[s.jvmHeapEnv] = heapHole(s.name, s.jvmHeapRule);
  const configMap = `${s.name}-env`;
  if (Object.keys(plainEnv).length)
    out.push({ apiVersion: "v1", kind: "ConfigMap", metadata: { name: configMap, labels }, data });

  const waits = s.dependsOn.map((d) => waitContainer(plan, d.service, d.condition));
  const volumes: Record<string, unknown>[] = [];
  const mounts: Record<string, unknown>[] = [];
  s.volumes.forEach((vol: VolumeSpec, i) => {
    const name = vol.type === "tmpfs" ? `tmpfs-${i}` : claims.claimOf.get(vol.source)!;
    mounts.push({ name, mountPath: vol.target, ...(vol.readOnly ? { readOnly: true } : {}) });
    if (vol.type === "tmpfs") volumes.push({ name, emptyDir: { medium: "Memory" } });
    else if (!claims.templates.get(s.name)?.includes(name))
      volumes.push({ name, persistentVolumeClaim: { claimName: name } });
  });
  if (waits.length)
    volumes.push({
      name: TOKEN_VOLUME,
      projected: {
        sources: [
          { serviceAccountToken: { path: "token", expirationSeconds: 3600 } },
          { configMap: { name: "kube-root-ca.crt", items: [{ key: "ca.crt", path: "ca.crt" }] } },
          { downwardAPI: { items: [{ path: "namespace", fieldRef: { fieldPath: "metadata.namespace" } }] } },
        ],
      },
    });

  const container: Record<string, unknown> = {
    name: s.name,
    image: v("image"),
    imagePullPolicy: hole("scalar", "global", "imagePullPolicy"),
    ...(s.entrypoint ? { command: s.entrypoint } : {}),
    ...(s.command ? { args: s.command } : {}),
    ...(Object.keys(plainEnv).length ? { envFrom: [{ configMapRef: { name: configMap } }] } : {}),
    ...(env.length ? { env } : {}),
    ...(ports.length
      ? {
          ports: ports.map((p) => ({
            name: p.name,
            containerPort: p.container,
            protocol: p.protocol,
          })),
        }
      : {}),
    resources: b("resources"),
    ...probes(s),
    securityContext: b("containerSecurityContext"),
    ...(mounts.length ? { volumeMounts: mounts } : {}),
  };
  const podSpec: Record<string, unknown> = {
    serviceAccountName: waits.length ? waiter(plan.stack) : plan.stack,
    automountServiceAccountToken: false,
    securityContext: b("podSecurityContext"),
    ...(waits.length ? { initContainers: waits } : {}),
    containers: [container],
    ...(volumes.length ? { volumes } : {}),
    ...(s.oneShot ? { restartPolicy: "OnFailure" } : {}),
  };
  const template = {
    metadata: { labels, annotations: { [LABEL_HASH]: s.hash } },
    spec: podSpec,
  };

  if (s.oneShot)
    out.push({
      apiVersion: "batch/v1",
      kind: "Job",
      metadata: { name: jobName(s), labels },
      spec: { backoffLimit: 6, template },
    });
  else if (s.stateful) {
    const owned = claims.templates.get(s.name) ?? [];
    out.push({
      apiVersion: "apps/v1",
      kind: "StatefulSet",
      metadata: { name: s.name, labels },
      spec: {
        serviceName: s.name,
        replicas: v("replicas"),
        selector: { matchLabels: selector },
        template,
        ...(owned.length
          ? {
              volumeClaimTemplates: owned.map((name) => ({
                metadata: { name, labels },
                spec: claimSpec(name),
              })),
            }
          : {}),
      },
    });
  } else
    out.push({
      apiVersion: "apps/v1",
      kind: "Deployment",
      metadata: { name: s.name, labels },
      spec: {
        replicas: v("replicas"),
        selector: { matchLabels: selector },
        // A claim a pod holds (ReadWriteOnce) must be let go before the next pod takes it.
        strategy: { type: volumes.some((x) => "persistentVolumeClaim" in x) ? "Recreate" : "RollingUpdate" },
        template,
      },
    });

  if (ports.length)
    out.push({
      apiVersion: "v1",
      kind: "Service",
      metadata: { name: s.name, labels },
      spec: {
        selector,
        ports: ports.map((p) => ({
          name: p.name,
          port: p.container,
          targetPort: p.name,
          protocol: p.protocol,
        })),
      },
    });
  return out;
}

/**
 * The ports other pods reach the service on: its published ports, and the ones its in-stack
 * endpoints name (`kafka:19092`, Kafka's INTERNAL listener, which it advertises to clients and
 * which no host publishes). Without the latter a client that bootstrapped got the advertised
 * address back and found nothing behind the Service there.
 */
export function servicePorts(s: PlannedService): { name: string; container: number; protocol: string }[] {
  const out = s.ports.map((p) => ({
    name: portName(p),
    container: p.container,
    protocol: p.protocol.toUpperCase(),
  }));
  const host = s.name.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
  const inStack = new RegExp(`(?:^|[/@])${host}:(\\d+)(?:[/?]|$)`);
  for (const e of s.endpoints) {
    const m = inStack.exec(e.url);
    const container = m ? Number(m[1]) : 0;
    if (!container || out.some((p) => p.container === container)) continue;
    let name = portName({ name: e.name.replace(/-in-stack$/, ""), container });
    if (out.some((p) => p.name === name)) name = `port-${container}`;
    out.push({ name, container, protocol: "TCP" });
  }
  return out;
}

function portName(p: { name?: string; container: number }): string {
  const n = p.name ? dnsName(p.name).slice(0, 15).replace(/-+$/, "") : "";
  return /[a-z]/.test(n) ? n : `port-${p.container}`;
}

/** Plain values for the ConfigMap; the ones holding secrets as env entries, from the Secret. */
function splitEnv(all: Readonly<Record<string, string>>, secretName: string) {
  const plainEnv: Record<string, string> = {};
  const refs = new Map<string, Record<string, unknown>>();
  const composed: Record<string, unknown>[] = [];
  const ref = (secret: string) => ({ secretKeyRef: { name: secretName, key: secret } });
  for (const [key, value] of Object.entries(all)) {
    const parts = secretParts(value);
    if (!parts.some((p) => "secret" in p)) plainEnv[key] = value;
    else if (parts.length === 1 && "secret" in parts[0]!)
      composed.push({ name: key, valueFrom: ref(parts[0].secret) });
    else {
      for (const p of parts)
        if ("secret" in p && !refs.has(p.secret))
          refs.set(p.secret, { name: secretVar(p.secret), valueFrom: ref(p.secret) });
      const text = parts
        .map((p) => ("secret" in p ? `$(${secretVar(p.secret)})` : p.text.replaceAll("$(", "$$(")))
        .join("");
      composed.push({ name: key, value: text });
    }
  }
  // Kubernetes expands $(VAR) only from variables defined before: the secret ones come first.
  return { plainEnv, env: [...refs.values(), ...composed] };
}

function waitContainer(plan: Plan, service: string, condition: DependencyCondition) {
  const dep = plan.services.find((x) => x.name === service)!;
  const timeout = `--timeout=${WAIT_SECONDS}s`;
  // A Job is waited for until it completes; a workload until its rollout is ready. In a cluster a
  // `started` dependency is waited for as `healthy`: a pod is routed to once it is ready.
  const args =
    condition === "completed" || dep.oneShot
      ? ["wait", "--for=condition=complete", `job/${jobName(dep)}`, timeout]
      : ["rollout", "status", `${dep.stateful ? "statefulset" : "deployment"}/${dep.name}`, timeout];
  return {
    name: `wait-for-${service}`.slice(0, 63),
    image: hole("scalar", "global", "waitImage"),
    imagePullPolicy: hole("scalar", "global", "imagePullPolicy"),
    command: ["kubectl", ...args],
    resources: { limits: { cpu: "100m", memory: "64Mi" }, requests: { cpu: "10m", memory: "32Mi" } },
    securityContext: {
      runAsNonRoot: true,
      runAsUser: 65532,
      allowPrivilegeEscalation: false,
      capabilities: { drop: ["ALL"] },
    },
    volumeMounts: [{ name: TOKEN_VOLUME, mountPath: SA_PATH, readOnly: true }],
  };
}

function probes(s: PlannedService): Record<string, unknown> {
  const h = s.healthCheck;
  if (!h) return {};
  const exec = { command: h.command };
  const seconds = (ms: number) => Math.max(1, Math.ceil(ms / 1000));
  const period = seconds(h.intervalMs);
  const startPeriod = seconds(h.startIntervalMs);
  return {
    // As patient as `deloc up`: the start period and every retry, probed at the start interval.
    startupProbe: {
      exec,
      periodSeconds: startPeriod,
      timeoutSeconds: seconds(h.timeoutMs),
      failureThreshold: Math.max(
        1,
        Math.ceil((h.startPeriodMs + h.retries * h.intervalMs) / (startPeriod * 1000)),
      ),
    },
    readinessProbe: {
      exec,
      periodSeconds: period,
      timeoutSeconds: seconds(h.timeoutMs),
      failureThreshold: 3,
    },
    livenessProbe: {
      exec,
      periodSeconds: period,
      timeoutSeconds: seconds(h.timeoutMs),
      failureThreshold: Math.max(3, h.retries),
    },
  };
}
