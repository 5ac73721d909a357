/**
 * What the dashboard's server sends its page: plain JSON, shared by both sides (the page imports
 * these types only). Every text in it that may hold a secret is masked before it is sent.
 */
import type { LifecycleEvent } from "../core/lifecycle.js";

/** What the dashboard draws: every service with its place in the graph, its replicas and endpoints. */
export interface DashboardView {
  stack: string;
  state: string;
  at: string;
  phases: string[][];
  services: DashboardService[];
  events: LifecycleEvent[];
}

export interface DashboardService {
  name: string;
  phase: number;
  dependsOn: { service: string; condition: string }[];
  condition: string;
  outdated: boolean;
  scalable: boolean;
  plannedReplicas: number;
  memoryLimitBytes: number;
  replicas: {
    name: string;
    replica: number;
    condition: string;
    health: string;
    memoryBytes: number | null;
    memoryLimitBytes: number;
    /** CPU time so far, in seconds: the page draws the rate between two views. */
    cpuSeconds: number | null;
    restarts: number;
    uptimeSeconds: number | null;
    ports: number[];
  }[];
  endpoints: { name: string; url: string; description?: string }[];
}

/** One probe of `deloc verify`, as the dashboard shows it. */
export interface VerifyRow {
  service: string;
  probe: string;
  status: string;
  ms: number;
  detail: string;
}

export interface VerifyReport {
  at: string;
  ok: boolean;
  probes: VerifyRow[];
}

/** Something the dashboard did or saw, for its activity list: an action's progress, a supervisor's decision. */
export interface Activity {
  at: string;
  service?: string;
  text: string;
  level: "info" | "warn" | "error";
}

/** Everything the page draws, sent whole on every change (it is small). */
export interface DashboardState {
  view: DashboardView | null;
  /** Why there is no view (the engine stopped answering). */
  error?: string;
  verify: VerifyReport | null;
  /** Whether an action runs now (the page disables its buttons). */
  busy: string | null;
  activity: Activity[];
  /** Each supervised service's circuit breaker: closed, open or half-open. */
  circuits: Record<string, string>;
}
