import { expect } from "chai";
import fc from "fast-check";
import {
  assessProtocol,
  auditRisk,
  type ComponentRisks,
  compositeRisk,
  exploitRisk,
  githubActivityBand,
  onChainRiskScore,
  riskCategory,
  STALE_AFTER_SECONDS,
  timeRisk,
  tvlSizeBand,
  tvlVolatilityBand,
} from "../../src/scoring";
import { DAY, emptyMetrics, HEALTHY, type MetricValues, metricsWith, NOW } from "./metrics";

const garbage = fc.constantFrom<unknown>(undefined, Number.NaN, Number.POSITIVE_INFINITY, -1, -1e12, "12", null);
const maybe = (valid: fc.Arbitrary<unknown>): fc.Arbitrary<unknown> =>
  fc.oneof({ arbitrary: valid, weight: 4 }, { arbitrary: garbage, weight: 1 });
const timestamp = fc.integer({ min: 1, max: NOW });
const double = (min: number, max: number) => fc.double({ min, max, noNaN: true });

/** Metric values: mostly valid over their whole range, sometimes missing or garbage. */
const metricValues = fc.record({
  tvlUsd: maybe(double(0, 1e12)),
  tvlChange30d: maybe(double(-1, 5)),
  auditScore: maybe(fc.oneof(fc.integer({ min: 0, max: 100 }), double(0, 100))),
  deployedAt: maybe(timestamp),
  exploitCount: maybe(fc.nat(20)),
  lastExploitAt: maybe(timestamp),
  teamReputation: maybe(double(0, 100)),
  githubActivity: maybe(fc.nat(1000)),
  tokenPriceStability: maybe(double(0, 1)),
});

const component = fc.integer({ min: 0, max: 100 });
const components: fc.Arbitrary<ComponentRisks> = fc.record({
  tvl: component,
  audit: component,
  time: component,
  exploit: component,
  team: component,
});

const isRiskInteger = (value: number) => Number.isInteger(value) && value >= 0 && value <= 100;

