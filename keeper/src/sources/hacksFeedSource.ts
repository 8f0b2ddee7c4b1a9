/**
 * Exploit history: a hacks feed in DefiLlama's `/hacks` shape plus incidents curated by the
 * operator. Gives `exploitCount` and `lastExploitAt`, and keeps the matched entries for incident
 * detection (`incidentsFor`).
 *
 * Feed shape (array): { date: unix s, name, classification, technique, amount (USD), chain,
 * targetType, source (link), returnedFunds, defillamaId, ... }. An entry is matched to a protocol
 * by `defillamaId` when both sides have one, otherwise by case-insensitive name (or an alias).
 * An entry that fails validation only affects the protocol it seems to belong to.
 * A curated incident within `dedupeWindowSeconds` of a feed entry of the same protocol is the
 * same incident and is counted once.
 */
import { z } from "zod";
import {
  JsonHttpClient,
  describeHttpError,
  type HttpClientConfig,
  type HttpClientDeps,
  type Logger,
} from "./http";
import { DAY_SECONDS, firstIssue, knownAbsent, missing, sourced } from "./metrics";
import type { ProtocolMetrics, ProtocolRef, Provenance, RiskDataSource, Sourced } from "./types";

export const HACKS_SOURCE = "defillama-hacks";

/** An incident the operator records by hand (e.g. from a post-mortem), keyed by protocol id. */
export interface CuratedIncident {
  /** `ProtocolRef.id`. */
  readonly protocol: string;
  /** Unix seconds. */
  readonly date: number;
  readonly name?: string;
  readonly amountUsd?: number;
  readonly classification?: string;
  readonly technique?: string;
  /** Link to a post-mortem or report. */
  readonly link?: string;
  /** Exploit transaction hash, when known (claims evidence). */
  readonly txHash?: string;
}

export const curatedIncidentSchema = z.object({
  protocol: z.string().min(1),
  date: z.number().int().nonnegative(),
  name: z.string().optional(),
  amountUsd: z.number().nonnegative().optional(),
  classification: z.string().optional(),
  technique: z.string().optional(),
  link: z.string().optional(),
  txHash: z.string().regex(/^0x[0-9a-fA-F]{64}$/).optional(),
});

/** One exploit attributed to a protocol. */
export interface Incident {
  readonly protocol: string;
  readonly date: number;
  readonly name: string;
  readonly amountUsd?: number;
  readonly classification?: string;
  readonly technique?: string;
  readonly link?: string;
  readonly txHash?: string;
  readonly origin: "feed" | "config";
  /** Feed URL and index, or "config". */
  readonly ref: string;
  /** The feed entry as received (feed origin only). */
  readonly raw?: Readonly<Record<string, unknown>>;
}

export interface HacksFeedSourceConfig {
  /** Full URL of the feed, e.g. `https://api.llama.fi/hacks`; omit to use curated incidents only. */
  readonly feedUrl?: string;
  readonly http?: Omit<HttpClientConfig, "baseUrl">;
  /** Reuse a fetched feed for this long, seconds of `now` (default 3600). */
  readonly ttlSeconds?: number;
  /** `ProtocolRef.id` → DefiLlama protocol id (the feed's `defillamaId`, e.g. "1599"). */
  readonly defiLlamaIds?: Readonly<Record<string, string>>;
  /** `ProtocolRef.id` → other names the feed may use. */
  readonly nameAliases?: Readonly<Record<string, readonly string[]>>;
  readonly curatedIncidents?: readonly CuratedIncident[];
  /** Default 2 days. */
  readonly dedupeWindowSeconds?: number;
}

const feedSchema = z.array(z.unknown());
const optionalText = z.string().nullable().optional();
const entrySchema = z
  .object({
    date: z.number().finite(),
    name: z.string(),
    amount: z.number().finite().nullable().optional(),
    classification: optionalText,
    technique: optionalText,
    source: optionalText,
    defillamaId: z.union([z.string(), z.number()]).nullable().optional(),
  })
  .passthrough();

interface ProtocolMatcher {
  readonly id: string;
  readonly names: ReadonlySet<string>;
  readonly defiLlamaId: string | undefined;
}

