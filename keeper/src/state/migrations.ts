/**
 * Numbered schema migrations of the keeper's SQLite state. Append only: never edit a released
 * step, add the next number. `applyMigrations` runs every pending step in one transaction.
 * PostgreSQL (pgMigrations.ts) starts from the schema these steps build up to `PG_BASELINE_VERSION`
 * and applies later steps from the same list (their `postgres` text where the dialects differ).
 */
import type { Database } from "better-sqlite3";

export interface Migration {
  readonly version: number;
  readonly name: string;
  readonly sql: string;
  /** A table rebuild: foreign keys are switched off around the transaction and checked before it commits. */
  readonly foreignKeysOff?: boolean;
  /**
   * The step on PostgreSQL, where it differs from `sql` (migrations after `PG_BASELINE_VERSION`
   * only; without it the SQLite text runs through `sqliteDdlToPostgres`).
   */
  readonly postgres?: string;
}

export const MIGRATIONS: readonly Migration[] = [
  {
    version: 1,
    name: "initial schema",
    sql: `
      CREATE TABLE assessments (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        protocol TEXT NOT NULL,
        assessed_at INTEGER NOT NULL,
        composite INTEGER NOT NULL,
        category TEXT NOT NULL,
        confidence INTEGER NOT NULL,
        assessment_json TEXT NOT NULL,
        created_at INTEGER NOT NULL
      );
      CREATE INDEX assessments_protocol_time ON assessments (protocol, assessed_at);

      CREATE TABLE action_journal (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        kind TEXT NOT NULL,
        idempotency_key TEXT NOT NULL UNIQUE,
        payload_json TEXT NOT NULL,
        state TEXT NOT NULL CHECK (state IN ('planned', 'sent', 'replaced', 'confirmed', 'failed')),
        tx_hash TEXT,
        nonce INTEGER,
        max_fee_per_gas TEXT,
        max_priority_fee_per_gas TEXT,
        sent_block INTEGER,
        replaced_hashes_json TEXT NOT NULL DEFAULT '[]',
        block_number INTEGER,
        gas_used TEXT,
        error TEXT,
        created_at INTEGER NOT NULL,
        updated_at INTEGER NOT NULL
      );
      CREATE INDEX action_journal_state ON action_journal (state);

      CREATE TABLE tx_attempts (
        hash TEXT PRIMARY KEY,
        action_id INTEGER NOT NULL REFERENCES action_journal (id),
        nonce INTEGER NOT NULL,
        max_fee_per_gas TEXT NOT NULL,
        max_priority_fee_per_gas TEXT NOT NULL,
        raw_tx TEXT NOT NULL,
        replaced_by TEXT,
        created_at INTEGER NOT NULL
      );
      CREATE INDEX tx_attempts_action ON tx_attempts (action_id);

      CREATE TABLE incidents (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        protocol TEXT NOT NULL,
        kind TEXT NOT NULL,
        detected_at INTEGER NOT NULL,
        dedupe_key TEXT NOT NULL UNIQUE,
        evidence_path TEXT,
        evidence_hash TEXT,
        details_json TEXT NOT NULL DEFAULT '{}',
        created_at INTEGER NOT NULL
      );

      CREATE TABLE claims (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        incident_id INTEGER NOT NULL REFERENCES incidents (id),
        coverage_id TEXT NOT NULL,
        fund_claim_id TEXT,
        provider_claim_id TEXT,
        state TEXT NOT NULL,
        file_after INTEGER,
        details_json TEXT NOT NULL DEFAULT '{}',
        created_at INTEGER NOT NULL,
        updated_at INTEGER NOT NULL,
        UNIQUE (incident_id, coverage_id)
      );

      CREATE TABLE reports (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        generated_at INTEGER NOT NULL,
        report_json TEXT NOT NULL,
        created_at INTEGER NOT NULL
      );

      CREATE TABLE kv (
        key TEXT PRIMARY KEY,
        value_json TEXT NOT NULL,
        updated_at INTEGER NOT NULL
      );

      CREATE TABLE daemon_lock (
        id INTEGER PRIMARY KEY CHECK (id = 1),
        pid INTEGER NOT NULL,
        hostname TEXT NOT NULL,
        token TEXT NOT NULL,
        started_at INTEGER NOT NULL,
        heartbeat_at INTEGER NOT NULL
      );
    `,
  },
  // Versions 10–19 belong to incidents, claims and the journal's tries (claims-truth).
  {
    version: 10,
    name: "incident states and signals, journal tries, alert dedup",
    sql: `
      ALTER TABLE incidents ADD COLUMN state TEXT NOT NULL DEFAULT 'confirmed'
        CHECK (state IN ('suspected', 'confirmed', 'dismissed'));
      ALTER TABLE incidents ADD COLUMN occurred_at INTEGER;
      ALTER TABLE incidents ADD COLUMN opened_at INTEGER;
      ALTER TABLE incidents ADD COLUMN state_by TEXT NOT NULL DEFAULT 'signal';
      ALTER TABLE incidents ADD COLUMN state_reason TEXT;
      ALTER TABLE incidents ADD COLUMN state_changed_at INTEGER;
      ALTER TABLE incidents ADD COLUMN halt_reported_at INTEGER;
      ALTER TABLE incidents ADD COLUMN dismiss_alerted_at INTEGER;
      UPDATE incidents SET occurred_at = COALESCE(json_extract(details_json, '$.occurredAt'), detected_at),
                           opened_at = detected_at, state_changed_at = detected_at;

      CREATE TABLE incident_signals (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        incident_id INTEGER NOT NULL REFERENCES incidents (id),
        kind TEXT NOT NULL,
        source_id TEXT NOT NULL,
        occurred_at INTEGER NOT NULL,
        observed_at INTEGER NOT NULL,
        signal_json TEXT NOT NULL,
        created_at INTEGER NOT NULL,
        UNIQUE (kind, source_id)
      );
      CREATE INDEX incident_signals_incident ON incident_signals (incident_id);
      INSERT INTO incident_signals (incident_id, kind, source_id, occurred_at, observed_at, signal_json, created_at)
        SELECT id, kind, dedupe_key, occurred_at, detected_at, details_json, created_at FROM incidents;

      ALTER TABLE action_journal ADD COLUMN try INTEGER NOT NULL DEFAULT 1;
      ALTER TABLE tx_attempts ADD COLUMN try INTEGER NOT NULL DEFAULT 1;

      CREATE TABLE alert_log (
        alert_key TEXT PRIMARY KEY,
        last_sent_ms INTEGER NOT NULL,
        suppressed INTEGER NOT NULL DEFAULT 0,
        total INTEGER NOT NULL DEFAULT 1
      );
    `,
  },
  {
    version: 11,
    name: "incident state 'resolved'",
    // SQLite cannot ALTER a CHECK: the table is rebuilt (sqlite.org/lang_altertable.html, the
    // 12-step procedure) with foreign keys off; `applyMigrations` checks them before committing.
    foreignKeysOff: true,
    sql: `
      CREATE TABLE incidents_v11 (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        protocol TEXT NOT NULL,
        kind TEXT NOT NULL,
        detected_at INTEGER NOT NULL,
        dedupe_key TEXT NOT NULL UNIQUE,
        evidence_path TEXT,
        evidence_hash TEXT,
        details_json TEXT NOT NULL DEFAULT '{}',
        created_at INTEGER NOT NULL,
        state TEXT NOT NULL DEFAULT 'confirmed' CHECK (state IN ('suspected', 'confirmed', 'dismissed', 'resolved')),
        occurred_at INTEGER,
        opened_at INTEGER,
        state_by TEXT NOT NULL DEFAULT 'signal',
        state_reason TEXT,
        state_changed_at INTEGER,
        halt_reported_at INTEGER,
        dismiss_alerted_at INTEGER
      );
      INSERT INTO incidents_v11 (id, protocol, kind, detected_at, dedupe_key, evidence_path, evidence_hash, details_json, created_at, state, occurred_at, opened_at,
                                 state_by, state_reason, state_changed_at, halt_reported_at, dismiss_alerted_at)
        SELECT id, protocol, kind, detected_at, dedupe_key, evidence_path, evidence_hash, details_json, created_at, state, occurred_at, opened_at,
               state_by, state_reason, state_changed_at, halt_reported_at, dismiss_alerted_at FROM incidents;
      DROP TABLE incidents;
      ALTER TABLE incidents_v11 RENAME TO incidents;
    `,
  },
  {
    version: 12,
    name: "durable alert outbox; dedup counts delivered alerts only",
    sql: `
      CREATE TABLE alert_outbox (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        alert_key TEXT NOT NULL,
        severity TEXT NOT NULL,
        alert_json TEXT NOT NULL,
        state TEXT NOT NULL CHECK (state IN ('pending', 'sent')),
        sinks_json TEXT NOT NULL DEFAULT '[]',
        acked_json TEXT NOT NULL DEFAULT '[]',
        attempts INTEGER NOT NULL DEFAULT 0,
        next_attempt_ms INTEGER NOT NULL,
        last_error TEXT,
        escalated_ms INTEGER,
        created_ms INTEGER NOT NULL,
        sent_ms INTEGER
      );
      CREATE INDEX alert_outbox_pending ON alert_outbox (state, next_attempt_ms);
      CREATE INDEX alert_outbox_key ON alert_outbox (alert_key, state);
    `,
  },
  {
    version: 13,
    name: "signing lock per key and chain, with a fencing token",
    sql: `
      CREATE TABLE signing_lock (
        chain_id INTEGER NOT NULL,
        address TEXT NOT NULL,
        fence INTEGER NOT NULL,
        holder TEXT NOT NULL,
        pid INTEGER NOT NULL,
        hostname TEXT NOT NULL,
        started_at INTEGER NOT NULL,
        heartbeat_at INTEGER NOT NULL,
        PRIMARY KEY (chain_id, address)
      );
    `,
  },
  {
    version: 14,
    name: "journal index by kind and state (bounded dashboard reads, budget history, retention)",
    sql: `
      CREATE INDEX action_journal_kind_state ON action_journal (kind, state, id);
      CREATE INDEX alert_outbox_sent ON alert_outbox (state, sent_ms);
    `,
  },
];

