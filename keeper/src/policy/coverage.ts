/**
 * PURE coverage policy: (operator positions, the fund's on-chain state, now) → coverage actions
 * (purchase, increase, renew, reduce, expire) with priorities, idempotency keys and premium
 * bounds. No I/O, no clock: `now` is chain time (unix seconds).
 *
 * Units are explicit in every name: `...Amount` / `premium...` = asset units (bigint),
 * `...Wad` = USD with 18 decimals (the fund's cap unit, $1 per stablecoin).
 */
import { DAY_SEC, BPS, YEAR_SEC, fromWad, premiumFor, sameAddress, toWad, withSlippage } from "./money";

export type Priority = "HIGH" | "MEDIUM" | "LOW";
/** Lower rank runs first. */
export const PRIORITY_RANK: Readonly<Record<Priority, number>> = { HIGH: 0, MEDIUM: 1, LOW: 2 };

/** The fund's duration bounds (StablecoinInsuranceFund MIN_DURATION / MAX_DURATION). */
export const MIN_DURATION_SEC = 30 * DAY_SEC; // seconds
export const MAX_DURATION_SEC = YEAR_SEC; // seconds

/** One operator position to keep covered (from config). */
export interface CoveragePosition {
  /** Operator's protocol key, e.g. "aave-v3". */
  readonly protocolId: string;
  /** Protocol key (address) in the fund. */
  readonly protocol: string;
  readonly asset: string;
  readonly assetDecimals: number;
  /** Position size to protect, asset units: the fixed override, else the live value (see `targetFromPosition`). */
  readonly targetAmount: bigint;
  /** Cold address that owns the coverage and receives payouts. */
  readonly beneficiary: string;
  /** Registered provider ids (≥ 1) to try, in order of preference. */
  readonly preferredProviders: readonly number[];
  /** Whether the fund's pool (provider 0) may carry this position when no provider can. */
  readonly allowSelfInsure: boolean;
  /**
   * Where `targetAmount` came from (default "fixed"): the config's `targetAmount`; the live value
   * read this cycle ("live") or the last known one after a failed read ("last-known"); or
   * nothing at all ("unknown": never read and no override — existing coverage is only renewed as is).
   */
  readonly targetSource?: TargetSource;
  /** The live value read on-chain, when the position names where it lives. */
  readonly liveValue?: LiveValue;
}

export type TargetSource = "fixed" | "live" | "last-known" | "unknown";

/** A position's on-chain value with the block it was read at. */
export interface LiveValue {
  /** Asset units. */
  readonly amount: bigint;
  readonly block: number;
  /** Chain time of `block`. */
  readonly timestamp: number;
  /** "fresh" when read this cycle, "stale" when this cycle's read failed and this is the last known value. */
  readonly status: "fresh" | "stale";
}

/**
 * The coverage target of a position: the fixed `targetAmount` override when configured, else
 * its live value (fresh, or the last known one when this cycle's read failed — never 0 for a
 * failed read), else "unknown".
 */
export function targetFromPosition(
  fixed: bigint | undefined,
  live: LiveValue | undefined,
): { targetAmount: bigint; targetSource: TargetSource } {
  if (fixed !== undefined) return { targetAmount: fixed, targetSource: "fixed" };
  if (live !== undefined) return { targetAmount: live.amount, targetSource: live.status === "fresh" ? "live" : "last-known" };
  return { targetAmount: 0n, targetSource: "unknown" };
}

export type CoverageStatus = "None" | "Active" | "Expired";

/** A coverage as FundLens.getCoverages returns it. */
export interface OnChainCoverage {
  readonly id: bigint;
  readonly protocol: string;
  readonly asset: string;
  readonly beneficiary: string;
  /** Asset units. */
  readonly amount: bigint;
  /** Total premium paid so far, asset units. */
  readonly premium: bigint;
  /** Paid out so far, asset units. */
  readonly claimed: bigint;
  /** Unix seconds. */
  readonly start: number;
  readonly end: number;
  /** 0 = self-insured. */
  readonly providerId: number;
  readonly providerCoverId: bigint;
  /** 0n = no open claim. */
  readonly openClaimId: bigint;
  readonly status: CoverageStatus;
  readonly riskScore?: number;
  /**
   * The fund's `claimDeadline(id)`, unix seconds: the last second a claim may be filed — end + the
   * claimGracePeriod fixed at purchase (a later change of the global parameter does not move it),
   * or a later re-filing deadline after a denial. Read with the coverage (FundLens).
   */
  readonly claimDeadline: number;
}

