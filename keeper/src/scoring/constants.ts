/**
 * Every number of the risk model, in one place, so the scorer, its tests and
 * docs/keeper-scoring.md all refer to the same values. Higher risk = riskier; all risks are 0-100.
 */

/** Seconds in a day (ages and recencies are counted in whole days). */
export const SECONDS_PER_DAY = 86_400;

/** Upper bound of every risk value. */
export const MAX_RISK = 100;

/** A band that applies when `value >= atLeast`. Bands are ordered from the highest threshold down. */
export interface AtLeastBand {
  readonly atLeast: number;
  readonly risk: number;
}

/** A band that applies when `value > moreThan`. Ordered from the highest threshold down. */
export interface MoreThanBand {
  readonly moreThan: number;
  readonly risk: number;
}

/** A band that applies when `value < lessThan`. Ordered from the lowest threshold up. */
export interface LessThanBand {
  readonly lessThan: number;
  readonly risk: number;
}

// ---------------------------------------------------------------- TVL

/** TVL size bands on current TVL in USD (`>=`, "$1B+"). */
export const TVL_SIZE_BANDS: readonly AtLeastBand[] = [
  { atLeast: 1_000_000_000, risk: 10 },
  { atLeast: 500_000_000, risk: 20 },
  { atLeast: 100_000_000, risk: 35 },
  { atLeast: 10_000_000, risk: 50 },
];
/** Size band below $10M. */
export const TVL_SIZE_SMALLEST_RISK = 80;

/** Volatility bands on |30-day TVL change| as a fraction (`>`: 0.5 = 50%). */
export const TVL_VOLATILITY_BANDS: readonly MoreThanBand[] = [
  { moreThan: 0.5, risk: 80 },
  { moreThan: 0.3, risk: 60 },
  { moreThan: 0.15, risk: 40 },
];
/** Volatility band for |change| <= 15%. */
export const TVL_VOLATILITY_CALMEST_RISK = 20;

/** TVL risk = (size band × 6 + volatility band × 4) / 10, i.e. weights 0.6 / 0.4, in tenths. */
export const TVL_SIZE_WEIGHT_TENTHS = 6;
export const TVL_VOLATILITY_WEIGHT_TENTHS = 4;

/** Size band used when TVL is missing or invalid. */
export const TVL_SIZE_MISSING_RISK = 80;
/** Volatility band used when the 30-day change (or the TVL itself) is missing or invalid. */
export const TVL_VOLATILITY_MISSING_RISK = 80;

// ---------------------------------------------------------------- Audit

/** Audit bands on the audit score 0-100 (`>=`). */
export const AUDIT_BANDS: readonly AtLeastBand[] = [
  { atLeast: 90, risk: 10 },
  { atLeast: 80, risk: 25 },
  { atLeast: 70, risk: 40 },
  { atLeast: 60, risk: 60 },
];
/** Audit score above 0 but below 60. */
export const AUDIT_WEAK_RISK = 80;
/** Audit score 0 (unaudited). */
export const AUDIT_UNAUDITED_RISK = 95;
/** Audit score missing or invalid: treated as unaudited. */
export const AUDIT_MISSING_RISK = AUDIT_UNAUDITED_RISK;

// ---------------------------------------------------------------- Time since deployment

/** Age bands in whole days (`>`: more than 730 days). */
export const TIME_BANDS: readonly MoreThanBand[] = [
  { moreThan: 730, risk: 15 },
  { moreThan: 365, risk: 30 },
  { moreThan: 180, risk: 50 },
  { moreThan: 90, risk: 70 },
];
/** Age of 90 days or less. */
export const TIME_YOUNGEST_RISK = 85;
/** Deployment date unknown, invalid or in the future. */
export const TIME_UNKNOWN_RISK = 90;

// ---------------------------------------------------------------- Exploit history

/** Exploit risk of a protocol with no known exploit. */
export const EXPLOIT_NONE_RISK = 20;
/** Base added to every protocol with at least one exploit. */
export const EXPLOIT_BASE_RISK = 20;
/** Recency bands on whole days since the latest exploit (`<`). */
export const EXPLOIT_RECENCY_BANDS: readonly LessThanBand[] = [
  { lessThan: 30, risk: 50 },
  { lessThan: 90, risk: 30 },
  { lessThan: 365, risk: 15 },
];
/** Latest exploit a year old or more. */
export const EXPLOIT_RECENCY_OLDEST_RISK = 5;
/** Latest exploit date unknown (or invalid): counted as the most recent band. */
export const EXPLOIT_RECENCY_UNKNOWN_RISK = 50;
/** Count term = min(EXPLOIT_COUNT_CAP_RISK, EXPLOIT_PER_COUNT_RISK × count). */
export const EXPLOIT_PER_COUNT_RISK = 20;
export const EXPLOIT_COUNT_CAP_RISK = 50;
/**
 * Exploit count missing or invalid: the component's ceiling. An unknown history is treated as the
 * worst history, so losing this metric can never make a protocol look safer.
 */
export const EXPLOIT_MISSING_RISK = MAX_RISK;

// ---------------------------------------------------------------- Team

/** Team risk = ((100 − reputation) × 7 + GitHub band × 3) / 10, i.e. weights 0.7 / 0.3, in tenths. */
export const TEAM_REPUTATION_WEIGHT_TENTHS = 7;
export const TEAM_GITHUB_WEIGHT_TENTHS = 3;
/** Reputation assumed when missing or invalid. */
export const TEAM_REPUTATION_MISSING = 0;
/** GitHub activity bands on commits over 30 days (`>`). */
export const GITHUB_BANDS: readonly MoreThanBand[] = [
  { moreThan: 100, risk: 10 },
  { moreThan: 50, risk: 25 },
  { moreThan: 10, risk: 40 },
];
/** GitHub activity of 10 or less. */
export const GITHUB_QUIETEST_RISK = 70;
/** GitHub activity missing or invalid. */
export const GITHUB_MISSING_RISK = GITHUB_QUIETEST_RISK;

// ---------------------------------------------------------------- Composite and categories

/** Weights of the composite (sum 100), identical to the fund's `calculateProtocolRisk`. */
export const COMPOSITE_WEIGHTS = {
  tvl: 25,
  audit: 20,
  time: 15,
  exploit: 25,
  team: 15,
} as const;
/** The weighted sum is floor-divided by this (Solidity integer division). */
export const COMPOSITE_DIVISOR = 100;

/** Inclusive upper bounds of the categories; anything above HIGH is CRITICAL. */
export const CATEGORY_LOW_MAX = 30;
export const CATEGORY_MEDIUM_MAX = 60;
export const CATEGORY_HIGH_MAX = 80;

// ---------------------------------------------------------------- On-chain mirror

/** Score of a protocol the fund has never scored (lastUpdated == 0). */
export const NEVER_SCORED_RISK = 90;
/** Data is stale when `now > lastUpdated + STALE_AFTER_SECONDS` (7 days, in seconds). */
export const STALE_AFTER_SECONDS = 7 * SECONDS_PER_DAY;
/** Added to the score of stale data. */
export const STALE_PENALTY = 10;
/** Largest value a uint8 component can hold on-chain. */
export const UINT8_MAX = 255;

// ---------------------------------------------------------------- Confidence

/** Confidence = sum of the weights of the metrics that are present and valid (sum 100). */
export const CONFIDENCE_WEIGHTS = {
  tvlUsd: 25,
  auditScore: 20,
  deployedAt: 15,
  teamReputation: 20,
  githubActivity: 10,
  tokenPriceStability: 10,
} as const;
