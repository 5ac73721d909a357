import type { Clock } from "../engine/clock.js";

/** A clock whose sleeps return at once and move time forward: waits run in microseconds. */
export class FakeClock implements Clock {
  private t = 0;
  now(): number {
    return this.t;
  }
  async sleep(ms: number): Promise<void> {
    this.t += Math.max(ms, 1);
    await Promise.resolve();
  }
  advance(ms: number): void {
    this.t += ms;
  }
}
