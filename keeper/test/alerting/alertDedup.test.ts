/** Alert deduplication through the state database, and risk-change alerts against the stored previous assessment. */
import { expect } from "chai";
import { DedupAlerter, type Alert, type Alerter } from "../../src/alerting";
import { detectRiskAlerts } from "../../src/policy/riskPush";
import { openStateDb } from "../../src/state";
import type { RiskAssessment } from "../../src/scoring/types";
import { recordingLogger } from "../sources/testDeps";

class Recording implements Alerter {
  readonly sent: Alert[] = [];
  async send(alert: Alert): Promise<void> {
    this.sent.push(alert);
  }
}

describe("alert dedup (app)", () => {
  it("delivers a key at most once per interval and reports how many were suppressed", async () => {
    const state = openStateDb(":memory:");
    let now = 1_000_000;
    const inner = new Recording();
    const alerter = new DedupAlerter(inner, () => state.alertLog, 60_000, recordingLogger(), () => now);
    const alert: Alert = { severity: "critical", title: "claim cannot be filed: coverage 3", message: "keeper is not an agent" };
    await alerter.send(alert);
    now += 10_000;
    await alerter.send(alert);
    await alerter.send(alert);
    await alerter.send({ ...alert, title: "claim cannot be filed: coverage 4" }); // another key
    expect(inner.sent.map((a) => a.title)).to.deep.equal(["claim cannot be filed: coverage 3", "claim cannot be filed: coverage 4"]);
    now += 60_000;
    await alerter.send(alert);
    expect(inner.sent).to.have.length(3);
    expect(inner.sent[2]?.message).to.match(/repeated 2 more time\(s\) since the last alert; 4 in all/);
    expect(inner.sent[2]?.fields?.some((f) => f.label === "Repeats")).to.equal(true);
    // An explicit key wins over the title.
    await alerter.send({ ...alert, title: "other words", dedupKey: "k2" });
    await alerter.send({ ...alert, title: "yet other words", dedupKey: "k2" });
    expect(inner.sent.map((a) => a.title)).to.deep.equal([alert.title, "claim cannot be filed: coverage 4", alert.title, "other words"]);
    state.close();
  });

  it("the memory lives in the database: a second process (cron `keeper once`) is deduplicated too", async () => {
    const state = openStateDb(":memory:");
    const inner = new Recording();
    const alert: Alert = { severity: "warning", title: "t", message: "m" };
    await new DedupAlerter(inner, () => state.alertLog, 3_600_000, recordingLogger(), () => 5_000).send(alert);
    await new DedupAlerter(inner, () => state.alertLog, 3_600_000, recordingLogger(), () => 6_000).send(alert);
    expect(inner.sent).to.have.length(1);
    state.close();
  });
});

describe("risk-change alerts from the stored previous assessment", () => {
  it("the previous assessment read back from the database makes a one-shot run alert on a move", () => {
    const state = openStateDb(":memory:");
    const assessment = (composite: number, category: RiskAssessment["category"], at: number): RiskAssessment =>
      ({ protocol: "0x1111111111111111111111111111111111111111", assessedAt: at, composite, category, confidence: 100, components: { tvl: 1, audit: 1, time: 1, exploit: 1, team: 1 }, missing: [] }) as unknown as RiskAssessment;
    state.assessments.record([assessment(30, "LOW", 100)]);
    // A later process: nothing in memory; the previous comes from the table.
    const last = state.assessments.latest("0x1111111111111111111111111111111111111111");
    const previous = new Map([["0x1111111111111111111111111111111111111111", { composite: last!.composite, category: last!.category }]]);
    const alerts = detectRiskAlerts(previous, [assessment(55, "MEDIUM", 200)], 10);
    expect(alerts).to.have.length(1);
    expect(alerts[0]).to.deep.include({ delta: 25 });
    state.close();
  });
});
