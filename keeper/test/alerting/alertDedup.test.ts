/** Risk-change alerts against the stored previous assessment (delivery dedup lives in the outbox: alerting/outbox.ts). */
import { expect } from "chai";
import { detectRiskAlerts } from "../../src/policy/riskPush";
import { openStateDb } from "../../src/state";
import type { RiskAssessment } from "../../src/scoring/types";

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
