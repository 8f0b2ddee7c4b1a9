/**
 * Incidents and the signals attached to them. An incident is keyed by the identity of the
 * signal that opened it; every signal (kind + sourceId) is stored once, ever — so a signal seen
 * again (an edited feed row, the same TVL drop next tick) never opens a second incident.
 * State changes come from the pure state machine (`policy/incidents.ts`) as `IncidentChange`s
 * and are applied here in one transaction.
 */
import type { SqlConnection as Database } from "./sql";
import type { IncidentChange, IncidentView } from "../policy/incidents";
import type { IncidentSignal, IncidentState } from "../policy/incidentSignals";

export interface IncidentRecord {
  readonly id: number;
  readonly protocol: string;
  /** Kind of the signal that opened it. */
  readonly kind: string;
  /** Unix seconds (chain time) the incident was opened. */
  readonly detectedAt: number;
  readonly dedupeKey: string;
  readonly state: IncidentState;
  /** Earliest occurrence among its signals (the claim's `incidentAt`). */
  readonly occurredAt: number;
  readonly openedAt: number;
  /** "signal:<kind>", "signals:<kind>+<kind>", "operator", "timeout" or "horizon". */
  readonly stateBy: string;
  readonly stateReason: string | undefined;
  readonly stateChangedAt: number | undefined;
  /** Chain time `fund.reportIncident` was confirmed (or found already active on chain). */
  readonly haltReportedAt: number | undefined;
  readonly dismissAlertedAt: number | undefined;
  readonly evidencePath: string | undefined;
  /** keccak256 of the evidence file, 0x-prefixed. */
  readonly evidenceHash: string | undefined;
  /** The opening signal. */
  readonly details: unknown;
  readonly createdAt: number;
}

export interface StoredSignal {
  readonly id: number;
  readonly incidentId: number;
  readonly kind: string;
  readonly sourceId: string;
  readonly occurredAt: number;
  readonly observedAt: number;
  readonly signal: IncidentSignal;
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
  state: IncidentState;
  occurred_at: number | null;
  opened_at: number | null;
  state_by: string;
  state_reason: string | null;
  state_changed_at: number | null;
  halt_reported_at: number | null;
  dismiss_alerted_at: number | null;
}

interface SignalRow {
  id: number;
  incident_id: number;
  kind: string;
  source_id: string;
  occurred_at: number;
  observed_at: number;
  signal_json: string;
}

export class IncidentRepository {
  constructor(private readonly db: Database, private readonly nowMs: () => number = Date.now) {}

  /**
   * Inserts a ready-made incident unless its key exists (tests, legacy callers); its details are
   * stored as its first signal. `created` tells which.
   */
  record(incident: { protocol: string; kind: string; detectedAt: number; dedupeKey: string; details?: unknown; state?: IncidentState }): {
    incident: IncidentRecord;
    created: boolean;
  } {
    const details = (incident.details ?? {}) as { occurredAt?: unknown };
    const occurredAt = typeof details.occurredAt === "number" ? details.occurredAt : incident.detectedAt;
    const run = this.db.transaction(() => {
      const inserted = this.db
        .prepare(
          `INSERT INTO incidents (protocol, kind, detected_at, dedupe_key, details_json, created_at, state, occurred_at, opened_at, state_by, state_changed_at)
           VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING RETURNING id`,
        )
        .get(
          incident.protocol,
          incident.kind,
          incident.detectedAt,
          incident.dedupeKey,
          JSON.stringify(incident.details ?? {}),
          this.nowMs(),
          incident.state ?? "confirmed",
          occurredAt,
          incident.detectedAt,
          `signal:${incident.kind}`,
          incident.detectedAt,
        ) as { id: number } | undefined;
      if (inserted !== undefined) {
        this.db
          .prepare(
            `INSERT INTO incident_signals (incident_id, kind, source_id, occurred_at, observed_at, signal_json, created_at) VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING`,
          )
          .run(inserted.id, incident.kind, incident.dedupeKey, occurredAt, incident.detectedAt, JSON.stringify(incident.details ?? {}), this.nowMs());
      }
      return inserted !== undefined;
    });
    const created = run.immediate();
    const stored = this.byDedupeKey(incident.dedupeKey);
    if (stored === undefined) throw new Error(`incident ${incident.dedupeKey} vanished after insert`);
    return { incident: stored, created };
  }

