/** History of risk assessments per protocol (full JSON plus the columns reports filter on). */
import type { SqlConnection as Database } from "./sql";
import type { RiskAssessment } from "../scoring/types";

export class AssessmentRepository {
  constructor(private readonly db: Database, private readonly nowMs: () => number = Date.now) {}

  /** Stores a batch in one transaction. */
  record(assessments: readonly RiskAssessment[]): void {
    const insert = this.db.prepare(
      `INSERT INTO assessments (protocol, assessed_at, composite, category, confidence, assessment_json, created_at)
       VALUES (?, ?, ?, ?, ?, ?, ?)`,
    );
    const now = this.nowMs();
    this.db.transaction(() => {
      for (const a of assessments) insert.run(a.protocol, a.assessedAt, a.composite, a.category, a.confidence, JSON.stringify(a), now);
    })();
  }

  latest(protocol: string): RiskAssessment | undefined {
    const row = this.db
      .prepare("SELECT assessment_json FROM assessments WHERE protocol = ? ORDER BY assessed_at DESC, id DESC LIMIT 1")
      .get(protocol) as { assessment_json: string } | undefined;
    return row === undefined ? undefined : (JSON.parse(row.assessment_json) as RiskAssessment);
  }

  /** Oldest first, assessed at or after `since` (unix seconds). */
  history(protocol: string, since = 0): RiskAssessment[] {
    const rows = this.db
      .prepare("SELECT assessment_json FROM assessments WHERE protocol = ? AND assessed_at >= ? ORDER BY assessed_at, id")
      .all(protocol, since) as { assessment_json: string }[];
    return rows.map((r) => JSON.parse(r.assessment_json) as RiskAssessment);
  }
}
