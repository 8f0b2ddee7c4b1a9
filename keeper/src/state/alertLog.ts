/**
 * Alert deduplication memory: per alert key, when it was last delivered and how many times it
 * was suppressed since. Kept in the state database so a cron `keeper once` dedups too.
 */
import type { SqlConnection as Database } from "./sql";

export interface AlertGate {
  /** Deliver now? */
  readonly send: boolean;
  /** Occurrences suppressed since the last delivery (reported with the next delivered one). */
  readonly suppressed: number;
  /** Every occurrence of this key, delivered or not. */
  readonly total: number;
}

export class AlertLogRepository {
  constructor(private readonly db: Database) {}

  /**
   * Dedup over *delivered* alerts: whether a delivery of `key` lies within `intervalMs` (then this
   * occurrence is counted as suppressed). Nothing is marked delivered here: `markDelivered` does,
   * once a sink acknowledged.
   */
  deliveredWithin(key: string, nowMs: number, intervalMs: number): AlertGate {
    const run = this.db.transaction((): AlertGate => {
      const row = this.db.prepare("SELECT last_sent_ms, suppressed, total FROM alert_log WHERE alert_key = ?").get(key) as
        | { last_sent_ms: number; suppressed: number; total: number }
        | undefined;
      if (row === undefined || row.last_sent_ms <= 0 || nowMs - row.last_sent_ms >= intervalMs) return { send: true, suppressed: row?.suppressed ?? 0, total: (row?.total ?? 0) + 1 };
      this.db.prepare("UPDATE alert_log SET suppressed = suppressed + 1, total = total + 1 WHERE alert_key = ?").run(key);
      return { send: false, suppressed: row.suppressed + 1, total: row.total + 1 };
    });
    return run.immediate();
  }

  /** Records a delivery of `key` (a sink acknowledged it); the suppressed count starts again. */
  markDelivered(key: string, nowMs: number): void {
    this.db
      .prepare("INSERT INTO alert_log (alert_key, last_sent_ms, suppressed, total) VALUES (?, ?, 0, 1) ON CONFLICT (alert_key) DO UPDATE SET last_sent_ms = excluded.last_sent_ms, suppressed = 0")
      .run(key, nowMs);
  }
}
