import { expect } from "chai";
import {
  auditRisk,
  exploitRecencyRisk,
  exploitRisk,
  githubActivityBand,
  teamRisk,
  timeRisk,
  toOnChainComponent,
  tvlRisk,
  tvlSizeBand,
  tvlVolatilityBand,
} from "../../src/scoring";

type Case = readonly [input: number | undefined, expected: number];

/** One `it` per case, named after the input, so a failing boundary is named in the report. */
function table(name: string, fn: (input: number | undefined) => number, cases: readonly Case[]): void {
  describe(name, () => {
    for (const [input, expected] of cases) {
      it(`${String(input)} → ${expected}`, () => {
        expect(fn(input)).to.equal(expected);
      });
    }
  });
}

describe("scoring/components", () => {
  // Size bands use >= ("$1B+"): the edge itself belongs to the safer band.
  table("tvlSizeBand", tvlSizeBand, [
    [999_999_999, 20],
    [1_000_000_000, 10],
    [1_000_000_001, 10],
    [499_999_999, 35],
    [500_000_000, 20],
    [500_000_001, 20],
    [99_999_999, 50],
    [100_000_000, 35],
    [100_000_001, 35],
    [9_999_999, 80],
    [10_000_000, 50],
    [10_000_001, 50],
    [0, 80],
    [undefined, 80],
  ]);

  // Volatility bands use > on |change|: the edge itself belongs to the calmer band.
  table("tvlVolatilityBand", tvlVolatilityBand, [
    [0.49, 60],
    [0.5, 60],
    [0.51, 80],
    [-0.49, 60],
    [-0.5, 60],
    [-0.51, 80],
    [0.29, 40],
    [0.3, 40],
    [0.31, 60],
    [-0.3, 40],
    [-0.31, 60],
    [0.14, 20],
    [0.15, 20],
    [0.16, 40],
    [-0.15, 20],
    [-0.16, 40],
    [0, 20],
    [-1, 80],
    [3, 80],
    [undefined, 80],
  ]);

  describe("tvlRisk", () => {
    it("weights size 0.6 and volatility 0.4", () => {
      expect(tvlRisk(10, 20)).to.equal(14);
      expect(tvlRisk(35, 60)).to.equal(45);
      expect(tvlRisk(50, 40)).to.equal(46);
      expect(tvlRisk(80, 80)).to.equal(80);
    });
    it("caps at 100", () => {
      expect(tvlRisk(200, 200)).to.equal(100);
    });
  });

  table("auditRisk", auditRisk, [
    [89.99, 25],
    [90, 10],
    [90.01, 10],
    [100, 10],
    [79.99, 40],
    [80, 25],
    [80.01, 25],
    [69.99, 60],
    [70, 40],
    [70.01, 40],
    [59.99, 80],
    [60, 60],
    [60.01, 60],
    [0.01, 80],
    [0, 95],
    [undefined, 95],
  ]);

  // Ages are whole days with strict >: exactly 730 days is still "1 year+" (30).
  table("timeRisk", timeRisk, [
    [729, 30],
    [730, 30],
    [731, 15],
    [364, 50],
    [365, 50],
    [366, 30],
    [179, 70],
    [180, 70],
    [181, 50],
    [89, 85],
    [90, 85],
    [91, 70],
    [0, 85],
    [undefined, 90],
  ]);

  // Recency bands use < on whole days since the latest exploit.
  table("exploitRecencyRisk", exploitRecencyRisk, [
    [29, 50],
    [30, 30],
    [31, 30],
    [89, 30],
    [90, 15],
    [91, 15],
    [364, 15],
    [365, 5],
    [366, 5],
    [0, 50],
    [undefined, 50],
  ]);

  describe("exploitRisk", () => {
    it("is 20 with no exploit, whatever the date", () => {
      expect(exploitRisk(0, undefined)).to.equal(20);
      expect(exploitRisk(0, 1)).to.equal(20);
    });
    it("adds recency and min(50, 20 × count) to 20", () => {
      expect(exploitRisk(1, 400)).to.equal(20 + 5 + 20);
      expect(exploitRisk(1, 200)).to.equal(20 + 15 + 20);
      expect(exploitRisk(1, 60)).to.equal(20 + 30 + 20);
      expect(exploitRisk(2, 400)).to.equal(20 + 5 + 40);
    });
    it("caps the count term at 50 (2 → 40, 3 → 50, 10 → 50)", () => {
      expect(exploitRisk(2, 365)).to.equal(65);
      expect(exploitRisk(3, 365)).to.equal(75);
      expect(exploitRisk(10, 365)).to.equal(75);
    });
    it("counts an unknown date as the most recent", () => {
      expect(exploitRisk(1, undefined)).to.equal(exploitRisk(1, 0));
      expect(exploitRisk(1, undefined)).to.equal(90);
    });
    it("caps at 100", () => {
      expect(exploitRisk(3, 10)).to.equal(100); // 20 + 50 + 50 = 120
      expect(exploitRisk(2, 10)).to.equal(100); // 20 + 50 + 40 = 110
      expect(exploitRisk(1, 10)).to.equal(90); // 20 + 50 + 20
    });
    it("is the ceiling (100) when the count is unknown", () => {
      expect(exploitRisk(undefined, undefined)).to.equal(100);
      expect(exploitRisk(undefined, 1000)).to.equal(100);
    });
  });

  table("githubActivityBand", githubActivityBand, [
    [99, 25],
    [100, 25],
    [101, 10],
    [49, 40],
    [50, 40],
    [51, 25],
    [9, 70],
    [10, 70],
    [11, 40],
    [0, 70],
    [undefined, 70],
  ]);

  describe("teamRisk", () => {
    it("weights (100 − reputation) 0.7 and the GitHub band 0.3", () => {
      expect(teamRisk(90, 10)).to.equal(10);
      expect(teamRisk(70, 25)).to.equal(28.5);
      expect(teamRisk(100, 10)).to.equal(3);
      expect(teamRisk(0, 70)).to.equal(91);
    });
    it("treats a missing reputation as 0", () => {
      expect(teamRisk(undefined, 40)).to.equal(teamRisk(0, 40));
    });
    it("caps at 100", () => {
      expect(teamRisk(0, 200)).to.equal(100); // 70 + 60
    });
  });

  describe("toOnChainComponent", () => {
    it("rounds fractional risk up (toward riskier)", () => {
      expect(toOnChainComponent(28.5)).to.equal(29);
      expect(toOnChainComponent(13.01)).to.equal(14);
      expect(toOnChainComponent(14)).to.equal(14);
    });
    it("clamps to 0..100 and maps NaN to 100", () => {
      expect(toOnChainComponent(100.2)).to.equal(100);
      expect(toOnChainComponent(-3)).to.equal(0);
      expect(toOnChainComponent(Number.NaN)).to.equal(100);
      expect(toOnChainComponent(Number.POSITIVE_INFINITY)).to.equal(100);
    });
  });
});
