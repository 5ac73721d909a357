import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { parse, parseAllDocuments } from "yaml";
import { budget, catalog, stackFrom } from "../../test/support/stack.js";
import type { Catalog } from "../catalog/index.js";
import { loadStackText } from "../config/index.js";
import { ConfigError, formatDiagnostic } from "../core/index.js";
import { composeFile } from "../export/compose/compose.js";
import { k8sManifests } from "../export/k8s/manifests.js";
import { type AddressBook, resolveAddresses } from "./addresses.js";
import { checkAddresses, plan } from "./index.js";

const stackText = (services: string) =>
  `apiVersion: deloc.dev/v1\nkind: Stack\nmetadata: { name: demo }\nspec:\n  services:\n${services}`;

/** The located address errors of a stack file, formatted as the CLI prints them. */
function errorsOf(services: string, from: Catalog = catalog): string[] {
  const loaded = loadStackText(stackText(services), {
    cwd: "/project",
    env: {},
    home: "/home/user",
    file: "/project/deloc.yaml",
    display: "deloc.yaml",
  });
  assert.ok(loaded.ok);
  return checkAddresses(loaded.stack, from, loaded.locate).map(formatDiagnostic);
}

/** The catalog with a jupyter whose own env (not a connection) names spark-master, which it does not require. */
const jupyterOwnEnv: Catalog = (() => {
  const jupyter = catalog.templates.get("jupyter")!;
  const env = { ...jupyter.env, SPARK_MASTER: "spark://{{address.spark-master.master}}" };
  return { ...catalog, templates: new Map([...catalog.templates, ["jupyter", { ...jupyter, env }]]) };
})();

const BOOK: AddressBook = new Map([
  [
    "postgres",
    {
      ports: [{ name: "sql", container: 5432 }],
      endpoints: new Map([
        ["sql", "postgresql://deloc:{{secret.pw}}@localhost:15432/deloc"],
        ["sql-in-stack", "postgresql://deloc:{{secret.pw}}@postgres:5432/deloc"],
      ]),
    },
  ],
  ["worker", { ports: [], endpoints: new Map() }],
]);

describe("resolveAddresses", () => {
  const resolve = (text: string) => {
    const problems: string[] = [];
    const out = resolveAddresses(text, BOOK, (p) => problems.push(`${p.message} | ${p.suggestion ?? ""}`));
    return { out, problems };
  };

  it("gives a service's host, its host and container port by port name or number, and its in-stack endpoint", () => {
    assert.deepEqual(resolve("{{host.postgres}}"), { out: "postgres", problems: [] });
    assert.deepEqual(resolve("pg://{{ address.postgres.sql }}/x"), {
      out: "pg://postgres:5432/x",
      problems: [],
    });
    assert.deepEqual(resolve("{{address.postgres.5432}}"), { out: "postgres:5432", problems: [] });
    assert.deepEqual(resolve("{{endpoint.postgres.sql-in-stack}}"), {
      out: "postgresql://deloc:{{secret.pw}}@postgres:5432/deloc",
      problems: [],
    });
  });

  it("leaves other placeholders alone", () => {
    assert.deepEqual(resolve("{{secret.pw}} {{port.sql}} {{service}}"), {
      out: "{{secret.pw}} {{port.sql}} {{service}}",
      problems: [],
    });
  });

  it("reports what names nothing, with a guess, and leaves it as written", () => {
    assert.deepEqual(resolve("{{host.postgress}}"), {
      out: "{{host.postgress}}",
      problems: [
        '{{host.postgress}} names "postgress", which is not a service of this stack | did you mean "postgres"?',
      ],
    });
    assert.deepEqual(resolve("{{address.postgres.sqll}}").problems, [
      'postgres has no port "sqll" | did you mean "sql"?',
    ]);
    assert.deepEqual(resolve("{{address.worker.http}}").problems, [
      'worker has no port "http" | worker declares no ports: add the one it listens on under its ports: (without a host port it is not published)',
    ]);
    assert.deepEqual(resolve("{{address.postgres}}").problems, [
      "{{address.postgres}} names no port of postgres | its ports are sql (5432)",
    ]);
  });

  it("refuses an endpoint meant for the host: localhost inside a container is the container", () => {
    assert.deepEqual(resolve("{{endpoint.postgres.sql}}").problems, [
      'endpoint "sql" of postgres is its address from the host (localhost), not from other services | did you mean "sql-in-stack"?',
    ]);
  });
});

