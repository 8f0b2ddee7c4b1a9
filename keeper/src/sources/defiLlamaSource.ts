/**
 * DefiLlama (free API): TVL (current, history, 7/30-day change), audit category, listing date,
 * exploit hallmarks, and stablecoin peg stability.
 *
 * Requests per cycle, whatever the portfolio size:
 *   - `GET {api}/protocols` at most once (reused for `listTtlSeconds`) — current TVL, audits,
 *     listing date and parent of every protocol DefiLlama updated in the last 24 h;
 *   - `GET {api}/protocol/{slug}` at most once per protocol (only when `fetchHistory`, reused for
 *     `detailTtlSeconds`) — TVL history (7/30-day changes) and `hallmarks`;
 *   - `GET {stablecoins}/stablecoinprices` at most once, and only if a protocol names a stablecoin.
 * One `/protocols` request serves the whole portfolio; `/tvl/{slug}` would be one request per
 * protocol, and `/updatedProtocol/{slug}` drops the aggregated `tvl` array unless asked for it,
 * so neither is lighter here. Both large bodies go through the size cap and body timeout of
 * `JsonHttpClient`.
 *
 * Response shapes, as DefiLlama's server builds them (defillama-server, api2 routes):
 *   /protocols          [{ id: "1599", slug, name, tvl: number|null, audits: "0".."3"|null,
 *                          audit_links?: string[], listedAt?: unix s, parentProtocol?: "parent#aave", ... }]
 *                       Only protocols with a TVL record in the last 24 h are listed.
 *   /protocol/{slug}    { id, name, tvl: [{ date: unix s, totalLiquidityUSD }], audits?, listedAt?,
 *                          hallmarks?: [[unix s | [start, end], text]], ... }
 *                       A parent (`aave`, `gmx`, ...) answers `{ id: "parent#aave", isParentProtocol: true,
 *                          otherProtocols, hallmarks (its children's), tvl (sum) }`, without
 *                          `audits`/`listedAt`, and is not a row of `/protocols`.
 *                       An unknown slug answers HTTP 400 with the text body "Protocol not found".
 *   /stablecoinprices   [{ date: unix s, prices: { [coingeckoId]: number } }]
 * Schemas accept extra fields and are strict on the fields read, each on its own: a bad `tvl`
 * element only loses the TVL metrics (with the field path in `error`).
 *
 * Audit score: `audits` is a category, not a count (the legend of DefiLlama's protocol
 * listings): "0" no audit, "1" part of the protocol may be unaudited, "2" audited, "3" fork of
 * an audited protocol; null = unknown (missing, never "unaudited"). Each category maps to a
 * score through `auditScoreByCategory` (a fork never scores above an audited protocol);
 * `audit_links` is never counted. An operator's own score (configSource) takes precedence.
 *
 * Exploit history (free): the hallmarks of `/protocol/{slug}` whose text matches
 * `exploitHallmarkPattern` give `exploitCount` and `lastExploitAt` (provenance
 * "defillama-hallmarks") and are kept as exploit reports for incident detection
 * (`exploitReports`). The Pro hacks feed (hacksFeedSource), when configured, ranks above them.
 *
 * Current TVL: the `/protocols` row. A slug missing from that list (no update for 24 h) or with
 * `tvl: null` falls back to the newest history point only when it is at most `maxTvlAgeSeconds`
 * old; a protocol with no data yet has a missing TVL, never $0.
 *
 * Parents: a slug that is a parent protocol is refused with an error naming its children's
 * slugs (the operator must pick the one that holds the position); nothing is defaulted.
 *
 * `listedAt` (the DefiLlama listing date) is offered as a proxy for the deployment date, with
 * provenance "defillama-listedAt"; the chain source gives the real one.
 */
import { z } from "zod";
import {
  JsonHttpClient,
  describeHttpError,
  type HttpClientConfig,
  type HttpClientDeps,
  type HttpResult,
  type Logger,
} from "./http";
import { DEFAULT_AUDIT_SCORE_BY_CATEGORY, validateAuditScoreByCategory, type AuditScoreByCategory } from "../scoring/auditTable";
import { DAY_SECONDS, allMissing, firstIssue, knownAbsent, missing, sourced } from "./metrics";
import { mapWithConcurrency } from "./pool";
import { pegStability, recentHistory, tvlChange, type PricePoint } from "./seriesMath";
import type { ExploitReport, ProtocolMetrics, ProtocolRef, Provenance, Sourced, TvlPoint } from "../domain/types";
import type { RiskDataSource } from "./types";


