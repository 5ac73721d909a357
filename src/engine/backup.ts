/**
 * Backup and restore of one service's data as a `.tar.gz`: a manifest plus either a consistent
 * logical dump (services whose template says how, e.g. `pg_dumpall`) or an archive of each named
 * volume taken while the service is stopped. Files are written to `<file>.partial` and renamed
 * only when complete; a restore reads and checks the whole archive before it touches any data.
 */
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import type { Readable, Writable } from "node:stream";
import { pipeline } from "node:stream/promises";
import zlib from "node:zlib";
import tar from "tar-stream";
import type { Adapter, ExecResult } from "../adapters/adapter.js";
import {
  BackupError,
  DeployFailedError,
  type ObservedStack,
  type Plan,
  type PlannedService,
  volumeName,
} from "../core/index.js";
import type { StateStore } from "./state.js";
import { startAndWait } from "./wait.js";

export const BACKUP_FORMAT = "deloc-backup/1";

export interface BackupManifest {
  format: typeof BACKUP_FORMAT;
  stack: string;
  service: string;
  createdAt: string;
  kind: "dump" | "volumes";
  /** Plan volume names, for kind `volumes`. */
  volumes: string[];
  image: string;
}

/**
 * A service to back up or restore, as whatever runs it can act on it: a container engine's
 * containers (`backupTarget`) or a cluster's pods (src/engine/cluster.ts).
 */
export interface BackupTarget {
  stack: string;
  service: PlannedService;
  /** Whether anything of the service is deployed (running or stopped). */
  deployed: boolean;
  /** Whether a replica runs (a dump needs one). */
  running: boolean;
  /** Runs argv in a running replica, its stdout to `stdout` or its stdin from `stdin`. */
  exec(argv: readonly string[], io: { stdout?: Writable; stdin?: Readable }): Promise<ExecResult>;
  /**
   * Stops what runs of the service, so its volumes can be copied consistently; returns how to start
   * it again and wait until it is ready (`all`: what was stopped before too, as after a restore).
   */
  stop(): Promise<(opts: { all: boolean }) => Promise<void>>;
  /** Writes a tar of a named volume of the plan (the service stopped) to `out`. */
  archiveVolume(volume: string, out: Writable): Promise<void>;
  /** Replaces a named volume's contents with the tar read from `tar`. */
  restoreVolume(volume: string, tar: Readable): Promise<void>;
  /** Where a restore is recorded in the stack's event log. */
  store?: StateStore;
}

/** The service of `plan` to back up or restore, as it runs on the engine, restarted the way `up` waits. */
export function backupTarget(
  adapter: Adapter,
  plan: Plan,
  observed: ObservedStack,
  service: PlannedService,
  secrets: Readonly<Record<string, string>>,
  store?: StateStore,
): BackupTarget {
  const containers = observed.containers.filter((c) => c.service === service.name);
  const running = containers.filter((c) => c.state === "running");
  return {
    stack: plan.stack,
    service,
    deployed: containers.length > 0,
    running: running.length > 0,
    exec: (argv, io) => adapter.exec(running[0]!.id, argv, io),
    stop: async () => {
      for (const c of running) await adapter.stopContainer(c.id);
      return async ({ all }) => {
        const ids = (all ? containers : running).map((c) => c.id);
        if (!ids.length) return;
        const failures = await startAndWait(adapter, service, ids, secrets);
        if (failures.length)
          throw new DeployFailedError(failures, [], `\`deloc logs ${service.name}\` shows more.`);
      };
    },
    archiveVolume: (v, out) => adapter.archiveVolume(volumeName(plan.stack, v), service.image, out),
    restoreVolume: (v, tar) => adapter.restoreVolume(volumeName(plan.stack, v), tar),
    ...(store ? { store } : {}),
  };
}

