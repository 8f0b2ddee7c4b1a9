/**
 * The dashboard's reads, bounded: whatever the history holds, one refresh reads at most
 * `maxPoints` assessments per protocol (downsampled over the window: the newest of each time
 * bucket) and the newest `limit` journal rows of a kind. Plain SQL (integer division for the
 * buckets), indexed by `assessments (protocol, assessed_at)`.
 */
import type { Database } from "better-sqlite3";
import type { RiskAssessment } from "../scoring/types";

export interface RiskHistoryWindow {
  /** Unix seconds: assessments at or after this time. */
  readonly sinceSec: number;
  /** At most this many points (≥ 1). */
  readonly maxPoints: number;
}

export interface RecentAction {
  readonly payload: unknown;
  readonly txHash: string | undefined;
  readonly updatedAt: number;
}

export class DashboardReads {
  constructor(private readonly db: Database) {}

  /**
   * Oldest first: every assessment in the window when they are at most `maxPoints`, else the
   * newest of each of `maxPoints` equal time buckets (the last point is always the newest one).
   */
  riskHistory(protocol: string, window: RiskHistoryWindow): RiskAssessment[] {
    const maxPoints = Math.max(1, Math.floor(window.maxPoints));
    const span = this.db
      .prepare("SELECT COUNT(*) AS n, MIN(assessed_at) AS lo, MAX(assessed_at) AS hi FROM assessments WHERE protocol = ? AND assessed_at >= ?")
      .get(protocol, window.sinceSec) as { n: number; lo: number | null; hi: number | null };
    if (span.n === 0 || span.lo === null || span.hi === null) return [];
    let rows: { assessment_json: string }[];
    if (span.n <= maxPoints) {
      rows = this.db
        .prepare("SELECT assessment_json FROM assessments WHERE protocol = ? AND assessed_at >= ? ORDER BY assessed_at, id")
        .all(protocol, window.sinceSec) as { assessment_json: string }[];
    } else {
      // Buckets counted back from the newest, so the newest assessment closes the last bucket.
      // Integers written into the SQL: a bound JS number is a REAL, and REAL division does not bucket.
      const bucket = Math.max(1, Math.ceil((span.hi - span.lo + 1) / maxPoints));
      const hi = Math.trunc(span.hi);
      rows = this.db
        .prepare(
          `SELECT assessment_json FROM assessments WHERE id IN (
             SELECT MAX(id) FROM assessments WHERE protocol = ? AND assessed_at >= ? GROUP BY (${hi} - assessed_at) / ${bucket})
           ORDER BY assessed_at, id`,
        )
        .all(protocol, window.sinceSec) as { assessment_json: string }[];
    }
    return rows.map((r) => JSON.parse(r.assessment_json) as RiskAssessment);
  }

  /** The newest `limit` confirmed actions of `kind`, oldest first. */
  recentConfirmed(kind: string, limit: number): RecentAction[] {
    const rows = this.db
      .prepare("SELECT payload_json, tx_hash, updated_at FROM action_journal WHERE kind = ? AND state = 'confirmed' ORDER BY id DESC LIMIT ?")
      .all(kind, Math.max(0, Math.floor(limit))) as { payload_json: string; tx_hash: string | null; updated_at: number }[];
    return rows.reverse().map((r) => ({ payload: JSON.parse(r.payload_json) as unknown, txHash: r.tx_hash ?? undefined, updatedAt: r.updated_at }));
  }
}
