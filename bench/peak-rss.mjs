// Preloaded by the benchmark (`node --import ./bench/peak-rss.mjs dist/deloc.js …`): prints the
// process's peak resident memory on stderr as it exits, for the bench to read.
import fs from "node:fs";

process.on("exit", () => fs.writeSync(2, `\n@@peak-rss-kib ${process.resourceUsage().maxRSS}\n`));
