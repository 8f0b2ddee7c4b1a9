import { expect } from "chai";
import http from "node:http";
import type { AddressInfo } from "node:net";

import {
  LogAlerter,
  MultiAlerter,
  WebhookAlerter,
  redactUrl,
  riskAlertToAlert,
  toSlackPayload,
  AlertDeliveryError,
  type Alert,
  type Alerter,
} from "../../src/alerting";
import type { Logger } from "../../src/lib/logger";
import type { RiskAlert } from "../../src/policy/riskPush";

const SECRET_PATH = "/services/T0001/B0002/XSECRETXTOKENX";
const SECRET_QUERY = "?token=TOPSECRET";

interface LogEntry {
  level: "debug" | "info" | "warn" | "error";
  obj: object;
  msg: string;
}

class CaptureLogger implements Logger {
  readonly entries: LogEntry[] = [];
  debug(obj: object, msg: string): void {
    this.entries.push({ level: "debug", obj, msg });
  }
  info(obj: object, msg: string): void {
    this.entries.push({ level: "info", obj, msg });
  }
  warn(obj: object, msg: string): void {
    this.entries.push({ level: "warn", obj, msg });
  }
  error(obj: object, msg: string): void {
    this.entries.push({ level: "error", obj, msg });
  }
  levels(): string[] {
    return this.entries.map((e) => e.level);
  }
  text(): string {
    return JSON.stringify(this.entries);
  }
}

interface ReceivedRequest {
  method: string;
  url: string;
  contentType: string | undefined;
  body: string;
}

interface Receiver {
  /** Webhook URL with a secret path and query. */
  url: string;
  requests: ReceivedRequest[];
  close(): Promise<void>;
}

