/**
 * Every refusal the config and the planner make names what to do about it; each test here applies
 * the remedy the message suggests (edits the stack file, or passes the flag it names) and plans
 * again, which must then succeed.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { catalog } from "../../test/support/stack.js";
import { catalogIndex } from "../catalog/index.js";
import { checkAgainstCatalog, type LayerFlags, loadStackText } from "../config/index.js";
import {
  type Budget,
  ConfigError,
  CycleError,
  DelocError,
  InsufficientMemoryError,
  type MemoryCommitment,
  Size,
} from "../core/index.js";
import { budgetFor, type HostFacts } from "../resources/index.js";
import { checkAddresses, plan } from "./index.js";

const GIB = 1024 ** 3;
const MIB = 1024 ** 2;

/** A stack file from its service entries (name → inline YAML value). */
function stackFile(services: Record<string, string>, spec = "", name = "demo"): string {
  const lines = Object.entries(services).map(([n, v]) => `    ${n}: ${v}\n`);
  return `apiVersion: deloc.dev/v1\nkind: Stack\nmetadata: { name: ${name} }\nspec:\n${spec}  services:\n${lines.join("")}`;
}

/** Loads, checks against the catalog and plans, as `deloc plan` does; throws what it refuses with. */
function planText(yaml: string, b: Budget, flags: LayerFlags = {}) {
  const loaded = loadStackText(yaml, {
    cwd: "/project",
    env: {},
    home: "/home/user",
    file: "/project/deloc.yaml",
    display: "deloc.yaml",
    flags,
  });
  if (!loaded.ok) throw new ConfigError(loaded.file, loaded.errors);
  const errors = checkAgainstCatalog(loaded.stack, catalogIndex(catalog), loaded.locate);
  if (!errors.length) errors.push(...checkAddresses(loaded.stack, catalog, loaded.locate));
  if (errors.length) throw new ConfigError(loaded.file, errors);
  return plan(loaded.stack, catalog, b);
}

function refusal(f: () => unknown): DelocError {
  try {
    f();
  } catch (e) {
    if (e instanceof DelocError) return e;
    throw e;
  }
  assert.fail("expected a refusal");
}

/** A host of `gib` GiB (the budget keeps the OS reserve and margin), with what else the engine holds. */
function machine(gib: number, commitments: MemoryCommitment[] = []): Budget {
  const host: HostFacts = {
    memoryBytes: { value: gib * GIB, source: "/proc/meminfo", detail: "test" },
    physicalMemoryBytes: gib * GIB,
    cpus: { value: 4, source: "cpu count", detail: "test" },
  };
  return budgetFor({
    host,
    engine: { memoryBytes: gib * GIB, cpus: 4 },
    commitments,
  });
}

/** The remedies of a memory refusal's hint, one by one. */
function remedies(e: DelocError): string[] {
  const hint = (e.hint ?? "").replace(/^Either /, "").replace(/\.$/, "");
  return hint.split("; or ").map((r) => r.charAt(0).toLowerCase() + r.slice(1));
}

/**
 * Applies one memory remedy as a user would: the flag it names, or the stack-file edit it names;
 * returns the plan made after it.
 */
