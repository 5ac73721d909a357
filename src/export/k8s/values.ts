/**
 * What a Kubernetes rendering of the Plan lets its user change: the Helm chart's values.yaml and,
 * with their defaults filled in, `deloc export k8s`. Objects are built with holes (`Hole`) where a
 * value goes; `fillHoles` puts the values in, the chart writer turns each hole into a template
 * expression. One object model, two renderings, so the chart and the manifests cannot drift.
 */
import type { Plan, PlannedService } from "../../core/index.js";
import { Cpu, Size } from "../../core/index.js";

/** kubectl for the init containers that wait for dependencies (`rollout status`, `wait`). */
export const WAIT_IMAGE = "registry.k8s.io/kubectl:v1.37.0";
/** Size of a PersistentVolumeClaim the catalog says nothing about. */
export const DEFAULT_VOLUME_SIZE = "1Gi";

export interface ServiceValues {
  enabled: boolean;
  image: string;
  replicas: number;
  resources: {
    limits: { cpu: string; memory: string };
    requests: { cpu: string; memory: string };
  };
  podSecurityContext: Record<string, unknown>;
  containerSecurityContext: Record<string, unknown>;
}

export interface ChartValues {
  global: {
    imagePullPolicy: string;
    /** Empty: the cluster's default storage class. */
    storageClass: string;
    waitImage: string;
    networkPolicy: { enabled: boolean };
  };
  services: Record<string, ServiceValues>;
  volumes: Record<string, { size: string }>;
  /** Empty values are generated at install and kept on upgrade. */
  secrets: Record<string, string>;
}

/**
 * A place in an object that takes a value: `scalar` (written quoted when a string), `block` (an
 * object or list) or `optional` (the key is left out when the value is empty).
 */
export interface Hole {
  readonly hole: "scalar" | "block" | "optional" | "heap";
  readonly path: readonly string[];
  /** `heap`: the JVM heap derived from the memory quantity at `path`, by the catalog's rule. */
  readonly rule?: { ratio: number; format: string };
}

/** A hole for the namespace the objects are applied to: Helm's release namespace. */
export const RELEASE_NAMESPACE = "$namespace";

export const hole = (kind: Exclude<Hole["hole"], "heap">, ...path: string[]): Hole => ({ hole: kind, path });

/** The heap of a JVM service, derived from its memory limit in the values. */
export const heapHole = (service: string, rule: { ratio: number; format: string }): Hole => ({
  hole: "heap",
  path: ["services", service, "resources", "limits", "memory"],
  rule,
});

/**
 * The heap setting for a memory limit, as the planner computes it: the limit × the ratio, in whole
 * MiB, written in the catalog's format. The chart's `deloc.heap` helper is the same in Helm's words.
 */
export function heapSetting(memory: string, rule: { ratio: number; format: string }): string {
  const mib = Math.floor((quantityBytes(memory) * rule.ratio) / MIB);
  return rule.format.replaceAll("{{heap}}", `${mib}m`).replaceAll("{{heapMib}}", String(mib));
}

const MIB = 1024 ** 2;
/** Kubernetes quantity suffixes: binary (Ki…) and decimal (k, M…). */
const QUANTITY_UNITS: Record<string, number> = {
  "": 1,
  Ki: 2 ** 10,
  Mi: 2 ** 20,
  Gi: 2 ** 30,
  Ti: 2 ** 40,
  k: 1e3,
  M: 1e6,
  G: 1e9,
  T: 1e12,
};

function quantityBytes(q: string): number {
  const m = /^(\d+(?:\.\d+)?)(Ki|Mi|Gi|Ti|k|M|G|T)?$/.exec(q.trim());
  if (!m) throw new Error(`"${q}" is not a memory quantity`);
  return Number(m[1]) * QUANTITY_UNITS[m[2] ?? ""]!;
}

export function isHole(v: unknown): v is Hole {
  return typeof v === "object" && v !== null && "hole" in v && "path" in v;
}

export function defaultValues(plan: Plan, pvcNames: readonly string[]): ChartValues {
  return {
    global: {
      imagePullPolicy: "IfNotPresent",
      storageClass: "",
      waitImage: WAIT_IMAGE,
      networkPolicy: { enabled: true },
    },
    services: Object.fromEntries(plan.services.map((s) => [s.name, serviceValues(s)])),
    volumes: Object.fromEntries(pvcNames.map((v) => [v, { size: DEFAULT_VOLUME_SIZE }])),
    secrets: Object.fromEntries(plan.secrets.map((s) => [s.name, ""])),
  };
}

/**
 * The CPU a pod asks the scheduler for: a quarter of its limit (at least 10m). On Docker a
 * service's CPU is a cap, never a reservation; requests equal to the limits kept a stack that runs
 * on a two-CPU laptop from being scheduled on a two-CPU node at all (its pods stayed Pending for
 * "Insufficient cpu").
 */
export function cpuRequestMillis(limitMillis: number): number {
  return Math.max(10, Math.floor(limitMillis / 4));
}

function serviceValues(s: PlannedService): ServiceValues {
  return {
    enabled: true,
    image: s.image,
    replicas: s.replicas,
    resources: {
      limits: { cpu: Cpu.millis(s.cpuMillis).toQuantity(), memory: Size.bytes(s.memoryBytes).toQuantity() },
      requests: {
        cpu: Cpu.millis(cpuRequestMillis(s.cpuMillis)).toQuantity(),
        memory: Size.bytes(s.memoryMinBytes).toQuantity(),
      },
    },
    // Images whose non-root user the catalog knows run as it; others (MinIO runs as root
    // upstream) as their image says.
    podSecurityContext: {
      ...(s.user && s.user.uid !== 0
        ? { runAsNonRoot: true, runAsUser: s.user.uid, runAsGroup: s.user.gid, fsGroup: s.user.gid }
        : {}),
      seccompProfile: { type: "RuntimeDefault" },
    },
    containerSecurityContext: {
      allowPrivilegeEscalation: false,
      ...(s.user ? { capabilities: { drop: ["ALL"] } } : {}),
    },
  };
}

/** The object with every hole replaced by its value (an empty `optional` drops its key). */
export function fillHoles(value: unknown, values: ChartValues, namespace: string): unknown {
  const get = (h: Hole) =>
    h.path[0] === RELEASE_NAMESPACE
      ? namespace
      : h.hole === "heap"
        ? heapSetting(String(lookup(values, h.path)), h.rule!)
        : lookup(values, h.path);
  if (isHole(value)) return get(value);
  if (Array.isArray(value)) return value.map((v) => fillHoles(v, values, namespace));
  if (typeof value === "object" && value !== null) {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) {
      if (isHole(v) && v.hole === "optional" && !get(v)) continue;
      out[k] = fillHoles(v, values, namespace);
    }
    return out;
  }
  return value;
}

function lookup(values: ChartValues, path: readonly string[]): unknown {
  let v: unknown = values;
  for (const p of path) v = (v as Record<string, unknown> | undefined)?.[p];
  if (v === undefined) throw new Error(`no value at ${path.join(".")}`);
  return v;
}
