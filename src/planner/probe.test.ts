/**
 * Declared probes end to end without an engine: the stack file's `verify:` key (schema, normal
 * form, port rules with positions), a template's `verify:`, and the probe on the plan and in
 * `plan --json`.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { budget, catalog } from "../../test/support/stack.js";
import { catalogIndex, readTemplateFile } from "../catalog/index.js";
import { checkAgainstCatalog, loadStackText } from "../config/index.js";
import { formatDiagnostic, type Stack } from "../core/index.js";
import { plan, planToJson } from "./index.js";

const header = "apiVersion: deloc.dev/v1\nkind: Stack\nmetadata: { name: demo }\nspec:\n  services:\n";
const load = (services: string) =>
  loadStackText(`${header}${services}`, {
    cwd: "/project",
    env: {},
    home: "/home/user",
    file: "/project/deloc.yaml",
    display: "deloc.yaml",
  });

/** The schema's errors, or else the catalog rules' errors, formatted as users see them. */
function errorsOf(services: string): string[] {
  const r = load(services);
  if (!r.ok) return r.errors.map(formatDiagnostic);
  return checkAgainstCatalog(r.stack, catalogIndex(catalog), r.locate).map(formatDiagnostic);
}

function stackOf(services: string): Stack {
  const r = load(services);
  assert.ok(r.ok, r.ok ? "" : r.errors.map(formatDiagnostic).join("\n"));
  assert.deepEqual(checkAgainstCatalog(r.stack, catalogIndex(catalog), r.locate).map(formatDiagnostic), []);
  return r.stack;
}

describe("verify: in the stack file", () => {
  it("normalises each kind of probe, filling the HTTP defaults", () => {
    const stack = stackOf(
      [
        '    api: { image: x, ports: ["8080:8080"], verify: { http: { port: 8080 } } }',
        "    web: { image: x, ports: [{ name: http, container: 80, host: 8081 }], verify: { http: { port: http, path: /healthz, status: 204 } } }",
        '    db: { image: x, ports: ["5433:5432"], verify: { tcp: {} } }',
        '    job: { image: x, verify: { command: "test -f /tmp/ready" } }',
        '    worker: { image: x, verify: { command: ["/app/selfcheck"] } }',
        "",
      ].join("\n"),
    );
    assert.deepEqual(Object.fromEntries(stack.services.map((s) => [s.name, s.verify])), {
      api: { kind: "http", port: 8080, path: "/", status: 200 },
      db: { kind: "tcp" },
      job: { kind: "command", argv: ["sh", "-c", "test -f /tmp/ready"] },
      web: { kind: "http", port: "http", path: "/healthz", status: 204 },
      worker: { kind: "command", argv: ["/app/selfcheck"] },
    });
  });

  it("rejects a probe that declares two kinds, none, or a bad key, with file:line:col and a suggestion", () => {
    assert.deepEqual(
      errorsOf(
        [
          '    a: { image: x, ports: ["80"], verify: { http: {}, tcp: {} } }',
          "    b: { image: x, verify: {} }",
          '    c: { image: x, ports: ["80"], verify: { http: { stauts: 200, path: healthz } } }',
          "",
        ].join("\n"),
      ),
      [
        "deloc.yaml:6:43 spec.services.a.verify: declares http and tcp; a service has one probe (keep one of them)",
        "deloc.yaml:7:28 spec.services.b.verify: needs one of http, tcp, command, e.g. { http: { port: http, path: /healthz } }",
        'deloc.yaml:8:72 spec.services.c.verify.http.path: must start with "/"',
        'deloc.yaml:8:53 spec.services.c.verify.http.stauts: unknown key (did you mean "status"?)',
      ],
    );
  });

  it("rejects a probe port the service does not have or does not publish, saying where and what to do", () => {
    assert.deepEqual(
      errorsOf(
        [
          "    api:",
          "      image: x",
          "      ports: [{ name: http, container: 8080, host: 8080 }, { name: admin, container: 9000 }]",
          "      verify: { http: { port: htp } }",
          "    db:",
          "      image: x",
          "      verify: { tcp: {} }",
          "    adm:",
          "      image: x",
          "      ports: [{ name: admin, container: 9000 }]",
          "      verify: { tcp: { port: admin } }",
          "    spark-master: { verify: { http: { port: iu } } }",
          '    airflow: { verify: { command: ["true"] } }',
          "",
        ].join("\n"),
      ),
      [
        "deloc.yaml:16:30 spec.services.adm.verify.tcp.port: port admin of adm is not published, and a tcp probe runs from the host (give the port a host port, or use verify: { command: [...] })",
        "deloc.yaml:18:16 spec.services.airflow.verify: airflow is a group; its components run the containers a probe checks (declare verify: on a component instead, e.g. `airflow-api-server: { verify: … }`)",
        'deloc.yaml:9:31 spec.services.api.verify.http.port: api has no TCP port named "htp" (did you mean "http"?)',
        'deloc.yaml:12:22 spec.services.db.verify.tcp: a tcp probe runs from the host, and db publishes no TCP port (publish one under ports: (e.g. "8080:8080"), or use verify: { command: [...] })',
        'deloc.yaml:17:45 spec.services.spark-master.verify.http.port: spark-master has no TCP port named "iu" (did you mean "ui"?)',
      ],
    );
  });
});

