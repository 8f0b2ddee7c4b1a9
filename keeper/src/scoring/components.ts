/**
 * The five component risks of the original assessment, as pure functions of already-validated
 * inputs. `undefined` means "missing or invalid" and yields the documented high-risk default.
 *
 * Weighted components (TVL, team) are computed in tenths so that integer inputs give exact
 * results: `(a × 6 + b × 4) / 10` never carries a binary-fraction error into the Math.ceil of
 * `toOnChainComponent` (0.7 × 30 style products could otherwise round up by one).
 */
import {
  AUDIT_BANDS,
  AUDIT_MISSING_RISK,
  AUDIT_UNAUDITED_RISK,
  AUDIT_WEAK_RISK,
  type AtLeastBand,
  EXPLOIT_BASE_RISK,
  EXPLOIT_COUNT_CAP_RISK,
  EXPLOIT_MISSING_RISK,
  EXPLOIT_NONE_RISK,
  EXPLOIT_PER_COUNT_RISK,
  EXPLOIT_RECENCY_BANDS,
  EXPLOIT_RECENCY_OLDEST_RISK,
  EXPLOIT_RECENCY_UNKNOWN_RISK,
  GITHUB_BANDS,
  GITHUB_MISSING_RISK,
  GITHUB_QUIETEST_RISK,
  type LessThanBand,
  MAX_RISK,
  type MoreThanBand,
  TEAM_GITHUB_WEIGHT_TENTHS,
  TEAM_REPUTATION_MISSING,
  TEAM_REPUTATION_WEIGHT_TENTHS,
  TIME_BANDS,
  TIME_UNKNOWN_RISK,
  TIME_YOUNGEST_RISK,
  TVL_SIZE_BANDS,
  TVL_SIZE_MISSING_RISK,
  TVL_SIZE_SMALLEST_RISK,
  TVL_SIZE_WEIGHT_TENTHS,
  TVL_VOLATILITY_BANDS,
  TVL_VOLATILITY_CALMEST_RISK,
  TVL_VOLATILITY_MISSING_RISK,
  TVL_VOLATILITY_WEIGHT_TENTHS,
} from "./constants";

function bandAtLeast(value: number, bands: readonly AtLeastBand[], otherwise: number): number {
  return bands.find((band) => value >= band.atLeast)?.risk ?? otherwise;
}

function bandMoreThan(value: number, bands: readonly MoreThanBand[], otherwise: number): number {
  return bands.find((band) => value > band.moreThan)?.risk ?? otherwise;
}

function bandLessThan(value: number, bands: readonly LessThanBand[], otherwise: number): number {
  return bands.find((band) => value < band.lessThan)?.risk ?? otherwise;
}

/** Size band of a TVL in USD: $1B+ 10, $500M+ 20, $100M+ 35, $10M+ 50, else 80; missing 80. */
export function tvlSizeBand(tvlUsd: number | undefined): number {
  if (tvlUsd === undefined) return TVL_SIZE_MISSING_RISK;
  return bandAtLeast(tvlUsd, TVL_SIZE_BANDS, TVL_SIZE_SMALLEST_RISK);
}

/** Volatility band of a 30-day TVL change (fraction): |Δ| >50% 80, >30% 60, >15% 40, else 20; missing 80. */
export function tvlVolatilityBand(tvlChange30d: number | undefined): number {
  if (tvlChange30d === undefined) return TVL_VOLATILITY_MISSING_RISK;
  return bandMoreThan(Math.abs(tvlChange30d), TVL_VOLATILITY_BANDS, TVL_VOLATILITY_CALMEST_RISK);
}

/** TVL risk = size band × 0.6 + volatility band × 0.4, capped at 100 (may be fractional). */
export function tvlRisk(sizeBand: number, volatilityBand: number): number {
  const tenths = sizeBand * TVL_SIZE_WEIGHT_TENTHS + volatilityBand * TVL_VOLATILITY_WEIGHT_TENTHS;
  return Math.min(MAX_RISK, tenths / 10);
}

/** Audit risk of a score 0-100: ≥90 10, ≥80 25, ≥70 40, ≥60 60, >0 80, 0 (unaudited) 95; missing 95. */
export function auditRisk(auditScore: number | undefined): number {
  if (auditScore === undefined) return AUDIT_MISSING_RISK;
  if (auditScore <= 0) return AUDIT_UNAUDITED_RISK;
  return bandAtLeast(auditScore, AUDIT_BANDS, AUDIT_WEAK_RISK);
}

/** Time risk of an age in whole days: >730 15, >365 30, >180 50, >90 70, else 85; unknown 90. */
export function timeRisk(ageDays: number | undefined): number {
  if (ageDays === undefined) return TIME_UNKNOWN_RISK;
  return bandMoreThan(ageDays, TIME_BANDS, TIME_YOUNGEST_RISK);
}

/** Recency term of the exploit risk, on whole days since the latest exploit; unknown date → 50. */
export function exploitRecencyRisk(daysSinceLastExploit: number | undefined): number {
  if (daysSinceLastExploit === undefined) return EXPLOIT_RECENCY_UNKNOWN_RISK;
  return bandLessThan(daysSinceLastExploit, EXPLOIT_RECENCY_BANDS, EXPLOIT_RECENCY_OLDEST_RISK);
}

/**
 * Exploit risk: no exploit → 20; otherwise 20 + recency + min(50, 20 × count), capped at 100.
 * Count missing → 100 (see EXPLOIT_MISSING_RISK).
 */
export function exploitRisk(exploitCount: number | undefined, daysSinceLastExploit: number | undefined): number {
  if (exploitCount === undefined) return EXPLOIT_MISSING_RISK;
  if (exploitCount <= 0) return EXPLOIT_NONE_RISK;
  const countTerm = Math.min(EXPLOIT_COUNT_CAP_RISK, EXPLOIT_PER_COUNT_RISK * exploitCount);
  return Math.min(MAX_RISK, EXPLOIT_BASE_RISK + exploitRecencyRisk(daysSinceLastExploit) + countTerm);
}

/** GitHub activity band on commits over 30 days: >100 10, >50 25, >10 40, else 70; missing 70. */
export function githubActivityBand(githubActivity: number | undefined): number {
  if (githubActivity === undefined) return GITHUB_MISSING_RISK;
  return bandMoreThan(githubActivity, GITHUB_BANDS, GITHUB_QUIETEST_RISK);
}

/** Team risk = (100 − reputation) × 0.7 + GitHub band × 0.3, capped at 100; missing reputation = 0. */
export function teamRisk(teamReputation: number | undefined, githubBand: number): number {
  const reputation = teamReputation ?? TEAM_REPUTATION_MISSING;
  const tenths = (MAX_RISK - reputation) * TEAM_REPUTATION_WEIGHT_TENTHS + githubBand * TEAM_GITHUB_WEIGHT_TENTHS;
  return Math.min(MAX_RISK, tenths / 10);
}

/**
 * The fund stores each component as a uint8 0-100. A fractional risk is rounded UP (toward
 * riskier): truncating would let 0.9 of a point of risk vanish, and the keeper must never report a
 * protocol as safer than its metrics say. Clamped to 0..100; NaN becomes 100.
 */
export function toOnChainComponent(risk: number): number {
  if (Number.isNaN(risk)) return MAX_RISK;
  return Math.min(MAX_RISK, Math.max(0, Math.ceil(risk)));
}
