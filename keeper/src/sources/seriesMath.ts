/**
 * Pure maths on time series used by the sources: TVL changes over a window and stablecoin peg
 * stability. Data in, numbers (or a reason) out; no I/O, no clock.
 */
import { DAY_SECONDS } from "./metrics";
import type { TvlPoint } from "../domain/types";

export type Computed = { readonly ok: true; readonly value: number } | { readonly ok: false; readonly reason: string };

/** History sorted by date, without points after `now`. */
export function historyUpTo(history: readonly TvlPoint[], now: number): TvlPoint[] {
  return history.filter((p) => p.date <= now).sort((a, b) => a.date - b.date);
}

/** The point whose date is nearest to `target` (ties → the earlier one). */
export function nearestPoint(history: readonly TvlPoint[], target: number): TvlPoint | undefined {
  let best: TvlPoint | undefined;
  for (const point of history) {
    if (best === undefined || Math.abs(point.date - target) < Math.abs(best.date - target)) best = point;
  }
  return best;
}

/**
 * TVL change over `days` as a fraction: (latest − past) / past, where `latest` is the newest
 * point at or before `now` and `past` the point nearest to `now − days`. Refused when either
 * point is more than `maxGapSeconds` away from where it should be (stale or too-short history)
 * or when the past TVL is zero.
 */
export function tvlChange(
  history: readonly TvlPoint[],
  now: number,
  days: number,
  maxGapSeconds: number = 2 * DAY_SECONDS,
): Computed {
  const series = historyUpTo(history, now);
  const latest = series[series.length - 1];
  if (latest === undefined) return { ok: false, reason: "empty TVL history" };
  if (now - latest.date > maxGapSeconds) {
    return { ok: false, reason: `latest TVL point is ${Math.round((now - latest.date) / 3600)} h old` };
  }
  const target = now - days * DAY_SECONDS;
  const past = nearestPoint(series, target);
  if (past === undefined || Math.abs(past.date - target) > maxGapSeconds || past === latest) {
    return { ok: false, reason: `no TVL point within ${maxGapSeconds / 3600} h of ${days} days ago` };
  }
  if (past.tvlUsd <= 0) return { ok: false, reason: `TVL ${days} days ago was ${past.tvlUsd}` };
  return { ok: true, value: (latest.tvlUsd - past.tvlUsd) / past.tvlUsd };
}

/** The newest points covering `days` days before `now` (for evidence and incident detection). */
export function recentHistory(history: readonly TvlPoint[], now: number, days: number): TvlPoint[] {
  const from = now - days * DAY_SECONDS;
  return historyUpTo(history, now).filter((p) => p.date >= from);
}

/** One observed price of a stablecoin. */
export interface PricePoint {
  readonly date: number;
  readonly price: number;
}

/**
 * Peg stability over the last `days`: 1 − max |price − 1| over the window, clamped to [0, 1].
 * Needs at least one point in the window.
 */
export function pegStability(prices: readonly PricePoint[], now: number, days: number = 30): Computed {
  const from = now - days * DAY_SECONDS;
  const window = prices.filter((p) => p.date >= from && p.date <= now);
  if (window.length === 0) return { ok: false, reason: `no price points in the last ${days} days` };
  const maxDeviation = Math.max(...window.map((p) => Math.abs(p.price - 1)));
  return { ok: true, value: Math.min(1, Math.max(0, 1 - maxDeviation)) };
}
