/**
 * `deloc watch`'s sync: changed files copied into a service's running containers (one tar through
 * the engine's archive API, unpacked at the container's root so folders are made as needed), and
 * deleted ones removed there.
 */
import fs from "node:fs";
import path from "node:path";
import { Readable } from "node:stream";
import tar from "tar-stream";
import type { Adapter } from "../adapters/adapter.js";

export interface SyncChange {
  /** Absolute path on the host, under `from`. */
  file: string;
  deleted: boolean;
}

/**
 * Copies `changes` under the host folder (or file) `from` to `to` in each container; returns how
 * many files were copied and removed.
 */
export async function syncInto(
  adapter: Adapter,
  containerIds: readonly string[],
  from: string,
  to: string,
  changes: readonly SyncChange[],
): Promise<{ copied: number; removed: number }> {
  const inContainer = (file: string) =>
    path.posix.join(to, path.relative(from, file).split(path.sep).join("/"));
  const copies = changes.filter(
    (c) => !c.deleted && fs.statSync(c.file, { throwIfNoEntry: false })?.isFile(),
  );
  const removals = changes.filter((c) => c.deleted).map((c) => inContainer(c.file));
  for (const id of containerIds) {
    if (copies.length)
      await adapter.copyInto(id, "/", packFiles(copies.map((c) => [c.file, inContainer(c.file)])));
    if (removals.length) {
      const r = await adapter.exec(id, ["rm", "-rf", "--", ...removals]);
      if (r.exitCode !== 0) throw new Error(`could not remove ${removals.join(", ")}: ${r.output.trim()}`);
    }
  }
  return { copied: copies.length, removed: removals.length };
}

/** A tar of host files under the names given (absolute in the container, the leading / dropped). */
function packFiles(files: readonly (readonly [string, string])[]): Readable {
  const pack = tar.pack();
  for (const [host, name] of files) {
    const st = fs.statSync(host);
    pack.entry(
      { name: name.replace(/^\/+/, ""), mode: st.mode & 0o777, mtime: st.mtime },
      fs.readFileSync(host),
    );
  }
  pack.finalize();
  return Readable.from(pack as AsyncIterable<Buffer>);
}