function applyMemoryRemedy(
  remedy: string,
  services: Record<string, string>,
  gib: number,
  commitments: MemoryCommitment[] = [],
  spec = "",
) {
  if (remedy === "use the minimal profile: --profile minimal")
    return planText(stackFile(services, spec), machine(gib, commitments), { profile: "minimal" });
  const fewer = /^run fewer (\S+) replicas: replicas: (\d+)$/.exec(remedy);
  const drop =
    /^(?:drop (.+?) from spec\.services)?(?:(?:, and | and )?set (.+?) in spec\.services)? \(frees [^)]+\)$/.exec(
      remedy,
    );
  const memory = /^give the machine \(or the Docker VM\) at least (.+) of memory$/.exec(remedy);
  const stop = /^stop what else runs on the engine: (.+) \(frees [^)]+\)$/.exec(remedy);
  if (fewer) {
    const [, name, n] = fewer;
    const old = services[name!] ?? "{}";
    const edited = {
      ...services,
      [name!]: /replicas: \d+/.test(old)
        ? old.replace(/replicas: \d+/, `replicas: ${n}`)
        : old.replace(/^\{/, `{ replicas: ${n},`),
    };
    return planText(stackFile(edited, spec), machine(gib, commitments));
  }
  if (drop) {
    const edited = { ...services };
    for (const name of (drop[1] ?? "").split(", ").filter(Boolean)) {
      assert.ok(name in edited, `${name} is an entry of spec.services`);
      delete edited[name];
    }
    for (const entry of (drop[2] ?? "").split(", ").filter(Boolean)) {
      const e = /^`(\S+): \{ enabled: false \}`$/.exec(entry);
      assert.ok(e, `"${entry}" is an entry to set`);
      edited[e[1]!] = "{ enabled: false }";
    }
    return planText(stackFile(edited, spec), machine(gib, commitments));
  }
  if (memory) {
    const bytes = Size.parse(memory[1]!.replace(" GiB", "g").replace(" MiB", "m"))!.bytes;
    // A machine (or engine VM) that size, with the same other stacks on it.
    return planText(stackFile(services, spec), machine(bytes / GIB, commitments));
  }
  if (stop) {
    const stopped = new Set<string>();
    for (const cmd of stop[1]!.split(", ")) {
      const c = /^`(?:deloc down --stack|docker stop) (\S+)`$/.exec(cmd);
      assert.ok(c, `"${cmd}" is a command`);
      stopped.add(c[1]!);
    }
    const left = commitments.filter((c) => !stopped.has(c.stack ?? c.name));
    assert.ok(left.length < commitments.length);
    return planText(stackFile(services, spec), machine(gib, left));
  }
  assert.fail(`no way to apply remedy "${remedy}"`);
}

/** Refuses, then every remedy of the refusal, applied alone, gives a plan. */
function everyRemedyWorks(
  services: Record<string, string>,
  gib: number,
  commitments: MemoryCommitment[] = [],
  spec = "",
): string[] {
  const e = refusal(() => planText(stackFile(services, spec), machine(gib, commitments)));
  assert.ok(e instanceof InsufficientMemoryError, e.message);
  const list = remedies(e);
  for (const r of list) {
    const p = applyMemoryRemedy(r, services, gib, commitments, spec);
    assert.ok(p.services.length > 0, r);
  }
  return list;
}

describe("group components", () => {
  it("enabled: false on a group component leaves it out of the plan", () => {
    const p = planText(
      stackFile({ airflow: "{}", "airflow-scheduler": "{ enabled: false }", postgres: "{}" }),
      machine(32),
    );
    const names = p.services.map((s) => s.name);
    assert.ok(!names.includes("airflow-scheduler"), names.join(", "));
    assert.ok(names.includes("airflow-dag-processor"));
  });

  it("refuses to disable a component another one waits for, and its remedy works", () => {
    const services = { airflow: "{}", "airflow-init": "{ enabled: false }", postgres: "{}" };
    const e = refusal(() => planText(stackFile(services), machine(32)));
    assert.ok(e instanceof ConfigError, e.message);
    assert.match(e.message, /airflow-init/);
    assert.match(e.message, /drop its `enabled: false`/);
    const { "airflow-init": _, ...fixed } = services;
    assert.ok(planText(stackFile(fixed), machine(32)).services.some((s) => s.name === "airflow-init"));
  });
});

