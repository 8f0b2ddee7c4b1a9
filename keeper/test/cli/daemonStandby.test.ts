/**
 * `keeper run` over PostgreSQL with scripted loops: the first daemon leads and runs its loops; a
 * second one on the same key is a standby that runs only its read-only loops (scoring, the watch:
 * they tick and show in its metrics, while the shared database stays unchanged) and leads — lock,
 * then the signing loops — once the leader stops. The container's standby loops run the risk cycle
 * and the exploit watch in dry-run mode only.
 */
import { expect } from "chai";

import { KeeperDaemon, standbyLoops, type LoopResult, type LoopRunner } from "../../src/cli/daemon";
import type { KeeperContainer } from "../../src/cli/container";
import type { LoopName } from "../../src/server/metrics";
import { DEFAULT_FIXTURE_DIR, parseConfig } from "../../src/config";
import { openStateDb, type StateDb } from "../../src/state";
import { recordingLogger } from "../sources/testDeps";
import { POSTGRES_MISSING, postgresBinDir, sharedPostgres } from "../helpers/postgres";

const SIGNER = { chainId: 31337, address: "0x00000000000000000000000000000000000000bb" };

describe("keeper daemon over PostgreSQL: leader and standby (scripted loops)", function () {
  this.timeout(30_000);
  const states: StateDb[] = [];
  const daemons: KeeperDaemon[] = [];
  before(async function () {
    if (postgresBinDir() === undefined) {
      console.log(`    ${POSTGRES_MISSING}`);
      this.skip();
    }
    await sharedPostgres();
  });
  afterEach(async () => {
    for (const d of daemons.splice(0)) await d.stop("test end");
    for (const s of states.splice(0)) s.close();
  });

  const loopsOf = (calls: LoopName[]): Record<LoopName, LoopRunner> => {
    const make = (loop: LoopName): LoopRunner => async (): Promise<LoopResult> => {
      calls.push(loop);
      return { now: 1_700_000_000, line: `${loop} ok`, actions: [] };
    };
    return { risk: make("risk"), coverage: make("coverage"), incident: make("incident") };
  };

  it("one leads and runs the loops; the standby ticks only its read-only loops, writes nothing to the shared state, then leads when the leader stops", async () => {
    const url = await (await sharedPostgres()).createDatabase(`daemon_ha_${process.pid}`);
    const cfg = parseConfig(
      {
        protocols: [{ id: "aave-v3", name: "Aave V3", address: "0x0000000000000000000000000000000000000a0a" }],
        sources: { fixture: { path: DEFAULT_FIXTURE_DIR } },
        health: { enabled: false, port: 0 },
        state: { url, retention: { intervalHours: 0 } },
        ha: { takeoverSeconds: 2 },
        // The standby's watch ticks every second; the leader's loops run once in the window.
        intervals: { riskSec: 3600, coverageSec: 3600, incidentWatchSec: 1 },
      },
      { env: {} },
    );
    const open = (): StateDb => {
      const state = openStateDb(url, { takeoverSeconds: cfg.ha.takeoverSeconds });
      state.bindSigner(SIGNER);
      states.push(state);
      return state;
    };
    const calls1: LoopName[] = [];
    const calls2: LoopName[] = [];
    const readOnly2: LoopName[] = [];
    const lines1: string[] = [];
    const lines2: string[] = [];
    let leads2 = 0;
    const readOnlyLoops = (calls: LoopName[]): Partial<Record<LoopName, LoopRunner>> => ({
      risk: async () => {
        calls.push("risk");
        return { now: 1_700_000_000, line: "standby risk scores=aave-v3=42 read-only", actions: [], scores: { "aave-v3": 42 } };
      },
      incident: async () => {
        calls.push("incident");
        return { now: 1_700_000_000, line: "standby watch block=7 read-only", actions: [] };
      },
    });
    const state1 = open();
    const state2 = open();
    const d1 = new KeeperDaemon(cfg, state1, loopsOf(calls1), recordingLogger(), { readOnlyLoops: readOnlyLoops([]) }, { out: (l) => lines1.push(l), shutdownGraceMs: 1000 });
    const d2 = new KeeperDaemon(cfg, state2, loopsOf(calls2), recordingLogger(), { readOnlyLoops: readOnlyLoops(readOnly2), onLead: () => (leads2 += 1) }, { out: (l) => lines2.push(l), shutdownGraceMs: 1000 });
    daemons.push(d1, d2);
    await d1.start();
    const until = async (check: () => boolean, what: string): Promise<void> => {
      const deadline = Date.now() + 10_000;
      while (!check()) {
        if (Date.now() > deadline) throw new Error(`timed out: ${what}\n${lines1.join("\n")}\n--\n${lines2.join("\n")}`);
        await new Promise((r) => setTimeout(r, 20));
      }
    };
    const paused = d1 as unknown as { timers: Map<LoopName, NodeJS.Timeout> };
    await until(() => calls1.length === 3 && paused.timers.size === 3, "the leader's first cycles");
    // Pause the leader's own watch loop (1 s interval) so the only possible writer in the window is the standby.
    for (const t of paused.timers.values()) clearTimeout(t);
    paused.timers.clear();
    await new Promise((r) => setTimeout(r, 100));
    const before = snapshotDb(state1);
    await d2.start();
    await until(() => lines2.some((l) => / standby: another keeper leads/.test(l)), "the standby line");
    await until(() => readOnly2.filter((l) => l === "incident").length >= 2, "the standby's watch ticking");
    expect(calls2).to.deep.equal([]); // no signing loop on a standby
    expect(readOnly2).to.include("risk");
    const health = d2.metrics.health(d2.loopIntervalsMs);
    expect(health.ok).to.equal(true);
    expect(health.loops.risk.cycles).to.equal(1);
    expect(health.loops.incident.cycles).to.be.at.least(2);
    expect(lines2.some((l) => / standby risk scores=aave-v3=42 read-only/.test(l))).to.equal(true);
    expect(await d2.metrics.render()).to.match(/^keeper_risk_score\{protocol="aave-v3"\} 42$/m); // the standby's own score
    // Nothing the standby did reached the shared database (the lease row aside, which only the leader renews).
    expect(snapshotDb(state1)).to.deep.equal(before);
    expect(d2.leading).to.equal(false);
    expect(d1.leading).to.equal(true);
    expect(leads2).to.equal(0);
    const stoppedAt = Date.now();
    await d1.stop("leader stops");
    await until(() => calls2.length === 3, "the new leader's cycles");
    expect(Date.now() - stoppedAt).to.be.below(cfg.ha.takeoverSeconds * 1000 + 1000);
    expect(lines2.some((l) => / leader: signing lock taken \(fence 2\)/.test(l))).to.equal(true);
    expect(d2.leading).to.equal(true);
    expect(leads2).to.equal(1);
    // Leading, the read-only loops stop: the watch now runs as the signing incident loop only.
    const readOnlyAtLead = readOnly2.length;
    await until(() => calls2.filter((l) => l === "incident").length >= 2, "the leader's incident loop on its interval");
    expect(readOnly2.length).to.equal(readOnlyAtLead);
  });

  it("a container's standby loops run scoring and the watch in dry-run mode only (no push, alert, report or store)", async () => {
    const seen: string[] = [];
    const container = {
      riskCycle: (o?: { dryRun?: boolean }) => {
        seen.push(`riskCycle dryRun=${o?.dryRun === true}`);
        return {
          run: async (r?: { dryRun?: boolean }) => {
            seen.push(`risk.run dryRun=${r?.dryRun === true}`);
            return { now: 5, protocols: 1, planned: 1, sourceFailures: 0, degraded: 0, pushes: [], transactions: [], failures: [], alerts: 0, scores: { "aave-v3": 37 } };
          },
        };
      },
      exploitWatch: () => ({
        tick: async (t?: { dryRun?: boolean }) => {
          seen.push(`watch.tick dryRun=${t?.dryRun === true}`);
          return { block: 9, timestamp: 5, rpcCalls: 1, signals: [], reports: [], alerts: 0 };
        },
      }),
    } as unknown as KeeperContainer;
    const loops = standbyLoops(container);
    expect(Object.keys(loops).sort()).to.deep.equal(["incident", "risk"]); // coverage and claims only act: not on a standby
    const risk = await loops.risk?.();
    const watch = await loops.incident?.();
    expect(seen).to.deep.equal(["riskCycle dryRun=true", "risk.run dryRun=true", "watch.tick dryRun=true"]);
    expect(risk?.actions).to.deep.equal([]);
    expect(risk?.scores).to.deep.equal({ "aave-v3": 37 });
    expect(risk?.line).to.include("scores=aave-v3=37");
    expect(watch?.line).to.match(/^standby watch block=9 reads=1 signals=0 read-only$/);
  });
});

/** Every table's rows (but the lock/lease tables the leader's heartbeat renews), as JSON text per table. */
function snapshotDb(state: StateDb): Record<string, string> {
  const tables = state.db.prepare("SELECT table_name AS name FROM information_schema.tables WHERE table_schema = current_schema() ORDER BY table_name").all() as { name: string }[];
  const out: Record<string, string> = {};
  for (const { name } of tables) {
    if (/_lock$/.test(name)) continue;
    const rows = state.db.prepare(`SELECT * FROM "${name}"`).all();
    out[name] = JSON.stringify(rows.map((r) => JSON.stringify(r)).sort());
  }
  return out;
}
