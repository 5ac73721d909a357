/**
 * The planner: Stack + catalog + budget → Plan. Pure: no file, network or clock access; what the
 * machine looks like (budget, ports already taken) is handed in.
 */
import type { Catalog } from "../catalog/index.js";
import {
  type Budget,
  ConfigError,
  closest,
  type Diagnostic,
  formatBytes,
  InsufficientMemoryError,
  type Plan,
  type PlannedSecret,
  type PlannedService,
  type SecretKind,
  Size,
  type Stack,
  templateKey,
  UnknownServiceError,
} from "../core/index.js";
import {
  type AddressBook,
  addressBook,
  addressDiagnostics,
  addressedServices,
  resolveAddresses,
} from "./addresses.js";
import { allocateMemory, type DropUnit, MIB } from "./allocate.js";
import { assertAcyclic, buildGraph, type Graph, levels, topologicalOrder } from "./graph.js";
import { stableHash } from "./hash.js";
import { type PlaceholderContext, resolvePlaceholders, secretsIn } from "./placeholders.js";
import { assignPorts } from "./ports.js";
import { declaredProbe, planProbe } from "./probe.js";
import { type ResolvedService, resolveServices } from "./resolve.js";

export interface PlanOptions {
  /** Host ports already in use on the machine; planned ports move off them. */
  takenPorts?: ReadonlySet<number>;
}

export function plan(stack: Stack, catalog: Catalog, budget: Budget, opts: PlanOptions = {}): Plan {
  const { services: resolved, notes } = resolveServices(stack, catalog);
  const byName = new Map(resolved.map((s) => [s.name, s]));

  for (const s of resolved)
    for (const dep of Object.keys(s.dependsOn))
      if (!byName.has(dep)) throw new UnknownServiceError(dep, closest(dep, byName.keys()));
  const graph = buildGraph(resolved.map((s) => ({ name: s.name, dependsOn: Object.keys(s.dependsOn) })));
  assertAcyclic(graph);
  // The stack-file loader reports these with their positions first; this guards plans made without it.
  const addressProblems = addressDiagnostics(resolved, stack, catalog.templates.keys());
  if (addressProblems.length) throw new ConfigError(stack.file, addressProblems);

  // A dependency without a health check can never be "healthy": wait for it to start instead.
  for (const s of resolved)
    for (const [dep, condition] of Object.entries(s.dependsOn))
      if (condition === "healthy" && !byName.get(dep)!.healthCheck) {
        s.dependsOn[dep] = byName.get(dep)!.oneShot ? "completed" : "started";
        notes.push(`${s.name} waits for ${dep} to be ${s.dependsOn[dep]}: ${dep} has no health check`);
      }

  notes.push(...pythonMismatches(resolved));

  const phases = phasesFor(graph, stack.strategy, stack.maxParallel);
  const phaseOf = new Map(phases.flatMap((names, i) => names.map((n) => [n, i + 1] as const)));

  const gross = budget.hostMemoryBytes - budget.reserveBytes - budget.marginBytes;
  const allocation = allocateMemory(
    resolved.map((s) => ({
      name: s.name,
      replicas: s.replicas,
      minBytes: s.memoryMinBytes,
      preferredBytes: s.memoryPreferredBytes,
      ...(s.template && !s.memoryFixed
        ? { minimalProfileMinBytes: s.template.resources.minimal.memoryMinBytes }
        : {}),
    })),
    budget.memoryBytes,
    {
      stack: stack.name,
      profile: stack.profile,
      hostBytesPerBudgetByte: gross > 0 ? budget.hostMemoryBytes / gross : 1,
      commitments: budget.commitments ?? [],
      dropUnits: dropUnits(resolved, stack, catalog),
      cluster: budget.capacity === "cluster",
    },
  );
  if (budget.largestNode) notes.push(...fitNodes(resolved, allocation.bytes, budget.largestNode, stack));
  if (allocation.fraction < 1) {
    const shrunk = resolved
      .filter((s) => allocation.bytes.get(s.name)! < s.memoryPreferredBytes)
      .map((s) => s.name);
    const who = shrunk.length === resolved.length ? "every service" : shrunk.join(", ");
    notes.push(
      `memory is short: ${who} got less than preferred (${Math.round(allocation.fraction * 100)}% of the way from minimum to preferred)`,
    );
  }

  const { ports, notes: portNotes } = assignPorts(
    resolved.map((s) => ({ service: s.name, ports: s.ports })),
    stack.bindAddress,
    opts.takenPorts ?? new Set(),
  );
  notes.push(...portNotes);

  const cpuCap = Math.max(1, Math.round(budget.cpus * 1000));
  const problems: string[] = [];
  const services = resolved.map((s) =>
    finish(s, {
      stack,
      phase: phaseOf.get(s.name)!,
      memoryBytes: allocation.bytes.get(s.name)!,
      cpuMillis: Math.min(s.cpuMillis, cpuCap),
      ports: ports.get(s.name) ?? [],
      problems,
    }),
  );
  if (problems.length)
    throw new ConfigError(
      stack.file,
      problems.map((message) => ({ path: "", message: `placeholder ${message}` })),
    );
  // Second pass: addresses of other services, now that every service's own endpoints are planned.
  const book = addressBook(resolved.map((s, i) => ({ ...s, endpoints: services[i]!.endpoints })));
  for (const s of services) {
    linkAddresses(s, book);
    s.secrets = secretsOf(s);
    s.hash = serviceHash(s);
  }
  const probeProblems: Diagnostic[] = [];
  for (const [i, s] of resolved.entries()) {
    const declared = declaredProbe(stack, s.name, s.template);
    if (!declared) continue;
    const planned = planProbe(s.name, declared, services[i]!.ports);
    if (planned.ok) services[i]!.verify = planned.probe;
    else probeProblems.push(planned.problem);
  }
  if (probeProblems.length) throw new ConfigError(stack.file, probeProblems);

  const volumes = [
    ...new Set(services.flatMap((s) => s.volumes.filter((v) => v.type === "volume").map((v) => v.source))),
  ].sort();
  return {
    stack: stack.name,
    profile: stack.profile,
    target: stack.target,
    strategy: stack.strategy,
    maxParallel: stack.maxParallel,
    budget,
    phases,
    services,
    volumes,
    secrets: collectSecrets(resolved, services),
    notes,
    totalMemoryBytes: services.reduce((sum, s) => sum + s.memoryBytes * s.replicas, 0),
  };
}

