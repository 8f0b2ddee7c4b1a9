/**
 * Exploit history from DefiLlama's hacks feed plus incidents curated by the operator. Gives
 * `exploitCount` and `lastExploitAt`, and keeps the matched rows for incident detection
 * (`incidentsFor`, `exploitReports`).
 *
 * The feed is Pro-only: `GET https://pro-api.llama.fi/<API key>/api/hacks` (the key is a path
 * segment). Without a key there is no feed; the free exploit signal is the hallmarks of
 * `/protocol/{slug}` (defiLlamaSource). The key is redacted from every URL this source logs,
 * stores in provenance or puts in a report.
 *
 * Row shape (defillama-server `getHacks`): { date: unix s, name, classification, technique,
 * amount (USD) | null, chain: string[] | null, bridgeHack, targetType, source: string (often ""),
 * returnedFunds, defillamaId: string | number | null, parentProtocolId?: "parent#...",
 * language }. A row linked to a DefiLlama protocol is renamed to that protocol's name.
 *
 * Matching, per protocol:
 *   - a row with a `defillamaId` matches the protocol with that id (`protocols[].defiLlamaId`);
 *   - a row sharing only the `parentProtocolId` of a protocol's configured parent is a sibling's
 *     exploit: kept as related, not counted;
 *   - otherwise by case-insensitive name or an alias (`nameAliases`), never against a protocol
 *     whose own id differs from the row's.
 * A protocol with a `defiLlamaId` and no matching row has a known zero. A protocol without one
 * that no row matched by name gets no count (absence is not proven by a name miss): its error
 * names the unmatched rows that resemble it and asks for the id or an alias.
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
import { DEFILLAMA_PRO_API_BASE_URL } from "../config/defaults";
import type { CuratedIncident } from "../config/operatorMetrics";
import type { ExploitReport, FeedIncident, ProtocolMetrics, ProtocolRef, Provenance, Sourced } from "../domain/types";
import type { RiskDataSource } from "./types";

export const HACKS_SOURCE = "defillama-hacks";

export const HACKS_PRO_PATH = "/api/hacks";


/** One exploit attributed to a protocol. */

export interface HacksFeedSourceConfig {
  /** DefiLlama Pro API key (secret, from env DEFILLAMA_PRO_API_KEY); omit for no feed. */
  readonly proApiKey?: string;
  /** Default `https://pro-api.llama.fi` (tests point it at a loopback server). */
  readonly proApiBaseUrl?: string;
  readonly http?: Omit<HttpClientConfig, "baseUrl" | "secrets">;
  /** Reuse a fetched feed for this long, seconds of `now` (default 3600). */
  readonly ttlSeconds?: number;
  /** `ProtocolRef.id` → DefiLlama protocol id (the feed's `defillamaId`, e.g. "1599"); `ProtocolRef.defiLlamaId` also counts. */
  readonly defiLlamaIds?: Readonly<Record<string, string>>;
  /** `ProtocolRef.id` → DefiLlama parent id (e.g. "parent#aave"): sibling rows are kept as related. */
  readonly parentIds?: Readonly<Record<string, string>>;
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
    parentProtocolId: z.string().nullable().optional(),
  })
  .passthrough();

interface ProtocolMatcher {
  readonly id: string;
  readonly names: ReadonlySet<string>;
  readonly defiLlamaId: string | undefined;
  readonly parentId: string | undefined;
}

/** A feed row that no protocol of the portfolio claimed, but whose name resembles one. */
/** The feed as read this tick (cached rows count as read). */
type FeedRead = { ok: true; rows: readonly unknown[]; url: string; at: number } | { ok: false; error: string; url: string };

/** The feed's rows sorted per protocol id. */
interface SortedRows {
  readonly feedIncidents: Map<string, FeedIncident[]>;
  readonly related: Map<string, FeedIncident[]>;
  readonly unmatched: Map<string, UnmatchedRow[]>;
  /** The first schema error of a row that loosely names the protocol. */
  readonly entryErrors: Map<string, string>;
}

/** A parsed feed row as the protocol's incident. */
function feedIncidentOf(entry: z.infer<typeof entrySchema>, entryId: string | undefined, ref: string, protocol: string): FeedIncident {
  return {
    protocol,
    date: entry.date,
    name: entry.name,
    amountUsd: entry.amount ?? undefined,
    classification: entry.classification ?? undefined,
    technique: entry.technique ?? undefined,
    ...returnedFundsOf(entry),
    link: entry.source !== null && entry.source !== undefined && entry.source !== "" ? entry.source : undefined,
    origin: "feed",
    sourceId: `defillama-hacks:${entryId ?? normalizeName(entry.name)}:${entry.date}`,
    ref,
    raw: entry,
  };
}

