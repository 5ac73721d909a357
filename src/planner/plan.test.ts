import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { assertGolden } from "../../test/support/golden.js";
import { budget, catalog, stackFrom } from "../../test/support/stack.js";
import { formatPlan } from "../cli/render/plan-table.js";
import { CycleError, InsufficientMemoryError } from "../core/index.js";
import { clusterBudget } from "../resources/index.js";
import { plan, planToJson } from "./index.js";

const header = (profile = "development", extra = "") =>
  `apiVersion: deloc.dev/v1\nkind: Stack\nmetadata: { name: demo }\nspec:\n  profile: ${profile}\n${extra}  services:\n`;

const STREAMING = `${header()}    kafka: {}\n    spark-master: {}\n    spark-worker: { replicas: 2 }\n    minio: {}\n    postgres: {}\n`;
const MIB = 1024 ** 2;

describe("plan", () => {
  it("plans the streaming recipe: phases, memory, heap, ports (golden)", () => {
    const p = plan(stackFrom(STREAMING), catalog, budget(16));
    assertGolden("plan-streaming.txt", `${formatPlan(p)}\n`);
    assert.deepEqual(p.phases, [["kafka", "minio", "postgres", "spark-master"], ["spark-worker"]]);
    const kafka = p.services.find((s) => s.name === "kafka")!;
    assert.equal(kafka.memoryBytes, 1536 * MIB);
    assert.equal(kafka.jvmHeapBytes, 768 * MIB);
    assert.equal(kafka.env.KAFKA_HEAP_OPTS, "-Xmx768m -Xms768m");
    assert.equal(kafka.env.KAFKA_ADVERTISED_LISTENERS, "INTERNAL://kafka:19092,EXTERNAL://localhost:9092");
    assert.deepEqual(kafka.ports, [
      { container: 9092, host: 9092, hostIp: "127.0.0.1", protocol: "tcp", name: "broker" },
    ]);
    const worker = p.services.find((s) => s.name === "spark-worker")!;
    assert.equal(worker.replicas, 2);
    assert.deepEqual(worker.dependsOn, [{ service: "spark-master", condition: "healthy" }]);
    assert.equal(p.totalMemoryBytes, (1536 + 1024 + 2 * 2048 + 512 + 512) * MIB);
  });

  it("has the documented plan --json shape", () => {
    const json = planToJson(plan(stackFrom(STREAMING), catalog, budget(16, 4)));
    assert.equal(json.stack, "demo");
    assert.deepEqual(json.budget.memoryBytes, 16 * 1024 ** 3);
    assert.equal(json.budget.cpus, 4);
    const worker = json.services.find((s) => s.name === "spark-worker")!;
    assert.deepEqual(
      {
        name: worker.name,
        image: worker.image,
        phase: worker.phase,
        memoryBytes: worker.memoryBytes,
        cpus: worker.cpus,
        replicas: worker.replicas,
        jvmHeapBytes: worker.jvmHeapBytes,
        ports: worker.ports,
        dependsOn: worker.dependsOn,
      },
      {
        name: "spark-worker",
        image: "apache/spark:4.1.1",
        phase: 2,
        memoryBytes: 2048 * MIB,
        cpus: 1,
        replicas: 2,
        jvmHeapBytes: 1536 * MIB,
        ports: [],
        dependsOn: ["spark-master"],
      },
    );
    assert.deepEqual(json.services.find((s) => s.name === "postgres")!.ports, [
      { host: 5432, container: 5432, hostIp: "127.0.0.1", protocol: "tcp", name: "sql", movedFrom: null },
    ]);
    assert.equal(json.services.find((s) => s.name === "postgres")!.jvmHeapBytes, null);
    const kafka = json.services.find((s) => s.name === "kafka")!;
    assert.equal(kafka.env.KAFKA_HEAP_OPTS, "-Xmx768m -Xms768m");
    assert.deepEqual([kafka.user, kafka.command], [{ uid: 1000, gid: 1000 }, null]);
    assert.equal(
      json.services.find((s) => s.name === "postgres")!.env.POSTGRES_PASSWORD,
      "{{secret.postgres-password}}",
    );
  });

  it("never puts secret values in the plan, only tokens", () => {
    const p = plan(stackFrom(STREAMING), catalog, budget(16));
    const pg = p.services.find((s) => s.name === "postgres")!;
    assert.equal(pg.env.POSTGRES_PASSWORD, "{{secret.postgres-password}}");
    assert.deepEqual(p.secrets, [
      { name: "minio-root-password", kind: "password" },
      { name: "postgres-password", kind: "password" },
    ]);
  });

  it("expands a group and adds what its services need", () => {
    const p = plan(stackFrom(`${header()}    airflow: {}\n`), catalog, budget(16));
    assert.deepEqual(p.phases, [
      ["postgres"],
      ["airflow-init"],
      ["airflow-api-server", "airflow-dag-processor", "airflow-scheduler"],
    ]);
    assert.ok(p.notes.includes("postgres was added: airflow-api-server needs it"));
    assert.equal(p.services.find((s) => s.name === "airflow-init")!.restart, "no");
    assert.match(
      p.services.find((s) => s.name === "airflow-scheduler")!.env.AIRFLOW__DATABASE__SQL_ALCHEMY_CONN!,
      /\{\{secret\.postgres-password\}\}@postgres:5432/,
    );
    assert.deepEqual(
      p.secrets.map((s) => s.kind),
      ["fernet", "token", "password"],
    );
  });

  it("switches kafka to ZooKeeper with the variant", () => {
    const p = plan(stackFrom(`${header()}    kafka: { variant: zookeeper }\n`), catalog, budget(16));
    assert.deepEqual(p.phases, [["zookeeper"], ["kafka"]]);
    const kafka = p.services.find((s) => s.name === "kafka")!;
    assert.equal(kafka.env.KAFKA_ZOOKEEPER_CONNECT, "zookeeper:2181");
    assert.equal(kafka.env.KAFKA_PROCESS_ROLES, undefined);
    // Confluent's image has its own tools; a stack's own health-check fields still win.
    assert.match(kafka.healthCheck!.command.join(" "), /KAFKA_HEAP_OPTS=-Xmx64m kafka-broker-api-versions /);
    const tuned = plan(
      stackFrom(`${header()}    kafka: { variant: zookeeper, healthCheck: { retries: 3 } }\n`),
      catalog,
      budget(16),
    ).services.find((s) => s.name === "kafka")!;
    assert.deepEqual(
      [tuned.healthCheck!.command, tuned.healthCheck!.retries],
      [kafka.healthCheck!.command, 3],
    );
  });

  it("shrinks toward the minimums on a small machine and says so", () => {
    const p = plan(stackFrom(STREAMING), catalog, budget(5));
    assert.ok(p.totalMemoryBytes <= 5 * 1024 ** 3);
    for (const s of p.services)
      assert.ok(s.memoryBytes >= s.memoryMinBytes && s.memoryBytes < s.memoryPreferredBytes, s.name);
    assert.match(p.notes.join("\n"), /memory is short: every service got less than preferred/);
  });

  it("refuses a machine too small for the minimums, and suggests the minimal profile when it would fit", () => {
    assert.throws(
      () => plan(stackFrom(STREAMING), catalog, budget(3)),
      (e: unknown) =>
        e instanceof InsufficientMemoryError &&
        e.hint!.includes("--profile minimal") &&
        e.details.needs.length === 5,
    );
  });

  it("moves host ports that collide, stably, and reports it", () => {
    const stack = stackFrom(
      `${header()}    spark-master: {}\n    web: { image: nginx:1.27, ports: ["8080:80"] }\n`,
    );
    const p = plan(stack, catalog, budget(16), { takenPorts: new Set([7077]) });
    const master = p.services.find((s) => s.name === "spark-master")!;
    assert.deepEqual(
      master.ports.map((x) => [x.host, x.container, x.movedFrom]),
      [
        [7078, 7077, 7077],
        [8080, 8080, undefined],
      ],
    );
    assert.deepEqual(
      p.services.find((s) => s.name === "web")!.ports.map((x) => [x.host, x.movedFrom]),
      [[8081, 8080]],
    );
    assert.equal(master.endpoints.find((e) => e.name === "master")!.url, "spark://localhost:7078");
    assert.deepEqual(p.notes, [
      "spark-master: host port 7077 is in use on this machine; using 7078",
      "web: host port 8080 is wanted by spark-master; using 8081",
    ]);
  });

  it("rejects a dependency cycle with its path", () => {
    const stack = stackFrom(
      `${header()}    a: { image: x, dependsOn: [b] }\n    b: { image: x, dependsOn: [c] }\n    c: { image: x, dependsOn: [a] }\n`,
    );
    assert.throws(
      () => plan(stack, catalog, budget(16)),
      (e: unknown) => e instanceof CycleError && e.cycle.join(" ") === "a b c a",
    );
  });

  it("derives phases from the strategy", () => {
    const services = "    redis: {}\n    postgres: {}\n    minio: {}\n    kafka: {}\n    spark-worker: {}\n";
    const seq = plan(
      stackFrom(`${header("development", "  strategy: sequential\n")}${services}`),
      catalog,
      budget(16),
    );
    assert.deepEqual(seq.phases, [
      ["kafka"],
      ["minio"],
      ["postgres"],
      ["redis"],
      ["spark-master"],
      ["spark-worker"],
    ]);
    const hybrid = plan(
      stackFrom(`${header("development", "  strategy: hybrid\n  maxParallel: 2\n")}${services}`),
      catalog,
      budget(16),
    );
    assert.deepEqual(hybrid.phases, [
      ["kafka", "minio"],
      ["postgres", "redis"],
      ["spark-master"],
      ["spark-worker"],
    ]);
  });

  it("keeps the config hash when only replicas change, and changes it with the memory", () => {
    const hash = (yaml: string, gib = 16) =>
      plan(stackFrom(yaml), catalog, budget(gib)).services.find((s) => s.name === "spark-worker")!.hash;
    const one = hash(`${header()}    spark-worker: { replicas: 1 }\n`);
    assert.equal(one, hash(`${header()}    spark-worker: { replicas: 3 }\n`));
    assert.notEqual(one, hash(`${header()}    spark-worker: { resources: { memory: 1g } }\n`));
    assert.match(one, /^[0-9a-f]{16}$/);
  });

  it("respects a user-fixed memory and a user-set heap", () => {
    const p = plan(
      stackFrom(`${header()}    kafka: { resources: { memory: 3g }, env: { KAFKA_HEAP_OPTS: "-Xmx1g" } }\n`),
      catalog,
      budget(16),
    );
    const kafka = p.services[0]!;
    assert.equal(kafka.memoryBytes, 3 * 1024 ** 3);
    assert.equal(kafka.env.KAFKA_HEAP_OPTS, "-Xmx1g");
    assert.equal(kafka.jvmHeapBytes, 1024 ** 3);
  });

  it("plans a custom service built from a Dockerfile with a default size", () => {
    const p = plan(
      stackFrom(
        `${header()}    api: { build: ./api, ports: ["3000:3000"], healthCheck: { command: "true" } }\n`,
      ),
      catalog,
      budget(16),
    );
    const api = p.services[0]!;
    assert.equal(api.image, "deloc-demo-api:latest");
    assert.deepEqual(api.build, { context: "/project/api", args: {} });
    assert.equal(api.memoryBytes, 512 * MIB);
    assert.deepEqual(api.healthCheck!.command, ["sh", "-c", "true"]);
    assert.deepEqual(api.endpoints, [{ name: "port-3000", url: "localhost:3000" }]);
  });

  it("notes a notebook whose Python differs from the Spark workers', unless an image is your own", () => {
    const notes = (services: string) =>
      plan(stackFrom(`${header()}${services}`), catalog, budget(16)).notes.filter((n) =>
        n.includes("Python"),
      );
    assert.deepEqual(notes("    jupyter: {}\n    spark-worker: {}\n"), [
      "jupyter runs Python 3.13 and spark-worker 3.10: PySpark code from jupyter that runs Python on spark-worker (UDFs, RDD functions) fails with PYTHON_VERSION_MISMATCH; DataFrame and SQL work",
    ]);
    assert.deepEqual(notes("    jupyter: { image: my/notebook:py310 }\n    spark-worker: {}\n"), []);
    assert.deepEqual(notes("    spark-worker: {}\n"), []);
  });
});

