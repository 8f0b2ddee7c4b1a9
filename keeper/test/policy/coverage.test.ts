import { expect } from "chai";
import fc from "fast-check";

import {
  DEFAULT_COVERAGE_POLICY,
  coverageMultiplierBps,
  optimalCoverage,
  planCoverage,
  type CoverageChainState,
  type CoveragePosition,
  type OnChainCoverage,
  type PurchaseAction,
  type RenewAction,
} from "../../src/policy/coverage";
import { premiumFor, withSlippage } from "../../src/policy/money";

const DAY = 86_400;
const NOW = 1_750_000_000;
const AAVE = "0xaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa";
const CURVE = "0xcccccccccccccccccccccccccccccccccccccccc";
const USDC = "0x1111111111111111111111111111111111111111";
const DAI = "0x2222222222222222222222222222222222222222";
const SAFE = "0x5afe5afe5afe5afe5afe5afe5afe5afe5afe5afe";
const OTHER = "0x0000000000000000000000000000000000000bbb";
const USD6 = 10n ** 6n;
const USD18 = 10n ** 18n;
const CAP = 500_000n * USD18;

const PARAMS = { baseRateBps: 200, reserveRatioBps: 2_000, renewalWindowSec: 30 * DAY, claimGracePeriodSec: 30 * DAY, maxCoveragePerProtocolWad: CAP };

function position(over: Partial<CoveragePosition> = {}): CoveragePosition {
  return {
    protocolId: "aave-v3",
    protocol: AAVE,
    asset: USDC,
    assetDecimals: 6,
    targetAmount: 100_000n * USD6,
    beneficiary: SAFE,
    preferredProviders: [1, 2],
    allowSelfInsure: true,
    ...over,
  };
}

let nextId = 1n;
/** A coverage; its claimDeadline is end + 30 days (the grace period fixed at purchase) unless given. */
function cover(over: Partial<OnChainCoverage> = {}): OnChainCoverage {
  const end = over.end ?? NOW + 165 * DAY;
  return {
    id: nextId++,
    protocol: AAVE,
    asset: USDC,
    beneficiary: SAFE,
    amount: 100_000n * USD6,
    premium: 2_000n * USD6,
    claimed: 0n,
    start: NOW - 200 * DAY,
    end,
    providerId: 1,
    providerCoverId: 7n,
    openClaimId: 0n,
    status: "Active",
    claimDeadline: end + 30 * DAY,
    ...over,
  };
}

function chain(coverages: OnChainCoverage[], riskScore = 30, extra: Partial<CoverageChainState> = {}): CoverageChainState {
  const exposureWad = coverages
    .filter((c) => c.status === "Active")
    .reduce((s, c) => s + c.amount * (c.asset === DAI ? 1n : 10n ** 12n), 0n);
  return {
    protocols: [{ protocol: AAVE, riskScore, exposureWad, coverages }],
    pools: [
      { asset: USDC, decimals: 6, pool: 0n, selfInsured: 0n },
      { asset: DAI, decimals: 18, pool: 0n, selfInsured: 0n },
    ],
    params: PARAMS,
    ...extra,
  };
}

const kinds = (plan: ReturnType<typeof planCoverage>): string[] => plan.actions.map((a) => a.kind);

