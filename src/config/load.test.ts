import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { assertGolden } from "../../test/support/golden.js";
import { catalogIndex, loadCatalog } from "../catalog/index.js";
import { formatDiagnostic } from "../core/index.js";
import { checkAgainstCatalog, dnsSafe, isStackName, type LoadOptions, loadStackText } from "./index.js";

const base: LoadOptions & { file: string; display: string } = {
  cwd: "/project",
  env: {},
  home: "/home/user",
  file: "/project/deloc.yaml",
  display: "deloc.yaml",
};
const load = (text: string, extra: Partial<LoadOptions> = {}) => loadStackText(text, { ...base, ...extra });
const errorsOf = (text: string, extra: Partial<LoadOptions> = {}) => {
  const r = load(text, extra);
  assert.equal(r.ok, false, "expected the file to be rejected");
  return r.ok ? [] : r.errors.map(formatDiagnostic);
};

const ISSUE_EXAMPLE = `apiVersion: deloc.dev/v1
kind: Stack
metadata: { name: analytics }
spec:
  profile: development
  target: docker
  strategy: parallel
  services:
    kafka: {}
    spark-worker: { replicas: 2 }
    postgres: { resources: { memory: 512Mi }, env: { POSTGRES_DB: analytics } }
    api:
      build: { context: ./api, target: dev }
      image: analytics/api:dev
      command: ["./serve", "--port", "3000"]
      ports: ["3000:3000"]
      env: { DATABASE_URL: "postgres://deloc@postgres:5432/analytics" }
      dependsOn: { postgres: healthy }
      volumes: ["./api/src:/app/src", "cache:/root/.cache"]
      healthCheck: { command: ["wget", "-qO-", "http://localhost:3000/health"],
                     interval: 2s, timeout: 2s, retries: 30, startPeriod: 5s }
      resources: { memory: 256Mi, cpu: 500m }
`;

describe("loadStackText", () => {
  it("loads the issue's example into the canonical form", () => {
    const r = load(ISSUE_EXAMPLE);
    assert.ok(r.ok);
    const { stack } = r;
    assert.equal(stack.name, "analytics");
    assert.deepEqual(
      stack.services.map((s) => s.name),
      ["api", "kafka", "postgres", "spark-worker"],
    );
    const api = stack.services[0]!;
    assert.deepEqual(api.build, { context: "/project/api", target: "dev", args: {} });
    assert.deepEqual(api.ports, [{ container: 3000, host: 3000, protocol: "tcp" }]);
    assert.deepEqual(api.volumes, [
      { type: "bind", source: "/project/api/src", target: "/app/src", readOnly: false },
      { type: "volume", source: "cache", target: "/root/.cache", readOnly: false },
    ]);
    assert.deepEqual(api.dependsOn, { postgres: "healthy" });
    assert.deepEqual(api.healthCheck, {
      command: ["wget", "-qO-", "http://localhost:3000/health"],
      intervalMs: 2000,
      timeoutMs: 2000,
      retries: 30,
      startPeriodMs: 5000,
    });
    assert.deepEqual(api.resources, { memoryBytes: 256 * 1024 ** 2, cpuMillis: 500 });
    assert.equal(stack.services[3]!.replicas, 2);
  });

  it("fills defaults for what the file leaves out", () => {
    const r = load(
      "apiVersion: deloc.dev/v1\nkind: Stack\nmetadata: { name: s }\nspec:\n  services: { redis: {} }\n",
    );
    assert.ok(r.ok);
    assert.equal(r.stack.profile, "development");
    assert.equal(r.stack.target, "docker");
    assert.equal(r.stack.strategy, "parallel");
    assert.equal(r.stack.bindAddress, "127.0.0.1");
  });

  it("collects every error with file:line:column, path, expectation and a suggestion", () => {
    const text = `apiVersion: deloc.dev/v1
kind: Stack
metadata: { name: analytics }
spec:
  profile: developmnet
  strategy: fast
  services:
    kafka:
      resources: { memory: two gigs, cpu: -1 }
      replica: 2
    api:
      image: my/api
      ports: ["99999:80", "web"]
      volumes: ["relative/path"]
      dependsOn: { kafka: ready }
`;
    const errors = errorsOf(text);
    assertGolden("config-errors.txt", `${errors.join("\n")}\n`);
    assert.ok(
      errors.some(
        (e) =>
          e.startsWith("deloc.yaml:5:12 spec.profile: must be one of") &&
          e.includes('did you mean "development"?'),
      ),
    );
    assert.ok(
      errors.some(
        (e) =>
          e.startsWith("deloc.yaml:10:7 spec.services.kafka.replica: unknown key") &&
          e.includes('"replicas"'),
      ),
    );
    assert.ok(
      errors.some((e) =>
        e.includes(
          'spec.services.kafka.resources.memory: must be a size like "512m" or "2g" (got "two gigs")',
        ),
      ),
    );
    assert.equal(errors.length, 9);
  });

  it("reports YAML syntax errors with their position", () => {
    const [e] = errorsOf("apiVersion: deloc.dev/v1\nkind: Stack\nspec:\n  services:\n    kafka: {\n");
    assert.match(e!, /^deloc\.yaml:\d+:\d+ invalid YAML/);
  });

  it("names a key written twice", () => {
    const [e] = errorsOf("apiVersion: deloc.dev/v1\nkind: Stack\nkind: Stack\n");
    assert.match(e!, /^deloc\.yaml:3:1 a key appears twice/);
  });

  it("interpolates ${VAR}, defaults and required variables, and re-types plain scalars", () => {
    const text = `apiVersion: deloc.dev/v1
kind: Stack
metadata: { name: "\${STACK:-demo}" }
spec:
  services:
    spark-worker:
      replicas: \${WORKERS:-2}
    api: { image: "repo/api:\${TAG}", env: { PRICE: "$$5", USER: "\${DB_USER-deloc}" } }
`;
    const r = load(text, { env: { TAG: "v1", DB_USER: "" } });
    assert.ok(r.ok);
    assert.equal(r.stack.name, "demo");
    assert.equal(r.stack.services.find((s) => s.name === "spark-worker")!.replicas, 2);
    const api = r.stack.services.find((s) => s.name === "api")!;
    assert.equal(api.image, "repo/api:v1");
    assert.deepEqual(api.env, { PRICE: "$5", USER: "" });

    const [missing] = errorsOf(text.replace("${TAG}", "${TAG:?set the image tag}"));
    assert.equal(
      missing,
      "deloc.yaml:8:19 spec.services.api.image: required variable TAG is not set: set the image tag",
    );
  });

  it("warns about an unset variable without a default", () => {
    const r = load(
      'apiVersion: deloc.dev/v1\nkind: Stack\nmetadata: { name: s }\nspec:\n  services:\n    api: { image: "x:${NOPE}" }\n',
    );
    assert.ok(r.ok);
    assert.match(formatDiagnostic(r.warnings[0]!), /variable NOPE is not set/);
  });

  it("layers defaults < file < DELOC_* env < flags", () => {
    const text =
      "apiVersion: deloc.dev/v1\nkind: Stack\nmetadata: { name: s }\nspec:\n  profile: production\n  services: { redis: {} }\n";
    const fromFile = load(text);
    const fromEnv = load(text, { env: { DELOC_PROFILE: "minimal", DELOC_MEMORY: "8g" } });
    const fromFlag = load(text, {
      env: { DELOC_PROFILE: "minimal" },
      flags: { profile: "development", memory: "4g", cpus: "2" },
    });
    assert.ok(fromFile.ok && fromEnv.ok && fromFlag.ok);
    assert.equal(fromFile.stack.profile, "production");
    assert.equal(fromEnv.stack.profile, "minimal");
    assert.deepEqual(fromEnv.capacity.memory, { bytes: 8 * 1024 ** 3, source: "DELOC_MEMORY" });
    assert.equal(fromFlag.stack.profile, "development");
    assert.deepEqual(fromFlag.capacity, {
      memory: { bytes: 4 * 1024 ** 3, source: "--memory" },
      cpus: { count: 2, source: "--cpus" },
    });
    assert.deepEqual(errorsOf(text, { env: { DELOC_STRATEGY: "paralel" } }), [
      'DELOC_STRATEGY: must be one of parallel | sequential | hybrid (got "paralel") (did you mean "parallel"?)',
    ]);
  });

  it("rejects replicas sharing a host port and a one-shot with replicas", () => {
    const errors = errorsOf(
      'apiVersion: deloc.dev/v1\nkind: Stack\nmetadata: { name: s }\nspec:\n  services:\n    web: { image: x, replicas: 2, ports: ["80:80"] }\n',
    );
    assert.deepEqual(errors, [
      "deloc.yaml:6:43 spec.services.web.ports.0: 2 replicas cannot share host port 80 (publish no host port (use { container: N }) or set replicas: 1)",
    ]);
  });
});