/** Stablecoin symbol → key of `/stablecoinprices` `prices` (a CoinGecko id). */
export const DEFAULT_STABLECOIN_PRICE_IDS: Readonly<Record<string, string>> = {
  USDC: "usd-coin",
  USDT: "tether",
  DAI: "dai",
  USDS: "usds",
  FRAX: "frax",
  LUSD: "liquity-usd",
  PYUSD: "paypal-usd",
  GHO: "gho",
  CRVUSD: "crvusd",
  USDE: "ethena-usde",
};


/** DefiLlama's `audits` legend. */
export const DEFILLAMA_AUDIT_CATEGORIES = {
  "0": "none",
  "1": "partial",
  "2": "audited",
  "3": "fork",
} as const satisfies Record<string, keyof AuditScoreByCategory>;

export type DefiLlamaAuditCategory = keyof typeof DEFILLAMA_AUDIT_CATEGORIES;

/** Hallmark texts that report an exploit (case-insensitive). */
export const DEFAULT_EXPLOIT_HALLMARK_PATTERN =
  "\\b(hack|hacked|hacks|exploit|exploited|exploiter|attack|attacked|attacker|drain|drained|stolen|theft|rug ?pull|rugged|compromised|breach|bad debt)\\b";


/** Maps a DefiLlama `audits` category to a score with the given (or default) table. */
export function auditScoreFromCategory(
  category: DefiLlamaAuditCategory,
  table: AuditScoreByCategory = DEFAULT_AUDIT_SCORE_BY_CATEGORY,
): number {
  return table[DEFILLAMA_AUDIT_CATEGORIES[category]];
}

export interface DefiLlamaSourceConfig {
  readonly apiBaseUrl: string;
  readonly stablecoinsBaseUrl: string;
  /** Timeout/retry settings shared by both base URLs. */
  readonly http?: Omit<HttpClientConfig, "baseUrl">;
  /** Fetch `/protocol/{slug}` for TVL history and 7/30-day changes (default true). */
  readonly fetchHistory?: boolean;
  /** Reuse the `/protocols` list and `/stablecoinprices` for this long, seconds of `now` (default 600). */
  readonly listTtlSeconds?: number;
  /** Reuse a protocol's detail for this long (default 3600; DefiLlama history is daily). */
  readonly detailTtlSeconds?: number;
  /** Parallel detail requests (default 4). */
  readonly concurrency?: number;
  /** Days of history kept in `tvlHistory` (default 35). */
  readonly historyDays?: number;
  /** Window of the peg stability (default 30 days). */
  readonly stabilityDays?: number;
  /** Tolerance between a wanted date and the nearest history point (default 2 days). */
  readonly maxGapSeconds?: number;
  /**
   * Oldest history point accepted as the current TVL when `/protocols` has no TVL for the slug
   * (default 86 400 s: DefiLlama drops a protocol from `/protocols` after 24 h without an update).
   */
  readonly maxTvlAgeSeconds?: number;
  readonly auditScoreByCategory?: Partial<AuditScoreByCategory>;
  /** Regular expression (case-insensitive) for hallmarks that report an exploit. */
  readonly exploitHallmarkPattern?: string;
  /** Count exploit hallmarks as exploit history (default true). */
  readonly exploitsFromHallmarks?: boolean;
  /** Extra or replacement symbol → price-id entries. */
  readonly stablecoinPriceIds?: Readonly<Record<string, string>>;
}

export const DEFILLAMA_SOURCE = "defillama";
export const DEFILLAMA_AUDITS_SOURCE = "defillama-audits";
export const DEFILLAMA_HALLMARKS_SOURCE = "defillama-hallmarks";
export const DEFILLAMA_LISTED_AT_SOURCE = "defillama-listedAt";
export const DEFILLAMA_STABLECOINS_SOURCE = "defillama-stablecoins";

// ---- schemas (each field on its own) -------------------------------------------------------

