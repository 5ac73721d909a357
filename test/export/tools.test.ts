/**
 * The exports of every recipe, checked with the real tools (built by `npm run tools`): the chart
 * passes `helm lint --strict` and renders with `helm template`; every rendered object validates
 * against the Kubernetes schemas; the Compose file validates against the Compose-spec schema and
 * loads in Compose v2. And parity: the Plan (`deloc plan --json`), the Compose file as Compose
 * reads it and the manifests Helm renders agree on services, images, env, resources, ports,
 * probes and start order; `deloc export k8s` is exactly what Helm renders with the chart's values.
 */
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { after, describe, it } from "node:test";
import { Ajv, type ValidateFunction } from "ajv";
import { parse, parseAllDocuments } from "yaml";
import { loadCatalog } from "../../src/catalog/index.js";
import { type LayerFlags, loadStack } from "../../src/config/index.js";
import { Cpu, Size } from "../../src/core/index.js";
import { plan as makePlan, planToJson } from "../../src/planner/index.js";
import { portableBudget } from "../../src/resources/index.js";
import { delocIn } from "../support/cli.js";
import { catalog } from "../support/stack.js";

const TOOLS = path.resolve(import.meta.dirname, "../../tools");
const HELM = path.join(TOOLS, "bin/helm");
const COMPOSE = path.join(TOOLS, "bin/docker-compose");
const MIB = 2 ** 20;

function tool(bin: string, args: string[], cwd: string): string {
  assert.ok(fs.existsSync(bin), `${bin} is missing: run \`npm run tools\``);
  const r = spawnSync(bin, args, { cwd, encoding: "utf8", maxBuffer: 64 * MIB });
  assert.equal(r.status, 0, `${path.basename(bin)} ${args.join(" ")}:\n${r.stderr}${r.stdout}`);
  return r.stdout;
}

// biome-ignore lint/suspicious/noExplicitAny: manifests are read field by field
type Obj = Record<string, any>;

interface PlanJson {
  services: {
    name: string;
    image: string;
    replicas: number;
    oneShot: boolean;
    memoryBytes: number;
    cpus: number;
    env: Record<string, string>;
    ports: { container: number; host: number }[];
    endpoints: { url: string }[];
    healthCheck: { command: string[] } | null;
    waitsFor: { service: string; condition: string }[];
  }[];
}

let composeSchema: ValidateFunction | undefined;
/** Formats (durations, ports) are Compose's own: Compose v2 checks them when it loads the file. */
function composeValidator(): ValidateFunction {
  // The schema names draft-07 by an address Ajv does not know it by; Ajv's default is draft-07.
  const { $schema: _, ...schema } = JSON.parse(
    fs.readFileSync(path.join(TOOLS, "compose-spec.json"), "utf8"),
  );
  composeSchema ??= new Ajv({ strict: false, allErrors: true, validateFormats: false }).compile(schema);
  return composeSchema;
}

async function validateK8s(o: Obj): Promise<void> {
  const mod = (await import(`kubernetes-models/${o.apiVersion}/${o.kind}`)) as Record<
    string,
    new (
      x: Obj,
    ) => { validate(): void }
  >;
  const Model = mod[o.kind];
  assert.ok(Model, `no schema for ${o.apiVersion} ${o.kind}`);
  assert.doesNotThrow(() => new Model(o).validate(), `${o.kind} ${o.metadata.name}`);
}

/**
 * The Plan the exports are made from (`deloc plan --json` sizes for this machine and its engine and
 * moves ports around what listens here; an export does neither): the profile's sizes, the flags'.
 */
function portablePlan(dir: string, flags: LayerFlags): PlanJson {
  const loaded = loadStack({ cwd: dir, env: {}, home: os.homedir(), flags });
  assert.ok(loaded.ok, JSON.stringify(loaded));
  const planned = makePlan(
    loaded.stack,
    loadCatalog({ paths: loaded.stack.catalogPaths }),
    portableBudget(loaded.capacity),
  );
  return planToJson(planned) as unknown as PlanJson;
}

const byKindName = (a: Obj, b: Obj) =>
  `${a.kind}/${a.metadata.name}`.localeCompare(`${b.kind}/${b.metadata.name}`);