describe("scoring/properties", () => {
  it("any metrics → integer components and composite in 0..100, consistent category and confidence", () => {
    fc.assert(
      fc.property(metricValues, (values) => {
        const result = assessProtocol(metricsWith(values), NOW);
        for (const value of Object.values(result.components)) expect(isRiskInteger(value)).to.equal(true);
        expect(isRiskInteger(result.composite)).to.equal(true);
        expect(result.composite).to.equal(compositeRisk(result.components));
        expect(result.category).to.equal(riskCategory(result.composite));
        expect(isRiskInteger(result.confidence)).to.equal(true);
        expect(result.confidence % 5).to.equal(0);
      }),
    );
  });

  it("losing any one metric never lowers its component or the composite", () => {
    const fields = Object.keys(HEALTHY) as (keyof MetricValues)[];
    fc.assert(
      fc.property(metricValues, fc.constantFrom(...fields), (values, dropped) => {
        const full = assessProtocol(metricsWith(values), NOW);
        const reduced = assessProtocol(metricsWith({ ...values, [dropped]: undefined }), NOW);
        for (const key of Object.keys(full.components) as (keyof ComponentRisks)[]) {
          expect(reduced.components[key]).to.be.at.least(full.components[key]);
        }
        expect(reduced.composite).to.be.at.least(full.composite);
        expect(reduced.confidence).to.be.at.most(full.confidence);
      }),
    );
  });

  it("more exploits never lower the exploit risk", () => {
    const days = fc.option(fc.nat(2000), { nil: undefined });
    fc.assert(
      fc.property(fc.nat(50), fc.nat(50), days, (a, b, daysSince) => {
        const [fewer, more] = a <= b ? [a, b] : [b, a];
        expect(exploitRisk(more, daysSince)).to.be.at.least(exploitRisk(fewer, daysSince));
      }),
    );
  });

  it("a more recent exploit never lowers the exploit risk", () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 50 }), fc.nat(2000), fc.nat(2000), (count, a, b) => {
        const [recent, old] = a <= b ? [a, b] : [b, a];
        expect(exploitRisk(count, recent)).to.be.at.least(exploitRisk(count, old));
        expect(exploitRisk(count, undefined)).to.be.at.least(exploitRisk(count, recent));
      }),
    );
  });

  it("higher TVL never raises the size band; larger |change| never lowers the volatility band", () => {
    fc.assert(
      fc.property(double(0, 1e12), double(0, 1e12), double(-1, 5), double(-1, 5), (a, b, c, d) => {
        const [small, large] = a <= b ? [a, b] : [b, a];
        expect(tvlSizeBand(large)).to.be.at.most(tvlSizeBand(small));
        const [calm, wild] = Math.abs(c) <= Math.abs(d) ? [c, d] : [d, c];
        expect(tvlVolatilityBand(wild)).to.be.at.least(tvlVolatilityBand(calm));
      }),
    );
  });

  it("better audits, older deployments and more GitHub activity never raise risk", () => {
    fc.assert(
      fc.property(double(0, 100), double(0, 100), fc.nat(5000), fc.nat(5000), (a, b, c, d) => {
        expect(auditRisk(Math.max(a, b))).to.be.at.most(auditRisk(Math.min(a, b)));
        expect(timeRisk(Math.max(c, d))).to.be.at.most(timeRisk(Math.min(c, d)));
        expect(githubActivityBand(Math.max(c, d))).to.be.at.most(githubActivityBand(Math.min(c, d)));
      }),
    );
  });

  it("a higher reputation never raises the team component", () => {
    fc.assert(
      fc.property(metricValues, double(0, 100), double(0, 100), (values, a, b) => {
        const better = assessProtocol(metricsWith({ ...values, teamReputation: Math.max(a, b) }), NOW);
        const worse = assessProtocol(metricsWith({ ...values, teamReputation: Math.min(a, b) }), NOW);
        expect(better.components.team).to.be.at.most(worse.components.team);
      }),
    );
  });

  it("onChainRiskScore ≥ the composite of the same data, equal while fresh, integer 0..100", () => {
    fc.assert(
      fc.property(components, fc.integer({ min: 1, max: NOW }), fc.nat(30 * DAY), (scored, lastUpdated, elapsed) => {
        const now = lastUpdated + elapsed;
        const onChain = onChainRiskScore(scored, lastUpdated, now);
        const fresh = compositeRisk(scored);
        expect(isRiskInteger(onChain)).to.equal(true);
        expect(onChain).to.be.at.least(fresh);
        if (elapsed <= STALE_AFTER_SECONDS) expect(onChain).to.equal(fresh);
        else expect(onChain).to.equal(Math.min(100, fresh + 10));
      }),
    );
  });

  it("the composite is monotone in every component", () => {
    const keys: (keyof ComponentRisks)[] = ["tvl", "audit", "time", "exploit", "team"];
    fc.assert(
      fc.property(components, fc.constantFrom(...keys), component, (base, key, bumped) => {
        const raised = { ...base, [key]: Math.max(base[key], bumped) };
        expect(compositeRisk(raised)).to.be.at.least(compositeRisk(base));
      }),
    );
  });

  it("the floor (missing metrics at their least risky value) never exceeds the components, and equals them with full data", () => {
    fc.assert(
      fc.property(metricValues, (values) => {
        const result = assessProtocol(metricsWith(values), NOW);
        const floor = result.floor;
        if (floor === undefined) throw new Error("assessProtocol always sets floor");
        for (const key of Object.keys(result.components) as (keyof ComponentRisks)[]) {
          expect(isRiskInteger(floor[key])).to.equal(true);
          expect(floor[key], key).to.be.at.most(result.components[key]);
        }
        if (result.missing.length === 0) expect(floor).to.deep.equal(result.components);
      }),
    );
  });

  it("the floor of a fully failed source is the best case of every component", () => {
    const result = assessProtocol(emptyMetrics(), NOW);
    expect(result.components).to.deep.equal({ tvl: 80, audit: 95, time: 90, exploit: 100, team: 91 });
    expect(result.floor).to.deep.equal({ tvl: 14, audit: 10, time: 15, exploit: 20, team: 3 });
  });
});
