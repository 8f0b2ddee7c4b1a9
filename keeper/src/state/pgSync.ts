/**
 * PostgreSQL behind the synchronous `SqlConnection`: a `pg` client runs in a worker thread; the
 * calling thread posts a query on a MessagePort and sleeps in `Atomics.wait` on a shared flag until
 * the worker has answered, then reads the answer with `receiveMessageOnPort` (the technique of
 * `synckit`). Every repository and every cycle stays synchronous, as on SQLite; the price is that a
 * query blocks the event loop for one round trip to the server (≈0.2–1 ms on loopback or a LAN,
 * more to a managed server in another zone) — docs/operations.md.
 *
 * The worker holds two sessions: `main` (every repository query, transactions as BEGIN/COMMIT on
 * it; reconnected after an error outside a transaction) and `lock` (the leader's advisory lock and
 * lease renewals; never reconnected silently — a lost lock session is reported, because the
 * session-level advisory lock went with it).
 */
import { MessageChannel, receiveMessageOnPort, Worker, type MessagePort } from "node:worker_threads";
import type { SqlConnection, SqlRunResult, SqlStatement, SqlTransaction } from "./sql";
import { redactStateUrl as redactUrl } from "../lib/redact";

export type PgSession = "main" | "lock";

interface Reply {
  readonly id?: number;
  readonly rows?: Record<string, unknown>[];
  readonly rowCount?: number;
  readonly error?: { message: string; code?: string };
}

const WORKER_SOURCE = `
const { workerData } = require("node:worker_threads");
const pg = require(workerData.pgPath);
// BIGINT/COUNT(*) and NUMERIC come back as JS numbers (timestamps, ids, counts); wei amounts are TEXT columns.
pg.types.setTypeParser(20, (v) => Number(v));
pg.types.setTypeParser(1700, (v) => Number(v));
const { port, flag, url, connectTimeoutMs } = workerData;
const sessions = { main: undefined, lock: undefined };
const lost = { main: false, lock: false };
async function client(name) {
  if (name === "lock" && lost.lock) throw Object.assign(new Error("the lock session was lost"), { code: "SIF_LOCK_LOST" });
  if (sessions[name] !== undefined) return sessions[name];
  const c = new pg.Client({ connectionString: url, connectionTimeoutMillis: connectTimeoutMs, application_name: "sif-keeper-" + name });
  c.on("error", () => { if (sessions[name] === c) { sessions[name] = undefined; if (name === "lock") lost.lock = true; } });
  c.on("end", () => { if (sessions[name] === c) { sessions[name] = undefined; if (name === "lock") lost.lock = true; } });
  await c.connect();
  sessions[name] = c;
  return c;
}
port.on("message", async (msg) => {
  let reply;
  try {
    if (msg.op === "query") {
      const c = await client(msg.session);
      const res = await c.query(msg.params.length > 0 ? { text: msg.sql, values: msg.params } : msg.sql);
      const last = Array.isArray(res) ? res[res.length - 1] : res;
      reply = { rows: last.rows, rowCount: last.rowCount ?? 0 };
    } else if (msg.op === "resetLock") {
      const c = sessions.lock; sessions.lock = undefined; lost.lock = false;
      if (c !== undefined) await c.end().catch(() => undefined);
      reply = { rows: [], rowCount: 0 };
    } else if (msg.op === "close") {
      for (const k of Object.keys(sessions)) { const c = sessions[k]; sessions[k] = undefined; if (c !== undefined) await c.end().catch(() => undefined); }
      reply = { rows: [], rowCount: 0 };
    }
  } catch (err) {
    if (msg.op === "query" && msg.session === "main" && sessions.main !== undefined && !msg.inTx && /terminat|Connection|ECONN|EPIPE/i.test(String(err && err.message))) {
      const c = sessions.main; sessions.main = undefined; c.end().catch(() => undefined);
    }
    reply = { error: { message: String(err && err.message ? err.message : err), code: err && err.code } };
  }
  port.postMessage({ ...reply, id: msg.id });
  Atomics.store(flag, 0, 1);
  Atomics.notify(flag, 0);
});
`;

export class PgError extends Error {
  constructor(message: string, readonly code: string | undefined) {
    super(message);
    this.name = "PgError";
  }
}

/** `?` and `@name` placeholders → `$1..$n` (outside quoted strings), with the parameters in order. */
export function toPgSql(sql: string, params: readonly unknown[]): { text: string; values: unknown[] } {
  const named = params.length === 1 && params[0] !== null && typeof params[0] === "object" && !Array.isArray(params[0]) && !Buffer.isBuffer(params[0]);
  const values: unknown[] = [];
  const names = new Map<string, number>();
  let text = "";
  let quoted = false;
  for (let i = 0; i < sql.length; i++) {
    const ch = sql[i] as string;
    if (ch === "'") quoted = !quoted;
    if (!quoted && ch === "?") {
      values.push(normalize(params[values.length]));
      text += `$${values.length}`;
      continue;
    }
    if (!quoted && named && ch === "@" && /[A-Za-z_]/.test(sql[i + 1] ?? "")) {
      const m = /^[A-Za-z_][A-Za-z0-9_]*/.exec(sql.slice(i + 1)) as RegExpExecArray;
      const name = m[0];
      let index = names.get(name);
      if (index === undefined) {
        values.push(normalize((params[0] as Record<string, unknown>)[name]));
        index = values.length;
        names.set(name, index);
      }
      text += `$${index}`;
      i += name.length;
      continue;
    }
    text += ch;
  }
  return { text, values };
}

