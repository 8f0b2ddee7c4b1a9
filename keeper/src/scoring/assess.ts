/**
 * The original per-protocol assessment: metrics + now → integer components, composite, category,
 * confidence and the list of metrics that were missing or invalid. Never throws: a bad value is
 * treated exactly like a missing one and takes its high-risk default.
 */
import type { ProtocolMetrics, Sourced } from "../domain/types";
import { compositeRisk, riskCategory } from "./composite";
import {
  auditRisk,
  exploitRisk,
  githubActivityBand,
  teamRisk,
  timeRisk,
  toOnChainComponent,
  tvlRisk,
  tvlSizeBand,
  tvlVolatilityBand,
} from "./components";
import { CONFIDENCE_WEIGHTS, SECONDS_PER_DAY, TVL_SIZE_BANDS, TVL_VOLATILITY_CALMEST_RISK } from "./constants";
import type { ComponentRisks, RiskAssessment } from "./types";

type MissingEntry = RiskAssessment["missing"][number];

/** Returns why a value is unusable, or undefined when it is valid. */
type Validator = (value: number) => string | undefined;

const isNumber = (value: unknown): value is number => typeof value === "number" && Number.isFinite(value);

function inRange(min: number, max: number): Validator {
  return (value) => (value >= min && value <= max ? undefined : `out of range ${min}..${max}`);
}

const nonNegative: Validator = (value) => (value >= 0 ? undefined : "negative");

function pastTimestamp(now: number): Validator {
  return (value) => {
    if (!isNumber(now)) return "assessment time is not a valid timestamp";
    if (value <= 0) return "not a positive unix timestamp";
    return value > now ? "in the future" : undefined;
  };
}

const nonNegativeInteger: Validator = (value) =>
  Number.isSafeInteger(value) && value >= 0 ? undefined : "not a non-negative integer";

/** What the scorer does when each metric is missing or invalid (appended to the reason). */
const DEFAULT_APPLIED = {
  tvlUsd: "scored with size band 80 and volatility band 80",
  tvlChange30d: "scored with volatility band 80",
  auditScore: "scored as unaudited (95)",
  deployedAt: "scored as unknown age (90)",
  exploitCount: "scored as the worst history (100)",
  lastExploitAt: "counted as the most recent (recency 50)",
  teamReputation: "scored as reputation 0",
  githubActivity: "scored with activity band 70",
  tokenPriceStability: "lowers confidence only",
} as const;

type ScoredField = keyof typeof DEFAULT_APPLIED;

/** The least risky value of each metric, used only for `RiskAssessment.floor`. */
const BEST_CASE = {
  tvlSizeBand: TVL_SIZE_BANDS[0]?.risk ?? 0,
  tvlVolatilityBand: TVL_VOLATILITY_CALMEST_RISK,
  auditScore: 100,
  ageDays: Number.MAX_SAFE_INTEGER,
  daysSinceExploit: Number.MAX_SAFE_INTEGER,
  teamReputation: 100,
  githubActivity: Number.MAX_SAFE_INTEGER,
} as const;

/** Reads one metric: its value when present and valid, else undefined plus a `missing` entry. */
function readMetric(
  metrics: ProtocolMetrics,
  field: ScoredField,
  validate: Validator,
  missing: MissingEntry[],
  reportAbsence = true,
): number | undefined {
  const sourced: Sourced<unknown> | undefined = metrics[field];
  const value = sourced?.value;
  let why: string | undefined;
  if (value === undefined || value === null) {
    if (!reportAbsence) return undefined;
    why = sourced?.error ?? "not supplied";
  } else if (!isNumber(value)) {
    why = `invalid value ${String(value)}: not a finite number`;
  } else {
    const problem = validate(value);
    if (problem === undefined) return value;
    why = `invalid value ${value}: ${problem}`;
  }
  missing.push({ field, reason: `${why}; ${DEFAULT_APPLIED[field]}` });
  return undefined;
}

const wholeDaysBetween = (earlier: number, later: number): number =>
  Math.floor((later - earlier) / SECONDS_PER_DAY);

/**
 * Scores one protocol at `now` (unix seconds, chain time). The components are the integers the
 * fund stores (fractional risks rounded up), the composite is the fund's integer formula.
 */
