// Preloaded by the benchmark (`node --import ./bench/peak-rss.mjs dist/deloc.js …`): prints the
// process's peak resident memory and the CPU time it used on stderr as it exits, for the bench to
// read (on a loaded machine the CPU time tells what wall time cannot).
import fs from "node:fs";

process.on("exit", () => {
  const u = process.resourceUsage();
  fs.writeSync(
    2,
    `\n@@peak-rss-kib ${u.maxRSS}\n@@cpu-ms ${Math.round((u.userCPUTime + u.systemCPUTime) / 1000)}\n`,
  );
});
