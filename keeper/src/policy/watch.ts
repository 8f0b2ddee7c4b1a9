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
 * Gaps: when the newest observation is the only one in the window (a restart, an RPC outage, a
 * slow tick), it is compared with the last observation before the window, whatever its age — a
 * drain during downtime is found on the first tick back.
 *
 * Slow drains: a cumulative rule (`cumulativeBps` of the highest balance within
 * `cumulativeWindowSec` of chain time, default 40% in 24 h) catches a drain spread over many
 * blocks; a documented withdrawal wave (10–20%) does not trip it. Older observations are thinned
 * to the highest per bucket, so the memory stays bounded.
 *
 * Pooled lending (`owed` on the observations: what depositors are owed, e.g. the aToken's total
 * supply): a solvent withdrawal burns the supply together with the cash, a drain takes the cash
 * while the supply stays. The rule then measures the cash that left without the supply falling
 * with it: (cash drop − supply drop), against the peak cash.
 *
 * A drain signal is never corroborating on its own (see CORROBORATING_SIGNALS): it opens a
 * `suspected` incident (alert, halt sales), and a claim waits for confirmation. A large
 * withdrawal wave looks the same from here; that is the false-alarm trade-off of the thresholds
 * (docs/keeper.md, "Exploit watch").
 */
import type { BalanceObservation, DrainDetail, IncidentSignal } from "./incidentSignals";
import { formatToken } from "../lib/format";

export interface DrainRule {
  /** Minimum fall from the window's peak, basis points of the peak (2500 = 25%). */
  readonly dropBps: number;
  /** Window length in blocks, counted back from the newest observation. */
  readonly windowBlocks: number;
  /** Minimum fall in the token's base units (ignores dust pools). */
  readonly minDrop: bigint;
  /** Cumulative rule: a fall of at least this many basis points of the highest balance within `cumulativeWindowSec`. */
  readonly cumulativeBps?: number;
  /** Cumulative rule window, seconds of chain time. */
  readonly cumulativeWindowSec?: number;
}

/** Defaults: a quarter of the balance gone within 50 blocks (~10 min on mainnet), or 40% within 24 h. */
export const DEFAULT_DRAIN_RULE: DrainRule = { dropBps: 2_500, windowBlocks: 50, minDrop: 0n, cumulativeBps: 4_000, cumulativeWindowSec: 86_400 };

/** Buckets the cumulative window keeps (older observations are thinned to one per bucket). */
const CUMULATIVE_BUCKETS = 96;

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
  /** The token's decimals and symbol, when known: amounts in messages are then in token units. */
  readonly unit?: { readonly decimals: number; readonly symbol: string };
  /** The chain the balance lives on, when not the fund's: the observations' blocks are that chain's. */
  readonly chainId?: number;
}

/** A balance for a message: "270,000.00 USDC" with its unit, else "270000000000 base units". */
function amountText(balance: string, unit: WatchedSeries["unit"]): string {
  return unit === undefined ? `${balance} base units` : formatToken(BigInt(balance), unit.decimals, unit.symbol);
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
  /** Which rule tripped: the fast window, the fast window across a gap, or the cumulative window. */
  readonly rule?: "window" | "gap" | "cumulative";
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
  if (rule.cumulativeBps !== undefined && (!Number.isInteger(rule.cumulativeBps) || rule.cumulativeBps <= 0 || rule.cumulativeBps > 10_000)) {
    throw new Error(`watch: cumulativeBps must be an integer in 1..10000, got ${rule.cumulativeBps}`);
  }
  if (rule.cumulativeWindowSec !== undefined && !(rule.cumulativeWindowSec > 0)) throw new Error(`watch: cumulativeWindowSec must be > 0, got ${rule.cumulativeWindowSec}`);
}

