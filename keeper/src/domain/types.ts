/**
 * Plain data types that several layers share (sources produce them; scoring, policy, cycles and
 * the server consume them). Types and constants only: no I/O, no imports from any other layer.
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
  /** Hacks-feed rows: what the row says the loss was (read against the cover wording). */
  readonly classification?: string;
  readonly technique?: string;
  /** Funds the attacker returned (USD), when the row says so. */
  readonly returnedFundsUsd?: number;
}

/** One row of an exploit database (the DefiLlama hacks feed, or an operator-curated incident). */
export interface FeedIncident {
  readonly protocol: string;
  readonly date: number;
  readonly name: string;
  readonly amountUsd?: number;
  /** Funds returned after the exploit (USD), when the feed says so. */
  readonly returnedFundsUsd?: number;
  readonly classification?: string;
  readonly technique?: string;
  readonly link?: string;
  readonly txHash?: string;
  readonly origin: "feed" | "config";
  /**
   * Stable identity of a feed row (rows carry no id): `defillama-hacks:<defillamaId or
   * normalised name>:<date>`; `config:<protocol>:<date>` for a curated one. Always set by this
   * source (optional only so hand-built incidents in tests stay valid).
   */
  readonly sourceId?: string;
  /** Feed URL (key redacted) and index, or "config". */
  readonly ref: string;
  /** The feed entry as received (feed origin only). */
  readonly raw?: Readonly<Record<string, unknown>>;
}

/** Every metric field of `ProtocolMetrics` (all but the `protocol` key). */
export type MetricField = Exclude<keyof ProtocolMetrics, "protocol">;

export const METRIC_FIELDS = [
  "tvlUsd",
  "tvlChange7d",
  "tvlChange30d",
  "tvlHistory",
  "auditScore",
  "deployedAt",
  "exploitCount",
  "lastExploitAt",
  "teamReputation",
  "githubActivity",
  "tokenPriceStability",
] as const satisfies readonly MetricField[];
