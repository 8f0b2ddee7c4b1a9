/** A mirror of the fund's `calculateProtocolRisk`, for predicting what the chain will price. */
import { compositeRisk } from "./composite";
import { MAX_RISK, NEVER_SCORED_RISK, STALE_AFTER_SECONDS, STALE_PENALTY, UINT8_MAX } from "./constants";
import type { ComponentRisks } from "./types";

/**
 * The risk score the fund computes on-chain at time `now` (chain seconds):
 * never scored (`lastUpdated == 0` or no components) → 90; otherwise the integer composite,
 * +10 when `now > lastUpdated + 7 days` (strictly), capped at 100.
 *
 * @throws RangeError when an input could not come from the chain (a component that is not a uint8
 *   integer, or a negative / non-integer timestamp) — that is a caller bug, not data to score.
 */
export function onChainRiskScore(
  components: ComponentRisks | undefined,
  lastUpdated: number,
  now: number,
): number {
  assertTimestamp("lastUpdated", lastUpdated);
  assertTimestamp("now", now);
  if (components === undefined || lastUpdated === 0) return NEVER_SCORED_RISK;
  for (const name of COMPONENT_NAMES) {
    const value = components[name];
    if (!Number.isInteger(value) || value < 0 || value > UINT8_MAX) {
      throw new RangeError(`component ${name} must be a uint8 integer, got ${String(value)}`);
    }
  }
  const isStale = now > lastUpdated + STALE_AFTER_SECONDS;
  return Math.min(MAX_RISK, compositeRisk(components) + (isStale ? STALE_PENALTY : 0));
}

const COMPONENT_NAMES: readonly (keyof ComponentRisks)[] = ["tvl", "audit", "time", "exploit", "team"];

function assertTimestamp(name: string, value: number): void {
  if (!Number.isSafeInteger(value) || value < 0) {
    throw new RangeError(`${name} must be a non-negative integer of seconds, got ${String(value)}`);
  }
}
