/**
 * Alerts that arrive: a durable outbox in front of the routed sinks.
 *
 *   send(alert) ─► log (always, at once)
 *               ─► dedup: a repeat of an alert *delivered* within `dedupMs` is suppressed (counted);
 *                  a repeat of one still pending joins it
 *               ─► outbox row (state database) ─► flush: every sink the alert is routed to, until
 *                  each acknowledged; failures are retried with exponential backoff
 *                  (`retryBaseMs` … `retryMaxMs`), across restarts (the rows are in the database)
 *               ─► a critical alert no sink acknowledged within `escalateAfterMs` escalates:
 *                  to the PagerDuty routes, or to every sink when there is none.
 *
 * Sinks report failure by rejecting (`AlertDeliveryError`): nothing is marked sent on a guess.
 * This alerter itself never throws (a dead database logs and falls back to a direct send).
 */
import type { Logger } from "../lib/logger";
import type { AlertLogRepository } from "../state/alertLog";
import type { AlertOutboxRepository, OutboxEntry } from "../state/alertOutbox";
import { atLeast, dedupKeyOf, type Alert, type Alerter } from "./types";
import type { AlertRoute } from "./router";

export interface OutboxOptions {
  /** Same key delivered within this is suppressed (0 = no dedup). */
  readonly dedupMs: number;
  readonly retryBaseMs: number;
  readonly retryMaxMs: number;
  /** A critical alert no sink acknowledged within this escalates. */
  readonly escalateAfterMs: number;
}

export const DEFAULT_OUTBOX_OPTIONS: OutboxOptions = { dedupMs: 60 * 60_000, retryBaseMs: 5_000, retryMaxMs: 5 * 60_000, escalateAfterMs: 15 * 60_000 };

/** The backoff before attempt `attempts + 1` (attempts already made ≥ 1). */
export function backoffMs(attempts: number, options: Pick<OutboxOptions, "retryBaseMs" | "retryMaxMs">): number {
  return Math.min(options.retryMaxMs, options.retryBaseMs * 2 ** Math.max(0, attempts - 1));
}

export class OutboxAlerter implements Alerter {
  private flushing: Promise<void> | undefined;

  constructor(
    private readonly routes: readonly AlertRoute[],
    private readonly always: readonly Alerter[],
    private readonly store: () => { alertOutbox: AlertOutboxRepository; alertLog: AlertLogRepository },
    private readonly options: OutboxOptions,
    private readonly logger: Logger,
    private readonly nowMs: () => number = Date.now,
  ) {}

  async send(alert: Alert): Promise<void> {
    for (const a of this.always) {
      try {
        await a.send(alert);
      } catch (err) {
        this.logger.error({ reason: (err as Error).message }, "alert: the log sink threw");
      }
    }
    const sinks = this.routes.filter((r) => atLeast(alert.severity, r.minSeverity)).map((r) => r.name);
    if (sinks.length === 0) return;
    const key = alert.dedupKey ?? `${alert.severity}|${alert.title}`;
    try {
      const { alertOutbox, alertLog } = this.store();
      if (alertOutbox.pendingOf(key) !== undefined) {
        this.logger.debug({ key }, "alert already pending in the outbox: not queued twice");
      } else {
        const gate = this.options.dedupMs > 0 ? alertLog.deliveredWithin(key, this.nowMs(), this.options.dedupMs) : { send: true, suppressed: 0, total: 1 };
        if (!gate.send) {
          this.logger.debug({ key, suppressed: gate.suppressed }, "alert suppressed (delivered within the dedup interval)");
        } else {
          const note = gate.suppressed > 0 ? ` (repeated ${gate.suppressed} more time(s) since the last alert; ${gate.total} in all)` : "";
          const stored: Alert = { ...alert, message: `${alert.message}${note}`, dedupKey: dedupKeyOf(alert) };
          alertOutbox.enqueue(key, stored, sinks, this.nowMs());
        }
      }
    } catch (err) {
      // No outbox (database closed): a direct, unretried send rather than none.
      this.logger.error({ err: (err as Error).message, key }, "alert outbox unavailable: sending directly");
      await this.direct(alert, sinks);
      return;
    }
    await this.flush();
  }