/** Applies the pending migrations in one transaction; returns the versions applied (none when up to date). */
export function applyMigrations(db: Database, migrations: readonly Migration[] = MIGRATIONS, nowMs: number = Date.now()): number[] {
  db.exec(`CREATE TABLE IF NOT EXISTS schema_migrations (
    version INTEGER PRIMARY KEY,
    name TEXT NOT NULL,
    applied_at INTEGER NOT NULL
  )`);
  const sorted = [...migrations].sort((a, b) => a.version - b.version);
  const apply = db.transaction((): number[] => {
    const done = new Set(
      (db.prepare("SELECT version FROM schema_migrations").all() as { version: number }[]).map((r) => r.version),
    );
    const applied: number[] = [];
    for (const migration of sorted) {
      if (done.has(migration.version)) continue;
      db.exec(migration.sql);
      db.prepare("INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)").run(
        migration.version,
        migration.name,
        nowMs,
      );
      applied.push(migration.version);
    }
    if (rebuild) {
      const violations = db.pragma("foreign_key_check") as unknown[];
      if (violations.length > 0) throw new Error(`migration left ${violations.length} foreign-key violation(s): ${JSON.stringify(violations.slice(0, 3))}`);
    }
    return applied;
  });
  // A table rebuild needs foreign keys off, which SQLite only switches outside a transaction.
  const pending = new Set((db.prepare("SELECT version FROM schema_migrations").all() as { version: number }[]).map((r) => r.version));
  const rebuild = sorted.some((m) => m.foreignKeysOff === true && !pending.has(m.version));
  const foreignKeys = db.pragma("foreign_keys", { simple: true }) as number;
  if (rebuild && foreignKeys === 1) db.pragma("foreign_keys = OFF");
  try {
    return apply.immediate();
  } finally {
    if (rebuild && foreignKeys === 1) db.pragma("foreign_keys = ON");
  }
}

export function schemaVersion(db: Database): number {
  const row = db.prepare("SELECT MAX(version) AS v FROM schema_migrations").get() as { v: number | null } | undefined;
  return row?.v ?? 0;
}
