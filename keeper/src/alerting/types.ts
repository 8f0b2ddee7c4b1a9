/** Alert shapes shared by every sink (I/O edge; no network code here). */

export type AlertSeverity = "info" | "warning" | "critical";

export const ALERT_SEVERITIES: readonly AlertSeverity[] = ["info", "warning", "critical"];

export interface Alert {
  readonly severity: AlertSeverity;
  /** One line, e.g. "Aave V3 risk rose 28 -> 45". */
  readonly title: string;
  /** Body text (plain; each sink escapes it for its own markup). */
  readonly message: string;
  readonly protocol?: string;
  /** Label/value pairs shown as a table. */
  readonly fields?: readonly { readonly label: string; readonly value: string | number }[];
  /** Unix seconds (chain time) of the event. */
  readonly at?: number;
  /**
   * Groups repeats of the same condition (PagerDuty `dedup_key`, the JSON webhook's `dedupKey`).
   * Default: derived from the protocol and the title (see `dedupKeyOf`).
   */
  readonly dedupKey?: string;
}

export interface Alerter {
  /**
   * Delivers one alert. A sink (Slack, Discord, PagerDuty, webhook) rejects with
   * `AlertDeliveryError` when the receiver did not accept it, so the outbox retries it; the
   * keeper's top-level alerter (outbox, router) resolves whatever happens.
   */
  send(alert: Alert): Promise<void>;
  /** Retries what is due in a durable outbox (no-op elsewhere). */
  flush?(): Promise<void>;
}

/** A sink's receiver did not acknowledge the alert (after the sink's own retry). */
export class AlertDeliveryError extends Error {
  constructor(
    readonly sink: string,
    readonly status?: number,
  ) {
    super(`alert not delivered by ${sink}${status !== undefined ? ` (HTTP ${status})` : ""}`);
    this.name = "AlertDeliveryError";
  }
}

/** True when `severity` is at least `min` (info < warning < critical). */
export function atLeast(severity: AlertSeverity, min: AlertSeverity): boolean {
  return ALERT_SEVERITIES.indexOf(severity) >= ALERT_SEVERITIES.indexOf(min);
}

/** PagerDuty allows 255 characters in a dedup key. */
const DEDUP_KEY_MAX = 255;

/** The alert's dedup key: its own, else `sif-keeper/<protocol or keeper>/<title without numbers>`. */
export function dedupKeyOf(alert: Alert): string {
  if (alert.dedupKey !== undefined && alert.dedupKey.length > 0) return alert.dedupKey.slice(0, DEDUP_KEY_MAX);
  // Numbers change between repeats of one condition ("risk rose 28 -> 45", "... 45 -> 52").
  const stem = alert.title.replace(/[-+]?\d+(\.\d+)?/g, "#").replace(/\s+/g, " ").trim();
  return `sif-keeper/${alert.protocol ?? "keeper"}/${stem}`.slice(0, DEDUP_KEY_MAX);
}

export function truncate(text: string, max: number): string {
  if (text.length <= max) return text;
  return `${text.slice(0, max - 1)}…`;
}
