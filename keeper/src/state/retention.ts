/**
 * Retention: what the state database may forget, and what it never forgets.
 *
 * Grows forever without it: assessments (one per protocol per risk cycle), the journal and the
 * raw bytes of every signed transaction, the alert outbox and dedup log, the exploit watch's
 * stored drain signals. Each rule below drops or compacts only what no claim, audit or restart
 * needs:
 *
 *  - assessments older than `assessmentsFullDays` are compacted to the last one per protocol per
 *    UTC day; older than `assessmentsDailyDays` (0 = never) they go, except each protocol's newest.
 *  - raw signed bytes (`tx_attempts.raw_tx`) of SETTLED actions (confirmed, or failed with the
 *    transaction mined and reverted — its nonce is spent, the same bytes can never be signed
 *    again) are emptied `rawTxDays` after the action settled; hash, nonce and fees stay. Every
 *    signed transaction of an unsettled action (planned, sent, replaced, or failed unmined — a
 *    retry may re-sign the same bytes) is kept.
 *  - settled journal rows of routine kinds (`risk-push`, `approve`, `expire-coverages`) go after
 *    `routineJournalDays`, with their attempts. Claims, halts and premium purchases (the budget's
 *    history) are never deleted.
 *  - delivered alert outbox entries after `alertOutboxDays`; dedup memory of an alert key not
 *    delivered for `alertLogDays` (never a key with an undelivered alert).
 *  - stored drain signals (kv `watch:signals`) older than `watchSignalsDays`, unless their halt
 *    failed (retried every tick) or their protocol has an open (suspected/confirmed) incident.
 *  - never: incidents and their signals, claims, reports, kv, locks — the evidence of every claim.
 *
 * Deletes run in batches of `batchSize` rows, one short transaction each, yielding to the event
 * loop between batches so a daemon keeps serving. Plain SQL (integer division for the day bucket,
 * no SQLite-only functions), so the rules port to another engine unchanged.
 */
import { dialectOf, type SqlConnection as Database } from "./sql";

const DAY_SEC = 86_400;
const DAY_MS = DAY_SEC * 1000;

/** Journal kinds whose settled rows may go (routine; the chain has them). */
export const ROUTINE_JOURNAL_KINDS = ["risk-push", "approve", "expire-coverages"] as const;

export interface RetentionPolicy {
  /** Assessments at full resolution for this many days, then one per protocol per day (0 = never compact). */
  readonly assessmentsFullDays: number;
  /** Daily assessments kept this many days (0 = forever); each protocol's newest always stays. */
  readonly assessmentsDailyDays: number;
  /** Raw signed bytes of settled actions kept this many days after they settled (0 = forever). */
  readonly rawTxDays: number;
  /** Settled routine journal rows kept this many days (0 = forever). */
  readonly routineJournalDays: number;
  /** Delivered alert outbox entries kept this many days (0 = forever). */
  readonly alertOutboxDays: number;
  /** Dedup memory of an alert key not delivered for this many days is dropped (0 = forever). */
  readonly alertLogDays: number;
  /** Stored drain signals kept this many days (0 = forever; failed halts and open incidents always stay). */
  readonly watchSignalsDays: number;
  /** Rows per delete batch (one transaction each). */
  readonly batchSize: number;
}

export const DEFAULT_RETENTION: RetentionPolicy = {
  assessmentsFullDays: 90,
  assessmentsDailyDays: 0,
  rawTxDays: 30,
  routineJournalDays: 365,
  alertOutboxDays: 30,
  alertLogDays: 90,
  watchSignalsDays: 180,
  batchSize: 2000,
};

export interface PruneCounts {
  /** Assessments deleted (compaction to daily, then the daily horizon). */
  readonly assessments: number;
  /** Attempts whose raw bytes were emptied. */
  readonly rawTxStripped: number;
  /** Routine journal rows deleted (their attempts with them). */
  readonly journalRows: number;
  readonly txAttempts: number;
  readonly alertOutbox: number;
  readonly alertLog: number;
  readonly watchSignals: number;
}

