/** SQLite state: migrations, the single-daemon lock, the action journal and the repositories. */
import { expect } from "chai";
import { promises as fs } from "node:fs";
import os from "node:os";
import path from "node:path";
import Database from "better-sqlite3";
import {
  applyMigrations,
  DaemonLockError,
  IllegalTransitionError,
  MIGRATIONS,
  openStateDb,
  type StateDb,
} from "../../src/state";
import { recordingLogger } from "../sources/testDeps";
import { POSTGRES_MISSING, postgresBinDir, sharedPostgres } from "../helpers/postgres";

async function tempDbPath(): Promise<string> {
  const dir = await fs.mkdtemp(path.join(os.tmpdir(), "keeper-state-"));
  return path.join(dir, "nested", "keeper.sqlite");
}

describe("keeper state (SQLite)", () => {
  const opened: StateDb[] = [];
  const open = (file: string, nowMs?: () => number): StateDb => {
    const state = openStateDb(file, nowMs !== undefined ? { nowMs } : {});
    opened.push(state);
    return state;
  };
  afterEach(() => {
    for (const s of opened.splice(0)) s.close();
  });

  it("applies the migrations once, in WAL mode, and re-opening changes nothing", async () => {
    const file = await tempDbPath();
    const first = open(file);
    expect(first.schemaVersion).to.equal(Math.max(...MIGRATIONS.map((m) => m.version)));
    expect(first.db.pragma("journal_mode", { simple: true })).to.equal("wal");
    first.kv.set("loop:risk:lastSuccess", 123);
    first.close();

    const second = open(file);
    expect(second.schemaVersion).to.equal(Math.max(...MIGRATIONS.map((m) => m.version)));
    expect(applyMigrations(second.db as Database.Database)).to.deep.equal([]);
    expect(second.db.prepare("SELECT COUNT(*) AS n FROM schema_migrations").get()).to.deep.equal({ n: MIGRATIONS.length });
    expect(second.kv.get("loop:risk:lastSuccess")).to.equal(123);
  });

  it("rolls a failing migration back entirely", () => {
    const db = new Database(":memory:");
    try {
      const bad = [...MIGRATIONS, { version: 99, name: "broken", sql: "CREATE TABLE half (x INTEGER); SELECT * FROM missing_table;" }];
      expect(() => applyMigrations(db, bad)).to.throw(/missing_table/);
      const tables = db.prepare("SELECT name FROM sqlite_master WHERE type = 'table'").all() as { name: string }[];
      expect(tables.map((t) => t.name)).to.deep.equal(["schema_migrations"]);
    } finally {
      db.close();
    }
  });

  describe("daemon lock", () => {
    it("a second daemon on the same file refuses to start with a clear error", async () => {
      const file = await tempDbPath();
      const logger = recordingLogger();
      const first = open(file);
      first.acquireDaemonLock({ logger });
      const second = open(file);
      expect(() => second.acquireDaemonLock({ logger })).to.throw(DaemonLockError, /another keeper daemon holds the state database \(pid \d+ on .+, heartbeat 0s ago\)/);
      // Releasing (clean shutdown) lets the next daemon in.
      first.close();
      expect(() => second.acquireDaemonLock({ logger })).not.to.throw();
    });

    it("takes over a stale lock by heartbeat age alone, whatever the pid (containers reuse pids), and logs it", async () => {
      const file = await tempDbPath();
      let now = 1_000_000;
      const logger = recordingLogger();
      const crashed = open(file, () => now);
      crashed.acquireDaemonLock({ logger, pid: 1, hostname: "host-a" });
      // 119 s without a heartbeat: still held.
      now += 119_000;
      const next = open(file, () => now);
      expect(() => next.acquireDaemonLock({ logger, pid: 1, hostname: "host-a", staleAfterSec: 120 })).to.throw(DaemonLockError);
      // 10 minutes: taken over although "pid 1 on host-a" is alive (it is the new container's own pid).
      now += 600_000;
      const lock = next.acquireDaemonLock({ logger, pid: 1, hostname: "host-a", staleAfterSec: 120 });
      expect(lock.holder.pid).to.equal(1);
      expect(logger.entries.some((e) => e.level === "warn" && /stale daemon lock/.test(e.msg ?? "") && e.obj["stalePid"] === 1)).to.equal(true);
      const row = next.db.prepare("SELECT pid, heartbeat_at FROM daemon_lock").get();
      expect(row).to.deep.equal({ pid: 1, heartbeat_at: now });
    });

    it("the old holder loses the lock: its heartbeat throws and the heartbeat timer reports it once", async () => {
      const file = await tempDbPath();
      let now = 5_000_000;
      const logger = recordingLogger();
      const holder = open(file, () => now);
      const lock = holder.acquireDaemonLock({ logger, pid: 7, hostname: "h" });
      now += 100_000;
      lock.heartbeat();
      now += 100_000;
      const other = open(file, () => now);
      // Fresh heartbeat (100 s): kept.
      expect(() => other.acquireDaemonLock({ logger, hostname: "h", staleAfterSec: 120 })).to.throw(DaemonLockError);
      now += 300_000;
      other.acquireDaemonLock({ logger, hostname: "h", staleAfterSec: 120 });
      expect(() => lock.heartbeat()).to.throw(DaemonLockError, /taken over/);
      const lost: string[] = [];
      const stop = lock.startHeartbeat(5, (err) => lost.push(err.message));
      await new Promise((r) => setTimeout(r, 40));
      stop();
      expect(lost).to.have.length(1);
    });
  });

  describe("durability and tries", () => {
    it("opens file databases with synchronous=FULL and WAL; migrations 10+ are applied", async () => {
      const state = open(await tempDbPath());
      expect(state.db.pragma("synchronous", { simple: true })).to.equal(2); // FULL
      expect(state.db.pragma("journal_mode", { simple: true })).to.equal("wal");
      expect(state.schemaVersion).to.be.at.least(10);
    });

    it("migration 11: a version-10 database keeps its incidents, signals and claims, accepts 'resolved', and keeps its foreign keys", async () => {
      const file = await tempDbPath();
      await fs.mkdir(path.dirname(file), { recursive: true });
      const Database = (await import("better-sqlite3")).default;
      const raw = new Database(file);
      raw.pragma("foreign_keys = ON");
      applyMigrations(raw, MIGRATIONS.filter((m) => m.version <= 10));
      raw.prepare("INSERT INTO incidents (protocol, kind, detected_at, dedupe_key, created_at, state) VALUES ('aave-v3', 'manual', 1, 'manual:aave-v3:1', 1, 'confirmed')").run();
      raw.prepare("INSERT INTO incident_signals (incident_id, kind, source_id, occurred_at, observed_at, signal_json, created_at) VALUES (1, 'manual', 'manual:aave-v3:1', 1, 1, '{}', 1)").run();
      raw.prepare("INSERT INTO claims (incident_id, coverage_id, state, created_at, updated_at) VALUES (1, '7', 'filed', 1, 1)").run();
      expect(() => raw.prepare("UPDATE incidents SET state = 'resolved'").run()).to.throw(/CHECK/);
      raw.close();
      const state = open(file);
      expect(state.schemaVersion).to.be.at.least(11);
      state.incidents.apply([{ kind: "transition", key: "manual:aave-v3:1", from: "confirmed", to: "resolved", by: "operator", reason: "over" }], 2);
      expect(state.incidents.get(1)?.state).to.equal("resolved");
      expect(state.incidents.signals(1)).to.have.length(1);
      expect(state.claims.list().map((c) => [c.incidentId, c.state])).to.deep.equal([[1, "filed"]]);
      expect(state.db.pragma("foreign_keys", { simple: true })).to.equal(1);
      expect(() => state.db.prepare("INSERT INTO claims (incident_id, coverage_id, state, created_at, updated_at) VALUES (99, '8', 'filed', 1, 1)").run()).to.throw(/FOREIGN KEY/);
    });
  });
});

