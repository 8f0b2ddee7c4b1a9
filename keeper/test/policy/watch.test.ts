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
  const at = (block: number, balance: bigint, timestamp: number, owed?: bigint): BalanceObservation => ({ token: USDC, holder: POOL, block, timestamp, balance: balance.toString(), ...(owed !== undefined ? { owed: owed.toString() } : {}) });

  it("a gap (restart, outage, slow tick): the newest reading is compared with the last one before it, whatever its age", function () {
    const before = at(100, 1_000_000n, T0);
    const after = at(300, 200_000n, T0 + 200 * 12); // 200 blocks of downtime, then the first tick back
    const { signals, checks } = detectDrains([series([before, after])], T0 + 3000);
    expect(signals).to.have.length(1);
    expect(checks[0]?.rule).to.equal("gap");
    expect(signals[0]!.drain?.before.block).to.equal(100);
    expect(signals[0]!.description).to.match(/across a gap/);
    // The anchor survives pruning across the gap (the restart keeps it in kv).
    expect(pruneObservations([before, after], 50).map((o) => o.block)).to.deep.equal([100, 300]);
  });

  it("a slow drain: 80% over 480 blocks trips the cumulative rule (40% in 24 h) though no 50-block window falls 25%", function () {
    const points: BalanceObservation[] = [];
    // The same share every 10 blocks: 80% gone after 480 blocks, 15.4% per 50 blocks.
    for (let i = 0; i <= 48; i++) points.push(at(100 + i * 10, BigInt(Math.round(1_000_000 * 0.2 ** (i / 48))), T0 + i * 120));
    let kept: BalanceObservation[] = [];
    let tripped: { rule: string | undefined; index: number } | undefined;
    points.forEach((p, index) => {
      kept = pruneObservations([...kept, p], 50, 86_400);
      const { checks, signals } = detectDrains([series(kept)], p.timestamp);
      if (tripped === undefined && signals.length > 0) tripped = { rule: checks[0]?.rule, index };
    });
    // First seen by the cumulative rule, once 40% is gone (tick 16 of 48).
    expect(tripped).to.deep.equal({ rule: "cumulative", index: 16 });
    // Without the cumulative rule the 25%-in-50-blocks rule never trips.
    const fastOnly = { dropBps: 2_500, windowBlocks: 50, minDrop: 0n };
    expect(detectDrains([series(points, fastOnly)], T0 + 6000).signals).to.have.length(0);
  });

  it("a documented withdrawal wave (20% over hours) trips neither rule", function () {
    const points = [0, 1, 2, 3, 4].map((i) => at(100 + i * 100, 1_000_000n - BigInt(i) * 50_000n, T0 + i * 3600));
    expect(detectDrains([series(points)], T0 + 5 * 3600).signals).to.deep.equal([]);
  });

  it("pooled lending: a solvent withdrawal (cash and supply fall together) is no drain; a theft or a borrow of the cash (supply stays) is", function () {
    // Reserve: 40 cash of 100 supplied (60% utilisation). A withdrawal of 35 takes 87.5% of the cash and burns 35 supply.
    const peak = at(100, 40_000_000n, T0, 100_000_000n);
    const wave = at(110, 5_000_000n, T0 + 120, 65_000_000n);
    expect(detectDrains([series([peak, wave])], T0 + 200).signals).to.deep.equal([]);
    const borrowAll = at(110, 0n, T0 + 120, 100_000_000n);
    const drained = detectDrains([series([peak, borrowAll])], T0 + 200);
    expect(drained.signals).to.have.length(1);
    expect(drained.signals[0]!.description).to.match(/owed to depositors/);
    // Without the supply read, the wave looks like a drain (the old behaviour).
    const { owed: _a, ...peakCash } = peak;
    const { owed: _b, ...waveCash } = wave;
    expect(detectDrains([series([peakCash, waveCash])], T0 + 200).signals).to.have.length(1);
  });

  it("pruning keeps the cumulative window bounded: at most one observation per bucket before the fast window", function () {
    const many: BalanceObservation[] = [];
    for (let i = 0; i < 2_000; i++) many.push(at(100 + i, 1_000_000n, T0 + i * 12));
    const kept = pruneObservations(many, 50, 86_400);
    expect(kept.length).to.be.lessThan(51 + 1 + 97);
  });

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
    const fastOnly = { dropBps: 2_500, windowBlocks: 50, minDrop: 0n };
    expect(detectDrains([series([obs(100, 1_000_000n), obs(140, 100_000n), obs(151, 100_000n)], fastOnly)], T0).signals).to.have.length(0); // peak 51 blocks back
    expect(detectDrains([series([obs(100, 1_000_000n), obs(151, 100_000n)])], T0).checks[0]?.rule).to.equal("gap"); // alone in the window: compared across the gap
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
      [100, "1"], // the gap anchor: the last reading before the window
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
        : [{ id: 1n, protocol: AAVE, asset: USDC, beneficiary: SAFE, amount: coverAmount, premium: 1n, claimed: 0n, start: NOW - 10 * 86_400, end: NOW + 300 * 86_400, providerId: 1, providerCoverId: 1n, openClaimId: 0n, status: "Active", claimDeadline: NOW + 330 * 86_400 }];
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
    const cover: OnChainCoverage = { id: 1n, protocol: AAVE, asset: USDC, beneficiary: SAFE, amount: 100_000n * 10n ** 6n, premium: 1n, claimed: 0n, start: NOW - 10, end: NOW + 300 * 86_400, providerId: 1, providerCoverId: 1n, openClaimId: 0n, status: "Active", claimDeadline: NOW + 330 * 86_400 };
    const chain: CoverageChainState = {
      protocols: [{ protocol: AAVE, riskScore: 30, exposureWad: 0n, coverages: [cover] }],
      pools: [],
      params: { baseRateBps: 200, reserveRatioBps: 2000, renewalWindowSec: 30 * 86_400, claimGracePeriodSec: 30 * 86_400, maxCoveragePerProtocolWad: 500_000n * 10n ** 18n },
    };
    const report = buildCoverageReport([position], chain, NOW);
    expect(report.rows[0]?.positionValueWad).to.equal(150_000n * 10n ** 18n);
    expect(report.rows[0]?.coverageToValueBps).to.equal(6_666);
    expect(report.rows[0]?.valueStatus).to.equal("stale");
    expect(formatReportTable(report)).to.match(/aave-v3 +\| 30 +\| LOW +\| \$150,000\.00 \(stale\) +\| \$150,000\.00 +\| \$150,000\.00 +\| \$100,000\.00 +\| 66\.7%/);
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
