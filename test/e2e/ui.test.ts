/**
 * `deloc ui` end to end: a stack of three services (one echoes its secret into its log) on the real
 * engine, the dashboard served by the built CLI, and Debian's Chromium driven by playwright-core
 * (nothing downloaded). The page must draw the graph, states, memory bars and endpoints, stream a
 * service's log with the secret masked, follow the engine live (a container stopped behind its
 * back), and restart, scale and verify from its buttons; requests without the token, from another
 * origin or for another host are refused. Screenshots go to DELOC_UI_SCREENSHOTS (or a temp folder).
 */
import assert from "node:assert/strict";
import { type ChildProcess, execFileSync, spawn, spawnSync } from "node:child_process";
import fs from "node:fs";
import http from "node:http";
import os from "node:os";
import path from "node:path";
import { after, before, describe, test } from "node:test";
import { type Browser, chromium, type Page } from "playwright-core";
import { CLI, delocIn } from "../support/cli.js";
import { freePort } from "../support/ports.js";

const STACK = "deloc-e2e-ui";
const CHROMIUM = "/usr/bin/chromium";
const root = fs.mkdtempSync(path.join(os.tmpdir(), `${STACK}-`));
const shots = process.env.DELOC_UI_SCREENSHOTS ?? path.join(root, "shots");
fs.mkdirSync(shots, { recursive: true });
const { deloc, ok } = delocIn(() => root);

function stackFile(apiPort: number): string {
  return `apiVersion: deloc.dev/v1
kind: Stack
metadata: { name: ${STACK} }
spec:
  services:
    db:
      image: "deloc/debian:trixie"
      command: ["sh", "-c", "echo db up with password=$$PW; trap 'exit 0' TERM; while :; do echo tick $$(date +%s) pw=$$PW; sleep 1 & wait $$!; done"]
      env: { PW: "{{secret.db-password}}" }
      resources: { memory: 48Mi, cpu: 100m }
      healthCheck: { command: ["sh", "-c", "true"], interval: 2s, startInterval: 100ms }
      verify: { command: ["sh", "-c", "echo db answers"] }
    api:
      image: "busybox:1.37"
      command: ["sh", "-c", "if [ -e /flags/crash ]; then echo crashing; exit 3; fi; mkdir -p /www && echo hello > /www/index.html && httpd -p 8080 -h /www; trap 'exit 0' TERM; while :; do sleep 1 & wait $$!; done"]
      ports: ["${apiPort}:8080"]
      volumes: ["./flags:/flags"]
      resources: { memory: 32Mi, cpu: 100m }
      dependsOn: [db]
      healthCheck: { command: ["wget", "-q", "-O", "-", "http://127.0.0.1:8080/"], interval: 2s, startInterval: 100ms }
      verify: { http: {} }
    worker:
      image: "deloc/debian:trixie"
      command: ["sh", "-c", "trap 'exit 0' TERM; while :; do echo working; sleep 2 & wait $$!; done"]
      resources: { memory: 32Mi, cpu: 100m }
      dependsOn: [api]
      verify: { command: ["true"] }
`;
}

let ui: ChildProcess;
let url: URL;
let browser: Browser;
let page: Page;

function secret(): string {
  const text = fs.readFileSync(path.join(root, ".deloc", "secrets.env"), "utf8");
  const v = /^db-password=(.+)$/m.exec(text)?.[1];
  assert.ok(v && v.length >= 16, "the stack has a generated secret");
  return v;
}

/** A raw request, with the headers given (fetch would not let a test set Host). */
function request(
  pathAndQuery: string,
  opts: { method?: string; headers?: Record<string, string>; body?: string } = {},
): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = http.request(
      {
        host: "127.0.0.1",
        port: Number(url.port),
        path: pathAndQuery,
        method: opts.method ?? "GET",
        headers: opts.headers,
      },
      (res) => {
        let body = "";
        res.on("data", (c) => {
          body += String(c);
        });
        res.on("end", () => resolve({ status: res.statusCode ?? 0, body }));
      },
    );
    req.on("error", reject);
    req.end(opts.body);
  });
}

const row = (name: string) => page.locator(`#services tr[data-row="${name}"]`);
const cell = (name: string, i: number) => row(name).locator("td").nth(i);

