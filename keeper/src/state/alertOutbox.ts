/**
 * The durable alert outbox: an alert is stored before any sink is tried, retried with backoff
 * until every sink it is routed to acknowledged it, and survives restarts. `sent` only once every
 * sink acknowledged. Dedup (alertLog) counts *delivered* alerts only.
 */
import type { SqlConnection as Database } from "./sql";

/** The stored alert (the alerting layer's `Alert`; the state layer sees only its severity). */
export interface OutboxAlert {
  readonly severity: string;
}

export interface OutboxEntry {
  readonly id: number;
  readonly key: string;
  readonly alert: OutboxAlert;
  readonly state: "pending" | "sent";
  /** Sink names the alert is routed to. */
  readonly sinks: readonly string[];
  /** Sink names that acknowledged it. */
  readonly acked: readonly string[];
  readonly attempts: number;
  readonly nextAttemptMs: number;
  readonly lastError: string | undefined;
  readonly escalatedMs: number | undefined;
  readonly createdMs: number;
  readonly sentMs: number | undefined;
}

interface Row {
  id: number;
  alert_key: string;
  severity: string;
  alert_json: string;
  state: "pending" | "sent";
  sinks_json: string;
  acked_json: string;
  attempts: number;
  next_attempt_ms: number;
  last_error: string | null;
  escalated_ms: number | null;
  created_ms: number;
  sent_ms: number | null;
}

function toEntry(r: Row): OutboxEntry {
  return {
    id: r.id,
    key: r.alert_key,
    alert: JSON.parse(r.alert_json) as OutboxAlert,
    state: r.state,
    sinks: JSON.parse(r.sinks_json) as string[],
    acked: JSON.parse(r.acked_json) as string[],
    attempts: r.attempts,
    nextAttemptMs: r.next_attempt_ms,
    lastError: r.last_error ?? undefined,
    escalatedMs: r.escalated_ms ?? undefined,
    createdMs: r.created_ms,
    sentMs: r.sent_ms ?? undefined,
  };
}

export class AlertOutboxRepository {
  constructor(private readonly db: Database) {}

  enqueue(key: string, alert: OutboxAlert, sinks: readonly string[], nowMs: number): OutboxEntry {
    const inserted = this.db
      .prepare("INSERT INTO alert_outbox (alert_key, severity, alert_json, state, sinks_json, next_attempt_ms, created_ms) VALUES (?, ?, ?, 'pending', ?, ?, ?) RETURNING id")
      .get(key, alert.severity, JSON.stringify(alert), JSON.stringify(sinks), nowMs, nowMs) as { id: number };
    return this.get(inserted.id) as OutboxEntry;
  }

  get(id: number): OutboxEntry | undefined {
    const row = this.db.prepare("SELECT * FROM alert_outbox WHERE id = ?").get(id) as Row | undefined;
    return row === undefined ? undefined : toEntry(row);
  }

  /** A pending entry of the key (an alert not yet delivered: a repeat joins it, not the queue). */
  pendingOf(key: string): OutboxEntry | undefined {
    const row = this.db.prepare("SELECT * FROM alert_outbox WHERE alert_key = ? AND state = 'pending' ORDER BY id LIMIT 1").get(key) as Row | undefined;
    return row === undefined ? undefined : toEntry(row);
  }

  /** Pending entries whose next attempt is due, oldest first. */
  due(nowMs: number, limit = 100): OutboxEntry[] {
    return (this.db.prepare("SELECT * FROM alert_outbox WHERE state = 'pending' AND next_attempt_ms <= ? ORDER BY id LIMIT ?").all(nowMs, limit) as Row[]).map(toEntry);
  }

  pending(): OutboxEntry[] {
    return (this.db.prepare("SELECT * FROM alert_outbox WHERE state = 'pending' ORDER BY id").all() as Row[]).map(toEntry);
  }

  list(): OutboxEntry[] {
    return (this.db.prepare("SELECT * FROM alert_outbox ORDER BY id").all() as Row[]).map(toEntry);
  }

  /** Records an attempt: the sinks that acknowledged so far; `sent` when every sink did. */
  recordAttempt(id: number, acked: readonly string[], error: string | undefined, nextAttemptMs: number, nowMs: number): OutboxEntry {
    const entry = this.get(id);
    if (entry === undefined) throw new Error(`alert outbox: no entry ${id}`);
    const all = [...new Set([...entry.acked, ...acked])];
    const done = entry.sinks.every((s) => all.includes(s));
    this.db
      .prepare("UPDATE alert_outbox SET acked_json = ?, attempts = attempts + 1, last_error = ?, next_attempt_ms = ?, state = ?, sent_ms = ? WHERE id = ?")
      .run(JSON.stringify(all), error ?? null, nextAttemptMs, done ? "sent" : "pending", done ? nowMs : null, id);
    return this.get(id) as OutboxEntry;
  }

  markEscalated(id: number, nowMs: number): void {
    this.db.prepare("UPDATE alert_outbox SET escalated_ms = ? WHERE id = ?").run(nowMs, id);
  }
}
