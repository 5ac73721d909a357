/**
 * The one way DELoc writes a file it must never leave half-written (state, secrets, a stack file,
 * an export): into a temporary file beside it, flushed to disk, then renamed over the old one. A
 * crash leaves the old file or the new one, never a mix. The mode is set on the temporary file, so
 * a secret is never readable by others, not even for a moment.
 */
import fs from "node:fs";
import path from "node:path";

export function writeFileAtomic(file: string, text: string, mode = 0o644): void {
  fs.mkdirSync(path.dirname(file), { recursive: true });
  const tmp = `${file}.${process.pid}.tmp`;
  const fd = fs.openSync(tmp, "w", mode);
  try {
    fs.writeSync(fd, text);
    fs.fsyncSync(fd);
  } finally {
    fs.closeSync(fd);
  }
  // An existing temp file (a crash of this pid's predecessor) keeps its own mode: set ours.
  fs.chmodSync(tmp, mode);
  fs.renameSync(tmp, file);
}