/** FundLens.getProtocolStates for one protocol plus the details of its active coverages. */
export interface ProtocolChainState {
  readonly protocol: string;
  /** calculateProtocolRisk now (1-100). */
  readonly riskScore: number;
  /** Active coverage of the protocol (anyone's), USD wad. */
  readonly exposureWad: bigint;
  /** Its active coverages (status Active, ended or not). */
  readonly coverages: readonly OnChainCoverage[];
}

/** The self-insurance book of one asset. */
export interface AssetPoolState {
  readonly asset: string;
  readonly decimals: number;
  /** poolBalance(asset), asset units. */
  readonly pool: bigint;
  /** getSelfInsuredCoverage(asset), asset units. */
  readonly selfInsured: bigint;
}

/** The fund's `parameters()` as the policy needs them. */
export interface FundParams {
  readonly baseRateBps: number;
  readonly reserveRatioBps: number;
  /** Seconds before the end from which renewCoverage is allowed (window [end − w, end)). */
  readonly renewalWindowSec: number;
  readonly claimGracePeriodSec: number;
  /** Cap on active coverage per protocol, USD wad (500 000e18 by default). */
  readonly maxCoveragePerProtocolWad: bigint;
}

export interface CoverageChainState {
  readonly protocols: readonly ProtocolChainState[];
  readonly pools: readonly AssetPoolState[];
  readonly params: FundParams;
}

export interface CoveragePolicyParams {
  /** Renew anything ending within this many seconds (default 30 days, inclusive). */
  readonly renewWithinSec: number;
  /** Term of a new coverage and of a renewed one, counted from now (default 365 days). */
  readonly purchaseDurationSec: number;
  /** `maxPremium` = estimate × (1 + slippage) (default 100 bps = 1%). */
  readonly premiumSlippageBps: number;
  /** Increase when current / optimal < this (default 8000 = 0.8). */
  readonly increaseBelowBps: number;
  /** Reduce when current / optimal > this (default 12 000 = 1.2). */
  readonly reduceAboveBps: number;
  /** Ids per `expireCoverages` call (default 50). */
  readonly expireBatchSize: number;
}

export const DEFAULT_COVERAGE_POLICY: CoveragePolicyParams = {
  renewWithinSec: 30 * DAY_SEC,
  purchaseDurationSec: 365 * DAY_SEC,
  premiumSlippageBps: 100,
  increaseBelowBps: 8_000,
  reduceAboveBps: 12_000,
  expireBatchSize: 50,
};

interface ActionBase {
  readonly priority: Priority;
  /** Deterministic: the same decision in a later cycle (or after a crash) has the same key. */
  readonly idempotencyKey: string;
  readonly protocolId: string;
  readonly protocol: string;
}

/** Money-spending fields every premium-paying action carries. */
export interface PremiumBounds {
  readonly asset: string;
  readonly assetDecimals: number;
  /** The fund's premium at the current score, asset units. */
  readonly premiumEstimate: bigint;
  /** Slippage guard passed to the fund, asset units. */
  readonly maxPremium: bigint;
  /** `maxPremium` in USD wad (the budget unit). */
  readonly maxPremiumWad: bigint;
}

/** A new coverage: the first one of a position ("purchase") or a top-up ("increase"). */
export interface PurchaseAction extends ActionBase, PremiumBounds {
  readonly kind: "purchase" | "increase";
  readonly beneficiary: string;
  /** Asset units. */
  readonly amount: bigint;
  readonly durationSec: number;
  /** Providers to try, in order; the provider is chosen per quote (see providerChoice.ts). */
  readonly preferredProviders: readonly number[];
  readonly allowSelfInsure: boolean;
  /** current / optimal in bps at decision time (0 for a purchase). */
  readonly ratioBps: number;
  /** The fund's score the estimate was priced at. */
  readonly riskScore: number;
  /** Set when the amount was cut to fit the protocol cap. */
  readonly cappedFrom?: bigint;
}

/** renewCoverage of an active coverage ("renew": ending soon; "reduce": over-insured, early). */
export interface RenewAction extends ActionBase, PremiumBounds {
  readonly kind: "renew" | "reduce";
  readonly coverId: bigint;
  readonly providerId: number;
  readonly providerCoverId: bigint;
  readonly end: number;
  /** Asset units. */
  readonly currentAmount: bigint;
  readonly newAmount: bigint;
  readonly extraDurationSec: number;
}

