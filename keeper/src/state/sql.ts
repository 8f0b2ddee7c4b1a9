/**
 * The one synchronous SQL surface every repository uses: better-sqlite3's `Database` satisfies it
 * as is (SQLite, the embedded default), and `PgSyncConnection` implements it over PostgreSQL
 * (a `pg` client in a worker thread, waited on synchronously). Repositories write portable SQL:
 * `?` or `@name` placeholders, `INSERT ... ON CONFLICT DO NOTHING`, `RETURNING id` read with `get()`
 * instead of `lastInsertRowid`, no `LIMIT -1`; tables keep integers in BIGINT-sized columns.
 */
export type SqlDialect = "sqlite" | "postgres";

export interface SqlRunResult {
  readonly changes: number;
  readonly lastInsertRowid: number | bigint;
}

export interface SqlStatement {
  run(...params: unknown[]): SqlRunResult;
  get(...params: unknown[]): unknown;
  all(...params: unknown[]): unknown[];
  /** Rows as their first column's value only. */
  pluck(toggle?: boolean): SqlStatement;
}

export interface SqlTransaction<T> {
  (): T;
  /** BEGIN IMMEDIATE on SQLite (takes the write lock at once); BEGIN on PostgreSQL. */
  immediate(): T;
}

export interface SqlConnection {
  readonly open: boolean;
  prepare(sql: string): SqlStatement;
  /** Runs several `;`-separated statements (schema, no parameters). */
  exec(sql: string): unknown;
  /** Wraps `fn` in a transaction (nested calls use savepoints); commits on return, rolls back on throw. */
  transaction<T>(fn: () => T): SqlTransaction<T>;
  /** SQLite pragmas; PostgreSQL has none (throws). */
  pragma(source: string, options?: { simple?: boolean }): unknown;
  close(): unknown;
}

export function dialectOf(db: SqlConnection): SqlDialect {
  return (db as { dialect?: SqlDialect }).dialect === "postgres" ? "postgres" : "sqlite";
}

export function isPostgresUrl(value: string): boolean {
  return /^postgres(ql)?:\/\//i.test(value);
}
