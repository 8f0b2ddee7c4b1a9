/** Small process state (e.g. `loop:risk:lastSuccess`), JSON values. */
import type { SqlConnection as Database } from "./sql";
import { toJson } from "./actionJournal";

export class KvRepository {
  constructor(private readonly db: Database, private readonly nowMs: () => number = Date.now) {}

  get<T>(key: string): T | undefined {
    const row = this.db.prepare("SELECT value_json FROM kv WHERE key = ?").get(key) as { value_json: string } | undefined;
    return row === undefined ? undefined : (JSON.parse(row.value_json) as T);
  }

  set(key: string, value: unknown): void {
    this.db
      .prepare(
        `INSERT INTO kv (key, value_json, updated_at) VALUES (?, ?, ?)
         ON CONFLICT (key) DO UPDATE SET value_json = excluded.value_json, updated_at = excluded.updated_at`,
      )
      .run(key, toJson(value), this.nowMs());
  }

  delete(key: string): void {
    this.db.prepare("DELETE FROM kv WHERE key = ?").run(key);
  }

  all(): Record<string, unknown> {
    const rows = this.db.prepare("SELECT key, value_json FROM kv ORDER BY key").all() as { key: string; value_json: string }[];
    return Object.fromEntries(rows.map((r) => [r.key, JSON.parse(r.value_json) as unknown]));
  }
}
