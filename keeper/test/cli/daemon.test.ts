/**
 * The daemon's scheduling, health and metrics with scripted loops (no chain), and the new
 * config rules (positions, beneficiary ≠ keeper, durable state for `keeper run`).
 */
import { expect } from "chai";
import { Wallet } from "ethers";
import { promises as fs } from "node:fs";
import os from "node:os";
import path from "node:path";

import { jittered, KeeperDaemon, type LoopResult, type LoopRunner } from "../../src/cli/daemon";
import { KeeperMetrics, type LoopName } from "../../src/server/metrics";
import { DEFAULT_FIXTURE_DIR, parseConfig, requireDurableState, type KeeperConfig } from "../../src/config";
import { openStateDb, type StateDb } from "../../src/state";
import { recordingLogger } from "../sources/testDeps";
import { issuesOf } from "../helpers/configIssues";

const BENEFICIARY = "0x000000000000000000000000000000000000beef";
const ASSET = "0x000000000000000000000000000000000000a55e";
const PROTOCOL = "0x0000000000000000000000000000000000000a0a";

function config(extra: Record<string, unknown> = {}, env: Record<string, string> = {}): KeeperConfig {
  return parseConfig(
    {
      protocols: [{ id: "aave-v3", name: "Aave V3", address: PROTOCOL }],
      sources: { fixture: { path: DEFAULT_FIXTURE_DIR } },
      ...extra,
    },
    { env },
  );
}

const position = (over: Record<string, unknown> = {}) => ({
  protocol: "aave-v3",
  asset: ASSET,
  targetAmount: "1000",
  beneficiary: BENEFICIARY,
  providers: [1],
  ...over,
});