export interface PruneResult extends PruneCounts {
  readonly dryRun: boolean;
  /** Source ids of the drain signals dropped from kv `watch:signals` (the running watch forgets them too). */
  readonly watchSignalIds: readonly string[];
  readonly tookMs: number;
  /** Bytes in use (pages minus free pages) before and after; a file shrinks only with `vacuum`. */
  readonly bytesBefore: number;
  readonly bytesAfter: number;
}

export interface PruneOptions {
  /** Wall clock (the journal's and the alerts' timestamps). */
  readonly nowMs: number;
  /**
   * Chain time, unix seconds (assessments and drain signals carry chain time; on a fork or a
   * time-travelled chain it is not the wall clock). Default: `nowMs`.
   */
  readonly chainNowSec?: number;
  /** Count only: nothing is changed. */
  readonly dryRun?: boolean;
  /** Called between batches (default: yield to the event loop). */
  readonly pause?: () => Promise<void>;
}

/** SQLite pages in use × page size (the data, without free pages); on PostgreSQL the database's size. */
export function usedBytes(db: Database): number {
  if (dialectOf(db) === "postgres") return (db.prepare("SELECT pg_database_size(current_database()) AS n").get() as { n: number }).n;
  const pages = db.pragma("page_count", { simple: true }) as number;
  const free = db.pragma("freelist_count", { simple: true }) as number;
  const size = db.pragma("page_size", { simple: true }) as number;
  return (pages - free) * size;
}

const yieldToEventLoop = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

