/**
 * One signer per signing key and chain: a `signing_lock` row keyed by (chain id, address) with
 * the holder (pid, hostname, heartbeat) and a fencing token, taken in an IMMEDIATE transaction by
 * every command that signs with the keeper key (`run`, `once`, `push-risk`, `incident ...`,
 * the operator commands). Each take-over increments the token; the action journal checks the
 * holder's token inside the same transaction that records an action or a signed transaction
 * (`SigningFence`), so a process that lost the lock can never record, hence never broadcast,
 * another transaction — whether or not its heartbeat has noticed yet.
 * Without a signer identity (a dry-run daemon) the lock is the database's single `daemon_lock` row.
 * A second holder refuses to start; a stale lock — heartbeat older than `staleAfterSec` — is
 * taken over with a warning whatever its pid says (containers reuse pids: a live pid 1 proves
 * nothing about the old holder). A holder whose heartbeat finds the lock taken stops.
 */
import { randomBytes } from "node:crypto";
import os from "node:os";
import type { SqlConnection as Database } from "./sql";
import type { Logger } from "../lib/logger";

export class DaemonLockError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "DaemonLockError";
  }
}

/** Whose signing the lock guards: one lock per key and chain. */
export interface SignerIdentity {
  readonly chainId: number;
  readonly address: string;
}

/**
 * The holder's fencing token. `assertHeld` runs inside a journal transaction: it throws
 * `FencedOutError` when the lock row no longer carries this token.
 */
export interface SigningFence extends SignerIdentity {
  readonly token: number;
  assertHeld(db: Database): void;
}

export class FencedOutError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "FencedOutError";
  }
}

export interface DaemonLockOptions {
  readonly logger: Logger;
  /** Lock per signing key and chain (with a fencing token); without it, the database's daemon lock. */
  readonly signer?: SignerIdentity;
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
  /** The fencing token (only for a per-signer lock). */
  readonly fence: SigningFence | undefined;
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
  if (options.signer !== undefined) return acquireSigningLock(db, options, options.signer);
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
    fence: undefined,
    heartbeat,
    startHeartbeat: (intervalMs, onLost) => startHeartbeat(heartbeat, options.logger, intervalMs, onLost),
    release() {
      db.prepare("DELETE FROM daemon_lock WHERE id = 1 AND token = ?").run(token);
    },
  };
}

function startHeartbeat(heartbeat: () => void, logger: Logger, intervalMs: number, onLost?: (err: DaemonLockError) => void): () => void {
  const timer = setInterval(() => {
    try {
      heartbeat();
    } catch (err) {
      logger.error({ err: (err as Error).message }, "daemon lock heartbeat failed");
      if (err instanceof DaemonLockError) {
        clearInterval(timer);
        onLost?.(err);
      }
    }
  }, intervalMs);
  timer.unref();
  return () => clearInterval(timer);
}

interface SigningLockRow {
  fence: number;
  holder: string;
  pid: number;
  hostname: string;
  started_at: number;
  heartbeat_at: number;
}

/** The per-key lock: the row survives release (heartbeat 0) so the token only ever grows. */
function acquireSigningLock(db: Database, options: DaemonLockOptions, signer: SignerIdentity): DaemonLock {
  const pid = options.pid ?? process.pid;
  const hostname = options.hostname ?? os.hostname();
  const nowMs = options.nowMs ?? Date.now;
  const staleAfterMs = (options.staleAfterSec ?? 120) * 1000;
  const holderId = randomBytes(16).toString("hex");
  const chainId = signer.chainId;
  const address = signer.address.toLowerCase();
  const who = `key ${address} on chain ${chainId}`;

  const take = db.transaction((): { holder: DaemonLockHolder; token: number } => {
    const now = nowMs();
    const row = db.prepare("SELECT * FROM signing_lock WHERE chain_id = ? AND address = ?").get(chainId, address) as SigningLockRow | undefined;
    if (row !== undefined && row.heartbeat_at > 0) {
      const ageSec = Math.round((now - row.heartbeat_at) / 1000);
      if (now - row.heartbeat_at <= staleAfterMs) {
        throw new DaemonLockError(
          `another keeper process signs with ${who} (pid ${row.pid} on ${row.hostname}, heartbeat ${ageSec}s ago) — ` +
            `stop it first; one signer per key and chain`,
        );
      }
      options.logger.warn(
        { stalePid: row.pid, staleHost: row.hostname, heartbeatAgeSec: ageSec, fence: row.fence + 1 },
        "taking over a stale signing lock (its heartbeat stopped; its pid is not trusted; its fencing token is now void)",
      );
    }
    const token = (row?.fence ?? 0) + 1;
    db.prepare(
      `INSERT INTO signing_lock (chain_id, address, fence, holder, pid, hostname, started_at, heartbeat_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)
       ON CONFLICT (chain_id, address) DO UPDATE SET fence = excluded.fence, holder = excluded.holder, pid = excluded.pid,
         hostname = excluded.hostname, started_at = excluded.started_at, heartbeat_at = excluded.heartbeat_at`,
    ).run(chainId, address, token, holderId, pid, hostname, now, now);
    return { holder: { pid, hostname, startedAt: now, heartbeatAt: now }, token };
  });
  const { holder, token } = take.immediate();
  options.logger.info({ pid, hostname, chainId, address, fence: token }, "signing lock taken");

  const fence: SigningFence = {
    chainId,
    address,
    token,
    assertHeld(conn) {
      const row = conn.prepare("SELECT fence, heartbeat_at FROM signing_lock WHERE chain_id = ? AND address = ?").get(chainId, address) as
        | { fence: number; heartbeat_at: number }
        | undefined;
      if (row === undefined || row.fence !== token || row.heartbeat_at === 0) {
        throw new FencedOutError(
          `signing lock for ${who} lost: fencing token ${token} is void (now ${row?.fence ?? "none"}) — this process must not sign`,
        );
      }
    },
  };
  const heartbeat = (): void => {
    const info = db.prepare("UPDATE signing_lock SET heartbeat_at = ? WHERE chain_id = ? AND address = ? AND fence = ? AND heartbeat_at > 0").run(nowMs(), chainId, address, token);
    if (info.changes !== 1) throw new DaemonLockError(`the signing lock for ${who} was taken over by another process — stopping`);
  };
  return {
    holder,
    fence,
    heartbeat,
    startHeartbeat: (intervalMs, onLost) => startHeartbeat(heartbeat, options.logger, intervalMs, onLost),
    release() {
      db.prepare("UPDATE signing_lock SET heartbeat_at = 0 WHERE chain_id = ? AND address = ? AND fence = ?").run(chainId, address, token);
    },
  };
}

/**
 * The most recent lock holder of this database (a signing lock of any key and chain, or the
 * daemon lock), for `status` and `doctor`; undefined when nobody holds one.
 */
export function currentLockHolder(db: Database): { pid: number; hostname: string; started_at: number; heartbeat_at: number } | undefined {
  return db
    .prepare(
      `SELECT pid, hostname, started_at, heartbeat_at FROM (
         SELECT pid, hostname, started_at, heartbeat_at FROM signing_lock WHERE heartbeat_at > 0
         UNION ALL SELECT pid, hostname, started_at, heartbeat_at FROM daemon_lock WHERE id = 1
       ) AS holders ORDER BY heartbeat_at DESC LIMIT 1`,
    )
    .get() as { pid: number; hostname: string; started_at: number; heartbeat_at: number } | undefined;
}