  /** Tries every due entry; escalates critical ones no sink acknowledged in time. One flush at a time. */
  async flush(): Promise<void> {
    if (this.flushing !== undefined) return this.flushing;
    this.flushing = this.flushDue().finally(() => {
      this.flushing = undefined;
    });
    return this.flushing;
  }

  private async flushDue(): Promise<void> {
    let outbox: AlertOutboxRepository;
    let log: AlertLogRepository;
    try {
      ({ alertOutbox: outbox, alertLog: log } = this.store());
    } catch (err) {
      this.logger.error({ err: (err as Error).message }, "alert outbox unavailable");
      return;
    }
    const now = this.nowMs();
    for (const entry of outbox.due(now)) {
      const { acked, errors } = await this.attempt(entry, entry.sinks.filter((s) => !entry.acked.includes(s)));
      const next = now + backoffMs(entry.attempts + 1, this.options);
      const after = outbox.recordAttempt(entry.id, acked, errors.length > 0 ? errors.join("; ") : undefined, next, this.nowMs());
      if (acked.length > 0 && entry.acked.length === 0) log.markDelivered(entry.key, this.nowMs());
      if (after.state === "pending") this.logger.warn({ key: entry.key, attempts: after.attempts, errors, retryInMs: next - now }, "alert not acknowledged by every sink: retried with backoff");
    }
    for (const entry of outbox.pending()) {
      const alert = entry.alert as unknown as Alert;
      if (alert.severity !== "critical" || entry.escalatedMs !== undefined || entry.acked.length > 0) continue;
      if (now - entry.createdMs < this.options.escalateAfterMs) continue;
      await this.escalate(entry, alert);
      outbox.markEscalated(entry.id, this.nowMs());
    }
  }

  private async attempt(entry: OutboxEntry, sinks: readonly string[]): Promise<{ acked: string[]; errors: string[] }> {
    const alert = entry.alert as unknown as Alert;
    const acked: string[] = [];
    const errors: string[] = [];
    await Promise.all(
      sinks.map(async (name) => {
        const route = this.routes.find((r) => r.name === name);
        if (route === undefined) {
          acked.push(name); // the sink was removed from the config: nothing left to deliver to
          return;
        }
        try {
          await route.alerter.send(alert);
          acked.push(name);
        } catch (err) {
          errors.push(`${name}: ${(err as Error).message}`);
        }
      }),
    );
    return { acked, errors };
  }

  /** To PagerDuty (every PagerDuty route), or to every sink when none is configured. */
  private async escalate(entry: OutboxEntry, alert: Alert): Promise<void> {
    const pagerduty = this.routes.filter((r) => r.name.startsWith("pagerduty"));
    const targets = pagerduty.length > 0 ? pagerduty : this.routes;
    const minutes = Math.round(this.options.escalateAfterMs / 60_000);
    const escalated: Alert = { ...alert, title: `ESCALATED: ${alert.title}`, message: `${alert.message} (no sink acknowledged this critical alert within ${minutes} min; ${entry.attempts} attempt(s): ${entry.lastError ?? "no error text"})` };
    this.logger.error({ key: entry.key, to: targets.map((t) => t.name) }, "critical alert unacknowledged: escalating");
    await Promise.all(
      targets.map(async (t) => {
        try {
          await t.alerter.send(escalated);
        } catch (err) {
          this.logger.error({ sink: t.name, err: (err as Error).message }, "escalation not delivered");
        }
      }),
    );
  }

  private async direct(alert: Alert, sinks: readonly string[]): Promise<void> {
    await Promise.all(
      this.routes
        .filter((r) => sinks.includes(r.name))
        .map(async (r) => {
          try {
            await r.alerter.send(alert);
          } catch (err) {
            this.logger.error({ sink: r.name, err: (err as Error).message }, "alert: a sink failed");
          }
        }),
    );
  }
}