/** One expireCoverages batch (no premium). */
export interface ExpireAction {
  readonly kind: "expire";
  readonly priority: Priority;
  readonly idempotencyKey: string;
  readonly coverIds: readonly bigint[];
}

export type CoverageAction = PurchaseAction | RenewAction | ExpireAction;
export type PremiumAction = PurchaseAction | RenewAction;

export type CoverageSkipReason =
  | "claim-open"
  | "renewal-window-not-open"
  | "renewal-term-invalid"
  | "over-insured-not-renewed"
  | "reduce-awaits-renewal-window"
  | "protocol-cap-reached"
  | "no-protocol-state"
  | "duplicate-position"
  | "zero-target"
  /** The protocol has a suspected or confirmed incident: nothing is bought, increased or renewed on it. */
  | "incident-halt"
  | "value-unknown"
  /** A claim was paid on a position with a fixed targetAmount: no top-up to the old size (the operator updates it). */
  | "claim-paid-fixed-target";

export interface CoverageSkip {
  readonly protocolId: string;
  readonly protocol: string;
  readonly reason: CoverageSkipReason;
  readonly coverId?: bigint;
  readonly detail?: string;
  /** The position's asset and beneficiary, when the skip is about one position. */
  readonly asset?: string;
  readonly beneficiary?: string;
}

/** The per-position view the plan was built from (also used by reports). */
export interface PositionAssessment {
  readonly protocolId: string;
  readonly protocol: string;
  readonly asset: string;
  readonly beneficiary: string;
  readonly riskScore: number;
  /** Asset units. */
  readonly targetAmount: bigint;
  /** Target × multiplier, after the protocol cap, asset units. */
  readonly optimalAmount: bigint;
  /** Remaining covered amount (amount − claimed) of live coverages, asset units. */
  readonly currentAmount: bigint;
  readonly targetSource: TargetSource;
  readonly liveValue?: LiveValue;
  /** current / optimal in bps (undefined when optimal is 0). */
  readonly ratioBps: number | undefined;
  readonly multiplierBps: number;
}

export interface CoveragePlan {
  /** Sorted by priority (HIGH, MEDIUM, LOW), stable within a priority. */
  readonly actions: readonly CoverageAction[];
  readonly skipped: readonly CoverageSkip[];
  readonly positions: readonly PositionAssessment[];
}

/** The original multiplier: × 1.3 when score > 80, × 1.2 when > 60, × 1.1 when > 40, else × 1.0. */
export function coverageMultiplierBps(riskScore: number): number {
  if (riskScore > 80) return 13_000;
  if (riskScore > 60) return 12_000;
  if (riskScore > 40) return 11_000;
  return 10_000;
}

/** target × multiplier (floor), asset units, before any cap. */
export function optimalCoverage(targetAmount: bigint, riskScore: number): bigint {
  return (targetAmount * BigInt(coverageMultiplierBps(riskScore))) / BPS;
}

/** current / optimal in bps (floor); undefined when optimal is 0. */
export function coverageRatioBps(current: bigint, optimal: bigint): number | undefined {
  if (optimal === 0n) return undefined;
  return Number((current * BPS) / optimal);
}

export function validateCoveragePolicy(params: CoveragePolicyParams): void {
  const ints: (keyof CoveragePolicyParams)[] = [
    "renewWithinSec",
    "purchaseDurationSec",
    "premiumSlippageBps",
    "increaseBelowBps",
    "reduceAboveBps",
    "expireBatchSize",
  ];
  for (const key of ints) {
    const value = params[key];
    if (!Number.isSafeInteger(value) || value < 0) {
      throw new Error(`coverage: ${key} must be a non-negative integer, got ${String(value)}`);
    }
  }
  if (params.purchaseDurationSec < MIN_DURATION_SEC || params.purchaseDurationSec > MAX_DURATION_SEC) {
    throw new Error(
      `coverage: purchaseDurationSec ${params.purchaseDurationSec} is outside the fund's ${MIN_DURATION_SEC}..${MAX_DURATION_SEC} s`,
    );
  }
  if (params.increaseBelowBps > params.reduceAboveBps) {
    throw new Error(`coverage: increaseBelowBps (${params.increaseBelowBps}) must not exceed reduceAboveBps (${params.reduceAboveBps})`);
  }
  if (params.expireBatchSize < 1) throw new Error("coverage: expireBatchSize must be >= 1");
}

