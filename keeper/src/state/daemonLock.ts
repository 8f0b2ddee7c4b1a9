/**
 * One signer per database: a single `daemon_lock` row (pid, hostname, heartbeat) taken in an
 * IMMEDIATE transaction by every command that signs (`run`, `once`, `push-risk`, `incident ...`).
 * A second holder refuses to start; a stale lock — heartbeat older than `staleAfterSec` — is
 * taken over with a warning whatever its pid says (containers reuse pids: a live pid 1 proves
 * nothing about the old holder). A holder whose heartbeat finds the lock taken stops.
 */
import { randomBytes } from "node:crypto";
import os from "node:os";
import type { Database } from "better-sqlite3";
import type { Logger } from "../lib/logger";

export class DaemonLockError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "DaemonLockError";
  }
}

export interface DaemonLockOptions {
  readonly logger: Logger;
  /** A lock whose heartbeat is older than this may be taken over (default 120 s). */
  readonly staleAfterSec?: number;
  readonly pid?: number;
  readonly hostname?: string;
  readonly nowMs?: () => number;
}

export interface DaemonLockHolder {
  readonly pid: number;
  readonly hostname: string;
  readonly startedAt: number;
  readonly heartbeatAt: number;
}

export interface DaemonLock {
  readonly holder: DaemonLockHolder;
  /** Refreshes the heartbeat; throws DaemonLockError when another process took the lock. */
  heartbeat(): void;
  /**
   * Heartbeats every `intervalMs` on an unref'd timer; returns the stop function. When the lock
   * was taken over, the timer stops and `onLost` runs once (the daemon stops on it).
   */
  startHeartbeat(intervalMs: number, onLost?: (err: DaemonLockError) => void): () => void;
  release(): void;
}

interface LockRow {
  pid: number;
  hostname: string;
  token: string;
  started_at: number;
  heartbeat_at: number;
}

export function isPidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === "EPERM";
  }
}

export function acquireDaemonLock(db: Database, options: DaemonLockOptions): DaemonLock {
  const pid = options.pid ?? process.pid;
  const hostname = options.hostname ?? os.hostname();
  const nowMs = options.nowMs ?? Date.now;
  const staleAfterMs = (options.staleAfterSec ?? 120) * 1000;
  const token = randomBytes(16).toString("hex");

  const take = db.transaction((): DaemonLockHolder => {
    const now = nowMs();
    const row = db.prepare("SELECT * FROM daemon_lock WHERE id = 1").get() as LockRow | undefined;
    if (row !== undefined) {
      const ageSec = Math.round((now - row.heartbeat_at) / 1000);
      const stale = now - row.heartbeat_at > staleAfterMs;
      if (!stale) {
        throw new DaemonLockError(
          `another keeper daemon holds the state database (pid ${row.pid} on ${row.hostname}, heartbeat ${ageSec}s ago) — ` +
            `stop it first; one daemon per database`,
        );
      }
      options.logger.warn(
        { stalePid: row.pid, staleHost: row.hostname, heartbeatAgeSec: ageSec },
        "taking over a stale daemon lock (its heartbeat stopped; its pid is not trusted)",
      );
    }
    db.prepare(
      `INSERT INTO daemon_lock (id, pid, hostname, token, started_at, heartbeat_at) VALUES (1, ?, ?, ?, ?, ?)
       ON CONFLICT (id) DO UPDATE SET pid = excluded.pid, hostname = excluded.hostname, token = excluded.token,
         started_at = excluded.started_at, heartbeat_at = excluded.heartbeat_at`,
    ).run(pid, hostname, token, now, now);
    return { pid, hostname, startedAt: now, heartbeatAt: now };
  });
  const holder = take.immediate();
  options.logger.info({ pid, hostname }, "daemon lock taken");

  const heartbeat = (): void => {
    const info = db.prepare("UPDATE daemon_lock SET heartbeat_at = ? WHERE id = 1 AND token = ?").run(nowMs(), token);
    if (info.changes !== 1) throw new DaemonLockError("the daemon lock was taken over by another process — stopping");
  };
  return {
    holder,
    heartbeat,
    startHeartbeat(intervalMs, onLost) {
      const timer = setInterval(() => {
        try {
          heartbeat();
        } catch (err) {
          options.logger.error({ err: (err as Error).message }, "daemon lock heartbeat failed");
          if (err instanceof DaemonLockError) {
            clearInterval(timer);
            onLost?.(err);
          }
        }
      }, intervalMs);
      timer.unref();
      return () => clearInterval(timer);
    },
    release() {
      db.prepare("DELETE FROM daemon_lock WHERE id = 1 AND token = ?").run(token);
    },
  };
}
