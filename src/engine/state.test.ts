import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { test } from "node:test";
import { LockedError, TransitionError } from "../core/index.js";
import { ensureSecrets, generateSecret, maskSecrets, readSecrets, secretsFromEnv } from "./secrets.js";
import { StateStore } from "./state.js";

const tmp = () => fs.mkdtempSync(path.join(os.tmpdir(), "deloc-state-"));

test("state: a second deloc on the same stack is refused while the first holds the lock", async () => {
  const dir = tmp();
  // Another live process holds the lock.
  const other = spawn(process.execPath, ["-e", "setTimeout(() => {}, 30000)"]);
  try {
    fs.mkdirSync(path.join(dir, ".deloc"));
    fs.writeFileSync(
      path.join(dir, ".deloc", "lock"),
      JSON.stringify({ pid: other.pid, command: "up", since: "now" }),
    );
    const store = new StateStore(dir, "s", "down");
    assert.throws(
      () => store.lock(),
      (e: unknown) => e instanceof LockedError && /pid \d+, `up`/.test(e.message),
    );
  } finally {
    other.kill();
  }
});

test("state: a lock left by a process that is gone is taken over", () => {
  const dir = tmp();
  fs.mkdirSync(path.join(dir, ".deloc"));
  fs.writeFileSync(
    path.join(dir, ".deloc", "lock"),
    JSON.stringify({ pid: 2 ** 22 + 7, command: "up", since: "then" }),
  );
  const store = new StateStore(dir, "s", "up");
  store.lock();
  assert.equal(JSON.parse(fs.readFileSync(path.join(dir, ".deloc", "lock"), "utf8")).pid, process.pid);
  store.unlock();
  assert.ok(!fs.existsSync(path.join(dir, ".deloc", "lock")));
});

test("state: transitions are logged, illegal ones are refused, and a corrupt file reads as none", () => {
  const dir = tmp();
  const store = new StateStore(dir, "s", "up");
  const state = store.fresh();
  store.move(state, "deploying", "up");
  store.move(state, "deploying", "starting", "db");
  store.move(state, "running", "ready", "db");
  store.write(state);
  assert.equal(store.read()?.state, "deploying");
  assert.throws(() => store.move(state, "scaling", "nope"), TransitionError); // deploying -> scaling
  fs.appendFileSync(path.join(dir, ".deloc", "events.ndjson"), '{"cut sho');
  assert.deepEqual(
    store.events().map((e) => `${e.service ?? "-"} ${e.from}>${e.to}`),
    ["- stopped>deploying", "db stopped>deploying", "db deploying>running"],
  );
  fs.writeFileSync(path.join(dir, ".deloc", "state.json"), "{ trunc");
  assert.equal(store.read(), null);
});

test("secrets: generated once per stack into a 0600 file, then read back unchanged", () => {
  const dir = tmp();
  const first = ensureSecrets(dir, [
    { name: "db-password", kind: "password" },
    { name: "fernet", kind: "fernet" },
  ]);
  const file = path.join(dir, ".deloc", "secrets.env");
  assert.equal(fs.statSync(file).mode & 0o777, 0o600);
  assert.match(first["db-password"]!, /^[A-Za-z0-9]{24}$/);
  assert.equal(Buffer.from(first.fernet!.replaceAll("-", "+").replaceAll("_", "/"), "base64").length, 32);
  assert.deepEqual(ensureSecrets(dir, [{ name: "db-password", kind: "password" }]), first);
  assert.deepEqual(readSecrets(dir), first);
});

test("secrets: values and tokens are masked in text that is printed", () => {
  const v = generateSecret("password");
  assert.equal(maskSecrets(`postgres://u:${v}@h and {{secret.x}}`, { p: v }), "postgres://u:***@h and ***");
});

test("secrets: masked encoded too — base64 (padded or not, of `echo`), base64url, URL-encoded", () => {
  for (const kind of ["password", "token", "fernet"] as const) {
    const v = generateSecret(kind);
    const b64 = Buffer.from(v).toString("base64");
    const text = [
      `data: { pw: ${b64} }`,
      `bare ${b64.replace(/=+$/, "")}.`,
      `url ${Buffer.from(v).toString("base64url")}`,
      `dsn postgresql://u:${encodeURIComponent(v)}@h/db`,
      `echo ${Buffer.from(`${v}\n`).toString("base64")}`,
    ].join("\n");
    const masked = maskSecrets(text, { [kind]: v });
    assert.match(
      masked,
      /^data: \{ pw: \*\*\* \}\nbare \*\*\*\.\nurl \*\*\*\ndsn postgresql:\/\/u:\*\*\*@h\/db\necho \*\*\*/,
    );
    for (const line of masked.split("\n")) assert.ok(!line.includes(v.slice(0, 8)), `${kind}: ${line}`);
  }
});

test("state: a run killed mid-deploy leaves a state the next one closes and moves on from", () => {
  const dir = tmp();
  const killed = new StateStore(dir, "s", "up");
  const state = killed.fresh();
  killed.move(state, "deploying", "up");
  killed.move(state, "deploying", "starting", "db");
  killed.write(state); // ...and the process dies here, its lock left behind
  const next = new StateStore(dir, "s", "up");
  next.lock();
  const recovered = next.read()!;
  assert.deepEqual([recovered.state, recovered.services.db?.state], ["failed", "failed"]);
  next.move(recovered, "deploying", "up"); // allowed again
  next.unlock();
});

test("secrets: read back from a container's environment through the planned templates", () => {
  const templates = {
    POSTGRES_PASSWORD: "{{secret.pg}}",
    DSN: "postgresql+psycopg2://deloc:{{secret.pg}}@postgres:5432/deloc?x=(1)",
    BOTH: "{{secret.a}}:{{secret.b}}",
    PLAIN: "no secret here",
    GONE: "{{secret.c}}",
  };
  assert.deepEqual(
    secretsFromEnv(templates, {
      POSTGRES_PASSWORD: "Xy7pQ",
      DSN: "postgresql+psycopg2://deloc:Xy7pQ@postgres:5432/deloc?x=(1)",
      BOTH: "left:right",
      PLAIN: "no secret here",
    }),
    { pg: "Xy7pQ", a: "left", b: "right" },
  );
  // A value the template does not fit (the container predates a change of it) gives nothing.
  assert.deepEqual(
    secretsFromEnv({ DSN: "postgresql://deloc:{{secret.pg}}@db/x" }, { DSN: "mysql://x" }),
    {},
  );
});

test("state: a long-running command that locks for each action (deloc ui) adds one exit hook, not one a lock", () => {
  const store = new StateStore(tmp(), "s", "ui");
  const before = process.listenerCount("exit");
  for (let i = 0; i < 20; i++) {
    store.lock();
    store.unlock();
  }
  assert.ok(
    process.listenerCount("exit") <= before + 1,
    `${process.listenerCount("exit") - before} exit hooks`,
  );
});