/**
 * Plans this cycle's coverage actions.
 *
 * Per position (coverages matched by protocol, asset and beneficiary; "live" = Active and
 * now < end; remaining = amount − claimed):
 * - optimal = target × multiplier(score); the optimal amounts of ALL positions on a protocol are
 *   summed in USD wad and scaled down pro rata when they exceed the fund's per-protocol cap;
 * - no live coverage → purchase the optimal amount (HIGH); an ended cover is re-bought, never
 *   renewed;
 * - current / optimal < increaseBelow → increase: a top-up coverage for optimal − current (MEDIUM);
 * - a live coverage ending within renewWithinSec (end − now ≤ it) → renew (HIGH), never while a
 *   claim is open on it, only inside the fund's window [end − renewalWindow, end); when the
 *   position is over-insured the renewal drops the excess (or lets a wholly excess cover lapse);
 * - current / optimal > reduceAbove and nothing due → reduce (LOW): renew early with the excess
 *   removed once the fund's renewal window is open, else report it as waiting;
 * - coverages of the protocols (anyone's) whose claim window closed (end + claimGracePeriod; the
 *   fund keeps an ended coverage in the cap and the reserve until then and refuses to expire it
 *   earlier) → expireCoverages batches (HIGH, first: expiring releases cap room the purchases
 *   may need).
 * New coverage is cut to the cap room left (cap − exposure + what the sweep releases), purchases
 * before increases.
 */
export function planCoverage(
  positions: readonly CoveragePosition[],
  chain: CoverageChainState,
  now: number,
  policy: CoveragePolicyParams = DEFAULT_COVERAGE_POLICY,
  /** Protocol addresses (lower case) with a suspected or confirmed incident. */
  halted: ReadonlySet<string> = new Set(),
): CoveragePlan {
  validateCoveragePolicy(policy);
  if (!Number.isSafeInteger(now) || now < 0) throw new Error(`coverage: now must be unix seconds, got ${now}`);
  const stateByProtocol = new Map<string, ProtocolChainState>();
  for (const state of chain.protocols) stateByProtocol.set(state.protocol.toLowerCase(), state);
  const decimalsByAsset = new Map<string, number>();
  for (const pool of chain.pools) decimalsByAsset.set(pool.asset.toLowerCase(), pool.decimals);
  for (const position of positions) decimalsByAsset.set(position.asset.toLowerCase(), position.assetDecimals);

  const sweep = sweepExpired(chain, decimalsByAsset, now, policy);
  const skipped: CoverageSkip[] = [];
  const accepted = acceptPositions(positions, stateByProtocol, skipped);
  const p: PositionPlanning = {
    chain,
    now,
    policy,
    halted,
    day: Math.floor(now / DAY_SEC),
    // Optimal amounts, capped per protocol across positions (USD wad, pro rata).
    optimalByPosition: capOptimal(accepted, stateByProtocol, chain.params.maxCoveragePerProtocolWad),
    skipped,
    assessments: [],
    renewals: [],
    purchases: [],
    increases: [],
    reductions: [],
  };
  for (const position of accepted) {
    const state = stateByProtocol.get(position.protocol.toLowerCase());
    if (state !== undefined) planPosition(p, position, state);
  }
  const fitted = fitToCap(p, roomForNewCoverage(chain, sweep.releasedWad));
  const actions: CoverageAction[] = sortByPriority([...sweep.expireActions, ...p.renewals, ...fitted, ...p.reductions]);
  return { actions, skipped: p.skipped, positions: p.assessments };
}

/** The inputs of the per-position planning and what it has decided so far. */
interface PositionPlanning {
  readonly chain: CoverageChainState;
  readonly now: number;
  readonly policy: CoveragePolicyParams;
  readonly halted: ReadonlySet<string>;
  /** Day number of `now` (part of the purchase idempotency keys). */
  readonly day: number;
  readonly optimalByPosition: ReadonlyMap<string, bigint>;
  readonly skipped: CoverageSkip[];
  readonly assessments: PositionAssessment[];
  readonly renewals: RenewAction[];
  readonly purchases: PurchaseAction[];
  readonly increases: { position: CoveragePosition; amount: bigint; ratioBps: number; riskScore: number }[];
  readonly reductions: RenewAction[];
}

