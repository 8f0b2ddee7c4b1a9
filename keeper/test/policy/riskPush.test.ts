import { expect } from "chai";
import fc from "fast-check";

import {
  COMPONENT_KEYS,
  DEFAULT_MIN_CONFIDENCE_FOR_RISE,
  DEFAULT_RISK_PUSH_GAS,
  STALE_AFTER_SEC,
  UNSCORED_COMPONENT,
  allowedDecrease,
  chunkPushes,
  clampRiskPush,
  detectRiskAlerts,
  estimateBatchGas,
  planRiskPushes,
  toRiskUpdates,
  validateRiskPushParams,
  type OnChainRiskState,
  type PlannedPush,
  type RiskPushParams,
  type RiskSnapshot,
} from "../../src/policy/riskPush";
import { assessProtocol, failedAssessment } from "../../src/scoring";
import type { ComponentRisks, RiskAssessment, RiskCategory } from "../../src/scoring/types";
import { HEALTHY, metricsWith } from "../scoring/metrics";

const DAY = 86_400;
const HOUR = 3_600;
const NOW = 1_750_000_000;
const AAVE = "0xaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa";
const CURVE = "0xcccccccccccccccccccccccccccccccccccccccc";
const GMX = "0x3333333333333333333333333333333333333333";

const PARAMS: RiskPushParams = {
  minPushIntervalSec: 6 * HOUR,
  staleLeadSec: DAY,
  maxDecreasePerDay: 10,
  maxGasPerTx: 1_000_000,
  ...DEFAULT_RISK_PUSH_GAS,
};

/** The fund's calculateProtocolRisk, as a test model. */
function onChainScore(components: ComponentRisks, lastUpdated: number, now: number): number {
  if (lastUpdated === 0) return 90;
  const c = components;
  let score = Math.floor((25 * c.tvl + 20 * c.audit + 15 * c.time + 25 * c.exploit + 15 * c.team) / 100);
  if (now > lastUpdated + STALE_AFTER_SEC) score += 10;
  return Math.min(100, score);
}

/**
 * The fund's oracle guard, as a test model: true when the update would not revert. A first write
 * is checked as if every component held 90, written one day earlier.
 */
function guardAccepts(state: OnChainRiskState, values: ComponentRisks, now: number, maxDecreasePerDay: number): boolean {
  const first = state.lastUpdated === 0;
  const components = first ? risks(90) : state.components;
  const allowance = Math.floor((maxDecreasePerDay * (first ? DAY : now - state.lastUpdated)) / DAY);
  return COMPONENT_KEYS.every((k) => values[k] >= components[k] || components[k] - values[k] <= allowance);
}

function risks(tvl: number, audit = tvl, time = tvl, exploit = tvl, team = tvl): ComponentRisks {
  return { tvl, audit, time, exploit, team };
}

function state(protocol: string, components: ComponentRisks, lastUpdated: number, now = NOW): OnChainRiskState {
  return { protocol, components, lastUpdated, score: onChainScore(components, lastUpdated, now) };
}

function categoryOf(composite: number): RiskCategory {
  if (composite <= 30) return "LOW";
  if (composite <= 60) return "MEDIUM";
  if (composite <= 80) return "HIGH";
  return "CRITICAL";
}

function assessment(protocol: string, components: ComponentRisks, assessedAt = NOW): RiskAssessment {
  const composite = onChainScore(components, 1, 1);
  return {
    protocol,
    assessedAt,
    components,
    composite,
    category: categoryOf(composite),
    confidence: 100,
    missing: [],
  };
}

function planOne(onChain: OnChainRiskState, target: ComponentRisks, now = NOW, params = PARAMS) {
  return planRiskPushes([onChain], [assessment(onChain.protocol, target, now)], now, params);
}

function onlyPush(plan: ReturnType<typeof planRiskPushes>): PlannedPush {
  expect(plan.skipped).to.deep.equal([]);
  expect(plan.pushes).to.have.length(1);
  return plan.pushes[0]!;
}

function onlySkip(plan: ReturnType<typeof planRiskPushes>) {
  expect(plan.pushes).to.deep.equal([]);
  expect(plan.skipped).to.have.length(1);
  return plan.skipped[0]!;
}