describe("addresses in a plan", () => {
  it("airflow's connection string reaches the stack's postgres service, secret token kept", () => {
    const p = plan(stackFrom(stackText("    airflow: {}\n")), catalog, budget(16));
    for (const name of ["airflow-init", "airflow-scheduler", "airflow-api-server", "airflow-dag-processor"]) {
      const s = p.services.find((x) => x.name === name)!;
      assert.equal(
        s.env.AIRFLOW__DATABASE__SQL_ALCHEMY_CONN,
        "postgresql+psycopg2://deloc:{{secret.postgres-password}}@postgres:5432/deloc",
        name,
      );
      assert.equal(
        s.env.AIRFLOW__CORE__EXECUTION_API_SERVER_URL,
        "http://airflow-api-server:8080/execution/",
      );
      assert.ok(s.secrets.includes("postgres-password"), name);
    }
  });

  it("uses the container port, not a host port that moved", () => {
    const p = plan(
      stackFrom(stackText('    airflow: {}\n    postgres: { ports: ["15432:5432"] }\n')),
      catalog,
      budget(16),
      { takenPorts: new Set([8080]) },
    );
    const scheduler = p.services.find((s) => s.name === "airflow-scheduler")!;
    assert.match(scheduler.env.AIRFLOW__DATABASE__SQL_ALCHEMY_CONN!, /@postgres:5432\/deloc$/);
    assert.equal(
      scheduler.env.AIRFLOW__CORE__EXECUTION_API_SERVER_URL,
      "http://airflow-api-server:8080/execution/",
    );
    assert.equal(p.services.find((s) => s.name === "airflow-api-server")!.ports[0]!.host, 8081);
  });

  it("resolves spark-worker's command, jupyter's env and the zookeeper variant's connect string", () => {
    const p = plan(
      stackFrom(stackText("    spark-worker: {}\n    jupyter: {}\n    kafka: { variant: zookeeper }\n")),
      catalog,
      budget(16),
    );
    const by = (n: string) => p.services.find((s) => s.name === n)!;
    assert.ok(by("spark-worker").command!.includes("spark://spark-master:7077"));
    assert.equal(by("jupyter").env.SPARK_MASTER, "spark://spark-master:7077");
    assert.equal(by("kafka").env.KAFKA_ZOOKEEPER_CONNECT, "zookeeper:2181");
  });

  it("a custom service's env takes a service's in-stack endpoint, its secrets with it, and no start order", () => {
    const p = plan(
      stackFrom(
        stackText(
          '    postgres: { env: { POSTGRES_DB: analytics } }\n    api:\n      image: api:dev\n      env: { DATABASE_URL: "{{endpoint.postgres.sql-in-stack}}" }\n      command: ["serve", "--db-host", "{{host.postgres}}"]\n',
        ),
      ),
      catalog,
      budget(16),
    );
    const api = p.services.find((s) => s.name === "api")!;
    assert.equal(
      api.env.DATABASE_URL,
      "postgresql://deloc:{{secret.postgres-password}}@postgres:5432/analytics",
    );
    assert.deepEqual(api.command, ["serve", "--db-host", "postgres"]);
    assert.deepEqual(api.secrets, ["postgres-password"]);
    assert.deepEqual(api.dependsOn, []);
    assert.deepEqual(p.phases, [["api", "postgres"]]);
  });

  it("every target reaches the address: the Compose service and the Kubernetes Service are named as the plan says", () => {
    const p = plan(
      stackFrom(stackText("    airflow: {}\n    spark-worker: {}\n    jupyter: {}\n")),
      catalog,
      budget(16),
    );
    const compose = parse(composeFile(p, { baseDir: "/project" })) as {
      services: Record<string, { environment?: Record<string, string> }>;
    };
    const k8s = parseAllDocuments(k8sManifests(p, { namespace: "data", secrets: {} })).map((d) =>
      d.toJS(),
    ) as {
      kind: string;
      metadata: { name: string };
      spec?: { ports?: { port: number }[] };
      data?: Record<string, string>;
    }[];
    const addresses = [
      ["airflow-scheduler", "AIRFLOW__CORE__EXECUTION_API_SERVER_URL", /http:\/\/([a-z-]+):(\d+)\//],
      ["jupyter", "SPARK_MASTER", /spark:\/\/([a-z-]+):(\d+)$/],
    ] as const;
    for (const [service, key, pattern] of addresses) {
      const [, host, port] = pattern.exec(p.services.find((s) => s.name === service)!.env[key]!)!;
      assert.ok(compose.services[host!], `compose has a service ${host}`);
      assert.equal(
        compose.services[service]!.environment![key],
        p.services.find((s) => s.name === service)!.env[key],
      );
      const svc = k8s.find((o) => o.kind === "Service" && o.metadata.name === host);
      assert.ok(svc, `k8s has a Service ${host}`);
      assert.ok(
        svc.spec!.ports!.some((x) => x.port === Number(port)),
        `Service ${host} has port ${port}`,
      );
      assert.equal(
        k8s.find((o) => o.kind === "ConfigMap" && o.metadata.name === `${service}-env`)!.data![key],
        p.services.find((s) => s.name === service)!.env[key],
      );
    }
  });
});

describe("address errors", () => {
  it("a stack file's misspelt service, port or endpoint: its line and column and a guess", () => {
    assert.deepEqual(
      errorsOf(
        '    postgres: {}\n    api:\n      image: api:dev\n      env:\n        DB: "{{host.postgress}}"\n        URL: "{{endpoint.postgres.sql-instack}}"\n      command: ["serve", "{{address.postgres.sqll}}"]\n',
      ),
      [
        'deloc.yaml:10:13 spec.services.api.env.DB: {{host.postgress}} names "postgress", which is not a service of this stack (did you mean "postgres"?)',
        'deloc.yaml:11:14 spec.services.api.env.URL: postgres has no endpoint "sql-instack" (did you mean "sql-in-stack"?)',
        'deloc.yaml:12:26 spec.services.api.command.1: postgres has no port "sqll" (did you mean "sql"?)',
      ],
    );
  });

  it("a service left out of the stack: what to add", () => {
    assert.deepEqual(
      errorsOf(
        '    postgres: {}\n    redis: { enabled: false }\n    api: { image: api:dev, env: { CACHE: "redis://{{address.redis.redis}}" } }\n',
      ),
      [
        'deloc.yaml:8:42 spec.services.api.env.CACHE: {{address.redis.redis}} names "redis", which is not a service of this stack (add `redis: {}` to spec.services (or drop its `enabled: false`))',
      ],
    );
  });

  it("a group's env: the group's entry", () => {
    assert.deepEqual(errorsOf('    airflow: { env: { X: "{{host.postgre}}" } }\n'), [
      'deloc.yaml:6:26 spec.services.airflow.env.X: {{host.postgre}} names "postgre", which is not a service of this stack (did you mean "postgres"?)',
    ]);
  });

  it("a template's placeholder names the template file and points at the service's entry", () => {
    const errors = errorsOf("    jupyter: {}\n", jupyterOwnEnv);
    assert.equal(errors.length, 1);
    assert.match(
      errors[0]!,
      /^deloc\.yaml:6:5 spec\.services\.jupyter: env\.SPARK_MASTER of \S+\/catalog\/services\/jupyter\.yaml: \{\{address\.spark-master\.master\}\} names "spark-master", which is not a service of this stack \(add `spark-master: \{\}` to spec\.services \(or drop its `enabled: false`\), or set jupyter's env SPARK_MASTER yourself\)$/,
    );
  });

  it("a template's connection applies only when the peer is in the stack: no dangling address", () => {
    assert.deepEqual(errorsOf("    jupyter: {}\n"), []);
    const alone = plan(stackFrom(stackText("    jupyter: {}\n")), catalog, budget(16));
    assert.equal(alone.services.find((s) => s.name === "jupyter")!.env.SPARK_MASTER, undefined);
    const withSpark = plan(
      stackFrom(stackText("    jupyter: {}\n    spark-worker: {}\n")),
      catalog,
      budget(16),
    );
    assert.equal(
      withSpark.services.find((s) => s.name === "jupyter")!.env.SPARK_MASTER,
      "spark://spark-master:7077",
    );
  });

  it("the file's own value replaces the template's, and with it the reference", () => {
    assert.deepEqual(errorsOf('    jupyter: { env: { SPARK_MASTER: "local[*]" } }\n', jupyterOwnEnv), []);
  });

  it("plan() refuses the same stack, as a stack-file error", () => {
    assert.throws(
      () => plan(stackFrom(stackText("    jupyter: {}\n")), jupyterOwnEnv, budget(16)),
      (e: unknown) =>
        e instanceof ConfigError &&
        e.code === "E_CONFIG" &&
        e.diagnostics.length === 1 &&
        /SPARK_MASTER .*"spark-master", which is not a service of this stack/.test(e.message),
    );
  });
});
