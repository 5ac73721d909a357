/**
 * The dependency graph: cycle detection with a stable message, depth levels, and a topological
 * order. Every iteration is in sorted name order so results and messages repeat exactly.
 */
import { CycleError } from "../core/index.js";

/** name → names it depends on. */
export type Graph = ReadonlyMap<string, readonly string[]>;

export function buildGraph(nodes: Iterable<{ name: string; dependsOn: Iterable<string> }>): Graph {
  const graph = new Map<string, string[]>();
  for (const n of nodes) graph.set(n.name, [...new Set(n.dependsOn)].sort());
  return new Map([...graph.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
}

/** The first cycle found searching in name order, as a closed path (`a, b, a`), or undefined. */
export function findCycle(graph: Graph): string[] | undefined {
  const state = new Map<string, "visiting" | "done">();
  const stack: string[] = [];
  const visit = (name: string): string[] | undefined => {
    const s = state.get(name);
    if (s === "done") return undefined;
    if (s === "visiting") return [...stack.slice(stack.indexOf(name)), name];
    state.set(name, "visiting");
    stack.push(name);
    for (const dep of graph.get(name) ?? []) {
      if (!graph.has(dep)) continue;
      const cycle = visit(dep);
      if (cycle) return cycle;
    }
    stack.pop();
    state.set(name, "done");
    return undefined;
  };
  for (const name of graph.keys()) {
    const cycle = visit(name);
    if (cycle) return cycle;
  }
  return undefined;
}

export function assertAcyclic(graph: Graph): void {
  const cycle = findCycle(graph);
  if (cycle) throw new CycleError(cycle);
}

/** Depth of each node: 0 with no dependencies, else one more than its deepest dependency. */
export function depths(graph: Graph): Map<string, number> {
  const depth = new Map<string, number>();
  const of = (name: string): number => {
    const known = depth.get(name);
    if (known !== undefined) return known;
    let d = 0;
    for (const dep of graph.get(name) ?? []) if (graph.has(dep)) d = Math.max(d, of(dep) + 1);
    depth.set(name, d);
    return d;
  };
  for (const name of graph.keys()) of(name);
  return depth;
}

/** Nodes grouped by depth: everything in a level may start together. */
export function levels(graph: Graph): string[][] {
  const out: string[][] = [];
  for (const [name, d] of depths(graph)) {
    const level = out[d] ?? [];
    level.push(name);
    out[d] = level;
  }
  return out.map((l) => l.sort());
}

/** A topological order, choosing the alphabetically first ready node each time (Kahn). */
export function topologicalOrder(graph: Graph): string[] {
  const remaining = new Map([...graph].map(([n, deps]) => [n, deps.filter((d) => graph.has(d)).length]));
  const dependents = new Map<string, string[]>();
  for (const [n, deps] of graph)
    for (const d of deps) if (graph.has(d)) (dependents.get(d) ?? dependents.set(d, []).get(d)!).push(n);
  const ready = [...remaining].filter(([, c]) => c === 0).map(([n]) => n);
  const order: string[] = [];
  while (ready.length) {
    ready.sort();
    const n = ready.shift()!;
    order.push(n);
    for (const m of dependents.get(n) ?? []) {
      const c = remaining.get(m)! - 1;
      remaining.set(m, c);
      if (c === 0) ready.push(m);
    }
  }
  return order;
}

/** The nodes `name` depends on, directly or not. */
export function dependenciesOf(graph: Graph, name: string): Set<string> {
  const seen = new Set<string>();
  const walk = (n: string) => {
    for (const d of graph.get(n) ?? []) {
      if (seen.has(d)) continue;
      seen.add(d);
      walk(d);
    }
  };
  walk(name);
  return seen;
}
