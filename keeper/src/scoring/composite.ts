/** The weighted composite and its category, with the fund's integer semantics. */
import {
  CATEGORY_HIGH_MAX,
  CATEGORY_LOW_MAX,
  CATEGORY_MEDIUM_MAX,
  COMPOSITE_DIVISOR,
  COMPOSITE_WEIGHTS,
} from "./constants";
import type { ComponentRisks, RiskCategory } from "./types";

/**
 * floor((25 tvl + 20 audit + 15 time + 25 exploit + 15 team) / 100) over integer components —
 * exactly what the fund's `calculateProtocolRisk` returns for fresh data.
 */
export function compositeRisk(components: ComponentRisks): number {
  const weightedSum =
    COMPOSITE_WEIGHTS.tvl * components.tvl +
    COMPOSITE_WEIGHTS.audit * components.audit +
    COMPOSITE_WEIGHTS.time * components.time +
    COMPOSITE_WEIGHTS.exploit * components.exploit +
    COMPOSITE_WEIGHTS.team * components.team;
  return Math.floor(weightedSum / COMPOSITE_DIVISOR);
}

/** LOW ≤30, MEDIUM ≤60, HIGH ≤80, CRITICAL above (a NaN score is CRITICAL). */
export function riskCategory(score: number): RiskCategory {
  if (score <= CATEGORY_LOW_MAX) return "LOW";
  if (score <= CATEGORY_MEDIUM_MAX) return "MEDIUM";
  if (score <= CATEGORY_HIGH_MAX) return "HIGH";
  return "CRITICAL";
}
