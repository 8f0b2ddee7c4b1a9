import { expect } from "chai";
import type { ProtocolMetrics } from "../../src/domain/types";
import { assessProtocol, CONFIDENCE_WEIGHTS, failedAssessment } from "../../src/scoring";
import { DAY, emptyMetrics, metricsWith, NOW, sourced } from "./metrics";

const assess = (overrides: Parameters<typeof metricsWith>[0] = {}) => assessProtocol(metricsWith(overrides), NOW);

/** Components every metric missing gives: TVL 80, audit 95, time 90, exploit 100, team 70 + 21. */
const ALL_MISSING_COMPONENTS = { tvl: 80, audit: 95, time: 90, exploit: 100, team: 91 };

describe("scoring/assessProtocol", () => {
  it("scores a healthy protocol LOW with full confidence", () => {
    const result = assess();
    expect(result).to.deep.equal({
      protocol: "test-protocol",
      assessedAt: NOW,
      components: { tvl: 14, audit: 10, time: 15, exploit: 20, team: 10 },
      // nothing missing: the proven floor is the components themselves
      floor: { tvl: 14, audit: 10, time: 15, exploit: 20, team: 10 },
      composite: 14,
      category: "LOW",
      confidence: 100,
      missing: [],
    });
  });

  describe("TVL", () => {
    it("combines the size and volatility bands", () => {
      expect(assess({ tvlUsd: 1_000_000_000, tvlChange30d: -0.5 }).components.tvl).to.equal(30); // 6 + 24
      expect(assess({ tvlUsd: 999_999_999, tvlChange30d: -0.51 }).components.tvl).to.equal(44); // 12 + 32
      expect(assess({ tvlUsd: 5_000_000, tvlChange30d: 0 }).components.tvl).to.equal(56); // 48 + 8
    });
    it("missing TVL → size and volatility bands 80, even with a change present", () => {
      const result = assess({ tvlUsd: undefined, tvlChange30d: 0 });
      expect(result.components.tvl).to.equal(80);
      expect(result.missing.map((m) => m.field)).to.deep.equal(["tvlUsd"]);
    });
    it("missing 30-day change only → volatility band 80, size band kept", () => {
      const result = assess({ tvlChange30d: undefined });
      expect(result.components.tvl).to.equal(38); // 10·0.6 + 80·0.4
      expect(result.missing.map((m) => m.field)).to.deep.equal(["tvlChange30d"]);
      expect(result.confidence).to.equal(100); // the change carries no confidence weight
    });
  });

  describe("time since deployment (whole days, strict >)", () => {
    it("730 days → 30, 731 days → 15, 731 days less 1 s → 30", () => {
      expect(assess({ deployedAt: NOW - 730 * DAY }).components.time).to.equal(30);
      expect(assess({ deployedAt: NOW - 731 * DAY }).components.time).to.equal(15);
      expect(assess({ deployedAt: NOW - 731 * DAY + 1 }).components.time).to.equal(30);
    });
    it("deployed now → 85; unknown → 90", () => {
      expect(assess({ deployedAt: NOW }).components.time).to.equal(85);
      expect(assess({ deployedAt: undefined }).components.time).to.equal(90);
    });
  });

  describe("exploit history", () => {
    it("uses the whole days since the latest exploit", () => {
      expect(assess({ exploitCount: 1, lastExploitAt: NOW - 30 * DAY }).components.exploit).to.equal(70);
      expect(assess({ exploitCount: 1, lastExploitAt: NOW - 30 * DAY + 1 }).components.exploit).to.equal(90);
      expect(assess({ exploitCount: 1, lastExploitAt: NOW - 365 * DAY }).components.exploit).to.equal(45);
      expect(assess({ exploitCount: 3, lastExploitAt: NOW - 400 * DAY }).components.exploit).to.equal(75);
    });
    it("an exploit without a date counts as the most recent and is reported", () => {
      const result = assess({ exploitCount: 1, lastExploitAt: undefined });
      expect(result.components.exploit).to.equal(90);
      expect(result.missing.map((m) => m.field)).to.deep.equal(["lastExploitAt"]);
    });
    it("no exploit and no date is not a missing metric", () => {
      expect(assess({ exploitCount: 0, lastExploitAt: undefined }).missing).to.deep.equal([]);
    });
    it("missing count → 100 (the worst history)", () => {
      const result = assess({ exploitCount: undefined });
      expect(result.components.exploit).to.equal(100);
      expect(result.missing.map((m) => m.field)).to.deep.equal(["exploitCount"]);
    });
  });

  describe("team", () => {
    it("rounds a fractional team risk up", () => {
      // (100 − 85.5)·0.7 + 10·0.3 = 13.15 → 14
      expect(assess({ teamReputation: 85.5 }).components.team).to.equal(14);
      // (100 − 83)·0.7 + 40·0.3 = 23.9 → 24
      expect(assess({ teamReputation: 83, githubActivity: 11 }).components.team).to.equal(24);
    });
    it("missing reputation → 0, missing GitHub → band 70", () => {
      expect(assess({ teamReputation: undefined }).components.team).to.equal(73); // 70 + 3
      expect(assess({ githubActivity: undefined }).components.team).to.equal(28); // 7 + 21
      expect(assess({ teamReputation: undefined, githubActivity: undefined }).components.team).to.equal(91);
    });
  });

  describe("missing and invalid values", () => {
    it("reports the source's error as the reason", () => {
      const metrics: ProtocolMetrics = { ...metricsWith(), auditScore: sourced<number>(undefined, "HTTP 503 from audits") };
      const result = assessProtocol(metrics, NOW);
      expect(result.components.audit).to.equal(95);
      expect(result.missing).to.have.length(1);
      expect(result.missing[0]?.field).to.equal("auditScore");
      expect(result.missing[0]?.reason).to.match(/^HTTP 503 from audits; .*unaudited/);
    });

    const invalid: readonly [string, Parameters<typeof metricsWith>[0], keyof typeof ALL_MISSING_COMPONENTS, number][] = [
      ["NaN TVL", { tvlUsd: Number.NaN }, "tvl", 80],
      ["negative TVL", { tvlUsd: -1 }, "tvl", 80],
      ["infinite TVL", { tvlUsd: Number.POSITIVE_INFINITY }, "tvl", 80],
      ["TVL as a string", { tvlUsd: "5000000000" }, "tvl", 80],
      ["30-day change below -100%", { tvlChange30d: -1.01 }, "tvl", 38],
      ["NaN 30-day change", { tvlChange30d: Number.NaN }, "tvl", 38],
      ["audit score above 100", { auditScore: 101 }, "audit", 95],
      ["negative audit score", { auditScore: -1 }, "audit", 95],
      ["deployment in the future", { deployedAt: NOW + 1 }, "time", 90],
      ["deployment at timestamp 0", { deployedAt: 0 }, "time", 90],
      ["fractional exploit count", { exploitCount: 1.5 }, "exploit", 100],
      ["negative exploit count", { exploitCount: -1 }, "exploit", 100],
      ["exploit date in the future", { exploitCount: 1, lastExploitAt: NOW + DAY }, "exploit", 90],
      ["reputation above 100", { teamReputation: 101 }, "team", 73],
      ["negative GitHub activity", { githubActivity: -1 }, "team", 28],
    ];
    for (const [label, overrides, component, expected] of invalid) {
      it(`${label} counts as missing (${component} → ${expected})`, () => {
        const result = assess(overrides);
        expect(result.components[component]).to.equal(expected);
        expect(result.missing).to.have.length(1);
        expect(result.missing[0]?.reason).to.match(/^invalid value /);
      });
    }

    it("an out-of-range token price stability only lowers confidence", () => {
      const result = assess({ tokenPriceStability: 1.5 });
      expect(result.components).to.deep.equal(assess().components);
      expect(result.confidence).to.equal(90);
      expect(result.missing.map((m) => m.field)).to.deep.equal(["tokenPriceStability"]);
    });

    it("never throws on a broken metric object or an invalid now", () => {
      const broken = { ...metricsWith(), tvlUsd: undefined } as unknown as ProtocolMetrics;
      expect(assessProtocol(broken, NOW).components.tvl).to.equal(80);
      const result = assessProtocol(metricsWith(), Number.NaN);
      expect(result.components.time).to.equal(90);
      expect(result.missing.map((m) => m.field)).to.deep.equal(["deployedAt"]);
    });
  });

  describe("confidence", () => {
    it("is the sum of the weights of the valid metrics", () => {
      expect(Object.values(CONFIDENCE_WEIGHTS).reduce((a, b) => a + b, 0)).to.equal(100);
      expect(assess({ tvlUsd: undefined }).confidence).to.equal(75);
      expect(assess({ auditScore: undefined }).confidence).to.equal(80);
      expect(assess({ deployedAt: undefined }).confidence).to.equal(85);
      expect(assess({ teamReputation: undefined }).confidence).to.equal(80);
      expect(assess({ githubActivity: undefined }).confidence).to.equal(90);
      expect(assess({ tokenPriceStability: undefined }).confidence).to.equal(90);
      expect(assess({ tvlUsd: -5, githubActivity: undefined }).confidence).to.equal(65);
    });
    it("counts a known zero (unaudited, no commits) as available", () => {
      expect(assess({ auditScore: 0, githubActivity: 0, teamReputation: 0 }).confidence).to.equal(100);
    });
    it("ignores the exploit metrics and the 7-day change, as the original did", () => {
      expect(assess({ exploitCount: undefined, tvlChange7d: undefined, tvlChange30d: undefined }).confidence).to.equal(
        100,
      );
    });
  });

  describe("no data at all", () => {
    it("comes out CRITICAL (91) with zero confidence, never zero risk", () => {
      const result = assessProtocol(emptyMetrics(), NOW);
      expect(result.components).to.deep.equal(ALL_MISSING_COMPONENTS);
      expect(result.composite).to.equal(91);
      expect(result.category).to.equal("CRITICAL");
      expect(result.confidence).to.equal(0);
      expect(result.missing.map((m) => m.field)).to.have.members([
        "tvlUsd",
        "tvlChange30d",
        "auditScore",
        "deployedAt",
        "exploitCount",
        "teamReputation",
        "githubActivity",
        "tokenPriceStability",
      ]);
    });
  });

  describe("failedAssessment", () => {
    it("returns the all-missing fallback with the failure as every reason", () => {
      const result = failedAssessment("aave-v3", NOW, "DefiLlama unreachable");
      expect(result.protocol).to.equal("aave-v3");
      expect(result.assessedAt).to.equal(NOW);
      expect(result.components).to.deep.equal(ALL_MISSING_COMPONENTS);
      expect(result.composite).to.equal(91);
      expect(result.category).to.equal("CRITICAL");
      expect(result.confidence).to.equal(0);
      expect(result.missing).to.have.length(8);
      for (const entry of result.missing) expect(entry.reason).to.match(/^DefiLlama unreachable; /);
    });
  });
});
