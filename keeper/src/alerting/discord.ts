/**
 * Discord "Execute Webhook" (`POST https://discord.com/api/webhooks/{id}/{token}`): one embed per
 * alert, within Discord's limits, mentions disabled. Discord answers 204 No Content on success and
 * 429 with `Retry-After` / `{"retry_after": seconds}` when rate limited (retried once when short).
 */
import type { Logger } from "../lib/logger";
import { JsonPoster } from "./post";
import { AlertDeliveryError, truncate, type Alert, type Alerter, type AlertSeverity } from "./types";

export interface DiscordAlerterOptions {
  /** The webhook URL; its id and token are secret and never logged. */
  readonly url: string;
  readonly logger: Logger;
  readonly timeoutMs?: number;
  readonly retryDelayMs?: number;
  /** Shown as the message author (default "SIF keeper"). */
  readonly username?: string;
}

/** Discord embed limits (characters / items). */
const CONTENT_MAX = 2_000; // message content
const EMBED_TITLE_MAX = 256;
const EMBED_DESCRIPTION_MAX = 4_096;
const EMBED_FIELDS_MAX = 25;
const FIELD_NAME_MAX = 256;
const FIELD_VALUE_MAX = 1_024;
const FOOTER_MAX = 2_048;
const EMBED_TOTAL_MAX = 6_000; // all embed text together

/** Embed side colour per severity (decimal RGB). */
const COLOUR: Record<AlertSeverity, number> = { info: 0x3b82f6, warning: 0xf59e0b, critical: 0xdc2626 };

export interface DiscordEmbed {
  readonly title: string;
  readonly description?: string;
  readonly color: number;
  readonly fields?: readonly { readonly name: string; readonly value: string; readonly inline: boolean }[];
  readonly timestamp?: string;
  readonly footer: { readonly text: string };
}

export interface DiscordPayload {
  readonly username: string;
  readonly content: string;
  readonly embeds: readonly DiscordEmbed[];
  /** No @everyone / role / user pings from alert text. */
  readonly allowed_mentions: { readonly parse: readonly string[] };
}

export function toDiscordPayload(alert: Alert, username = "SIF keeper"): DiscordPayload {
  const title = truncate(alert.title, EMBED_TITLE_MAX);
  const footer = truncate([alert.severity.toUpperCase(), ...(alert.protocol !== undefined ? [`protocol ${alert.protocol}`] : [])].join(" | "), FOOTER_MAX);
  let budget = EMBED_TOTAL_MAX - title.length - footer.length;
  const description = alert.message.length > 0 ? truncate(alert.message, Math.min(EMBED_DESCRIPTION_MAX, budget)) : undefined;
  budget -= description?.length ?? 0;
  const fields: { name: string; value: string; inline: boolean }[] = [];
  for (const field of (alert.fields ?? []).slice(0, EMBED_FIELDS_MAX)) {
    const name = truncate(field.label.length > 0 ? field.label : "-", FIELD_NAME_MAX);
    const value = truncate(String(field.value).length > 0 ? String(field.value) : "-", FIELD_VALUE_MAX);
    if (name.length + value.length > budget) break;
    budget -= name.length + value.length;
    fields.push({ name, value, inline: true });
  }
  return {
    username,
    content: truncate(`[${alert.severity.toUpperCase()}] ${alert.title}`, CONTENT_MAX),
    embeds: [
      {
        title,
        ...(description !== undefined ? { description } : {}),
        color: COLOUR[alert.severity],
        ...(fields.length > 0 ? { fields } : {}),
        ...(alert.at !== undefined ? { timestamp: new Date(alert.at * 1000).toISOString() } : {}),
        footer: { text: footer },
      },
    ],
    allowed_mentions: { parse: [] },
  };
}

export class DiscordWebhookAlerter implements Alerter {
  private readonly poster: JsonPoster;

  constructor(private readonly options: DiscordAlerterOptions) {
    this.poster = new JsonPoster({
      url: options.url,
      logger: options.logger,
      sink: "discord",
      ...(options.timeoutMs !== undefined ? { timeoutMs: options.timeoutMs } : {}),
      ...(options.retryDelayMs !== undefined ? { retryDelayMs: options.retryDelayMs } : {}),
    });
  }

  async send(alert: Alert): Promise<void> {
    const outcome = await this.poster.post(toDiscordPayload(alert, this.options.username), alert.title);
    if (!outcome.ok) throw new AlertDeliveryError("discord", outcome.status);
  }
}
