/**
 * Issue 22: nothing lapses without a warning (held coverages by reason, the lapse alert's timing),
 * a position measured at zero after a paid claim is not re-covered at its old size, and the
 * demo's drain description is in token units (no raw base units).
 */
import { expect } from "chai";

import { heldCovers, lapseAlert, lapseAlertDue } from "../../src/policy/coverageHeld";
import { planCoverage, targetFromPosition, type CoverageChainState, type CoveragePosition, type OnChainCoverage } from "../../src/policy/coverage";
import { detectDrains } from "../../src/policy/watch";
import { watchTargetsOf } from "../../src/sources/positions/fromConfig";
import type { PositionConfig, ProtocolConfig, WatchConfig } from "../../src/config/schema";

const DAY = 86_400;
const NOW = 1_800_000_000;
const PROTOCOL = "0x1111111111111111111111111111111111111111";
const USDC = "0x2222222222222222222222222222222222222222";
const BENEFICIARY = "0x3333333333333333333333333333333333333333";
const HOLDER = "0x4444444444444444444444444444444444444444";
const usdc = (n: number): bigint => BigInt(n) * 1_000_000n;

function cover(overrides: Partial<OnChainCoverage> = {}): OnChainCoverage {
  const end = overrides.end ?? NOW + 10 * DAY;
  return {
    id: 1n, protocol: PROTOCOL, asset: USDC, beneficiary: BENEFICIARY, amount: usdc(45_000), premium: usdc(300), claimed: 0n,
    start: NOW - 300 * DAY, end, claimDeadline: end + 30 * DAY, providerId: 1, providerCoverId: 7n, openClaimId: 0n, status: "Active", ...overrides,
  };
}

function chain(coverages: OnChainCoverage[]): CoverageChainState {
  return {
    protocols: [{ protocol: PROTOCOL, riskScore: 30, exposureWad: 0n, coverages }],
    pools: [{ asset: USDC, decimals: 6, pool: usdc(1_000_000), selfInsured: 0n }],
    params: { baseRateBps: 200, reserveRatioBps: 2_000, renewalWindowSec: 30 * DAY, claimGracePeriodSec: 30 * DAY, maxCoveragePerProtocolWad: 500_000n * 10n ** 18n },
  };
}

const position = { protocolId: "aave-v3", protocol: PROTOCOL, asset: USDC, beneficiary: BENEFICIARY };

describe("held coverages (issue 22: nothing lapses without a warning)", () => {
  it("a renewal no provider can price is held as no-quote-source with the fix and its cover's end", () => {
    const held = heldCovers({
      positions: [position],
      skipped: [],
      unsent: [{ ...position, kind: "renew", reason: "unfundable", reasons: ["provider 1: error (providers.nexus.quoteBaseUrl is not configured)"], coverEnd: NOW + 10 * DAY }],
      chain: chain([cover()]),
      now: NOW,
    });
    expect(held).to.have.length(1);
    expect(held[0]).to.include({ protocolId: "aave-v3", reason: "no-quote-source", action: "renew", lapseAt: NOW + 10 * DAY });
    expect(held[0]?.fix).to.match(/providers\.nexus\.quoteBaseUrl/);
  });

  it("a provider that refuses on price is 'unfundable', not 'no-quote-source'", () => {
    const held = heldCovers({
      positions: [position],
      skipped: [],
      unsent: [{ ...position, kind: "purchase", reason: "unfundable", reasons: ["provider 2: upstream-above-fund-premium (…)", "provider 0: not-allowed (…)"] }],
      chain: chain([]),
      now: NOW,
    });
    expect(held.map((h) => [h.reason, h.lapseAt])).to.deep.equal([["unfundable", null]]);
  });

  it("budget, not-agent and an incident halt are named; a zero target (nothing to cover) is not held", () => {
    const held = heldCovers({
      positions: [position],
      skipped: [
        { protocolId: "aave-v3", protocol: PROTOCOL, reason: "incident-halt", asset: USDC, beneficiary: BENEFICIARY },
        { protocolId: "aave-v3", protocol: PROTOCOL, reason: "zero-target", asset: USDC, beneficiary: BENEFICIARY },
      ],
      unsent: [
        { ...position, kind: "increase", reason: "budget", reasons: ["deferred by the premium budget"] },
        { ...position, kind: "renew", reason: "not-agent", reasons: ["not an agent"], coverEnd: NOW + 5 * DAY },
      ],
      chain: chain([cover()]),
      now: NOW,
      keeperAddress: HOLDER,
    });
    expect(held.map((h) => h.reason).sort()).to.deep.equal(["budget", "incident-halt", "not-agent"]);
    expect(held.find((h) => h.reason === "not-agent")?.fix).to.equal(`the beneficiary ${BENEFICIARY} runs \`npm run keeper -- set-agent ${HOLDER}\` with its key (BENEFICIARY_PRIVATE_KEY)`);
  });

  it("the lapse alert is due lapseAlertDays before the end (not earlier), at once when uncovered, never for an incident halt (it has its own)", () => {
    const base = { protocolId: "aave-v3", asset: USDC, beneficiary: BENEFICIARY, action: "renew", reason: "no-quote-source" as const, detail: "d", fix: "f" };
    expect(lapseAlertDue({ ...base, lapseAt: NOW + 8 * DAY }, NOW, 7)).to.equal(false);
    expect(lapseAlertDue({ ...base, lapseAt: NOW + 7 * DAY }, NOW, 7)).to.equal(true);
    expect(lapseAlertDue({ ...base, action: "purchase", lapseAt: null }, NOW, 7)).to.equal(true);
    expect(lapseAlertDue({ ...base, reason: "incident-halt", lapseAt: NOW + DAY }, NOW, 7)).to.equal(false);
    const alert = lapseAlert({ ...base, lapseAt: NOW + 6 * DAY + 3600 }, NOW);
    expect(alert.title).to.equal("cover lapses in 6 days 1 h: aave-v3 (no-quote-source)");
    expect(alert.message).to.match(/loses its cover at 2027-01-\d\d \d\d:\d\d UTC \(chain time, in 6 days 1 h\)/);
    expect(alert.message).to.not.match(/\b\d{10,}\b/); // no unix seconds
  });
});