/** Loopback webhook receiver; `respond` decides per request (n = 1-based request number). */
async function startReceiver(respond: (res: http.ServerResponse, n: number) => void): Promise<Receiver> {
  const requests: ReceivedRequest[] = [];
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (chunk: Buffer) => chunks.push(chunk));
    req.on("end", () => {
      requests.push({
        method: req.method ?? "",
        url: req.url ?? "",
        contentType: req.headers["content-type"],
        body: Buffer.concat(chunks).toString("utf8"),
      });
      respond(res, requests.length);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}${SECRET_PATH}${SECRET_QUERY}`,
    requests,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

function reply(status: number, body = "ok"): (res: http.ServerResponse) => void {
  return (res) => {
    res.writeHead(status, { "content-type": "text/plain" });
    res.end(body);
  };
}

const ALERT: Alert = {
  severity: "critical",
  title: "GMX risk rose 55 -> 82",
  message: "Composite jumped; <!channel> & friends",
  protocol: "0x3333333333333333333333333333333333333333",
  fields: [
    { label: "Composite", value: "55 -> 82 (+27)" },
    { label: "TVL risk", value: 80 },
  ],
  at: 1_750_000_000,
};

function expectNoSecretIn(logger: CaptureLogger): void {
  const text = logger.text();
  expect(text).not.to.contain("XSECRETXTOKENX");
  expect(text).not.to.contain("TOPSECRET");
  expect(text).not.to.contain("T0001");
}

describe("alerting", () => {
  let receiver: Receiver | undefined;
  afterEach(async () => {
    await receiver?.close();
    receiver = undefined;
  });

  describe("WebhookAlerter", () => {
    it("posts Slack incoming-webhook JSON (text fallback + blocks) to the configured URL", async () => {
      receiver = await startReceiver(reply(200));
      const logger = new CaptureLogger();
      await new WebhookAlerter({ url: receiver.url, logger }).send(ALERT);

      expect(receiver.requests).to.have.length(1);
      const [request] = receiver.requests;
      expect(request!.method).to.equal("POST");
      expect(request!.url).to.equal(SECRET_PATH + SECRET_QUERY);
      expect(request!.contentType).to.match(/^application\/json/);
      const payload = JSON.parse(request!.body);
      expect(payload.text).to.equal(
        "[CRITICAL] GMX risk rose 55 -&gt; 82: Composite jumped; &lt;!channel&gt; &amp; friends",
      );
      expect(payload.blocks.map((b: { type: string }) => b.type)).to.deep.equal(["header", "section", "section", "context"]);
      expect(payload.blocks[0]).to.deep.equal({ type: "header", text: { type: "plain_text", text: ALERT.title } });
      expect(payload.blocks[1]).to.deep.equal({
        type: "section",
        text: { type: "mrkdwn", text: "Composite jumped; &lt;!channel&gt; &amp; friends" },
      });
      expect(payload.blocks[2].fields).to.deep.equal([
        { type: "mrkdwn", text: "*Composite*\n55 -&gt; 82 (+27)" },
        { type: "mrkdwn", text: "*TVL risk*\n80" },
      ]);
      const context: string = payload.blocks[3].elements[0].text;
      expect(context).to.contain("CRITICAL").and.to.contain(ALERT.protocol!).and.to.contain("2025-06-15T15:06:40.000Z");

      expect(logger.levels()).to.deep.equal(["debug"]);
      expect(logger.entries[0]!.obj).to.deep.include({ webhook: redactUrl(receiver.url), attempt: 1 });
      expectNoSecretIn(logger);
    });

    it("retries once after a 5xx and succeeds", async () => {
      receiver = await startReceiver((res, n) => reply(n === 1 ? 500 : 200)(res));
      const logger = new CaptureLogger();
      await new WebhookAlerter({ url: receiver.url, logger, retryDelayMs: 5 }).send(ALERT);
      expect(receiver.requests).to.have.length(2);
      expect(receiver.requests[1]!.body).to.equal(receiver.requests[0]!.body);
      expect(logger.levels()).to.deep.equal(["warn", "debug"]);
      expect(logger.entries[0]!.obj).to.deep.include({ status: 500, willRetry: true });
      expectNoSecretIn(logger);
    });

    it("retries a 429 once, then logs an error and rejects (the outbox retries it)", async () => {
      receiver = await startReceiver(reply(429, "rate_limited"));
      const logger = new CaptureLogger();
      await new WebhookAlerter({ url: receiver.url, logger, retryDelayMs: 5 }).send(ALERT).then(
        () => expect.fail("a failed delivery must reject"),
        (err: unknown) => expect(err).to.be.instanceOf(AlertDeliveryError),
      );
      expect(receiver.requests).to.have.length(2);
      expect(logger.levels()).to.deep.equal(["warn", "warn", "error"]);
      expect(logger.entries[1]!.obj).to.deep.include({ attempt: 2, willRetry: false });
      expectNoSecretIn(logger);
    });

    it("does not retry a 4xx other than 429", async () => {
      receiver = await startReceiver(reply(400, "invalid_payload"));
      const logger = new CaptureLogger();
      await new WebhookAlerter({ url: receiver.url, logger, retryDelayMs: 5 }).send(ALERT).then(
        () => expect.fail("a failed delivery must reject"),
        (err: unknown) => expect(err).to.be.instanceOf(AlertDeliveryError),
      );
      expect(receiver.requests).to.have.length(1);
      expect(logger.levels()).to.deep.equal(["warn", "error"]);
      expect(logger.entries[0]!.obj).to.deep.include({ status: 400, willRetry: false });
    });

    it("times out a receiver that never answers, retries once, and rejects", async () => {
      receiver = await startReceiver(() => {
        /* hold the request open */
      });
      const logger = new CaptureLogger();
      const started = Date.now();
      await new WebhookAlerter({ url: receiver.url, logger, timeoutMs: 150, retryDelayMs: 5 }).send(ALERT).then(
        () => expect.fail("a failed delivery must reject"),
        (err: unknown) => expect(err).to.be.instanceOf(AlertDeliveryError),
      );
      const elapsed = Date.now() - started;
      expect(receiver.requests).to.have.length(2);
      expect(elapsed).to.be.within(290, 2_000);
      expect(logger.levels()).to.deep.equal(["warn", "warn", "error"]);
      expect(String((logger.entries[0]!.obj as { error?: string }).error)).to.match(/TimeoutError|abort/i);
      expectNoSecretIn(logger);
    });

    it("survives a refused connection and never logs the secret", async () => {
      receiver = await startReceiver(reply(200));
      const url = receiver.url;
      await receiver.close();
      receiver = undefined;
      const logger = new CaptureLogger();
      await new WebhookAlerter({ url, logger, retryDelayMs: 5 }).send(ALERT).then(
        () => expect.fail("a failed delivery must reject"),
        (err: unknown) => expect(err).to.be.instanceOf(AlertDeliveryError),
      );
      expect(logger.levels()).to.deep.equal(["warn", "warn", "error"]);
      expect(String((logger.entries[0]!.obj as { error?: string }).error)).to.match(/ECONNREFUSED|fetch failed/);
      expectNoSecretIn(logger);
    });

    it("scrubs the URL from error messages that quote it (credentials in the URL)", async () => {
      receiver = await startReceiver(reply(200));
      const withCredentials = receiver.url.replace("http://", "http://hookuser:PASSWORDX@");
      const logger = new CaptureLogger();
      await new WebhookAlerter({ url: withCredentials, logger, retryDelayMs: 5 }).send(ALERT).then(
        () => expect.fail("a failed delivery must reject"),
        (err: unknown) => expect(err).to.be.instanceOf(AlertDeliveryError),
      );
      expect(receiver.requests).to.have.length(0);
      const error = String((logger.entries[0]!.obj as { error?: string }).error);
      expect(error).to.contain("credentials").and.to.contain("<redacted url>");
      expectNoSecretIn(logger);
      expect(logger.text()).not.to.contain("PASSWORDX");
    });
  });

  describe("redactUrl", () => {
    it("keeps only scheme and host", () => {
      expect(redactUrl("https://user:pw@hooks.example.com:8443/services/T/B/SECRET?token=x#frag")).to.equal(
        "https://hooks.example.com:8443/<redacted>",
      );
      expect(redactUrl("not a url /services/SECRET")).to.equal("<invalid url redacted>");
    });
  });

  describe("toSlackPayload", () => {
    it("respects Block Kit limits: header 150, section 3000, 10 fields", () => {
      const payload = toSlackPayload({
        severity: "info",
        title: "t".repeat(200),
        message: "&".repeat(2_000),
        fields: Array.from({ length: 12 }, (_, i) => ({ label: `f${i}`, value: i })),
      });
      const [header, section, fields] = payload.blocks;
      expect(header).to.have.nested.property("text.text").with.length(150);
      const sectionText = (section as { text: { text: string } }).text.text;
      expect(sectionText.length).to.be.at.most(3_000);
      expect(sectionText).to.match(/^(&amp;)+…$/); // cut between entities, never inside one
      expect(fields).to.have.property("fields").with.length(10);
      expect(payload.text.length).to.be.at.most(3_000);
    });

    it("omits the empty message section and the optional context parts", () => {
      const payload = toSlackPayload({ severity: "warning", title: "x", message: "" });
      expect(payload.blocks.map((b) => b.type)).to.deep.equal(["header", "context"]);
      expect(payload.blocks[1]).to.deep.equal({
        type: "context",
        elements: [{ type: "mrkdwn", text: ":large_orange_circle: WARNING" }],
      });
    });
  });

  describe("LogAlerter", () => {
    it("logs at the level matching the severity", async () => {
      const logger = new CaptureLogger();
      const alerter = new LogAlerter(logger);
      await alerter.send({ ...ALERT, severity: "info" });
      await alerter.send({ ...ALERT, severity: "warning" });
      await alerter.send(ALERT);
      expect(logger.levels()).to.deep.equal(["info", "warn", "error"]);
      expect(logger.entries[2]).to.deep.equal({ level: "error", obj: { alert: ALERT }, msg: `alert: ${ALERT.title}` });
    });
  });

  describe("MultiAlerter", () => {
    it("delivers to every alerter even when one throws, and logs the failure", async () => {
      const delivered: Alert[] = [];
      const throwing: Alerter = { send: () => Promise.reject(new Error("boom")) };
      const recording: Alerter = { send: async (alert) => void delivered.push(alert) };
      const logger = new CaptureLogger();
      await new MultiAlerter([throwing, recording], logger).send(ALERT);
      expect(delivered).to.deep.equal([ALERT]);
      expect(logger.entries).to.deep.equal([
        { level: "error", obj: { alerter: 0, reason: "boom" }, msg: "alert: an alerter threw" },
      ]);
    });

    it("fans out to a log and a webhook receiver", async () => {
      receiver = await startReceiver(reply(200));
      const logger = new CaptureLogger();
      await new MultiAlerter([new LogAlerter(logger), new WebhookAlerter({ url: receiver.url, logger })], logger).send(ALERT);
      expect(receiver.requests).to.have.length(1);
      expect(logger.levels()).to.have.members(["error", "debug"]);
    });
  });

  describe("riskAlertToAlert", () => {
    const base: RiskAlert = {
      protocol: "0x3333333333333333333333333333333333333333",
      kinds: ["composite-moved", "category-changed"],
      from: { composite: 55, category: "MEDIUM" },
      to: { composite: 82, category: "CRITICAL" },
      delta: 27,
      assessedAt: 1_750_000_000,
    };

    it("makes a rise into HIGH/CRITICAL critical and names the move", () => {
      const alert = riskAlertToAlert(base, "GMX");
      expect(alert.severity).to.equal("critical");
      expect(alert.title).to.equal("GMX risk rose 55 -> 82");
      expect(alert.message).to.equal("Composite 55 -> 82 (+27), category MEDIUM -> CRITICAL.");
      expect(alert.at).to.equal(base.assessedAt);
      expect(alert.fields).to.deep.include({ label: "Rules", value: "composite-moved, category-changed" });
    });

    it("makes a rise within LOW/MEDIUM a warning and any fall info", () => {
      const rise = riskAlertToAlert({ ...base, to: { composite: 42, category: "MEDIUM" }, from: { composite: 30, category: "LOW" }, delta: 12 });
      expect(rise.severity).to.equal("warning");
      expect(rise.title).to.equal(`${base.protocol} risk rose 30 -> 42`);
      const fall = riskAlertToAlert({ ...base, from: { composite: 95, category: "CRITICAL" }, to: { composite: 82, category: "CRITICAL" }, delta: -13 });
      expect(fall.severity).to.equal("info");
      expect(fall.message).to.contain("(-13)");
    });
  });
});
