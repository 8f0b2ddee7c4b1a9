/**
 * Claims the keeper schedules and files: one row per (incident, coverage) — the UNIQUE constraint
 * is what guarantees one incident is never filed twice for one coverage.
 */
import type { SqlConnection as Database } from "./sql";

export type ClaimState = string;

export interface ClaimRecord {
  readonly id: number;
  readonly incidentId: number;
  readonly coverageId: string;
  readonly fundClaimId: string | undefined;
  readonly providerClaimId: string | undefined;
  readonly state: ClaimState;
  /** Unix seconds: earliest filing time (provider waiting rule). */
  readonly fileAfter: number | undefined;
  readonly details: unknown;
  readonly createdAt: number;
  readonly updatedAt: number;
}

interface ClaimRow {
  id: number;
  incident_id: number;
  coverage_id: string;
  fund_claim_id: string | null;
  provider_claim_id: string | null;
  state: string;
  file_after: number | null;
  details_json: string;
  created_at: number;
  updated_at: number;
}

export class ClaimRepository {
  constructor(private readonly db: Database, private readonly nowMs: () => number = Date.now) {}

  /** Schedules a claim unless one exists for this incident and coverage; `created` tells which. */
  schedule(claim: { incidentId: number; coverageId: string; state: ClaimState; fileAfter?: number; details?: unknown }): {
    claim: ClaimRecord;
    created: boolean;
  } {
    const now = this.nowMs();
    const info = this.db
      .prepare(
        `INSERT INTO claims (incident_id, coverage_id, state, file_after, details_json, created_at, updated_at)
         VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING`,
      )
      .run(claim.incidentId, claim.coverageId, claim.state, claim.fileAfter ?? null, JSON.stringify(claim.details ?? {}), now, now);
    const stored = this.byIncidentAndCoverage(claim.incidentId, claim.coverageId);
    if (stored === undefined) throw new Error(`claim (${claim.incidentId}, ${claim.coverageId}) vanished after insert`);
    return { claim: stored, created: info.changes === 1 };
  }

  /** A claim that vanished in a reorg: back to `scheduled`, its fund claim id forgotten, so it is filed again. */
  reopenVanished(id: number, reason: string): void {
    const current = this.get(id);
    if (current === undefined) throw new Error(`claims: no claim ${id}`);
    this.db
      .prepare("UPDATE claims SET state = 'scheduled', fund_claim_id = NULL, details_json = ?, updated_at = ? WHERE id = ?")
      .run(JSON.stringify({ ...(current.details as Record<string, unknown>), reason, vanishedClaimId: current.fundClaimId }), this.nowMs(), id);
  }

  update(id: number, change: { state?: ClaimState; fundClaimId?: string; providerClaimId?: string; details?: unknown }): ClaimRecord {
    const current = this.get(id);
    if (current === undefined) throw new Error(`claims: no claim ${id}`);
    this.db
      .prepare(
        `UPDATE claims SET state = ?, fund_claim_id = ?, provider_claim_id = ?, details_json = ?, updated_at = ? WHERE id = ?`,
      )
      .run(
        change.state ?? current.state,
        change.fundClaimId ?? current.fundClaimId ?? null,
        change.providerClaimId ?? current.providerClaimId ?? null,
        JSON.stringify(change.details ?? current.details),
        this.nowMs(),
        id,
      );
    return this.get(id) as ClaimRecord;
  }

  get(id: number): ClaimRecord | undefined {
    const row = this.db.prepare("SELECT * FROM claims WHERE id = ?").get(id) as ClaimRow | undefined;
    return row === undefined ? undefined : toClaim(row);
  }

  byIncidentAndCoverage(incidentId: number, coverageId: string): ClaimRecord | undefined {
    const row = this.db.prepare("SELECT * FROM claims WHERE incident_id = ? AND coverage_id = ?").get(incidentId, coverageId) as
      | ClaimRow
      | undefined;
    return row === undefined ? undefined : toClaim(row);
  }

  list(filter: { states?: readonly ClaimState[]; coverageId?: string } = {}): ClaimRecord[] {
    const rows = this.db.prepare("SELECT * FROM claims ORDER BY id").all() as ClaimRow[];
    return rows
      .map(toClaim)
      .filter((c) => (filter.states === undefined || filter.states.includes(c.state)) && (filter.coverageId === undefined || c.coverageId === filter.coverageId));
  }
}

function toClaim(row: ClaimRow): ClaimRecord {
  return {
    id: row.id,
    incidentId: row.incident_id,
    coverageId: row.coverage_id,
    fundClaimId: row.fund_claim_id ?? undefined,
    providerClaimId: row.provider_claim_id ?? undefined,
    state: row.state,
    fileAfter: row.file_after ?? undefined,
    details: JSON.parse(row.details_json) as unknown,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
  };
}