/**
 * Expire sweep over every tracked protocol: coverages whose claim window closed, in batches, and
 * the cap room (USD wad) their expiry releases per protocol.
 */
function sweepExpired(
  chain: CoverageChainState,
  decimalsByAsset: ReadonlyMap<string, number>,
  now: number,
  policy: CoveragePolicyParams,
): { expireActions: ExpireAction[]; releasedWad: Map<string, bigint> } {
  const expirable: bigint[] = [];
  const releasedWad = new Map<string, bigint>();
  for (const state of chain.protocols) {
    for (const c of state.coverages) {
      // The coverage's own deadline (grace fixed at purchase, re-filing window): the fund refuses earlier.
      if (c.status !== "Active" || now <= c.claimDeadline) continue;
      expirable.push(c.id);
      const decimals = decimalsByAsset.get(c.asset.toLowerCase());
      // Unknown decimals: credit no room (the cap check on-chain stays authoritative).
      if (decimals !== undefined) {
        const key = state.protocol.toLowerCase();
        releasedWad.set(key, (releasedWad.get(key) ?? 0n) + toWad(c.amount, decimals));
      }
    }
  }
  const uniqueExpirable = [...new Set(expirable)].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  const expireActions: ExpireAction[] = [];
  for (let i = 0; i < uniqueExpirable.length; i += policy.expireBatchSize) {
    const ids = uniqueExpirable.slice(i, i + policy.expireBatchSize);
    expireActions.push({ kind: "expire", priority: "HIGH", idempotencyKey: `expire:${ids.join(",")}`, coverIds: ids });
  }
  return { expireActions, releasedWad };
}

/** Distinct positions with a known protocol state (the others are skipped, with the reason). */
function acceptPositions(positions: readonly CoveragePosition[], stateByProtocol: ReadonlyMap<string, ProtocolChainState>, skipped: CoverageSkip[]): CoveragePosition[] {
  const accepted: CoveragePosition[] = [];
  const seen = new Set<string>();
  for (const position of positions) {
    const key = positionKey(position);
    if (seen.has(key)) {
      skipped.push({ protocolId: position.protocolId, protocol: position.protocol, reason: "duplicate-position" });
      continue;
    }
    seen.add(key);
    if (!stateByProtocol.has(position.protocol.toLowerCase())) {
      skipped.push({ protocolId: position.protocolId, protocol: position.protocol, reason: "no-protocol-state", asset: position.asset, beneficiary: position.beneficiary });
      continue;
    }
    accepted.push(position);
  }
  return accepted;
}

/** Room for new coverage per protocol (USD wad): cap − exposure + what the sweep releases. */
function roomForNewCoverage(chain: CoverageChainState, releasedWad: ReadonlyMap<string, bigint>): Map<string, bigint> {
  const roomWad = new Map<string, bigint>();
  for (const state of chain.protocols) {
    const key = state.protocol.toLowerCase();
    const exposure = state.exposureWad - (releasedWad.get(key) ?? 0n);
    const cap = chain.params.maxCoveragePerProtocolWad;
    roomWad.set(key, exposure >= cap ? 0n : cap - exposure);
  }
  return roomWad;
}

