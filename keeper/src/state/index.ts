/**
 * The keeper's SQLite state: `openStateDb(path)` opens (WAL, busy timeout), migrates and hands
 * out one repository per concern. `:memory:` for tests and dry runs.
 */
import Database from "better-sqlite3";
import type { Database as Db } from "better-sqlite3";
import { mkdirSync } from "node:fs";
import path from "node:path";
import type { Logger } from "../lib/logger";
import { ActionJournal } from "./actionJournal";
import { AssessmentRepository } from "./assessments";
import { ClaimRepository } from "./claims";
import { acquireDaemonLock, type DaemonLock, type DaemonLockOptions } from "./daemonLock";
import { IncidentRepository } from "./incidents";
import { KvRepository } from "./kv";
import { applyMigrations, schemaVersion } from "./migrations";
import { ReportRepository } from "./reports";

export * from "./actionJournal";
export * from "./assessments";
export * from "./claims";
export * from "./daemonLock";
export * from "./incidents";
export * from "./kv";
export * from "./migrations";
export * from "./reports";

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
  /** Takes the single-daemon lock (throws DaemonLockError when another daemon holds it). */
  acquireDaemonLock(options: DaemonLockOptions): DaemonLock;
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
  db.pragma("foreign_keys = ON");
  const nowMs = options.nowMs ?? Date.now;
  applyMigrations(db, undefined, nowMs());
  let lock: DaemonLock | undefined;
  return {
    path: file,
    db,
    schemaVersion: schemaVersion(db),
    journal: new ActionJournal(db, nowMs),
    assessments: new AssessmentRepository(db, nowMs),
    incidents: new IncidentRepository(db, nowMs),
    claims: new ClaimRepository(db, nowMs),
    reports: new ReportRepository(db, nowMs),
    kv: new KvRepository(db, nowMs),
    acquireDaemonLock(lockOptions) {
      lock = acquireDaemonLock(db, { nowMs, ...lockOptions });
      return lock;
    },
    close() {
      if (!db.open) return;
      lock?.release();
      db.close();
    },
  };
}
