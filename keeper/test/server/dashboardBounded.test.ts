/** The dashboard's refresh reads a bounded amount of history, whatever the state database holds. */
import { expect } from "chai";
import { parseConfig } from "../../src/config";
import type { RiskAssessment } from "../../src/scoring/types";
import { DashboardCollector, HISTORY_DAYS, HISTORY_POINTS, PUSHES_SHOWN } from "../../src/server/dashboard/collector";
import { openStateDb, type StateDb } from "../../src/state";
import { generatePortfolio } from "../helpers/defiLlamaPortfolio";

const DAY = 86_400;
const NOW = 1_800_000_000;

describe("dashboard refresh: bounded reads", () => {
  let state: StateDb;
  afterEach(() => state.close());

  function collectorOver(config: ReturnType<typeof parseConfig>, now: () => number) {
    return new DashboardCollector({
      config,
      state,
      provider: {
        getNetwork: async () => ({ chainId: 31337n }),
        getBlock: async () => ({ number: 1, timestamp: now() }),
        getBalance: async () => 0n,
        getTransactionCount: async () => 0,
      } as never,
      fund: { getAddress: async () => "0x00000000000000000000000000000000000000f0" } as never,
      lens: { getProtocolStates: async () => [] } as never,
      coverage: { positions: async () => [], snapshot: async () => Promise.reject(new Error("no chain here")) },
      keeperAddress: undefined,
      loops: () => [],
      nowMs: () => now() * 1000,
    });
  }

  it("a year of hourly assessments and pushes shows at most HISTORY_POINTS per protocol over HISTORY_DAYS and the newest PUSHES_SHOWN pushes; a new assessment shows at once", async () => {
    state = openStateDb(":memory:");
    const portfolio = generatePortfolio(2, "b");
    const config = parseConfig({ chain: { rpcUrl: "http://127.0.0.1:1", chainId: 31337 }, protocols: portfolio.protocols, sources: { operator: portfolio.operator } });
    const c = { tvl: 30, audit: 30, time: 30, exploit: 30, team: 30 };
    const batch: RiskAssessment[] = [];
    for (let t = NOW - 365 * DAY; t <= NOW; t += 3600) for (const p of config.protocols) batch.push({ protocol: p.id, assessedAt: t, components: c, composite: 30, category: "LOW", confidence: 100, missing: [] });
    state.assessments.record(batch);
    for (let i = 0; i < PUSHES_SHOWN + 50; i += 1) {
      const at = NOW - (PUSHES_SHOWN + 50 - i) * 6 * 3600;
      const e = state.journal.plan({ kind: "risk-push", key: `risk-push:${at}`, payload: { detail: { at, values: config.protocols.map((p) => ({ protocol: p.address, ...c })) } } });
      const facts = { hash: `0x${(i + 1).toString(16).padStart(64, "0")}`, nonce: i, maxFeePerGas: 1n, maxPriorityFeePerGas: 1n };
      state.journal.recordAttempt(e.id, { ...facts, rawTx: "0x02" });
      state.journal.markSent(e.id, { ...facts, sentBlock: 1 });
      state.journal.markConfirmed(e.id, { hash: facts.hash, blockNumber: 2, gasUsed: 1n });
    }
    let now = NOW;
    const collector = collectorOver(config, () => now);

    const snapshot = await collector.collect();
    expect(snapshot.risk).to.have.length(2);
    for (const r of snapshot.risk) {
      expect(r.history.length).to.be.at.most(HISTORY_POINTS).and.at.least(HISTORY_POINTS / 2);
      expect(r.history[0]?.t).to.be.at.least(NOW - HISTORY_DAYS * DAY - 3600);
      expect(r.latest?.t).to.equal(NOW);
      expect(r.pushes.length).to.equal(PUSHES_SHOWN);
      expect(r.pushes[r.pushes.length - 1]?.t).to.equal(NOW - 6 * 3600);
    }

    // The next risk cycle's assessment is on the next refresh (nothing stale is remembered).
    now = NOW + 3600;
    state.assessments.record(config.protocols.map((p) => ({ protocol: p.id, assessedAt: NOW + 3600, components: { ...c, tvl: 90 }, composite: 42, category: "MEDIUM" as const, confidence: 100, missing: [] })));
    const next = await collector.collect();
    for (const r of next.risk) {
      expect(r.latest?.composite).to.equal(42);
      expect(r.history[r.history.length - 1]?.composite).to.equal(42);
      expect(r.history.length).to.be.at.most(HISTORY_POINTS);
    }
  });
});
