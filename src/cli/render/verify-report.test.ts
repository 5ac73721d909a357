import assert from "node:assert/strict";
import { describe, it } from "node:test";
import type { ProbeResult } from "../../verify/probe.js";
import { formatVerifyTable, verifyNotes, verifyOutcome } from "./verify-report.js";

const result = (
  service: string,
  status: ProbeResult["status"],
  extra: Partial<ProbeResult> = {},
): ProbeResult => ({
  kind: "service",
  service,
  template: null,
  what: status === "not-verified" ? null : "TCP connection to port 80",
  status,
  ok: status === "passed",
  ms: status === "not-verified" ? 0 : 12,
  detail: status === "not-verified" ? "not verified: no probe" : "connected",
  ...extra,
});

describe("verify report", () => {
  const passed = result("api", "passed");
  const unverified = result("worker", "not-verified", { hint: "Declare one under verify:." });
  const failed = result("db", "failed", { detail: "connect ECONNREFUSED", hint: "`deloc logs db`" });

  it("exits 1 for a service no probe checked, unless unverified services are accepted", () => {
    assert.equal(verifyOutcome([passed], false).code, 0);
    assert.equal(verifyOutcome([passed, unverified], false).code, 1);
    assert.equal(verifyOutcome([passed, unverified], true).code, 0);
    // Accepting unverified services never hides a failure.
    assert.equal(verifyOutcome([passed, unverified, failed], true).code, 1);
  });

  it("shows a service no probe checked as not verified, apart from pass and FAIL", () => {
    const rows = formatVerifyTable([passed, failed, unverified], { warn: (s) => `<${s}>` }).split("\n");
    assert.match(rows[1]!, /^api\s+pass\s+TCP connection to port 80\s+12 ms\s+connected$/);
    assert.match(rows[2]!, /^db\s+FAIL\s/);
    assert.match(rows[3]!, /^worker\s+<not verified>\s+not verified: no probe$/);
  });

  it("tells what to do about unverified services, or that they were accepted", () => {
    const outcome = verifyOutcome([passed, failed, unverified], false);
    assert.deepEqual(verifyNotes(outcome, false), [
      "db: `deloc logs db`",
      "worker: Declare one under verify:.",
      "1 service was not verified (worker): declare a probe under verify: in deloc.yaml, or pass --allow-unverified to accept it.",
    ]);
    assert.deepEqual(verifyNotes(verifyOutcome([unverified], true), true), [
      "not verified, accepted with --allow-unverified: worker",
    ]);
  });
});