export async function backupService(t: BackupTarget, file: string): Promise<BackupManifest> {
  const s = t.service;
  const tmp = scratchDir("deloc-backup-");
  try {
    let manifest: BackupManifest;
    const entries: { name: string; file: string }[] = [];
    if (s.backup && t.running) {
      const out = path.join(tmp, "dump");
      const sink = fs.createWriteStream(out);
      const r = await t.exec(s.backup.dump, { stdout: sink });
      await new Promise<void>((res, rej) => sink.end((e?: Error | null) => (e ? rej(e) : res())));
      if (r.exitCode !== 0)
        throw new BackupError(
          `${s.backup.dump[0]} in ${s.name} failed (exit ${r.exitCode}): ${r.output.trim().slice(-300)}`,
          "`deloc health` tells whether the service is ready.",
        );
      entries.push({ name: "dump", file: out });
      manifest = manifestFor(t, "dump", []);
    } else {
      const volumes = s.volumes.filter((v) => v.type === "volume").map((v) => v.source);
      if (volumes.length === 0)
        throw new BackupError(
          `${s.name} keeps no data in named volumes; there is nothing to back up.`,
          "Bind-mounted folders are on your disk already.",
        );
      if (!t.deployed && !s.backup)
        throw new BackupError(`${s.name} is not deployed.`, "`deloc up` deploys it.");
      // Stopped while its volumes are copied, so the copy is consistent; started again after.
      const startAgain = await t.stop();
      try {
        for (const v of volumes) {
          const out = path.join(tmp, `${v}.tar`);
          await t.archiveVolume(v, fs.createWriteStream(out));
          entries.push({ name: `volumes/${v}.tar`, file: out });
        }
      } finally {
        await startAgain({ all: false });
      }
      manifest = manifestFor(t, "volumes", volumes);
    }
    await writeArchive(file, manifest, entries);
    return manifest;
  } catch (e) {
    throw scratchFailure(e) ?? e;
  } finally {
    fs.rmSync(tmp, { recursive: true, force: true });
  }
}

/** Errors of the disk itself: a full disk, a quota, a read-only or failing file system. */
const DISK_ERRORS = new Set(["ENOSPC", "EDQUOT", "EROFS", "EIO", "EACCES", "EPERM"]);

/** The scratch folder a backup or restore copies through, in TMPDIR. */
function scratchDir(prefix: string): string {
  try {
    return fs.mkdtempSync(path.join(os.tmpdir(), prefix));
  } catch (e) {
    throw scratchFailure(e) ?? e;
  }
}

/** A disk error while copying through the scratch folder (TMPDIR), as a backup error naming it. */
function scratchFailure(e: unknown): BackupError | null {
  const { code, path: where } = e as NodeJS.ErrnoException;
  const scratch = os.tmpdir();
  if (e instanceof BackupError || !code || !DISK_ERRORS.has(code)) return null;
  if (where && !where.startsWith(scratch)) return null; // the user's own file: not ours to explain
  return new BackupError(
    `Could not copy the data through ${scratch}: ${(e as Error).message}.`,
    "Free space there, or point TMPDIR at a disk with room for the data; nothing was kept and nothing was changed.",
  );
}

/** Restores a backup into the service (see `loadBackup`) and records it in the stack's event log. */
export async function restoreService(t: BackupTarget, file: string): Promise<BackupManifest> {
  const m = await loadBackup(t, file);
  t.store?.append({
    time: new Date().toISOString(),
    stack: t.stack,
    service: t.service.name,
    from: "running",
    to: "running",
    reason: `restored from ${path.basename(file)} (${m.createdAt})`,
    command: t.store.command,
  });
  return m;
}

async function loadBackup(t: BackupTarget, file: string): Promise<BackupManifest> {
  const s = t.service;
  const tmp = scratchDir("deloc-restore-");
  try {
    const manifest = await readArchive(file, tmp);
    // A dump loads into any service of the same image; volumes only into a service that has them.
    const own = new Set(s.volumes.filter((v) => v.type === "volume").map((v) => v.source));
    const fits =
      manifest.kind === "dump"
        ? manifest.service === s.name || manifest.image === s.image
        : manifest.volumes.every((v) => own.has(v));
    if (!fits)
      throw new BackupError(
        `${file} is a backup of ${manifest.service} (${manifest.kind === "dump" ? manifest.image : `volumes ${manifest.volumes.join(", ")}`}), not of ${s.name}.`,
        `Restore it with \`deloc restore ${manifest.service} ${file}\`. Nothing was changed.`,
      );
    if (manifest.kind === "dump") {
      if (!s.backup)
        throw new BackupError(
          `${s.name} cannot load a logical dump.`,
          "Restore it into the service it was taken from.",
        );
      if (!t.running)
        throw new BackupError(`${s.name} must be running to load a dump.`, "`deloc up` starts it.");
      const r = await t.exec(s.backup.restore, { stdin: fs.createReadStream(path.join(tmp, "dump")) });
      if (r.exitCode !== 0)
        throw new BackupError(
          `${s.backup.restore[0]} in ${s.name} failed (exit ${r.exitCode}): ${r.output.trim().slice(-300)}`,
          "The data may be partly loaded; the backup file is unchanged.",
        );
      return manifest;
    }
    if (!t.deployed)
      throw new BackupError(`${s.name} is not deployed.`, "`deloc up` deploys it, then restore.");
    const startAgain = await t.stop();
    try {
      for (const v of manifest.volumes)
        await t.restoreVolume(v, fs.createReadStream(path.join(tmp, "volumes", `${v}.tar`)));
    } finally {
      await startAgain({ all: true });
    }
    return manifest;
  } finally {
    fs.rmSync(tmp, { recursive: true, force: true });
  }
}

