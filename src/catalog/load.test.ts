import assert from "node:assert/strict";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { describe, it } from "node:test";
import { ConfigError, formatDiagnostic, PROFILES } from "../core/index.js";
import { builtinCatalogDir, loadCatalog, readTemplateFile } from "./index.js";
import { makeSnapshot, readSnapshot, snapshotFile } from "./snapshot.js";

describe("the built-in catalog", () => {
  const catalog = loadCatalog();

  it("validates and offers every service the issue names", () => {
    for (const name of [
      "kafka",
      "zookeeper",
      "spark-master",
      "spark-worker",
      "minio",
      "postgres",
      "redis",
      "jupyter",
    ])
      assert.ok(catalog.templates.has(name), `${name} is missing`);
    assert.deepEqual(catalog.groups.get("airflow"), [
      "airflow-api-server",
      "airflow-dag-processor",
      "airflow-init",
      "airflow-scheduler",
    ]);
    assert.deepEqual([...catalog.recipes.keys()].sort(), ["full", "lakehouse", "orchestration", "streaming"]);
  });

  it("pins every image to a tag, and none to Bitnami", () => {
    for (const t of catalog.templates.values()) {
      assert.match(t.image, /:[^:/]+$/, `${t.name} has no tag`);
      assert.doesNotMatch(t.image, /latest$|bitnami/, `${t.name}: ${t.image}`);
    }
  });

  it("gives every service sizes that grow with the profile and a health check unless it is one-shot", () => {
    for (const t of catalog.templates.values()) {
      const [minimal, development, production] = PROFILES.map((p) => t.resources[p]);
      assert.ok(minimal!.memoryMinBytes <= development!.memoryMinBytes, t.name);
      assert.ok(development!.memoryMinBytes <= production!.memoryMinBytes, t.name);
      if (!t.oneShot) assert.ok(t.healthCheck, `${t.name} has no health check`);
    }
  });

  it("carries JVM heap settings for the JVM services", () => {
    for (const name of ["kafka", "zookeeper", "spark-master", "spark-worker"]) {
      const jvm = catalog.templates.get(name)!.jvm;
      assert.ok(jvm && jvm.heapRatio > 0 && jvm.heapRatio < 1, name);
    }
  });

  it("has the one-shot airflow migration that the other components wait for", () => {
    const init = catalog.templates.get("airflow-init")!;
    assert.equal(init.oneShot, true);
    assert.deepEqual(init.command, ["airflow", "db", "migrate"]);
    assert.equal(catalog.templates.get("airflow-scheduler")!.dependsOn["airflow-init"], "completed");
  });
});

describe("user templates", () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "deloc-catalog-"));
  const write = (name: string, text: string) => fs.writeFileSync(path.join(dir, name), text);
  const sizes = `resources:
  minimal: { memory: { min: 64Mi, preferred: 128Mi }, cpu: 250m }
  development: { memory: { min: 64Mi, preferred: 128Mi }, cpu: 250m }
  production: { memory: { min: 64Mi, preferred: 256Mi }, cpu: 500m }
`;

  it("adds a template from a folder, and replaces a built-in of the same name", () => {
    write(
      "mailpit.yaml",
      `name: mailpit\ndescription: SMTP test server\nimage: axllent/mailpit:v1.27\nports: [{ name: web, container: 8025, host: 8025 }]\n${sizes}`,
    );
    write("redis.yaml", `name: redis\ndescription: my redis\nimage: valkey/valkey:8.1\n${sizes}`);
    const catalog = loadCatalog({ paths: [dir] });
    assert.equal(catalog.templates.get("mailpit")!.image, "axllent/mailpit:v1.27");
    assert.equal(catalog.templates.get("redis")!.image, "valkey/valkey:8.1");
    fs.rmSync(path.join(dir, "mailpit.yaml"));
    fs.rmSync(path.join(dir, "redis.yaml"));
  });

  it("rejects a bad template with its file, position and path", () => {
    const result = readTemplateFile(
      "bad.yaml",
      `name: bad\ndescription: x\nimage: x:1\nport: []\n${sizes.replace("cpu: 250m", "cpu: lots")}`,
    );
    assert.equal(result.ok, false);
    const messages = result.ok ? [] : result.errors.map(formatDiagnostic);
    assert.deepEqual(messages, [
      'bad.yaml:6:60 resources.minimal.cpu: must be a CPU amount like "500m" or 2 (got "lots")',
      'bad.yaml:1:1 unknown key(s) "port"',
    ]);
  });

  it("fails the catalog load with a catalog error naming the folder that is missing", () => {
    assert.throws(
      () => loadCatalog({ paths: [path.join(dir, "nope")] }),
      (e: unknown) => e instanceof ConfigError && e.code === "E_CATALOG" && e.message.includes("nope"),
    );
  });
});

describe("the catalog snapshot the build writes", () => {
  const copy = () => {
    const root = fs.mkdtempSync(path.join(os.tmpdir(), "deloc-snapshot-"));
    fs.cpSync(builtinCatalogDir(), path.join(root, "catalog"), { recursive: true });
    fs.mkdirSync(path.join(root, "dist"));
    return path.join(root, "catalog");
  };

  it("loads to exactly the catalog its YAML files give", () => {
    const dir = copy();
    const fromYaml = loadCatalog({ builtinDir: dir });
    fs.writeFileSync(snapshotFile(dir), JSON.stringify(makeSnapshot(dir, fromYaml)));
    assert.ok(readSnapshot(dir), "the snapshot is used");
    assert.deepEqual(loadCatalog({ builtinDir: dir }), fromYaml);
  });

  it("is not used once a catalog file changed: the edited template wins", () => {
    const dir = copy();
    fs.writeFileSync(snapshotFile(dir), JSON.stringify(makeSnapshot(dir, loadCatalog({ builtinDir: dir }))));
    const file = path.join(dir, "services", "redis.yaml");
    fs.writeFileSync(
      file,
      fs.readFileSync(file, "utf8").replace(/^description: .*$/m, "description: edited"),
    );
    assert.equal(readSnapshot(dir), null);
    assert.equal(loadCatalog({ builtinDir: dir }).templates.get("redis")?.description, "edited");
  });
});