describe("memory refusal: every remedy it suggests works", () => {
  it("streaming on a small machine: minimal profile, fewer replicas, drop, more memory", () => {
    const list = everyRemedyWorks(
      { kafka: "{}", "spark-master": "{}", "spark-worker": "{ replicas: 2 }", minio: "{}", postgres: "{}" },
      4.5,
    );
    assert.ok(list.some((r) => r.startsWith("use the minimal profile")));
    assert.ok(list.some((r) => r.startsWith("run fewer spark-worker replicas")));
    assert.ok(list.some((r) => r.startsWith("drop ")));
  });

  it("airflow a little short: suggests disabling a group component, which then plans", () => {
    const list = everyRemedyWorks({ airflow: "{}", postgres: "{}", minio: "{}" }, 3.4);
    assert.ok(
      list.some((r) => /set `airflow-(scheduler|dag-processor): \{ enabled: false \}`/.test(r)),
      list.join("\n"),
    );
    // Never a service others wait for, need, or address.
    for (const r of list) assert.doesNotMatch(r, /airflow-init|airflow-api-server|drop postgres/, r);
  });

  it("a lot short: a whole group, which nothing outside it needs", () => {
    const list = everyRemedyWorks(
      { airflow: "{}", postgres: "{}", minio: "{}", redis: "{}", jupyter: "{}" },
      3.3,
    );
    // The whole group goes with its entry: what nothing outside it needs.
    assert.ok(
      list.some((r) => r.startsWith("drop airflow from spec.services")),
      list.join("\n"),
    );
  });

  it("the full recipe far short: whole entries (a group among them) whose services nothing else needs", () => {
    const full = [
      "kafka",
      "spark-master",
      "spark-worker",
      "minio",
      "postgres",
      "airflow",
      "redis",
      "jupyter",
    ];
    const list = everyRemedyWorks(Object.fromEntries(full.map((n) => [n, "{}"])), 3);
    assert.ok(
      list.some((r) => /^drop .*airflow.* from spec\.services/.test(r)),
      list.join("\n"),
    );
  });

  it("never suggests dropping a service another one requires (kafka's ZooKeeper)", () => {
    const list = everyRemedyWorks({ kafka: "{ variant: zookeeper }", postgres: "{}" }, 1.6);
    for (const r of list) assert.doesNotMatch(r, /zookeeper/, r);
  });

  it("a custom service with replicas: fewer replicas", () => {
    const list = everyRemedyWorks(
      { app: '{ image: "x/app:1", replicas: 6, resources: { memory: 1g } }', postgres: "{}" },
      8,
    );
    assert.ok(
      list.some((r) => r.startsWith("run fewer app replicas")),
      list.join("\n"),
    );
  });

  it("other stacks on the engine: names them, and stopping them lets it plan", () => {
    const others: MemoryCommitment[] = [
      { name: "other-kafka-1", stack: "other", memoryBytes: 3 * GIB },
      { name: "other-pg-1", stack: "other", memoryBytes: 1 * GIB },
      { name: "loose", memoryBytes: 512 * MIB },
    ];
    const services = { kafka: "{}", postgres: "{}", minio: "{}" };
    const e = refusal(() => planText(stackFile(services, "  profile: minimal\n"), machine(4, others)));
    assert.ok(e instanceof InsufficientMemoryError);
    assert.match(
      e.message,
      /other stacks and containers on the engine hold 4\.5 GiB: other 4 GiB, loose 512 MiB/,
    );
    assert.equal(e.details.committedBytes, 4.5 * GIB);
    const list = everyRemedyWorks(services, 4, others, "  profile: minimal\n");
    assert.ok(
      list.some((r) => r.includes("`deloc down --stack other`")),
      list.join("\n"),
    );
  });
});

