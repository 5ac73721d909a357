/**
 * `deloc import compose` on compose files in the shape of real public ones (Airflow's quick-start,
 * Confluent's cp-all-in-one, a lakehouse demo): the written stack file against goldens, with
 * targeted checks beside each, and the stack file it writes loads and plans.
 */
import assert from "node:assert/strict";
import fs from "node:fs";
import path from "node:path";
import { describe, it } from "node:test";
import { parse } from "yaml";
import { assertGolden } from "../../test/support/golden.js";
import { catalogIndex, loadCatalog } from "../catalog/index.js";
import { checkAgainstCatalog, loadStackText } from "../config/index.js";
import { checkAddresses, plan } from "../planner/index.js";
import { portableBudget } from "../resources/index.js";
import { ComposeLoadError, type ImportResult, importCompose } from "./index.js";

const FIXTURES = path.resolve(import.meta.dirname, "../../test/fixtures/compose");
const catalog = loadCatalog();
const read = (f: string) =>
  fs.existsSync(f) && fs.statSync(f).isFile() ? fs.readFileSync(f, "utf8") : undefined;

function run(
  dir: string,
  files: string[],
  o: { env?: Record<string, string>; profiles?: string[]; text?: Record<string, string> } = {},
): ImportResult {
  const abs = path.join(FIXTURES, dir);
  return importCompose({
    files: files.map((f) => path.join(abs, f)),
    out: path.join(abs, "deloc.yaml"),
    cwd: abs,
    env: o.env ?? {},
    profiles: o.profiles ?? [],
    catalog,
    read: (f) => o.text?.[path.basename(f)] ?? read(f),
  });
}

type Services = Record<string, Record<string, unknown> & { env?: Record<string, unknown> }>;
const servicesOf = (r: ImportResult) => (parse(r.text) as { spec: { services: Services } }).spec.services;

/** The written file loads, passes the catalog's rules and plans, as `deloc plan` would. */
function assertPlans(r: ImportResult, dir: string) {
  const file = path.join(FIXTURES, dir, "deloc.yaml");
  const loaded = loadStackText(r.text, {
    file,
    display: "deloc.yaml",
    cwd: path.dirname(file),
    env: {},
    home: "/home/u",
  });
  assert.ok(loaded.ok, loaded.ok ? "" : loaded.errors.map((e) => `${e.path}: ${e.message}`).join("\n"));
  const errors = [
    ...checkAgainstCatalog(loaded.stack, catalogIndex(catalog), loaded.locate),
    ...checkAddresses(loaded.stack, catalog, loaded.locate),
  ];
  assert.deepEqual(errors, []);
  return { stack: loaded.stack, plan: plan(loaded.stack, catalog, portableBudget({})) };
}