/** One position: its assessment, then purchase, renewals, an early reduction or an increase. */
function planPosition(p: PositionPlanning, position: CoveragePosition, state: ProtocolChainState): void {
  const { now } = p;
  const live = state.coverages.filter(
    (c) =>
      c.status === "Active" &&
      now < c.end &&
      sameAddress(c.asset, position.asset) &&
      sameAddress(c.beneficiary, position.beneficiary),
  );
  const current = live.reduce((sum, c) => sum + remainingOf(c), 0n);
  const unknown = position.targetSource === "unknown";
  // Value never read and no override: keep what is covered (renew as is), buy or cut nothing.
  const optimal = unknown ? current : (p.optimalByPosition.get(positionKey(position)) ?? 0n);
  const ratio = coverageRatioBps(current, optimal);
  p.assessments.push({
    protocolId: position.protocolId,
    protocol: position.protocol,
    asset: position.asset,
    beneficiary: position.beneficiary,
    riskScore: state.riskScore,
    targetAmount: position.targetAmount,
    optimalAmount: optimal,
    currentAmount: current,
    ratioBps: ratio,
    multiplierBps: coverageMultiplierBps(state.riskScore),
    targetSource: position.targetSource ?? "fixed",
    ...(position.liveValue !== undefined ? { liveValue: position.liveValue } : {}),
  });
  if (!mayChangeCover(p, position, unknown, live.length, optimal)) return;
  if (live.length === 0) {
    p.purchases.push(purchaseAction(position, "purchase", optimal, 0, state.riskScore, p.chain.params, p.policy, `purchase:${posTag(position)}:${p.day}`));
    return;
  }
  const overInsured = current * BPS > optimal * BigInt(p.policy.reduceAboveBps);
  // Soonest-ending first, so the excess is dropped from the cover renewed first.
  const byEnd = [...live].sort((a, b) => a.end - b.end || (a.id < b.id ? -1 : 1));
  const { excess, renewedSomething } = planRenewals(p, position, state, byEnd, overInsured ? current - optimal : 0n);
  if (overInsured && excess > 0n && !renewedSomething) planReduction(p, position, state, byEnd, excess);
  if (ratio !== undefined && current * BPS < optimal * BigInt(p.policy.increaseBelowBps)) {
    if ((position.targetSource ?? "fixed") === "fixed" && live.some((c) => c.claimed > 0n && c.claimed >= c.amount)) {
      // A claim paid a cover of this position in full: its fixed size may no longer exist (a
      // measured position would read it). No top-up to the old size until the operator says what
      // is left. (A partial payout is topped up as before: remaining = amount − claimed.)
      p.skipped.push({
        protocolId: position.protocolId,
        protocol: position.protocol,
        reason: "claim-paid-fixed-target",
        detail: "a claim paid a cover of this position in full; its fixed targetAmount is not re-covered",
        asset: position.asset,
        beneficiary: position.beneficiary,
      });
      return;
    }
    p.increases.push({ position, amount: optimal - current, ratioBps: ratio, riskScore: state.riskScore });
  }
}

/** Whether the position's cover may be bought, grown or renewed this cycle; skips it, with the reason, when not. */
function mayChangeCover(p: PositionPlanning, position: CoveragePosition, unknown: boolean, liveCount: number, optimal: bigint): boolean {
  if (p.halted.has(position.protocol.toLowerCase())) {
    // Cover bought, grown or renewed now cannot pay for the incident under way: premium wasted.
    p.skipped.push({ protocolId: position.protocolId, protocol: position.protocol, reason: "incident-halt", detail: "suspected or confirmed incident: no purchase, increase or renewal", asset: position.asset, beneficiary: position.beneficiary });
    return false;
  }
  if (unknown) {
    p.skipped.push({ protocolId: position.protocolId, protocol: position.protocol, reason: "value-unknown", detail: "position never read and no targetAmount: no purchase, increase or reduction", asset: position.asset, beneficiary: position.beneficiary });
    if (liveCount === 0) return false;
  }
  if (optimal === 0n) {
    p.skipped.push({ protocolId: position.protocolId, protocol: position.protocol, reason: "zero-target", asset: position.asset, beneficiary: position.beneficiary });
    return false;
  }
  return true;
}

/** Renews the live covers due within `renewWithinSec`, dropping the excess; returns the excess left. */
function planRenewals(
  p: PositionPlanning,
  position: CoveragePosition,
  state: ProtocolChainState,
  byEnd: readonly OnChainCoverage[],
  initialExcess: bigint,
): { excess: bigint; renewedSomething: boolean } {
  const { now, chain, policy } = p;
  let excess = initialExcess;
  let renewedSomething = false;
  for (const c of byEnd) {
    const timeLeft = c.end - now;
    if (timeLeft > policy.renewWithinSec) continue;
    const base = { protocolId: position.protocolId, protocol: position.protocol, coverId: c.id, asset: position.asset, beneficiary: position.beneficiary };
    if (c.openClaimId !== 0n) {
      p.skipped.push({ ...base, reason: "claim-open", detail: `claim ${c.openClaimId} is open` });
      continue;
    }
    const opensAt = c.end - chain.params.renewalWindowSec;
    if (now < opensAt) {
      p.skipped.push({ ...base, reason: "renewal-window-not-open", detail: `renewable from ${opensAt}` });
      continue;
    }
    const remaining = remainingOf(c);
    if (excess >= remaining) {
      excess -= remaining;
      p.skipped.push({ ...base, reason: "over-insured-not-renewed", detail: `lets ${remaining} lapse (excess)` });
      continue;
    }
    const newAmount = c.claimed + remaining - excess;
    excess = 0n;
    const renewal = renewAction(c, position, "renew", newAmount, state.riskScore, chain.params, policy, now);
    if (typeof renewal === "string") {
      p.skipped.push({ ...base, reason: "renewal-term-invalid", detail: renewal });
      continue;
    }
    p.renewals.push(renewal);
    renewedSomething = true;
  }
  return { excess, renewedSomething };
}

