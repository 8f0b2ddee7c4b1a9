/**
 * Alert delivery (I/O edge): the log always, plus routed sinks — Slack-compatible webhook,
 * Discord webhook, PagerDuty Events API v2, generic JSON webhook — each receiving the alerts at or
 * above its minimum severity. Delivery never throws; secrets are never logged.
 */
import type { ResolvedAlertSink } from "../config";
import type { Logger } from "../lib/logger";
import { DiscordWebhookAlerter } from "./discord";
import { JsonWebhookAlerter } from "./jsonWebhook";
import { PagerDutyAlerter } from "./pagerduty";
import { LogAlerter, SeverityRouter, type AlertRoute } from "./router";
import { SlackWebhookAlerter } from "./slack";
import type { Alerter } from "./types";

export * from "./types";
export * from "./router";
export * from "./slack";
export * from "./discord";
export * from "./pagerduty";
export * from "./jsonWebhook";
export { retryAfterOf } from "./post";
export * from "./riskAlert";
export * from "./outbox";
export { redactUrl } from "../lib/redact";

/** One sink's alerter. */
export function sinkAlerter(sink: ResolvedAlertSink, logger: Logger): Alerter {
  const timeout = sink.timeoutMs !== undefined ? { timeoutMs: sink.timeoutMs } : {};
  switch (sink.type) {
    case "slack":
      return new SlackWebhookAlerter({ url: sink.url, logger, ...timeout });
    case "discord":
      return new DiscordWebhookAlerter({ url: sink.url, logger, ...(sink.username !== undefined ? { username: sink.username } : {}), ...timeout });
    case "pagerduty":
      return new PagerDutyAlerter({ routingKey: sink.routingKey, url: sink.url, logger, ...(sink.source !== undefined ? { source: sink.source } : {}), ...timeout });
    case "webhook":
      return new JsonWebhookAlerter({ url: sink.url, logger, ...(sink.bearerToken !== undefined ? { bearerToken: sink.bearerToken } : {}), ...timeout });
  }
}

/** Every configured sink as a route (name, minimum severity, alerter). */
export function alertRoutesOf(routes: readonly ResolvedAlertSink[], logger: Logger): AlertRoute[] {
  return routes.map((sink) => ({ name: sink.name, minSeverity: sink.minSeverity, alerter: sinkAlerter(sink, logger) }));
}

/** The keeper's alerter: the log plus every configured route, by severity. */
export function buildAlerter(routes: readonly ResolvedAlertSink[], logger: Logger): SeverityRouter {
  return new SeverityRouter(alertRoutesOf(routes, logger), logger, [new LogAlerter(logger)]);
}