function normalize(value: unknown): unknown {
  if (typeof value === "bigint") return value.toString();
  return value === undefined ? null : value;
}

export interface PgSyncOptions {
  /** How long one query may take before the caller gives up (default 30 s). */
  readonly queryTimeoutMs?: number;
  readonly connectTimeoutMs?: number;
}

export class PgSyncConnection implements SqlConnection {
  readonly dialect = "postgres" as const;
  private readonly worker: Worker;
  private readonly port: MessagePort;
  private readonly flag: Int32Array;
  private depth = 0;
  private nextId = 0;
  private closed = false;
  private readonly queryTimeoutMs: number;

  constructor(readonly url: string, options: PgSyncOptions = {}) {
    this.queryTimeoutMs = options.queryTimeoutMs ?? 30_000;
    const { port1, port2 } = new MessageChannel();
    this.flag = new Int32Array(new SharedArrayBuffer(4));
    this.worker = new Worker(WORKER_SOURCE, {
      eval: true,
      workerData: { pgPath: require.resolve("pg"), port: port2, flag: this.flag, url, connectTimeoutMs: options.connectTimeoutMs ?? 10_000 },
      transferList: [port2],
    });
    this.worker.unref();
    this.port = port1;
    this.port.unref();
  }

  get open(): boolean {
    return !this.closed;
  }

  /** One round trip to the worker; throws `PgError` with the server's message (never the URL's password). */
  call(message: { op: "query"; session: PgSession; sql: string; params: unknown[] } | { op: "resetLock" } | { op: "close" }): Reply {
    if (this.closed) throw new PgError("the PostgreSQL state connection is closed", undefined);
    const id = ++this.nextId;
    this.port.postMessage({ ...message, id, inTx: this.depth > 0 });
    const deadline = Date.now() + this.queryTimeoutMs;
    let reply: Reply | undefined;
    // Clear the flag before looking at the port: an answer posted after the look sets it again, so
    // the wait cannot miss it. A late answer to an earlier, timed-out call is dropped by its id.
    while (reply === undefined) {
      Atomics.store(this.flag, 0, 0);
      const received = receiveMessageOnPort(this.port);
      if (received !== undefined) {
        if ((received.message as Reply).id === id) reply = received.message as Reply;
        continue;
      }
      const remaining = deadline - Date.now();
      if (remaining <= 0) throw new PgError(`PostgreSQL state ${redactUrl(this.url)}: no answer within ${this.queryTimeoutMs} ms`, "SIF_TIMEOUT");
      Atomics.wait(this.flag, 0, 0, remaining);
    }
    if (reply.error !== undefined) throw new PgError(`PostgreSQL state: ${reply.error.message.split(this.url).join(redactUrl(this.url))}`, reply.error.code);
    return reply;
  }

  query(sql: string, params: readonly unknown[] = [], session: PgSession = "main"): Record<string, unknown>[] {
    const { text, values } = toPgSql(sql, params);
    return this.call({ op: "query", session, sql: text, params: values }).rows ?? [];
  }

  prepare(sql: string): SqlStatement {
    const run = (params: unknown[]): Reply => {
      const { text, values } = toPgSql(sql, params);
      return this.call({ op: "query", session: "main", sql: text, params: values });
    };
    const statement = (pluck: boolean): SqlStatement => {
      const shape = (row: Record<string, unknown> | undefined): unknown => (pluck && row !== undefined ? Object.values(row)[0] : row);
      return {
        run: (...params: unknown[]): SqlRunResult => ({ changes: run(params).rowCount ?? 0, lastInsertRowid: 0 }),
        get: (...params: unknown[]): unknown => shape(run(params).rows?.[0]),
        all: (...params: unknown[]): unknown[] => (run(params).rows ?? []).map(shape),
        pluck: (toggle = true) => statement(toggle),
      };
    };
    return statement(false);
  }

  exec(sql: string): this {
    this.call({ op: "query", session: "main", sql, params: [] });
    return this;
  }

  transaction<T>(fn: () => T): SqlTransaction<T> {
    const wrapped = (): T => {
      const savepoint = `sp_${this.depth}`;
      this.exec(this.depth === 0 ? "BEGIN" : `SAVEPOINT ${savepoint}`);
      this.depth++;
      let result: T;
      try {
        result = fn();
      } catch (err) {
        this.depth--;
        try {
          this.exec(this.depth === 0 ? "ROLLBACK" : `ROLLBACK TO SAVEPOINT ${savepoint}`);
        } catch {
          // The connection is gone: the server rolled the transaction back with it.
        }
        throw err;
      }
      this.depth--;
      this.exec(this.depth === 0 ? "COMMIT" : `RELEASE SAVEPOINT ${savepoint}`);
      return result;
    };
    return Object.assign(wrapped, { immediate: wrapped });
  }

  pragma(source: string): never {
    throw new Error(`PRAGMA ${source}: SQLite only — this state is PostgreSQL`);
  }

  close(): void {
    if (this.closed) return;
    try {
      this.call({ op: "close" });
    } catch {
      // Closing anyway.
    }
    this.closed = true;
    this.port.close();
    void this.worker.terminate();
  }
}
