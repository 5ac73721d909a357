/**
 * Property-based fuzzing of the stack-file loader (fast-check): thousands of generated documents
 * and of mutations of every recipe's real stack file. Whatever the input, loading returns either a
 * Stack or structured diagnostics (path, message), and planning a loaded Stack either succeeds or
 * throws one of DELoc's own errors: never a crash, never a hang.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import fc from "fast-check";
import { stringify } from "yaml";
import { budget, catalog } from "../../test/support/stack.js";
import { stackFileText } from "../cli/commands/init.js";
import { DelocError } from "../core/index.js";
import { plan } from "../planner/index.js";
import { loadStackText } from "./index.js";

const RUNS = Number(process.env.FUZZ_RUNS ?? 2000);

/** Loads and plans; returns what happened, failing the property on anything unstructured. */
function survive(text: string): "stack" | "diagnostics" | "refused" {
  const t0 = performance.now();
  const r = loadStackText(text, {
    cwd: "/project",
    env: { HOME: "/home/user", PORT: "8080" },
    home: "/home/user",
    file: "/project/deloc.yaml",
    display: "deloc.yaml",
  });
  assert.ok(performance.now() - t0 < 2_000, "loading took over 2 s");
  if (!r.ok) {
    assert.ok(r.errors.length > 0, "a failed load says why");
    for (const d of r.errors) assert.equal(typeof d.message, "string");
    return "diagnostics";
  }
  try {
    plan(r.stack, catalog, budget(16));
    return "stack";
  } catch (e) {
    assert.ok(e instanceof DelocError, `planning threw ${e instanceof Error ? e.stack : String(e)}`);
    return "refused";
  }
}

const RECIPE_FILES = [...catalog.recipes.values()].map((r) =>
  stackFileText(catalog, {
    name: `r-${r.name}`,
    profile: "development",
    services: r.services,
    recipe: r.name,
  }),
);

/** One edit of a text: cut, insert, duplicate or swap lines, or put a random value in a line. */
const mutation = fc.oneof(
  fc.record({ kind: fc.constant("cut"), at: fc.nat(), len: fc.nat(40) }),
  fc.record({
    kind: fc.constant("insert"),
    at: fc.nat(),
    text: fc.string({ unit: "binary", maxLength: 20 }),
  }),
  fc.record({
    kind: fc.constant("token"),
    at: fc.nat(),
    text: fc.constantFrom(
      ":",
      "- ",
      "{",
      "}",
      "[",
      "]",
      "&a",
      "*a",
      "!!binary",
      "\t",
      "'",
      '"',
      "${",
      "}}",
      "\n  ",
      "~",
      "-1",
      "1e400",
      "0x10",
      "999999999999",
    ),
  }),
  fc.record({ kind: fc.constant("dup"), at: fc.nat() }),
  fc.record({ kind: fc.constant("swap"), at: fc.nat(), to: fc.nat() }),
);

type Edit = { kind: string; at: number; len?: number; text?: string; to?: number };

function mutate(text: string, edits: Edit[]): string {
  let s = text;
  for (const e of edits) {
    const at = e.at % (s.length + 1);
    const lines = s.split("\n");
    const li = e.at % lines.length;
    if (e.kind === "cut") s = s.slice(0, at) + s.slice(at + (e.len ?? 0));
    else if (e.kind === "insert" || e.kind === "token") s = s.slice(0, at) + e.text + s.slice(at);
    else if (e.kind === "dup") s = [...lines.slice(0, li + 1), lines[li], ...lines.slice(li + 1)].join("\n");
    else {
      const lj = (e.to ?? 0) % lines.length;
      [lines[li], lines[lj]] = [lines[lj]!, lines[li]!];
      s = lines.join("\n");
    }
  }
  return s;
}

describe("stack-file loader under fuzzing", () => {
  it(`${RUNS} mutations of every recipe's stack file: a Stack or structured errors, never a crash`, () => {
    const seen = new Set<string>();
    fc.assert(
      fc.property(
        fc.constantFrom(...RECIPE_FILES),
        fc.array(mutation, { minLength: 1, maxLength: 6 }),
        (file, edits) => {
          seen.add(survive(mutate(file, edits)));
        },
      ),
      { numRuns: RUNS },
    );
    // The fuzzing reached both sides: files that still load and files that are refused.
    assert.ok(seen.has("stack") && seen.has("diagnostics"), [...seen].join(", "));
  });

  it(`${RUNS} generated documents shaped like stack files: a Stack or structured errors, never a crash`, () => {
    const service = fc.record(
      {
        image: fc.oneof(fc.string(), fc.constant("example/app:1")),
        replicas: fc.oneof(fc.integer(), fc.string(), fc.constant(2)),
        ports: fc.array(fc.oneof(fc.string(), fc.integer(), fc.constant("8080:80"), fc.object())),
        env: fc.dictionary(fc.string(), fc.oneof(fc.string(), fc.integer(), fc.boolean(), fc.constant(null))),
        dependsOn: fc.oneof(fc.array(fc.constantFrom("postgres", "kafka", "app", "x")), fc.object()),
        resources: fc.record(
          {
            memory: fc.oneof(fc.string(), fc.constant("512m"), fc.integer()),
            cpu: fc.oneof(fc.string(), fc.double()),
          },
          { requiredKeys: [] },
        ),
        healthCheck: fc.oneof(
          fc.constant(null),
          fc.object(),
          fc.record({ command: fc.array(fc.string()), interval: fc.string() }),
        ),
        variant: fc.string(),
      },
      { requiredKeys: [] },
    );
    const doc = fc.record(
      {
        apiVersion: fc.oneof(fc.constant("deloc.dev/v1"), fc.string()),
        kind: fc.oneof(fc.constant("Stack"), fc.string()),
        metadata: fc.oneof(fc.record({ name: fc.oneof(fc.constant("demo"), fc.string()) }), fc.anything()),
        spec: fc.oneof(
          fc.record(
            {
              profile: fc.oneof(fc.constantFrom("minimal", "development", "production"), fc.string()),
              services: fc.dictionary(
                fc.oneof(fc.constantFrom("kafka", "postgres", "airflow", "spark-worker", "app"), fc.string()),
                fc.oneof(service, fc.anything()),
              ),
            },
            { requiredKeys: [] },
          ),
          fc.anything(),
        ),
      },
      { requiredKeys: [] },
    );
    const seen = new Set<string>();
    fc.assert(
      fc.property(doc, (d) => {
        seen.add(survive(stringify(d)));
      }),
      { numRuns: RUNS },
    );
    assert.ok(seen.has("diagnostics"), [...seen].join(", "));
  });

  it("arbitrary text and bytes: structured errors, never a crash", () => {
    fc.assert(
      fc.property(fc.string({ unit: "binary", maxLength: 400 }), (text) => {
        survive(text);
      }),
      { numRuns: RUNS },
    );
  });
});
