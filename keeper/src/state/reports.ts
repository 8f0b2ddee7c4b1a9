/** Coverage report history (JSON as the report module produced it). */
import type { SqlConnection as Database } from "./sql";
import { toJson } from "./actionJournal";

export interface StoredReport {
  readonly id: number;
  /** Unix seconds (chain time) of the report. */
  readonly generatedAt: number;
  readonly report: unknown;
}

export class ReportRepository {
  constructor(private readonly db: Database, private readonly nowMs: () => number = Date.now) {}

  record(generatedAt: number, report: unknown): number {
    const inserted = this.db
      .prepare("INSERT INTO reports (generated_at, report_json, created_at) VALUES (?, ?, ?) RETURNING id")
      .get(generatedAt, toJson(report), this.nowMs()) as { id: number };
    return inserted.id;
  }

  latest(): StoredReport | undefined {
    return this.history(1)[0];
  }

  /** Newest first. */
  history(limit = 20): StoredReport[] {
    const rows = this.db.prepare("SELECT * FROM reports ORDER BY generated_at DESC, id DESC LIMIT ?").all(limit) as {
      id: number;
      generated_at: number;
      report_json: string;
    }[];
    return rows.map((r) => ({ id: r.id, generatedAt: r.generated_at, report: JSON.parse(r.report_json) as unknown }));
  }
}
