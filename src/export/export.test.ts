import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { parse, parseAllDocuments } from "yaml";
import { assertGolden } from "../../test/support/golden.js";
import { budget, catalog, recipeStack, stackFrom } from "../../test/support/stack.js";
import { plan } from "../planner/index.js";
import { composeEnvFile, composeFile } from "./compose/compose.js";
import { helmChart } from "./helm/chart.js";
import { k8sManifestObjects, k8sManifests } from "./k8s/manifests.js";

const RECIPES = [...catalog.recipes.keys()];
const planOf = (recipe: string) => plan(recipeStack(recipe), catalog, budget(16));
const SECRETS = {
  "airflow-fernet-key": "F",
  "airflow-jwt-secret": "J",
  "jupyter-token": "T",
  "minio-root-password": "M",
  "postgres-password": "P",
};

type Service = Record<string, unknown> & { environment?: Record<string, string> };

describe("export compose", () => {
  for (const recipe of RECIPES)
    it(`${recipe}: golden, deterministic`, () => {
      const text = composeFile(planOf(recipe), { baseDir: "/project" });
      assert.equal(composeFile(planOf(recipe), { baseDir: "/project" }), text);
      assertGolden(`export/compose-${recipe}.yaml`, text);
    });

  it("keeps start order, readiness, sizing and secrets as Compose says them", () => {
    const p = planOf("full");
    const doc = parse(composeFile(p, { baseDir: "/project" })) as {
      name: string;
      services: Record<string, Service>;
      volumes: object;
    };
    assert.equal(doc.name, "full");
    assert.deepEqual(
      Object.keys(doc.services),
      p.services.map((s) => s.name),
    );
    const api = doc.services["airflow-api-server"]!;
    assert.deepEqual(api.depends_on, { "airflow-init": { condition: "service_completed_successfully" } });
    assert.deepEqual(doc.services["airflow-init"]!.depends_on, {
      postgres: { condition: "service_healthy" },
    });
    assert.equal(
      api.environment!.AIRFLOW__DATABASE__SQL_ALCHEMY_CONN,
      "postgresql+psycopg2://deloc:${DELOC_SECRET_POSTGRES_PASSWORD:?is set in .env by deloc export compose}@postgres:5432/deloc",
    );
    // A host folder under the compose file's folder is written relative to it.
    assert.deepEqual((api.volumes as unknown[])[0], {
      type: "bind",
      source: "./dags",
      target: "/opt/airflow/dags",
    });
    const kafka = doc.services.kafka!;
    const k = p.services.find((s) => s.name === "kafka")!;
    assert.deepEqual(kafka.deploy, {
      replicas: 1,
      resources: {
        limits: { memory: `${k.memoryBytes / 2 ** 20}m`, cpus: "1" },
        reservations: { memory: `${k.memoryMinBytes / 2 ** 20}m` },
      },
    });
    assert.equal(kafka.environment!.KAFKA_HEAP_OPTS, k.env.KAFKA_HEAP_OPTS);
    assert.deepEqual((kafka.healthcheck as { start_interval: string; test: string[] }).start_interval, "1s");
    // For Docker Engine before 25, which refuses it:
    assert.doesNotMatch(composeFile(p, { baseDir: "/project", noStartInterval: true }), /start_interval/);
    assert.deepEqual(kafka.ports, [
      { name: "broker", target: 9092, published: "9092", host_ip: "127.0.0.1", protocol: "tcp" },
    ]);
  });

  it("escapes a literal $ so Compose does not interpolate it", () => {
    const p = plan(
      stackFrom(
        `apiVersion: deloc.dev/v1\nkind: Stack\nmetadata: { name: d }\nspec:\n  services:\n    app: { image: x/app:1, command: ["sh", "-c", "echo $$HOME"], env: { PRICE: "5$" } }\n`,
      ),
      catalog,
      budget(4),
    );
    const app = (parse(composeFile(p, { baseDir: "/project" })) as { services: Record<string, Service> })
      .services.app!;
    assert.deepEqual(app.command, ["sh", "-c", "echo $$HOME"]);
    assert.equal(app.environment!.PRICE, "5$$");
  });

  it("writes the secrets to .env, keeping the lines that are not DELoc's", () => {
    const p = planOf("streaming");
    const text = composeEnvFile(
      p,
      { "minio-root-password": "m1", "postgres-password": "p1" },
      "MY_VAR=1\nDELOC_SECRET_POSTGRES_PASSWORD=old\n# mine\n",
    );
    assert.equal(
      text,
      "MY_VAR=1\n# mine\n# deloc: the stack's secrets (deloc export compose); keep this file private\nDELOC_SECRET_MINIO_ROOT_PASSWORD=m1\nDELOC_SECRET_POSTGRES_PASSWORD=p1\n",
    );
    assert.equal(composeEnvFile(p, { "minio-root-password": "m1", "postgres-password": "p1" }, text), text);
  });
});

