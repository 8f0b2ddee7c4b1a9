/** Test builders for ProtocolMetrics (not a test file itself). */
import type { ProtocolMetrics, Sourced } from "../../src/domain/types";
import { SECONDS_PER_DAY } from "../../src/scoring";

/** A fixed chain time for every scoring test (2023-11-14). */
export const NOW = 1_700_000_000;
export const DAY = SECONDS_PER_DAY;

export function sourced<T>(value: T | undefined, error?: string): Sourced<T> {
  const provenance = value === undefined ? undefined : { source: "fixture", ref: "test", fetchedAt: NOW };
  return error === undefined ? { value, provenance } : { value, provenance, error };
}

export type MetricValues = { [K in Exclude<keyof ProtocolMetrics, "protocol">]?: ProtocolMetrics[K]["value"] };

/** A large, old, well-audited, never-exploited protocol: components 14/10/15/20/10, composite 14. */
export const HEALTHY: MetricValues = {
  tvlUsd: 5_000_000_000,
  tvlChange7d: 0.01,
  tvlChange30d: 0.05,
  tvlHistory: [],
  auditScore: 95,
  deployedAt: NOW - 1000 * DAY,
  exploitCount: 0,
  lastExploitAt: undefined,
  teamReputation: 90,
  githubActivity: 150,
  tokenPriceStability: 0.999,
};

/** Builds metrics from HEALTHY with `overrides`; a key set to undefined becomes a missing value. */
export function metricsWith(overrides: Partial<Record<keyof MetricValues, unknown>> = {}): ProtocolMetrics {
  const values: Record<string, unknown> = { ...HEALTHY, ...overrides };
  const pick = <T>(key: keyof MetricValues): Sourced<T> => sourced(values[key] as T | undefined);
  return {
    protocol: "test-protocol",
    tvlUsd: pick("tvlUsd"),
    tvlChange7d: pick("tvlChange7d"),
    tvlChange30d: pick("tvlChange30d"),
    tvlHistory: pick("tvlHistory"),
    auditScore: pick("auditScore"),
    deployedAt: pick("deployedAt"),
    exploitCount: pick("exploitCount"),
    lastExploitAt: pick("lastExploitAt"),
    teamReputation: pick("teamReputation"),
    githubActivity: pick("githubActivity"),
    tokenPriceStability: pick("tokenPriceStability"),
  };
}

/** Metrics where every value is missing. */
export function emptyMetrics(): ProtocolMetrics {
  const none = <T>(): Sourced<T> => sourced<T>(undefined);
  return {
    protocol: "empty",
    tvlUsd: none(),
    tvlChange7d: none(),
    tvlChange30d: none(),
    tvlHistory: none(),
    auditScore: none(),
    deployedAt: none(),
    exploitCount: none(),
    lastExploitAt: none(),
    teamReputation: none(),
    githubActivity: none(),
    tokenPriceStability: none(),
  };
}
