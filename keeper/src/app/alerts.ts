/**
 * Alert delivery (I/O edge): to the log, to a Slack-compatible incoming webhook, or to both.
 * Delivery never throws: an alert that cannot be sent is logged and dropped, so the daemon
 * loop is never broken by a chat outage.
 */
import type { Logger } from "../lib/logger";
import { redactUrl, scrubSecret } from "../lib/redact";
import { sleep } from "../lib/time";
import type { RiskAlert } from "../policy/riskPush";

export type { Logger } from "../lib/logger";
export { redactUrl } from "../lib/redact";

export type AlertSeverity = "info" | "warning" | "critical";

export interface Alert {
  readonly severity: AlertSeverity;
  /** One line, e.g. "Aave V3 risk rose 28 -> 45". */
  readonly title: string;
  /** Body text (plain; escaped before it goes into Slack markup). */
  readonly message: string;
  readonly protocol?: string;
  /** Label/value pairs shown as a table. */
  readonly fields?: readonly { readonly label: string; readonly value: string | number }[];
  /** Unix seconds (chain time) of the event. */
  readonly at?: number;
  /** Deduplication key (default: severity + title): the same key is delivered at most once per interval. */
  readonly key?: string;
}

export interface Alerter {
  /** Delivers one alert; resolves even when delivery failed (failures are logged). */
  send(alert: Alert): Promise<void>;
}

/** Writes alerts to the structured log at a level matching their severity. */
export class LogAlerter implements Alerter {
  constructor(private readonly logger: Logger) {}

  async send(alert: Alert): Promise<void> {
    const level = alert.severity === "critical" ? "error" : alert.severity === "warning" ? "warn" : "info";
    this.logger[level]({ alert }, `alert: ${alert.title}`);
  }
}

export interface WebhookAlerterOptions {
  /** Incoming-webhook URL; its path and query are secret and never logged. */
  readonly url: string;
  readonly logger: Logger;
  /** Per-attempt timeout. */
  readonly timeoutMs?: number;
  /** Pause before the single retry. */
  readonly retryDelayMs?: number;
}

const DEFAULT_TIMEOUT_MS = 5_000; // milliseconds
const DEFAULT_RETRY_DELAY_MS = 500; // milliseconds

/** Slack Block Kit limits (characters / items) that the payload respects. */
const SLACK_HEADER_MAX = 150; // characters, header plain_text
const SLACK_SECTION_TEXT_MAX = 3_000; // characters, section text
const SLACK_FIELD_TEXT_MAX = 2_000; // characters, one section field
const SLACK_FIELDS_MAX = 10; // fields per section
const SLACK_FALLBACK_TEXT_MAX = 3_000; // characters, our own cap on the notification text

/**
 * Posts alerts as Slack incoming-webhook JSON (`text` as the notification fallback plus
 * `blocks`). One attempt, then one retry after a network error, a timeout, 429 or 5xx.
 */
export class WebhookAlerter implements Alerter {
  private readonly url: string;
  private readonly redactedUrl: string;
  private readonly logger: Logger;
  private readonly timeoutMs: number;
  private readonly retryDelayMs: number;

  constructor(options: WebhookAlerterOptions) {
    this.url = options.url;
    this.redactedUrl = redactUrl(options.url);
    this.logger = options.logger;
    this.timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
    this.retryDelayMs = options.retryDelayMs ?? DEFAULT_RETRY_DELAY_MS;
  }

  async send(alert: Alert): Promise<void> {
    let body: string;
    try {
      body = JSON.stringify(toSlackPayload(alert));
    } catch (err) {
      this.logger.error({ err: this.describeError(err) }, "alert webhook: payload could not be built");
      return;
    }
    for (let attempt = 1; attempt <= 2; attempt++) {
      const outcome = await this.post(body);
      if (outcome.ok) {
        this.logger.debug({ webhook: this.redactedUrl, attempt }, "alert webhook: delivered");
        return;
      }
      const willRetry = attempt === 1 && outcome.retryable;
      this.logger.warn(
        { webhook: this.redactedUrl, attempt, status: outcome.status, error: outcome.error, willRetry },
        "alert webhook: delivery failed",
      );
      if (!willRetry) break;
      await sleep(this.retryDelayMs);
    }
    this.logger.error({ webhook: this.redactedUrl, title: alert.title }, "alert webhook: alert dropped");
  }