const anyObject = z.object({}).passthrough();
const listSchema = z.array(z.unknown());
const slugField = z.object({ slug: z.string() }).passthrough();
const parentId = z.string().regex(/^parent#/);
const tvlNumber = z.number().finite().nonnegative();
const auditsField = z.union([
  z.enum(["0", "1", "2", "3"], { errorMap: () => ({ message: 'expected an audit category "0", "1", "2" or "3"' }) }),
  z
    .number()
    .int()
    .min(0)
    .max(3)
    .transform((n) => String(n) as DefiLlamaAuditCategory),
]);
const hallmarkField = z.array(
  z.tuple([z.union([z.number().finite(), z.tuple([z.number().finite(), z.number().finite()])]), z.string()]),
);
const unixSeconds = z.number().int().nonnegative();
const tvlHistoryField = z.array(
  z.object({ date: z.number().finite(), totalLiquidityUSD: z.number().finite() }).passthrough(),
);
const unixDate = z.union([z.number().finite(), z.string().regex(/^\d+$/).transform(Number)]);
const pricePointShape = z.object({ date: unixDate, prices: z.record(z.unknown()) }).passthrough();
const priceValue = z.number().finite().nullable().optional();

type Parsed<T> = { ok: true; value: T } | { ok: false; error: string };

function parseField<T>(schema: z.ZodType<T, z.ZodTypeDef, unknown>, value: unknown, field: string): Parsed<T> {
  const parsed = schema.safeParse(value);
  if (parsed.success) return { ok: true, value: parsed.data };
  const issue = firstIssue(parsed.error, field);
  return { ok: false, error: `schema error at ${issue.field}: ${issue.message}` };
}

// ---- cached fetch results ------------------------------------------------------------------

interface Fetched<T> {
  readonly result: Parsed<T>;
  readonly url: string;
  /** Cycle `now` at which it was fetched. */
  readonly at: number;
}

interface ListEntry {
  readonly raw: Record<string, unknown>;
  readonly index: number;
}

interface ProtocolList {
  readonly bySlug: ReadonlyMap<string, ListEntry>;
  /** Child slugs by parent id (`parent#aave` → ["aave-v1", "aave-v2", "aave-v3"]). */
  readonly childrenByParent: ReadonlyMap<string, readonly string[]>;
  /** Child slugs by parent slug, from the rows' `parentProtocolSlug` (when the server adds it). */
  readonly childrenByParentSlug: ReadonlyMap<string, readonly string[]>;
}
type PriceTable = readonly Record<string, unknown>[];

type History =
  | { ok: true; points: TvlPoint[]; latest: TvlPoint | undefined; provenance: Provenance }
  | { ok: false; error: string };

export class DefiLlamaSource implements RiskDataSource {
  readonly name = DEFILLAMA_SOURCE;
  private readonly api: JsonHttpClient;
  private readonly stablecoins: JsonHttpClient;
  private readonly logger: Logger;
  private readonly fetchHistory: boolean;
  private readonly listTtl: number;
  private readonly detailTtl: number;
  private readonly concurrency: number;
  private readonly historyDays: number;
  private readonly stabilityDays: number;
  private readonly maxGapSeconds: number;
  private readonly maxTvlAgeSeconds: number;
  private readonly auditTable: AuditScoreByCategory;
  private readonly exploitPattern: RegExp;
  private readonly exploitsFromHallmarks: boolean;
  private readonly priceIds: Readonly<Record<string, string>>;
  private listCache: Fetched<ProtocolList> | undefined;
  private pricesCache: Fetched<PriceTable> | undefined;
  private readonly detailCache = new Map<string, Fetched<Record<string, unknown>>>();
  private reports = new Map<string, readonly ExploitReport[]>();
  /** Parent slugs already reported, so the error is logged once, not every cycle. */
  private readonly reportedParents = new Set<string>();

  constructor(config: DefiLlamaSourceConfig, deps: HttpClientDeps) {
    this.api = new JsonHttpClient({ ...config.http, baseUrl: config.apiBaseUrl }, deps);
    this.stablecoins = new JsonHttpClient({ ...config.http, baseUrl: config.stablecoinsBaseUrl }, deps);
    this.logger = deps.logger;
    this.fetchHistory = config.fetchHistory ?? true;
    this.listTtl = config.listTtlSeconds ?? 600;
    this.detailTtl = config.detailTtlSeconds ?? 3600;
    this.concurrency = config.concurrency ?? 4;
    this.historyDays = config.historyDays ?? 35;
    this.stabilityDays = config.stabilityDays ?? 30;
    this.maxGapSeconds = config.maxGapSeconds ?? 2 * DAY_SECONDS;
    this.maxTvlAgeSeconds = config.maxTvlAgeSeconds ?? DAY_SECONDS;
    this.auditTable = { ...DEFAULT_AUDIT_SCORE_BY_CATEGORY, ...config.auditScoreByCategory };
    validateAuditScoreByCategory(this.auditTable);
    this.exploitPattern = new RegExp(config.exploitHallmarkPattern ?? DEFAULT_EXPLOIT_HALLMARK_PATTERN, "i");
    this.exploitsFromHallmarks = config.exploitsFromHallmarks ?? true;
    const upper = Object.entries(config.stablecoinPriceIds ?? {}).map(([k, v]) => [k.toUpperCase(), v] as const);
    this.priceIds = { ...DEFAULT_STABLECOIN_PRICE_IDS, ...Object.fromEntries(upper) };
  }

  /** HTTP requests sent so far on both base URLs (every attempt counts). */
  get requestCount(): number {
    return this.api.requestCount + this.stablecoins.requestCount;
  }

  /**
   * Exploit hallmarks of a protocol from the latest fetch, oldest first, shaped like an incident
   * signal (`kind: "hallmark"`). Empty before the first fetch or when the detail failed.
   */
  exploitReports(protocolId: string): readonly ExploitReport[] {
    return this.reports.get(protocolId) ?? [];
  }

  async fetchMetrics(protocols: readonly ProtocolRef[], now: number): Promise<ProtocolMetrics[]> {
    const withSlug = protocols.filter((p) => p.defiLlamaSlug !== undefined);
    const list = withSlug.length > 0 ? await this.protocolList(now) : undefined;
    const prices = protocols.some((p) => p.stablecoin !== undefined) ? await this.priceTable(now) : undefined;
    const details = new Map<string, Fetched<Record<string, unknown>>>();
    if (this.fetchHistory) {
      const slugs = [...new Set(withSlug.map((p) => p.defiLlamaSlug as string))];
      const fetched = await mapWithConcurrency(slugs, this.concurrency, (slug) => this.protocolDetail(slug, now));
      slugs.forEach((slug, i) => details.set(slug, fetched[i] as Fetched<Record<string, unknown>>));
    }
    const stabilityByCoin = new Map<string, Sourced<number>>();
    const reports = new Map<string, readonly ExploitReport[]>();
    const metrics = protocols.map((ref) => {
      const slug = ref.defiLlamaSlug;
      const detail = slug !== undefined ? details.get(slug) : undefined;
      const coin = ref.stablecoin?.toUpperCase() ?? "";
      let stability = stabilityByCoin.get(coin);
      if (stability === undefined) {
        stability = this.stability(ref, now, prices);
        stabilityByCoin.set(coin, stability);
      }
      const assembled = this.assemble(ref, now, list, detail, stability);
      if (assembled.reports !== undefined) reports.set(ref.id, assembled.reports);
      return assembled.metrics;
    });
    this.reports = reports;
    return metrics;
  }

  // ---- fetching ----------------------------------------------------------------------------

  private async protocolList(now: number): Promise<Fetched<ProtocolList>> {
    if (this.listCache !== undefined && this.isFresh(this.listCache, now, this.listTtl)) return this.listCache;
    const response = await this.api.getJson("/protocols", listSchema);
    const fetched = toFetched(response, now, indexProtocolList, this.api.displayUrlFor("/protocols"));
    // Only successful lists are reused; a failed one is retried next cycle.
    this.listCache = fetched.result.ok ? fetched : undefined;
    return fetched;
  }

  private async priceTable(now: number): Promise<Fetched<PriceTable>> {
    if (this.pricesCache !== undefined && this.isFresh(this.pricesCache, now, this.listTtl)) return this.pricesCache;
    const response = await this.stablecoins.getJson("/stablecoinprices", listSchema);
    const fetched = toFetched(response, now, (rows) => rows as Record<string, unknown>[], this.stablecoins.displayUrlFor("/stablecoinprices"));
    this.pricesCache = fetched.result.ok ? fetched : undefined;
    return fetched;
  }

  private async protocolDetail(slug: string, now: number): Promise<Fetched<Record<string, unknown>>> {
    const cached = this.detailCache.get(slug);
    if (cached !== undefined && this.isFresh(cached, now, this.detailTtl)) return cached;
    const path = `/protocol/${encodeURIComponent(slug)}`;
    const response = await this.api.getJson(path, anyObject);
    let fetched = toFetched(response, now, (obj) => obj as Record<string, unknown>, this.api.displayUrlFor(path));
    if (!response.ok && response.error.kind === "http" && response.error.status === 400) {
      // DefiLlama's answer to an unknown slug: 400 "Protocol not found".
      const error = `${describeHttpError(response.error)} — DefiLlama does not know the slug "${slug}"; check protocols[].defiLlamaSlug against https://api.llama.fi/protocols`;
      fetched = { ...fetched, result: { ok: false, error } };
    }
    if (fetched.result.ok) this.detailCache.set(slug, fetched);
    else this.detailCache.delete(slug);
    return fetched;
  }

  private isFresh(fetched: Fetched<unknown>, now: number, ttl: number): boolean {
    return now >= fetched.at && now - fetched.at < ttl;
  }

  // ---- assembling one protocol's metrics ---------------------------------------------------

  private assemble(
    ref: ProtocolRef,
    now: number,
    list: Fetched<ProtocolList> | undefined,
    detail: Fetched<Record<string, unknown>> | undefined,
    stability: Sourced<number>,
  ): { metrics: ProtocolMetrics; reports?: readonly ExploitReport[] } {
    const notProvided = <T>(what: string): Sourced<T> => missing(`${what} is not provided by DefiLlama`);
    if (ref.defiLlamaSlug === undefined) {
      return { metrics: { ...allMissing(ref.id, "no defiLlamaSlug configured"), tokenPriceStability: stability, ...this.notProvidedFields(notProvided) } };
    }
    const slug = ref.defiLlamaSlug;
    const parent = this.parentError(slug, list, detail);
    if (parent !== undefined) {
      return { metrics: { ...allMissing(ref.id, parent), tokenPriceStability: stability, ...this.notProvidedFields(notProvided) } };
    }
    const entry = this.listEntry(list, slug);
    const history = this.history(detail, now);

    const tvlFromList = entry.ok ? this.listField(entry.value, "tvl", tvlNumber, list) : undefined;
    let tvlUsd: Sourced<number>;
    if (tvlFromList?.value !== undefined) tvlUsd = tvlFromList;
    else tvlUsd = this.tvlFromHistory(history, now, entry.ok ? tvlFromList?.error ?? "tvl absent from the /protocols row" : entry.error);

    const exploits = this.exploitHistory(ref, detail);
    return {
      metrics: {
        protocol: ref.id,
        tvlUsd,
        tvlChange7d: this.change(history, now, 7),
        tvlChange30d: this.change(history, now, 30),
        tvlHistory: history.ok
          ? sourced(recentHistory(history.points, now, this.historyDays), history.provenance)
          : missing(history.error),
        auditScore: this.auditScore(entry, list, detail),
        deployedAt: this.listedAt(entry, list, detail),
        exploitCount: exploits.count,
        lastExploitAt: exploits.last,
        teamReputation: notProvided("team reputation"),
        githubActivity: notProvided("GitHub activity"),
        tokenPriceStability: stability,
      },
      ...(exploits.reports !== undefined ? { reports: exploits.reports } : {}),
    };
  }

  private notProvidedFields(notProvided: <T>(what: string) => Sourced<T>): Pick<ProtocolMetrics, "teamReputation" | "githubActivity"> {
    return { teamReputation: notProvided("team reputation"), githubActivity: notProvided("GitHub activity") };
  }

  /**
   * The newest history point as the current TVL, only when it is recent enough: a protocol
   * DefiLlama stopped updating must not keep its last TVL forever. No point = no data yet.
   */
  private tvlFromHistory(history: History, now: number, why: string): Sourced<number> {
    if (!history.ok) return missing(joinErrors(why, history.error));
    const latest = history.latest;
    if (latest === undefined) return missing(joinErrors(why, "no TVL data yet (empty history): missing, not $0"));
    const age = now - latest.date;
    if (age > this.maxTvlAgeSeconds) {
      return missing(
        joinErrors(why, `newest TVL point is ${Math.round(age / 3600)} h old (limit ${Math.round(this.maxTvlAgeSeconds / 3600)} h): DefiLlama has no current TVL for it`),
        history.provenance,
      );
    }
    return sourced(latest.tvlUsd, history.provenance);
  }

  /** An error naming the children when `slug` is a parent protocol; undefined otherwise. */
  private parentError(
    slug: string,
    list: Fetched<ProtocolList> | undefined,
    detail: Fetched<Record<string, unknown>> | undefined,
  ): string | undefined {
    const value = detail?.result.ok === true ? detail.result.value : undefined;
    const detailId = value?.["id"];
    const isParent = value?.["isParentProtocol"] === true || parentId.safeParse(detailId).success;
    const listed = list?.result.ok === true ? list.result.value : undefined;
    const childrenBySlug = listed?.childrenByParentSlug.get(slug);
    if (!isParent && (childrenBySlug === undefined || listed?.bySlug.has(slug) === true)) return undefined;
    const id = typeof detailId === "string" ? detailId : `parent#${slug}`;
    const children = [...new Set([...(listed?.childrenByParent.get(id) ?? []), ...(childrenBySlug ?? [])])].sort();
    const names = value?.["otherProtocols"];
    const pick =
      children.length > 0
        ? `set protocols[].defiLlamaSlug to the child that holds the position: ${children.join(", ")}`
        : Array.isArray(names) && names.length > 1
          ? `set protocols[].defiLlamaSlug to the slug of the child that holds the position (DefiLlama lists: ${names.slice(1).map(String).join(", ")})`
          : "set protocols[].defiLlamaSlug to the slug of the child that holds the position";
    const error = `"${slug}" is a DefiLlama parent protocol (${id}) with no audits or listing date of its own — ${pick}`;
    if (!this.reportedParents.has(slug)) {
      this.reportedParents.add(slug);
      this.logger.error({ slug, parent: id, children }, "DefiLlama slug is a parent protocol: pick a child");
    }
    return error;
  }

  private listEntry(list: Fetched<ProtocolList> | undefined, slug: string): Parsed<ListEntry> {
    if (list === undefined) return { ok: false, error: "protocol list not fetched" };
    if (!list.result.ok) return { ok: false, error: `protocol list: ${list.result.error}` };
    const entry = list.result.value.bySlug.get(slug);
    if (entry === undefined) {
      return { ok: false, error: `slug "${slug}" not in ${list.url} (no DefiLlama update for 24 h, or not a protocol slug)` };
    }
    return { ok: true, value: entry };
  }

  /** One field of a `/protocols` entry, validated on its own; undefined when absent. */
  private listField<T>(
    entry: ListEntry,
    field: string,
    schema: z.ZodType<T, z.ZodTypeDef, unknown>,
    list: Fetched<ProtocolList> | undefined,
    source: string = DEFILLAMA_SOURCE,
  ): Sourced<T> | undefined {
    const raw = entry.raw[field];
    if (raw === undefined || list === undefined) return undefined;
    const path = `[${entry.index}].${field}`;
    if (raw === null) return missing(`${list.url} ${path} is null`);
    const parsed = parseField(schema, raw, path);
    if (!parsed.ok) return missing(`${list.url} ${parsed.error}`);
    return sourced(parsed.value, { source, ref: `${list.url}#${path}`, fetchedAt: list.at });
  }

  private detailField<T>(
    detail: Fetched<Record<string, unknown>> | undefined,
    field: string,
    schema: z.ZodType<T, z.ZodTypeDef, unknown>,
    source: string,
  ): Sourced<T> | undefined {
    if (detail === undefined || !detail.result.ok) return undefined;
    const raw = detail.result.value[field];
    if (raw === undefined) return undefined;
    if (raw === null) return missing(`${detail.url} ${field} is null`);
    const parsed = parseField(schema, raw, field);
    if (!parsed.ok) return missing(`${detail.url} ${parsed.error}`);
    return sourced(parsed.value, { source, ref: `${detail.url}#${field}`, fetchedAt: detail.at });
  }

  private auditScore(
    entry: Parsed<ListEntry>,
    list: Fetched<ProtocolList> | undefined,
    detail: Fetched<Record<string, unknown>> | undefined,
  ): Sourced<number> {
    // `audits` only: the number of `audit_links` says nothing about audit quality.
    const category = firstValue(
      [
        entry.ok ? this.listField(entry.value, "audits", auditsField, list, DEFILLAMA_AUDITS_SOURCE) : undefined,
        this.detailField(detail, "audits", auditsField, DEFILLAMA_AUDITS_SOURCE),
      ],
      "no audits field in DefiLlama data (audit status unknown)",
      unreadDocuments(entry, detail),
    );
    if (category.value === undefined) return { value: undefined, provenance: category.provenance, error: category.error ?? "audits unknown" };
    return { value: auditScoreFromCategory(category.value, this.auditTable), provenance: category.provenance };
  }

  /**
   * Exploit count and latest exploit date from the detail's hallmarks. Without hallmarks the
   * count is a known 0 (DefiLlama annotates notable exploits on the chart); without a detail it
   * is missing.
   */
  private exploitHistory(
    ref: ProtocolRef,
    detail: Fetched<Record<string, unknown>> | undefined,
  ): { count: Sourced<number>; last: Sourced<number>; reports?: readonly ExploitReport[] } {
    if (!this.exploitsFromHallmarks) {
      const off = missing<number>("exploit hallmarks disabled (exploitsFromHallmarks=false)");
      return { count: off, last: off };
    }
    if (!this.fetchHistory) {
      const off = missing<number>("hallmarks need the protocol detail (fetchHistory=false)");
      return { count: off, last: off };
    }
    if (detail === undefined) {
      const error = missing<number>("protocol detail not fetched");
      return { count: error, last: error };
    }
    if (!detail.result.ok) {
      const error = missing<number>(detail.result.error);
      return { count: error, last: error };
    }
    const provenance: Provenance = { source: DEFILLAMA_HALLMARKS_SOURCE, ref: `${detail.url}#hallmarks`, fetchedAt: detail.at };
    const raw = detail.result.value["hallmarks"];
    let hallmarks: [number | [number, number], string][] = [];
    if (raw !== undefined && raw !== null) {
      const parsed = parseField(hallmarkField, raw, "hallmarks");
      if (!parsed.ok) {
        const error = missing<number>(`${detail.url} ${parsed.error}`);
        return { count: error, last: error };
      }
      hallmarks = parsed.value;
    }
    const idValue = detail.result.value["id"];
    const key = typeof idValue === "string" || typeof idValue === "number" ? String(idValue) : (ref.defiLlamaSlug ?? ref.id);
    const reports: ExploitReport[] = hallmarks
      .map(([when, text]) => ({ at: typeof when === "number" ? when : when[0], text }))
      .filter((h) => this.exploitPattern.test(h.text))
      .sort((a, b) => a.at - b.at)
      .map((h) => ({
        kind: "hallmark" as const,
        protocolId: ref.id,
        sourceId: `defillama-hallmark:${key}:${h.at}`,
        occurredAt: h.at,
        description: `DefiLlama hallmark: ${h.text}`,
        sourceRef: provenance.ref,
      }));
    const last = reports[reports.length - 1];
    return {
      count: sourced(reports.length, provenance),
      last: last !== undefined ? sourced(last.occurredAt, provenance) : knownAbsent(provenance),
      reports,
    };
  }

  private listedAt(
    entry: Parsed<ListEntry>,
    list: Fetched<ProtocolList> | undefined,
    detail: Fetched<Record<string, unknown>> | undefined,
  ): Sourced<number> {
    return firstValue(
      [
        entry.ok ? this.listField(entry.value, "listedAt", unixSeconds, list, DEFILLAMA_LISTED_AT_SOURCE) : undefined,
        this.detailField(detail, "listedAt", unixSeconds, DEFILLAMA_LISTED_AT_SOURCE),
      ],
      "no listedAt field in DefiLlama data",
      unreadDocuments(entry, detail),
    );
  }

  private history(
    detail: Fetched<Record<string, unknown>> | undefined,
    now: number,
  ): History {
    if (!this.fetchHistory) return { ok: false, error: "TVL history disabled (fetchHistory=false)" };
    if (detail === undefined) return { ok: false, error: "protocol detail not fetched" };
    if (!detail.result.ok) return { ok: false, error: detail.result.error };
    const raw = detail.result.value["tvl"];
    if (raw === undefined) return { ok: false, error: `${detail.url} has no tvl field` };
    const parsed = parseField(tvlHistoryField, raw, "tvl");
    if (!parsed.ok) return { ok: false, error: `${detail.url} ${parsed.error}` };
    const points = parsed.value
      .map((p) => ({ date: p.date, tvlUsd: p.totalLiquidityUSD }))
      .filter((p) => p.date <= now)
      .sort((a, b) => a.date - b.date);
    return {
      ok: true,
      points,
      latest: points[points.length - 1],
      provenance: { source: DEFILLAMA_SOURCE, ref: `${detail.url}#tvl`, fetchedAt: detail.at },
    };
  }

  private change(history: History, now: number, days: number): Sourced<number> {
    if (!history.ok) return missing(history.error);
    const computed = tvlChange(history.points, now, days, this.maxGapSeconds);
    return computed.ok ? sourced(computed.value, history.provenance) : missing(computed.reason, history.provenance);
  }

  private stability(ref: ProtocolRef, now: number, prices: Fetched<PriceTable> | undefined): Sourced<number> {
    if (ref.stablecoin === undefined) return missing("no stablecoin configured for this protocol");
    const id = this.priceIds[ref.stablecoin.toUpperCase()];
    if (id === undefined) return missing(`no DefiLlama price id for stablecoin ${ref.stablecoin} (set stablecoinPriceIds)`);
    if (prices === undefined) return missing("stablecoin prices not fetched");
    if (!prices.result.ok) return missing(prices.result.error);
    const series: PricePoint[] = [];
    const rows = prices.result.value;
    for (let i = 0; i < rows.length; i++) {
      const shape = parseField(pricePointShape, rows[i], `[${i}]`);
      if (!shape.ok) return missing(`${prices.url} ${shape.error}`);
      const price = parseField(priceValue, shape.value.prices[id], `[${i}].prices.${id}`);
      if (!price.ok) return missing(`${prices.url} ${price.error}`);
      if (price.value !== null && price.value !== undefined) series.push({ date: shape.value.date, price: price.value });
    }
    if (series.length === 0) return missing(`${prices.url} has no prices for ${id}`);
    const provenance: Provenance = { source: DEFILLAMA_STABLECOINS_SOURCE, ref: `${prices.url}#${id}`, fetchedAt: prices.at };
    const computed = pegStability(series, now, this.stabilityDays);
    return computed.ok ? sourced(computed.value, provenance) : missing(`${id}: ${computed.reason}`, provenance);
  }
}

function toFetched<T, U>(response: HttpResult<T>, now: number, map: (data: T) => U, url: string): Fetched<U> {
  if (!response.ok) return { result: { ok: false, error: describeHttpError(response.error) }, url, at: now };
  return { result: { ok: true, value: map(response.data) }, url: response.meta.url, at: now };
}

/**
 * The first candidate with a value; else missing with every candidate's error. `absent` (the data
 * lacks the field) is said only when every document was read: when one could not be (network
 * error, HTTP status, schema), its reason is the cause, not the data.
 */
function firstValue<T>(candidates: readonly (Sourced<T> | undefined)[], absent: string, unread: readonly string[] = []): Sourced<T> {
  const present = candidates.filter((c): c is Sourced<T> => c !== undefined);
  const withValue = present.find((c) => c.value !== undefined);
  if (withValue !== undefined) return withValue;
  const errors = present.map((c) => c.error).filter((e): e is string => e !== undefined);
  if (errors.length > 0 || unread.length === 0) return missing([...errors, ...unread].join("; ") || absent);
  return missing(`not read: ${unread.join("; ")}`);
}

/** Why the `/protocols` row or the `/protocol/<slug>` detail could not be read (empty when both were). */
function unreadDocuments(entry: Parsed<ListEntry>, detail: Fetched<Record<string, unknown>> | undefined): string[] {
  const reasons: string[] = [];
  if (!entry.ok) reasons.push(entry.error);
  if (detail === undefined) reasons.push("protocol detail not fetched");
  else if (!detail.result.ok) reasons.push(`protocol detail: ${detail.result.error}`);
  return reasons;
}

function joinErrors(...errors: (string | undefined)[]): string {
  const present = errors.filter((e): e is string => e !== undefined && e !== "");
  return present.length > 0 ? present.join("; ") : "no TVL available";
}

/** Indexes `/protocols` by slug, and the children of every parent. */
function indexProtocolList(rows: readonly unknown[]): ProtocolList {
  const bySlug = new Map<string, ListEntry>();
  const childrenByParent = new Map<string, string[]>();
  const childrenByParentSlug = new Map<string, string[]>();
  const add = (map: Map<string, string[]>, key: unknown, slug: string): void => {
    if (typeof key !== "string" || key === "") return;
    const children = map.get(key) ?? [];
    if (!children.includes(slug)) children.push(slug);
    map.set(key, children);
  };
  rows.forEach((row, index) => {
    const parsed = slugField.safeParse(row);
    if (!parsed.success) return;
    const slug = parsed.data.slug;
    if (!bySlug.has(slug)) bySlug.set(slug, { raw: parsed.data, index });
    add(childrenByParent, parsed.data["parentProtocol"], slug);
    add(childrenByParentSlug, parsed.data["parentProtocolSlug"], slug);
  });
  return { bySlug, childrenByParent, childrenByParentSlug };
}