/**
 * What the stack file can leave out, for the memory refusal: a listed service or a whole group by
 * dropping its entry, a group's component by `enabled: false`. Never a service another one waits
 * for, requires or addresses (it would come back, or the file would be refused), nor one added
 * because another needs it. Env a template sets only because a peer is in the stack (its
 * `connections`) does not make the peer needed: it goes with the peer.
 */
function dropUnits(resolved: readonly ResolvedService[], stack: Stack, catalog: Catalog): DropUnit[] {
  const neededBy = new Map<string, Set<string>>();
  for (const s of resolved) {
    const variant = s.variant ? s.template?.variants[s.variant] : undefined;
    const conditional = new Map<string, string>();
    for (const [peer, c] of Object.entries(s.template?.connections ?? {}))
      for (const key of Object.keys(c.env)) if (!s.userEnv.has(key)) conditional.set(key, peer);
    const names = [
      ...Object.keys(s.dependsOn),
      ...(s.template?.requires ?? []),
      ...(variant?.requires ?? []),
      ...Object.entries(s.env).flatMap(([key, value]) =>
        addressedServices(value).filter((n) => conditional.get(key) !== n),
      ),
      ...[...(s.command ?? []), ...(s.entrypoint ?? [])].flatMap(addressedServices),
    ];
    for (const n of names) if (n !== s.name) neededBy.set(n, (neededBy.get(n) ?? new Set()).add(s.name));
  }
  const inPlan = new Set(resolved.map((s) => s.name));
  const units: DropUnit[] = [];
  const components = new Set<string>();
  for (const e of stack.services) {
    const group = catalog.groups.get(templateKey(e) ?? "");
    if (!group) continue;
    const members = group.filter((m) => inPlan.has(m));
    for (const m of members) components.add(m);
    const outside = members.flatMap((m) => [...(neededBy.get(m) ?? [])]).filter((n) => !members.includes(n));
    if (members.length && !outside.length) units.push({ name: e.name, how: "entry", services: members });
    for (const m of members)
      if (!neededBy.get(m)?.size) units.push({ name: m, how: "component", services: [m] });
  }
  for (const e of stack.services)
    if (inPlan.has(e.name) && !components.has(e.name) && !neededBy.get(e.name)?.size)
      units.push({ name: e.name, how: "entry", services: [e.name] });
  return units;
}

function phasesFor(graph: Graph, strategy: Stack["strategy"], maxParallel: number): string[][] {
  if (strategy === "sequential") return topologicalOrder(graph).map((n) => [n]);
  const byDepth = levels(graph);
  if (strategy === "parallel") return byDepth;
  return byDepth.flatMap((level) => {
    const chunks: string[][] = [];
    for (let i = 0; i < level.length; i += maxParallel) chunks.push(level.slice(i, i + maxParallel));
    return chunks;
  });
}

