/**
 * The keeper's SQLite state: `openStateDb(path)` opens (WAL, synchronous=FULL, busy timeout), migrates and hands
 * out one repository per concern. `:memory:` for tests and dry runs.
 */
import Database from "better-sqlite3";
import type { Database as Db } from "better-sqlite3";
import { mkdirSync } from "node:fs";
import path from "node:path";
import type { Logger } from "../lib/logger";
import { ActionJournal } from "./actionJournal";
import { AlertLogRepository } from "./alertLog";
import { AlertOutboxRepository } from "./alertOutbox";
import { AssessmentRepository } from "./assessments";
import { ClaimRepository } from "./claims";
import { DashboardReads } from "./dashboardReads";
import { acquireDaemonLock, type DaemonLock, type DaemonLockOptions, type SignerIdentity } from "./daemonLock";
import { IncidentRepository } from "./incidents";
import { KvRepository } from "./kv";
import { applyMigrations, schemaVersion } from "./migrations";
import { ReportRepository } from "./reports";
import { RetentionRepository } from "./retention";

export * from "./actionJournal";
export * from "./alertLog";
export * from "./alertOutbox";
export * from "./assessments";
export * from "./claims";
export * from "./dashboardReads";
export * from "./daemonLock";
export * from "./incidents";
export * from "./kv";
export * from "./migrations";
export * from "./reports";
export * from "./retention";

export interface StateDb {
  readonly path: string;
  readonly db: Db;
  readonly schemaVersion: number;
  readonly journal: ActionJournal;
  readonly assessments: AssessmentRepository;
  readonly incidents: IncidentRepository;
  readonly claims: ClaimRepository;
  readonly reports: ReportRepository;
  readonly kv: KvRepository;
  readonly alertLog: AlertLogRepository;
  readonly alertOutbox: AlertOutboxRepository;
  /** Bounded reads for the dashboard (downsampled history, newest rows). */
  readonly dashboard: DashboardReads;
  /** What may be forgotten, and when (`keeper state prune`, the daemon's retention timer). */
  readonly retention: RetentionRepository;
  /**
   * Takes the signing lock (throws DaemonLockError when another process holds it): per key and
   * chain once `bindSigner` named them (the journal then checks its fencing token before it records
   * anything to sign), else the database's single daemon lock.
   */
  acquireDaemonLock(options: DaemonLockOptions): DaemonLock;
  /** The key and chain this process signs for: the signing lock is theirs. */
  bindSigner(signer: SignerIdentity): void;
  close(): void;
}

export interface OpenStateOptions {
  /** How long a write waits for another connection's lock (default 5000 ms). */
  readonly busyTimeoutMs?: number;
  readonly nowMs?: () => number;
}

export function openStateDb(file: string, options: OpenStateOptions = {}): StateDb {
  const memory = file === ":memory:";
  if (!memory) mkdirSync(path.dirname(path.resolve(file)), { recursive: true });
  let db: Db;
  try {
    db = new Database(file);
  } catch (err) {
    throw new Error(`state database ${file}: cannot be opened (${(err as Error).message}) — check state.dbPath / KEEPER_DB_PATH`);
  }
  db.pragma(`busy_timeout = ${options.busyTimeoutMs ?? 5000}`);
  if (!memory) db.pragma("journal_mode = WAL");
  // FULL: a committed journal write (a signed transaction's bytes, a claim row) survives power
  // loss, not only a process crash. One connection, so this covers every table; the keeper
  // writes a few rows per tick, the extra fsync per commit is noise.
  db.pragma("synchronous = FULL");
  db.pragma("foreign_keys = ON");
  const nowMs = options.nowMs ?? Date.now;
  applyMigrations(db, undefined, nowMs());
  let lock: DaemonLock | undefined;
  let signer: SignerIdentity | undefined;
  const journal = new ActionJournal(db, nowMs);
  return {
    path: file,
    db,
    schemaVersion: schemaVersion(db),
    journal,
    assessments: new AssessmentRepository(db, nowMs),
    incidents: new IncidentRepository(db, nowMs),
    claims: new ClaimRepository(db, nowMs),
    reports: new ReportRepository(db, nowMs),
    kv: new KvRepository(db, nowMs),
    alertLog: new AlertLogRepository(db),
    alertOutbox: new AlertOutboxRepository(db),
    dashboard: new DashboardReads(db),
    retention: new RetentionRepository(db, nowMs),
    acquireDaemonLock(lockOptions) {
      lock = acquireDaemonLock(db, { nowMs, ...(signer !== undefined ? { signer } : {}), ...lockOptions });
      if (lock.fence !== undefined) journal.fence = lock.fence;
      return lock;
    },
    bindSigner(identity) {
      signer = identity;
    },
    close() {
      if (!db.open) return;
      lock?.release();
      db.close();
    },
  };
}
