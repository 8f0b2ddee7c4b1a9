/**
 * The daemon as an operator runs it: child processes (ts-node) against the in-process Hardhat
 * network over HTTP through the counting proxy.
 * - kill-and-restart mid-send: SIGKILL after the journal says `sent` (automine off, so the tx is
 *   pending), restart, reconcile: one eth_sendRawTransaction in total, journal `confirmed`;
 * - `keeper run`: status lines, /healthz and /metrics, a second daemon on the same DB refuses,
 *   SIGTERM → exit 0 with the lock released and the database closed.
 */
import { loadFixture } from "@nomicfoundation/hardhat-network-helpers";
import { expect } from "chai";
import Database from "better-sqlite3";
import { promises as fs } from "node:fs";
import os from "node:os";
import path from "node:path";
import { network } from "hardhat";

import { deployKeeperSystem, fixtureCopy, KEEPER_KEY, keeperConfigFile } from "../helpers/keeperSystem";
import type { ChildProcess } from "node:child_process";
import { startRpcProxy, type RpcProxy } from "../helpers/rpcProxy";
import { spawnTs as spawnChild, type SpawnedTs } from "../helpers/spawnTs";


interface Spawned extends SpawnedTs {
  waitFor(pattern: RegExp, timeoutMs?: number): Promise<void>;
}

function spawnTs(script: string, args: readonly string[], env: Record<string, string>): Spawned {
  const spawned = spawnChild(script, args, env);
  const { child, stdout, stderr } = spawned;
  return {
    ...spawned,
    async waitFor(pattern, timeoutMs = 30_000) {
      const deadline = Date.now() + timeoutMs;
      while (!pattern.test(stdout()) && !pattern.test(stderr())) {
        if (child.exitCode !== null) throw new Error(`child exited (${child.exitCode}) before ${pattern}: ${stdout()}\n${stderr()}`);
        if (Date.now() > deadline) throw new Error(`timed out waiting for ${pattern}: ${stdout()}\n${stderr()}`);
        await new Promise((r) => setTimeout(r, 50));
      }
    },
  };
}

