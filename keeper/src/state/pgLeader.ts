/**
 * Leader and standbys over one PostgreSQL state. The leader of a signing key and chain holds two
 * things at once:
 * - a session-level advisory lock (`pg_try_advisory_lock`, key derived from the chain id and the
 *   address) on the worker's dedicated `lock` session: when the leader's process, machine or network
 *   dies, PostgreSQL ends the session and frees the lock, and a standby gets it at its next try;
 * - a lease: the `signing_lock` row (holder, pid, host, heartbeat) renewed over that same session
 *   every `takeoverSeconds / 10`, valid for `takeoverSeconds / 2`, and a fencing token incremented
 *   by every new leader.
 * Only the leader signs: the journal calls `fence.assertHeld` inside the transaction that records an
 * action or a signed transaction, which reads the row `FOR SHARE` (a takeover's update waits for
 * that transaction, and every transaction after the takeover sees the new token) and refuses when
 * the token is not ours, the lease has lapsed, or the lock session is gone. A leader whose session
 * is terminated therefore stops signing at once, and a leader cut off from the database can record
 * nothing. A standby that finds the lock held but the lease lapsed by more than half the takeover
 * time (a hung leader whose session lives on) terminates the holder's backends and takes over.
 */
import { createHash, randomBytes } from "node:crypto";
import os from "node:os";
import { DaemonLockError, FencedOutError, type DaemonLock, type DaemonLockOptions, type SignerIdentity, type SigningFence } from "./daemonLock";
import type { PgSyncConnection } from "./pgSync";
import type { SqlConnection } from "./sql";

export interface LeadershipOptions extends DaemonLockOptions {
  readonly signer: SignerIdentity;
  /** `ha.takeoverSeconds`: lease = half, renewal and standby polling = a tenth. */
  readonly takeoverSeconds: number;
}

/** The advisory lock key of a signing key and chain: the first 8 bytes of sha256, as a signed 64-bit integer. */
export function advisoryKey(signer: SignerIdentity): bigint {
  const digest = createHash("sha256").update(`sif-keeper-signer:${signer.chainId}:${signer.address.toLowerCase()}`).digest();
  return digest.readBigInt64BE(0);
}

export function leaseTimings(takeoverSeconds: number): { leaseMs: number; renewMs: number; pollMs: number } {
  const takeoverMs = takeoverSeconds * 1000;
  return { leaseMs: Math.floor(takeoverMs / 2), renewMs: Math.max(200, Math.floor(takeoverMs / 10)), pollMs: Math.max(500, Math.floor(takeoverMs / 10)) };
}

interface LeaseRow {
  fence: number;
  holder: string;
  pid: number;
  hostname: string;
  heartbeat_at: number;
}

function lockQuery(conn: PgSyncConnection, sql: string, params: unknown[] = []): Record<string, unknown>[] {
  try {
    return conn.query(sql, params, "lock");
  } catch (err) {
    if ((err as { code?: string }).code !== "SIF_LOCK_LOST") throw err;
    conn.call({ op: "resetLock" });
    return conn.query(sql, params, "lock");
  }
}

/**
 * One try: the lock and a new fencing token, or undefined when another process leads (a standby
 * tries again later). A hung leader — lock held, lease lapsed — has its sessions terminated.
 */