  private async post(body: string): Promise<{ ok: boolean; retryable: boolean; status?: number; error?: string }> {
    try {
      const response = await fetch(this.url, {
        method: "POST",
        headers: { "content-type": "application/json; charset=utf-8" },
        body,
        signal: AbortSignal.timeout(this.timeoutMs),
      });
      // Drain the body so the connection can be reused / closed.
      await response.arrayBuffer().catch(() => undefined);
      if (response.ok) return { ok: true, retryable: false, status: response.status };
      const retryable = response.status === 429 || response.status >= 500;
      return { ok: false, retryable, status: response.status };
    } catch (err) {
      return { ok: false, retryable: true, error: this.describeError(err) };
    }
  }

  /** Error text with any trace of the secret URL removed. */
  private describeError(err: unknown): string {
    const parts: string[] = [];
    let cause: unknown = err;
    for (let depth = 0; depth < 3 && cause instanceof Error; depth++) {
      parts.push(`${cause.name}: ${cause.message}`);
      cause = cause.cause;
    }
    if (parts.length === 0) parts.push(String(err));
    return scrubSecret(parts.join(" <- "), this.url);
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

/** Where the dedup memory lives (the state database's `alert_log`). */
export interface AlertGateStore {
  gate(key: string, nowMs: number, intervalMs: number): { send: boolean; suppressed: number; total: number };
}

/**
 * Delivers an alert key at most once per `intervalMs`; the next delivery after a quiet interval
 * says how many were suppressed. Keyed by `alert.key`, else severity + title (a title carries
 * the protocol or claim it is about).
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
    const key = alert.key ?? `${alert.severity}|${alert.title}`;
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

// ---------------------------------------------------------------------------------------------
// Payload
// ---------------------------------------------------------------------------------------------

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

/** Turns a risk move detected by the policy into an alert. */
export function riskAlertToAlert(riskAlert: RiskAlert, label?: string): Alert {
  const name = label ?? riskAlert.protocol;
  const direction = riskAlert.delta > 0 ? "rose" : riskAlert.delta < 0 ? "fell" : "changed category";
  // Rising risk is actionable (worse into HIGH/CRITICAL); falling risk is news.
  const severity: AlertSeverity =
    riskAlert.delta <= 0
      ? "info"
      : riskAlert.to.category === "CRITICAL" || riskAlert.to.category === "HIGH"
        ? "critical"
        : "warning";
  const signedDelta = riskAlert.delta > 0 ? `+${riskAlert.delta}` : String(riskAlert.delta);
  return {
    severity,
    title: `${name} risk ${direction} ${riskAlert.from.composite} -> ${riskAlert.to.composite}`,
    message:
      `Composite ${riskAlert.from.composite} -> ${riskAlert.to.composite} (${signedDelta}), ` +
      `category ${riskAlert.from.category} -> ${riskAlert.to.category}.`,
    protocol: riskAlert.protocol,
    fields: [
      { label: "Composite", value: `${riskAlert.from.composite} -> ${riskAlert.to.composite} (${signedDelta})` },
      { label: "Category", value: `${riskAlert.from.category} -> ${riskAlert.to.category}` },
      { label: "Rules", value: riskAlert.kinds.join(", ") },
    ],
    at: riskAlert.assessedAt,
  };
}

/** Slack treats &, < and > as control characters in mrkdwn (`<!channel>` would ping everyone). */
function escapeMrkdwn(text: string): string {
  return text.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;");
}

function truncate(text: string, max: number): string {
  if (text.length <= max) return text;
  // Never leave half an escape entity ("&am") at the cut.
  return `${text.slice(0, max - 1).replace(/&[a-z]{0,3}$/, "")}…`;
}

