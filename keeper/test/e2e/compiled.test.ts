/**
 * The production path: `npm run build` output run by `npm run keeper` (keeper/bin/keeper.js →
 * dist/). The build is made on demand (helpers/compiledKeeper.ts) when dist/ is missing or stale. Checks that the compiled CLI starts, finds its fixtures, deployments and
 * TypeChain bindings from dist/, and scores offline; the launcher explains a missing build.
 */
import { expect } from "chai";
import { spawnSync } from "node:child_process";
import path from "node:path";

import { KEEPER_LAUNCHER as LAUNCHER, REPO_ROOT, ensureCompiledKeeper } from "../helpers/compiledKeeper";

function offlineEnv(): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env, RPC_URL: "http://127.0.0.1:9", LOG_LEVEL: "error" };
  for (const name of ["RPC_URLS", "KEEPER_CONFIG", "KEEPER_PRIVATE_KEY", "FUND_ADDRESS", "LENS_ADDRESS", "KEEPER_DB_PATH", "ALERT_WEBHOOK_URL", "TS_NODE_TRANSPILE_ONLY"]) env[name] = "";
  return env;
}

describe("compiled keeper (npm run build → npm run keeper)", function () {
  this.timeout(120_000);

  before(async () => {
    await ensureCompiledKeeper();
  });

  it("`npm run keeper -- --help` runs the compiled CLI without ts-node", () => {
    const result = spawnSync(process.execPath, [LAUNCHER, "--help"], { cwd: REPO_ROOT, env: offlineEnv(), encoding: "utf8" });
    expect(result.status, result.stderr).to.equal(0);
    expect(result.stdout).to.match(/^Usage: keeper \[options\] \[command\]/);
    for (const command of ["score", "push-risk", "run", "once", "report", "status", "incident"]) expect(result.stdout).to.contain(command);
  });

  it("`npm run keeper -- score --all --json` scores the fixture portfolio from dist/ (no chain reachable)", () => {
    const result = spawnSync(process.execPath, [LAUNCHER, "score", "--all", "--json"], { cwd: REPO_ROOT, env: offlineEnv(), encoding: "utf8" });
    expect(result.status, result.stderr).to.equal(0);
    // Issue 22: the JSON names the config it ran on and says the chain sources were off.
    const report = JSON.parse(result.stdout) as { context: { config: string }; offline: string; scores: { protocol?: string; composite?: number }[] };
    expect(report.context.config).to.equal("embedded default");
    expect(report.offline).to.match(/chain sources off/);
    const list = report.scores;
    expect(list.length).to.equal(7);
    expect(JSON.stringify(list)).to.match(/"composite":\d+/);
  });

  it("the launcher names the fix when the build is missing", () => {
    const result = spawnSync(process.execPath, ["-e", `require("node:fs").existsSync = () => false; process.argv = [process.argv[0], ${JSON.stringify(LAUNCHER)}, "--help"]; require(${JSON.stringify(LAUNCHER)})`], { cwd: REPO_ROOT, encoding: "utf8" });
    expect(result.status).to.equal(2);
    expect(result.stderr).to.match(/dist\/keeper\/src\/cli\/cli\.js is missing — run `npm run build` first \(or `npm run keeper:dev` for ts-node\)/);
  });
});
