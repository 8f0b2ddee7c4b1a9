/**
 * PURE on-chain exploit watch rule: watched balances (the stablecoin a pool holds, the operator's
 * own positions) observed at successive blocks → `IncidentSignal`s of kind "onchain-drain".
 *
 * Rule, per watched balance: over the observations whose block lies within the last
 * `windowBlocks` blocks of the newest one, take the peak (earliest highest balance). When the
 * newest balance is below the peak by at least `dropBps` of the peak and by at least `minDrop`
 * base units, the balance is draining. The signal carries the peak (before) and the newest
 * observation (after), the drop fraction, and the first observed block below the peak, which is
 * also its identity (`sourceId`) and its `occurredAt` (that block's time): the drain is proven
 * from that block on, and re-evaluating the same drain on later ticks yields the same id.
 *
 * A drain signal is never corroborating on its own (see CORROBORATING_SIGNALS): it opens a
 * `suspected` incident (alert, halt sales), and a claim waits for confirmation. A large
 * withdrawal wave looks the same from here; that is the false-alarm trade-off of the thresholds
 * (docs/keeper.md, "Exploit watch").
 */
import type { BalanceObservation, DrainDetail, IncidentSignal } from "./incidentSignals";

export interface DrainRule {
  /** Minimum fall from the window's peak, basis points of the peak (2500 = 25%). */
  readonly dropBps: number;
  /** Window length in blocks, counted back from the newest observation. */
  readonly windowBlocks: number;
  /** Minimum fall in the token's base units (ignores dust pools). */
  readonly minDrop: bigint;
}

/** Defaults: a quarter of the balance gone within 50 blocks (~10 min on mainnet). */
export const DEFAULT_DRAIN_RULE: DrainRule = { dropBps: 2_500, windowBlocks: 50, minDrop: 0n };

export interface WatchedSeries {
  /** Protocol config key the balance belongs to. */
  readonly protocolId: string;
  readonly token: string;
  readonly holder: string;
  /** What the balance is ("USDC held by aEthUSDC", "position aave-v3:..."). */
  readonly label: string;
  /** Observations of this balance, any order; duplicates by block keep the last. */
  readonly observations: readonly BalanceObservation[];
  readonly rule: DrainRule;
}

export interface DrainCheck {
  readonly protocolId: string;
  readonly label: string;
  readonly token: string;
  readonly holder: string;
  /** Peak and newest balances in the window (undefined without observations). */
  readonly peak?: BalanceObservation;
  readonly latest?: BalanceObservation;
  /** Fall from the peak, basis points (0 when none). */
  readonly dropBps: number;
  readonly draining: boolean;
}

export interface DrainDetection {
  readonly signals: readonly IncidentSignal[];
  readonly checks: readonly DrainCheck[];
}

export function validateDrainRule(rule: DrainRule): void {
  if (!Number.isInteger(rule.dropBps) || rule.dropBps <= 0 || rule.dropBps > 10_000) {
    throw new Error(`watch: dropBps must be an integer in 1..10000, got ${rule.dropBps}`);
  }
  if (!Number.isInteger(rule.windowBlocks) || rule.windowBlocks <= 0) throw new Error(`watch: windowBlocks must be a positive integer, got ${rule.windowBlocks}`);
  if (rule.minDrop < 0n) throw new Error(`watch: minDrop must be >= 0, got ${rule.minDrop}`);
}

/** Sorted by block, one per block (the last given wins), within the rule's window of the newest. */
export function windowOf(observations: readonly BalanceObservation[], windowBlocks: number): BalanceObservation[] {
  const byBlock = new Map<number, BalanceObservation>();
  for (const o of observations) byBlock.set(o.block, o);
  const sorted = [...byBlock.values()].sort((a, b) => a.block - b.block);
  const newest = sorted[sorted.length - 1];
  if (newest === undefined) return [];
  return sorted.filter((o) => o.block >= newest.block - windowBlocks);
}

/** Applies the drain rule to every series; `now` is chain time (the signal's `observedAt`). */
export function detectDrains(series: readonly WatchedSeries[], now: number): DrainDetection {
  const signals: IncidentSignal[] = [];
  const checks: DrainCheck[] = [];
  for (const s of series) {
    validateDrainRule(s.rule);
    const window = windowOf(s.observations, s.rule.windowBlocks);
    const latest = window[window.length - 1];
    const base = { protocolId: s.protocolId, label: s.label, token: s.token, holder: s.holder };
    if (latest === undefined) {
      checks.push({ ...base, dropBps: 0, draining: false });
      continue;
    }
    let peak = window[0] as BalanceObservation;
    for (const o of window) if (BigInt(o.balance) > BigInt(peak.balance)) peak = o;
    const peakBalance = BigInt(peak.balance);
    const latestBalance = BigInt(latest.balance);
    const drop = peakBalance > latestBalance ? peakBalance - latestBalance : 0n;
    const dropBps = peakBalance === 0n ? 0 : Number((drop * 10_000n) / peakBalance);
    const draining = peakBalance > 0n && drop * 10_000n >= peakBalance * BigInt(s.rule.dropBps) && drop >= s.rule.minDrop && drop > 0n;
    checks.push({ ...base, peak, latest, dropBps, draining });
    if (!draining) continue;
    const firstBelow = window.find((o) => o.block > peak.block && BigInt(o.balance) < peakBalance) ?? latest;
    const drain: DrainDetail = {
      token: s.token,
      holder: s.holder,
      before: peak,
      after: latest,
      dropFraction: Number((drop * 1_000_000n) / peakBalance) / 1_000_000,
    };
    signals.push({
      kind: "onchain-drain",
      protocolId: s.protocolId,
      sourceId: `onchain-drain:${s.token.toLowerCase()}:${s.holder.toLowerCase()}:${firstBelow.block}`,
      occurredAt: firstBelow.timestamp,
      observedAt: now,
      description: `${s.label} fell ${(dropBps / 100).toFixed(2)}% (${peak.balance} → ${latest.balance}) between blocks ${peak.block} and ${latest.block}`,
      sourceRef: "chain",
      drain,
    });
  }
  return { signals, checks };
}

/**
 * Observations to keep for the next tick: per series, those within the window of the newest
 * (what `detectDrains` can still use). Bounded memory whatever the tick rate.
 */
export function pruneObservations(observations: readonly BalanceObservation[], windowBlocks: number): BalanceObservation[] {
  return windowOf(observations, windowBlocks);
}

/** The largest `limit` transfers out of a holder, largest first (input: decoded Transfer logs). */
export function largestTransfers(
  transfers: readonly { readonly to: string; readonly amount: bigint; readonly txHash: string }[],
  limit = 5,
): { to: string; amount: string; txHash: string }[] {
  return [...transfers]
    .sort((a, b) => (a.amount > b.amount ? -1 : a.amount < b.amount ? 1 : 0))
    .slice(0, limit)
    .map((t) => ({ to: t.to, amount: t.amount.toString(), txHash: t.txHash }));
}
