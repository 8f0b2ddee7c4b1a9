/**
 * Alert routing: every alert goes to the log; each configured sink gets the alerts at or above
 * its minimum severity. One sink failing (or throwing) never stops the others.
 */
import type { Logger } from "../lib/logger";
import { atLeast, type Alert, type Alerter, type AlertSeverity } from "./types";

/** Writes alerts to the structured log at a level matching their severity. */
export class LogAlerter implements Alerter {
  constructor(private readonly logger: Logger) {}

  async send(alert: Alert): Promise<void> {
    const level = alert.severity === "critical" ? "error" : alert.severity === "warning" ? "warn" : "info";
    this.logger[level]({ alert }, `alert: ${alert.title}`);
  }
}

/** Fans an alert out to several alerters; one failing never stops the others. */
export class MultiAlerter implements Alerter {
  constructor(
    private readonly alerters: readonly Alerter[],
    private readonly logger?: Logger,
  ) {}

  async send(alert: Alert): Promise<void> {
    const results = await Promise.allSettled(this.alerters.map((alerter) => alerter.send(alert)));
    results.forEach((result, index) => {
      if (result.status === "rejected") {
        const reason = result.reason instanceof Error ? result.reason.message : String(result.reason);
        this.logger?.error({ alerter: index, reason }, "alert: an alerter threw");
      }
    });
  }
}

export interface AlertRoute {
  /** For logs, e.g. "pagerduty" or "slack#1". */
  readonly name: string;
  readonly minSeverity: AlertSeverity;
  readonly alerter: Alerter;
}

/** Sends each alert to the routes whose minimum severity it meets (and always to `always`). */
export class SeverityRouter implements Alerter {
  constructor(
    private readonly routes: readonly AlertRoute[],
    private readonly logger: Logger,
    private readonly always: readonly Alerter[] = [],
  ) {}

  /** The route names an alert of `severity` reaches (for tests and the start-up log). */
  routesFor(severity: AlertSeverity): string[] {
    return this.routes.filter((r) => atLeast(severity, r.minSeverity)).map((r) => r.name);
  }

  async send(alert: Alert): Promise<void> {
    const targets = [...this.always, ...this.routes.filter((r) => atLeast(alert.severity, r.minSeverity)).map((r) => r.alerter)];
    const names = ["log", ...this.routesFor(alert.severity)];
    const results = await Promise.allSettled(targets.map((alerter) => alerter.send(alert)));
    results.forEach((result, index) => {
      if (result.status === "rejected") {
        const reason = result.reason instanceof Error ? result.reason.message : String(result.reason);
        this.logger.error({ sink: names[index] ?? String(index), reason }, "alert: a sink threw");
      }
    });
  }
}