/** `returnedFunds` of a row (a number of USD, or null), when positive. */
function returnedFundsOf(entry: Readonly<Record<string, unknown>>): { returnedFundsUsd?: number } {
  const value = entry["returnedFunds"];
  return typeof value === "number" && Number.isFinite(value) && value > 0 ? { returnedFundsUsd: value } : {};
}

/** A name miss does not prove there was no exploit: the server renames linked rows. */
function nameMissError(ref: ProtocolRef, lookalikes: readonly UnmatchedRow[]): string {
  const seen = lookalikes.map((r) => `"${r.name}" (${new Date(r.date * 1000).toISOString().slice(0, 10)})`).join(", ");
  return (
    `no hacks-feed row matched "${ref.name}" by name and no defiLlamaId is configured, so "0 exploits" is not established` +
    (seen !== "" ? `; unmatched rows that resemble it: ${seen}` : "") +
    " — set protocols[].defiLlamaId (or sources.hacks.nameAliases)"
  );
}

export interface UnmatchedRow {
  readonly name: string;
  readonly date: number;
  readonly defillamaId?: string;
  /** Protocol ids it resembles. */
  readonly resembles: readonly string[];
  readonly ref: string;
}

/** Result of matching the feed for one protocol. */
export interface IncidentMatch {
  readonly incidents: readonly FeedIncident[];
  /** Rows of a sibling under the same DefiLlama parent: context, not counted. */
  readonly related: readonly FeedIncident[];
  /** Feed rows that resemble this protocol but matched it neither by id nor by name/alias. */
  readonly unmatched: readonly UnmatchedRow[];
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
  /** Unmatched-row warnings already logged (by protocol and row), so each is logged once. */
  private readonly reportedUnmatched = new Set<string>();

  constructor(config: HacksFeedSourceConfig, deps: HttpClientDeps) {
    this.config = config;
    const key = config.proApiKey?.trim();
    this.client =
      key !== undefined && key !== ""
        ? new JsonHttpClient(
            {
              ...config.http,
              baseUrl: `${(config.proApiBaseUrl ?? DEFILLAMA_PRO_API_BASE_URL).replace(/\/+$/, "")}/${encodeURIComponent(key)}`,
              secrets: [key],
            },
            deps,
          )
        : undefined;
    this.logger = deps.logger;
    this.ttl = config.ttlSeconds ?? 3600;
    this.dedupeWindow = config.dedupeWindowSeconds ?? 2 * DAY_SECONDS;
  }

  /** Whether a Pro key is configured (otherwise only curated incidents are known). */
  get hasFeed(): boolean {
    return this.client !== undefined;
  }

  /** The feed URL with the key redacted, or undefined without a key. */
  get feedDisplayUrl(): string | undefined {
    return this.client?.displayUrlFor(HACKS_PRO_PATH);
  }

  get requestCount(): number {
    return this.client?.requestCount ?? 0;
  }

  /** Matched incidents of a protocol from the latest fetch (empty before the first). */
  incidentsFor(protocolId: string): readonly FeedIncident[] {
    return this.lastMatches.get(protocolId)?.incidents ?? [];
  }

  /** The protocol's feed rows from the latest fetch, shaped like an incident signal (`kind: "hacks-feed"`). */
  exploitReports(protocolId: string): readonly ExploitReport[] {
    return this.incidentsFor(protocolId)
      .filter((i) => i.origin === "feed")
      .map((i) => ({
        kind: "hacks-feed" as const,
        protocolId: i.protocol,
        sourceId: i.sourceId ?? `defillama-hacks:${normalizeName(i.name)}:${i.date}`,
        occurredAt: i.date,
        description: `DefiLlama hacks feed: ${i.name}${i.classification !== undefined ? `, ${i.classification}` : ""}${i.technique !== undefined ? ` (${i.technique})` : ""}`,
        sourceRef: i.ref,
        ...(i.link !== undefined ? { link: i.link } : {}),
        ...(i.amountUsd !== undefined ? { lossUsd: i.amountUsd } : {}),
        ...(i.classification !== undefined ? { classification: i.classification } : {}),
        ...(i.technique !== undefined ? { technique: i.technique } : {}),
        ...(i.returnedFundsUsd !== undefined ? { returnedFundsUsd: i.returnedFundsUsd } : {}),
      }));
  }

  async fetchMetrics(protocols: readonly ProtocolRef[], now: number): Promise<ProtocolMetrics[]> {
    const matches = await this.fetchIncidents(protocols, now);
    return protocols.map((ref) => toMetrics(ref.id, matches.get(ref.id), this.hasFeed));
  }

