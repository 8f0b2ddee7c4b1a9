/** State retention: each rule drops what it may and keeps what claims, audits and restarts need; dashboard reads stay bounded. */
import { expect } from "chai";
import { DEFAULT_RETENTION, openStateDb, type RetentionPolicy, type StateDb } from "../../src/state";
import type { RiskAssessment } from "../../src/scoring/types";

const DAY = 86_400;
const NOW_SEC = 1_800_000_000; // a fixed wall/chain time for the tests
/** Only the rule under test (every other horizon 0 = keep forever). */
const NONE: RetentionPolicy = { assessmentsFullDays: 0, assessmentsDailyDays: 0, rawTxDays: 0, routineJournalDays: 0, alertOutboxDays: 0, alertLogDays: 0, watchSignalsDays: 0, batchSize: 2000 };

function assessment(protocol: string, assessedAt: number, composite = 40): RiskAssessment {
  const c = { tvl: composite, audit: composite, time: composite, exploit: composite, team: composite };
  return { protocol, assessedAt, components: c, composite, category: "MEDIUM", confidence: 100, missing: [] };
}

describe("state retention", () => {
  let clockMs = NOW_SEC * 1000;
  let state: StateDb;
  beforeEach(() => {
    clockMs = NOW_SEC * 1000;
    state = openStateDb(":memory:", { nowMs: () => clockMs });
  });
  afterEach(() => state.close());

  const count = (sql: string, ...args: unknown[]): number => (state.db.prepare(sql).get(...args) as { n: number }).n;

  describe("assessments", () => {
    /** Hourly assessments of two protocols over the last `days` days. */
    function hourly(days: number): void {
      const batch: RiskAssessment[] = [];
      for (let t = NOW_SEC - days * DAY; t < NOW_SEC; t += 3600) batch.push(assessment("aave", t), assessment("comp", t, 50));
      state.assessments.record(batch);
    }

    it("keeps full resolution inside assessmentsFullDays and the last one per protocol per UTC day before it", async () => {
      hourly(120);
      const cutoff = Math.floor((NOW_SEC - 90 * DAY) / DAY) * DAY;
      const recentBefore = count("SELECT COUNT(*) AS n FROM assessments WHERE assessed_at >= ?", cutoff);
      const oldDays = count("SELECT COUNT(DISTINCT protocol || ':' || (assessed_at / 86400)) AS n FROM assessments WHERE assessed_at < ?", cutoff);
      const lastOfEachDay = state.db
        .prepare("SELECT MAX(assessed_at) AS t FROM assessments WHERE assessed_at < ? GROUP BY protocol, assessed_at / 86400 ORDER BY protocol, t")
        .pluck()
        .all(cutoff);
      const latest = state.assessments.latest("aave");

      const result = await state.retention.prune({ ...NONE, assessmentsFullDays: 90 });

      expect(result.assessments).to.be.greaterThan(0);
      expect(count("SELECT COUNT(*) AS n FROM assessments WHERE assessed_at >= ?", cutoff)).to.equal(recentBefore);
      expect(count("SELECT COUNT(*) AS n FROM assessments WHERE assessed_at < ?", cutoff)).to.equal(oldDays);
      // What stays of each old day is its last assessment (the day's closing value), per protocol.
      expect(state.db.prepare("SELECT assessed_at AS t FROM assessments WHERE assessed_at < ? ORDER BY protocol, t").pluck().all(cutoff)).to.deep.equal(lastOfEachDay);
      expect(state.assessments.latest("aave")).to.deep.equal(latest);
      // Idempotent: a second run finds nothing more.
      expect((await state.retention.prune({ ...NONE, assessmentsFullDays: 90 })).assessments).to.equal(0);
    });

    it("assessments age by chain time when it is given (a fork's chain time is not the wall clock)", async () => {
      hourly(120);
      const chainNow = NOW_SEC - 20 * DAY; // the chain is 20 days behind the wall clock
      const cutoff = Math.floor((chainNow - 90 * DAY) / DAY) * DAY;
      const fullBetween = count("SELECT COUNT(*) AS n FROM assessments WHERE assessed_at >= ? AND assessed_at < ?", cutoff, NOW_SEC - 90 * DAY);
      const older = count("SELECT COUNT(*) AS n FROM assessments WHERE assessed_at < ?", cutoff);
      const olderDays = count("SELECT COUNT(DISTINCT protocol || ':' || (assessed_at / 86400)) AS n FROM assessments WHERE assessed_at < ?", cutoff);
      const result = await state.retention.prune({ ...NONE, assessmentsFullDays: 90 }, { chainNowSec: chainNow });
      expect(result.assessments).to.equal(older - olderDays).and.be.greaterThan(0);
      // Old on the wall clock, not on the chain's: still at full resolution.
      expect(fullBetween).to.be.greaterThan(0);
      expect(count("SELECT COUNT(*) AS n FROM assessments WHERE assessed_at >= ? AND assessed_at < ?", cutoff, NOW_SEC - 90 * DAY)).to.equal(fullBetween);
    });

    it("a dry run counts exactly what a real run deletes, and deletes nothing", async () => {
      hourly(100);
      const before = count("SELECT COUNT(*) AS n FROM assessments");
      const dry = await state.retention.prune({ ...NONE, assessmentsFullDays: 90 }, { dryRun: true });
      expect(dry.dryRun).to.equal(true);
      expect(count("SELECT COUNT(*) AS n FROM assessments")).to.equal(before);
      const real = await state.retention.prune({ ...NONE, assessmentsFullDays: 90 });
      expect(real.assessments).to.equal(dry.assessments).and.to.be.greaterThan(0);
      expect(count("SELECT COUNT(*) AS n FROM assessments")).to.equal(before - real.assessments);
    });

    it("past assessmentsDailyDays the history goes, but each protocol keeps its newest assessment", async () => {
      hourly(30);
      state.assessments.record([assessment("gone", NOW_SEC - 400 * DAY), assessment("gone", NOW_SEC - 399 * DAY)]);
      await state.retention.prune({ ...NONE, assessmentsFullDays: 10, assessmentsDailyDays: 20 });
      expect(count("SELECT COUNT(*) AS n FROM assessments WHERE assessed_at < ?", NOW_SEC - 21 * DAY)).to.equal(1);
      expect(state.assessments.latest("gone")?.assessedAt).to.equal(NOW_SEC - 399 * DAY);
      expect(count("SELECT COUNT(*) AS n FROM assessments WHERE protocol = 'aave' AND assessed_at >= ?", NOW_SEC - 10 * DAY)).to.equal(10 * 24);
    });

    it("deletes in batches, yielding between them, with the same outcome", async () => {
      hourly(100);
      const control = openStateDb(":memory:", { nowMs: () => clockMs });
      try {
        const rows = state.db.prepare("SELECT * FROM assessments ORDER BY id").all() as Record<string, unknown>[];
        const insert = control.db.prepare("INSERT INTO assessments (id, protocol, assessed_at, composite, category, confidence, assessment_json, created_at) VALUES (@id, @protocol, @assessed_at, @composite, @category, @confidence, @assessment_json, @created_at)");
        control.db.transaction(() => rows.forEach((r) => insert.run(r)))();
        let pauses = 0;
        const batched = await state.retention.prune({ ...NONE, assessmentsFullDays: 90, batchSize: 7 }, { pause: async () => void (pauses += 1) });
        const whole = await control.retention.prune({ ...NONE, assessmentsFullDays: 90 });
        expect(batched.assessments).to.equal(whole.assessments);
        expect(pauses).to.be.at.least(Math.floor(batched.assessments / 7) - 1);
        expect(state.db.prepare("SELECT id FROM assessments ORDER BY id").pluck().all()).to.deep.equal(control.db.prepare("SELECT id FROM assessments ORDER BY id").pluck().all());
      } finally {
        control.close();
      }
    });
  });

  describe("the journal", () => {
    let nonce = 0;
    /** An action of `kind` signed once, moved to `to`, settled `ageDays` ago. */
    function action(kind: string, key: string, to: "planned" | "sent" | "confirmed" | "failed-unmined" | "failed-reverted" | "reorged", ageDays: number): number {
      clockMs = (NOW_SEC - ageDays * DAY) * 1000;
      const entry = state.journal.plan({ kind, key, payload: { detail: { at: NOW_SEC - ageDays * DAY } } });
      nonce += 1;
      const facts = { hash: `0x${nonce.toString(16).padStart(64, "0")}`, nonce, maxFeePerGas: 10n, maxPriorityFeePerGas: 1n };
      state.journal.recordAttempt(entry.id, { ...facts, rawTx: `0x02raw${nonce}` });
      if (to !== "planned") state.journal.markSent(entry.id, { ...facts, sentBlock: 1 });
      if (to === "confirmed" || to === "reorged") state.journal.markConfirmed(entry.id, { hash: facts.hash, blockNumber: 2, gasUsed: 21_000n });
      if (to === "reorged") state.journal.markReorged(entry.id, "receipt gone");
      if (to === "failed-unmined") state.journal.markFailed(entry.id, "dropped from the mempool");
      if (to === "failed-reverted") state.journal.markFailed(entry.id, "reverted", { hash: facts.hash, blockNumber: 2, gasUsed: 30_000n });
      clockMs = NOW_SEC * 1000;
      return entry.id;
    }
    const raw = (id: number): string[] => state.journal.attempts(id, { allTries: true }).map((a) => a.rawTx);

    it("empties the raw bytes of settled actions after rawTxDays, never those of an action that may still be (re)signed", async () => {
      const oldConfirmed = action("file-claim", "claim:old", "confirmed", 40);
      const oldReverted = action("settle-claim", "settle:old", "failed-reverted", 40);
      const recentConfirmed = action("file-claim", "claim:recent", "confirmed", 5);
      const oldSent = action("report-incident", "halt:stuck", "sent", 40);
      const oldPlanned = action("file-claim", "claim:signed-not-sent", "planned", 40);
      const oldUnmined = action("buy-coverage", "buy:dropped", "failed-unmined", 40);
      const oldReorged = action("file-claim", "claim:reorged", "reorged", 40);

      const result = await state.retention.prune({ ...NONE, rawTxDays: 30 });

      expect(result.rawTxStripped).to.equal(2);
      expect(raw(oldConfirmed)).to.deep.equal([""]);
      expect(raw(oldReverted)).to.deep.equal([""]);
      for (const kept of [recentConfirmed, oldSent, oldPlanned, oldUnmined, oldReorged]) expect(raw(kept)[0]).to.match(/^0x02raw/);
      // The audit trail stays: hash, nonce and fees of the stripped attempt, the row itself.
      const [attempt] = state.journal.attempts(oldConfirmed, { allTries: true });
      expect(attempt?.hash).to.match(/^0x0+\d+$/);
      expect(state.journal.get(oldConfirmed).txHash).to.equal(attempt?.hash);
      // In-flight recovery still sees every unsettled attempt's bytes.
      expect(state.journal.inFlightAttempts().map((a) => a.rawTx)).to.have.length(2).and.not.include("");
    });

    it("deletes settled routine rows (risk pushes) after routineJournalDays with their attempts; claims, halts and purchases stay", async () => {
      const oldPush = action("risk-push", "risk-push:old", "confirmed", 400);
      const oldFailedPush = action("risk-push", "risk-push:old-failed", "failed-reverted", 400);
      const recentPush = action("risk-push", "risk-push:recent", "confirmed", 10);
      const stuckPush = action("risk-push", "risk-push:stuck", "sent", 400);
      const keep = [action("file-claim", "claim:1", "confirmed", 400), action("report-incident", "halt:1", "confirmed", 400), action("buy-coverage", "buy:1", "confirmed", 400), recentPush, stuckPush];

      const dry = await state.retention.prune({ ...NONE, routineJournalDays: 365 }, { dryRun: true });
      const result = await state.retention.prune({ ...NONE, routineJournalDays: 365 });

      expect(result.journalRows).to.equal(2);
      expect(dry.journalRows).to.equal(2);
      expect(result.txAttempts).to.equal(2);
      expect(() => state.journal.get(oldPush)).to.throw(/no entry/);
      expect(() => state.journal.get(oldFailedPush)).to.throw(/no entry/);
      expect(count("SELECT COUNT(*) AS n FROM tx_attempts WHERE action_id IN (?, ?)", oldPush, oldFailedPush)).to.equal(0);
      for (const id of keep) expect(state.journal.get(id).id).to.equal(id);
    });
  });

  describe("alerts", () => {
    it("drops delivered outbox entries after alertOutboxDays; undelivered ones stay however old", async () => {
      const oldMs = (NOW_SEC - 40 * DAY) * 1000;
      const delivered = state.alertOutbox.enqueue("k:old-sent", { severity: "info" }, ["log"], oldMs);
      state.alertOutbox.recordAttempt(delivered.id, ["log"], undefined, oldMs, oldMs);
      const pending = state.alertOutbox.enqueue("k:old-pending", { severity: "critical" }, ["slack"], oldMs);
      const recent = state.alertOutbox.enqueue("k:recent", { severity: "info" }, ["log"], clockMs);
      state.alertOutbox.recordAttempt(recent.id, ["log"], undefined, clockMs, clockMs);

      const result = await state.retention.prune({ ...NONE, alertOutboxDays: 30 });

      expect(result.alertOutbox).to.equal(1);
      expect(state.alertOutbox.get(delivered.id)).to.equal(undefined);
      expect(state.alertOutbox.get(pending.id)?.state).to.equal("pending");
      expect(state.alertOutbox.get(recent.id)?.state).to.equal("sent");
    });

    it("forgets the dedup memory of a key not delivered for alertLogDays, unless an alert of that key is still undelivered", async () => {
      const oldMs = (NOW_SEC - 100 * DAY) * 1000;
      state.alertLog.markDelivered("k:stale", oldMs);
      state.alertLog.markDelivered("k:stale-but-pending", oldMs);
      state.alertOutbox.enqueue("k:stale-but-pending", { severity: "critical" }, ["slack"], oldMs);
      state.alertLog.markDelivered("k:fresh", clockMs - 1000);

      const result = await state.retention.prune({ ...NONE, alertLogDays: 90 });

      expect(result.alertLog).to.equal(1);
      expect(state.db.prepare("SELECT alert_key FROM alert_log ORDER BY alert_key").pluck().all()).to.deep.equal(["k:fresh", "k:stale-but-pending"]);
    });
  });

  describe("watch signals", () => {
    it("drops old drain signals whose halt landed and whose protocol has no open incident; failed halts and open incidents keep theirs", async () => {
      const signal = (sourceId: string, protocolId: string, ageDays: number, status: string) => ({
        signal: { kind: "onchain-drain", protocolId, sourceId, occurredAt: NOW_SEC - ageDays * DAY },
        evidenceHash: "0x01",
        reported: { status },
      });
      state.kv.set("watch:signals", [
        signal("drain:old-landed", "aave", 200, "confirmed"),
        signal("drain:old-failed", "aave", 200, "failed"),
        signal("drain:old-open", "comp", 200, "confirmed"),
        signal("drain:recent", "aave", 10, "confirmed"),
      ]);
      state.incidents.record({ protocol: "comp", kind: "onchain-drain", detectedAt: NOW_SEC - 200 * DAY, dedupeKey: "drain:old-open", state: "confirmed" });

      const dry = await state.retention.prune({ ...NONE, watchSignalsDays: 180 }, { dryRun: true });
      expect(dry.watchSignalIds).to.deep.equal(["drain:old-landed"]);
      expect(state.kv.get<unknown[]>("watch:signals")).to.have.length(4);

      const result = await state.retention.prune({ ...NONE, watchSignalsDays: 180 });
      expect(result.watchSignalIds).to.deep.equal(["drain:old-landed"]);
      expect(state.kv.get<{ signal: { sourceId: string } }[]>("watch:signals")?.map((s) => s.signal.sourceId)).to.deep.equal(["drain:old-failed", "drain:old-open", "drain:recent"]);
    });
  });

  it("the defaults never touch incidents, their signals or claims", async () => {
    const { incident } = state.incidents.record({ protocol: "aave", kind: "hack", detectedAt: NOW_SEC - 900 * DAY, dedupeKey: "hack:1", state: "confirmed" });
    state.claims.schedule({ incidentId: incident.id, coverageId: "7", state: "paid" });
    const before = ["incidents", "incident_signals", "claims"].map((t) => count(`SELECT COUNT(*) AS n FROM ${t}`));
    await state.retention.prune(DEFAULT_RETENTION);
    expect(["incidents", "incident_signals", "claims"].map((t) => count(`SELECT COUNT(*) AS n FROM ${t}`))).to.deep.equal(before);
  });

  describe("dashboard reads", () => {
    it("risk history: every point when few, else at most maxPoints over the window with the newest last", () => {
      const batch: RiskAssessment[] = [];
      for (let t = NOW_SEC - 365 * DAY; t <= NOW_SEC; t += 3600) batch.push(assessment("aave", t, 10 + ((t / 3600) % 50)));
      state.assessments.record(batch);
      const since = NOW_SEC - 90 * DAY - 3600;
      const history = state.dashboard.riskHistory("aave", { days: 90, maxPoints: 240 });
      expect(history.length).to.be.at.most(240).and.at.least(200);
      expect(history[history.length - 1]?.assessedAt).to.equal(NOW_SEC);
      expect(history.every((a) => a.assessedAt >= since)).to.equal(true);
      expect(history.map((a) => a.assessedAt)).to.deep.equal([...history.map((a) => a.assessedAt)].sort((a, b) => a - b));
      // Fewer assessments than points: all of them (a newer protocol).
      state.assessments.record([5, 4, 3, 2, 1, 0].map((h) => assessment("young", NOW_SEC - h * 3600)));
      const few = state.dashboard.riskHistory("young", { days: 90, maxPoints: 240 });
      expect(few.map((a) => a.assessedAt)).to.deep.equal([5, 4, 3, 2, 1, 0].map((h) => NOW_SEC - h * 3600));
      expect(state.dashboard.riskHistory("nobody", { days: 90, maxPoints: 10 })).to.deep.equal([]);
      // The window ends at the newest assessment, not at the clock: a chain far ahead still shows it.
      state.assessments.record([assessment("stale", NOW_SEC - 400 * DAY), assessment("stale", NOW_SEC - 399 * DAY)]);
      expect(state.dashboard.riskHistory("stale", { days: 90, maxPoints: 10 })).to.have.length(2);
    });

    it("recent confirmed actions: the newest `limit`, oldest first", () => {
      for (let i = 0; i < 5; i += 1) {
        const e = state.journal.plan({ kind: "risk-push", key: `risk-push:${i}`, payload: { i } });
        const facts = { hash: `0x${(i + 1).toString(16).padStart(64, "0")}`, nonce: i, maxFeePerGas: 1n, maxPriorityFeePerGas: 1n };
        state.journal.recordAttempt(e.id, { ...facts, rawTx: "0x02" });
        state.journal.markSent(e.id, { ...facts, sentBlock: 1 });
        state.journal.markConfirmed(e.id, { hash: facts.hash, blockNumber: 2, gasUsed: 1n });
      }
      expect(state.dashboard.recentConfirmed("risk-push", 3).map((r) => (r.payload as { i: number }).i)).to.deep.equal([2, 3, 4]);
    });
  });

  it("retention's chain clock is the newest loop chain time (chainTimeSec; chainTime of older databases)", () => {
    expect(state.retention.lastChainTime()).to.equal(undefined);
    state.kv.set("loop:risk:lastSuccess", { chainTimeSec: 1_800_000_000, wallMs: 1 });
    state.kv.set("loop:coverage:lastSuccess", { chainTime: 1_800_000_500, wallMs: 1 });
    expect(state.retention.lastChainTime()).to.equal(1_800_000_500);
    state.kv.set("loop:incident:lastSuccess", { chainTimeSec: 1_800_001_000, wallMs: 1 });
    expect(state.retention.lastChainTime()).to.equal(1_800_001_000);
  });
});