describe("deloc ui: the dashboard in a real browser (real engine, built CLI, Debian's Chromium)", () => {
  before(async () => {
    deloc("cleanup", "--yes", "--stack", STACK);
    fs.writeFileSync(path.join(root, "deloc.yaml"), stackFile(await freePort()));
    fs.mkdirSync(path.join(root, "flags"));
    ok("up");
    ui = spawn(process.execPath, [CLI, "ui", "--no-open"], { cwd: root, stdio: ["ignore", "pipe", "pipe"] });
    const first = await new Promise<string>((resolve, reject) => {
      let out = "";
      let err = "";
      ui.stderr!.on("data", (c) => {
        err += String(c);
      });
      ui.stdout!.on("data", (c) => {
        out += String(c);
        if (out.includes("\n")) resolve(out.split("\n")[0]!);
      });
      ui.once("exit", (code) => reject(new Error(`deloc ui exited ${code}: ${err}`)));
    });
    url = new URL(first);
    browser = await chromium.launch({ executablePath: CHROMIUM, args: ["--no-sandbox"] });
    page = await browser.newPage({ viewport: { width: 1400, height: 1000 } });
  });
  after(async () => {
    await browser?.close();
    ui?.kill("SIGINT");
    deloc("cleanup", "--yes", "--stack", STACK);
    fs.rmSync(root, { recursive: true, force: true });
  });

  test("the first line is the URL: loopback, with a token", () => {
    assert.equal(url.hostname, "127.0.0.1");
    assert.match(url.searchParams.get("token") ?? "", /^[\w-]{32}$/);
  });

  test("refused: no token, a wrong token, another Host, an action from another origin or without the header", async () => {
    const token = url.searchParams.get("token")!;
    assert.equal((await request("/")).status, 403);
    assert.equal((await request("/metrics")).status, 403);
    assert.equal((await request(`/api/state?token=${token.slice(0, -1)}x`)).status, 403);
    assert.equal(
      (await request(`/?token=${token}`, { headers: { Host: `evil.example:${url.port}` } })).status,
      403,
    );
    assert.equal((await request(`/?token=${token}`)).status, 200);
    const post = (headers: Record<string, string>) =>
      request(`/api/restart?token=${token}`, { method: "POST", headers, body: '{"service":"worker"}' });
    assert.equal((await post({ "X-Deloc-Token": token, Origin: "http://evil.example" })).status, 403);
    assert.equal((await post({ "X-Deloc-Token": token })).status, 403, "no Origin");
    assert.equal(
      (await post({ Origin: `http://127.0.0.1:${url.port}` })).status,
      403,
      "token only in the query",
    );
    // Nothing was restarted by any of them.
    assert.doesNotMatch(ok("events", "--json"), /restarted worker/);
  });

  test("the page: graph with live states, memory bars against limits, endpoints, timeline; secrets masked", async () => {
    await page.goto(url.href);
    await page.locator("#graph g.node").nth(2).waitFor();
    assert.equal(await page.locator("#graph g.node").count(), 3);
    assert.equal(await page.locator("#graph path.edge").count(), 2, "api waits for db, worker for api");
    for (const s of ["db", "api", "worker"]) {
      await assert.doesNotReject(cell(s, 1).filter({ hasText: "running" }).waitFor({ timeout: 10_000 }));
      assert.match(await cell(s, 3).innerText(), /[\d.]+ MiB \/ (48|32) MiB \(\d+%\)/);
    }
    assert.equal(await cell("db", 2).innerText(), "healthy");
    assert.match(await cell("api", 7).innerText(), new RegExp(`localhost:${await apiPort()}|port-8080`));
    assert.ok((await page.locator("#timeline li").count()) >= 4, "the deploy's events");
    assert.match(await page.locator("#timeline").innerText(), /deploying → running/);
    // The log tail of db streams, with the password masked.
    await page.locator("#log-service").selectOption("db");
    await page
      .locator("#log")
      .filter({ hasText: /tick \d+ pw=\*\*\*/ })
      .waitFor({ timeout: 10_000 });
    assert.match(await page.locator("#log").innerText(), /password=\*\*\*/);
    const before = (await page.locator("#log").innerText()).split("\n").length;
    await page.waitForTimeout(2500);
    assert.ok((await page.locator("#log").innerText()).split("\n").length > before, "new lines arrive");
    assert.ok(!(await page.content()).includes(secret()), "the secret is nowhere in the page");
    await page.screenshot({ path: path.join(shots, "dashboard.png"), fullPage: true });
  });

  test("live: a container stopped behind DELoc's back shows at once, without a reload", async () => {
    await page.evaluate("window.__sameDocument = true");
    const id = execFileSync("docker", ["ps", "-q", "--filter", `name=^${STACK}-worker-1$`], {
      encoding: "utf8",
    }).trim();
    assert.ok(id, "worker runs");
    execFileSync("docker", ["stop", "-t", "1", id]);
    await cell("worker", 1)
      .filter({ hasText: /stopped|exited/ })
      .waitFor({ timeout: 10_000 });
    assert.equal(await page.evaluate("window.__sameDocument"), true, "the page was not reloaded");
    await page.screenshot({ path: path.join(shots, "worker-stopped.png"), fullPage: true });
  });

  test("restart from the page brings the worker back and the timeline says so", async () => {
    await row("worker").locator('button[data-action="restart"]').click();
    await cell("worker", 1).filter({ hasText: "running" }).waitFor({ timeout: 30_000 });
    await page.locator("#timeline").filter({ hasText: "restarted worker" }).waitFor({ timeout: 10_000 });
    assert.match(ok("events", "--json"), /"reason": "restarted worker"/);
  });

  test("scale from the page: two workers", async () => {
    await row("worker").locator("input[data-scale]").fill("2");
    await row("worker").locator('button[data-action="scale"]').click();
    await row("worker#2").locator("td").nth(1).filter({ hasText: "running" }).waitFor({ timeout: 30_000 });
    const running = execFileSync(
      "docker",
      [
        "ps",
        "-q",
        "--filter",
        `label=dev.deloc.stack=${STACK}`,
        "--filter",
        "label=dev.deloc.service=worker",
      ],
      { encoding: "utf8" },
    );
    assert.equal(running.trim().split("\n").length, 2);
  });

  test("verify from the page: every probe passes and the report shows", async () => {
    await page.locator("#verify-run").click();
    await page.locator("#verify-outcome").waitFor({ timeout: 60_000 });
    assert.equal(
      await page
        .locator("#verify-outcome")
        .innerText()
        .then((t) => t.split(" ·")[0]),
      "All probes passed",
    );
    assert.equal(await page.locator("#verify td.pass").count(), 3);
    assert.ok(!(await page.content()).includes(secret()));
    await page.screenshot({ path: path.join(shots, "verified.png"), fullPage: true });
  });

  test("a crash loop of api opens its circuit, shown live; Recover restarts api and worker (what depends on it)", async () => {
    fs.writeFileSync(path.join(root, "flags", "crash"), "");
    const id = execFileSync("docker", ["ps", "-q", "--filter", `name=^${STACK}-api-1$`], {
      encoding: "utf8",
    }).trim();
    // The exec may end with its container (a non-zero status): what counts is that PID 1 ended.
    spawnSync("docker", ["exec", id, "sh", "-c", "kill -TERM 1"]);
    await cell("api", 1).filter({ hasText: "circuit open" }).waitFor({ timeout: 30_000 });
    await page
      .locator("#timeline")
      .filter({ hasText: /api died 3 times in 60 s .*circuit open/ })
      .waitFor();
    assert.match(
      ok("events", "--json"),
      /supervisor: api died 3 times in 60 s \(last exit code 3\): circuit open/,
    );
    await page.screenshot({ path: path.join(shots, "circuit-open.png"), fullPage: true });
    fs.rmSync(path.join(root, "flags", "crash"));
    const workerBefore = execFileSync(
      "docker",
      ["inspect", "-f", "{{.State.StartedAt}}", `${STACK}-worker-1`],
      { encoding: "utf8" },
    );
    await row("api").locator('button[data-action="recover"]').click();
    await page
      .locator("#timeline")
      .filter({ hasText: "recover api, worker: done" })
      .waitFor({ timeout: 60_000 });
    await cell("api", 1)
      .filter({ hasText: /^running$/ })
      .waitFor({ timeout: 10_000 });
    assert.equal(
      await row("api").locator('button[data-action="recover"]').count(),
      0,
      "healthy again: nothing to recover",
    );
    const workerAfter = execFileSync(
      "docker",
      ["inspect", "-f", "{{.State.StartedAt}}", `${STACK}-worker-1`],
      { encoding: "utf8" },
    );
    assert.notEqual(workerAfter, workerBefore, "worker, which depends on api, was restarted too");
    assert.match(ok("events", "--json"), /"reason": "restarted api, worker"/);
  });
});

async function apiPort(): Promise<number> {
  const text = fs.readFileSync(path.join(root, "deloc.yaml"), "utf8");
  return Number(/ports: \["(\d+):8080"\]/.exec(text)?.[1]);
}