  /** Fetches the feed (at most once per `ttlSeconds`) and matches it to every protocol. */
  async fetchIncidents(protocols: readonly ProtocolRef[], now: number): Promise<ReadonlyMap<string, IncidentMatch>> {
    const feed = await this.feed(now);
    const matchers = protocols.map((ref) => this.matcher(ref));
    const sorted: SortedRows = {
      feedIncidents: new Map(protocols.map((p) => [p.id, []])),
      related: new Map(protocols.map((p) => [p.id, []])),
      unmatched: new Map(protocols.map((p) => [p.id, []])),
      entryErrors: new Map(),
    };
    if (feed.ok) feed.rows.forEach((row, index) => this.sortRow(row, `[${index}]`, feed.url, matchers, sorted));
    const result = new Map<string, IncidentMatch>();
    for (const ref of protocols) result.set(ref.id, this.matchOf(ref, matchers.find((m) => m.id === ref.id), feed, sorted, now));
    this.lastMatches = result;
    return result;
  }

  /** One feed row: to the protocols it matches (or is a sibling of), else to those it resembles; a schema error to the protocol it loosely names. */
  private sortRow(row: unknown, path: string, url: string, matchers: readonly ProtocolMatcher[], sorted: SortedRows): void {
    const parsed = entrySchema.safeParse(row);
    if (!parsed.success) {
      const owner = matchers.find((m) => matchesLoosely(m, row));
      const issue = firstIssue(parsed.error, path);
      if (owner !== undefined && !sorted.entryErrors.has(owner.id)) {
        sorted.entryErrors.set(owner.id, `schema error at ${issue.field}: ${issue.message} (${url})`);
      }
      this.logger.debug({ url, field: issue.field, owner: owner?.id }, "hacks feed entry skipped");
      return;
    }
    const entry = parsed.data;
    const entryId = entry.defillamaId === null || entry.defillamaId === undefined || entry.defillamaId === "" ? undefined : String(entry.defillamaId);
    let claimed = false;
    for (const matcher of matchers) {
      const how = matchRow(matcher, entry.name, entryId, entry.parentProtocolId ?? undefined);
      if (how === "match") {
        sorted.feedIncidents.get(matcher.id)?.push(feedIncidentOf(entry, entryId, `${url}#${path}`, matcher.id));
        claimed = true;
      } else if (how === "sibling") sorted.related.get(matcher.id)?.push(feedIncidentOf(entry, entryId, `${url}#${path}`, matcher.id));
    }
    if (claimed) return;
    for (const matcher of matchers) {
      if (!resembles(matcher, entry.name)) continue;
      sorted.unmatched.get(matcher.id)?.push({
        name: entry.name,
        date: entry.date,
        ...(entryId !== undefined ? { defillamaId: entryId } : {}),
        resembles: [matcher.id],
        ref: `${url}#${path}`,
      });
    }
  }

  /** One protocol's match: feed rows plus curated incidents not already in the feed, provenance, and the error that makes "0 exploits" unproven. */
  private matchOf(ref: ProtocolRef, matcher: ProtocolMatcher | undefined, feed: FeedRead, sorted: SortedRows, now: number): IncidentMatch {
    const curated = (this.config.curatedIncidents ?? [])
      .filter((c) => c.protocol === ref.id)
      .map((c): FeedIncident => ({ ...c, name: c.name ?? ref.name, origin: "config", sourceId: `config:${ref.id}:${c.date}`, ref: "config" }));
    const fromFeed = sorted.feedIncidents.get(ref.id) ?? [];
    const extraCurated = curated.filter((c) => !fromFeed.some((f) => Math.abs(f.date - c.date) <= this.dedupeWindow));
    const incidents = [...fromFeed, ...extraCurated].sort((a, b) => a.date - b.date);
    const provenance: Provenance = {
      source: this.client !== undefined ? HACKS_SOURCE : "config",
      ref: [this.client !== undefined ? feed.url : undefined, curated.length > 0 ? "config:curatedIncidents" : undefined]
        .filter((r) => r !== undefined)
        .join(" + ") || "config:curatedIncidents",
      fetchedAt: feed.ok ? feed.at : now,
    };
    const lookalikes = sorted.unmatched.get(ref.id) ?? [];
    let error = !feed.ok ? feed.error : sorted.entryErrors.get(ref.id);
    if (error === undefined && this.client !== undefined && matcher?.defiLlamaId === undefined && fromFeed.length === 0) error = nameMissError(ref, lookalikes);
    this.warnLookalikes(ref, lookalikes);
    const base = { incidents, related: sorted.related.get(ref.id) ?? [], unmatched: lookalikes, provenance };
    return error !== undefined ? { ...base, error } : base;
  }