/** Applies the retention rules once; returns what each rule removed (or would remove, dry run). */
export async function pruneState(db: Database, policy: RetentionPolicy, options: PruneOptions): Promise<PruneResult> {
  const started = Date.now();
  const dryRun = options.dryRun === true;
  const pause = options.pause ?? yieldToEventLoop;
  const batch = Math.max(1, Math.floor(policy.batchSize));
  const nowSec = options.chainNowSec ?? Math.floor(options.nowMs / 1000);
  const bytesBefore = usedBytes(db);

  /** Deletes `table` rows whose `id` the selector returns, a batch per transaction (dry run: counts). */
  const deleteSelected = async (table: string, idColumn: string, selectIds: string, args: readonly unknown[]): Promise<number> => {
    if (dryRun) return (db.prepare(`SELECT COUNT(*) AS n FROM (${selectIds}) AS doomed`).get(...args) as { n: number }).n;
    const select = db.prepare(`${selectIds} LIMIT ${batch}`).pluck();
    let total = 0;
    for (;;) {
      const ids = select.all(...args) as (number | string)[];
      if (ids.length === 0) break;
      const del = db.prepare(`DELETE FROM ${table} WHERE ${idColumn} IN (${ids.map(() => "?").join(", ")})`);
      db.transaction(() => del.run(...ids))();
      total += ids.length;
      if (ids.length < batch) break;
      await pause();
    }
    return total;
  };

  // Assessments: compaction to one per protocol per UTC day before a day-aligned cutoff.
  let assessments = 0;
  if (policy.assessmentsFullDays > 0) {
    const cutoff = dayStart(nowSec - policy.assessmentsFullDays * DAY_SEC);
    assessments += await deleteSelected(
      "assessments",
      "id",
      `SELECT id FROM assessments WHERE assessed_at < ? AND id NOT IN (
         SELECT MAX(id) FROM assessments WHERE assessed_at < ? GROUP BY protocol, assessed_at / ${DAY_SEC})`,
      [cutoff, cutoff],
    );
  }
  if (policy.assessmentsDailyDays > 0) {
    const cutoff = dayStart(nowSec - policy.assessmentsDailyDays * DAY_SEC);
    assessments += await deleteSelected(
      "assessments",
      "id",
      "SELECT id FROM assessments WHERE assessed_at < ? AND id NOT IN (SELECT MAX(id) FROM assessments GROUP BY protocol)",
      [cutoff],
    );
  }

  // Raw bytes of settled actions (a reorged-then-failed action is not settled: it may be re-signed).
  let rawTxStripped = 0;
  if (policy.rawTxDays > 0) {
    const settled = `SELECT id FROM action_journal WHERE updated_at < ? AND (state = 'confirmed'
      OR (state = 'failed' AND block_number IS NOT NULL AND (error IS NULL OR error NOT LIKE 'reorged:%')))`;
    const cutoffMs = options.nowMs - policy.rawTxDays * DAY_MS;
    const selectHashes = `SELECT hash FROM tx_attempts WHERE raw_tx <> '' AND action_id IN (${settled})`;
    if (dryRun) {
      rawTxStripped = (db.prepare(`SELECT COUNT(*) AS n FROM (${selectHashes}) AS doomed`).get(cutoffMs) as { n: number }).n;
    } else {
      const select = db.prepare(`${selectHashes} LIMIT ${batch}`).pluck();
      for (;;) {
        const hashes = select.all(cutoffMs) as string[];
        if (hashes.length === 0) break;
        const strip = db.prepare(`UPDATE tx_attempts SET raw_tx = '' WHERE hash IN (${hashes.map(() => "?").join(", ")})`);
        db.transaction(() => strip.run(...hashes))();
        rawTxStripped += hashes.length;
        if (hashes.length < batch) break;
        await pause();
      }
    }
  }

  // Settled routine journal rows, attempts first (foreign key).
  let journalRows = 0;
  let txAttempts = 0;
  if (policy.routineJournalDays > 0) {
    const cutoffMs = options.nowMs - policy.routineJournalDays * DAY_MS;
    const kinds = ROUTINE_JOURNAL_KINDS.map((k) => `'${k}'`).join(", ");
    const doomed = `SELECT id FROM action_journal WHERE kind IN (${kinds}) AND state IN ('confirmed', 'failed') AND updated_at < ?`;
    txAttempts = await deleteSelected("tx_attempts", "hash", `SELECT hash FROM tx_attempts WHERE action_id IN (${doomed})`, [cutoffMs]);
    // Its attempts are gone now (a dry run deleted nothing, so it counts the rows alone).
    journalRows = await deleteSelected("action_journal", "id", dryRun ? doomed : `${doomed} AND id NOT IN (SELECT action_id FROM tx_attempts)`, [cutoffMs]);
  }

  let alertOutbox = 0;
  if (policy.alertOutboxDays > 0) {
    const cutoffMs = options.nowMs - policy.alertOutboxDays * DAY_MS;
    alertOutbox = await deleteSelected("alert_outbox", "id", "SELECT id FROM alert_outbox WHERE state = 'sent' AND COALESCE(sent_ms, created_ms) < ?", [cutoffMs]);
  }

  let alertLog = 0;
  if (policy.alertLogDays > 0) {
    const cutoffMs = options.nowMs - policy.alertLogDays * DAY_MS;
    alertLog = await deleteSelected(
      "alert_log",
      "alert_key",
      "SELECT alert_key FROM alert_log WHERE last_sent_ms < ? AND alert_key NOT IN (SELECT alert_key FROM alert_outbox WHERE state = 'pending')",
      [cutoffMs],
    );
  }

  const watchSignalIds = policy.watchSignalsDays > 0 ? pruneWatchSignals(db, nowSec - policy.watchSignalsDays * DAY_SEC, dryRun, options.nowMs) : [];

  return {
    dryRun,
    assessments,
    rawTxStripped,
    journalRows,
    txAttempts,
    alertOutbox,
    alertLog,
    watchSignals: watchSignalIds.length,
    watchSignalIds,
    tookMs: Date.now() - started,
    bytesBefore,
    bytesAfter: usedBytes(db),
  };
}

