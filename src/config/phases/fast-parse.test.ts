import assert from "node:assert/strict";
import { describe, it } from "node:test";
import fc from "fast-check";
import { parse, parseDocument, stringify } from "yaml";
import { fastParse } from "./fast-parse.js";

/** Plain scalars the two schemas of YAML (1.1 and 1.2) read differently, and their neighbours. */
const tricky = fc.constantFrom(
  "80",
  "1_000",
  "0b11",
  "0o17",
  "0x1F",
  "012",
  "1.",
  ".5",
  "1e3",
  "-.inf",
  ".NaN",
  "yes",
  "no",
  "on",
  "True",
  "NULL",
  "~",
  "2025-01-01",
  "12:30",
  "1:20:00",
  "+5",
  "-0",
  "0.0.1",
  "=",
  "y",
  "n",
);
const scalar = fc.oneof(tricky, fc.string({ unit: "grapheme-ascii", maxLength: 12 }));

describe("the fast way to read a stack file", () => {
  it("reads every plain scalar as the yaml library's Document does (YAML 1.2 core schema)", () => {
    fc.assert(
      fc.property(fc.dictionary(fc.stringMatching(/^[a-z][a-z0-9-]{0,8}$/), scalar), (map) => {
        const text = Object.entries(map)
          .map(([k, v]) => `${k}: ${v}`)
          .join("\n");
        const fast = fastParse(text);
        // Where it reads the text at all, it reads it as the Document would.
        if (fast !== undefined) assert.deepEqual(fast, parse(text));
      }),
      { numRuns: 2000 },
    );
  });

  it("reads nested data written by a YAML writer exactly as the Document does", () => {
    fc.assert(
      fc.property(fc.jsonValue({ maxDepth: 4 }), (value) => {
        const text = stringify({ spec: value });
        const fast = fastParse(text);
        if (fast !== undefined) assert.deepEqual(fast, parse(text));
      }),
      { numRuns: 1000 },
    );
  });

  it("never reads a text the Document refuses, nor reads one otherwise (random lines, indents, quotes, blocks)", () => {
    const token = fc.constantFrom(
      "a:",
      "b-c:",
      "- ",
      "'",
      '"',
      "x",
      "|",
      ">",
      "[",
      "]",
      "{",
      "}",
      ",",
      "#",
      " ",
      "1",
      "''",
      "\\",
      ":",
      "?",
    );
    const line = fc
      .tuple(fc.nat(4), fc.array(token, { maxLength: 6 }))
      .map(([n, t]) => " ".repeat(n) + t.join(""));
    fc.assert(
      fc.property(fc.array(line, { maxLength: 6 }), (lines) => {
        const text = lines.join("\n");
        const fast = fastParse(text);
        if (fast === undefined) return;
        const doc = parseDocument(text, { uniqueKeys: true });
        assert.equal(
          doc.errors.length,
          0,
          `the Document refuses ${JSON.stringify(text)}: ${doc.errors[0]?.message}`,
        );
        assert.deepEqual(fast, doc.toJS());
      }),
      { numRuns: 5000 },
    );
  });

  it("leaves to the Document what needs it: interpolation, anchors, merge keys, tags, duplicates, errors", () => {
    for (const text of [
      "a: ${PORT}",
      "a: &x 1\nb: *x",
      "a: { <<: { b: 1 } }",
      "a: !!str 1",
      "a: 1\na: 2",
      "a: [1,",
      "",
      "# only a comment",
      "---\na: 1\n---\nb: 2",
    ])
      assert.equal(fastParse(text), undefined, text);
  });
});

describe("what the fast way reads itself", () => {
  it("reads a shell command's `&` and a `*` in text, which start no anchor or alias", () => {
    const text = `cmd: ["bash", "-c", "sleep 1 & wait"]\nglob: "a * b"`;
    assert.deepEqual(fastParse(text), parse(text));
  });
});
