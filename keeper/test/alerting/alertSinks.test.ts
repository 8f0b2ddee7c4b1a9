/**
 * Alert sinks against loopback receivers that answer like the real services: Discord's Execute
 * Webhook (204 No Content, 429 with `retry_after`, 400 `Invalid Form Body`), PagerDuty Events API v2
 * (202 `{"status":"success","message":"Event processed","dedup_key":...}`, 400 `invalid event`),
 * a generic JSON webhook; routing by severity; sink config with secrets from env, redacted.
 */
import { expect } from "chai";
import http from "node:http";
import type { AddressInfo } from "node:net";
import {
  buildAlerter,
  DiscordWebhookAlerter,
  JsonWebhookAlerter,
  PagerDutyAlerter,
  SeverityRouter,
  dedupKeyOf,
  retryAfterOf,
  toDiscordPayload,
  toPagerDutyEvent,
  AlertDeliveryError,
  type Alert,
  type Alerter,
} from "../../src/alerting";
import { ConfigError, parseConfig, redactConfig, DEFAULT_FIXTURE_DIR } from "../../src/config";
import type { Logger } from "../../src/lib/logger";

interface Received {
  path: string;
  headers: http.IncomingHttpHeaders;
  body: string;
}

async function receiver(respond: (req: Received, n: number, res: http.ServerResponse) => void): Promise<{ base: string; requests: Received[]; close(): Promise<void> }> {
  const requests: Received[] = [];
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      const r = { path: req.url ?? "", headers: req.headers, body: Buffer.concat(chunks).toString("utf8") };
      requests.push(r);
      respond(r, requests.length, res);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return {
    base: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    requests,
    close: () => new Promise<void>((resolve) => {
      server.closeAllConnections();
      server.close(() => resolve());
    }),
  };
}

class Capture implements Logger {
  readonly lines: { level: string; obj: object; msg?: string }[] = [];
  debug(obj: object, msg?: string): void { this.lines.push({ level: "debug", obj, ...(msg !== undefined ? { msg } : {}) }); }
  info(obj: object, msg?: string): void { this.lines.push({ level: "info", obj, ...(msg !== undefined ? { msg } : {}) }); }
  warn(obj: object, msg?: string): void { this.lines.push({ level: "warn", obj, ...(msg !== undefined ? { msg } : {}) }); }
  error(obj: object, msg?: string): void { this.lines.push({ level: "error", obj, ...(msg !== undefined ? { msg } : {}) }); }
  text(): string { return JSON.stringify(this.lines); }
}

const ALERT: Alert = {
  severity: "critical",
  title: "Aave V3 risk rose 28 -> 82",
  message: "Composite 28 -> 82 (+54) @everyone",
  protocol: "aave-v3",
  fields: [{ label: "Composite", value: "28 -> 82" }, { label: "Rules", value: "composite-moved" }],
  at: 1_750_000_000,
};
const DISCORD_SECRET = "/api/webhooks/123456789012345678/DiscordSecretTokenXYZ";
const ROUTING_KEY = "R0UT1NGKEYR0UT1NGKEYR0UT1NGKEY12"; // 32 characters