/** Rewrites the database file without its free pages (the file shrinks). Blocks while it runs. */
export function vacuum(db: Database): void {
  db.exec("VACUUM");
}

/** The exploit watch's stored drain signals (kv `watch:signals`), as far as retention reads them. */
interface StoredDrainSignalShape {
  readonly signal?: { readonly protocolId?: unknown; readonly occurredAt?: unknown; readonly sourceId?: unknown };
  readonly reported?: { readonly status?: unknown };
}

const WATCH_SIGNALS_KEY = "watch:signals";

/** Drops old drain signals from kv `watch:signals`; returns the dropped signals' source ids. */
function pruneWatchSignals(db: Database, cutoffSec: number, dryRun: boolean, nowMs: number): string[] {
  const row = db.prepare("SELECT value_json FROM kv WHERE key = ?").get(WATCH_SIGNALS_KEY) as { value_json: string } | undefined;
  if (row === undefined) return [];
  const stored = JSON.parse(row.value_json) as StoredDrainSignalShape[];
  if (!Array.isArray(stored)) return [];
  const open = new Set(
    (db.prepare("SELECT DISTINCT protocol FROM incidents WHERE state IN ('suspected', 'confirmed')").pluck().all() as string[]),
  );
  const kept = stored.filter((s) => {
    const at = s.signal?.occurredAt;
    if (typeof at !== "number" || at >= cutoffSec) return true;
    if (s.reported?.status === "failed") return true;
    return typeof s.signal?.protocolId === "string" && open.has(s.signal.protocolId);
  });
  const dropped = stored.filter((s) => !kept.includes(s)).map((s) => String(s.signal?.sourceId ?? ""));
  if (dropped.length > 0 && !dryRun) {
    db.prepare("UPDATE kv SET value_json = ?, updated_at = ? WHERE key = ?").run(JSON.stringify(kept), nowMs, WATCH_SIGNALS_KEY);
  }
  return dropped;
}

function dayStart(sec: number): number {
  return Math.floor(sec / DAY_SEC) * DAY_SEC;
}

/** One log line's worth of a prune result. */
export function pruneSummary(r: PruneResult): string {
  return (
    `${r.dryRun ? "would prune" : "pruned"}: assessments=${r.assessments} rawTx=${r.rawTxStripped} journal=${r.journalRows} attempts=${r.txAttempts} ` +
    `outbox=${r.alertOutbox} alertLog=${r.alertLog} watchSignals=${r.watchSignals} (${r.tookMs} ms; ${r.bytesBefore} → ${r.bytesAfter} bytes in use)`
  );
}

/** The state database's retention rules as a repository (`state.retention`). */
export class RetentionRepository {
  constructor(private readonly db: Database, private readonly nowMs: () => number = Date.now) {}

  prune(policy: RetentionPolicy = DEFAULT_RETENTION, options: Partial<PruneOptions> = {}): Promise<PruneResult> {
    return pruneState(this.db, policy, { ...options, nowMs: options.nowMs ?? this.nowMs() });
  }

  /** The newest chain time a loop recorded (kv `loop:*:lastSuccess`), if any: retention's clock for chain-time rows. */
  lastChainTime(): number | undefined {
    const rows = this.db.prepare("SELECT value_json FROM kv WHERE key IN ('loop:risk:lastSuccess', 'loop:coverage:lastSuccess', 'loop:incident:lastSuccess')").pluck().all() as string[];
    const times = rows
      .map((r) => {
        // `chainTimeSec` (unix seconds); `chainTime` in databases written before the rename.
        const v = JSON.parse(r) as { chainTimeSec?: unknown; chainTime?: unknown };
        return v.chainTimeSec ?? v.chainTime;
      })
      .filter((t): t is number => typeof t === "number");
    return times.length > 0 ? Math.max(...times) : undefined;
  }

  usedBytes(): number {
    return usedBytes(this.db);
  }

  vacuum(): void {
    vacuum(this.db);
  }
}