describe("export k8s", () => {
  for (const recipe of RECIPES)
    it(`${recipe}: golden, deterministic`, () => {
      const text = k8sManifests(planOf(recipe), { namespace: "data", secrets: SECRETS });
      assert.equal(k8sManifests(planOf(recipe), { namespace: "data", secrets: SECRETS }), text);
      assertGolden(`export/k8s-${recipe}.yaml`, text);
      assert.equal(
        parseAllDocuments(text).length,
        k8sManifestObjects(planOf(recipe), { namespace: "data", secrets: SECRETS }).length,
      );
    });

  it("printed (secrets: null): the Secret left out, with a note naming it and how to create it; all else the same", () => {
    const withValues = k8sManifests(planOf("full"), { namespace: "data", secrets: SECRETS });
    const printed = k8sManifests(planOf("full"), { namespace: "data", secrets: null });
    for (const v of Object.values(SECRETS)) assert.ok(!printed.includes(Buffer.from(v).toString("base64")));
    assert.doesNotMatch(printed, /^kind: Secret$/m);
    assert.match(
      printed,
      /^# The Secret full-secrets \(airflow-fernet-key, .*postgres-password\) is left out.*\n.*\n# {3}kubectl create secret generic full-secrets --namespace data --from-env-file=\.deloc\/secrets\.env\n/m,
    );
    const body = (text: string) =>
      parseAllDocuments(text)
        .map((d) => d.toJS())
        .filter((o) => o?.kind !== "Secret");
    assert.deepEqual(body(printed), body(withValues));
  });

  it("quotes the strings YAML 1.1 readers (Helm, kubectl) would take for booleans", () => {
    const text = k8sManifests(planOf("full"), { namespace: "data", secrets: SECRETS });
    assert.match(text, /- --appendonly\n\s+- "yes"\n/);
  });

  const objects = k8sManifestObjects(planOf("full"), { namespace: "data", secrets: SECRETS });
  const find = (kind: string, name: string) =>
    // biome-ignore lint/suspicious/noExplicitAny: the tests read nested manifest fields
    objects.find((o) => o.kind === kind && o.metadata.name === name) as Record<string, any>;

  it("a workload per service: StatefulSet for stateful ones, Job for one-shots (named by config hash), Deployment otherwise", () => {
    const kinds = Object.fromEntries(
      objects
        .filter((o) => ["StatefulSet", "Deployment", "Job"].includes(o.kind))
        .map((o) => [o.metadata.name.replace(/-[0-9a-f]{8}$/, ""), o.kind]),
    );
    assert.deepEqual(kinds, {
      "airflow-api-server": "Deployment",
      "airflow-dag-processor": "Deployment",
      "airflow-init": "Job",
      "airflow-scheduler": "Deployment",
      jupyter: "Deployment",
      kafka: "StatefulSet",
      minio: "StatefulSet",
      postgres: "StatefulSet",
      redis: "StatefulSet",
      "spark-master": "Deployment",
      "spark-worker": "Deployment",
    });
    const init = planOf("full").services.find((s) => s.name === "airflow-init")!;
    assert.ok(find("Job", `airflow-init-${init.hash.slice(0, 8)}`));
  });

  it("start order: init containers wait for each dependency, with a token only they mount", () => {
    const api = find("Deployment", "airflow-api-server").spec.template.spec;
    assert.equal(api.automountServiceAccountToken, false);
    assert.equal(api.serviceAccountName, "full-wait");
    const init = planOf("full").services.find((s) => s.name === "airflow-init")!;
    assert.deepEqual(
      api.initContainers.map((c: { command: string[] }) => c.command.join(" ")),
      [`kubectl wait --for=condition=complete job/airflow-init-${init.hash.slice(0, 8)} --timeout=600s`],
    );
    assert.deepEqual(
      api.initContainers[0].volumeMounts.map((m: { mountPath: string }) => m.mountPath),
      ["/var/run/secrets/kubernetes.io/serviceaccount"],
    );
    assert.equal(
      api.containers[0].volumeMounts.some((m: { name: string }) => m.name === "deloc-wait-token"),
      false,
    );
    const worker = find("Deployment", "spark-worker").spec.template.spec;
    assert.deepEqual(worker.initContainers[0].command.slice(0, 3), ["kubectl", "rollout", "status"]);
    assert.equal(worker.initContainers[0].command[3], "deployment/spark-master");
    const kafka = find("StatefulSet", "kafka").spec.template.spec;
    assert.equal(kafka.serviceAccountName, "full");
    assert.equal(kafka.initContainers, undefined);
    const binding = find("RoleBinding", "full-wait");
    assert.equal(binding.subjects[0].namespace, "data");
  });

  it("secrets from the Secret: whole values by reference, values that embed one through $(VAR) defined first", () => {
    const env = find("Deployment", "airflow-scheduler").spec.template.spec.containers[0].env as {
      name: string;
      value?: string;
      valueFrom?: unknown;
    }[];
    const names = env.map((e) => e.name);
    assert.ok(
      names.indexOf("DELOC_SECRET_POSTGRES_PASSWORD") < names.indexOf("AIRFLOW__DATABASE__SQL_ALCHEMY_CONN"),
    );
    assert.equal(
      env.find((e) => e.name === "AIRFLOW__DATABASE__SQL_ALCHEMY_CONN")!.value,
      "postgresql+psycopg2://deloc:$(DELOC_SECRET_POSTGRES_PASSWORD)@postgres:5432/deloc",
    );
    assert.deepEqual(env.find((e) => e.name === "AIRFLOW__CORE__FERNET_KEY")!.valueFrom, {
      secretKeyRef: { name: "full-secrets", key: "airflow-fernet-key" },
    });
    assert.equal(
      find("Secret", "full-secrets").data["postgres-password"],
      Buffer.from("P").toString("base64"),
    );
    // Plain values go to the service's ConfigMap, never a secret among them.
    assert.equal(JSON.stringify(find("ConfigMap", "airflow-scheduler-env").data).includes("{{secret"), false);
  });

  it("probes from the health check; non-root where the image's user is known; resources from the plan", () => {
    const p = planOf("full").services.find((s) => s.name === "postgres")!;
    const pod = find("StatefulSet", "postgres").spec.template.spec;
    const c = pod.containers[0];
    assert.deepEqual(c.readinessProbe.exec.command, p.healthCheck!.command);
    assert.deepEqual(c.startupProbe, {
      exec: { command: p.healthCheck!.command },
      periodSeconds: 1,
      timeoutSeconds: p.healthCheck!.timeoutMs / 1000,
      failureThreshold: Math.ceil(
        (p.healthCheck!.startPeriodMs + p.healthCheck!.retries * p.healthCheck!.intervalMs) / 1000,
      ),
    });
    assert.deepEqual(pod.securityContext, {
      runAsNonRoot: true,
      runAsUser: 999,
      runAsGroup: 999,
      fsGroup: 999,
      seccompProfile: { type: "RuntimeDefault" },
    });
    assert.deepEqual(c.securityContext, { allowPrivilegeEscalation: false, capabilities: { drop: ["ALL"] } });
    assert.deepEqual(c.resources.limits, { cpu: "1", memory: `${p.memoryBytes / 2 ** 20}Mi` });
    assert.deepEqual(
      find("StatefulSet", "postgres").spec.volumeClaimTemplates.map(
        (v: { metadata: { name: string } }) => v.metadata.name,
      ),
      ["postgres-data"],
    );
    // A shared volume and a host folder are claims of their own.
    assert.ok(find("PersistentVolumeClaim", "airflow-logs"));
    assert.ok(find("PersistentVolumeClaim", "dags"));
    assert.deepEqual(find("NetworkPolicy", "full").spec.ingress, [
      { from: [{ podSelector: { matchLabels: { "dev.deloc.stack": "full" } } }] },
    ]);
  });

  it("Kafka's Service also carries the listener it advertises to other pods (kafka:19092), not only the published one", () => {
    const ports = find("Service", "kafka").spec.ports as { name: string; port: number; targetPort: string }[];
    assert.deepEqual(
      ports.map((p) => `${p.name} ${p.port}->${p.targetPort}`),
      ["broker 9092->broker", "bootstrap 19092->bootstrap"],
    );
    const container = find("StatefulSet", "kafka").spec.template.spec.containers[0];
    assert.deepEqual(
      container.ports.map((p: { containerPort: number }) => p.containerPort),
      [9092, 19092],
    );
    // An in-stack endpoint on a published port adds nothing.
    assert.equal(find("Service", "postgres").spec.ports.length, 1);
  });

  it("pods request a quarter of their CPU limit: a stack that fits a two-CPU laptop schedules on a two-CPU node", () => {
    const c = find("StatefulSet", "kafka").spec.template.spec.containers[0];
    assert.equal(c.resources.limits.cpu, "1");
    assert.equal(c.resources.requests.cpu, "250m");
  });
});

