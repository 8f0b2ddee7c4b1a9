/**
 * Alert deduplication in front of every sink: the same key at most once per interval, and the
 * next delivery after a quiet interval says how many were suppressed. The memory lives in the
 * state database (`alert_log`), so `keeper once` run from cron deduplicates across runs too.
 */
import type { Logger } from "../lib/logger";
import type { Alert, Alerter } from "./types";

/** Where the dedup memory lives (the state database's `alert_log`). */
export interface AlertGateStore {
  gate(key: string, nowMs: number, intervalMs: number): { send: boolean; suppressed: number; total: number };
}

/**
 * Keyed by `alert.dedupKey`, else severity + title (a title carries the protocol or claim it is
 * about, and its numbers: "risk rose 28 -> 45" and "45 -> 60" are different news).
 */
export class DedupAlerter implements Alerter {
  constructor(
    private readonly inner: Alerter,
    private readonly store: () => AlertGateStore,
    private readonly intervalMs: number,
    private readonly logger: Logger,
    private readonly nowMs: () => number = Date.now,
  ) {}

  async send(alert: Alert): Promise<void> {
    const key = alert.dedupKey ?? `${alert.severity}|${alert.title}`;
    let gate: { send: boolean; suppressed: number; total: number };
    try {
      gate = this.store().gate(key, this.nowMs(), this.intervalMs);
    } catch (err) {
      // No dedup memory (database closed): deliver rather than lose an alert.
      this.logger.warn({ err: (err as Error).message, key }, "alert dedup unavailable: delivering");
      await this.inner.send(alert);
      return;
    }
    if (!gate.send) {
      this.logger.debug({ key, suppressed: gate.suppressed }, "alert suppressed (same key within the dedup interval)");
      return;
    }
    if (gate.suppressed === 0) {
      await this.inner.send(alert);
      return;
    }
    const note = `(repeated ${gate.suppressed} more time(s) since the last alert; ${gate.total} in all)`;
    await this.inner.send({
      ...alert,
      message: `${alert.message} ${note}`,
      fields: [...(alert.fields ?? []), { label: "Repeats", value: `${gate.suppressed} suppressed, ${gate.total} total` }],
    });
  }
}
