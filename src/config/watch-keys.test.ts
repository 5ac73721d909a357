import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { formatDiagnostic } from "../core/index.js";
import { loadStackText } from "./index.js";

const opts = {
  cwd: "/project",
  env: {},
  home: "/home/user",
  file: "/project/deloc.yaml",
  display: "deloc.yaml",
};
const stack = (services: string) =>
  `apiVersion: deloc.dev/v1\nkind: Stack\nmetadata: { name: dev }\nspec:\n  services:\n${services}`;

describe("the stack file's keys for deloc watch", () => {
  it("reads watch rules (paths from the stack file's folder) and dependsOn's long form", () => {
    const r = loadStackText(
      stack(`    db: { image: x }
    api:
      build: ./api
      dependsOn: { db: { condition: started, restart: true } }
      watch:
        - { path: ./api/src, action: sync, target: /app/src, ignore: ["*.pyc"] }
        - { path: ./api/requirements.txt, action: rebuild }
    worker: { image: y, dependsOn: { api: healthy, db: { restart: false } } }
`),
      opts,
    );
    assert.ok(r.ok, r.ok ? "" : r.errors.map(formatDiagnostic).join("\n"));
    const api = r.stack.services.find((s) => s.name === "api")!;
    assert.deepEqual(api.dependsOn, { db: "started" });
    assert.deepEqual(api.restartWith, ["db"]);
    assert.deepEqual(api.watch, [
      { path: "/project/api/src", action: "sync", target: "/app/src", ignore: ["*.pyc"] },
      { path: "/project/api/requirements.txt", action: "rebuild", ignore: [] },
    ]);
    const worker = r.stack.services.find((s) => s.name === "worker")!;
    assert.deepEqual(worker.dependsOn, { api: "healthy", db: "healthy" });
    assert.equal(worker.restartWith, undefined);
  });

  it("rejects a sync without target, an unknown action and a bad long form, each at its line", () => {
    const r = loadStackText(
      stack(`    db: { image: x }
    api:
      image: y
      dependsOn: { db: { condition: ready, restrat: true } }
      watch: [{ path: ./src, action: sync }, { path: ./x, action: reload }]
`),
      opts,
    );
    assert.equal(r.ok, false);
    const errors = r.ok ? "" : r.errors.map(formatDiagnostic).join("\n");
    assert.match(errors, /deloc\.yaml:9:\d+ spec\.services\.api\.dependsOn: db: unknown key "restrat"/);
    assert.match(errors, /spec\.services\.api\.watch\.0: sync needs a target/);
    assert.match(
      errors,
      /spec\.services\.api\.watch\.1\.action: .*sync \| rebuild \| restart \| sync\+restart/,
    );
  });
});