describe("a position measured at zero after a paid claim (issue 22)", () => {
  it("is not re-covered at its old size: target 0, no purchase, no increase", () => {
    // The claim paid the whole cover (claimed = amount) and the reader now measures 0.
    const paid = cover({ claimed: usdc(45_000), openClaimId: 0n, end: NOW + 100 * DAY });
    const target = targetFromPosition(undefined, { amount: 0n, block: 10, timestamp: NOW, status: "fresh" });
    const p: CoveragePosition = { ...position, assetDecimals: 6, ...target, liveValue: { amount: 0n, block: 10, timestamp: NOW, status: "fresh" }, preferredProviders: [1], allowSelfInsure: true };
    const plan = planCoverage([p], chain([paid]), NOW);
    expect(plan.actions.filter((a) => a.kind !== "expire")).to.deep.equal([]);
    expect(plan.skipped.map((s) => s.reason)).to.include("zero-target");
    // The same position at its old value (the read before the loss) would be covered again in full (the test can fail).
    const before: CoveragePosition = { ...p, ...targetFromPosition(undefined, { amount: usdc(45_000), block: 9, timestamp: NOW - 60, status: "fresh" }) };
    const again = planCoverage([before], chain([paid]), NOW).actions.filter((a) => a.kind === "increase" || a.kind === "purchase");
    expect(again.map((a) => ("amount" in a ? a.amount : 0n))).to.deep.equal([usdc(45_000)]);
  });

  it("with a fixed targetAmount, the old size is not topped up after a paid claim: held with the fix", () => {
    const paid = cover({ claimed: usdc(45_000), openClaimId: 0n, end: NOW + 100 * DAY });
    const fixed: CoveragePosition = { ...position, assetDecimals: 6, ...targetFromPosition(usdc(45_000), undefined), preferredProviders: [1], allowSelfInsure: true };
    const plan = planCoverage([fixed], chain([paid]), NOW);
    expect(plan.actions.filter((a) => a.kind !== "expire")).to.deep.equal([]);
    const held = heldCovers({ positions: [position], skipped: plan.skipped, unsent: [], chain: chain([paid]), now: NOW });
    expect(held.map((h) => h.reason)).to.deep.equal(["claim-paid-fixed-target"]);
    expect(held[0]?.fix).to.match(/set positions\[\]\.targetAmount to what the position holds now/);
  });
});

describe("the demo's drain alert is in token units (issue 22)", () => {
  it("a watched USDC balance falling 60% reads '270,000 USDC → 108,000 USDC', no base units", () => {
    const protocols = [{ id: "aave-v3", name: "Aave V3", address: PROTOCOL, watch: { balances: [{ token: USDC, holder: HOLDER, label: "USDC held by the Aave V3 pool, aEthUSDC" }], positions: false } }] as unknown as ProtocolConfig[];
    const positions = [{ protocol: "aave-v3", asset: USDC, assetSymbol: "USDC", assetDecimals: 6, beneficiary: BENEFICIARY, providers: [1], allowSelfInsure: true }] as unknown as PositionConfig[];
    const defaults = { enabled: true, dropPercent: 25, windowBlocks: 50, cumulativeDropPercent: 40, cumulativeWindowHours: 24 } as unknown as WatchConfig;
    const [target] = watchTargetsOf(protocols, positions, defaults).balances;
    if (target === undefined) throw new Error("no watch target");
    expect(target.unit).to.deep.equal({ decimals: 6, symbol: "USDC" });
    const obs = (block: number, balance: bigint) => ({ token: USDC, holder: HOLDER, block, timestamp: NOW + block * 12, balance: balance.toString() });
    const { signals } = detectDrains(
      [{ protocolId: "aave-v3", token: USDC, holder: HOLDER, label: target.label, unit: target.unit as { decimals: number; symbol: string }, observations: [obs(100, usdc(270_000)), obs(101, usdc(108_000))], rule: { dropBps: target.dropBps, windowBlocks: target.windowBlocks, minDrop: 0n } }],
      NOW + 2000,
    );
    expect(signals).to.have.length(1);
    expect(signals[0]?.description).to.match(/fell 60\.00% \(270,000 USDC → 108,000 USDC\) between blocks 100 and 101/);
    expect(signals[0]?.description).to.not.match(/\d{9,}/);
  });
});