for (const recipe of catalog.recipes.keys())
  describe(`export ${recipe} (real tools)`, () => {
    const dir = path.join(fs.mkdtempSync(path.join(os.tmpdir(), "deloc-export-")), recipe);
    fs.mkdirSync(dir);
    const { ok } = delocIn(() => dir);
    const sizing = ["--memory", "16g", "--cpus", "4"];
    let plan: PlanJson;
    let secrets: Record<string, string>;
    let rendered: Obj[];

    it("writes the three exports", () => {
      ok("init", "--recipe", recipe);
      ok("plan", "--json", ...sizing);
      plan = portablePlan(dir, { memory: "16g", cpus: "4" });
      ok("export", "compose", ...sizing);
      ok("export", "helm", "-o", "chart", ...sizing);
      ok("export", "k8s", "-o", "k8s.yaml", "--namespace", "data", ...sizing);
      assert.equal(fs.statSync(path.join(dir, "k8s.yaml")).mode & 0o777, 0o600);
      assert.equal(fs.statSync(path.join(dir, ".env")).mode & 0o777, 0o600);
      secrets = Object.fromEntries(
        fs
          .readFileSync(path.join(dir, ".deloc/secrets.env"), "utf8")
          .split("\n")
          .flatMap((l) =>
            /^([\w.-]+)=(.*)$/.exec(l) ? [[l.split("=")[0]!, l.slice(l.indexOf("=") + 1)]] : [],
          ),
      );
    });

    it("helm lint --strict passes and helm template renders objects valid against the Kubernetes schemas", async () => {
      tool(HELM, ["lint", "--strict", "chart"], dir);
      rendered = parseAllDocuments(tool(HELM, ["template", recipe, "chart", "--namespace", "data"], dir), {
        version: "1.1",
      })
        .map((d) => d.toJS() as Obj)
        .filter(Boolean);
      assert.ok(rendered.length > plan.services.length);
      for (const o of rendered) await validateK8s(o);
    });

    it("deloc export k8s is what Helm renders from the chart's values (the Secret's values aside)", () => {
      const k8s = parseAllDocuments(fs.readFileSync(path.join(dir, "k8s.yaml"), "utf8")).map(
        (d) => d.toJS() as Obj,
      );
      const withoutSecretData = (os: Obj[]) =>
        os
          .map((o) => (o.kind === "Secret" ? { ...o, data: Object.keys(o.data).sort() } : o))
          .sort(byKindName);
      assert.deepEqual(withoutSecretData(rendered), withoutSecretData(k8s));
    });

    it("the Compose file validates against the Compose-spec schema and loads in Compose v2", () => {
      const doc = parse(fs.readFileSync(path.join(dir, "compose.yaml"), "utf8"));
      const validate = composeValidator();
      assert.ok(validate(doc), JSON.stringify(validate.errors, null, 2));
      tool(COMPOSE, ["-f", "compose.yaml", "config", "--quiet"], dir);
    });

    it("parity: plan, Compose and Helm agree on services, images, env, resources, ports, probes, start order", () => {
      const compose = JSON.parse(
        tool(COMPOSE, ["-f", "compose.yaml", "config", "--format", "json"], dir),
      ) as {
        services: Record<string, Obj>;
      };
      const resolve = (v: string) => v.replace(/\{\{secret\.([\w.-]+)\}\}/g, (_, n: string) => secrets[n]!);
      const secretData = rendered.find((o) => o.kind === "Secret")?.data ?? {};
      const CONDITION = {
        healthy: "service_healthy",
        started: "service_started",
        completed: "service_completed_successfully",
      };
      assert.deepEqual(Object.keys(compose.services).sort(), plan.services.map((s) => s.name).sort());
      for (const s of plan.services) {
        const env = Object.fromEntries(Object.entries(s.env).map(([k, v]) => [k, resolve(v)]));
        // Compose, as it will run the service.
        const c = compose.services[s.name]!;
        assert.equal(c.image, s.image, s.name);
        // `config` prints a literal `$` as `$$`, as in a Compose file; the container gets one `$`.
        const composeEnv = Object.fromEntries(
          Object.entries((c.environment ?? {}) as Record<string, string>).map(([k, v]) => [
            k,
            v.replaceAll("$$", "$"),
          ]),
        );
        assert.deepEqual(composeEnv, env, s.name);
        assert.equal(Number(c.deploy.resources.limits.memory), s.memoryBytes, s.name);
        assert.equal(Number(c.deploy.resources.limits.cpus), s.cpus, s.name);
        assert.deepEqual(
          (c.ports ?? []).map((p: Obj) => [p.target, Number(p.published)]),
          s.ports.map((p) => [p.container, p.host]),
        );
        assert.deepEqual(c.healthcheck?.test, s.healthCheck ? ["CMD", ...s.healthCheck.command] : undefined);
        assert.deepEqual(
          Object.entries(c.depends_on ?? {}).map(([d, x]) => [d, (x as Obj).condition]),
          s.waitsFor.map((w) => [w.service, CONDITION[w.condition as keyof typeof CONDITION]]),
        );

        // Kubernetes, as Helm renders it.
        const workload = rendered.find(
          (o) =>
            ["Deployment", "StatefulSet", "Job"].includes(o.kind) &&
            o.spec.template.metadata.labels["dev.deloc.service"] === s.name,
        )!;
        assert.ok(workload, `${s.name} has a workload`);
        assert.equal(workload.kind === "Job", s.oneShot, s.name);
        if (!s.oneShot) assert.equal(workload.spec.replicas, s.replicas);
        const pod = workload.spec.template.spec;
        const k = pod.containers[0];
        assert.equal(k.image, s.image);
        const configMap =
          rendered.find(
            (o) => o.kind === "ConfigMap" && o.metadata.name === k.envFrom?.[0]?.configMapRef.name,
          )?.data ?? {};
        const kEnv: Record<string, string> = { ...configMap };
        for (const e of k.env ?? [])
          kEnv[e.name] = e.valueFrom
            ? Buffer.from(secretData[e.valueFrom.secretKeyRef.key], "base64").toString()
            : e.value.replace(/\$\((\w+)\)/g, (_: string, n: string) => kEnv[n]!);
        for (const name of Object.keys(kEnv)) if (name.startsWith("DELOC_SECRET_")) delete kEnv[name];
        // Helm generated its own secret values: compare them as the references they are.
        const asRefs = (e: Record<string, string>, values: Record<string, string>) =>
          Object.fromEntries(
            Object.entries(e).map(([n, v]) => [
              n,
              Object.entries(values).reduce((t, [sn, sv]) => (sv ? t.split(sv).join(`<${sn}>`) : t), v),
            ]),
          );
        const helmSecrets = Object.fromEntries(
          Object.entries(secretData).map(([n, v]) => [n, Buffer.from(v as string, "base64").toString()]),
        );
        assert.deepEqual(asRefs(kEnv, helmSecrets), asRefs(env, secrets), s.name);
        assert.equal(Size.parse(k.resources.limits.memory)?.bytes, s.memoryBytes);
        assert.equal(Cpu.parse(k.resources.limits.cpu)?.cores, s.cpus);
        // The published ports, then the ones other pods reach it on (Kafka's kafka:19092).
        const inStack = s.endpoints
          .map((e) => new RegExp(`(?:^|[/@])${s.name}:(\\d+)(?:[/?]|$)`).exec(e.url)?.[1])
          .filter((p) => p !== undefined)
          .map(Number);
        assert.deepEqual(
          (k.ports ?? []).map((p: Obj) => p.containerPort),
          [...new Set([...s.ports.map((p) => p.container), ...inStack])],
        );
        for (const probe of ["startupProbe", "readinessProbe", "livenessProbe"])
          assert.deepEqual(k[probe]?.exec.command, s.healthCheck?.command, `${s.name} ${probe}`);
        assert.deepEqual(
          (pod.initContainers ?? []).map((i: Obj) => i.name),
          s.waitsFor.map((w) => `wait-for-${w.service}`),
        );
      }
    });
  });