export function tryLeadership(conn: PgSyncConnection, options: LeadershipOptions): DaemonLock | undefined {
  const nowMs = options.nowMs ?? Date.now;
  const pid = options.pid ?? process.pid;
  const hostname = options.hostname ?? os.hostname();
  const { leaseMs, renewMs } = leaseTimings(options.takeoverSeconds);
  const chainId = options.signer.chainId;
  const address = options.signer.address.toLowerCase();
  const who = `key ${address} on chain ${chainId}`;
  const key = advisoryKey(options.signer);
  const got = lockQuery(conn, "SELECT pg_try_advisory_lock(?::bigint) AS ok", [key.toString()])[0]?.["ok"] === true;
  if (!got) {
    const row = conn.query("SELECT fence, holder, pid, hostname, heartbeat_at FROM signing_lock WHERE chain_id = ? AND address = ?", [chainId, address])[0] as
      | LeaseRow
      | undefined;
    const lapsedMs = row === undefined || row.heartbeat_at === 0 ? 0 : nowMs() - row.heartbeat_at - leaseMs;
    if (lapsedMs > (options.takeoverSeconds * 1000) / 2) {
      // The holder's session lives but it stopped renewing (hung, or partitioned from us but not from
      // the server): end its sessions; its advisory lock goes with them, and its token is void anyway.
      const hi = Number(BigInt.asUintN(64, key) >> 32n);
      const lo = Number(BigInt.asUintN(64, key) & 0xffffffffn);
      const ended = conn.query(
        "SELECT pg_terminate_backend(pid) AS ended FROM pg_locks WHERE locktype = 'advisory' AND granted AND classid = ?::oid AND objid = ?::oid AND objsubid = 1",
        [hi, lo],
      );
      options.logger.warn(
        { stalePid: row?.pid, staleHost: row?.hostname, leaseLapsedMs: lapsedMs, sessionsEnded: ended.length },
        "leader lease lapsed while its session lives: ending the old leader's sessions to take over",
      );
    }
    return undefined;
  }
  const holderId = randomBytes(16).toString("hex");
  let token: number;
  try {
    token = conn.transaction((): number => {
      const now = nowMs();
      const row = conn.query("SELECT fence, holder, pid, hostname, heartbeat_at FROM signing_lock WHERE chain_id = ? AND address = ? FOR UPDATE", [chainId, address])[0] as
        | LeaseRow
        | undefined;
      const next = (row?.fence ?? 0) + 1;
      if (row !== undefined && row.heartbeat_at > 0) {
        options.logger.warn(
          { previousPid: row.pid, previousHost: row.hostname, heartbeatAgeSec: Math.round((now - row.heartbeat_at) / 1000), fence: next },
          "taking over from a leader whose database session ended (its fencing token is now void)",
        );
      }
      conn.query(
        `INSERT INTO signing_lock (chain_id, address, fence, holder, pid, hostname, started_at, heartbeat_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)
         ON CONFLICT (chain_id, address) DO UPDATE SET fence = excluded.fence, holder = excluded.holder, pid = excluded.pid,
           hostname = excluded.hostname, started_at = excluded.started_at, heartbeat_at = excluded.heartbeat_at`,
        [chainId, address, next, holderId, pid, hostname, now, now],
      );
      return next;
    }).immediate();
  } catch (err) {
    try {
      lockQuery(conn, "SELECT pg_advisory_unlock(?::bigint)", [key.toString()]);
    } catch {
      // The session is gone: so is the lock.
    }
    throw err;
  }
  const startedAt = nowMs();
  let lastRenewed = startedAt;
  let lost: string | undefined;
  options.logger.info({ pid, hostname, chainId, address, fence: token, leaseMs }, "leader: signing lock and lease taken");

  const fence: SigningFence = {
    chainId,
    address,
    token,
    assertHeld(db: SqlConnection) {
      if (lost !== undefined) throw new FencedOutError(`leadership for ${who} lost (${lost}) — this process must not sign`);
      const row = db.prepare("SELECT fence, heartbeat_at FROM signing_lock WHERE chain_id = ? AND address = ? FOR SHARE").get(chainId, address) as
        | { fence: number; heartbeat_at: number }
        | undefined;
      const now = nowMs();
      if (row === undefined || row.fence !== token || row.heartbeat_at === 0) {
        throw new FencedOutError(`leadership for ${who} lost: fencing token ${token} is void (now ${row?.fence ?? "none"}) — this process must not sign`);
      }
      if (now - row.heartbeat_at > leaseMs || now - lastRenewed > leaseMs) {
        throw new FencedOutError(`leadership for ${who}: lease lapsed (renewed ${now - lastRenewed} ms ago, lease ${leaseMs} ms) — this process must not sign`);
      }
    },
  };
  const heartbeat = (): void => {
    if (lost !== undefined) throw new DaemonLockError(`leadership for ${who} lost: ${lost}`);
    try {
      // Over the lock session: a renewal proves the session holding the advisory lock is alive.
      const rows = conn.query(
        "UPDATE signing_lock SET heartbeat_at = ? WHERE chain_id = ? AND address = ? AND fence = ? AND heartbeat_at > 0 RETURNING fence",
        [nowMs(), chainId, address, token],
        "lock",
      );
      if (rows.length !== 1) lost = "another process took the lease";
      else lastRenewed = nowMs();
    } catch (err) {
      lost = `lock session failed: ${(err as Error).message}`;
    }
    if (lost === undefined && nowMs() - lastRenewed > leaseMs) lost = "lease not renewed in time";
    if (lost !== undefined) throw new DaemonLockError(`leadership for ${who} lost: ${lost} — stopping`);
  };
  return {
    holder: { pid, hostname, startedAt, heartbeatAt: startedAt },
    fence,
    heartbeat,
    // The lease sets the pace (a tenth of the takeover time), not the caller's SQLite heartbeat interval.
    startHeartbeat(_intervalMs, onLost) {
      const timer = setInterval(() => {
        try {
          heartbeat();
        } catch (err) {
          options.logger.error({ err: (err as Error).message }, "leader lease renewal failed");
          clearInterval(timer);
          if (err instanceof DaemonLockError) onLost?.(err);
        }
      }, renewMs);
      timer.unref();
      return () => clearInterval(timer);
    },
    release() {
      lost ??= "released";
      try {
        conn.query("UPDATE signing_lock SET heartbeat_at = 0 WHERE chain_id = ? AND address = ? AND fence = ?", [chainId, address, token]);
        lockQuery(conn, "SELECT pg_advisory_unlock(?::bigint)", [key.toString()]);
      } catch {
        // The database is unreachable: the session (and the lock) end with it; the lease lapses.
      }
    },
  };
}

/** One try that throws when another process leads (one-shot commands: `once`, `settle`, ...). */
export function acquireLeadership(conn: PgSyncConnection, options: LeadershipOptions): DaemonLock {
  const lock = tryLeadership(conn, options);
  if (lock !== undefined) return lock;
  const row = conn.query("SELECT pid, hostname, heartbeat_at FROM signing_lock WHERE chain_id = ? AND address = ?", [options.signer.chainId, options.signer.address.toLowerCase()])[0] as
    | { pid: number; hostname: string; heartbeat_at: number }
    | undefined;
  throw new DaemonLockError(
    `another keeper process leads for key ${options.signer.address.toLowerCase()} on chain ${options.signer.chainId}` +
      (row !== undefined ? ` (pid ${row.pid} on ${row.hostname})` : "") +
      " — it signs; stop it first, or run this one as a standby (`keeper run`)",
  );
}