function sortedByBlock(observations: readonly BalanceObservation[]): BalanceObservation[] {
  const byBlock = new Map<number, BalanceObservation>();
  for (const o of observations) byBlock.set(o.block, o);
  return [...byBlock.values()].sort((a, b) => a.block - b.block);
}

/**
 * The observations the fast rule compares: those within `windowBlocks` of the newest; when the
 * newest is alone there (a gap), the last one before the window too, whatever its age.
 */
export function fastWindowOf(observations: readonly BalanceObservation[], windowBlocks: number): { window: BalanceObservation[]; gap: boolean } {
  const sorted = sortedByBlock(observations);
  const newest = sorted[sorted.length - 1];
  if (newest === undefined) return { window: [], gap: false };
  const window = sorted.filter((o) => o.block >= newest.block - windowBlocks);
  const before = sorted.filter((o) => o.block < newest.block - windowBlocks);
  const anchor = before[before.length - 1];
  if (window.length === 1 && anchor !== undefined) return { window: [anchor, ...window], gap: true };
  return { window, gap: false };
}

/** The fall of the "effective balance" from `peak` to `latest` (cash less the supply that left with it, when `owed` is read). */
function effectiveDrop(peak: BalanceObservation, latest: BalanceObservation): bigint {
  const cashDrop = BigInt(peak.balance) - BigInt(latest.balance);
  if (cashDrop <= 0n) return 0n;
  if (peak.owed === undefined || latest.owed === undefined) return cashDrop;
  const owedDrop = BigInt(peak.owed) - BigInt(latest.owed);
  const unbacked = owedDrop > 0n ? cashDrop - owedDrop : cashDrop;
  return unbacked > 0n ? unbacked : 0n;
}

/** Sorted by block, one per block (the last given wins), within the rule's window of the newest. */
export function windowOf(observations: readonly BalanceObservation[], windowBlocks: number): BalanceObservation[] {
  const sorted = sortedByBlock(observations);
  const newest = sorted[sorted.length - 1];
  if (newest === undefined) return [];
  return sorted.filter((o) => o.block >= newest.block - windowBlocks);
}

interface Trip {
  readonly rule: "window" | "gap" | "cumulative";
  readonly peak: BalanceObservation;
  readonly drop: bigint;
  readonly window: readonly BalanceObservation[];
}

/** The highest balance (earliest on ties) of a window. */
function peakOf(window: readonly BalanceObservation[]): BalanceObservation {
  let peak = window[0] as BalanceObservation;
  for (const o of window) if (BigInt(o.balance) > BigInt(peak.balance)) peak = o;
  return peak;
}