describe("config refusals: every remedy they suggest works", () => {
  const fixes: { name: string; bad: string; good: (e: DelocError) => string; expect: RegExp }[] = [
    {
      name: "a stack name that is not a DNS label",
      bad: stackFile({ postgres: "{}" }, "", "My_Stack"),
      expect: /try "my-stack"/,
      good: (e) => stackFile({ postgres: "{}" }, "", /try "([^"]+)"/.exec(e.message)![1]),
    },
    {
      name: "replicas sharing a host port",
      bad: stackFile({ app: '{ image: "x/app:1", replicas: 2, ports: ["8080:80"] }' }),
      expect: /publish no host port \(use \{ container: N \}\) or set replicas: 1/,
      good: () => stackFile({ app: '{ image: "x/app:1", replicas: 2, ports: [{ container: 80 }] }' }),
    },
    {
      name: "a dependency on a catalog service the stack lacks",
      bad: stackFile({ app: '{ image: "x/app:1", dependsOn: [postgres] }' }),
      expect: /add `postgres: \{\}` to spec.services/,
      good: () => stackFile({ app: '{ image: "x/app:1", dependsOn: [postgres] }', postgres: "{}" }),
    },
    {
      name: "a misspelt template",
      bad: stackFile({ db: "{ template: postgress }" }),
      expect: /did you mean "postgres"\?/,
      good: () => stackFile({ db: "{ template: postgres }" }),
    },
    {
      name: "an address of a service left out with enabled: false",
      bad: stackFile({
        redis: "{ enabled: false }",
        api: '{ image: "x/api:1", env: { CACHE: "redis://{{address.redis.redis}}" } }',
      }),
      expect: /add `redis: \{\}` to spec.services \(or drop its `enabled: false`\)/,
      good: () =>
        stackFile({
          redis: "{}",
          api: '{ image: "x/api:1", env: { CACHE: "redis://{{address.redis.redis}}" } }',
        }),
    },
    {
      name: "a service name that is not a DNS label",
      bad: stackFile({ My_App: '{ image: "x/app:1" }' }),
      expect: /try "my-app"/,
      good: (e) => stackFile({ [/try "([^"]+)"/.exec(e.message)![1]!]: '{ image: "x/app:1" }' }),
    },
    {
      name: "a stack with no services",
      bad: "apiVersion: deloc.dev/v1\nkind: Stack\nmetadata: { name: demo }\nspec:\n  services: {}\n",
      expect: /add one, e\.g\. `postgres: \{\}`/,
      good: () => stackFile({ postgres: "{}" }),
    },
    {
      name: "a misspelt catalog service",
      bad: stackFile({ postgress: "{}" }),
      expect: /did you mean "postgres"\?/,
      good: () => stackFile({ postgres: "{}" }),
    },
    {
      name: "a custom service without an image",
      bad: stackFile({ myapp: "{ replicas: 1 }" }),
      expect: /give it an image: or build:/,
      good: () => stackFile({ myapp: '{ image: "x/app:1", replicas: 1 }' }),
    },
    {
      name: "a misspelt variant",
      bad: stackFile({ kafka: "{ variant: zookeper }" }),
      expect: /did you mean "zookeeper"\?/,
      good: () => stackFile({ kafka: "{ variant: zookeeper }" }),
    },
    {
      name: "a custom service's health check without a command",
      bad: stackFile({ app: '{ image: "x/app:1", healthCheck: { interval: 2s } }' }),
      expect: /e\.g\. command: \["pg_isready"\]/,
      good: () =>
        stackFile({ app: '{ image: "x/app:1", healthCheck: { interval: 2s, command: ["true"] } }' }),
    },
    {
      name: "a misspelt dependency",
      bad: stackFile({ db: '{ image: "x/db:1" }', app: '{ image: "x/app:1", dependsOn: [dbb] }' }),
      expect: /did you mean "db"\?/,
      good: () => stackFile({ db: '{ image: "x/db:1" }', app: '{ image: "x/app:1", dependsOn: [db] }' }),
    },
    {
      name: "a probe on a group",
      bad: stackFile({ postgres: "{}", airflow: '{ verify: { command: ["true"] } }' }),
      expect: /declare verify: on a component instead, e\.g\. `airflow-\S+: \{ verify: … \}`/,
      good: () =>
        stackFile({
          postgres: "{}",
          airflow: "{}",
          "airflow-scheduler": '{ verify: { command: ["true"] } }',
        }),
    },
    {
      name: "a probe on a port that is not published",
      bad: stackFile({
        app: '{ image: "x/app:1", ports: [{ name: web, container: 80 }], verify: { http: { port: web } } }',
      }),
      expect: /give the port a host port, or use verify: \{ command: \[\.\.\.\] \}/,
      good: () =>
        stackFile({
          app: '{ image: "x/app:1", ports: [{ name: web, container: 80, host: 47080 }], verify: { http: { port: web } } }',
        }),
    },
  ];
  for (const f of fixes)
    it(f.name, () => {
      const e = refusal(() => planText(f.bad, machine(32)));
      assert.match(e.message, f.expect);
      assert.ok(planText(f.good(e), machine(32)).services.length > 0);
    });

  it("a dependency cycle: removing one of its dependsOn entries plans", () => {
    const e = refusal(() =>
      planText(
        stackFile({ a: '{ image: "x/a:1", dependsOn: [b] }', b: '{ image: "x/b:1", dependsOn: [a] }' }),
        machine(32),
      ),
    );
    assert.ok(e instanceof CycleError);
    assert.match(e.hint ?? "", /Remove one of these dependsOn entries/);
    planText(stackFile({ a: '{ image: "x/a:1", dependsOn: [b] }', b: '{ image: "x/b:1" }' }), machine(32));
  });
});