interface FinishInput {
  stack: Stack;
  phase: number;
  memoryBytes: number;
  cpuMillis: number;
  ports: PlannedService["ports"];
  problems: string[];
}

function finish(s: ResolvedService, f: FinishInput): PlannedService {
  const env = { ...s.env };
  let jvmHeapBytes: number | null = null;
  if (s.jvm) {
    if (s.userEnv.has(s.jvm.env)) {
      jvmHeapBytes = heapFromSetting(env[s.jvm.env]!);
    } else {
      const heap = Size.bytes(f.memoryBytes * s.jvm.heapRatio).floorMib();
      jvmHeapBytes = heap.bytes;
      env[s.jvm.env] = s.jvm.format
        .replaceAll("{{heap}}", heap.toJvm())
        .replaceAll("{{heapMib}}", String(heap.mib));
    }
  }

  const hostPorts = new Map<string, number>();
  const containerPorts = new Map<string, number>();
  for (const p of s.ports) {
    const planned = f.ports.find((q) => q.container === p.container && q.protocol === p.protocol);
    for (const key of [p.name, String(p.container)]) {
      if (!key) continue;
      hostPorts.set(key, planned?.host ?? p.container);
      containerPorts.set(key, p.container);
    }
  }
  const ctx: PlaceholderContext = { service: s.name, stack: f.stack.name, hostPorts, containerPorts, env };
  const text = (t: string) => resolvePlaceholders(t, ctx, f.problems);
  const resolvedEnv = Object.fromEntries(Object.entries(env).map(([k, v]) => [k, text(v)]));
  const ctxWithEnv = { ...ctx, env: resolvedEnv };
  const text2 = (t: string) => resolvePlaceholders(t, ctxWithEnv, f.problems);

  const planned: PlannedService = {
    name: s.name,
    image: s.image,
    env: resolvedEnv,
    ports: f.ports,
    volumes: s.volumes.map((v) => ({ ...v, source: text2(v.source) })),
    dependsOn: Object.entries(s.dependsOn).map(([service, condition]) => ({ service, condition })),
    phase: f.phase,
    replicas: s.replicas,
    scalable: s.scalable,
    stateful: s.stateful,
    oneShot: s.oneShot,
    restart: s.restart,
    memoryBytes: f.memoryBytes,
    memoryMinBytes: s.memoryMinBytes,
    memoryPreferredBytes: s.memoryPreferredBytes,
    cpuMillis: f.cpuMillis,
    jvmHeapBytes,
    endpoints: s.endpoints.map((e) => ({
      name: e.name,
      url: text2(e.url),
      ...(e.description ? { description: text2(e.description) } : {}),
    })),
    secrets: [],
    hash: "",
  };
  if (s.template) planned.template = s.template.name;
  if (s.template?.user) planned.user = { ...s.template.user };
  if (s.template?.capabilities) planned.capabilities = [...s.template.capabilities];
  if (s.variant) planned.variant = s.variant;
  if (s.build) planned.build = s.build;
  if (s.command) planned.command = s.command.map(text2);
  if (s.entrypoint) planned.entrypoint = s.entrypoint.map(text2);
  if (s.jvm) planned.jvmHeapEnv = s.jvm.env;
  if (s.jvm && !s.userEnv.has(s.jvm.env))
    planned.jvmHeapRule = { ratio: s.jvm.heapRatio, format: s.jvm.format };
  if (s.backup) planned.backup = { dump: s.backup.dump.map(text2), restore: s.backup.restore.map(text2) };
  if (s.healthCheck) planned.healthCheck = { ...s.healthCheck, command: s.healthCheck.command.map(text2) };
  return planned;
}

/** `{{host.…}}`, `{{address.…}}` and `{{endpoint.…}}` in env, command and entrypoint (checked before). */
function linkAddresses(s: PlannedService, book: AddressBook): void {
  const link = (text: string) => resolveAddresses(text, book, () => {});
  s.env = Object.fromEntries(Object.entries(s.env).map(([k, v]) => [k, link(v)]));
  if (s.command) s.command = s.command.map(link);
  if (s.entrypoint) s.entrypoint = s.entrypoint.map(link);
}

/**
 * PySpark needs the driver's and the executors' Python to be the same minor version: a notebook
 * (Python 3.13 upstream) driving workers of another image (3.10) fails at its first UDF. Only
 * catalog images whose template tells its Python are compared, and only the stack's own images.
 */