/** Reduce early: renew the soonest-ending cover with the excess removed, when the fund allows. */
function planReduction(p: PositionPlanning, position: CoveragePosition, state: ProtocolChainState, byEnd: readonly OnChainCoverage[], excess: bigint): void {
  const { now, chain, policy } = p;
  const candidate = byEnd.find((c) => c.openClaimId === 0n && remainingOf(c) > excess);
  const base = { protocolId: position.protocolId, protocol: position.protocol };
  if (candidate === undefined) {
    p.skipped.push({ ...base, reason: "reduce-awaits-renewal-window", detail: `no cover can absorb the excess ${excess}` });
  } else if (now < candidate.end - chain.params.renewalWindowSec) {
    p.skipped.push({
      ...base,
      coverId: candidate.id,
      reason: "reduce-awaits-renewal-window",
      detail: `reduce by ${excess} from ${candidate.end - chain.params.renewalWindowSec}`,
    });
  } else {
    const newAmount = candidate.claimed + remainingOf(candidate) - excess;
    const action = renewAction(candidate, position, "reduce", newAmount, state.riskScore, chain.params, policy, now);
    if (typeof action === "string") {
      p.skipped.push({ ...base, coverId: candidate.id, reason: "renewal-term-invalid", detail: action });
    } else {
      p.reductions.push(action);
    }
  }
}

/** Fits new coverage into the cap room: purchases first, then increases (cut to the room, or skipped). */
function fitToCap(p: PositionPlanning, roomWad: Map<string, bigint>): PurchaseAction[] {
  const { chain, policy } = p;
  const fitted: PurchaseAction[] = [];
  const fit = (action: PurchaseAction): void => {
    const key = action.protocol.toLowerCase();
    const room = roomWad.get(key) ?? 0n;
    const wanted = toWad(action.amount, action.assetDecimals);
    if (wanted <= room) {
      roomWad.set(key, room - wanted);
      fitted.push(action);
      return;
    }
    const amount = fromWad(room, action.assetDecimals);
    if (amount === 0n) {
      p.skipped.push({
        protocolId: action.protocolId,
        protocol: action.protocol,
        reason: "protocol-cap-reached",
        detail: `${action.kind} of ${action.amount} does not fit (room ${room} wad)`,
        asset: action.asset,
        beneficiary: action.beneficiary,
      });
      return;
    }
    roomWad.set(key, room - toWad(amount, action.assetDecimals));
    fitted.push({ ...resize(action, amount, chain.params, policy), cappedFrom: action.amount });
  };
  for (const purchase of p.purchases) fit(purchase);
  for (const inc of p.increases) {
    fit(purchaseAction(inc.position, "increase", inc.amount, inc.ratioBps, inc.riskScore, chain.params, policy, `increase:${posTag(inc.position)}:${p.day}`));
  }
  return fitted;
}

/** Array.prototype.sort is stable: generation order is kept within a priority. */
export function sortByPriority<T extends { readonly priority: Priority }>(actions: readonly T[]): T[] {
  return [...actions].sort((a, b) => PRIORITY_RANK[a.priority] - PRIORITY_RANK[b.priority]);
}

export function remainingOf(c: Pick<OnChainCoverage, "amount" | "claimed">): bigint {
  return c.amount > c.claimed ? c.amount - c.claimed : 0n;
}

function positionKey(p: CoveragePosition): string {
  return `${p.protocol.toLowerCase()}|${p.asset.toLowerCase()}|${p.beneficiary.toLowerCase()}`;
}

function posTag(p: CoveragePosition): string {
  return `${p.protocol.toLowerCase()}:${p.asset.toLowerCase()}:${p.beneficiary.toLowerCase()}`;
}

