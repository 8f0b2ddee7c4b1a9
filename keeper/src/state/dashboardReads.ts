/**
 * The dashboard's reads, bounded: whatever the history holds, one refresh reads at most
 * `maxPoints` assessments per protocol (downsampled over the window: the newest of each time
 * bucket) and the newest `limit` journal rows of a kind. Plain SQL (integer division for the
 * buckets), indexed by `assessments (protocol, assessed_at)` and `action_journal (kind, state, id)`.
 */
import type { SqlConnection as Database, SqlStatement as Statement } from "./sql";
import type { RiskAssessment } from "../scoring/types";

export interface RiskHistoryWindow {
  /**
   * Days of history ending at the protocol's newest assessment (its chain time: the window does
   * not empty on a fork or a time-travelled chain whose clock moved past the assessments).
   * The start is rounded down to the hour, so the window holds still between risk cycles.
   */
  readonly days: number;
  /** At most this many points (≥ 1). */
  readonly maxPoints: number;
}

export interface RecentAction {
  readonly payload: unknown;
  readonly txHash: string | undefined;
  readonly updatedAt: number;
}

export class DashboardReads {
  /**
   * The last answer per protocol, with the window's shape it was read from (count, first and
   * last time, newest id, read from the index alone): the daemon refreshes the dashboard after
   * every cycle, while a protocol gets a new assessment once per risk cycle, so most refreshes
   * cost one index probe per protocol. Any insert or delete in the window changes the shape.
   */
  private readonly memo = new Map<string, { shape: string; history: readonly RiskAssessment[] }>();

  private readonly actionsMemo = new Map<string, { shape: string; actions: readonly RecentAction[] }>();

  /** Statements prepared once (a refresh runs them for every protocol). */
  private readonly statements = new Map<string, Statement>();

  constructor(private readonly db: Database) {}

  private prepared(sql: string): Statement {
    let statement = this.statements.get(sql);
    if (statement === undefined) {
      statement = this.db.prepare(sql);
      this.statements.set(sql, statement);
    }
    return statement;
  }

  /**
   * Oldest first: every assessment in the window when they are at most `maxPoints`, else the
   * newest of each of `maxPoints` equal time buckets (the last point is always the newest one).
   */
  riskHistory(protocol: string, window: RiskHistoryWindow): readonly RiskAssessment[] {
    const maxPoints = Math.max(1, Math.floor(window.maxPoints));
    const newest = this.prepared("SELECT MAX(assessed_at) AS hi FROM assessments WHERE protocol = ?").get(protocol) as { hi: number | null };
    if (newest.hi === null) return [];
    const sinceSec = Math.floor((newest.hi - window.days * 86_400) / 3600) * 3600;
    const span = this
      .prepared("SELECT COUNT(*) AS n, MIN(assessed_at) AS lo, MAX(assessed_at) AS hi, MAX(id) AS top FROM assessments WHERE protocol = ? AND assessed_at >= ?")
      .get(protocol, sinceSec) as { n: number; lo: number | null; hi: number | null; top: number | null };
    if (span.n === 0 || span.lo === null || span.hi === null) return [];
    const shape = `${sinceSec}:${maxPoints}:${span.n}:${span.lo}:${span.hi}:${span.top ?? ""}`;
    const memo = this.memo.get(protocol);
    if (memo?.shape === shape) return memo.history;
    const history = this.readHistory(protocol, sinceSec, maxPoints, { n: span.n, lo: span.lo, hi: span.hi });
    this.memo.set(protocol, { shape, history });
    return history;
  }

  private readHistory(protocol: string, sinceSec: number, maxPoints: number, span: { n: number; lo: number; hi: number }): RiskAssessment[] {
    let rows: { assessment_json: string }[];
    if (span.n <= maxPoints) {
      rows = this
        .prepared("SELECT assessment_json FROM assessments WHERE protocol = ? AND assessed_at >= ? ORDER BY assessed_at, id")
        .all(protocol, sinceSec) as { assessment_json: string }[];
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
        .all(protocol, sinceSec) as { assessment_json: string }[];
    }
    return rows.map((r) => JSON.parse(r.assessment_json) as RiskAssessment);
  }

  /** The newest `limit` confirmed actions of `kind`, oldest first (remembered until a confirmed row of the kind comes or goes). */
  recentConfirmed(kind: string, limit: number): readonly RecentAction[] {
    const probe = this.prepared("SELECT COUNT(*) AS n, MAX(id) AS top FROM action_journal WHERE kind = ? AND state = 'confirmed'").get(kind) as { n: number; top: number | null };
    const shape = `${limit}:${probe.n}:${probe.top ?? ""}`;
    const memo = this.actionsMemo.get(kind);
    if (memo?.shape === shape) return memo.actions;
    const actions = this.readRecentConfirmed(kind, limit);
    this.actionsMemo.set(kind, { shape, actions });
    return actions;
  }

  private readRecentConfirmed(kind: string, limit: number): RecentAction[] {
    const rows = this
      .prepared("SELECT payload_json, tx_hash, updated_at FROM action_journal WHERE kind = ? AND state = 'confirmed' ORDER BY id DESC LIMIT ?")
      .all(kind, Math.max(0, Math.floor(limit))) as { payload_json: string; tx_hash: string | null; updated_at: number }[];
    return rows.reverse().map((r) => ({ payload: JSON.parse(r.payload_json) as unknown, txHash: r.tx_hash ?? undefined, updatedAt: r.updated_at }));
  }
}
