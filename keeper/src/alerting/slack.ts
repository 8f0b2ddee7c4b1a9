/**
 * Slack-compatible incoming webhook (Slack, Mattermost, Rocket.Chat): `text` as the notification
 * fallback plus Block Kit `blocks`, within Block Kit's length limits. Delivery never throws.
 */
import type { Logger } from "../lib/logger";
import { JsonPoster } from "./post";
import { AlertDeliveryError, type Alert, type Alerter, type AlertSeverity } from "./types";

export interface WebhookAlerterOptions {
  /** Incoming-webhook URL; its path and query are secret and never logged. */
  readonly url: string;
  readonly logger: Logger;
  /** Per-attempt timeout. */
  readonly timeoutMs?: number;
  /** Pause before the single retry. */
  readonly retryDelayMs?: number;
}

/** Slack Block Kit limits (characters / items) that the payload respects. */
const SLACK_HEADER_MAX = 150; // characters, header plain_text
const SLACK_SECTION_TEXT_MAX = 3_000; // characters, section text
const SLACK_FIELD_TEXT_MAX = 2_000; // characters, one section field
const SLACK_FIELDS_MAX = 10; // fields per section
const SLACK_FALLBACK_TEXT_MAX = 3_000; // characters, our own cap on the notification text

/**
 * Posts alerts as Slack incoming-webhook JSON. One attempt, then one retry after a network error,
 * a timeout, 429 or 5xx.
 */
export class SlackWebhookAlerter implements Alerter {
  private readonly poster: JsonPoster;

  constructor(options: WebhookAlerterOptions) {
    this.poster = new JsonPoster({
      url: options.url,
      logger: options.logger,
      sink: "slack",
      ...(options.timeoutMs !== undefined ? { timeoutMs: options.timeoutMs } : {}),
      ...(options.retryDelayMs !== undefined ? { retryDelayMs: options.retryDelayMs } : {}),
    });
  }

  async send(alert: Alert): Promise<void> {
    const outcome = await this.poster.post(toSlackPayload(alert), alert.title);
    if (!outcome.ok) throw new AlertDeliveryError("slack", outcome.status);
  }
}

/** The name the keeper used before other sinks existed. */
export const WebhookAlerter = SlackWebhookAlerter;

export interface SlackTextObject {
  readonly type: "plain_text" | "mrkdwn";
  readonly text: string;
}

export type SlackBlock =
  | { readonly type: "header"; readonly text: SlackTextObject }
  | { readonly type: "section"; readonly text?: SlackTextObject; readonly fields?: readonly SlackTextObject[] }
  | { readonly type: "context"; readonly elements: readonly SlackTextObject[] };

export interface SlackPayload {
  /** Notification / fallback text. */
  readonly text: string;
  readonly blocks: readonly SlackBlock[];
}

const SEVERITY_MARK: Record<AlertSeverity, string> = {
  info: ":large_blue_circle:",
  warning: ":large_orange_circle:",
  critical: ":red_circle:",
};

/** Builds the Slack incoming-webhook body, within Block Kit's length limits. */
export function toSlackPayload(alert: Alert): SlackPayload {
  const blocks: SlackBlock[] = [
    { type: "header", text: { type: "plain_text", text: truncate(alert.title, SLACK_HEADER_MAX) } },
  ];
  if (alert.message.length > 0) {
    blocks.push({
      type: "section",
      text: { type: "mrkdwn", text: truncate(escapeMrkdwn(alert.message), SLACK_SECTION_TEXT_MAX) },
    });
  }
  const fields = (alert.fields ?? []).slice(0, SLACK_FIELDS_MAX).map(
    (field): SlackTextObject => ({
      type: "mrkdwn",
      text: truncate(`*${escapeMrkdwn(field.label)}*\n${escapeMrkdwn(String(field.value))}`, SLACK_FIELD_TEXT_MAX),
    }),
  );
  if (fields.length > 0) blocks.push({ type: "section", fields });

  const context = [`${SEVERITY_MARK[alert.severity]} ${alert.severity.toUpperCase()}`];
  if (alert.protocol !== undefined) context.push(`protocol \`${escapeMrkdwn(alert.protocol)}\``);
  if (alert.at !== undefined) context.push(new Date(alert.at * 1000).toISOString());
  blocks.push({ type: "context", elements: [{ type: "mrkdwn", text: context.join(" | ") }] });

  const fallback = `[${alert.severity.toUpperCase()}] ${alert.title}: ${alert.message}`;
  return { text: truncate(escapeMrkdwn(fallback), SLACK_FALLBACK_TEXT_MAX), blocks };
}

/** Slack treats &, < and > as control characters in mrkdwn (`<!channel>` would ping everyone). */
function escapeMrkdwn(text: string): string {
  return text.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;");
}

/** Never leaves half an escape entity ("&am") at the cut. */
function truncate(text: string, max: number): string {
  if (text.length <= max) return text;
  return `${text.slice(0, max - 1).replace(/&[a-z]{0,3}$/, "")}…`;
}