describe("the probe on the plan", () => {
  const sizes = `resources:\n${["minimal", "development", "production"].map((p) => `  ${p}: { memory: { min: 64Mi, preferred: 128Mi }, cpu: 250m }\n`).join("")}`;

  it("resolves the named port among the published ones and shows it in plan --json", () => {
    const p = plan(
      stackOf(
        [
          '    api: { image: x, ports: ["18080:8080"], verify: { http: { port: 8080, path: /healthz } } }',
          "    spark-master: { verify: { tcp: { port: ui } } }",
          '    worker: { image: x, verify: { command: ["/app/selfcheck"] } }',
          "    redis: {}",
          "",
        ].join("\n"),
      ),
      catalog,
      budget(16),
      { takenPorts: new Set([8080]) },
    );
    const json = Object.fromEntries(planToJson(p).services.map((s) => [s.name, s.verify]));
    assert.deepEqual(json, {
      api: {
        kind: "http",
        port: { name: null, container: 8080, host: 18080 },
        path: "/healthz",
        status: 200,
      },
      // The UI's host port moved off 8080, which was taken: the probe goes where the port went.
      "spark-master": { kind: "tcp", port: { name: "ui", container: 8080, host: 8081 } },
      worker: { kind: "command", argv: ["/app/selfcheck"] },
      redis: null,
    });
    // A probe is not part of the container: declaring one must not recreate it.
    const without = plan(stackOf('    api: { image: x, ports: ["18080:8080"] }\n'), catalog, budget(16));
    assert.equal(p.services.find((s) => s.name === "api")!.hash, without.services[0]!.hash);
  });

  it("takes a template's probe, and the stack file's over it", () => {
    const read = readTemplateFile(
      "mailpit.yaml",
      `name: mailpit\ndescription: SMTP test server\nimage: axllent/mailpit:v1.27\nports: [{ name: web, container: 8025, host: 8025 }]\nverify: { http: { port: web, path: /livez } }\n${sizes}`,
    );
    assert.ok(read.ok);
    const withMailpit = {
      ...catalog,
      templates: new Map([...catalog.templates, ["mailpit", read.templates[0]!]]),
    };
    // stackOf checks against the built-in catalog, which has no mailpit: load the stack directly.
    const stack = (services: string) => {
      const r = load(services);
      assert.ok(r.ok);
      return r.stack;
    };
    assert.deepEqual(plan(stack("    mailpit: {}\n"), withMailpit, budget(16)).services[0]!.verify, {
      kind: "http",
      port: { container: 8025, name: "web" },
      path: "/livez",
      status: 200,
    });
    assert.deepEqual(
      plan(stack("    mailpit: { verify: { tcp: { port: web } } }\n"), withMailpit, budget(16)).services[0]!
        .verify,
      { kind: "tcp", port: { container: 8025, name: "web" } },
    );
  });

  it("rejects a template whose probe names a port it does not have", () => {
    const read = readTemplateFile(
      "mailpit.yaml",
      `name: mailpit\ndescription: x\nimage: x:1\nports: [{ name: web, container: 8025, host: 8025 }]\nverify: { http: { port: wbe } }\n${sizes}`,
    );
    assert.deepEqual(read.ok ? [] : read.errors.map(formatDiagnostic), [
      'mailpit.yaml:5:25 verify.http.port: mailpit has no TCP port named "wbe" (did you mean "web"?)',
    ]);
  });
});