describe("keeper daemon (scripted loops)", function () {
  this.timeout(20_000);
  const states: StateDb[] = [];
  const daemons: KeeperDaemon[] = [];
  afterEach(async () => {
    for (const d of daemons.splice(0)) await d.stop("test end");
    for (const s of states.splice(0)) s.close();
  });

  function loopsOf(fail: Partial<Record<LoopName, boolean>>, calls: LoopName[]): Record<LoopName, LoopRunner> {
    const make = (loop: LoopName): LoopRunner => async (): Promise<LoopResult> => {
      calls.push(loop);
      if (fail[loop] === true) throw new Error(`${loop} broke`);
      return { now: 1_700_000_000, line: `${loop} ok`, actions: loop === "coverage" ? [{ kind: "purchase", result: "confirmed", gasUsed: 21_000n }] : [] };
    };
    return { risk: make("risk"), coverage: make("coverage"), incident: make("incident") };
  }

  async function startDaemon(fail: Partial<Record<LoopName, boolean>>, intervalsMs = 100) {
    const state = openStateDb(":memory:");
    states.push(state);
    const calls: LoopName[] = [];
    const lines: string[] = [];
    const cfg = config({
      intervals: { riskSec: intervalsMs / 1000, coverageSec: intervalsMs / 1000, incidentWatchSec: intervalsMs / 1000, jitterFraction: 0 },
      health: { enabled: true, port: 0 },
    });
    const daemon = new KeeperDaemon(cfg, state, loopsOf(fail, calls), recordingLogger(), {}, { out: (l) => lines.push(l), shutdownGraceMs: 1000 });
    daemons.push(daemon);
    await daemon.start();
    return { daemon, state, calls, lines };
  }

  it("prunes the state after the first cycles (state.retention), logs what went, and tells the watch which drain signals it forgot; a dry run prunes nothing", async () => {
    const nowSec = 1_700_000_000; // the scripted loops' chain time: retention's clock for assessments and signals
    const seed = (state: StateDb): void => {
      const c = { tvl: 30, audit: 30, time: 30, exploit: 30, team: 30 };
      state.assessments.record([0, 1, 2].map((h) => ({ protocol: "aave-v3", assessedAt: nowSec - 200 * 86_400 + h * 600, components: c, composite: 30, category: "LOW" as const, confidence: 100, missing: [] })));
      state.kv.set("watch:signals", [{ signal: { protocolId: "aave-v3", sourceId: "drain:old", occurredAt: nowSec - 400 * 86_400 }, evidenceHash: "0x01", reported: { status: "confirmed" } }]);
    };
    const cfg = config({ intervals: { riskSec: 60, coverageSec: 60, incidentWatchSec: 60, jitterFraction: 0 }, health: { enabled: false } });
    for (const dryRun of [false, true]) {
      const state = openStateDb(":memory:");
      states.push(state);
      seed(state);
      const lines: string[] = [];
      const forgotten: string[] = [];
      const daemon = new KeeperDaemon(cfg, state, loopsOf({}, []), recordingLogger(), { afterPrune: (r) => forgotten.push(...r.watchSignalIds) }, { out: (l) => lines.push(l), shutdownGraceMs: 1000, dryRun });
      daemons.push(daemon);
      await daemon.start();
      for (let i = 0; i < 100 && !lines.some((l) => / retention /.test(l)) && !dryRun; i += 1) await new Promise((r) => setTimeout(r, 20));
      await new Promise((r) => setTimeout(r, 50));
      const left = (state.db.prepare("SELECT COUNT(*) AS n FROM assessments").get() as { n: number }).n;
      if (dryRun) {
        expect(left).to.equal(3);
        expect(lines.some((l) => / retention /.test(l))).to.equal(false);
      } else {
        expect(left).to.equal(1); // one per protocol per day past assessmentsFullDays
        expect(lines.find((l) => / retention /.test(l))).to.match(/pruned: assessments=2 .*watchSignals=1/);
        expect(forgotten).to.deep.equal(["drain:old"]);
      }
    }
  });

  it("runs the first cycles in order, then every loop on its interval; prints one status line per cycle", async () => {
    const { calls, lines, state } = await startDaemon({});
    await new Promise((r) => setTimeout(r, 350));
    expect(calls.slice(0, 3)).to.deep.equal(["risk", "coverage", "incident"]);
    for (const loop of ["risk", "coverage", "incident"] as const) {
      expect(calls.filter((c) => c === loop).length, loop).to.be.at.least(2);
    }
    expect(lines.filter((l) => / coverage ok \(\d+ ms\)$/.test(l)).length).to.be.at.least(2);
    expect(state.kv.get<{ chainTimeSec: number }>("loop:risk:lastSuccess")?.chainTimeSec).to.equal(1_700_000_000);
  });

  it("/healthz is 200 while every loop succeeds, 503 with detail when one has not for 2 intervals; /metrics in Prometheus text", async () => {
    const healthy = await startDaemon({});
    await new Promise((r) => setTimeout(r, 150));
    const ok = await fetch(`${healthy.daemon.healthUrl}/healthz`);
    expect(ok.status).to.equal(200);
    const metrics = await (await fetch(`${healthy.daemon.healthUrl}/metrics`)).text();
    expect(metrics).to.include("# TYPE keeper_actions_total counter");
    expect(metrics).to.match(/^keeper_actions_total\{kind="purchase",result="confirmed"\} \d+$/m);
    expect(metrics).to.match(/^keeper_gas_used_total \d+$/m);
    expect(metrics).to.match(/^keeper_loop_last_success_timestamp_seconds\{loop="incident"\} [1-9]\d+$/m);
    expect((await fetch(`${healthy.daemon.healthUrl}/nope`)).status).to.equal(404);
    await healthy.daemon.stop();

    const broken = await startDaemon({ incident: true });
    await new Promise((r) => setTimeout(r, 300)); // > 2 × 100 ms without an incident success
    const bad = await fetch(`${broken.daemon.healthUrl}/healthz`);
    expect(bad.status).to.equal(503);
    const body = (await bad.json()) as { status: string; loops: Record<string, { healthy: boolean; lastError?: string }> };
    expect(body.status).to.equal("unhealthy");
    expect(body.loops["incident"]).to.include({ healthy: false, lastError: "incident broke" });
    expect(body.loops["risk"]?.healthy).to.equal(true);
    expect(broken.lines.some((l) => /incident FAILED: incident broke/.test(l))).to.equal(true);
    const metrics2 = await (await fetch(`${broken.daemon.healthUrl}/metrics`)).text();
    expect(metrics2).to.match(/^keeper_cycle_failures_total\{loop="incident"\} [1-9]\d*$/m);
  });

  it("stop() closes the database, releases the lock and stops scheduling", async () => {
    const { daemon, state, calls } = await startDaemon({});
    await new Promise((r) => setTimeout(r, 120));
    await daemon.stop("SIGTERM");
    const after = calls.length;
    expect(state.db.open).to.equal(false);
    await new Promise((r) => setTimeout(r, 250));
    expect(calls.length).to.equal(after);
  });

  it("a second daemon on the same database refuses to start", async () => {
    const dir = await fs.mkdtemp(path.join(os.tmpdir(), "keeper-lock-"));
    const file = path.join(dir, "state.sqlite");
    const first = openStateDb(file);
    const second = openStateDb(file);
    states.push(first, second);
    const cfg = config({ health: { enabled: false, port: 0 } });
    const d1 = new KeeperDaemon(cfg, first, loopsOf({}, []), recordingLogger(), {}, { out: () => undefined });
    daemons.push(d1);
    await d1.start();
    const d2 = new KeeperDaemon(cfg, second, loopsOf({}, []), recordingLogger(), {}, { out: () => undefined });
    let error: Error | undefined;
    await d2.start().catch((err: Error) => (error = err));
    expect(error?.name).to.equal("DaemonLockError");
    expect(error?.message).to.match(/another keeper daemon holds the state database/);
    await d1.stop();
    await fs.rm(dir, { recursive: true, force: true });
  });

  it("losing the lock (another process took it over) stops the daemon", async () => {
    const dir = await fs.mkdtemp(path.join(os.tmpdir(), "keeper-lock-"));
    const file = path.join(dir, "state.sqlite");
    const state = openStateDb(file);
    const other = openStateDb(file);
    states.push(state, other);
    const lines: string[] = [];
    const cfg = config({ health: { enabled: false, port: 0 }, state: { lockStaleAfterSec: 1 } });
    const d = new KeeperDaemon(cfg, state, loopsOf({}, []), recordingLogger(), {}, { out: (l) => lines.push(l) });
    daemons.push(d);
    await d.start();
    // Another process takes the (stale-looking) lock: the row's token is no longer ours.
    other.db.prepare("UPDATE daemon_lock SET token = 'someone-else', pid = 1").run();
    const reason = await Promise.race([d.done, new Promise<string>((r) => setTimeout(() => r("timeout"), 5000))]);
    expect(reason).to.equal("daemon lock lost");
    expect(d.lockLost).to.equal(true);
    expect(lines.some((l) => /daemon lock lost — stopping/.test(l))).to.equal(true);
    // The new holder's row is untouched by the stopped daemon's close.
    expect(other.db.prepare("SELECT token FROM daemon_lock").get()).to.deep.equal({ token: "someone-else" });
    await fs.rm(dir, { recursive: true, force: true });
  });

  it("jitter keeps every wait within interval × (1 ± jitter)", () => {
    expect(jittered(1000, 0.1, () => 0)).to.equal(900);
    expect(jittered(1000, 0.1, () => 1)).to.equal(1100);
    expect(jittered(1000, 0, () => 0.3)).to.equal(1000);
  });

  it("metrics escape label values in the exposition text", async () => {
    const m = new KeeperMetrics({ defaultMetrics: false });
    m.recordAction('we"ird', "ok");
    const text = await m.render();
    expect(text).to.include('keeper_actions_total{kind="we\\"ird",result="ok"} 1');
  });
});