describe("import compose", () => {
  it("Airflow's quick-start shape: anchors, merge keys, conditions, profiles", () => {
    const r = run("airflow", ["docker-compose.yaml"]);
    assertGolden("import-airflow.yaml", r.text);
    const s = servicesOf(r);
    assert.deepEqual(Object.keys(s).sort(), [
      "airflow-apiserver",
      "airflow-init",
      "airflow-scheduler",
      "airflow-worker",
      "postgres",
      "redis",
    ]);
    // postgres and redis are the catalog's, with the user's credentials and image tag.
    assert.equal(s.postgres?.template, undefined);
    assert.deepEqual(s.postgres?.env, {
      POSTGRES_USER: "airflow",
      POSTGRES_PASSWORD: "airflow",
      POSTGRES_DB: "airflow",
    });
    assert.equal(s["airflow-apiserver"]?.template, "airflow-api-server");
    // The x-airflow-common anchor reached every Airflow service, depends_on merged with its own.
    assert.deepEqual(s["airflow-scheduler"]?.dependsOn, {
      redis: "healthy",
      postgres: "healthy",
      "airflow-init": "completed",
    });
    assert.equal(s["airflow-worker"]?.env?.AIRFLOW__CELERY__BROKER_URL, "redis://:@redis:6379/0");
    // The init job runs once, under its catalog name as a custom service.
    assert.equal(s["airflow-init"]?.template, "none");
    assert.equal(s["airflow-init"]?.oneShot, true);
    assert.deepEqual(s["airflow-init"]?.entrypoint, ["/bin/bash"]);
    // $$ in compose stays a literal $ (written $$ again, as the stack file interpolates too).
    assert.match(String((s["airflow-init"]?.command as string[])[1]), /\$\$\(airflow version\)/);
    // Block scalars are written as they are, comment-like lines included.
    assert.match(String((s["airflow-init"]?.command as string[])[1]), /^mkdir -p/);
    assert.deepEqual(
      r.leftOut.map((n) => n.service),
      ["airflow-cli", "flower"],
    );
    // Nothing dropped silently: user: and the replaced health checks are listed with their lines.
    assert.ok(r.notes.some((n) => n.service === "airflow-worker" && n.key === "user" && n.where.line === 91));
    assert.ok(
      r.notes.some((n) => n.service === "postgres" && n.key === "healthcheck" && n.where.line === 40),
    );
    const { plan: p } = assertPlans(r, "airflow");
    assert.equal(p.services.find((x) => x.name === "postgres")?.env.POSTGRES_USER, "airflow");
  });

  it("a profile named on the command line brings its services in", () => {
    const r = run("airflow", ["docker-compose.yaml"], { profiles: ["flower"] });
    assert.ok("flower" in servicesOf(r));
    assert.deepEqual(
      r.leftOut.map((n) => n.service),
      ["airflow-cli"],
    );
    assertPlans(r, "airflow");
  });

  it("Confluent's cp-all-in-one shape: the broker becomes the catalog's Kafka, its clients follow", () => {
    const r = run("confluent", ["docker-compose.yml"]);
    assertGolden("import-confluent.yaml", r.text);
    const s = servicesOf(r);
    assert.equal(s.broker?.template, "kafka");
    assert.equal(s.broker?.variant, "zookeeper");
    assert.equal(s.broker?.env?.KAFKA_ADVERTISED_LISTENERS, undefined);
    assert.equal(s.zookeeper?.template, "none");
    assert.equal(s.connect?.env?.CONNECT_BOOTSTRAP_SERVERS, "{{endpoint.broker.bootstrap-in-stack}}");
    assert.deepEqual(s["schema-registry"]?.dependsOn, { broker: "started" });
    assert.deepEqual(s.connect?.resources, { memory: "2048Mi" });
    assert.equal(s.connect?.restart, "on-failure");
    const { plan: p } = assertPlans(r, "confluent");
    assert.equal(p.services.find((x) => x.name === "connect")?.env.CONNECT_BOOTSTRAP_SERVERS, "broker:19092");
    assert.ok(p.services.find((x) => x.name === "broker")?.jvmHeapBytes);
  });

  it("a lakehouse demo: two files merged, .env, env_file, build, deploy.resources, long-form volumes", () => {
    const r = run("lakehouse", ["compose.yaml", "compose.override.yaml"]);
    assertGolden("import-lakehouse.yaml", r.text);
    assert.equal(r.name, "lakehouse-demo");
    const s = servicesOf(r);
    assert.equal(s.minio?.env?.MINIO_ROOT_PASSWORD, "lakehouse-secret");
    assert.deepEqual(s.minio?.command, ["server", "/data", "--console-address", ":9001"]);
    assert.equal(s.app?.env?.LOG_LEVEL, "debug");
    assert.deepEqual(s.app?.build, { context: "./app", args: { PYTHON_VERSION: "3.11" } });
    assert.equal(s.jupyter?.env?.JUPYTER_ENABLE_LAB, "yes");
    assert.equal(s["spark-worker"]?.replicas, 2);
    assert.equal(s["create-buckets"]?.oneShot, true);
    const { plan: p } = assertPlans(r, "lakehouse");
    assert.equal(p.services.find((x) => x.name === "app")?.env.GREETING, "cost: $5");
    assert.ok(r.notes.some((n) => n.key === "networks.lake.aliases" && n.where.line === 29));
    // The values .env gave are in the stack file now: the import says so.
    assert.ok(r.notes.some((n) => n.where.file === ".env" && n.key === "MINIO_PASSWORD, SPARK_VERSION"));
  });

  it("the process environment wins over .env", () => {
    const r = run("lakehouse", ["compose.yaml"], { env: { MINIO_PASSWORD: "from-the-shell" } });
    assert.equal(servicesOf(r).minio?.env?.MINIO_ROOT_PASSWORD, "from-the-shell");
  });

  it("a variable named without a value takes it from .env, as in Compose", () => {
    const compose = "services:\n  app:\n    image: busybox:1.37\n    environment: [TOKEN]\n";
    const r = run("airflow", ["x.yaml"], { text: { "x.yaml": compose, ".env": "TOKEN=from-dotenv\n" } });
    assert.deepEqual(servicesOf(r).app?.env, { TOKEN: "from-dotenv" });
  });

  it("a required variable that is not set is an error at its line", () => {
    const compose =
      "services:\n  db:\n    image: postgres:17\n    environment:\n      POSTGRES_PASSWORD: ${DB_PASSWORD:?set DB_PASSWORD}\n";
    assert.throws(
      () => run("airflow", ["x.yaml"], { text: { "x.yaml": compose } }),
      (e: unknown) =>
        e instanceof ComposeLoadError &&
        e.diagnostics[0]?.position?.line === 5 &&
        /required variable DB_PASSWORD is not set: set DB_PASSWORD/.test(e.diagnostics[0].message),
    );
  });

  it("a catalog image keeps the image's own defaults where the catalog would set its own", () => {
    const compose =
      "services:\n  db:\n    image: docker.io/library/postgres:16\n    environment:\n      POSTGRES_PASSWORD: example\n";
    const r = run("airflow", ["x.yaml"], { text: { "x.yaml": compose } });
    const db = servicesOf(r).db!;
    assert.equal(db.template, "postgres");
    assert.equal(db.image, "docker.io/library/postgres:16");
    assert.deepEqual(db.env, {
      POSTGRES_USER: "postgres",
      POSTGRES_DB: "postgres",
      POSTGRES_PASSWORD: "example",
    });
  });

  it("extends, list-form depends_on, short-form healthcheck and ports ranges", () => {
    const compose = [
      "services:",
      "  base:",
      "    image: busybox:1.37",
      "    environment: [A=1, B=2]",
      "    healthcheck: { test: [CMD-SHELL, 'true'], interval: 1s }",
      "  web:",
      "    extends: base",
      "    environment: [B=3]",
      "    command: sh -c 'echo \"hi there\"'",
      "    ports: ['8000-8001:9000-9001', '9100']",
      "    depends_on: [base]",
    ].join("\n");
    const r = run("airflow", ["x.yaml"], { text: { "x.yaml": compose } });
    const web = servicesOf(r).web!;
    assert.deepEqual(web.env, { A: "1", B: "3" });
    assert.deepEqual(web.command, ["sh", "-c", 'echo "hi there"']);
    assert.deepEqual(web.ports, ["8000:9000", "8001:9001", "9100"]);
    assert.deepEqual(web.dependsOn, { base: "started" });
    assert.deepEqual(web.healthCheck, { command: "true", interval: "1s" });
  });

  it("an override file's !reset removes what the files before it gave, and !override replaces it", () => {
    const base = [
      "services:",
      "  web:",
      "    image: busybox:1.37",
      "    ports: ['8080:80', '8443:443']",
      "    environment: { A: '1', B: '2', C: '3' }",
      "    depends_on: [db, cache]",
      "  db: { image: postgres:17 }",
      "  cache: { image: redis:8.10 }",
      "  debug: { image: busybox:1.37 }",
    ].join("\n");
    const over = [
      "services:",
      "  web:",
      "    ports: !override ['9090:80']",
      "    environment: { B: !reset null, D: '4' }",
      "    depends_on: !reset []",
      "  debug: !reset {}",
    ].join("\n");
    const r = run("airflow", ["base.yaml", "over.yaml"], { text: { "base.yaml": base, "over.yaml": over } });
    const s = servicesOf(r);
    const web = s.web!;
    assert.deepEqual(web.ports, ["9090:80"]);
    assert.deepEqual(web.env, { A: "1", C: "3", D: "4" });
    assert.equal(web.dependsOn, undefined);
    assert.equal(s.debug, undefined);
    // Without the tags, the same file merges as Compose merges: lists appended, mappings joined.
    const plain = over.replaceAll(/!(reset|override) /g, "").replace("  debug: {}", "");
    const merged = servicesOf(
      run("airflow", ["base.yaml", "over.yaml"], { text: { "base.yaml": base, "over.yaml": plain } }),
    );
    assert.deepEqual(merged.web!.ports, ["8080:80", "8443:443", "9090:80"]);
    assert.deepEqual(Object.keys(merged.web!.dependsOn as object).sort(), ["cache", "db"]);
  });

  it("a script in a block scalar is written as it is, its #! line included", () => {
    const compose =
      "services:\n  job:\n    image: busybox:1.37\n    command:\n      - sh\n      - -c\n      - |\n        #!/bin/sh\n        echo hi\n";
    const r = run("airflow", ["x.yaml"], { text: { "x.yaml": compose } });
    assert.deepEqual(servicesOf(r).job?.command, ["sh", "-c", "#!/bin/sh\necho hi\n"]);
  });

  it("extends and include cycles are errors, not crashes", () => {
    const cycle = "services:\n  a: { extends: b, image: x }\n  b: { extends: a, image: x }\n";
    assert.throws(
      () => run("airflow", ["x.yaml"], { text: { "x.yaml": cycle } }),
      (e: unknown) => e instanceof ComposeLoadError && /extends cycle/.test(e.diagnostics[0]!.message),
    );
    const inc = "include: [x.yaml]\nservices: {}\n";
    assert.throws(
      () => run("airflow", ["x.yaml"], { text: { "x.yaml": inc } }),
      (e: unknown) => e instanceof ComposeLoadError && /include cycle/.test(e.diagnostics[0]!.message),
    );
  });

  it("a custom service under a catalog name gets no catalog wiring: Spark's S3 settings need the catalog's MinIO", () => {
    const compose = [
      "services:",
      "  minio:",
      "    image: bitnami/minio:2025",
      "  spark-master:",
      "    image: apache/spark:4.1.1",
      "    command: /opt/spark/bin/spark-class org.apache.spark.deploy.master.Master",
    ].join("\n");
    const r = run("airflow", ["x.yaml"], { text: { "x.yaml": compose } });
    const { plan: p } = assertPlans(r, "airflow");
    assert.equal(p.services.find((s) => s.name === "spark-master")?.env.AWS_ENDPOINT_URL, undefined);
  });

  it("a custom service under a catalog name stays custom (template: none)", () => {
    const compose =
      "services:\n  zookeeper:\n    image: confluentinc/cp-zookeeper:7.9.0\n    environment: { ZOOKEEPER_CLIENT_PORT: 2181 }\n";
    const r = run("airflow", ["x.yaml"], { text: { "x.yaml": compose } });
    const { plan: p } = assertPlans(r, "airflow");
    const zk = p.services.find((s) => s.name === "zookeeper")!;
    assert.equal(zk.env.ZOO_MY_ID, undefined, "no env of the catalog's zookeeper");
    assert.equal(zk.healthCheck, undefined);
  });
});
