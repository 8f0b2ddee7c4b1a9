#!/usr/bin/env node
/*
 * `npm run keeper` / the systemd unit: the keeper CLI from the compiled output (dist/, built by
 * `npm run build`). Development runs the TypeScript directly: `npm run keeper:dev`.
 */
"use strict";
const { existsSync } = require("node:fs");
const path = require("node:path");

const cli = path.join(__dirname, "..", "..", "dist", "keeper", "src", "cli", "cli.js");
if (!existsSync(cli)) {
  process.stderr.write(`keeper: ${path.relative(process.cwd(), cli)} is missing — run \`npm run build\` first (or \`npm run keeper:dev\` for ts-node)\n`);
  process.exit(2);
}
require(cli)
  .main(process.argv.slice(2))
  .then((code) => {
    process.exitCode = code;
  });
