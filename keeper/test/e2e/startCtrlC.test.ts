/**
 * `npm start` (no RPC) under a terminal's Ctrl-C: the terminal sends SIGINT to the whole
 * foreground process group. The embedded hardhat node runs in its own group, so it keeps serving
 * while the keeper finishes its in-flight cycle, and stops only after: exit 0, no connection
 * errors, node gone afterwards.
 */
import { expect } from "chai";
import { spawn, type ChildProcess } from "node:child_process";
import { existsSync } from "node:fs";
import path from "node:path";

const REPO_ROOT = path.resolve(__dirname, "..", "..", "..");

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/**
 * `npm start` without an RPC, detached: the child leads its own group, as a shell job does, so
 * process.kill(-pid) is what the terminal sends (Ctrl-C: SIGINT; closing it: SIGHUP).
 */
function startNpmStart(): { child: ChildProcess; output: () => string } {
  const env: NodeJS.ProcessEnv = { ...process.env, TS_NODE_TRANSPILE_ONLY: "true", LOG_LEVEL: "warn" };
  for (const name of ["RPC_URL", "RPC_URLS", "KEEPER_CONFIG", "KEEPER_PRIVATE_KEY", "FUND_ADDRESS", "LENS_ADDRESS", "KEEPER_DB_PATH", "ALERT_WEBHOOK_URL", "MAINNET_RPC_URL", "SEPOLIA_RPC_URL"]) env[name] = "";
  for (const name of Object.keys(env)) if (name.startsWith("HARDHAT_")) delete env[name];
  const child = spawn(process.execPath, ["-r", require.resolve("ts-node/register/transpile-only"), path.join(REPO_ROOT, "keeper", "src", "cli", "start.ts")], {
    cwd: REPO_ROOT,
    env,
    stdio: ["ignore", "pipe", "pipe"],
    detached: true,
  });
  let output = "";
  child.stdout?.on("data", (chunk: Buffer) => (output += chunk.toString()));
  child.stderr?.on("data", (chunk: Buffer) => (output += chunk.toString()));
  return { child, output: () => output };
}

describe("npm start: Ctrl-C stops the keeper first, then the embedded chain (e2e)", function () {
  this.timeout(240_000);
  let child: ChildProcess | undefined;
  after(() => {
    if (child?.pid !== undefined && child.exitCode === null) process.kill(-child.pid, "SIGKILL");
  });

  it("SIGINT to the keeper's process group mid-cycle: in-flight action completes, exit 0, node stopped after", async () => {
    const run = startNpmStart();
    child = run.child;
    const { output } = run;
    const started = Date.now();
    let nodePid: number | undefined;
    while (Date.now() - started < 200_000) {
      const m = /hardhat node at http:\/\/127\.0\.0\.1:\d+ \(pid (\d+)\)/.exec(output());
      if (m !== null) nodePid = Number(m[1]);
      if (/keeper daemon running/.test(output())) break;
      if (child.exitCode !== null) break;
      await new Promise((r) => setTimeout(r, 50));
    }
    expect(output(), output()).to.match(/keeper daemon running/);
    expect(nodePid, output()).to.be.a("number");
    // Ctrl-C while the first cycles are in flight.
    process.kill(-(child.pid as number), "SIGINT");
    const code = await new Promise<number | null>((resolve) => child!.once("exit", (c) => resolve(c)));
    expect(code, output()).to.equal(0);
    expect(output()).to.match(/stopped \(SIGINT\): keeper daemon and embedded chain shut down/);
    expect(output(), output()).to.not.match(/ECONNREFUSED|socket hang up|no RPC URL reachable|failures=[1-9]/);
    expect(alive(nodePid as number), `hardhat node ${nodePid} still alive`).to.equal(false);
  });

  it("SIGHUP (the terminal closed) cleans up like SIGINT: daemon and node stopped, the embedded chain's temp dir removed", async () => {
    const run = startNpmStart();
    child = run.child;
    const { output } = run;
    const started = Date.now();
    let nodePid: number | undefined;
    let state: string | undefined;
    while (Date.now() - started < 200_000) {
      const m = /hardhat node at http:\/\/127\.0\.0\.1:\d+ \(pid (\d+)\)/.exec(output());
      if (m !== null) nodePid = Number(m[1]);
      state = /keeper daemon running on \S+ \(state (\S+)\)/.exec(output())?.[1];
      if (state !== undefined || child.exitCode !== null) break;
      await new Promise((r) => setTimeout(r, 50));
    }
    expect(state, output()).to.be.a("string");
    const workDir = path.dirname(state as string).split(path.sep).reduce((acc, part) => (acc.includes("sif-embedded-") ? acc : path.join(acc, part)), path.sep);
    expect(workDir, output()).to.match(/sif-embedded-/);
    expect(existsSync(workDir)).to.equal(true);
    process.kill(-(child.pid as number), "SIGHUP");
    const code = await new Promise<number | null>((resolve) => child!.once("exit", (c) => resolve(c)));
    expect(code, output()).to.equal(0);
    expect(output()).to.match(/stopped \(SIGHUP\): keeper daemon and embedded chain shut down/);
    expect(alive(nodePid as number), `hardhat node ${nodePid} still alive`).to.equal(false);
    expect(existsSync(workDir), `${workDir} left behind`).to.equal(false);
  });
});