export function assessProtocol(metrics: ProtocolMetrics, now: number): RiskAssessment {
  const missing: MissingEntry[] = [];

  const tvlUsd = readMetric(metrics, "tvlUsd", nonNegative, missing);
  const tvlChange30d = readMetric(metrics, "tvlChange30d", (v) => (v >= -1 ? undefined : "below -100%"), missing);
  const auditScore = readMetric(metrics, "auditScore", inRange(0, 100), missing);
  const deployedAt = readMetric(metrics, "deployedAt", pastTimestamp(now), missing);
  const exploitCount = readMetric(metrics, "exploitCount", nonNegativeInteger, missing);
  // A missing date only matters when there was an exploit; an invalid one is always reported.
  const hasExploits = exploitCount !== undefined && exploitCount > 0;
  const lastExploitAt = readMetric(metrics, "lastExploitAt", pastTimestamp(now), missing, hasExploits);
  const teamReputation = readMetric(metrics, "teamReputation", inRange(0, 100), missing);
  const githubActivity = readMetric(metrics, "githubActivity", nonNegative, missing);
  const tokenPriceStability = readMetric(metrics, "tokenPriceStability", inRange(0, 1), missing);

  // Without a current TVL the 30-day change is not trusted either (see docs/keeper-scoring.md).
  const volatilityBand = tvlVolatilityBand(tvlUsd === undefined ? undefined : tvlChange30d);
  const components: ComponentRisks = {
    tvl: toOnChainComponent(tvlRisk(tvlSizeBand(tvlUsd), volatilityBand)),
    audit: toOnChainComponent(auditRisk(auditScore)),
    time: toOnChainComponent(timeRisk(deployedAt === undefined ? undefined : wholeDaysBetween(deployedAt, now))),
    exploit: toOnChainComponent(
      exploitRisk(exploitCount, lastExploitAt === undefined ? undefined : wholeDaysBetween(lastExploitAt, now)),
    ),
    team: toOnChainComponent(teamRisk(teamReputation, githubActivityBand(githubActivity))),
  };

  const available = { tvlUsd, auditScore, deployedAt, teamReputation, githubActivity, tokenPriceStability };
  const confidence = (Object.keys(CONFIDENCE_WEIGHTS) as (keyof typeof CONFIDENCE_WEIGHTS)[]).reduce(
    (sum, field) => sum + (available[field] === undefined ? 0 : CONFIDENCE_WEIGHTS[field]),
    0,
  );

  // The same components with every missing metric at its least risky value: what the present
  // data alone proves. A rise above `components` of the chain is data-backed only up to this.
  const ageDays = deployedAt === undefined ? undefined : wholeDaysBetween(deployedAt, now);
  const sinceExploit = lastExploitAt === undefined ? undefined : wholeDaysBetween(lastExploitAt, now);
  const floor: ComponentRisks = {
    tvl: toOnChainComponent(
      tvlRisk(
        tvlUsd === undefined ? BEST_CASE.tvlSizeBand : tvlSizeBand(tvlUsd),
        tvlUsd === undefined || tvlChange30d === undefined ? BEST_CASE.tvlVolatilityBand : volatilityBand,
      ),
    ),
    audit: toOnChainComponent(auditRisk(auditScore ?? BEST_CASE.auditScore)),
    time: toOnChainComponent(timeRisk(ageDays ?? BEST_CASE.ageDays)),
    exploit: toOnChainComponent(
      exploitCount === undefined
        ? exploitRisk(0, undefined)
        : exploitRisk(exploitCount, hasExploits && sinceExploit === undefined ? BEST_CASE.daysSinceExploit : sinceExploit),
    ),
    team: toOnChainComponent(
      teamRisk(teamReputation ?? BEST_CASE.teamReputation, githubActivityBand(githubActivity ?? BEST_CASE.githubActivity)),
    ),
  };

  const composite = compositeRisk(components);
  return {
    protocol: metrics.protocol,
    assessedAt: now,
    components,
    floor,
    composite,
    category: riskCategory(composite),
    confidence,
    missing,
  };
}

/**
 * The high-risk fallback for a protocol whose source failed entirely: every metric missing with
 * `reason`, so every component takes its missing default (composite 91, CRITICAL, confidence 0).
 */
export function failedAssessment(protocol: string, now: number, reason: string): RiskAssessment {
  const failed: Sourced<never> = { value: undefined, provenance: undefined, error: reason };
  return assessProtocol(
    {
      protocol,
      tvlUsd: failed,
      tvlChange7d: failed,
      tvlChange30d: failed,
      tvlHistory: failed,
      auditScore: failed,
      deployedAt: failed,
      exploitCount: failed,
      lastExploitAt: failed,
      teamReputation: failed,
      githubActivity: failed,
      tokenPriceStability: failed,
    },
    now,
  );
}
