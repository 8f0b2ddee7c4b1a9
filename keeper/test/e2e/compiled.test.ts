/**
 * The production path: `npm run build` output run by `npm run keeper` (keeper/bin/keeper.js →
 * dist/). `.ci/run` builds before `npm test`; without dist/ the suite skips with one line, except
 * under CI where it fails. Checks that the compiled CLI starts, finds its fixtures, deployments and
 * TypeChain bindings from dist/, and scores offline; the launcher explains a missing build.
 */
import { expect } from "chai";
import { spawnSync } from "node:child_process";
import { existsSync } from "node:fs";
import path from "node:path";

const REPO_ROOT = path.resolve(__dirname, "..", "..", "..");
const LAUNCHER = path.join(REPO_ROOT, "keeper", "bin", "keeper.js");
const COMPILED_CLI = path.join(REPO_ROOT, "dist", "keeper", "src", "cli", "cli.js");

function offlineEnv(): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env, RPC_URL: "http://127.0.0.1:9", LOG_LEVEL: "error" };
  for (const name of ["RPC_URLS", "KEEPER_CONFIG", "KEEPER_PRIVATE_KEY", "FUND_ADDRESS", "LENS_ADDRESS", "KEEPER_DB_PATH", "ALERT_WEBHOOK_URL", "TS_NODE_TRANSPILE_ONLY"]) env[name] = "";
  return env;
}

describe("compiled keeper (npm run build → npm run keeper)", function () {
  this.timeout(120_000);

  before(function () {
    if (!existsSync(COMPILED_CLI)) {
      if (process.env["CI"] !== undefined && process.env["CI"] !== "") throw new Error("dist/ missing under CI: .ci/run runs `npm run build` before the tests");
      console.log("    skipped: no dist/ (run `npm run build` first)");
      this.skip();
    }
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
    const scores = JSON.parse(result.stdout) as { protocol?: string; id?: string; composite?: number }[] | Record<string, unknown>;
    const list = Array.isArray(scores) ? scores : Object.values(scores);
    expect(list.length).to.equal(7);
    expect(JSON.stringify(list)).to.match(/"composite":\d+/);
  });

  it("the launcher names the fix when the build is missing", () => {
    const result = spawnSync(process.execPath, ["-e", `require("node:fs").existsSync = () => false; process.argv = [process.argv[0], ${JSON.stringify(LAUNCHER)}, "--help"]; require(${JSON.stringify(LAUNCHER)})`], { cwd: REPO_ROOT, encoding: "utf8" });
    expect(result.status).to.equal(2);
    expect(result.stderr).to.match(/dist\/keeper\/src\/app\/cli\.js is missing — run `npm run build` first \(or `npm run keeper:dev` for ts-node\)/);
  });
});
