/** Detected incidents, deduplicated by a key the detector chooses (e.g. `tvl-drop:aave-v3:<day>`). */
import type { Database } from "better-sqlite3";

export interface IncidentRecord {
  readonly id: number;
  readonly protocol: string;
  readonly kind: string;
  /** Unix seconds (chain time). */
  readonly detectedAt: number;
  readonly dedupeKey: string;
  readonly evidencePath: string | undefined;
  /** keccak256 of the evidence file, 0x-prefixed. */
  readonly evidenceHash: string | undefined;
  readonly details: unknown;
  readonly createdAt: number;
}

interface IncidentRow {
  id: number;
  protocol: string;
  kind: string;
  detected_at: number;
  dedupe_key: string;
  evidence_path: string | null;
  evidence_hash: string | null;
  details_json: string;
  created_at: number;
}

export class IncidentRepository {
  constructor(private readonly db: Database, private readonly nowMs: () => number = Date.now) {}

  /** Inserts unless the dedupe key exists; `created` tells which. */
  record(incident: { protocol: string; kind: string; detectedAt: number; dedupeKey: string; details?: unknown }): {
    incident: IncidentRecord;
    created: boolean;
  } {
    const info = this.db
      .prepare(
        `INSERT OR IGNORE INTO incidents (protocol, kind, detected_at, dedupe_key, details_json, created_at)
         VALUES (?, ?, ?, ?, ?, ?)`,
      )
      .run(incident.protocol, incident.kind, incident.detectedAt, incident.dedupeKey, JSON.stringify(incident.details ?? {}), this.nowMs());
    const stored = this.byDedupeKey(incident.dedupeKey);
    if (stored === undefined) throw new Error(`incident ${incident.dedupeKey} vanished after insert`);
    return { incident: stored, created: info.changes === 1 };
  }

  setEvidence(id: number, evidencePath: string, evidenceHash: string): void {
    if (!/^0x[0-9a-fA-F]{64}$/.test(evidenceHash)) throw new Error(`incident ${id}: evidence hash ${evidenceHash} is not a keccak256`);
    this.db.prepare("UPDATE incidents SET evidence_path = ?, evidence_hash = ? WHERE id = ?").run(evidencePath, evidenceHash, id);
  }

  byDedupeKey(key: string): IncidentRecord | undefined {
    const row = this.db.prepare("SELECT * FROM incidents WHERE dedupe_key = ?").get(key) as IncidentRow | undefined;
    return row === undefined ? undefined : toIncident(row);
  }

  get(id: number): IncidentRecord | undefined {
    const row = this.db.prepare("SELECT * FROM incidents WHERE id = ?").get(id) as IncidentRow | undefined;
    return row === undefined ? undefined : toIncident(row);
  }

  list(filter: { protocol?: string } = {}): IncidentRecord[] {
    const rows = (
      filter.protocol === undefined
        ? this.db.prepare("SELECT * FROM incidents ORDER BY detected_at, id").all()
        : this.db.prepare("SELECT * FROM incidents WHERE protocol = ? ORDER BY detected_at, id").all(filter.protocol)
    ) as IncidentRow[];
    return rows.map(toIncident);
  }
}

function toIncident(row: IncidentRow): IncidentRecord {
  return {
    id: row.id,
    protocol: row.protocol,
    kind: row.kind,
    detectedAt: row.detected_at,
    dedupeKey: row.dedupe_key,
    evidencePath: row.evidence_path ?? undefined,
    evidenceHash: row.evidence_hash ?? undefined,
    details: JSON.parse(row.details_json) as unknown,
    createdAt: row.created_at,
  };
}
