/**
 * What a risk data source returns for one protocol: the metrics the original design names,
 * each with where it came from and when. `undefined` value = not available (the scorer then
 * applies the original high-risk default and confidence drops).
 */

/** Where one metric came from. */
export interface Provenance {
  /** Source id, e.g. "defillama", "defillama-hacks", "config", "chain", "fixture". */
  readonly source: string;
  /** URL, file path or RPC method the value was read from. */
  readonly ref: string;
  /** Unix seconds at which the value was fetched. */
  readonly fetchedAt: number;
}

/** A metric value with its provenance; `value` is undefined when the source could not supply it. */
export interface Sourced<T> {
  readonly value: T | undefined;
  readonly provenance: Provenance | undefined;
  /** Why the value is missing (schema failure with the field path, HTTP error, not configured...). */
  readonly error?: string;
}

/** One point of a TVL history (unix seconds, USD). */
export interface TvlPoint {
  readonly date: number;
  readonly tvlUsd: number;
}

/** The metrics of one protocol, as the original assessment consumes them. */
export interface ProtocolMetrics {
  /** Operator's protocol key (config id), e.g. "aave-v3". */
  readonly protocol: string;
  /** Current TVL in USD. */
  readonly tvlUsd: Sourced<number>;
  /** TVL change over 7 days, as a fraction (-0.25 = down 25%). */
  readonly tvlChange7d: Sourced<number>;
  /** TVL change over 30 days, as a fraction. */
  readonly tvlChange30d: Sourced<number>;
  /** Recent TVL history (used by incident detection and evidence packs). */
  readonly tvlHistory: Sourced<readonly TvlPoint[]>;
  /** Audit quality score 0-100 (0 = unaudited). */
  readonly auditScore: Sourced<number>;
  /** Deployment date of the protocol's main contract, unix seconds. */
  readonly deployedAt: Sourced<number>;
  /** Number of known exploits. */
  readonly exploitCount: Sourced<number>;
  /** Date of the latest exploit, unix seconds (undefined when there was none). */
  readonly lastExploitAt: Sourced<number>;
  /** Team reputation 0-100 (higher = better). */
  readonly teamReputation: Sourced<number>;
  /** GitHub activity (commits over the last 30 days). */
  readonly githubActivity: Sourced<number>;
  /** Price stability of the position's stablecoin, 0-1 (1 = perfectly pegged over the window). */
  readonly tokenPriceStability: Sourced<number>;
}

/** One data source behind the keeper's risk assessment. */
export interface RiskDataSource {
  readonly name: string;
  /** Fetches the metrics of every protocol asked for. Never throws for a per-protocol failure:
   *  failures come back as missing values with an `error`. */
  fetchMetrics(protocols: readonly ProtocolRef[], now: number): Promise<ProtocolMetrics[]>;
}

/** How a protocol is identified across sources (from the operator's config). */
export interface ProtocolRef {
  /** Operator's key, e.g. "aave-v3". */
  readonly id: string;
  /** On-chain address used as the protocol key in the fund. */
  readonly address: string;
  /** DefiLlama slug, e.g. "aave-v3". */
  readonly defiLlamaSlug?: string;
  /** DefiLlama numeric protocol id (as a string), used to match the hacks feed. */
  readonly defiLlamaId?: string;
  /** DefiLlama parent id (e.g. "parent#aave"): hacks rows of siblings are kept as related. */
  readonly defiLlamaParentId?: string;
  /** Name used to match entries of the hacks feed (case-insensitive). */
  readonly name: string;
  /** The protocol's main contract, for the on-chain deployment date. */
  readonly mainContract?: string;
  /** Stablecoin symbol of the position (for price stability), e.g. "USDC". */
  readonly stablecoin?: string;
}

/**
 * One reported exploit of a protocol, as a source saw it: a DefiLlama hallmark or a hacks-feed
 * row. Field names match `IncidentSignal` (policy/incidentSignals.ts), so the incident watch
 * maps it with `{ ...report, observedAt: now }`.
 */
export interface ExploitReport {
  readonly kind: "hallmark" | "hacks-feed";
  /** `ProtocolRef.id`. */
  readonly protocolId: string;
  /**
   * Stable identity at the source, independent of editable text: a hallmark is
   * `defillama-hallmark:<DefiLlama id>:<timestamp>`, a hacks row
   * `defillama-hacks:<defillamaId or normalised name>:<date>` (rows carry no id of their own).
   */
  readonly sourceId: string;
  /** When it happened, unix seconds. */
  readonly occurredAt: number;
  readonly description: string;
  /** URL (secrets redacted) and field the report was read from. */
  readonly sourceRef: string;
  readonly link?: string;
  readonly lossUsd?: number;
}

/** A source that keeps the exploit reports of its latest fetch (DefiLlama hallmarks, hacks feed). */
export interface ExploitReportSource {
  /** Reports of one protocol from the latest `fetchMetrics`, oldest first. */
  exploitReports(protocolId: string): readonly ExploitReport[];
}

export function hasExploitReports(source: unknown): source is ExploitReportSource {
  return typeof source === "object" && source !== null && typeof (source as Partial<ExploitReportSource>).exploitReports === "function";
}
