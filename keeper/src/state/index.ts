/**
 * The keeper's state: `openStateDb(location)` opens, migrates and hands out one repository per
 * concern, over one synchronous SQL surface (sql.ts) with two engines:
 * - SQLite (the default): a file path (WAL, synchronous=FULL, busy timeout), or `:memory:` for tests and dry runs;
 * - PostgreSQL: a `postgres://` URL (state.url / KEEPER_STATE_URL) — several keepers, one leader (pgLeader.ts).
 */
import Database from "better-sqlite3";
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
import { applyPostgresMigrations, postgresSchemaVersion } from "./pgMigrations";
import { acquireLeadership, leaseTimings, tryLeadership } from "./pgLeader";
import { PgSyncConnection } from "./pgSync";
import { ReportRepository } from "./reports";
import { RetentionRepository } from "./retention";
import { isPostgresUrl, type SqlConnection, type SqlDialect } from "./sql";
import { redactStateUrl } from "../lib/redact";

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
export * from "./sql";
export { advisoryKey, leaseTimings } from "./pgLeader";
export { PgSyncConnection, toPgSql } from "./pgSync";
export { PG_BASELINE_VERSION, postgresBaseline, sqliteDdlToPostgres } from "./pgMigrations";
export * from "./retention";

export interface StateDb {
  /** The SQLite file, or the PostgreSQL URL with its password redacted (safe to log). */
  readonly path: string;
  readonly dialect: SqlDialect;
  readonly db: SqlConnection;
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
  /**
   * `keeper run`: on SQLite the same as `acquireDaemonLock`. On PostgreSQL with a bound signer, a
   * standby: tries every `takeoverSeconds / 10` until it leads (calls `onStandby` once when another
   * process leads); resolves undefined if `stopping()` turns true first.
   */
  awaitLeadership(options: DaemonLockOptions & { takeoverSeconds: number; onStandby?: () => void; stopping?: () => boolean }): Promise<DaemonLock | undefined>;
  close(): void;
}

/** Where the state lives: `state.url` (PostgreSQL) when set, else the SQLite file `state.dbPath`. */
export function stateLocation(state: { readonly dbPath: string; readonly url?: string | undefined }): string {
  return state.url ?? state.dbPath;
}

export interface OpenStateOptions {
  /** How long a write waits for another connection's lock (default 5000 ms). */
  readonly busyTimeoutMs?: number;
  readonly nowMs?: () => number;
  /** Leader lease on PostgreSQL (`ha.takeoverSeconds`, default 15). */
  readonly takeoverSeconds?: number;
}

export function openStateDb(file: string, options: OpenStateOptions = {}): StateDb {
  if (isPostgresUrl(file)) return openPostgresState(file, options);
  const memory = file === ":memory:";
  if (!memory) mkdirSync(path.dirname(path.resolve(file)), { recursive: true });
  let db: Database.Database;
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
  const acquire = (lockOptions: DaemonLockOptions): DaemonLock => {
    lock = acquireDaemonLock(db, { nowMs, ...(signer !== undefined ? { signer } : {}), ...lockOptions });
    if (lock.fence !== undefined) journal.fence = lock.fence;
    return lock;
  };
  return {
    path: file,
    dialect: "sqlite",
    db,
    schemaVersion: schemaVersion(db),
    ...repositories(db, journal, nowMs),
    acquireDaemonLock: acquire,
    awaitLeadership: (lockOptions) => Promise.resolve(acquire(lockOptions)),
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

function repositories(db: SqlConnection, journal: ActionJournal, nowMs: () => number) {
  return {
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
  };
}

/**
 * PostgreSQL: a synchronous connection (pgSync.ts), the schema migrated under a schema lock, and
 * the signing lock as leadership (pgLeader.ts). Without a bound signer (a dry run, `status`) no
 * lock is taken: nothing signs.
 */
function openPostgresState(url: string, options: OpenStateOptions): StateDb {
  const safe = redactStateUrl(url);
  const nowMs = options.nowMs ?? Date.now;
  const takeoverSeconds = options.takeoverSeconds ?? 15;
  const conn = new PgSyncConnection(url);
  try {
    applyPostgresMigrations(conn, nowMs());
  } catch (err) {
    conn.close();
    throw new Error(`state database ${safe}: cannot be opened (${(err as Error).message}) — check state.url / KEEPER_STATE_URL`);
  }
  let lock: DaemonLock | undefined;
  let signer: SignerIdentity | undefined;
  const journal = new ActionJournal(conn, nowMs);
  const adopt = (taken: DaemonLock): DaemonLock => {
    lock = taken;
    if (taken.fence !== undefined) journal.fence = taken.fence;
    return taken;
  };
  const noSignerLock = (logger: Logger): DaemonLock => {
    logger.info({ state: safe }, "PostgreSQL state without a signing key: no leadership needed (nothing signs)");
    const now = nowMs();
    return { holder: { pid: process.pid, hostname: "", startedAt: now, heartbeatAt: now }, fence: undefined, heartbeat: () => undefined, startHeartbeat: () => () => undefined, release: () => undefined };
  };
  return {
    path: safe,
    dialect: "postgres",
    db: conn,
    schemaVersion: postgresSchemaVersion(conn),
    ...repositories(conn, journal, nowMs),
    acquireDaemonLock(lockOptions) {
      if (signer === undefined) return noSignerLock(lockOptions.logger);
      return adopt(acquireLeadership(conn, { nowMs, takeoverSeconds, ...lockOptions, signer }));
    },
    async awaitLeadership(lockOptions) {
      if (signer === undefined) return noSignerLock(lockOptions.logger);
      const seconds = lockOptions.takeoverSeconds;
      const { pollMs } = leaseTimings(seconds);
      let announced = false;
      for (;;) {
        if (lockOptions.stopping?.() === true || !conn.open) return undefined;
        let taken: DaemonLock | undefined;
        try {
          taken = tryLeadership(conn, { nowMs, ...lockOptions, takeoverSeconds: seconds, signer });
        } catch (err) {
          lockOptions.logger.warn({ err: (err as Error).message, state: safe }, "standby: leadership try failed (database unreachable?); trying again");
        }
        if (taken !== undefined) return adopt(taken);
        if (!announced) {
          announced = true;
          lockOptions.onStandby?.();
        }
        await new Promise((resolve) => setTimeout(resolve, pollMs));
      }
    },
    bindSigner(identity) {
      signer = identity;
    },
    close() {
      if (!conn.open) return;
      lock?.release();
      conn.close();
    },
  };
}