  /** Applies the state machine's changes in one transaction; returns the incidents touched, by key. */
  apply(changes: readonly IncidentChange[], now: number): Map<string, IncidentRecord> {
    const run = this.db.transaction(() => {
      for (const change of changes) {
        if (change.kind === "open") {
          const inserted = this.db
            .prepare(
              `INSERT INTO incidents (protocol, kind, detected_at, dedupe_key, details_json, created_at, state, occurred_at, opened_at, state_by, state_reason, state_changed_at)
               VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING RETURNING id`,
            )
            .get(
              change.protocolId,
              change.signal.kind,
              now,
              change.key,
              JSON.stringify(change.signal),
              this.nowMs(),
              change.state,
              change.occurredAt,
              now,
              `signal:${change.signal.kind}`,
              change.signal.description,
              now,
            ) as { id: number } | undefined;
          if (inserted !== undefined) this.insertSignal(inserted.id, change.signal);
        } else if (change.kind === "attach") {
          const target = this.byDedupeKey(change.key);
          if (target === undefined) throw new Error(`incident ${change.key}: no such incident to attach a signal to`);
          this.insertSignal(target.id, change.signal);
          this.db.prepare("UPDATE incidents SET occurred_at = ? WHERE id = ?").run(change.occurredAt, target.id);
        } else if (change.kind === "refused") {
          // Nothing to store: the signal opened its own incident (the "open" change before this one).
        } else {
          const info = this.db
            .prepare("UPDATE incidents SET state = ?, state_by = ?, state_reason = ?, state_changed_at = ? WHERE dedupe_key = ? AND state = ?")
            .run(change.to, change.by, change.reason, now, change.key, change.from);
          if (info.changes !== 1) throw new Error(`incident ${change.key}: not in state ${change.from} (concurrent change?)`);
        }
      }
    });
    run.immediate();
    const touched = new Map<string, IncidentRecord>();
    for (const change of changes) {
      if (change.kind === "refused") continue;
      const record = this.byDedupeKey(change.key);
      if (record !== undefined) touched.set(change.key, record);
    }
    return touched;
  }

  setHaltReported(id: number, at: number): void {
    this.db.prepare("UPDATE incidents SET halt_reported_at = ? WHERE id = ?").run(at, id);
  }

  setDismissAlerted(id: number, at: number): void {
    this.db.prepare("UPDATE incidents SET dismiss_alerted_at = ? WHERE id = ?").run(at, id);
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

  list(filter: { protocol?: string; states?: readonly IncidentState[] } = {}): IncidentRecord[] {
    const rows = (
      filter.protocol === undefined
        ? this.db.prepare("SELECT * FROM incidents ORDER BY detected_at, id").all()
        : this.db.prepare("SELECT * FROM incidents WHERE protocol = ? ORDER BY detected_at, id").all(filter.protocol)
    ) as IncidentRow[];
    return rows.map(toIncident).filter((i) => filter.states === undefined || filter.states.includes(i.state));
  }

  signals(incidentId: number): StoredSignal[] {
    const rows = this.db.prepare("SELECT * FROM incident_signals WHERE incident_id = ? ORDER BY occurred_at, id").all(incidentId) as SignalRow[];
    return rows.map((r) => ({
      id: r.id,
      incidentId: r.incident_id,
      kind: r.kind,
      sourceId: r.source_id,
      occurredAt: r.occurred_at,
      observedAt: r.observed_at,
      signal: JSON.parse(r.signal_json) as IncidentSignal,
    }));
  }

  /** Every incident with its signals, as the state machine takes them. */
  views(): IncidentView[] {
    return this.list().map((i) => ({
      key: i.dedupeKey,
      protocolId: i.protocol,
      state: i.state,
      occurredAt: i.occurredAt,
      openedAt: i.openedAt,
      stateBy: i.stateBy,
      signals: this.signals(i.id).map((s) => ({ kind: s.kind as IncidentSignal["kind"], sourceId: s.sourceId, occurredAt: s.occurredAt })),
    }));
  }

  private insertSignal(incidentId: number, signal: IncidentSignal): void {
    this.db
      .prepare(
        `INSERT INTO incident_signals (incident_id, kind, source_id, occurred_at, observed_at, signal_json, created_at) VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING`,
      )
      .run(incidentId, signal.kind, signal.sourceId, signal.occurredAt, signal.observedAt, JSON.stringify(signal), this.nowMs());
  }
}

function toIncident(row: IncidentRow): IncidentRecord {
  return {
    id: row.id,
    protocol: row.protocol,
    kind: row.kind,
    detectedAt: row.detected_at,
    dedupeKey: row.dedupe_key,
    state: row.state,
    occurredAt: row.occurred_at ?? row.detected_at,
    openedAt: row.opened_at ?? row.detected_at,
    stateBy: row.state_by,
    stateReason: row.state_reason ?? undefined,
    stateChangedAt: row.state_changed_at ?? undefined,
    haltReportedAt: row.halt_reported_at ?? undefined,
    dismissAlertedAt: row.dismiss_alerted_at ?? undefined,
    evidencePath: row.evidence_path ?? undefined,
    evidenceHash: row.evidence_hash ?? undefined,
    details: JSON.parse(row.details_json) as unknown,
    createdAt: row.created_at,
  };
}