describe("checkAgainstCatalog", () => {
  const index = catalogIndex(loadCatalog());
  const check = (services: string) => {
    const r = load(
      `apiVersion: deloc.dev/v1\nkind: Stack\nmetadata: { name: s }\nspec:\n  services:\n${services}`,
    );
    assert.ok(r.ok, r.ok ? "" : r.errors.map(formatDiagnostic).join("\n"));
    return checkAgainstCatalog(r.stack, index, r.locate).map(formatDiagnostic);
  };

  it("suggests the catalog service a misspelt name meant", () => {
    assert.deepEqual(check("    kafak: {}\n"), [
      'deloc.yaml:6:5 spec.services.kafak: is not a catalog service and has no image or build (did you mean "kafka"?)',
    ]);
  });

  it("checks variants, templates and dependsOn targets", () => {
    assert.deepEqual(
      check(
        "    kafka: { variant: zookeper }\n    db: { template: postgress }\n    api: { image: x, dependsOn: { postgres: healthy, kafak: started } }\n",
      ),
      [
        'deloc.yaml:8:54 spec.services.api.dependsOn.kafak: depends on "kafak", which is not in spec.services (did you mean "kafka"?)',
        'deloc.yaml:8:35 spec.services.api.dependsOn.postgres: depends on "postgres", which is not in spec.services (add `postgres: {}` to spec.services)',
        'deloc.yaml:7:21 spec.services.db.template: "postgress" is not in the catalog (did you mean "postgres"?)',
        'deloc.yaml:6:23 spec.services.kafka.variant: must be one of zookeeper (got "zookeper") (did you mean "zookeeper"?)',
      ],
    );
  });

  it("accepts dependencies on the components of a group", () => {
    assert.deepEqual(
      check("    airflow: {}\n    api: { image: x, dependsOn: { airflow-api-server: healthy } }\n"),
      [],
    );
  });
});

describe("dnsSafe", () => {
  it("turns any folder name into a valid stack name, even when the cut lands on a dash", () => {
    assert.equal(dnsSafe("My Project_2"), "my-project-2");
    assert.equal(dnsSafe("___"), "stack");
    const long = `${"a".repeat(39)}-bbbb`;
    assert.equal(dnsSafe(long), "a".repeat(39));
    assert.ok(isStackName(dnsSafe(long)));
  });
});
