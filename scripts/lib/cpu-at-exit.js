// Preloaded by scripts/bench-startup.ts (`node -r`): reports this process's CPU time at exit on stderr.
"use strict";
process.on("exit", () => {
  const { user, system } = process.cpuUsage();
  process.stderr.write(`\nBENCH_CPU_US ${user + system}\n`);
});