  /** Warns once per row that resembles the protocol but did not match it. */
  private warnLookalikes(ref: ProtocolRef, lookalikes: readonly UnmatchedRow[]): void {
    for (const row of lookalikes) {
      const key = `${ref.id}|${row.ref}|${row.date}`;
      if (this.reportedUnmatched.has(key)) continue;
      this.reportedUnmatched.add(key);
      this.logger.warn({ protocol: ref.id, row: row.name, date: row.date, defillamaId: row.defillamaId, ref: row.ref }, "hacks feed row resembles a protocol but did not match it: check defiLlamaId / nameAliases");
    }
  }

  private async feed(now: number): Promise<FeedRead> {
    if (this.client === undefined) return { ok: true, rows: [], url: "config", at: now };
    const url = this.client.displayUrlFor(HACKS_PRO_PATH);
    if (this.feedCache !== undefined && now >= this.feedCache.at && now - this.feedCache.at < this.ttl) {
      return { ok: true, rows: this.feedCache.rows, url, at: this.feedCache.at };
    }
    const response = await this.client.getJson(HACKS_PRO_PATH, feedSchema);
    if (!response.ok) {
      this.feedCache = undefined;
      const hint =
        response.error.status === 401 || response.error.status === 402 || response.error.status === 403
          ? " — the DefiLlama Pro API key was refused (check DEFILLAMA_PRO_API_KEY)"
          : "";
      return { ok: false, error: `${describeHttpError(response.error)}${hint}`, url };
    }
    this.feedCache = { rows: response.data, at: now };
    return { ok: true, rows: response.data, url, at: now };
  }

  private matcher(ref: ProtocolRef): ProtocolMatcher {
    const aliases = this.config.nameAliases?.[ref.id] ?? [];
    return {
      id: ref.id,
      names: new Set([ref.name, ...aliases].map(normalizeName)),
      defiLlamaId: this.config.defiLlamaIds?.[ref.id] ?? ref.defiLlamaId,
      parentId: this.config.parentIds?.[ref.id] ?? ref.defiLlamaParentId,
    };
  }
}

function normalizeName(name: string): string {
  return name.trim().toLowerCase();
}

/**
 * How a row relates to a protocol: its own exploit ("match"), an exploit of a sibling under the
 * same DefiLlama parent ("sibling"), or nothing.
 */
function matchRow(
  matcher: ProtocolMatcher,
  name: string,
  defiLlamaId: string | undefined,
  parentProtocolId: string | undefined,
): "match" | "sibling" | "none" {
  if (defiLlamaId !== undefined && matcher.defiLlamaId !== undefined) {
    if (defiLlamaId === matcher.defiLlamaId) return "match";
    return matcher.parentId !== undefined && parentProtocolId === matcher.parentId ? "sibling" : "none";
  }
  return matcher.names.has(normalizeName(name)) ? "match" : "none";
}

/** Best-effort owner of a malformed entry: whatever of name / defillamaId is readable. */
function matchesLoosely(matcher: ProtocolMatcher, row: unknown): boolean {
  if (typeof row !== "object" || row === null) return false;
  const record = row as Record<string, unknown>;
  const id = record["defillamaId"];
  const name = record["name"];
  const idText = typeof id === "string" || typeof id === "number" ? String(id) : undefined;
  return matchRow(matcher, typeof name === "string" ? name : "", idText, undefined) === "match";
}

/** A loose likeness (shared leading word of 4+ letters, or one name inside the other), for reporting only. */
function resembles(matcher: ProtocolMatcher, name: string): boolean {
  const row = letters(name);
  if (row.length < 4) return false;
  for (const known of matcher.names) {
    const mine = letters(known);
    if (mine.length < 4) continue;
    if (row.includes(mine) || mine.includes(row)) return true;
    const a = known.split(/[^a-z0-9]+/)[0] ?? "";
    const b = normalizeName(name).split(/[^a-z0-9]+/)[0] ?? "";
    if (a.length >= 4 && a === b) return true;
  }
  return false;
}

function letters(name: string): string {
  return normalizeName(name).replace(/[^a-z0-9]/g, "");
}

function toMetrics(protocol: string, match: IncidentMatch | undefined, hasFeed: boolean): ProtocolMetrics {
  const notProvided = <T>(what: string): Sourced<T> => missing(`${what} is not provided by the hacks feed`);
  let exploitCount: Sourced<number>;
  let lastExploitAt: Sourced<number>;
  if (!hasFeed && (match === undefined || match.incidents.length === 0)) {
    // No feed: nothing is known beyond the operator's own incidents; let other sources answer.
    const none = missing<number>("no hacks feed (DefiLlama Pro only: set env DEFILLAMA_PRO_API_KEY) and no curated incident");
    exploitCount = none;
    lastExploitAt = none;
  } else if (match === undefined) {
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