describe("export helm", () => {
  for (const recipe of RECIPES)
    it(`${recipe}: golden, deterministic`, () => {
      const files = helmChart(planOf(recipe));
      assert.deepEqual(helmChart(planOf(recipe)), files);
      assertGolden(
        `export/helm-${recipe}.txt`,
        Object.entries(files)
          .sort(([a], [b]) => a.localeCompare(b))
          .map(([name, text]) => `=== ${name}\n${text}`)
          .join(""),
      );
    });

  it("values carry each service's image, replicas, resources and toggle, and nothing secret", () => {
    const files = helmChart(planOf("streaming"));
    const values = parse(files["values.yaml"]!) as {
      services: Record<string, { enabled: boolean; image: string; replicas: number }>;
      secrets: Record<string, string>;
    };
    assert.deepEqual(Object.keys(values.services), [
      "kafka",
      "minio",
      "postgres",
      "spark-master",
      "spark-worker",
    ]);
    assert.equal(values.services.kafka!.image, "apache/kafka:4.1.1");
    assert.deepEqual(values.secrets, { "minio-root-password": "", "postgres-password": "" });
    assert.match(
      files["templates/kafka.yaml"]!,
      /^\{\{- if \(index \.Values "services" "kafka" "enabled"\) \}\}\n/,
    );
    assert.match(
      files["templates/kafka.yaml"]!,
      /image: \{\{ \(index \.Values "services" "kafka" "image"\) \| toJson \}\}/,
    );
  });
});
