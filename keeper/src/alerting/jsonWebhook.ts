/**
 * A generic JSON webhook for anything else (an incident bot, n8n, a SIEM): the alert as plain JSON
 * with a schema version, optionally with an `Authorization: Bearer` token. Any 2xx is success.
 */
import type { Logger } from "../lib/logger";
import { JsonPoster } from "./post";
import { AlertDeliveryError, dedupKeyOf, type Alert, type Alerter, type AlertSeverity } from "./types";

export interface JsonWebhookAlerterOptions {
  readonly url: string;
  readonly logger: Logger;
  /** Sent as `Authorization: Bearer <token>`; secret. */
  readonly bearerToken?: string;
  readonly timeoutMs?: number;
  readonly retryDelayMs?: number;
}

export interface JsonWebhookBody {
  readonly schema: "sif-keeper-alert/1";
  readonly source: "sif-keeper";
  readonly severity: AlertSeverity;
  readonly title: string;
  readonly message: string;
  readonly protocol: string | null;
  readonly fields: readonly { readonly label: string; readonly value: string | number }[];
  /** ISO 8601 of the event (chain time), or null. */
  readonly at: string | null;
  readonly dedupKey: string;
}

export function toJsonWebhookBody(alert: Alert): JsonWebhookBody {
  return {
    schema: "sif-keeper-alert/1",
    source: "sif-keeper",
    severity: alert.severity,
    title: alert.title,
    message: alert.message,
    protocol: alert.protocol ?? null,
    fields: alert.fields ?? [],
    at: alert.at !== undefined ? new Date(alert.at * 1000).toISOString() : null,
    dedupKey: dedupKeyOf(alert),
  };
}

export class JsonWebhookAlerter implements Alerter {
  private readonly poster: JsonPoster;

  constructor(options: JsonWebhookAlerterOptions) {
    this.poster = new JsonPoster({
      url: options.url,
      logger: options.logger,
      sink: "json-webhook",
      ...(options.bearerToken !== undefined ? { headers: { authorization: `Bearer ${options.bearerToken}` } } : {}),
      ...(options.timeoutMs !== undefined ? { timeoutMs: options.timeoutMs } : {}),
      ...(options.retryDelayMs !== undefined ? { retryDelayMs: options.retryDelayMs } : {}),
    });
  }

  async send(alert: Alert): Promise<void> {
    const outcome = await this.poster.post(toJsonWebhookBody(alert), alert.title);
    if (!outcome.ok) throw new AlertDeliveryError("webhook", outcome.status);
  }
}
