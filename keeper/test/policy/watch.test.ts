import { expect } from "chai";
import fc from "fast-check";
import { CORROBORATING_SIGNALS, type BalanceObservation } from "../../src/policy/incidentSignals";
import { DEFAULT_DRAIN_RULE, detectDrains, largestTransfers, pruneObservations, validateDrainRule, type WatchedSeries } from "../../src/policy/watch";
import {
  DEFAULT_COVERAGE_POLICY,
  planCoverage,
  targetFromPosition,
  type CoverageChainState,
  type CoveragePosition,
  type OnChainCoverage,
} from "../../src/policy/coverage";
import { buildCoverageReport, formatReportTable } from "../../src/policy/report";

const USDC = "0x1111111111111111111111111111111111111111";
const POOL = "0x2222222222222222222222222222222222222222";
const T0 = 1_750_000_000;

function obs(block: number, balance: bigint): BalanceObservation {
  return { token: USDC, holder: POOL, block, timestamp: T0 + (block - 100) * 12, balance: balance.toString() };
}
function series(observations: BalanceObservation[], rule = DEFAULT_DRAIN_RULE): WatchedSeries {
  return { protocolId: "aave-v3", token: USDC, holder: POOL, label: "USDC held by aEthUSDC", observations, rule };
}

describe("exploit watch rule (pure)", function () {
  it("a fall of >= 25% from the window's peak is a drain: before/after, drop, first block below the peak", function () {
    const now = T0 + 1000;
    const { signals, checks } = detectDrains([series([obs(100, 1_000_000n), obs(110, 990_000n), obs(120, 400_000n), obs(130, 350_000n)])], now);
    expect(signals).to.have.length(1);
    const s = signals[0]!;
    expect(s.kind).to.equal("onchain-drain");
    expect(s.protocolId).to.equal("aave-v3");
    expect(s.drain?.before.block).to.equal(100);
    expect(s.drain?.after.block).to.equal(130);
    expect(s.drain?.dropFraction).to.equal(0.65);
    // The first observation below the peak is block 110 (a 1% dip that the drain continued).
    expect(s.sourceId).to.equal(`onchain-drain:${USDC.toLowerCase()}:${POOL.toLowerCase()}:110`);
    expect(s.occurredAt).to.equal(T0 + 10 * 12);
    expect(s.observedAt).to.equal(now);
    expect(checks[0]?.dropBps).to.equal(6500);
    expect(CORROBORATING_SIGNALS.has(s.kind)).to.equal(false); // suspected only, never a claim on its own
  });

  it("the same drain seen on later ticks keeps its sourceId", function () {
    const a = detectDrains([series([obs(100, 1_000n), obs(110, 500n)])], T0).signals[0];
    const b = detectDrains([series([obs(100, 1_000n), obs(110, 500n), obs(120, 200n)])], T0).signals[0];
    expect(a?.sourceId).to.equal(b?.sourceId);
  });

  it("below the threshold, outside the window, under minDrop, or a rise: no drain", function () {
    expect(detectDrains([series([obs(100, 1_000_000n), obs(110, 760_000n)])], T0).signals).to.have.length(0); // 24%
    expect(detectDrains([series([obs(100, 1_000_000n), obs(151, 100_000n)])], T0).signals).to.have.length(0); // peak 51 blocks back
    expect(detectDrains([series([obs(100, 1_000_000n), obs(150, 100_000n)])], T0).signals).to.have.length(1); // exactly 50 back
    expect(detectDrains([series([obs(100, 100n), obs(110, 10n)], { ...DEFAULT_DRAIN_RULE, minDrop: 1_000n })], T0).signals).to.have.length(0);
    expect(detectDrains([series([obs(100, 100n), obs(110, 200n)])], T0).signals).to.have.length(0);
    expect(detectDrains([series([])], T0).checks[0]?.draining).to.equal(false);
    expect(detectDrains([series([obs(100, 0n), obs(110, 0n)])], T0).signals).to.have.length(0);
  });

  it("a withdrawal wave above the threshold is still only a suspected (non-corroborating) signal", function () {
    // 30% of the pool leaves over 40 blocks in orderly withdrawals.
    const wave = [0, 10, 20, 30, 40].map((i) => obs(100 + i, 1_000_000n - BigInt(i) * 7_500n));
    const { signals } = detectDrains([series(wave)], T0);
    expect(signals).to.have.length(1);
    expect(signals[0]?.kind).to.equal("onchain-drain");
    expect(CORROBORATING_SIGNALS.has("onchain-drain")).to.equal(false);
  });

  it("rejects impossible rules and keeps only the window's observations", function () {
    expect(() => validateDrainRule({ dropBps: 0, windowBlocks: 10, minDrop: 0n })).to.throw(/dropBps/);
    expect(() => validateDrainRule({ dropBps: 10_001, windowBlocks: 10, minDrop: 0n })).to.throw(/dropBps/);
    expect(() => validateDrainRule({ dropBps: 100, windowBlocks: 0, minDrop: 0n })).to.throw(/windowBlocks/);
    expect(pruneObservations([obs(100, 1n), obs(200, 2n), obs(150, 3n), obs(200, 4n)], 50).map((o) => [o.block, o.balance])).to.deep.equal([
      [150, "3"],
      [200, "4"],
    ]);
  });

  it("largest transfers: biggest first, bounded", function () {
    const t = largestTransfers(
      [
        { to: "0xa", amount: 5n, txHash: "0x1" },
        { to: "0xb", amount: 50n, txHash: "0x2" },
        { to: "0xc", amount: 7n, txHash: "0x3" },
      ],
      2,
    );
    expect(t).to.deep.equal([
      { to: "0xb", amount: "50", txHash: "0x2" },
      { to: "0xc", amount: "7", txHash: "0x3" },
    ]);
  });

  it("property: a drain is reported iff the newest balance is >= dropBps below the window's peak", function () {
    fc.assert(
      fc.property(fc.array(fc.bigInt({ min: 0n, max: 10n ** 12n }), { minLength: 1, maxLength: 12 }), fc.integer({ min: 1, max: 10_000 }), (balances, dropBps) => {
        const observations = balances.map((b, i) => obs(100 + i * 5, b));
        const rule = { dropBps, windowBlocks: 1_000, minDrop: 0n };
        const peak = balances.reduce((m, b) => (b > m ? b : m), 0n);
        const last = balances[balances.length - 1] as bigint;
        const expected = peak > 0n && peak > last && (peak - last) * 10_000n >= peak * BigInt(dropBps);
        expect(detectDrains([series(observations, rule)], T0).signals.length === 1).to.equal(expected);
      }),
    );
  });
});

