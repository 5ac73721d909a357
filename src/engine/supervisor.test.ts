import assert from "node:assert/strict";
import { test } from "node:test";
import { CircuitBreaker } from "./supervisor.js";

const opts = { threshold: 3, windowMs: 60_000, backoffMs: 5_000, maxBackoffMs: 30_000 };

test("closed: deaths spread wider than the window never open it", () => {
  const b = new CircuitBreaker(opts);
  for (let t = 0; t < 10; t++) assert.equal(b.failure(t * 31_000), null);
  assert.equal(b.state, "closed");
});

test("closed → open at the threshold; half-open after the backoff; a death reopens it with twice the wait", () => {
  const b = new CircuitBreaker(opts);
  assert.equal(b.failure(0), null);
  assert.equal(b.failure(1_000), null);
  assert.equal(b.failure(2_000), "open");
  assert.equal(b.retryAt, 7_000);
  assert.equal(b.failure(3_000), null, "an open circuit counts nothing more");
  assert.equal(b.trial(6_999), false);
  assert.equal(b.trial(7_000), true);
  assert.equal(b.state, "half-open");
  assert.equal(b.failure(8_000), "open", "one death in the trial reopens it");
  assert.equal(b.retryAt, 18_000);
  assert.equal(b.trial(18_000), true);
  assert.equal(b.failure(18_500), "open");
  assert.equal(b.retryAt, 18_500 + 20_000);
  assert.equal(b.trial(38_500), true);
  assert.equal(b.failure(39_000), "open");
  assert.equal(b.retryAt, 39_000 + 30_000, "capped");
});

test("half-open → closed when the trial is ready; the backoff starts over", () => {
  const b = new CircuitBreaker(opts);
  for (const t of [0, 1, 2]) b.failure(t);
  assert.ok(b.trial(10_000));
  assert.equal(b.success(), "closed");
  assert.equal(b.failure(20_000), null, "closed again: deaths are counted afresh");
  b.failure(20_001);
  assert.equal(b.failure(20_002), "open");
  assert.equal(b.retryAt, 25_002);
});