describe("Compose v2 runs the export on the real engine", () => {
  const dir = path.join(fs.mkdtempSync(path.join(os.tmpdir(), "deloc-compose-")), "deloc-compose-run");
  fs.mkdirSync(dir);
  const { ok } = delocIn(() => dir);
  after(() => {
    spawnSync(COMPOSE, ["-f", "compose.yaml", "down", "--volumes"], { cwd: dir, stdio: "ignore" });
  });

  it("up --wait: every service healthy in start order, with the plan's limits; the secrets from .env reach it", () => {
    fs.writeFileSync(
      path.join(dir, "deloc.yaml"),
      'apiVersion: deloc.dev/v1\nkind: Stack\nmetadata: { name: deloc-compose-run }\nspec:\n  profile: minimal\n  services:\n    postgres: {}\n    redis: { dependsOn: { migrate: completed } }\n    migrate:\n      image: postgres:17\n      oneShot: true\n      command: ["sh", "-c", "PGPASSWORD=$$PW psql -h postgres -U deloc -d deloc -c \'CREATE TABLE done (x int)\'"]\n      env: { PW: "{{secret.postgres-password}}" }\n      dependsOn: { postgres: healthy }\n',
    );
    // Docker Engine 20.10 here refuses start_interval (it came with Engine 25).
    ok("export", "compose", "--no-start-interval");
    tool(COMPOSE, ["-f", "compose.yaml", "up", "--detach", "--wait"], dir);
    const ps = tool(COMPOSE, ["-f", "compose.yaml", "ps", "--all", "--format", "json"], dir)
      .trim()
      .split("\n")
      .map((l) => JSON.parse(l) as Obj);
    assert.deepEqual(ps.map((c) => `${c.Service}:${c.State}:${c.Health || c.ExitCode}`).sort(), [
      "migrate:exited:0",
      "postgres:running:healthy",
      "redis:running:healthy",
    ]);
    const plan = portablePlan(dir, { profile: "minimal" });
    const inspect = (service: string) =>
      JSON.parse(
        spawnSync("docker", ["inspect", ps.find((c) => c.Service === service)!.ID], { encoding: "utf8" })
          .stdout,
      )[0];
    assert.equal(
      inspect("postgres").HostConfig.Memory,
      plan.services.find((s) => s.name === "postgres")!.memoryBytes,
    );
    // redis waited for the one-shot task to complete, which waited for postgres to be healthy.
    assert.ok(
      Date.parse(inspect("redis").State.StartedAt) >= Date.parse(inspect("migrate").State.FinishedAt),
    );
    // The one-shot task logged in with the generated password and made its table.
    const psql = tool(
      COMPOSE,
      [
        "-f",
        "compose.yaml",
        "exec",
        "-T",
        "postgres",
        "psql",
        "-U",
        "deloc",
        "-d",
        "deloc",
        "-tAc",
        "SELECT count(*) FROM done",
      ],
      dir,
    );
    assert.equal(psql.trim(), "0");
  });
});