function pythonMismatches(resolved: readonly ResolvedService[]): string[] {
  const notes: string[] = [];
  for (const s of resolved) {
    const python = s.template?.python;
    if (!python || s.image !== s.template?.image) continue;
    for (const peer of resolved) {
      const other = peer.template?.python;
      if (!other || peer.image !== peer.template?.image) continue;
      if (python.matches.includes(peer.template!.name) && other.version !== python.version)
        notes.push(
          `${s.name} runs Python ${python.version} and ${peer.name} ${other.version}: PySpark code from ${s.name} that runs Python on ${peer.name} (UDFs, RDD functions) fails with PYTHON_VERSION_MISMATCH; DataFrame and SQL work`,
        );
    }
  }
  return notes;
}

function secretsOf(s: PlannedService): string[] {
  return [...new Set([...Object.values(s.env), ...s.endpoints.map((e) => e.url)].flatMap(secretsIn))].sort();
}

/**
 * What a running container must match. Replicas, phase, dependencies and endpoints are left out:
 * changing them must not recreate a container.
 */
export function serviceHash(s: PlannedService): string {
  return stableHash({
    image: s.image,
    build: s.build ?? null,
    command: s.command ?? null,
    entrypoint: s.entrypoint ?? null,
    env: s.env,
    ports: s.ports.map(({ container, host, hostIp, protocol }) => ({ container, host, hostIp, protocol })),
    volumes: s.volumes,
    healthCheck: s.healthCheck ?? null,
    memoryBytes: s.memoryBytes,
    cpuMillis: s.cpuMillis,
    restart: s.restart,
  });
}

function heapFromSetting(value: string): number | null {
  const xmx = /-Xmx(\d+[kmgtKMGT]?)/.exec(value)?.[1] ?? value;
  return Size.parse(xmx)?.bytes ?? null;
}

function collectSecrets(
  resolved: readonly ResolvedService[],
  services: readonly PlannedService[],
): PlannedSecret[] {
  const kinds = new Map<string, SecretKind>();
  for (const s of resolved)
    for (const [name, kind] of Object.entries(s.template?.secrets ?? {})) kinds.set(name, kind);
  const names = new Set(services.flatMap((s) => s.secrets));
  return [...names].sort().map((name) => ({ name, kind: kinds.get(name) ?? "password" }));
}

/**
 * On a cluster, each pod runs on one node: a service whose minimum (its pods' memory request; a
 * size the file fixes) is more than the largest node's allocatable memory cannot be scheduled and
 * is refused; one given more than that, though its minimum fits, is held to the node's size (said
 * in a note). Changes `bytes`; returns the notes.
 */
function fitNodes(
  services: readonly ResolvedService[],
  bytes: Map<string, number>,
  node: { name: string; memoryBytes: number },
  stack: Stack,
): string[] {
  const room = Math.floor(node.memoryBytes / MIB) * MIB;
  const tooBig = services.filter((s) => s.memoryMinBytes > node.memoryBytes);
  if (tooBig.length) {
    const needs = tooBig.map((s) => ({
      service: s.name,
      replicas: s.replicas,
      minimumBytes: s.memoryMinBytes,
    }));
    const fit = `${Math.floor((node.memoryBytes * 0.9) / MIB)}Mi`;
    throw new InsufficientMemoryError(
      `Not enough memory on any one node of the cluster for stack "${stack.name}": ${tooBig.map((s) => `${s.name} needs at least ${formatBytes(s.memoryMinBytes)} per pod`).join(", ")}, and the largest node, ${node.name}, has ${formatBytes(node.memoryBytes)} allocatable (a pod runs on one node).`,
      `Either try resources: { memory: ${fit} } for ${tooBig.map((s) => s.name).join(", ")} in the stack file; or add a node with more allocatable memory.`,
      {
        budgetBytes: node.memoryBytes,
        neededBytes: Math.max(...tooBig.map((s) => s.memoryMinBytes)),
        shortfallBytes: Math.max(...tooBig.map((s) => s.memoryMinBytes)) - node.memoryBytes,
        profile: stack.profile,
        needs,
      },
    );
  }
  const notes: string[] = [];
  for (const s of services)
    if (bytes.get(s.name)! > room) {
      bytes.set(s.name, room);
      notes.push(
        `${s.name} is held to ${formatBytes(room)}, the allocatable memory of the cluster's largest node (${node.name})`,
      );
    }
  return notes;
}
