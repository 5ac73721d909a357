import assert from "node:assert/strict";
import fs from "node:fs";
import path from "node:path";

const GOLDEN_DIR = path.resolve(import.meta.dirname, "../fixtures/golden");

/**
 * Compares text with test/fixtures/golden/NAME. `UPDATE_GOLDEN=1` rewrites the file instead; keep
 * targeted assertions next to each golden so a careless update cannot approve a regression.
 */
export function assertGolden(name: string, actual: string): void {
  const file = path.join(GOLDEN_DIR, name);
  if (process.env.UPDATE_GOLDEN === "1" || !fs.existsSync(file)) {
    if (process.env.CI && !fs.existsSync(file))
      assert.fail(`golden file ${name} is missing; run UPDATE_GOLDEN=1 npm test`);
    fs.mkdirSync(path.dirname(file), { recursive: true });
    fs.writeFileSync(file, actual);
    return;
  }
  assert.equal(
    actual,
    fs.readFileSync(file, "utf8"),
    `output differs from golden ${name} (UPDATE_GOLDEN=1 to accept)`,
  );
}
