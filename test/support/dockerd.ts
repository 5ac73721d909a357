/**
 * Stopping and starting the machine's Docker engine, for the faults that need it gone. Only for a
 * dockerd this machine runs itself (as `scripts/engine-up.sh` starts it); started again the same way.
 */
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import fs from "node:fs";
import path from "node:path";

const PID_FILE = "/var/run/docker.pid";
const ENGINE_UP = path.resolve(import.meta.dirname, "../../scripts/engine-up.sh");

/** The pid of a dockerd running on this machine, or null (a remote engine, Docker Desktop…). */
export function localDockerd(): number | null {
  try {
    const pid = Number(fs.readFileSync(PID_FILE, "utf8").trim());
    process.kill(pid, 0);
    return fs.readFileSync(`/proc/${pid}/comm`, "utf8").trim() === "dockerd" ? pid : null;
  } catch {
    return null;
  }
}

/** Sends dockerd SIGTERM; `gone` resolves once it has exited (it stops its containers first). */
export function stopDockerd(): { gone: Promise<void> } {
  const pid = localDockerd();
  assert.ok(pid, "no local dockerd to stop");
  process.kill(pid, "SIGTERM");
  const gone = (async () => {
    for (let i = 0; i < 600; i++) {
      try {
        process.kill(pid, 0);
      } catch {
        return;
      }
      await new Promise((r) => setTimeout(r, 100));
    }
    assert.fail(`dockerd (pid ${pid}) did not exit within 60 s of SIGTERM`);
  })();
  return { gone };
}

/** Starts dockerd again as the README's set-up does, and waits until it answers. */
export function startDockerd(): void {
  const r = spawnSync("bash", [ENGINE_UP], { encoding: "utf8", stdio: ["ignore", "pipe", "pipe"] });
  assert.equal(r.status, 0, `engine-up failed:\n${r.stdout}\n${r.stderr}`);
}
