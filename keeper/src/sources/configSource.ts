/**
 * Metrics the operator supplies by hand, per protocol, with provenance "config".
 *
 * Why: no free, keyless API publishes audit-quality scores (DeFiSafety-style reviews are
 * per-report and paywalled/unstructured), team reputation, or — on this deployment, which has no
 * GitHub token or network egress — GitHub commit activity. The operator records them in the
 * config file; the composite source lets them override what automated sources say.
 *
 * Curated incidents are not turned into an exploit count here (that would hide the feed's
 * entries when config takes precedence): pass `curatedIncidentsOf(config)` to the hacks feed
 * source, which merges them. An explicit `exploitCount` / `lastExploitAt` override is honoured.
 */
import { z } from "zod";
import { operatorMetricsSchema, type CuratedIncident, type OperatorMetrics, type OperatorProtocolMetrics } from "../config/operatorMetrics";
import { knownAbsent, missing, sourced } from "./metrics";
import type { ProtocolMetrics, ProtocolRef, Provenance, Sourced } from "../domain/types";
import type { RiskDataSource } from "./types";

export const CONFIG_SOURCE = "config";


/** Flattens the per-protocol curated incidents for `HacksFeedSource`'s `curatedIncidents`. */
export function curatedIncidentsOf(config: OperatorMetrics): CuratedIncident[] {
  return Object.entries(config).flatMap(([protocol, metrics]) =>
    (metrics.incidents ?? []).map((incident) => ({ ...incident, protocol })),
  );
}

export class ConfigSource implements RiskDataSource {
  readonly name = CONFIG_SOURCE;

  /** `config` is validated here too, so a typo fails at start with the field path. */
  constructor(
    private readonly config: OperatorMetrics,
    private readonly configRef: string = "config",
  ) {
    operatorMetricsSchema.parse(config);
  }

  async fetchMetrics(protocols: readonly ProtocolRef[], now: number): Promise<ProtocolMetrics[]> {
    return protocols.map((ref) => this.metricsOf(ref.id, now));
  }

  private metricsOf(protocol: string, now: number): ProtocolMetrics {
    const entry = this.config[protocol];
    const provenanceOf = (field: string): Provenance => ({
      source: CONFIG_SOURCE,
      ref: `${this.configRef}#${protocol}.${field}`,
      fetchedAt: now,
    });
    const pick = <T>(field: keyof OperatorProtocolMetrics, value: T | undefined): Sourced<T> =>
      value !== undefined
        ? sourced(value, provenanceOf(field))
        : missing(entry === undefined ? `protocol ${protocol} not in operator config` : `${field} not set in operator config`);
    const notProvided = <T>(what: string): Sourced<T> => missing(`${what} is not provided by operator config`);

    let lastExploitAt: Sourced<number>;
    if (entry?.lastExploitAt === null) lastExploitAt = knownAbsent(provenanceOf("lastExploitAt"));
    else lastExploitAt = pick("lastExploitAt", entry?.lastExploitAt);

    return {
      protocol,
      tvlUsd: notProvided("TVL"),
      tvlChange7d: notProvided("TVL change"),
      tvlChange30d: notProvided("TVL change"),
      tvlHistory: notProvided("TVL history"),
      auditScore: pick("auditScore", entry?.auditScore),
      deployedAt: pick("deployedAt", entry?.deployedAt),
      exploitCount: pick("exploitCount", entry?.exploitCount),
      lastExploitAt,
      teamReputation: pick("teamReputation", entry?.teamReputation),
      githubActivity: pick("githubActivity", entry?.githubActivity),
      tokenPriceStability: pick("tokenPriceStability", entry?.tokenPriceStability),
    };
  }
}