function capOptimal(
  positions: readonly CoveragePosition[],
  states: ReadonlyMap<string, ProtocolChainState>,
  capWad: bigint,
): Map<string, bigint> {
  const rawWad = new Map<string, bigint>();
  const totalWad = new Map<string, bigint>();
  for (const p of positions) {
    const state = states.get(p.protocol.toLowerCase());
    if (state === undefined) continue;
    const wad = toWad(optimalCoverage(p.targetAmount, state.riskScore), p.assetDecimals);
    rawWad.set(positionKey(p), wad);
    const proto = p.protocol.toLowerCase();
    totalWad.set(proto, (totalWad.get(proto) ?? 0n) + wad);
  }
  const out = new Map<string, bigint>();
  for (const p of positions) {
    const wad = rawWad.get(positionKey(p));
    if (wad === undefined) continue;
    const total = totalWad.get(p.protocol.toLowerCase()) ?? 0n;
    const cappedWad = total > capWad ? (wad * capWad) / total : wad;
    out.set(positionKey(p), fromWad(cappedWad, p.assetDecimals));
  }
  return out;
}

function premiumBounds(
  asset: string,
  decimals: number,
  estimate: bigint,
  policy: CoveragePolicyParams,
): PremiumBounds {
  const maxPremium = withSlippage(estimate, policy.premiumSlippageBps);
  return { asset, assetDecimals: decimals, premiumEstimate: estimate, maxPremium, maxPremiumWad: toWad(maxPremium, decimals) };
}

function purchaseAction(
  position: CoveragePosition,
  kind: "purchase" | "increase",
  amount: bigint,
  ratioBps: number,
  riskScore: number,
  params: FundParams,
  policy: CoveragePolicyParams,
  idempotencyKey: string,
): PurchaseAction {
  const estimate = premiumFor(amount, policy.purchaseDurationSec, riskScore, params.baseRateBps);
  return {
    kind,
    priority: kind === "purchase" ? "HIGH" : "MEDIUM",
    idempotencyKey,
    protocolId: position.protocolId,
    protocol: position.protocol,
    beneficiary: position.beneficiary,
    amount,
    durationSec: policy.purchaseDurationSec,
    preferredProviders: position.preferredProviders,
    allowSelfInsure: position.allowSelfInsure,
    ratioBps,
    riskScore,
    ...premiumBounds(position.asset, position.assetDecimals, estimate, policy),
  };
}

function resize(action: PurchaseAction, amount: bigint, params: FundParams, policy: CoveragePolicyParams): PurchaseAction {
  const estimate = premiumFor(amount, action.durationSec, action.riskScore, params.baseRateBps);
  return { ...action, amount, ...premiumBounds(action.asset, action.assetDecimals, estimate, policy) };
}

/** Returns the action, or why the fund would refuse its term. */
function renewAction(
  c: OnChainCoverage,
  position: CoveragePosition,
  kind: "renew" | "reduce",
  newAmount: bigint,
  riskScore: number,
  params: FundParams,
  policy: CoveragePolicyParams,
  now: number,
): RenewAction | string {
  const timeLeft = c.end - now;
  // New term counted from now = purchaseDuration; the fund needs 30 d ≤ extra and term ≤ 365 d.
  const extra = Math.max(MIN_DURATION_SEC, policy.purchaseDurationSec - timeLeft);
  if (extra > MAX_DURATION_SEC || timeLeft + extra > MAX_DURATION_SEC) {
    return `extra ${extra} s with ${timeLeft} s left exceeds the fund's ${MAX_DURATION_SEC} s term`;
  }
  let estimate = premiumFor(newAmount, extra, riskScore, params.baseRateBps);
  if (newAmount > c.amount) estimate += premiumFor(newAmount - c.amount, timeLeft, riskScore, params.baseRateBps);
  return {
    kind,
    priority: kind === "renew" ? "HIGH" : "LOW",
    idempotencyKey: kind === "renew" ? `renew:${c.id}:${c.end}` : `reduce:${c.id}:${c.end}:${newAmount}`,
    protocolId: position.protocolId,
    protocol: position.protocol,
    coverId: c.id,
    providerId: c.providerId,
    providerCoverId: c.providerCoverId,
    end: c.end,
    currentAmount: c.amount,
    newAmount,
    extraDurationSec: extra,
    ...premiumBounds(position.asset, position.assetDecimals, estimate, policy),
  };
}