/** Applies the drain rules to every series; `now` is chain time (the signal's `observedAt`). */
export function detectDrains(series: readonly WatchedSeries[], now: number): DrainDetection {
  const signals: IncidentSignal[] = [];
  const checks: DrainCheck[] = [];
  for (const s of series) {
    validateDrainRule(s.rule);
    const { window, gap } = fastWindowOf(s.observations, s.rule.windowBlocks);
    const latest = window[window.length - 1];
    const base = { protocolId: s.protocolId, label: s.label, token: s.token, holder: s.holder };
    if (latest === undefined) {
      checks.push({ ...base, dropBps: 0, draining: false });
      continue;
    }
    const trips = (rule: Trip["rule"], w: readonly BalanceObservation[], bps: number): Trip | undefined => {
      const peak = peakOf(w);
      const peakBalance = BigInt(peak.balance);
      const drop = effectiveDrop(peak, latest);
      if (peakBalance === 0n || drop === 0n || drop < s.rule.minDrop || drop * 10_000n < peakBalance * BigInt(bps)) return undefined;
      return { rule, peak, drop, window: w };
    };
    let trip = trips(gap ? "gap" : "window", window, s.rule.dropBps);
    if (trip === undefined && s.rule.cumulativeBps !== undefined && s.rule.cumulativeWindowSec !== undefined) {
      const since = latest.timestamp - s.rule.cumulativeWindowSec;
      const cumulative = sortedByBlock(s.observations).filter((o) => o.timestamp >= since && o.block <= latest.block);
      trip = trips("cumulative", cumulative, s.rule.cumulativeBps);
    }
    const peak = trip?.peak ?? peakOf(window);
    const peakBalance = BigInt(peak.balance);
    const drop = trip?.drop ?? effectiveDrop(peak, latest);
    const dropBps = peakBalance === 0n ? 0 : Number((drop * 10_000n) / peakBalance);
    checks.push({ ...base, peak, latest, dropBps, draining: trip !== undefined, ...(trip !== undefined ? { rule: trip.rule } : {}) });
    if (trip === undefined) continue;
    const firstBelow = trip.window.find((o) => o.block > peak.block && BigInt(o.balance) < peakBalance) ?? latest;
    const drain: DrainDetail = {
      token: s.token,
      holder: s.holder,
      before: peak,
      after: latest,
      dropFraction: Number((drop * 1_000_000n) / peakBalance) / 1_000_000,
      ...(s.chainId !== undefined ? { chainId: s.chainId } : {}),
    };
    const onChain = s.chainId !== undefined ? ` on chain ${s.chainId}` : "";
    const how = trip.rule === "cumulative" ? ` (cumulative rule: ${(s.rule.cumulativeBps ?? 0) / 100}% within ${Math.round((s.rule.cumulativeWindowSec ?? 0) / 3600)} h)` : trip.rule === "gap" ? " (across a gap in the watch's readings)" : "";
    const owed = peak.owed !== undefined && latest.owed !== undefined ? `; owed to depositors ${amountText(peak.owed, s.unit)} → ${amountText(latest.owed, s.unit)}` : "";
    signals.push({
      kind: "onchain-drain",
      protocolId: s.protocolId,
      sourceId: `onchain-drain:${s.token.toLowerCase()}:${s.holder.toLowerCase()}:${firstBelow.block}${s.chainId !== undefined ? `@${s.chainId}` : ""}`,
      occurredAt: firstBelow.timestamp,
      observedAt: now,
      description: `${s.label} fell ${(dropBps / 100).toFixed(2)}% (${amountText(peak.balance, s.unit)} → ${amountText(latest.balance, s.unit)}${owed}) between blocks ${peak.block} and ${latest.block}${onChain}${how}`,
      sourceRef: "chain",
      drain,
    });
  }
  return { signals, checks };
}

/**
 * Observations to keep for the next tick: per series, those within the fast window of the newest,
 * the last one before it (the gap anchor), and over the cumulative window the highest of each of
 * its buckets. Bounded memory whatever the tick rate.
 */
export function pruneObservations(observations: readonly BalanceObservation[], windowBlocks: number, cumulativeWindowSec?: number): BalanceObservation[] {
  const sorted = sortedByBlock(observations);
  const newest = sorted[sorted.length - 1];
  if (newest === undefined) return [];
  const keep = new Set<BalanceObservation>(sorted.filter((o) => o.block >= newest.block - windowBlocks));
  const before = sorted.filter((o) => o.block < newest.block - windowBlocks);
  const anchor = before[before.length - 1];
  if (anchor !== undefined) keep.add(anchor);
  if (cumulativeWindowSec !== undefined) {
    const bucketSec = Math.max(1, Math.floor(cumulativeWindowSec / CUMULATIVE_BUCKETS));
    const buckets = new Map<number, BalanceObservation>();
    for (const o of before) {
      if (o.timestamp < newest.timestamp - cumulativeWindowSec) continue;
      const b = Math.floor(o.timestamp / bucketSec);
      const held = buckets.get(b);
      if (held === undefined || BigInt(o.balance) > BigInt(held.balance)) buckets.set(b, o);
    }
    for (const o of buckets.values()) keep.add(o);
  }
  return sorted.filter((o) => keep.has(o));
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