describe("policy/riskPush", () => {
  describe("allowedDecrease", () => {
    it("floors maxDecreasePerDay * elapsed / 1 day like the fund", () => {
      expect(allowedDecrease(NOW - DAY, NOW, 10)).to.equal(10);
      expect(allowedDecrease(NOW - 8_639, NOW, 10)).to.equal(0);
      expect(allowedDecrease(NOW - 8_640, NOW, 10)).to.equal(1);
      expect(allowedDecrease(NOW - 2 * DAY - HOUR, NOW, 7)).to.equal(Math.floor((7 * (2 * DAY + HOUR)) / DAY));
    });
    it("is one day's allowance for a never-scored protocol, however long it waited, and zero when now is before lastUpdated", () => {
      expect(allowedDecrease(0, NOW, 10)).to.equal(10);
      expect(allowedDecrease(0, 5, 7)).to.equal(7);
      expect(allowedDecrease(NOW + 100, NOW, 10)).to.equal(0);
    });
  });

  describe("clampRiskPush (what the fund accepts now)", () => {
    it("a first write falls at most one day's allowance below 90; rises pass at once", () => {
      expect(UNSCORED_COMPONENT).to.equal(90);
      expect(clampRiskPush({ components: risks(0), lastUpdated: 0 }, risks(30, 85, 95, 0, 100), NOW, 10)).to.deep.equal(risks(80, 85, 95, 80, 100));
      expect(clampRiskPush({ components: risks(0), lastUpdated: 0 }, risks(30), NOW, 25)).to.deep.equal(risks(65));
    });

    it("later writes step from the on-chain component by the allowance earned since the last write, never past the target", () => {
      expect(clampRiskPush({ components: risks(80), lastUpdated: NOW - DAY }, risks(30), NOW, 10)).to.deep.equal(risks(70));
      expect(clampRiskPush({ components: risks(80), lastUpdated: NOW - DAY / 2 }, risks(30), NOW, 10)).to.deep.equal(risks(75));
      expect(clampRiskPush({ components: risks(35), lastUpdated: NOW - DAY }, risks(30), NOW, 10)).to.deep.equal(risks(30));
      expect(clampRiskPush({ components: risks(50), lastUpdated: NOW - 60 }, risks(60, 50, 49, 70, 50), NOW, 10)).to.deep.equal(risks(60, 50, 50, 70, 50));
    });

    it("an assessed 30 reaches the chain in 7 daily ticks from a never-scored protocol (80, 70, … 30), each accepted", () => {
      let onChain = state(AAVE, risks(0), 0);
      let now = NOW;
      const pushed: number[] = [];
      for (let tick = 0; tick < 7; tick++) {
        const values = clampRiskPush(onChain, risks(30), now, 10);
        expect(guardAccepts(onChain, values, now, 10)).to.equal(true);
        pushed.push(values.tvl);
        onChain = state(AAVE, values, now, now);
        now += DAY;
      }
      expect(pushed).to.deep.equal([80, 70, 60, 50, 40, 30, 30]);
    });
  });

  describe("planRiskPushes", () => {
    it("pushes a never-scored protocol at once, each fall clamped to one day's allowance below 90 (stepped)", () => {
      const push = onlyPush(planOne(state(AAVE, risks(0), 0), risks(40, 10, 85, 20, 95)));
      expect(push.values).to.deep.equal(risks(80, 80, 85, 80, 95));
      expect(push.current).to.deep.equal(risks(90));
      expect(push.isNew).to.equal(true);
      expect(push.stepped).to.equal(true);
      expect(push.reasons).to.deep.equal(["never-scored"]);
      const high = onlyPush(planOne(state(AAVE, risks(0), 0), risks(80, 85, 90, 95, 100)));
      expect(high.values).to.deep.equal(risks(80, 85, 90, 95, 100));
      expect(high.stepped).to.equal(false);
    });

    it("skips a protocol whose data matches and is not near staleness", () => {
      const skip = onlySkip(planOne(state(AAVE, risks(30), NOW - DAY), risks(30)));
      expect(skip).to.include({ protocol: AAVE, reason: "up-to-date" });
    });

    describe("min push interval (falls only)", () => {
      it("holds a fall one second before the interval has elapsed", () => {
        const onChain = state(AAVE, risks(50), NOW - PARAMS.minPushIntervalSec + 1);
        const skip = onlySkip(planOne(onChain, risks(45)));
        expect(skip.reason).to.equal("min-interval");
        expect(skip.detail).to.contain(String(onChain.lastUpdated + PARAMS.minPushIntervalSec));
      });
      it("pushes the fall exactly when the interval has elapsed, stepped by the allowance", () => {
        // 6 h at 10 points/day -> floor(2.5) = 2 points.
        const push = onlyPush(planOne(state(AAVE, risks(50), NOW - PARAMS.minPushIntervalSec), risks(45)));
        expect(push.values).to.deep.equal(risks(48));
        expect(push.stepped).to.equal(true);
        expect(push.reasons).to.deep.equal(["risk-fell"]);
      });
    });

    describe("rise bypass", () => {
      it("pushes a rise inside the min interval; a pending fall in the same item moves only by its allowance", () => {
        const onChain = state(AAVE, risks(50, 50, 50, 50, 50), NOW - 60);
        const push = onlyPush(planOne(onChain, risks(70, 40, 50, 50, 50)));
        expect(push.values).to.deep.equal(risks(70, 50, 50, 50, 50)); // 60 s -> allowance 0
        expect(push.target).to.deep.equal(risks(70, 40, 50, 50, 50));
        expect(push.current).to.deep.equal(risks(50));
        expect(push.stepped).to.equal(true);
        expect(push.reasons).to.deep.equal(["risk-rose"]);
        expect(push.isNew).to.equal(false);
      });
      it("carries a partly allowed fall alongside the rise", () => {
        const push = onlyPush(planOne(state(AAVE, risks(50), NOW - DAY / 2), risks(90, 20, 50, 50, 50)));
        expect(push.values).to.deep.equal(risks(90, 45, 50, 50, 50));
        expect(push.reasons).to.deep.equal(["risk-rose", "risk-fell"]);
      });
    });

    describe("step-down", () => {
      const params = { ...PARAMS, minPushIntervalSec: HOUR };
      it("skips a fall while the fund allows 0 points (allowance 0)", () => {
        // 8,639 s at 10 points/day -> floor(0.9999) = 0.
        const skip = onlySkip(planOne(state(AAVE, risks(50), NOW - 8_639), risks(40), NOW, params));
        expect(skip.reason).to.equal("decrease-allowance-zero");
      });
      it("steps 1 point once the allowance reaches 1", () => {
        const push = onlyPush(planOne(state(AAVE, risks(50), NOW - 8_640), risks(40), NOW, params));
        expect(push.values).to.deep.equal(risks(49));
        expect(push.stepped).to.equal(true);
      });
      it("steps partially when the target is beyond the allowance", () => {
        const push = onlyPush(planOne(state(AAVE, risks(60), NOW - DAY), risks(40), NOW, params));
        expect(push.values).to.deep.equal(risks(50));
        expect(push.stepped).to.equal(true);
        expect(push.reasons).to.deep.equal(["risk-fell"]);
      });
      it("reaches the target when it is within the allowance (full)", () => {
        const push = onlyPush(planOne(state(AAVE, risks(60), NOW - DAY), risks(50), NOW, params));
        expect(push.values).to.deep.equal(risks(50));
        expect(push.stepped).to.equal(false);
      });
      it("steps each component independently", () => {
        const push = onlyPush(planOne(state(AAVE, risks(60, 60, 60, 20, 90), NOW - DAY), risks(55, 30, 60, 20, 95)));
        expect(push.values).to.deep.equal(risks(55, 50, 60, 20, 95));
      });
    });

    describe("stale lead", () => {
      const lastUpdated = NOW - 10 * DAY;
      const leadEdge = lastUpdated + STALE_AFTER_SEC - PARAMS.staleLeadSec;
      it("does not refresh unchanged data one second before the lead window", () => {
        const skip = onlySkip(planOne(state(AAVE, risks(30), lastUpdated, leadEdge - 1), risks(30), leadEdge - 1));
        expect(skip.reason).to.equal("up-to-date");
      });
      it("refreshes unchanged data at the start of the lead window", () => {
        const push = onlyPush(planOne(state(AAVE, risks(30), lastUpdated, leadEdge), risks(30), leadEdge));
        expect(push.values).to.deep.equal(risks(30));
        expect(push.reasons).to.deep.equal(["stale-refresh"]);
        expect(push.stepped).to.equal(false);
      });
      it("still refreshes when a pending fall is blocked by a zero allowance", () => {
        const params = { ...PARAMS, maxDecreasePerDay: 0 };
        const push = onlyPush(planOne(state(AAVE, risks(30), lastUpdated, leadEdge), risks(20), leadEdge, params));
        expect(push.values).to.deep.equal(risks(30));
        expect(push.stepped).to.equal(true);
        expect(push.reasons).to.deep.equal(["stale-refresh"]);
      });
      it("keeps the fund's score free of the stale penalty over a month of hourly cycles", () => {
        let onChain = state(AAVE, risks(30), NOW);
        for (let now = NOW + HOUR; now <= NOW + 30 * DAY; now += HOUR) {
          const plan = planRiskPushes([onChain], [assessment(AAVE, risks(30), now)], now, PARAMS);
          for (const push of plan.pushes) onChain = state(AAVE, push.values, now, now);
          expect(onChainScore(onChain.components, onChain.lastUpdated, now)).to.equal(30);
        }
      });
    });

    it("skips protocols with no assessment, invalid targets or too-old assessments, with reasons", () => {
      const gmxTarget = { ...risks(30), audit: 101 };
      const params = { ...PARAMS, maxAssessmentAgeSec: 2 * HOUR };
      const plan = planRiskPushes(
        [state(AAVE, risks(30), NOW - DAY), state(CURVE, risks(30), NOW - DAY), state(GMX, risks(30), NOW - DAY)],
        [assessment(CURVE, risks(80), NOW - 2 * HOUR - 1), assessment(GMX, gmxTarget)],
        NOW,
        params,
      );
      expect(plan.pushes).to.deep.equal([]);
      expect(plan.skipped.map((s) => [s.protocol, s.reason])).to.deep.equal([
        [AAVE, "no-assessment"],
        [CURVE, "assessment-too-old"],
        [GMX, "invalid-target"],
      ]);
      expect(plan.skipped[2]!.detail).to.contain("audit");
      const fractional = planOne(state(AAVE, risks(30), NOW - DAY), { ...risks(30), team: 40.5 });
      expect(onlySkip(fractional).reason).to.equal("invalid-target");
    });

    it("accepts an assessment exactly at maxAssessmentAgeSec", () => {
      const params = { ...PARAMS, maxAssessmentAgeSec: 2 * HOUR };
      const plan = planRiskPushes([state(AAVE, risks(30), NOW - DAY)], [assessment(AAVE, risks(40), NOW - 2 * HOUR)], NOW, params);
      expect(onlyPush(plan).values).to.deep.equal(risks(40));
    });

    it("matches addresses case-insensitively, accepts a Map, and skips a duplicated on-chain state", () => {
      const upper = AAVE.toUpperCase().replace("0X", "0x");
      const plan = planRiskPushes(
        [state(upper, risks(30), NOW - DAY), state(AAVE, risks(30), NOW - DAY)],
        new Map([[AAVE, assessment(AAVE, risks(45))]]),
        NOW,
        PARAMS,
      );
      expect(plan.pushes.map((p) => [p.protocol, p.values])).to.deep.equal([[upper, risks(45)]]);
      expect(plan.skipped).to.deep.equal([{ protocol: AAVE, reason: "duplicate-on-chain-state" }]);
    });

    it("uses the latest of two assessments of one protocol", () => {
      const plan = planRiskPushes(
        [state(AAVE, risks(30), NOW - DAY)],
        [assessment(AAVE, risks(60), NOW - 10), assessment(AAVE, risks(40), NOW - 20)],
        NOW,
        PARAMS,
      );
      expect(onlyPush(plan).values).to.deep.equal(risks(60));
    });

    it("orders pushes by urgency: first scores and rises, then refreshes, then falls", () => {
      const stale = NOW - STALE_AFTER_SEC;
      const plan = planRiskPushes(
        [state(AAVE, risks(50), NOW - DAY), state(CURVE, risks(30), stale), state(GMX, risks(30), NOW - DAY), state("0x4", risks(0), 0)],
        [assessment(AAVE, risks(45)), assessment(CURVE, risks(30)), assessment(GMX, risks(35)), assessment("0x4", risks(20))],
        NOW,
        PARAMS,
      );
      expect(plan.pushes.map((p) => p.protocol)).to.deep.equal([GMX, "0x4", CURVE, AAVE]);
    });

    it("rejects parameters it cannot honour", () => {
      expect(() => validateRiskPushParams(PARAMS)).not.to.throw();
      expect(() => validateRiskPushParams({ ...PARAMS, staleLeadSec: STALE_AFTER_SEC - PARAMS.minPushIntervalSec })).to.throw(
        /staleness window/,
      );
      expect(() => validateRiskPushParams({ ...PARAMS, maxGasPerTx: 25_000 + 26_000 - 1 })).to.throw(/cannot hold/);
      expect(() => validateRiskPushParams({ ...PARAMS, maxDecreasePerDay: -1 })).to.throw(/maxDecreasePerDay/);
      expect(() => validateRiskPushParams({ ...PARAMS, minPushIntervalSec: 1.5 })).to.throw(/minPushIntervalSec/);
      expect(() => planRiskPushes([], [], NOW, { ...PARAMS, maxGasPerTx: 0 })).to.throw();
      expect(() => planRiskPushes([], [], Number.NaN, PARAMS)).to.throw(/now/);
      expect(() => planRiskPushes([], [], NOW + 0.5, PARAMS)).to.throw(/now/);
    });
  });

  describe("chunkPushes", () => {
    function pushes(count: number, isNew: boolean): PlannedPush[] {
      return Array.from({ length: count }, (_, i) => ({
        protocol: `0x${i.toString(16).padStart(40, "0")}`,
        values: risks(50),
        target: risks(50),
        current: risks(isNew ? 0 : 40),
        isNew,
        stepped: false,
        reasons: [isNew ? "never-scored" : "risk-rose"],
      }));
    }
    const gas = { ...PARAMS, baseGasPerTx: 25_000, gasPerRepeatItem: 8_000, gasPerNewItem: 26_000 };

    it("fills a transaction up to exactly maxGasPerTx", () => {
      const params = { ...gas, maxGasPerTx: 25_000 + 4 * 8_000 }; // 4 repeats fit exactly
      const chunks = chunkPushes(pushes(7, false), params);
      expect(chunks.map((c) => c.length)).to.deep.equal([4, 3]);
      expect(estimateBatchGas(chunks[0]!, params)).to.equal(params.maxGasPerTx);
    });

    it("one gas unit less moves the boundary item to the next transaction", () => {
      const params = { ...gas, maxGasPerTx: 25_000 + 4 * 8_000 - 1 };
      expect(chunkPushes(pushes(7, false), params).map((c) => c.length)).to.deep.equal([3, 3, 1]);
    });

    it("needs ceil(n / perTx) transactions for items of one weight", () => {
      const params = { ...gas, maxGasPerTx: 200_000 };
      const perTxRepeat = Math.floor((200_000 - 25_000) / 8_000); // 21
      const perTxNew = Math.floor((200_000 - 25_000) / 26_000); // 6
      for (let n = 0; n <= 50; n++) {
        expect(chunkPushes(pushes(n, false), params)).to.have.length(Math.ceil(n / perTxRepeat));
        expect(chunkPushes(pushes(n, true), params)).to.have.length(Math.ceil(n / perTxNew));
      }
    });

    it("weighs new and repeat items differently and keeps every chunk under the budget, in order", () => {
      const params = { ...gas, maxGasPerTx: 100_000 };
      const mixed = [...pushes(3, true), ...pushes(5, false)];
      const chunks = chunkPushes(mixed, params);
      // 25k + 2*26k = 77k (a third new item would make 103k); then 25k + 26k + 5*8k = 91k.
      expect(chunks.map((c) => c.length)).to.deep.equal([2, 6]);
      for (const chunk of chunks) expect(estimateBatchGas(chunk, params)).to.be.at.most(params.maxGasPerTx);
      expect(chunks.flat()).to.deep.equal(mixed);
    });

    it("fits a typical portfolio of 20 first scores in one transaction with a 1M budget", () => {
      const chunks = chunkPushes(pushes(20, true), PARAMS);
      expect(chunks).to.have.length(1);
      expect(estimateBatchGas(chunks[0]!, PARAMS)).to.equal(25_000 + 20 * 26_000);
    });

    it("returns no transaction for no push", () => {
      expect(chunkPushes([], PARAMS)).to.deep.equal([]);
    });

    it("maps a chunk to the fund's RiskUpdate items", () => {
      const [push] = pushes(1, false);
      expect(toRiskUpdates([{ ...push!, values: risks(1, 2, 3, 4, 5) }])).to.deep.equal([
        { protocol: push!.protocol, tvl: 1, audit: 2, time: 3, exploit: 4, team: 5 },
      ]);
    });
  });

  describe("detectRiskAlerts", () => {
    function current(protocol: string, composite: number, category: RiskCategory = categoryOf(composite)): RiskAssessment {
      return { ...assessment(protocol, risks(composite)), composite, category };
    }
    const previous = new Map<string, RiskSnapshot>([[AAVE, { composite: 40, category: "MEDIUM" }]]);

    it("does not alert on a move of exactly 10 points within a category", () => {
      expect(detectRiskAlerts(previous, [current(AAVE, 50)])).to.deep.equal([]);
      expect(detectRiskAlerts(previous, [current(AAVE, 31)])).to.deep.equal([]);
    });

    it("alerts on a move of 11 points, either way, with from/to values", () => {
      const [up] = detectRiskAlerts(previous, [current(AAVE, 51)]);
      expect(up).to.deep.equal({
        protocol: AAVE,
        kinds: ["composite-moved"],
        from: { composite: 40, category: "MEDIUM" },
        to: { composite: 51, category: "MEDIUM" },
        delta: 11,
        assessedAt: NOW,
      });
      const downFrom = new Map<string, RiskSnapshot>([[AAVE, { composite: 59, category: "MEDIUM" }]]);
      const [down] = detectRiskAlerts(downFrom, [current(AAVE, 48)]);
      expect(down!.delta).to.equal(-11);
      expect(down!.kinds).to.deep.equal(["composite-moved"]);
    });

    it("alerts on a category crossing even by one point", () => {
      const fromLow = new Map<string, RiskSnapshot>([[AAVE, { composite: 30, category: "LOW" }]]);
      const [alert] = detectRiskAlerts(fromLow, [current(AAVE, 31)]);
      expect(alert!.kinds).to.deep.equal(["category-changed"]);
      expect(alert!.from.category).to.equal("LOW");
      expect(alert!.to.category).to.equal("MEDIUM");
    });

    it("reports both rules when a big move also crosses a category", () => {
      const [alert] = detectRiskAlerts(previous, [current(AAVE, 85)]);
      expect(alert!.kinds).to.deep.equal(["composite-moved", "category-changed"]);
    });

    it("honours a custom threshold, matches addresses case-insensitively and ignores first observations", () => {
      const upper = new Map<string, RiskSnapshot>([[AAVE.toUpperCase(), { composite: 40, category: "MEDIUM" }]]);
      expect(detectRiskAlerts(upper, [current(AAVE, 46), current(CURVE, 99)], 5)).to.have.length(1);
      expect(detectRiskAlerts(upper, [current(AAVE, 45)], 5)).to.deep.equal([]);
    });
  });

  describe("properties", () => {
    const componentsArb = fc.record({
      tvl: fc.integer({ min: 0, max: 100 }),
      audit: fc.integer({ min: 0, max: 100 }),
      time: fc.integer({ min: 0, max: 100 }),
      exploit: fc.integer({ min: 0, max: 100 }),
      team: fc.integer({ min: 0, max: 100 }),
    });

    it("every planned push is accepted by the fund's guard and moves each component toward its target", () => {
      fc.assert(
        fc.property(
          componentsArb,
          componentsArb,
          fc.oneof(fc.constant(0), fc.integer({ min: 0, max: 1_900_000_000 })),
          fc.integer({ min: 0, max: 30 * DAY }),
          fc.integer({ min: 0, max: 100 }),
          fc.integer({ min: 0, max: 2 * DAY }),
          (stored, target, lastUpdated, elapsed, maxDecreasePerDay, minPushIntervalSec) => {
            const params = { ...PARAMS, maxDecreasePerDay, minPushIntervalSec };
            const now = lastUpdated + elapsed;
            const onChain = state(AAVE, stored, lastUpdated, now);
            // What the fund checks against: a never-scored protocol counts as 90 each.
            const current = lastUpdated === 0 ? risks(90) : stored;
            const plan = planRiskPushes([onChain], [assessment(AAVE, target, now)], now, params);
            expect(plan.pushes.length + plan.skipped.length).to.equal(1);
            for (const push of plan.pushes) {
              expect(guardAccepts(onChain, push.values, now, maxDecreasePerDay)).to.equal(true);
              for (const k of COMPONENT_KEYS) {
                const low = Math.min(current[k], target[k]);
                const high = Math.max(current[k], target[k]);
                expect(push.values[k]).to.be.within(low, high);
                if (target[k] >= current[k]) expect(push.values[k]).to.equal(target[k]);
              }
              expect(push.stepped).to.equal(COMPONENT_KEYS.some((k) => push.values[k] !== target[k]));
            }
          },
        ),
        { numRuns: 500 },
      );
    });

    it("repeated daily application converges to the target without a reverting batch", () => {
      fc.assert(
        fc.property(
          componentsArb,
          componentsArb,
          fc.integer({ min: 1, max: 50 }),
          fc.integer({ min: 0, max: DAY }),
          fc.array(fc.integer({ min: 0, max: HOUR }), { minLength: 60, maxLength: 60 }),
          (start, target, maxDecreasePerDay, minPushIntervalSec, jitters) => {
            const params = { ...PARAMS, maxDecreasePerDay, minPushIntervalSec };
            let now = NOW;
            let onChain = state(AAVE, start, NOW - DAY, now);
            const cycles = Math.ceil(100 / maxDecreasePerDay) + 1;
            for (let cycle = 0; cycle < cycles; cycle++) {
              now += DAY + jitters[cycle % jitters.length]!;
              const plan = planRiskPushes([onChain], [assessment(AAVE, target, now)], now, params);
              for (const push of plan.pushes) {
                expect(guardAccepts(onChain, push.values, now, maxDecreasePerDay)).to.equal(true);
                onChain = state(AAVE, push.values, now, now);
              }
            }
            expect(onChain.components).to.deep.equal(target);
          },
        ),
        { numRuns: 300 },
      );
    });
  });

  describe("outage policy (a failed source or thin data never raises the chain)", () => {
    const OUTAGE: RiskPushParams = { ...PARAMS, minConfidenceForRise: DEFAULT_MIN_CONFIDENCE_FOR_RISE };
    const good = (at = NOW) => ({ ...assessProtocol(metricsWith({}), at), protocol: AAVE });

    it("a source that failed entirely changes nothing on-chain and reports the held rise", () => {
      const current = good(NOW - 2 * DAY).components;
      const failed = { ...failedAssessment("aave", NOW, "source failed: HTTP 503"), protocol: AAVE };
      expect(failed.confidence).to.equal(0);
      const plan = planRiskPushes([state(AAVE, current, NOW - 2 * DAY)], [failed], NOW, OUTAGE);
      expect(plan.pushes).to.deep.equal([]);
      expect(plan.skipped).to.have.length(1);
      expect(plan.skipped[0]?.reason).to.equal("low-confidence");
      expect(plan.heldRises).to.have.length(1);
      expect(plan.heldRises[0]?.confidence).to.equal(0);
      expect(plan.heldRises[0]?.held.every((h) => h.why === "low-confidence" && h.kept < h.wanted)).to.equal(true);
    });

    it("without the confidence gate, the floor alone still stops defaults from raising the chain", () => {
      const current = good(NOW - 2 * DAY).components;
      const failed = { ...failedAssessment("aave", NOW, "source failed"), protocol: AAVE };
      const plan = planRiskPushes([state(AAVE, current, NOW - 2 * DAY)], [failed], NOW, PARAMS);
      expect(plan.pushes.every((p) => COMPONENT_KEYS.every((k) => p.values[k] <= current[k]))).to.equal(true);
      expect(plan.heldRises[0]?.held.map((h) => h.why)).to.include("input-missing");
    });

    it("a lost exploit feed keeps the exploit component while a real TVL rise goes through", () => {
      const before = good(NOW - 2 * DAY);
      // TVL collapsed to $5M (data), and the exploit count is missing (feed down).
      const now = { ...assessProtocol(metricsWith({ tvlUsd: 5_000_000, exploitCount: undefined }), NOW), protocol: AAVE };
      expect(now.components.exploit).to.equal(100); // the missing default
      expect(now.confidence).to.be.at.least(DEFAULT_MIN_CONFIDENCE_FOR_RISE);
      const plan = planRiskPushes([state(AAVE, before.components, NOW - 2 * DAY)], [now], NOW, OUTAGE);
      expect(plan.pushes).to.have.length(1);
      const push = plan.pushes[0];
      expect(push?.values.tvl).to.be.above(before.components.tvl);
      expect(push?.values.tvl).to.equal(now.components.tvl);
      expect(push?.values.exploit).to.equal(before.components.exploit);
      expect(push?.held).to.deep.equal([{ component: "exploit", kept: before.components.exploit, wanted: 100, why: "input-missing" }]);
    });

    it("a rise is pushed as far as the present data proves (TVL size known, 30-day change missing)", () => {
      const before = good(NOW - 2 * DAY);
      const now = { ...assessProtocol(metricsWith({ tvlUsd: 5_000_000, tvlChange30d: undefined }), NOW), protocol: AAVE };
      // size band 80 is data; volatility band 80 is the default: proven = 0.6·80 + 0.4·20 = 56, default gives 80.
      expect(now.components.tvl).to.equal(80);
      expect(now.floor?.tvl).to.equal(56);
      const plan = planRiskPushes([state(AAVE, before.components, NOW - 2 * DAY)], [now], NOW, OUTAGE);
      expect(plan.pushes[0]?.values.tvl).to.equal(56);
      expect(plan.pushes[0]?.held).to.deep.equal([{ component: "tvl", kept: 56, wanted: 80, why: "input-missing" }]);
    });

    it("below the confidence threshold nothing rises, falls still go through, no stale refresh", () => {
      const current = risks(50);
      const thin: RiskAssessment = { ...assessment(AAVE, risks(40, 70, 40, 40, 40)), confidence: 35 };
      const plan = planRiskPushes([state(AAVE, current, NOW - 2 * DAY)], [thin], NOW, OUTAGE);
      expect(plan.pushes[0]?.values).to.deep.equal(risks(40, 50, 40, 40, 40));
      expect(plan.pushes[0]?.reasons).to.deep.equal(["risk-fell"]);
      // Same components, about to go stale: a confident assessment refreshes, a thin one does not.
      const staleAt = NOW - STALE_AFTER_SEC + HOUR;
      const same = (confidence: number): RiskAssessment => ({ ...assessment(AAVE, current), confidence });
      expect(planRiskPushes([state(AAVE, current, staleAt)], [same(100)], NOW, OUTAGE).pushes[0]?.reasons).to.deep.equal(["stale-refresh"]);
      expect(planRiskPushes([state(AAVE, current, staleAt)], [same(35)], NOW, OUTAGE).skipped[0]?.reason).to.equal("up-to-date");
    });

    it("a never-scored protocol is scored only from a confident assessment; the threshold is inclusive", () => {
      const at = (confidence: number): RiskAssessment => ({ ...assessment(AAVE, risks(30)), confidence });
      const never = state(AAVE, risks(0), 0);
      expect(planRiskPushes([never], [at(59)], NOW, OUTAGE).skipped[0]?.reason).to.equal("low-confidence");
      expect(planRiskPushes([never], [at(60)], NOW, OUTAGE).pushes[0]?.reasons).to.deep.equal(["never-scored"]);
      expect(() => validateRiskPushParams({ ...PARAMS, minConfidenceForRise: 101 })).to.throw(/minConfidenceForRise must be 0-100/);
    });

    it("property: whatever metrics go missing, no pushed component exceeds max(on-chain, proven floor)", () => {
      const fields = Object.keys(HEALTHY) as (keyof typeof HEALTHY)[];
      const c = fc.integer({ min: 0, max: 100 });
      const onChainArb = fc.record({ tvl: c, audit: c, time: c, exploit: c, team: c });
      fc.assert(
        fc.property(onChainArb, fc.subarray(fields), fc.integer({ min: 0, max: 100 }), (current, dropped, minConfidence) => {
          const values: Record<string, unknown> = { tvlUsd: 3_000_000, exploitCount: 3, lastExploitAt: NOW - 5 * DAY };
          for (const field of dropped) values[field] = undefined;
          const a = { ...assessProtocol(metricsWith(values), NOW), protocol: AAVE };
          const plan = planRiskPushes([state(AAVE, current, NOW - 2 * DAY)], [a], NOW, { ...PARAMS, minConfidenceForRise: minConfidence });
          for (const push of plan.pushes) {
            for (const k of COMPONENT_KEYS) {
              const ceiling = a.confidence >= minConfidence ? Math.max(current[k], a.floor?.[k] ?? 0) : current[k];
              expect(push.values[k], k).to.be.at.most(Math.max(ceiling, 0));
            }
          }
        }),
        { numRuns: 200 },
      );
    });
  });
});