describe("keeper config: positions and daemon fields", () => {
  it("accepts positions with defaults and resolves paths against the config directory", () => {
    const cfg = parseConfig(
      { protocols: [{ id: "aave-v3", name: "Aave V3", address: PROTOCOL }], sources: { fixture: { path: DEFAULT_FIXTURE_DIR } }, positions: [position()] },
      { baseDir: "/etc/keeper" },
    );
    expect(cfg.positions[0]).to.include({ allowSelfInsure: false, targetAmount: "1000" });
    expect(cfg.intervals).to.deep.equal({ riskSec: 3600, coverageSec: 1800, incidentWatchSec: 120, jitterFraction: 0.1 });
    expect(cfg.paths.evidenceDir).to.equal("/etc/keeper/keeper-data/evidence");
    expect(cfg.health).to.deep.equal({ enabled: true, host: "127.0.0.1", port: 9464, dashboard: true });
    expect(cfg.budget).to.deep.equal({ maxPremiumPerCycleUsd: 10_000, maxPremiumPerDayUsd: 25_000 });
  });

  it("rejects a beneficiary equal to the keeper's own address", () => {
    const key = Wallet.createRandom().privateKey;
    const keeper = new Wallet(key).address;
    const issues = issuesOf(() => config({ positions: [position({ beneficiary: keeper })] }, { KEEPER_PRIVATE_KEY: key }));
    expect(issues.join("\n")).to.match(/positions\[0\]\.beneficiary: is the keeper's own address/);
  });

  it("rejects positions on unknown protocols and positions with no way to be covered", () => {
    const issues = issuesOf(() => config({ positions: [position({ protocol: "nope" }), position({ providers: [] })] }));
    expect(issues.join("\n")).to.match(/positions\[0\]\.protocol: unknown protocol/);
    expect(issues.join("\n")).to.match(/positions\[1\]\.providers: empty and allowSelfInsure is false/);
  });

  it("`keeper run` needs a database file; :memory: is refused with the fix", () => {
    expect(issuesOf(() => requireDurableState(config(), "run"))[0]).to.match(/state\.dbPath: ":memory:" cannot back `keeper run`.*KEEPER_DB_PATH/);
    expect(() => requireDurableState(config({}, { KEEPER_DB_PATH: "/tmp/x.sqlite" }), "run")).to.not.throw();
  });
});
