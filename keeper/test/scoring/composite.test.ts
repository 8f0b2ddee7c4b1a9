import { expect } from "chai";
import {
  type ComponentRisks,
  compositeRisk,
  NEVER_SCORED_RISK,
  onChainRiskScore,
  riskCategory,
  STALE_AFTER_SECONDS,
} from "../../src/scoring";
import { NOW } from "./metrics";

const uniform = (risk: number): ComponentRisks => ({ tvl: risk, audit: risk, time: risk, exploit: risk, team: risk });

describe("scoring/composite", () => {
  describe("compositeRisk", () => {
    it("applies weights 25/20/15/25/15", () => {
      expect(compositeRisk({ tvl: 100, audit: 0, time: 0, exploit: 0, team: 0 })).to.equal(25);
      expect(compositeRisk({ tvl: 0, audit: 100, time: 0, exploit: 0, team: 0 })).to.equal(20);
      expect(compositeRisk({ tvl: 0, audit: 0, time: 100, exploit: 0, team: 0 })).to.equal(15);
      expect(compositeRisk({ tvl: 0, audit: 0, time: 0, exploit: 100, team: 0 })).to.equal(25);
      expect(compositeRisk({ tvl: 0, audit: 0, time: 0, exploit: 0, team: 100 })).to.equal(15);
      expect(compositeRisk(uniform(100))).to.equal(100);
      expect(compositeRisk(uniform(0))).to.equal(0);
    });
    it("floor-divides the weighted sum by 100, like Solidity", () => {
      // 25·14 + 20·10 + 15·15 + 25·20 + 15·10 = 1425 → 14
      expect(compositeRisk({ tvl: 14, audit: 10, time: 15, exploit: 20, team: 10 })).to.equal(14);
      // 25·3 + 20·3 + 15·3 + 25·3 + 15·4 = 315 → 3 (not 3.15, not rounded to nearest)
      expect(compositeRisk({ tvl: 3, audit: 3, time: 3, exploit: 3, team: 4 })).to.equal(3);
      // 25·1 + 20·1 + 15·1 + 25·1 + 15·0 = 85 → 0
      expect(compositeRisk({ tvl: 1, audit: 1, time: 1, exploit: 1, team: 0 })).to.equal(0);
      // 1985 → 19, 2000 → 20
      expect(compositeRisk({ tvl: 20, audit: 20, time: 20, exploit: 20, team: 19 })).to.equal(19);
      expect(compositeRisk(uniform(20))).to.equal(20);
    });
  });

  describe("riskCategory", () => {
    const cases: readonly [number, string][] = [
      [0, "LOW"],
      [30, "LOW"],
      [31, "MEDIUM"],
      [60, "MEDIUM"],
      [61, "HIGH"],
      [80, "HIGH"],
      [81, "CRITICAL"],
      [100, "CRITICAL"],
      [Number.NaN, "CRITICAL"],
    ];
    for (const [score, category] of cases) {
      it(`${score} → ${category}`, () => {
        expect(riskCategory(score)).to.equal(category);
      });
    }
  });

  describe("onChainRiskScore", () => {
    const scored = { tvl: 14, audit: 10, time: 15, exploit: 20, team: 10 }; // composite 14
    const lastUpdated = NOW - 1000;

    it("is 90 for a protocol never scored (lastUpdated 0 or no components)", () => {
      expect(onChainRiskScore(scored, 0, NOW)).to.equal(NEVER_SCORED_RISK);
      expect(onChainRiskScore(undefined, lastUpdated, NOW)).to.equal(90);
      expect(onChainRiskScore(uniform(0), 0, 0)).to.equal(90);
    });
    it("equals the composite while fresh", () => {
      expect(onChainRiskScore(scored, lastUpdated, lastUpdated)).to.equal(14);
      expect(onChainRiskScore(scored, lastUpdated, lastUpdated + 1)).to.equal(14);
    });
    it("is still fresh at exactly 7 days and stale (+10) at 7 days + 1 s", () => {
      expect(STALE_AFTER_SECONDS).to.equal(604_800);
      expect(onChainRiskScore(scored, lastUpdated, lastUpdated + 604_799)).to.equal(14);
      expect(onChainRiskScore(scored, lastUpdated, lastUpdated + 604_800)).to.equal(14);
      expect(onChainRiskScore(scored, lastUpdated, lastUpdated + 604_801)).to.equal(24);
    });
    it("caps at 100 when stale", () => {
      expect(onChainRiskScore(uniform(95), lastUpdated, lastUpdated + 604_801)).to.equal(100);
      expect(onChainRiskScore(uniform(90), lastUpdated, lastUpdated + 604_801)).to.equal(100);
      expect(onChainRiskScore(uniform(89), lastUpdated, lastUpdated + 604_801)).to.equal(99);
    });
    it("rejects inputs that cannot come from the chain", () => {
      expect(() => onChainRiskScore({ ...scored, tvl: 14.5 }, lastUpdated, NOW)).to.throw(RangeError, /tvl/);
      expect(() => onChainRiskScore({ ...scored, team: 256 }, lastUpdated, NOW)).to.throw(RangeError, /team/);
      expect(() => onChainRiskScore({ ...scored, audit: -1 }, lastUpdated, NOW)).to.throw(RangeError, /audit/);
      expect(() => onChainRiskScore(scored, -1, NOW)).to.throw(RangeError, /lastUpdated/);
      expect(() => onChainRiskScore(scored, lastUpdated, Number.NaN)).to.throw(RangeError, /now/);
    });
  });
});