describe("coverage target from the live value", function () {
  const AAVE = "0xaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa";
  const SAFE = "0x5afe5afe5afe5afe5afe5afe5afe5afe5afe5afe";
  const NOW = 1_750_000_000;
  const live = (amount: bigint, status: "fresh" | "stale" = "fresh") => ({ amount, block: 10, timestamp: NOW - 5, status });

  it("fixed targetAmount overrides; else the live value (fresh or last known); else unknown", function () {
    expect(targetFromPosition(5n, live(9n))).to.deep.equal({ targetAmount: 5n, targetSource: "fixed" });
    expect(targetFromPosition(undefined, live(9n))).to.deep.equal({ targetAmount: 9n, targetSource: "live" });
    expect(targetFromPosition(undefined, live(9n, "stale"))).to.deep.equal({ targetAmount: 9n, targetSource: "last-known" });
    expect(targetFromPosition(undefined, undefined)).to.deep.equal({ targetAmount: 0n, targetSource: "unknown" });
  });

  function plan(value: bigint | undefined, coverAmount: bigint | undefined) {
    const t = targetFromPosition(undefined, value === undefined ? undefined : live(value));
    const position: CoveragePosition = {
      protocolId: "aave-v3",
      protocol: AAVE,
      asset: USDC,
      assetDecimals: 6,
      beneficiary: SAFE,
      preferredProviders: [1],
      allowSelfInsure: true,
      ...t,
      ...(value !== undefined ? { liveValue: live(value) } : {}),
    };
    const coverages: OnChainCoverage[] =
      coverAmount === undefined
        ? []
        : [{ id: 1n, protocol: AAVE, asset: USDC, beneficiary: SAFE, amount: coverAmount, premium: 1n, claimed: 0n, start: NOW - 10 * 86_400, end: NOW + 300 * 86_400, providerId: 1, providerCoverId: 1n, openClaimId: 0n, status: "Active" }];
    const chain: CoverageChainState = {
      protocols: [{ protocol: AAVE, riskScore: 30, exposureWad: (coverAmount ?? 0n) * 10n ** 12n, coverages }],
      pools: [{ asset: USDC, decimals: 6, pool: 0n, selfInsured: 0n }],
      params: { baseRateBps: 200, reserveRatioBps: 2000, renewalWindowSec: 30 * 86_400, claimGracePeriodSec: 30 * 86_400, maxCoveragePerProtocolWad: 500_000n * 10n ** 18n },
    };
    return planCoverage([position], chain, NOW, DEFAULT_COVERAGE_POLICY);
  }

  it("hysteresis: a 10% growth buys nothing, a 50% growth tops up to the new value", function () {
    expect(plan(110_000n * 10n ** 6n, 100_000n * 10n ** 6n).actions).to.have.length(0);
    const grown = plan(150_000n * 10n ** 6n, 100_000n * 10n ** 6n);
    expect(grown.actions.map((a) => a.kind)).to.deep.equal(["increase"]);
    expect((grown.actions[0] as { amount: bigint }).amount).to.equal(50_000n * 10n ** 6n);
    expect(grown.positions[0]?.targetSource).to.equal("live");
  });

  it("the report shows position value, coverage and cover/value per protocol (stale values marked)", function () {
    const t = targetFromPosition(undefined, live(150_000n * 10n ** 6n, "stale"));
    const position: CoveragePosition = { protocolId: "aave-v3", protocol: AAVE, asset: USDC, assetDecimals: 6, beneficiary: SAFE, preferredProviders: [1], allowSelfInsure: true, ...t, liveValue: live(150_000n * 10n ** 6n, "stale") };
    const cover: OnChainCoverage = { id: 1n, protocol: AAVE, asset: USDC, beneficiary: SAFE, amount: 100_000n * 10n ** 6n, premium: 1n, claimed: 0n, start: NOW - 10, end: NOW + 300 * 86_400, providerId: 1, providerCoverId: 1n, openClaimId: 0n, status: "Active" };
    const chain: CoverageChainState = {
      protocols: [{ protocol: AAVE, riskScore: 30, exposureWad: 0n, coverages: [cover] }],
      pools: [],
      params: { baseRateBps: 200, reserveRatioBps: 2000, renewalWindowSec: 30 * 86_400, claimGracePeriodSec: 30 * 86_400, maxCoveragePerProtocolWad: 500_000n * 10n ** 18n },
    };
    const report = buildCoverageReport([position], chain, NOW);
    expect(report.rows[0]?.positionValueWad).to.equal(150_000n * 10n ** 18n);
    expect(report.rows[0]?.coverageToValueBps).to.equal(6_666);
    expect(report.rows[0]?.valueStatus).to.equal("stale");
    expect(formatReportTable(report)).to.match(/aave-v3 +\| 30 +\| LOW +\| \$150,000\.00 \(stale\) +\| \$150,000\.00 +\| \$100,000\.00 +\| 66\.7%/);
  });

  it("a position never read (and no override) buys and cuts nothing", function () {
    const p = plan(undefined, undefined);
    expect(p.actions).to.have.length(0);
    expect(p.skipped.map((s) => s.reason)).to.include("value-unknown");
    const covered = plan(undefined, 100_000n * 10n ** 6n);
    expect(covered.actions).to.have.length(0); // not reduced to 0
    expect(covered.positions[0]?.optimalAmount).to.equal(100_000n * 10n ** 6n);
  });
});