async function waitUntil(check: () => boolean, timeoutMs: number, what: string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

function journalState(dbPath: string, key: string): string | undefined {
  try {
    const db = new Database(dbPath, { readonly: true, fileMustExist: true });
    try {
      const row = db.prepare("SELECT state FROM action_journal WHERE idempotency_key = ?").get(key) as { state: string } | undefined;
      return row?.state;
    } finally {
      db.close();
    }
  } catch {
    return undefined;
  }
}

describe("keeper daemon processes (integration)", function () {
  this.timeout(60_000);
  let proxy: RpcProxy;
  const dirs: string[] = [];
  const children: ChildProcess[] = [];

  before(async () => {
    proxy = await startRpcProxy(network.provider);
  });
  after(async () => {
    await proxy.close();
  });
  afterEach(async () => {
    await network.provider.send("evm_setAutomine", [true]);
    for (const c of children.splice(0)) if (c.exitCode === null) c.kill("SIGKILL");
    for (const d of dirs.splice(0)) await fs.rm(d, { recursive: true, force: true });
  });

  it("killed after `sent`, restarted: reconciles, never sends the action twice, ends confirmed", async () => {
    const s = await loadFixture(deployKeeperSystem);
    const dir = await fs.mkdtemp(path.join(os.tmpdir(), "keeper-kill-"));
    dirs.push(dir);
    const dbPath = path.join(dir, "state.sqlite");
    const env = {
      RPC_URL: proxy.url,
      DB_PATH: dbPath,
      KEY: KEEPER_KEY,
      TO: s.fundAddress,
      DATA: s.fund.interface.encodeFunctionData("setAgent", [s.stranger.address, true]),
    };
    await network.provider.send("evm_setAutomine", [false]);
    proxy.reset();
    const first = spawnTs("keeper/test/helpers/sendChild.ts", [], { ...env, MODE: "send" });
    children.push(first.child);
    await waitUntil(() => journalState(dbPath, "kill-test:1") === "sent", 30_000, "journal state sent");
    first.child.kill("SIGKILL");
    await first.exited;
    expect(proxy.counts()["eth_sendRawTransaction"]).to.equal(1);
    expect(await s.fund.isAgent(s.keeper.address, s.stranger.address)).to.equal(false); // still pending

    const second = spawnTs("keeper/test/helpers/sendChild.ts", [], { ...env, MODE: "restart" });
    children.push(second.child);
    // Mine while the restarted process reconciles (the tx is still in the node's pool).
    const miner = setInterval(() => void network.provider.send("evm_mine", []), 300);
    try {
      expect(await second.exited, second.stderr()).to.equal(0);
    } finally {
      clearInterval(miner);
    }
    const output = JSON.parse(second.stdout().trim().split("\n").pop() ?? "{}") as {
      reconciled: { status: string; key: string }[];
      again: { status: string; state?: string };
    };
    expect(output.reconciled.map((r) => [r.key, r.status])).to.deep.equal([["kill-test:1", "confirmed"]]);
    expect(output.again).to.include({ status: "skipped", state: "confirmed" });
    expect(proxy.counts()["eth_sendRawTransaction"]).to.equal(1);
    expect(journalState(dbPath, "kill-test:1")).to.equal("confirmed");
    expect(await s.fund.isAgent(s.keeper.address, s.stranger.address)).to.equal(true);
  });

  it("`keeper run`: status lines, /healthz and /metrics, second daemon refused, SIGTERM → exit 0 and DB closed", async () => {
    const s = await loadFixture(deployKeeperSystem);
    const dir = await fs.mkdtemp(path.join(os.tmpdir(), "keeper-run-"));
    const fixtureDir = await fixtureCopy();
    dirs.push(dir, fixtureDir);
    const dbPath = path.join(dir, "state.sqlite");
    const file = keeperConfigFile(s, {
      rpcUrl: proxy.url,
      fixtureDir,
      workDir: dir,
      dbPath,
      overrides: {
        health: { enabled: true, port: 0 },
        intervals: { riskSec: 3600, coverageSec: 3600, incidentWatchSec: 3600, jitterFraction: 0 },
        providers: { nexus: { providerId: 1, productIds: {} }, onChainQuote: [2] },
      },
    });
    const configPath = path.join(dir, "keeper.json");
    await fs.writeFile(configPath, JSON.stringify(file));
    const env = { KEEPER_PRIVATE_KEY: KEEPER_KEY, KEEPER_CONFIG: configPath };

    const daemon = spawnTs("keeper/src/cli/cli.ts", ["run"], env);
    children.push(daemon.child);
    await daemon.waitFor(/risk chain=\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ /);
    await daemon.waitFor(/coverage chain=\S+Z positions=1 planned=1 confirmed=2 failed=0/);
    await daemon.waitFor(/incident chain=\S+Z (watch block=\S+ reads=\d+ drains=\d+ )?new=0 suspected=0 confirmed=0 halts=0 filed=0 scheduled=0 adopted=0 unfileable=0 /);
    const url = /"url":"(http:\/\/127\.0\.0\.1:\d+)"/.exec(daemon.stderr())?.[1];
    expect(url, daemon.stderr()).to.be.a("string");
    const health = await fetch(`${url}/healthz`);
    expect(health.status).to.equal(200);
    expect(((await health.json()) as { status: string }).status).to.equal("ok");
    const metrics = await (await fetch(`${url}/metrics`)).text();
    expect(metrics, metrics).to.match(/keeper_actions_total\{kind="purchase",result="confirmed"\} 1/);
    expect(metrics).to.match(/keeper_cycle_duration_seconds_count\{loop="coverage"\} 1/);
    expect(metrics).to.match(/keeper_rpc_calls_total\{url="[^"]+"\} \d+/);
    expect(metrics).to.match(/^keeper_coverage_usd\{protocol="[^"]+"\} 100000$/m);
    expect(metrics).to.match(/^keeper_coverage_ratio\{protocol="[^"]+"\} \d/m);
    expect(metrics).to.match(/^process_cpu_user_seconds_total \d/m);
    await daemon.waitFor(/dashboard: http:\/\/127\.0\.0\.1:\d+\//);
    const snapshot = (await (await fetch(`${url}/api/snapshot`)).json()) as { coverage: { rows: { coverageUsd: number }[] }; loops: unknown[] };
    expect(snapshot.coverage.rows.map((r) => r.coverageUsd)).to.deep.equal([100000]);
    expect(snapshot.loops).to.have.length(3);

    const second = spawnTs("keeper/src/cli/cli.ts", ["run"], env);
    children.push(second.child);
    expect(await second.exited).to.equal(1);
    expect(second.stderr()).to.match(/another keeper process signs with key 0x[0-9a-f]{40} on chain \d+ \(pid \d+/);

    daemon.child.kill("SIGTERM");
    expect(await daemon.exited, daemon.stderr()).to.equal(0);
    expect(daemon.stderr()).to.match(/keeper daemon stopped/);
    // Closed cleanly: the last connection checkpointed the WAL and removed it.
    expect(await fs.stat(`${dbPath}-wal`).then(() => true, () => false)).to.equal(false);
    const db = new Database(dbPath, { readonly: true });
    try {
      expect(db.prepare("SELECT COUNT(*) AS n FROM daemon_lock").get()).to.deep.equal({ n: 0 });
      const loops = db.prepare("SELECT key FROM kv WHERE key LIKE 'loop:%:lastSuccess' ORDER BY key").all();
      expect(loops).to.deep.equal([{ key: "loop:coverage:lastSuccess" }, { key: "loop:incident:lastSuccess" }, { key: "loop:risk:lastSuccess" }]);
    } finally {
      db.close();
    }
  });
});