/** Result of matching the feed for one protocol. */
export interface IncidentMatch {
  readonly incidents: readonly Incident[];
  /** Set when the count is unreliable (feed down, or an entry of this protocol is malformed). */
  readonly error?: string;
  readonly provenance: Provenance;
}

export class HacksFeedSource implements RiskDataSource {
  readonly name = HACKS_SOURCE;
  private readonly client: JsonHttpClient | undefined;
  private readonly logger: Logger;
  private readonly ttl: number;
  private readonly dedupeWindow: number;
  private readonly config: HacksFeedSourceConfig;
  private feedCache: { rows: readonly unknown[]; at: number } | undefined;
  private lastMatches = new Map<string, IncidentMatch>();

  constructor(config: HacksFeedSourceConfig, deps: HttpClientDeps) {
    this.config = config;
    this.client = config.feedUrl !== undefined ? new JsonHttpClient({ ...config.http, baseUrl: config.feedUrl }, deps) : undefined;
    this.logger = deps.logger;
    this.ttl = config.ttlSeconds ?? 3600;
    this.dedupeWindow = config.dedupeWindowSeconds ?? 2 * DAY_SECONDS;
  }

  get requestCount(): number {
    return this.client?.requestCount ?? 0;
  }

  /** Matched incidents of a protocol from the latest fetch (empty before the first). */
  incidentsFor(protocolId: string): readonly Incident[] {
    return this.lastMatches.get(protocolId)?.incidents ?? [];
  }

  async fetchMetrics(protocols: readonly ProtocolRef[], now: number): Promise<ProtocolMetrics[]> {
    const matches = await this.fetchIncidents(protocols, now);
    return protocols.map((ref) => toMetrics(ref.id, matches.get(ref.id)));
  }

  /** Fetches the feed (at most once per `ttlSeconds`) and matches it to every protocol. */
  async fetchIncidents(protocols: readonly ProtocolRef[], now: number): Promise<ReadonlyMap<string, IncidentMatch>> {
    const feed = await this.feed(now);
    const matchers = protocols.map((ref) => this.matcher(ref));
    const feedIncidents = new Map<string, Incident[]>(protocols.map((p) => [p.id, []]));
    const entryErrors = new Map<string, string>();

    if (feed.ok) {
      feed.rows.forEach((row, index) => {
        const path = `[${index}]`;
        const parsed = entrySchema.safeParse(row);
        if (!parsed.success) {
          const owner = matchers.find((m) => matchesLoosely(m, row));
          const issue = firstIssue(parsed.error, path);
          if (owner !== undefined && !entryErrors.has(owner.id)) {
            entryErrors.set(owner.id, `schema error at ${issue.field}: ${issue.message} (${feed.url})`);
          }
          this.logger.debug({ url: feed.url, field: issue.field, owner: owner?.id }, "hacks feed entry skipped");
          return;
        }
        const entry = parsed.data;
        const entryId = entry.defillamaId === null || entry.defillamaId === undefined ? undefined : String(entry.defillamaId);
        for (const matcher of matchers) {
          if (!matches(matcher, entry.name, entryId)) continue;
          feedIncidents.get(matcher.id)?.push({
            protocol: matcher.id,
            date: entry.date,
            name: entry.name,
            amountUsd: entry.amount ?? undefined,
            classification: entry.classification ?? undefined,
            technique: entry.technique ?? undefined,
            link: entry.source ?? undefined,
            origin: "feed",
            ref: `${feed.url}#${path}`,
            raw: entry,
          });
        }
      });
    }

    const result = new Map<string, IncidentMatch>();
    for (const ref of protocols) {
      const curated = (this.config.curatedIncidents ?? [])
        .filter((c) => c.protocol === ref.id)
        .map((c): Incident => ({ ...c, name: c.name ?? ref.name, origin: "config", ref: "config" }));
      const fromFeed = feedIncidents.get(ref.id) ?? [];
      const extraCurated = curated.filter((c) => !fromFeed.some((f) => Math.abs(f.date - c.date) <= this.dedupeWindow));
      const incidents = [...fromFeed, ...extraCurated].sort((a, b) => a.date - b.date);
      const provenance: Provenance = {
        source: this.client !== undefined ? HACKS_SOURCE : "config",
        ref: [this.client !== undefined ? feed.url : undefined, curated.length > 0 ? "config:curatedIncidents" : undefined]
          .filter((r) => r !== undefined)
          .join(" + ") || "config:curatedIncidents",
        fetchedAt: feed.ok ? feed.at : now,
      };
      const error = !feed.ok ? feed.error : entryErrors.get(ref.id);
      result.set(ref.id, error !== undefined ? { incidents, error, provenance } : { incidents, provenance });
    }
    this.lastMatches = result;
    return result;
  }