describe("alert sinks", () => {
  const closers: (() => Promise<void>)[] = [];
  afterEach(async () => {
    await Promise.all(closers.splice(0).map((close) => close()));
  });

  describe("Discord webhook", () => {
    it("posts one embed within Discord's limits with mentions disabled; 204 is success", async () => {
      const hook = await receiver((_r, _n, res) => res.writeHead(204).end());
      closers.push(hook.close);
      const logger = new Capture();
      await new DiscordWebhookAlerter({ url: `${hook.base}${DISCORD_SECRET}`, logger }).send(ALERT);
      expect(hook.requests).to.have.length(1);
      expect(hook.requests[0]?.path).to.equal(DISCORD_SECRET);
      const body = JSON.parse(hook.requests[0]?.body ?? "{}") as ReturnType<typeof toDiscordPayload>;
      expect(body.allowed_mentions).to.deep.equal({ parse: [] });
      expect(body.embeds).to.have.length(1);
      expect(body.embeds[0]).to.include({ title: ALERT.title, description: ALERT.message, color: 0xdc2626, timestamp: "2025-06-15T15:06:40.000Z" });
      expect(body.embeds[0]?.fields).to.deep.equal([
        { name: "Composite", value: "28 -> 82", inline: true },
        { name: "Rules", value: "composite-moved", inline: true },
      ]);
      expect(logger.lines.map((l) => l.level)).to.deep.equal(["debug"]);
      expect(logger.text()).not.to.contain("DiscordSecretTokenXYZ");
    });

    it("truncates to the embed limits (title 256, description 4096, field value 1024, 25 fields, 6000 in total)", () => {
      const payload = toDiscordPayload({
        severity: "info",
        title: "t".repeat(400),
        message: "m".repeat(5_000),
        fields: Array.from({ length: 30 }, (_, i) => ({ label: `f${i}`, value: "v".repeat(1_500) })),
      });
      const embed = payload.embeds[0];
      expect(embed?.title).to.have.length(256);
      expect(embed?.description).to.have.length(4_096);
      for (const f of embed?.fields ?? []) expect(f.value.length).to.be.at.most(1_024);
      const total = (embed?.title.length ?? 0) + (embed?.description?.length ?? 0) + (embed?.footer.text.length ?? 0) + (embed?.fields ?? []).reduce((n, f) => n + f.name.length + f.value.length, 0);
      expect(total).to.be.at.most(6_000);
      expect(payload.content.length).to.be.at.most(2_000);
    });

    it("waits out a short 429 retry_after and delivers; a 400 Invalid Form Body is not retried", async () => {
      const hook = await receiver((_r, n, res) => {
        if (n === 1) res.writeHead(429, { "content-type": "application/json" }).end(JSON.stringify({ message: "You are being rate limited.", retry_after: 0.05, global: false }));
        else res.writeHead(204).end();
      });
      closers.push(hook.close);
      const logger = new Capture();
      const started = Date.now();
      await new DiscordWebhookAlerter({ url: `${hook.base}${DISCORD_SECRET}`, logger, retryDelayMs: 5_000 }).send(ALERT);
      expect(hook.requests).to.have.length(2);
      expect(Date.now() - started).to.be.within(40, 3_000);
      expect(logger.lines.map((l) => l.level)).to.deep.equal(["warn", "debug"]);

      const bad = await receiver((_r, _n, res) => res.writeHead(400, { "content-type": "application/json" }).end(JSON.stringify({ code: 50035, errors: {}, message: "Invalid Form Body" })));
      closers.push(bad.close);
      const log2 = new Capture();
      await new DiscordWebhookAlerter({ url: `${bad.base}${DISCORD_SECRET}`, logger: log2, retryDelayMs: 5 }).send(ALERT).then(
        () => expect.fail("a failed delivery must reject"),
        (err: unknown) => expect(err).to.be.instanceOf(AlertDeliveryError),
      );
      expect(bad.requests).to.have.length(1);
      expect(log2.lines.map((l) => l.level)).to.deep.equal(["warn", "error"]);
      expect(log2.text()).to.contain("Invalid Form Body").and.not.contain("DiscordSecretTokenXYZ");
    });
  });

  describe("PagerDuty Events API v2", () => {
    it("sends a trigger event with routing_key, dedup_key and the mapped severity; 202 is success; the key is never logged", async () => {
      const pd = await receiver((r, _n, res) => {
        const event = JSON.parse(r.body) as { dedup_key: string };
        res.writeHead(202, { "content-type": "application/json" }).end(JSON.stringify({ status: "success", message: "Event processed", dedup_key: event.dedup_key }));
      });
      closers.push(pd.close);
      const logger = new Capture();
      await new PagerDutyAlerter({ routingKey: ROUTING_KEY, url: `${pd.base}/v2/enqueue`, logger }).send(ALERT);
      expect(pd.requests).to.have.length(1);
      expect(pd.requests[0]?.path).to.equal("/v2/enqueue");
      const event = JSON.parse(pd.requests[0]?.body ?? "{}") as ReturnType<typeof toPagerDutyEvent>;
      expect(event).to.include({ routing_key: ROUTING_KEY, event_action: "trigger", dedup_key: "sif-keeper/aave-v3/Aave V# risk rose # -> #" });
      expect(event.payload).to.include({ summary: ALERT.title, source: "sif-keeper", severity: "critical", timestamp: "2025-06-15T15:06:40.000Z", component: "aave-v3" });
      expect(event.payload.custom_details).to.deep.include({ message: ALERT.message, Composite: "28 -> 82" });
      expect(logger.lines.map((l) => l.level)).to.deep.equal(["debug"]);
      expect(logger.text()).not.to.contain(ROUTING_KEY);
    });

    it("maps info/warning/critical to PagerDuty severities and keeps one dedup key across repeats of a condition", () => {
      expect(toPagerDutyEvent({ ...ALERT, severity: "info" }, ROUTING_KEY).payload.severity).to.equal("info");
      expect(toPagerDutyEvent({ ...ALERT, severity: "warning" }, ROUTING_KEY).payload.severity).to.equal("warning");
      expect(dedupKeyOf({ ...ALERT, title: "Aave V3 risk rose 45 -> 90" })).to.equal(dedupKeyOf(ALERT));
      expect(dedupKeyOf({ ...ALERT, dedupKey: "mine" })).to.equal("mine");
      expect(toPagerDutyEvent({ ...ALERT, title: "x".repeat(2_000) }, ROUTING_KEY).payload.summary).to.have.length(1_024);
      expect(dedupKeyOf({ ...ALERT, title: "y".repeat(400) }).length).to.be.at.most(255);
    });

    it("does not retry a 400 invalid event and scrubs an echoed routing key from the log", async () => {
      const pd = await receiver((r, _n, res) =>
        res.writeHead(400, { "content-type": "application/json" }).end(JSON.stringify({ status: "invalid event", message: "Event object is invalid", errors: [`bad key ${JSON.parse(r.body).routing_key}`] })),
      );
      closers.push(pd.close);
      const logger = new Capture();
      await new PagerDutyAlerter({ routingKey: ROUTING_KEY, url: `${pd.base}/v2/enqueue`, logger, retryDelayMs: 5 }).send(ALERT).then(
        () => expect.fail("a failed delivery must reject"),
        (err: unknown) => expect(err).to.be.instanceOf(AlertDeliveryError),
      );
      expect(pd.requests).to.have.length(1);
      expect(logger.text()).to.contain("invalid event").and.not.contain(ROUTING_KEY);
    });
  });

  describe("generic JSON webhook", () => {
    it("posts the alert as versioned JSON with the bearer token header, never logged", async () => {
      const hook = await receiver((_r, _n, res) => res.writeHead(200).end("ok"));
      closers.push(hook.close);
      const logger = new Capture();
      await new JsonWebhookAlerter({ url: `${hook.base}/hooks/keeper`, bearerToken: "tok-SECRET-123", logger }).send(ALERT);
      expect(hook.requests[0]?.headers.authorization).to.equal("Bearer tok-SECRET-123");
      expect(JSON.parse(hook.requests[0]?.body ?? "{}")).to.deep.equal({
        schema: "sif-keeper-alert/1",
        source: "sif-keeper",
        severity: "critical",
        title: ALERT.title,
        message: ALERT.message,
        protocol: "aave-v3",
        fields: ALERT.fields,
        at: "2025-06-15T15:06:40.000Z",
        dedupKey: dedupKeyOf(ALERT),
      });
      expect(logger.text()).not.to.contain("tok-SECRET-123");
    });
  });

  describe("routing", () => {
    it("sends each alert to the log and to every sink whose minimum severity it meets; a throwing sink never stops the others", async () => {
      const got: Record<string, string[]> = { log: [], slack: [], pager: [], broken: [] };
      const sink = (name: string, throws = false): Alerter => ({
        send: async (a) => {
          got[name]?.push(a.severity);
          if (throws) throw new Error("boom");
        },
      });
      const logger = new Capture();
      const router = new SeverityRouter(
        [
          { name: "slack", minSeverity: "info", alerter: sink("slack") },
          { name: "pager", minSeverity: "critical", alerter: sink("pager") },
          { name: "broken", minSeverity: "warning", alerter: sink("broken", true) },
        ],
        logger,
        [sink("log")],
      );
      for (const severity of ["info", "warning", "critical"] as const) await router.send({ ...ALERT, severity });
      expect(got).to.deep.equal({ log: ["info", "warning", "critical"], slack: ["info", "warning", "critical"], pager: ["critical"], broken: ["warning", "critical"] });
      expect(router.routesFor("warning")).to.deep.equal(["slack", "broken"]);
      expect(logger.lines.filter((l) => l.msg === "alert: a sink threw").map((l) => (l.obj as { sink: string }).sink)).to.deep.equal(["broken", "broken"]);
    });

    it("parses Retry-After in seconds, as an HTTP date, and Discord's JSON body", () => {
      expect(retryAfterOf("2", "")).to.equal(2_000);
      expect(retryAfterOf(null, '{"retry_after": 0.25}')).to.equal(250);
      expect(retryAfterOf(null, "not json")).to.equal(undefined);
      expect(retryAfterOf(new Date(Date.now() + 60_000).toUTCString(), "")).to.be.within(55_000, 60_000);
    });
  });

  describe("config", () => {
    const base = { protocols: [{ id: "aave-v3", name: "Aave V3", address: "0x1111111111111111111111111111111111111111" }], sources: { fixture: { path: DEFAULT_FIXTURE_DIR } } };

    it("resolves each sink's secret from its env variable, routes the legacy webhook first, and redacts every secret", async () => {
      const cfg = parseConfig(
        {
          ...base,
          alerts: {
            sinks: [
              { type: "discord", urlEnv: "DISCORD_URL" },
              { type: "pagerduty", routingKeyEnv: "PD_KEY" },
              { type: "webhook", url: "https://hooks.example.com/path/SECRETPATH", bearerTokenEnv: "HOOK_TOKEN", minSeverity: "warning" },
            ],
          },
        },
        { env: { ALERT_WEBHOOK_URL: "https://hooks.slack.com/services/T/B/SLACKSECRET", DISCORD_URL: `https://discord.com${DISCORD_SECRET}`, PD_KEY: ROUTING_KEY, HOOK_TOKEN: "hook-token-value" } },
      );
      expect(cfg.alerts.routes.map((r) => [r.type, r.name, r.minSeverity])).to.deep.equal([
        ["slack", "slack", "info"],
        ["discord", "discord", "warning"],
        ["pagerduty", "pagerduty", "critical"],
        ["webhook", "webhook", "warning"],
      ]);
      expect(cfg.alerts.routes[2]).to.include({ url: "https://events.pagerduty.com/v2/enqueue", routingKey: ROUTING_KEY });
      const dump = JSON.stringify(redactConfig(cfg));
      for (const secret of ["SLACKSECRET", "DiscordSecretTokenXYZ", ROUTING_KEY, "SECRETPATH", "hook-token-value"]) expect(dump, secret).not.to.contain(secret);
      const router = buildAlerter(cfg.alerts.routes, new Capture());
      expect(router.routesFor("critical")).to.deep.equal(["slack", "discord", "pagerduty", "webhook"]);
      expect(router.routesFor("info")).to.deep.equal(["slack"]);
    });

    it("names the field and the fix: unset env variable, bad routing key, both or neither secret, unknown type", () => {
      const issues = (alerts: unknown, env: Record<string, string> = {}): string[] => {
        try {
          parseConfig({ ...base, alerts }, { env });
          return [];
        } catch (err) {
          return (err as ConfigError).issues as string[];
        }
      };
      expect(issues({ sinks: [{ type: "discord", urlEnv: "NOPE" }] })).to.deep.equal(["config.alerts.sinks[0].urlEnv: env NOPE is not set — set it or remove the sink"]);
      expect(issues({ sinks: [{ type: "pagerduty", routingKeyEnv: "PD" }] }, { PD: "short" })[0]).to.match(/sinks\[0\]\.routingKeyEnv: env PD is not a PagerDuty routing key/);
      expect(issues({ sinks: [{ type: "slack" }] })[0]).to.match(/^config\.alerts\.sinks\[0\]\.urlEnv: give exactly one of url and urlEnv/);
      expect(issues({ sinks: [{ type: "slack", url: "https://a.example/x", urlEnv: "X" }] })[0]).to.match(/give exactly one of url and urlEnv/);
      expect(issues({ sinks: [{ type: "teams", url: "https://a.example/x" }] })[0]).to.match(/^config\.alerts\.sinks\[0\]\.type: unknown sink type — use slack, discord, pagerduty or webhook/);
      expect(issues({ sinks: [{ type: "discord", url: "https://a.example/x", minSeverity: "loud" }] })[0]).to.match(/minSeverity: not a severity — use one of info, warning, critical/);
    });
  });
});
