import { expect } from "chai";
import { promises as fs } from "node:fs";
import os from "node:os";
import path from "node:path";

import { AlertDeliveryError, backoffMs, OutboxAlerter, SlackWebhookAlerter, type Alert, type Alerter, type AlertRoute } from "../../src/alerting";
import { openStateDb, type StateDb } from "../../src/state";
import { startLoopbackServer } from "../helpers/loopbackServer";
import { recordingLogger } from "../sources/testDeps";

/** A sink that fails while `down`, and records what it acknowledged. */
class FlakySink implements Alerter {
  down = false;
  readonly delivered: Alert[] = [];
  readonly tried: string[] = [];
  attempts = 0;
  async send(alert: Alert): Promise<void> {
    this.attempts += 1;
    this.tried.push(alert.title);
    if (this.down) throw new AlertDeliveryError("flaky", 503);
    this.delivered.push(alert);
  }
}

const OPTIONS = { dedupMs: 60_000, retryBaseMs: 1_000, retryMaxMs: 8_000, escalateAfterMs: 10 * 60_000 };
const drain: Alert = { severity: "critical", title: "on-chain drain: Aave V3", message: "USDC held by aEthUSDC fell 70%", dedupKey: "drain:aave" };

describe("alerting/outbox: alerts that arrive", () => {
  const opened: StateDb[] = [];
  afterEach(() => {
    for (const s of opened.splice(0)) s.close();
  });
  function setup(routes: AlertRoute[], state: StateDb = openStateDb(":memory:"), clock = { now: 1_000_000 }) {
    opened.push(state);
    const logger = recordingLogger();
    const outbox = new OutboxAlerter(routes, [], () => state, OPTIONS, logger, () => clock.now);
    return { outbox, state, clock, logger };
  }

  it("an alert a sink does not acknowledge stays pending, is retried with backoff, and is marked sent only once it is acknowledged", async () => {
    const sink = new FlakySink();
    sink.down = true;
    const { outbox, state, clock } = setup([{ name: "slack", minSeverity: "info", alerter: sink }]);
    await outbox.send(drain);
    expect(state.alertOutbox.pending().map((e) => [e.state, e.attempts])).to.deep.equal([["pending", 1]]);
    await outbox.flush(); // not due yet (backoff)
    expect(sink.attempts).to.equal(1);
    clock.now += backoffMs(1, OPTIONS);
    await outbox.flush();
    expect(sink.attempts).to.equal(2);
    expect(state.alertOutbox.pending()[0]?.attempts).to.equal(2);
    expect(backoffMs(2, OPTIONS)).to.equal(2_000);
    expect(backoffMs(10, OPTIONS)).to.equal(8_000);
    sink.down = false;
    clock.now += backoffMs(2, OPTIONS);
    await outbox.flush();
    expect(sink.delivered.map((a) => a.title)).to.deep.equal(["on-chain drain: Aave V3"]);
    expect(state.alertOutbox.list().map((e) => e.state)).to.deep.equal(["sent"]);
  });

  it("survives a restart: a pending alert in the state database is delivered by the next keeper's first flush", async () => {
    const dir = await fs.mkdtemp(path.join(os.tmpdir(), "keeper-outbox-"));
    const file = path.join(dir, "state.sqlite");
    const down = new FlakySink();
    down.down = true;
    const first = setup([{ name: "slack", minSeverity: "info", alerter: down }], openStateDb(file));
    await first.outbox.send(drain);
    first.state.close();
    opened.splice(opened.indexOf(first.state), 1);
    const up = new FlakySink();
    const second = setup([{ name: "slack", minSeverity: "info", alerter: up }], openStateDb(file), { now: first.clock.now + 60_000 });
    await second.outbox.flush();
    expect(up.delivered.map((a) => a.title)).to.deep.equal(["on-chain drain: Aave V3"]);
    expect(second.state.alertOutbox.pending()).to.deep.equal([]);
    await fs.rm(dir, { recursive: true, force: true });
  });

  it("dedup suppresses repeats of delivered alerts only: a repeat while the first is undelivered is not queued twice, and is not lost", async () => {
    const sink = new FlakySink();
    sink.down = true;
    const { outbox, state, clock } = setup([{ name: "slack", minSeverity: "info", alerter: sink }]);
    await outbox.send(drain);
    await outbox.send(drain);
    expect(state.alertOutbox.list()).to.have.length(1);
    sink.down = false;
    clock.now += 60_000;
    await outbox.flush();
    expect(sink.delivered).to.have.length(1);
    // Delivered: a repeat within the interval is suppressed; after it, delivered with the repeat count.
    await outbox.send(drain);
    expect(sink.delivered).to.have.length(1);
    clock.now += OPTIONS.dedupMs;
    await outbox.send(drain);
    expect(sink.delivered).to.have.length(2);
    expect(sink.delivered[1]?.message).to.match(/repeated 1 more time/);
  });

  it("every sink must acknowledge: one sink up and one down → retried to the one that failed only", async () => {
    const a = new FlakySink();
    const b = new FlakySink();
    b.down = true;
    const { outbox, state, clock } = setup([
      { name: "slack", minSeverity: "info", alerter: a },
      { name: "discord", minSeverity: "info", alerter: b },
    ]);
    await outbox.send(drain);
    expect(state.alertOutbox.pending()[0]?.acked).to.deep.equal(["slack"]);
    b.down = false;
    clock.now += 10_000;
    await outbox.flush();
    expect([a.delivered.length, b.delivered.length]).to.deep.equal([1, 1]);
    expect(state.alertOutbox.pending()).to.deep.equal([]);
  });

  it("a critical alert no sink acknowledged within escalateAfter escalates to PagerDuty (once); with no PagerDuty, to every sink; a warning never escalates", async () => {
    const slack = new FlakySink();
    const pd = new FlakySink();
    slack.down = true;
    pd.down = true;
    const withPd = setup([
      { name: "slack", minSeverity: "info", alerter: slack },
      { name: "pagerduty", minSeverity: "critical", alerter: pd },
    ]);
    await withPd.outbox.send({ ...drain, severity: "warning", dedupKey: "warn" });
    await withPd.outbox.send(drain);
    withPd.clock.now += OPTIONS.escalateAfterMs;
    await withPd.outbox.flush();
    expect(pd.tried.filter((t) => t.startsWith("ESCALATED"))).to.deep.equal(["ESCALATED: on-chain drain: Aave V3"]);
    expect(slack.tried.filter((t) => t.startsWith("ESCALATED"))).to.deep.equal([]);
    withPd.clock.now += OPTIONS.escalateAfterMs;
    await withPd.outbox.flush();
    expect(pd.tried.filter((t) => t.startsWith("ESCALATED"))).to.have.length(1); // once

    const a = new FlakySink();
    const b = new FlakySink();
    a.down = true;
    b.down = true;
    const noPd = setup([
      { name: "slack", minSeverity: "info", alerter: a },
      { name: "discord", minSeverity: "critical", alerter: b },
    ]);
    await noPd.outbox.send(drain);
    noPd.clock.now += OPTIONS.escalateAfterMs;
    await noPd.outbox.flush();
    expect([a.tried.some((t) => t.startsWith("ESCALATED")), b.tried.some((t) => t.startsWith("ESCALATED"))]).to.deep.equal([true, true]);
  });

  it("sinks report failure: a Slack webhook answering 500 rejects (nothing swallowed)", async () => {
    const server = await startLoopbackServer({ "/hook": () => ({ status: 500, json: { ok: false } }) });
    try {
      const slack = new SlackWebhookAlerter({ url: `${server.baseUrl}/hook`, logger: recordingLogger(), timeoutMs: 2_000, retryDelayMs: 1 } as ConstructorParameters<typeof SlackWebhookAlerter>[0]);
      let error: unknown;
      await slack.send(drain).catch((err: unknown) => (error = err));
      expect(error).to.be.instanceOf(AlertDeliveryError);
    } finally {
      await server.close();
    }
  });
});