  private async feed(
    now: number,
  ): Promise<{ ok: true; rows: readonly unknown[]; url: string; at: number } | { ok: false; error: string; url: string }> {
    if (this.client === undefined) return { ok: true, rows: [], url: "config", at: now };
    const url = this.client.urlFor("");
    if (this.feedCache !== undefined && now >= this.feedCache.at && now - this.feedCache.at < this.ttl) {
      return { ok: true, rows: this.feedCache.rows, url, at: this.feedCache.at };
    }
    const response = await this.client.getJson("", feedSchema);
    if (!response.ok) {
      this.feedCache = undefined;
      return { ok: false, error: describeHttpError(response.error), url };
    }
    this.feedCache = { rows: response.data, at: now };
    return { ok: true, rows: response.data, url, at: now };
  }

  private matcher(ref: ProtocolRef): ProtocolMatcher {
    const aliases = this.config.nameAliases?.[ref.id] ?? [];
    return {
      id: ref.id,
      names: new Set([ref.name, ...aliases].map(normalizeName)),
      defiLlamaId: this.config.defiLlamaIds?.[ref.id],
    };
  }
}

function normalizeName(name: string): string {
  return name.trim().toLowerCase();
}

function matches(matcher: ProtocolMatcher, name: string, defiLlamaId: string | undefined): boolean {
  if (matcher.defiLlamaId !== undefined && defiLlamaId !== undefined) return matcher.defiLlamaId === defiLlamaId;
  return matcher.names.has(normalizeName(name));
}

/** Best-effort owner of a malformed entry: whatever of name / defillamaId is readable. */
function matchesLoosely(matcher: ProtocolMatcher, row: unknown): boolean {
  if (typeof row !== "object" || row === null) return false;
  const record = row as Record<string, unknown>;
  const id = record["defillamaId"];
  const name = record["name"];
  const idText = typeof id === "string" || typeof id === "number" ? String(id) : undefined;
  return matches(matcher, typeof name === "string" ? name : "", idText);
}

function toMetrics(protocol: string, match: IncidentMatch | undefined): ProtocolMetrics {
  const notProvided = <T>(what: string): Sourced<T> => missing(`${what} is not provided by the hacks feed`);
  let exploitCount: Sourced<number>;
  let lastExploitAt: Sourced<number>;
  if (match === undefined) {
    exploitCount = missing("protocol not matched");
    lastExploitAt = missing("protocol not matched");
  } else if (match.error !== undefined) {
    exploitCount = missing(match.error);
    lastExploitAt = missing(match.error);
  } else {
    exploitCount = sourced(match.incidents.length, match.provenance);
    const last = match.incidents[match.incidents.length - 1];
    lastExploitAt = last !== undefined ? sourced(last.date, match.provenance) : knownAbsent(match.provenance);
  }
  return {
    protocol,
    tvlUsd: notProvided("TVL"),
    tvlChange7d: notProvided("TVL change"),
    tvlChange30d: notProvided("TVL change"),
    tvlHistory: notProvided("TVL history"),
    auditScore: notProvided("audit score"),
    deployedAt: notProvided("deployment date"),
    exploitCount,
    lastExploitAt,
    teamReputation: notProvided("team reputation"),
    githubActivity: notProvided("GitHub activity"),
    tokenPriceStability: notProvided("token price stability"),
  };
}
