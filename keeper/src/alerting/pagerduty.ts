/**
 * PagerDuty Events API v2: `POST https://events.pagerduty.com/v2/enqueue` with
 * `{ routing_key, event_action: "trigger", dedup_key, payload: { summary, source, severity, timestamp,
 * component, group, class, custom_details } }`. PagerDuty answers 202
 * `{"status":"success","message":"Event processed","dedup_key":...}`, 400 `{"status":"invalid event",
 * "errors":[...]}` for a malformed event (not retried) and 429 when rate limited (retried once).
 * The routing (integration) key is a secret: it is in the body only, never logged.
 */
import type { Logger } from "../lib/logger";
import { JsonPoster } from "./post";
import { AlertDeliveryError, dedupKeyOf, truncate, type Alert, type Alerter, type AlertSeverity } from "./types";

export const PAGERDUTY_EVENTS_URL = "https://events.pagerduty.com/v2/enqueue";

export interface PagerDutyAlerterOptions {
  /** Events API v2 integration key of the service (32 characters). Secret. */
  readonly routingKey: string;
  readonly logger: Logger;
  /** Default PAGERDUTY_EVENTS_URL; tests point it at a loopback server. */
  readonly url?: string;
  /** `payload.source` (default "sif-keeper"). */
  readonly source?: string;
  readonly timeoutMs?: number;
  readonly retryDelayMs?: number;
}

export type PagerDutySeverity = "critical" | "error" | "warning" | "info";

/** Keeper severity → PagerDuty severity (PagerDuty's `error` is not used: critical pages, warning does not). */
export const PAGERDUTY_SEVERITY: Record<AlertSeverity, PagerDutySeverity> = { info: "info", warning: "warning", critical: "critical" };

const SUMMARY_MAX = 1_024; // characters, payload.summary

export interface PagerDutyEvent {
  readonly routing_key: string;
  readonly event_action: "trigger";
  readonly dedup_key: string;
  readonly client: string;
  readonly payload: {
    readonly summary: string;
    readonly source: string;
    readonly severity: PagerDutySeverity;
    readonly timestamp?: string;
    readonly component?: string;
    readonly group: string;
    readonly class: string;
    readonly custom_details: Readonly<Record<string, string | number>>;
  };
}

export function toPagerDutyEvent(alert: Alert, routingKey: string, source = "sif-keeper"): PagerDutyEvent {
  const details: Record<string, string | number> = { message: alert.message };
  for (const field of alert.fields ?? []) details[field.label] = field.value;
  return {
    routing_key: routingKey,
    event_action: "trigger",
    dedup_key: dedupKeyOf(alert),
    client: "Stablecoin Insurance Fund keeper",
    payload: {
      summary: truncate(alert.title, SUMMARY_MAX),
      source,
      severity: PAGERDUTY_SEVERITY[alert.severity],
      ...(alert.at !== undefined ? { timestamp: new Date(alert.at * 1000).toISOString() } : {}),
      ...(alert.protocol !== undefined ? { component: alert.protocol } : {}),
      group: "stablecoin-insurance-fund",
      class: alert.protocol !== undefined ? "protocol" : "keeper",
      custom_details: details,
    },
  };
}

export class PagerDutyAlerter implements Alerter {
  private readonly poster: JsonPoster;

  constructor(private readonly options: PagerDutyAlerterOptions) {
    this.poster = new JsonPoster({
      url: options.url ?? PAGERDUTY_EVENTS_URL,
      logger: options.logger,
      sink: "pagerduty",
      // The key is in the body: scrub it from any response text that echoes it.
      secrets: [options.routingKey],
      ...(options.timeoutMs !== undefined ? { timeoutMs: options.timeoutMs } : {}),
      ...(options.retryDelayMs !== undefined ? { retryDelayMs: options.retryDelayMs } : {}),
    });
  }

  async send(alert: Alert): Promise<void> {
    const outcome = await this.poster.post(toPagerDutyEvent(alert, this.options.routingKey, this.options.source), alert.title);
    if (!outcome.ok) throw new AlertDeliveryError("pagerduty", outcome.status);
    if (outcome.ok && outcome.status !== 202) {
      this.options.logger.warn({ sink: "pagerduty", status: outcome.status }, "alert: PagerDuty answered without 202 Accepted");
    }
  }
}