function manifestFor(t: BackupTarget, kind: BackupManifest["kind"], volumes: string[]): BackupManifest {
  return {
    format: BACKUP_FORMAT,
    stack: t.stack,
    service: t.service.name,
    createdAt: new Date().toISOString(),
    kind,
    volumes,
    image: t.service.image,
  };
}

async function writeArchive(
  file: string,
  manifest: BackupManifest,
  entries: { name: string; file: string }[],
): Promise<void> {
  const partial = `${file}.partial`;
  const pack = tar.pack();
  const written = pipeline(pack, zlib.createGzip(), fs.createWriteStream(partial, { mode: 0o600 }));
  try {
    const json = Buffer.from(`${JSON.stringify(manifest, null, 2)}\n`);
    pack.entry({ name: "manifest.json", size: json.length, mode: 0o600 }, json);
    for (const e of entries) {
      const size = fs.statSync(e.file).size;
      await new Promise<void>((resolve, reject) => {
        const entry = pack.entry({ name: e.name, size, mode: 0o600 }, (err) =>
          err ? reject(err) : resolve(),
        );
        // The archive's own file failing (a full disk) ends this entry too, instead of a crash.
        entry.on("error", reject);
        written.catch(reject);
        fs.createReadStream(e.file).on("error", reject).pipe(entry);
      });
    }
    pack.finalize();
    await written;
    fs.renameSync(partial, file);
  } catch (e) {
    pack.destroy();
    await written.catch(() => undefined);
    fs.rmSync(partial, { force: true });
    throw new BackupError(
      `Could not write ${file}: ${(e as Error).message}`,
      "Check the free space and permissions of that folder; nothing was kept.",
    );
  }
}

/** Unpacks into `dir`, checking the gzip stream, every tar header and the manifest. */
async function readArchive(file: string, dir: string): Promise<BackupManifest> {
  if (!fs.existsSync(file))
    throw new BackupError(`${file} does not exist.`, "Give the path of a file made by `deloc backup`.");
  const extract = tar.extract();
  const names: string[] = [];
  extract.on("entry", (header, stream, next) => {
    const name = path.normalize(header.name);
    if (header.type !== "file" || name.startsWith("..") || path.isAbsolute(name)) {
      stream.resume();
      return next(new Error(`unexpected entry ${header.name}`));
    }
    names.push(name);
    fs.mkdirSync(path.dirname(path.join(dir, name)), { recursive: true });
    pipeline(stream, fs.createWriteStream(path.join(dir, name))).then(() => next(), next);
  });
  try {
    await pipeline(fs.createReadStream(file), zlib.createGunzip(), extract);
  } catch (e) {
    const disk = scratchFailure(e);
    if (disk) throw disk;
    throw new BackupError(
      `${file} is not a readable deloc backup (${(e as Error).message}).`,
      "Nothing was restored. Use a file made by `deloc backup`.",
    );
  }
  let manifest: BackupManifest;
  try {
    manifest = JSON.parse(fs.readFileSync(path.join(dir, "manifest.json"), "utf8")) as BackupManifest;
  } catch {
    throw new BackupError(
      `${file} has no manifest.json.`,
      "Nothing was restored. Use a file made by `deloc backup`.",
    );
  }
  if (manifest.format !== BACKUP_FORMAT)
    throw new BackupError(
      `${file} is in format ${String(manifest.format)}, not ${BACKUP_FORMAT}.`,
      "Nothing was restored.",
    );
  const missing =
    manifest.kind === "dump"
      ? names.includes("dump")
        ? []
        : ["dump"]
      : manifest.volumes.map((v) => `volumes/${v}.tar`).filter((n) => !names.includes(n));
  if (missing.length) throw new BackupError(`${file} lacks ${missing.join(", ")}.`, "Nothing was restored.");
  return manifest;
}