/** The repositories' behaviour, the same on both engines (PostgreSQL: a real server, keeper/test/helpers/postgres.ts). */
for (const backend of ["sqlite", "postgres"] as const) {
  describe(`keeper state repositories (${backend})`, function () {
    this.timeout(30_000);
    const opened: StateDb[] = [];
    let dbCounter = 0;
    let freshUrl = "";
    before(async function () {
      if (backend !== "postgres") return;
      if (postgresBinDir() === undefined) {
        console.log(`    ${POSTGRES_MISSING}`);
        this.skip();
      }
      await sharedPostgres();
    });
    // One fresh PostgreSQL database per test (CREATE DATABASE copies the template: fast).
    beforeEach(async function () {
      if (backend !== "postgres") return;
      dbCounter++;
      freshUrl = await (await sharedPostgres()).createDatabase(`repos_${process.pid}_${dbCounter}`);
    });
    const openBackend = (): StateDb => {
      const state = openStateDb(backend === "sqlite" ? ":memory:" : freshUrl);
      opened.push(state);
      return state;
    };
    afterEach(() => {
      for (const s of opened.splice(0)) s.close();
    });

    it("keeps alert dedup and the alert outbox, and applies incident state changes (open, attach, transition)", () => {
      const state = openBackend();
      expect(state.alertLog.deliveredWithin("k", 1000, 500)).to.deep.include({ send: true });
      state.alertLog.markDelivered("k", 1000);
      expect(state.alertLog.deliveredWithin("k", 1200, 500)).to.deep.include({ send: false, suppressed: 1 });
      const queued = state.alertOutbox.enqueue("k", { severity: "critical" }, ["slack", "pagerduty"], 1000);
      expect(state.alertOutbox.pendingOf("k")?.id).to.equal(queued.id);
      expect(state.alertOutbox.due(1000).map((e) => e.id)).to.deep.equal([queued.id]);
      state.alertOutbox.recordAttempt(queued.id, ["slack", "pagerduty"], undefined, 2000, 1001);
      expect(state.alertOutbox.pending()).to.deep.equal([]);
      const signal = { kind: "manual" as const, protocolId: "aave-v3", sourceId: "m1", occurredAt: 50, observedAt: 60, description: "drained" };
      const touched = state.incidents.apply(
        [
          { kind: "open", key: "manual:aave-v3:m1", protocolId: "aave-v3", state: "suspected", occurredAt: 50, signal },
          { kind: "attach", key: "manual:aave-v3:m1", signal: { ...signal, sourceId: "m2" }, occurredAt: 40 },
          { kind: "transition", key: "manual:aave-v3:m1", from: "suspected", to: "confirmed", by: "operator", reason: "seen" },
        ] as never,
        100,
      );
      const incident = touched.get("manual:aave-v3:m1");
      expect([incident?.state, incident?.occurredAt]).to.deep.equal(["confirmed", 40]);
      expect(state.incidents.signals(incident?.id as number).map((x) => x.sourceId)).to.have.members(["m1", "m2"]);
      expect(state.journal.list({ limit: 5 })).to.deep.equal([]);
    });

    describe("action journal", () => {
      it("moves planned → sent → replaced → confirmed, keeping every signed attempt", () => {
        const { journal } = openBackend();
        const entry = journal.plan({ kind: "buy", key: "buy:aave:1", payload: { amount: 10n } });
        expect(entry.state).to.equal("planned");
        expect(entry.payload).to.deep.equal({ amount: "10" });
        journal.recordAttempt(entry.id, { hash: "0xa1", nonce: 7, maxFeePerGas: 100n, maxPriorityFeePerGas: 2n, rawTx: "0x01" });
        const sent = journal.markSent(entry.id, { hash: "0xa1", nonce: 7, maxFeePerGas: 100n, maxPriorityFeePerGas: 2n, sentBlock: 50 });
        expect([sent.state, sent.txHash, sent.nonce, sent.maxFeePerGas]).to.deep.equal(["sent", "0xa1", 7, 100n]);
        journal.recordAttempt(entry.id, { hash: "0xa2", nonce: 7, maxFeePerGas: 113n, maxPriorityFeePerGas: 3n, rawTx: "0x02" });
        const replaced = journal.markReplaced(entry.id, "0xa1", { hash: "0xa2", nonce: 7, maxFeePerGas: 113n, maxPriorityFeePerGas: 3n, sentBlock: 53 });
        expect([replaced.state, replaced.txHash, replaced.replacedHashes]).to.deep.equal(["replaced", "0xa2", ["0xa1"]]);
        expect(journal.attempts(entry.id).map((a) => [a.hash, a.replacedBy])).to.deep.equal([
          ["0xa1", "0xa2"],
          ["0xa2", undefined],
        ]);
        const confirmed = journal.markConfirmed(entry.id, { hash: "0xa2", blockNumber: 54, gasUsed: 21_000n });
        expect([confirmed.state, confirmed.blockNumber, confirmed.gasUsed]).to.deep.equal(["confirmed", 54, 21_000n]);
        expect(journal.countsByState()).to.deep.equal({ confirmed: 1 });
      });

      it("refuses illegal transitions and re-plans only unsent or failed actions", () => {
        const { journal } = openBackend();
        const entry = journal.plan({ kind: "k", key: "once", payload: {} });
        journal.markSent(entry.id, { hash: "0xb1", nonce: 1, maxFeePerGas: 1n, maxPriorityFeePerGas: 1n, sentBlock: 1 });
        expect(() => journal.plan({ kind: "k", key: "once", payload: {} })).to.throw(IllegalTransitionError, /sent -> planned/);
        journal.markConfirmed(entry.id, { hash: "0xb1", blockNumber: 2, gasUsed: 1n });
        expect(() => journal.markFailed(entry.id, "late")).to.throw(IllegalTransitionError, /confirmed -> failed/);

        const retry = journal.plan({ kind: "k", key: "retry", payload: { n: 1 } });
        journal.markFailed(retry.id, "simulate: Reverted()");
        const again = journal.plan({ kind: "k", key: "retry", payload: { n: 2 } });
        expect([again.id, again.state, again.error, again.payload]).to.deep.equal([retry.id, "planned", undefined, { n: 2 }]);
      });
    });

    it("deduplicates incidents and never schedules one incident twice for a coverage", () => {
      const state = openBackend();
      const a = state.incidents.record({ protocol: "aave-v3", kind: "tvl-drop", detectedAt: 100, dedupeKey: "tvl-drop:aave-v3:1" });
      const b = state.incidents.record({ protocol: "aave-v3", kind: "tvl-drop", detectedAt: 200, dedupeKey: "tvl-drop:aave-v3:1" });
      expect([a.created, b.created, b.incident.id, b.incident.detectedAt]).to.deep.equal([true, false, a.incident.id, 100]);
      state.incidents.setEvidence(a.incident.id, "/tmp/e.json", `0x${"ab".repeat(32)}`);
      expect(state.incidents.get(a.incident.id)?.evidenceHash).to.equal(`0x${"ab".repeat(32)}`);
      expect(() => state.incidents.setEvidence(a.incident.id, "/tmp/e.json", "0x12")).to.throw(/not a keccak256/);

      const first = state.claims.schedule({ incidentId: a.incident.id, coverageId: "7", state: "scheduled", fileAfter: 500 });
      const dup = state.claims.schedule({ incidentId: a.incident.id, coverageId: "7", state: "scheduled", fileAfter: 900 });
      expect([first.created, dup.created, dup.claim.fileAfter]).to.deep.equal([true, false, 500]);
      const filed = state.claims.update(first.claim.id, { state: "filed", fundClaimId: "3" });
      expect([filed.state, filed.fundClaimId, filed.fileAfter]).to.deep.equal(["filed", "3", 500]);
      expect(() =>
        state.db.prepare("INSERT INTO claims (incident_id, coverage_id, state, created_at, updated_at) VALUES (?, '7', 'x', 0, 0)").run(a.incident.id),
      ).to.throw(/UNIQUE|unique constraint/);
    });

    it("keeps assessment and report history and small process state", () => {
      const state = openBackend();
      const assessment = (assessedAt: number, composite: number) => ({
        protocol: "0x01",
        assessedAt,
        components: { tvl: 1, audit: 2, time: 3, exploit: 4, team: 5 },
        composite,
        category: "LOW" as const,
        confidence: 100,
        missing: [],
      });
      state.assessments.record([assessment(10, 20), assessment(20, 25)]);
      expect(state.assessments.latest("0x01")?.composite).to.equal(25);
      expect(state.assessments.history("0x01", 15).map((a) => a.assessedAt)).to.deep.equal([20]);
      state.reports.record(1, { total: 1n });
      state.reports.record(2, { total: 2n });
      expect(state.reports.latest()).to.deep.include({ generatedAt: 2, report: { total: "2" } });
      state.kv.set("a", { x: 1 });
      state.kv.set("a", { x: 2 });
      expect(state.kv.all()).to.deep.equal({ a: { x: 2 } });
    });

      it("a retried action starts a new try: no hash, block or attempts of the failed try", () => {
        const { journal } = openBackend();
        const entry = journal.plan({ kind: "file-claim", key: "claim:x:1", payload: {} });
        journal.recordAttempt(entry.id, { hash: "0xold", nonce: 3, maxFeePerGas: 10n, maxPriorityFeePerGas: 1n, rawTx: "0x01" });
        journal.markSent(entry.id, { hash: "0xold", nonce: 3, maxFeePerGas: 10n, maxPriorityFeePerGas: 1n, sentBlock: 9 });
        journal.markFailed(entry.id, "reverted: FundClaimOpen", { hash: "0xold", blockNumber: 10, gasUsed: 50_000n });
        const retry = journal.plan({ kind: "file-claim", key: "claim:x:1", payload: {} });
        expect([retry.state, retry.try, retry.txHash, retry.blockNumber, retry.gasUsed, retry.nonce]).to.deep.equal(["planned", 2, undefined, undefined, undefined, undefined]);
        expect(journal.attempts(entry.id)).to.deep.equal([]);
        expect(journal.attempts(entry.id, { allTries: true }).map((a) => [a.hash, a.try])).to.deep.equal([["0xold", 1]]);
        journal.recordAttempt(entry.id, { hash: "0xnew", nonce: 4, maxFeePerGas: 10n, maxPriorityFeePerGas: 1n, rawTx: "0x02" });
        expect(journal.attempts(entry.id).map((a) => [a.hash, a.try])).to.deep.equal([["0xnew", 2]]);
        expect(journal.inFlightAttempts().map((a) => a.hash)).to.deep.equal(["0xnew"]);
      });
  });
}
