import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { Cpu, Duration, formatBytes, Size } from "./index.js";

describe("Size", () => {
  it("parses Docker and Kubernetes forms", () => {
    assert.equal(Size.parse("512m")!.bytes, 512 * 1024 ** 2);
    assert.equal(Size.parse("512Mi")!.bytes, 512 * 1024 ** 2);
    assert.equal(Size.parse("1.5g")!.bytes, 1.5 * 1024 ** 3);
    assert.equal(Size.parse("2Gi")!.bytes, 2 * 1024 ** 3);
    assert.equal(Size.parse(1024)!.bytes, 1024);
    assert.equal(Size.parse("two gigs"), undefined);
    // Too large to be an amount: refused, not thrown (found by the loader's fuzzing).
    assert.equal(Size.parse(`${"9".repeat(400)}g`), undefined);
    assert.equal(Cpu.parse(1e306), undefined);
    assert.equal(Cpu.parse("9".repeat(400)), undefined);
    assert.equal(Duration.parse(1e306), undefined);
    assert.equal(Duration.parse(`${"9".repeat(400)}s`), undefined);
    assert.equal(Cpu.parse("500m")!.millis, 500);
    assert.equal(Cpu.parse(0.5)!.millis, 500);
    assert.equal(Size.parse("-1g"), undefined);
    assert.equal(Size.parse("1x"), undefined);
  });
  it("formats for people, the JVM and Kubernetes", () => {
    assert.equal(Size.mib(768).toString(), "768 MiB");
    assert.equal(Size.gib(1.5).toString(), "1.5 GiB");
    assert.equal(Size.mib(768).toJvm(), "768m");
    assert.equal(Size.gib(2).toQuantity(), "2Gi");
    assert.equal(formatBytes(100), "100 B");
  });
  it("refuses negative sizes", () => {
    assert.throws(() => Size.bytes(-1), RangeError);
  });
});

describe("Cpu", () => {
  it("parses millicores and cores", () => {
    assert.equal(Cpu.parse("500m")!.millis, 500);
    assert.equal(Cpu.parse("1.5")!.millis, 1500);
    assert.equal(Cpu.parse(2)!.millis, 2000);
    assert.equal(Cpu.parse("0"), undefined);
    assert.equal(Cpu.cores(0.25).toQuantity(), "250m");
  });
});

describe("Duration", () => {
  it("parses compose/Go durations", () => {
    assert.equal(Duration.parse("2s")!.ms, 2000);
    assert.equal(Duration.parse("1m30s")!.ms, 90_000);
    assert.equal(Duration.parse("250ms")!.ms, 250);
    assert.equal(Duration.parse(5)!.ms, 5000);
    assert.equal(Duration.parse("soon"), undefined);
    assert.equal(Duration.parse("5s later"), undefined);
    assert.equal(Duration.ms(90_000).toString(), "1m30s");
  });
});