describe("policy/coverage", () => {
  describe("multiplier edges", () => {
    const cases: [number, number][] = [
      [40, 10_000],
      [41, 11_000],
      [60, 11_000],
      [61, 12_000],
      [80, 12_000],
      [81, 13_000],
      [100, 13_000],
      [0, 10_000],
    ];
    for (const [score, bps] of cases) {
      it(`score ${score} → ×${bps / 10_000}`, () => {
        expect(coverageMultiplierBps(score)).to.equal(bps);
        expect(optimalCoverage(100_000n * USD6, score)).to.equal((100_000n * USD6 * BigInt(bps)) / 10_000n);
      });
    }
  });

  describe("purchase", () => {
    it("buys the optimal amount at HIGH with the premium and slippage bound when nothing is covered", () => {
      const plan = planCoverage([position()], chain([], 65), NOW);
      expect(kinds(plan)).to.deep.equal(["purchase"]);
      const a = plan.actions[0] as PurchaseAction;
      expect(a.amount).to.equal(120_000n * USD6);
      expect(a.priority).to.equal("HIGH");
      expect(a.durationSec).to.equal(365 * DAY);
      const estimate = premiumFor(120_000n * USD6, 365 * DAY, 65, 200);
      expect(a.premiumEstimate).to.equal(estimate);
      expect(a.maxPremium).to.equal(withSlippage(estimate, DEFAULT_COVERAGE_POLICY.premiumSlippageBps));
      expect(a.maxPremium > a.premiumEstimate).to.equal(true);
      expect(a.maxPremiumWad).to.equal(a.maxPremium * 10n ** 12n);
      expect(a.idempotencyKey).to.equal(`purchase:${AAVE}:${USDC}:${SAFE}:${Math.floor(NOW / DAY)}`);
      expect(a.preferredProviders).to.deep.equal([1, 2]);
    });

    it("premium estimate mirrors RiskMath: 2%/yr at risk 50 on 100k for a year = 2 000", () => {
      expect(premiumFor(100_000n * USD6, 365 * DAY, 50, 200)).to.equal(2_000n * USD6);
      expect(premiumFor(1n, 1, 50, 200)).to.equal(1n); // rounded up
    });

    it("re-buys (never renews) when the only coverage has ended, and sweeps it once its claim window closed", () => {
      const ended = cover({ end: NOW - 30 * DAY - 1 });
      const plan = planCoverage([position()], chain([ended]), NOW);
      expect(kinds(plan)).to.deep.equal(["expire", "purchase"]);
      expect(plan.actions.some((a) => a.kind === "renew")).to.equal(false);
    });

    it("does not sweep an ended coverage inside its claim window (end + claimGracePeriod): the fund would refuse", () => {
      const ended = cover({ end: NOW - 1 });
      const plan = planCoverage([position()], chain([ended]), NOW);
      expect(kinds(plan)).to.deep.equal(["purchase"]);
      const atGraceEnd = planCoverage([position()], chain([cover({ end: NOW - 30 * DAY })]), NOW);
      expect(kinds(atGraceEnd)).to.deep.equal(["purchase"]);
    });

    it("gracePeriodFixedAtPurchase: sweeps by each coverage's own claimDeadline, not the fund's current claimGracePeriod", () => {
      // Bought under a 30-day grace, the global parameter since shortened to 1 day: not expirable yet.
      const shortened = { ...PARAMS, claimGracePeriodSec: DAY };
      const ended = cover({ end: NOW - 2 * DAY });
      expect(kinds(planCoverage([position()], chain([ended], 30, { params: shortened }), NOW))).to.deep.equal(["purchase"]);
      // A re-filing deadline after a denial keeps it too; past its own deadline it is swept.
      expect(kinds(planCoverage([position()], chain([cover({ end: NOW - 40 * DAY, claimDeadline: NOW + DAY })], 30, { params: shortened }), NOW))).to.deep.equal(["purchase"]);
      expect(kinds(planCoverage([position()], chain([cover({ end: NOW - 2 * DAY, claimDeadline: NOW - 1 })], 30, { params: shortened }), NOW))).to.deep.equal(["expire", "purchase"]);
    });

    it("counts a coverage ending exactly now as not live (re-buy) but not yet expirable", () => {
      const plan = planCoverage([position()], chain([cover({ end: NOW })]), NOW);
      expect(kinds(plan)).to.deep.equal(["purchase"]);
    });

    it("ignores coverages of another beneficiary or asset", () => {
      const plan = planCoverage([position()], chain([cover({ beneficiary: OTHER }), cover({ asset: DAI, amount: 100_000n * USD18 })]), NOW);
      expect(kinds(plan)).to.deep.equal(["purchase"]);
    });
  });

  describe("ratio edges (0.8 / 1.2)", () => {
    // score 30 → optimal = target = 100 000
    const at = (currentUsd: bigint) => planCoverage([position()], chain([cover({ amount: currentUsd })]), NOW);

    it("ratio exactly 0.8 → nothing", () => expect(kinds(at(80_000n * USD6))).to.deep.equal([]));
    it("ratio just below 0.8 → increase for the difference at MEDIUM", () => {
      const plan = at(80_000n * USD6 - 1n);
      expect(kinds(plan)).to.deep.equal(["increase"]);
      const a = plan.actions[0] as PurchaseAction;
      expect(a.amount).to.equal(20_000n * USD6 + 1n);
      expect(a.priority).to.equal("MEDIUM");
      expect(a.ratioBps).to.equal(7_999);
    });
    it("ratio exactly 1.2 → nothing", () => expect(kinds(at(120_000n * USD6))).to.deep.equal([]));
    it("ratio just above 1.2, renewal window not open → reported as waiting, no action", () => {
      const plan = at(120_000n * USD6 + 1n);
      expect(kinds(plan)).to.deep.equal([]);
      expect(plan.skipped.map((s) => s.reason)).to.deep.equal(["reduce-awaits-renewal-window"]);
    });
    it("over-insured inside the fund's window but before the 30-day mark → reduce (LOW) to the optimal", () => {
      const c = cover({ amount: 150_000n * USD6, end: NOW + 40 * DAY });
      const plan = planCoverage([position()], chain([c], 30, { params: { ...PARAMS, renewalWindowSec: 60 * DAY } }), NOW);
      expect(kinds(plan)).to.deep.equal(["reduce"]);
      const a = plan.actions[0] as RenewAction;
      expect(a.priority).to.equal("LOW");
      expect(a.newAmount).to.equal(100_000n * USD6);
      expect(a.coverId).to.equal(c.id);
    });
    it("claimed amounts count as consumed: remaining = amount − claimed", () => {
      const p = planCoverage([position()], chain([cover({ amount: 100_000n * USD6, claimed: 30_000n * USD6 })]), NOW);
      expect(kinds(p)).to.deep.equal(["increase"]);
      expect((p.actions[0] as PurchaseAction).amount).to.equal(30_000n * USD6);
    });
  });

  describe("renewal (30-day window)", () => {
    it("renews a coverage ending in exactly 30 days (inclusive) at HIGH", () => {
      const c = cover({ end: NOW + 30 * DAY });
      const plan = planCoverage([position()], chain([c]), NOW);
      expect(kinds(plan)).to.deep.equal(["renew"]);
      const a = plan.actions[0] as RenewAction;
      expect(a.priority).to.equal("HIGH");
      expect(a.idempotencyKey).to.equal(`renew:${c.id}:${c.end}`);
      expect(a.newAmount).to.equal(c.amount);
      expect(a.extraDurationSec).to.equal(365 * DAY - 30 * DAY);
      expect(a.premiumEstimate).to.equal(premiumFor(c.amount, 335 * DAY, 30, 200));
    });
    it("does not renew at 30 days + 1 s", () => {
      expect(kinds(planCoverage([position()], chain([cover({ end: NOW + 30 * DAY + 1 })]), NOW))).to.deep.equal([]);
    });
    it("never renews while a claim is open on it", () => {
      const plan = planCoverage([position()], chain([cover({ end: NOW + 5 * DAY, openClaimId: 3n })]), NOW);
      expect(kinds(plan)).to.deep.equal([]);
      expect(plan.skipped[0]?.reason).to.equal("claim-open");
    });
    it("waits for the fund's renewal window when it is shorter than 30 days", () => {
      const c = cover({ end: NOW + 20 * DAY });
      const plan = planCoverage([position()], chain([c], 30, { params: { ...PARAMS, renewalWindowSec: 10 * DAY } }), NOW);
      expect(kinds(plan)).to.deep.equal([]);
      expect(plan.skipped[0]?.reason).to.equal("renewal-window-not-open");
      expect(plan.skipped[0]?.detail).to.contain(String(c.end - 10 * DAY));
      const inside = planCoverage([position()], chain([c], 30, { params: { ...PARAMS, renewalWindowSec: 20 * DAY } }), NOW);
      expect(kinds(inside)).to.deep.equal(["renew"]);
    });
    it("renewal of an over-insured position drops the excess", () => {
      const c = cover({ amount: 150_000n * USD6, end: NOW + 10 * DAY });
      const plan = planCoverage([position()], chain([c]), NOW);
      expect((plan.actions[0] as RenewAction).newAmount).to.equal(100_000n * USD6);
    });
    it("lets a wholly excess cover lapse instead of renewing it", () => {
      const a = cover({ amount: 100_000n * USD6, end: NOW + 200 * DAY });
      const b = cover({ amount: 30_000n * USD6, end: NOW + 10 * DAY });
      const plan = planCoverage([position()], chain([a, b]), NOW);
      expect(kinds(plan)).to.deep.equal([]);
      expect(plan.skipped.map((s) => s.reason)).to.include("over-insured-not-renewed");
    });
  });

  describe("cap ($500K per protocol across positions and decimals)", () => {
    it("scales the optimal amounts of all positions on a protocol pro rata to the cap", () => {
      const usdc = position({ targetAmount: 400_000n * USD6 });
      const dai = position({ asset: DAI, assetDecimals: 18, targetAmount: 400_000n * USD18 });
      const plan = planCoverage([usdc, dai], chain([]), NOW);
      const amounts = plan.actions.map((a) => (a as PurchaseAction).amount);
      expect(amounts).to.deep.equal([250_000n * USD6, 250_000n * USD18]);
    });
    it("a single position above the cap is capped at $500K", () => {
      const plan = planCoverage([position({ targetAmount: 450_000n * USD6 })], chain([], 90), NOW);
      expect((plan.actions[0] as PurchaseAction).amount).to.equal(500_000n * USD6);
    });
    it("cuts new coverage to the room left by others' coverage and reports a full protocol", () => {
      const others = cover({ beneficiary: OTHER, amount: 450_000n * USD6 });
      const plan = planCoverage([position()], chain([others]), NOW);
      const a = plan.actions[0] as PurchaseAction;
      expect(a.amount).to.equal(50_000n * USD6);
      expect(a.cappedFrom).to.equal(100_000n * USD6);
      const full = planCoverage([position()], chain([cover({ beneficiary: OTHER, amount: 500_000n * USD6 })]), NOW);
      expect(kinds(full)).to.deep.equal([]);
      expect(full.skipped[0]?.reason).to.equal("protocol-cap-reached");
    });
    it("counts the room the expire sweep releases", () => {
      const ended = cover({ beneficiary: OTHER, amount: 500_000n * USD6, end: NOW - 30 * DAY - 10 });
      const plan = planCoverage([position()], chain([ended]), NOW);
      expect(kinds(plan)).to.deep.equal(["expire", "purchase"]);
      expect((plan.actions[1] as PurchaseAction).amount).to.equal(100_000n * USD6);
    });
  });

  describe("priorities and sweep", () => {
    it("orders HIGH (expire, purchase), then MEDIUM increase, then LOW reduce", () => {
      const curve = position({ protocolId: "curve", protocol: CURVE });
      const aaveLow = cover({ amount: 10_000n * USD6, end: NOW + 300 * DAY });
      const curveOver = cover({ protocol: CURVE, amount: 200_000n * USD6, end: NOW + 50 * DAY });
      const state: CoverageChainState = {
        protocols: [
          { protocol: AAVE, riskScore: 30, exposureWad: 10_000n * USD18, coverages: [aaveLow] },
          { protocol: CURVE, riskScore: 30, exposureWad: 200_000n * USD18, coverages: [curveOver] },
          { protocol: "0x9999999999999999999999999999999999999999", riskScore: 30, exposureWad: 0n, coverages: [] },
        ],
        pools: [],
        params: { ...PARAMS, renewalWindowSec: 60 * DAY },
      };
      const gmx = position({ protocolId: "gmx", protocol: "0x9999999999999999999999999999999999999999" });
      const expiring = cover({ protocol: CURVE, beneficiary: OTHER, end: NOW - 30 * DAY - 5 });
      const withSweep = { ...state, protocols: [state.protocols[0]!, { ...state.protocols[1]!, coverages: [curveOver, expiring] }, state.protocols[2]!] };
      const plan = planCoverage([curve, position(), gmx], withSweep, NOW);
      expect(plan.actions.map((a) => `${a.kind}:${a.priority}`)).to.deep.equal([
        "expire:HIGH",
        "purchase:HIGH",
        "increase:MEDIUM",
        "reduce:LOW",
      ]);
    });
    it("batches expirable ids (sorted, deduplicated) into expireCoverages calls", () => {
      const ended = Array.from({ length: 5 }, (_, i) => cover({ id: BigInt(100 - i), end: NOW - 30 * DAY - 1 - i, beneficiary: OTHER }));
      const plan = planCoverage([], chain(ended), NOW, { ...DEFAULT_COVERAGE_POLICY, expireBatchSize: 2 });
      const batches = plan.actions.map((a) => (a.kind === "expire" ? a.coverIds.map(String) : []));
      expect(batches).to.deep.equal([["96", "97"], ["98", "99"], ["100"]]);
    });
    it("rejects a duplicate position and a purchase duration outside 30..365 days", () => {
      const plan = planCoverage([position(), position()], chain([]), NOW);
      expect(plan.skipped.map((s) => s.reason)).to.deep.equal(["duplicate-position"]);
      expect(() => planCoverage([], chain([]), NOW, { ...DEFAULT_COVERAGE_POLICY, purchaseDurationSec: 29 * DAY })).to.throw(/purchaseDurationSec/);
    });
  });

  describe("properties", () => {
    const coverArb = fc.record({
      amount: fc.bigInt({ min: 1n, max: 400_000n * USD6 }),
      endOffset: fc.integer({ min: -10 * DAY, max: 365 * DAY }),
      openClaim: fc.boolean(),
      providerId: fc.integer({ min: 0, max: 2 }),
    });
    it("no action ever renews or reduces a coverage with an open claim, and new coverage never exceeds the cap room", () => {
      fc.assert(
        fc.property(fc.array(coverArb, { maxLength: 6 }), fc.integer({ min: 0, max: 100 }), fc.bigInt({ min: 0n, max: 600_000n }), (arbs, score, target) => {
          const coverages = arbs.map((a, i) =>
            cover({ id: BigInt(i + 1), amount: a.amount, end: NOW + a.endOffset, openClaimId: a.openClaim ? 9n : 0n, providerId: a.providerId }),
          );
          const state = chain(coverages, score);
          const plan = planCoverage([position({ targetAmount: target * USD6 })], state, NOW);
          const open = new Set(coverages.filter((c) => c.openClaimId !== 0n).map((c) => c.id));
          for (const a of plan.actions) {
            if (a.kind === "renew" || a.kind === "reduce") expect(open.has(a.coverId)).to.equal(false);
          }
          const liveWad = coverages.filter((c) => NOW <= c.end).reduce((s, c) => s + c.amount * 10n ** 12n, 0n);
          const newWad = plan.actions.reduce((s, a) => (a.kind === "purchase" || a.kind === "increase" ? s + a.amount * 10n ** 12n : s), 0n);
          expect(liveWad + newWad <= (liveWad > CAP ? liveWad : CAP)).to.equal(true);
        }),
        { numRuns: 200 },
      );
    });
  });
});