describe("plan on a Kubernetes cluster", () => {
  const GIB = 1024 ** 3;
  // Two nodes of 3 GiB allocatable: 6 GiB in all, but no pod gets more than one node's.
  const cluster = (requests: { name: string; stack?: string; memoryBytes: number }[] = []) =>
    clusterBudget({
      nodes: [
        { name: "node-a", memoryBytes: 3 * GIB, cpuMillis: 2000 },
        { name: "node-b", memoryBytes: 3 * GIB, cpuMillis: 2000 },
      ],
      requests: requests.map((r) => ({ ...r, cpuMillis: 100 })),
    });

  it("refuses a service whose minimum is more than every node's allocatable memory, naming the largest node", () => {
    const stack = stackFrom(`${header()}    postgres: { resources: { memory: 4g } }\n`);
    assert.throws(
      () => plan(stack, catalog, cluster()),
      (e: unknown) =>
        e instanceof InsufficientMemoryError &&
        /postgres needs at least 4 GiB per pod, and the largest node, node-a, has 3 GiB allocatable/.test(
          e.message,
        ) &&
        /try resources: \{ memory: 2764Mi \} for postgres in the stack file; or add a node/.test(
          e.hint ?? "",
        ),
    );
  });

  it("holds a service given more than a node to the largest node's size, and says so", () => {
    const stack = stackFrom(`${header()}    spark-worker: { replicas: 1 }\n    spark-master: {}\n`);
    const two = clusterBudget({
      nodes: [
        { name: "small", memoryBytes: 1536 * MIB, cpuMillis: 2000 },
        { name: "small-2", memoryBytes: 1536 * MIB, cpuMillis: 2000 },
      ],
      requests: [],
    });
    const p = plan(stack, catalog, two);
    assert.equal(p.services.find((s) => s.name === "spark-worker")!.memoryBytes, 1536 * MIB);
    assert.ok(
      p.notes.some((n) => /spark-worker is held to 1\.5 GiB.*largest node \(small\)/.test(n)),
      p.notes.join("\n"),
    );
  });

  it("a memory refusal on a cluster names the cluster's remedies, not Docker's", () => {
    const stack = stackFrom(`${header("minimal")}    postgres: {}\n    kafka: {}\n`);
    const full = cluster([{ name: "team/etl-0", stack: "etl", memoryBytes: 5 * GIB }]);
    assert.throws(
      () => plan(stack, catalog, full),
      (e: unknown) =>
        e instanceof InsufficientMemoryError &&
        /other stacks and pods on the cluster request 5 GiB/.test(e.message) &&
        /`deloc down --stack etl --target kubernetes -n team`/.test(e.hint ?? "") &&
        /add nodes to the cluster \(or larger ones\): its Ready nodes need at least/.test(e.hint ?? "") &&
        !/docker|Docker VM/.test(e.hint ?? ""),
    );
  });
});
