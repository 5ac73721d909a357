/**
 * The compose-spec conformance fixtures of compose-spec/compose-go (its testdata and the loader's
 * full example), fetched from the Go module proxy at test time (cached in the module cache, never
 * committed): `deloc import compose` imports each one, or fails with a clear error (exit 2, each
 * problem listed), never a crash. An imported file plans.
 */
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { describe, it } from "node:test";
import { importComposeCommand } from "../../src/cli/commands/import.js";
import type { CommandContext } from "../../src/cli/context.js";
import { reportError } from "../../src/cli/errors.js";
import { delocIn } from "../support/cli.js";

/** The version `npm run tools` takes the Compose-spec schema from. */
const COMPOSE_GO = "github.com/compose-spec/compose-go/v2@v2.9.1";

function moduleDir(): string {
  const r = spawnSync("go", ["mod", "download", "-json", COMPOSE_GO], {
    cwd: os.tmpdir(),
    encoding: "utf8",
    env: { ...process.env, GOFLAGS: "-mod=mod" },
    timeout: 300_000,
  });
  assert.equal(r.status, 0, `go mod download ${COMPOSE_GO}: ${r.stderr}${r.stdout}`);
  const dir = (JSON.parse(r.stdout) as { Dir?: string }).Dir;
  assert.ok(dir, `go mod download gave no folder: ${r.stdout}`);
  return dir;
}

function composeFiles(dir: string): string[] {
  const out = [path.join(dir, "loader/full-example.yml")];
  const walk = (d: string) => {
    for (const e of fs.readdirSync(d, { withFileTypes: true })) {
      const p = path.join(d, e.name);
      if (e.isDirectory()) walk(p);
      else if (/\.ya?ml$/.test(e.name) && p.split(path.sep).includes("testdata")) out.push(p);
    }
  };
  walk(dir);
  return out.sort();
}

describe("import compose: the compose-spec conformance fixtures", () => {
  it("a catalog mapping that does not load is imported again as a custom service, and says so", () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "deloc-import-demote-"));
    // The worker is apache/spark's, but its master is another image: the catalog's worker cannot
    // reach a master it does not know (no port named "master").
    fs.writeFileSync(
      path.join(dir, "compose.yaml"),
      [
        "services:",
        "  spark-master:",
        "    image: bitnami/spark:3.5",
        "    environment: [SPARK_MODE=master]",
        "  spark-worker:",
        "    image: apache/spark:4.1.1",
        "    command: /opt/spark/bin/spark-class org.apache.spark.deploy.worker.Worker spark://spark-master:7077",
        "",
      ].join("\n"),
    );
    const r = delocIn(() => dir).ok("import", "compose");
    assert.match(
      r,
      /compose\.yaml:5 spark-worker image: as the catalog's service it does not load \(.*\); imported as a custom service/,
    );
    const text = fs.readFileSync(path.join(dir, "deloc.yaml"), "utf8");
    assert.match(text, /# not carried: compose\.yaml:5 image: as the catalog's service it does not load/);
    assert.match(text, /spark-worker:\n\s+template: none\n\s+image: apache\/spark:4\.1\.1\n/);
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it("imports each, or fails with a clear error; never a crash", async () => {
    const src = moduleDir();
    const files = composeFiles(src);
    assert.ok(files.length >= 40, `only ${files.length} fixtures found in ${src}`);
    const work = fs.mkdtempSync(path.join(os.tmpdir(), "deloc-import-conf-"));
    // The module cache is read-only: the fixtures' folders are copied, with their neighbours (env
    // files, extended and included files).
    for (const d of [
      "cli/testdata",
      "loader/testdata",
      "loader/full-example.yml",
      "loader/example1.env",
      "loader/example2.env",
    ])
      fs.cpSync(path.join(src, d), path.join(work, "src", d), { recursive: true });
    spawnSync("chmod", ["-R", "u+w", work]);
    const imported: string[] = [];
    const refused: string[] = [];
    for (const file of files) {
      const copy = path.join(work, "src", path.relative(src, file));
      const out = path.join(work, "out.yaml");
      fs.rmSync(out, { force: true });
      // The command itself, in this process (42 CLI starts would take a minute), with the CLI's
      // own mapping of errors to messages and exit codes.
      let printed = "";
      const ctx: CommandContext = {
        cwd: path.dirname(copy),
        env: { PATH: process.env.PATH },
        home: os.homedir(),
        version: "test",
        tty: false,
        color: false,
        out: (t) => {
          printed += `${t}\n`;
        },
        err: (t) => {
          printed += `${t}\n`;
        },
      };
      const code = await importComposeCommand(ctx, [path.basename(copy)], { output: out }).catch((e) =>
        reportError(e, ctx, false),
      );
      const name = path.relative(src, file);
      assert.ok(code === 0 || code === 2, `${name}: exit ${code}\n${printed}`);
      if (code === 2) {
        assert.match(printed, /^error: .+ has \d+ errors?:\n {2}\S/, `${name}: ${printed}`);
        refused.push(`${name}: ${printed.split("\n").slice(0, 2).join(" ")}`);
        continue;
      }
      // The command writes the file only once it loads and plans.
      assert.ok(fs.existsSync(out), `${name}: exit 0 but nothing written`);
      imported.push(name);
    }
    fs.rmSync(work, { recursive: true, force: true });
    console.log(`imported ${imported.length}, refused ${refused.length}:\n  ${refused.join("\n  ")}`);
    assert.ok(imported.length > refused.length, "most fixtures import");
  });
});
