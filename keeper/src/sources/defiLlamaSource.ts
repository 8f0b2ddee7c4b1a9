/**
 * DefiLlama: TVL (current, history, 7/30-day change), audit count, listing date, and stablecoin
 * peg stability.
 *
 * Requests per cycle, whatever the portfolio size:
 *   - `GET {api}/protocols` at most once (and reused for `listTtlSeconds` across cycles) — current
 *     TVL, audits and listing date of every protocol;
 *   - `GET {api}/protocol/{slug}` at most once per protocol (only when `fetchHistory`, reused for
 *     `detailTtlSeconds`) — the TVL history behind the 7/30-day changes;
 *   - `GET {stablecoins}/stablecoinprices` at most once, and only if a protocol names a stablecoin.
 *
 * Response shapes (public API, checked against DefiLlama's server code):
 *   /protocols          [{ slug, tvl: number|null, audits?: "2", audit_links?: string[], listedAt?: unix s, ... }]
 *   /protocol/{slug}    { tvl: [{ date: unix s, totalLiquidityUSD }], audits?, audit_links?, listedAt?, ... }
 *   /stablecoinprices   [{ date: unix s, prices: { [coingeckoId]: number } }]
 * Schemas accept extra fields and are strict on the fields read. Each field is validated on its
 * own, so a bad `tvl` element only loses the TVL metrics (with the field path in `error`).
 *
 * Audit score: DefiLlama gives only a count of audits. It is mapped with a documented heuristic
 * (0 → 0 unaudited, 1 → 70, 2 → 80, ≥3 → 90; provenance "defillama-audits-count"), overridable
 * through `auditScoreByCount`; an operator's own score (configSource) should take precedence.
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
import { DAY_SECONDS, firstIssue, missing, sourced } from "./metrics";
import { mapWithConcurrency } from "./pool";
import { pegStability, recentHistory, tvlChange, type PricePoint } from "./seriesMath";
import type { ProtocolMetrics, ProtocolRef, Provenance, RiskDataSource, Sourced, TvlPoint } from "./types";

/** Public DefiLlama endpoints, for the config module's defaults (never used here directly). */
export const DEFILLAMA_DEFAULT_URLS = {
  apiBaseUrl: "https://api.llama.fi",
  stablecoinsBaseUrl: "https://stablecoins.llama.fi",
} as const;

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

/** Audit count → audit score (0-100). */
export interface AuditScoreByCount {
  readonly none: number;
  readonly one: number;
  readonly two: number;
  readonly threeOrMore: number;
}

export const DEFAULT_AUDIT_SCORE_BY_COUNT: AuditScoreByCount = { none: 0, one: 70, two: 80, threeOrMore: 90 };

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
  readonly auditScoreByCount?: Partial<AuditScoreByCount>;
  /** Extra or replacement symbol → price-id entries. */
  readonly stablecoinPriceIds?: Readonly<Record<string, string>>;
}

export const DEFILLAMA_SOURCE = "defillama";
export const DEFILLAMA_AUDITS_SOURCE = "defillama-audits-count";
export const DEFILLAMA_LISTED_AT_SOURCE = "defillama-listedAt";
export const DEFILLAMA_STABLECOINS_SOURCE = "defillama-stablecoins";

/** Maps an audit count to a score with the given (or default) table. */
export function auditScoreFromCount(count: number, table: AuditScoreByCount = DEFAULT_AUDIT_SCORE_BY_COUNT): number {
  if (count <= 0) return table.none;
  if (count === 1) return table.one;
  if (count === 2) return table.two;
  return table.threeOrMore;
}

// ---- schemas (each field on its own) -------------------------------------------------------

const anyObject = z.object({}).passthrough();
const listSchema = z.array(z.unknown());
const slugField = z.object({ slug: z.string() }).passthrough();
const tvlNumber = z.number().finite().nonnegative();
const auditsField = z.union([
  z.string().regex(/^\d+$/, "expected a decimal count").transform(Number),
  z.number().int().nonnegative(),
]);
const auditLinksField = z.array(z.string());
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

type ProtocolList = ReadonlyMap<string, ListEntry>;
type PriceTable = readonly Record<string, unknown>[];

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
  private readonly auditTable: AuditScoreByCount;
  private readonly priceIds: Readonly<Record<string, string>>;
  private listCache: Fetched<ProtocolList> | undefined;
  private pricesCache: Fetched<PriceTable> | undefined;
  private readonly detailCache = new Map<string, Fetched<Record<string, unknown>>>();

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
    this.auditTable = { ...DEFAULT_AUDIT_SCORE_BY_COUNT, ...config.auditScoreByCount };
    const upper = Object.entries(config.stablecoinPriceIds ?? {}).map(([k, v]) => [k.toUpperCase(), v] as const);
    this.priceIds = { ...DEFAULT_STABLECOIN_PRICE_IDS, ...Object.fromEntries(upper) };
  }

  /** HTTP requests sent so far on both base URLs (every attempt counts). */
  get requestCount(): number {
    return this.api.requestCount + this.stablecoins.requestCount;
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
    return protocols.map((ref) => {
      const slug = ref.defiLlamaSlug;
      const detail = slug !== undefined ? details.get(slug) : undefined;
      const coin = ref.stablecoin?.toUpperCase() ?? "";
      let stability = stabilityByCoin.get(coin);
      if (stability === undefined) {
        stability = this.stability(ref, now, prices);
        stabilityByCoin.set(coin, stability);
      }
      return this.assemble(ref, now, list, detail, stability);
    });
  }

  // ---- fetching ----------------------------------------------------------------------------

  private async protocolList(now: number): Promise<Fetched<ProtocolList>> {
    if (this.listCache !== undefined && this.isFresh(this.listCache, now, this.listTtl)) return this.listCache;
    const response = await this.api.getJson("/protocols", listSchema);
    const fetched = toFetched(response, now, (rows) => {
      const bySlug = new Map<string, ListEntry>();
      rows.forEach((row, index) => {
        const parsed = slugField.safeParse(row);
        if (parsed.success && !bySlug.has(parsed.data.slug)) bySlug.set(parsed.data.slug, { raw: parsed.data, index });
      });
      return bySlug;
    }, this.api.urlFor("/protocols"));
    // Only successful lists are reused; a failed one is retried next cycle.
    this.listCache = fetched.result.ok ? fetched : undefined;
    return fetched;
  }

  private async priceTable(now: number): Promise<Fetched<PriceTable>> {
    if (this.pricesCache !== undefined && this.isFresh(this.pricesCache, now, this.listTtl)) return this.pricesCache;
    const response = await this.stablecoins.getJson("/stablecoinprices", listSchema);
    const fetched = toFetched(response, now, (rows) => rows as Record<string, unknown>[], this.stablecoins.urlFor("/stablecoinprices"));
    this.pricesCache = fetched.result.ok ? fetched : undefined;
    return fetched;
  }

  private async protocolDetail(slug: string, now: number): Promise<Fetched<Record<string, unknown>>> {
    const cached = this.detailCache.get(slug);
    if (cached !== undefined && this.isFresh(cached, now, this.detailTtl)) return cached;
    const path = `/protocol/${encodeURIComponent(slug)}`;
    const response = await this.api.getJson(path, anyObject);
    const fetched = toFetched(response, now, (obj) => obj as Record<string, unknown>, this.api.urlFor(path));
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
  ): ProtocolMetrics {
    const notProvided = <T>(what: string): Sourced<T> => missing(`${what} is not provided by DefiLlama`);
    if (ref.defiLlamaSlug === undefined) {
      const noSlug = <T>(): Sourced<T> => missing("no defiLlamaSlug configured");
      return {
        protocol: ref.id,
        tvlUsd: noSlug(),
        tvlChange7d: noSlug(),
        tvlChange30d: noSlug(),
        tvlHistory: noSlug(),
        auditScore: noSlug(),
        deployedAt: noSlug(),
        exploitCount: notProvided("exploit count"),
        lastExploitAt: notProvided("last exploit date"),
        teamReputation: notProvided("team reputation"),
        githubActivity: notProvided("GitHub activity"),
        tokenPriceStability: stability,
      };
    }
    const slug = ref.defiLlamaSlug;
    const entry = this.listEntry(list, slug);
    const history = this.history(detail, now);

    const tvlFromList = entry.ok ? this.listField(entry.value, "tvl", tvlNumber, list) : undefined;
    let tvlUsd: Sourced<number>;
    if (tvlFromList?.value !== undefined) tvlUsd = tvlFromList;
    else if (history.ok && history.latest !== undefined) {
      tvlUsd = sourced(history.latest.tvlUsd, history.provenance);
    } else {
      tvlUsd = missing(joinErrors(entry.ok ? tvlFromList?.error : entry.error, history.ok ? "empty TVL history" : history.error));
    }

    return {
      protocol: ref.id,
      tvlUsd,
      tvlChange7d: this.change(history, now, 7),
      tvlChange30d: this.change(history, now, 30),
      tvlHistory: history.ok
        ? sourced(recentHistory(history.points, now, this.historyDays), history.provenance)
        : missing(history.error),
      auditScore: this.auditScore(entry, list, detail),
      deployedAt: this.listedAt(entry, list, detail),
      exploitCount: notProvided("exploit count"),
      lastExploitAt: notProvided("last exploit date"),
      teamReputation: notProvided("team reputation"),
      githubActivity: notProvided("GitHub activity"),
      tokenPriceStability: stability,
    };
  }

  private listEntry(list: Fetched<ProtocolList> | undefined, slug: string): Parsed<ListEntry> {
    if (list === undefined) return { ok: false, error: "protocol list not fetched" };
    if (!list.result.ok) return { ok: false, error: `protocol list: ${list.result.error}` };
    const entry = list.result.value.get(slug);
    if (entry === undefined) return { ok: false, error: `slug "${slug}" not in ${list.url}` };
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
    const candidates: (Sourced<number> | undefined)[] = [
      entry.ok ? this.listField(entry.value, "audits", auditsField, list, DEFILLAMA_AUDITS_SOURCE) : undefined,
      this.detailField(detail, "audits", auditsField, DEFILLAMA_AUDITS_SOURCE),
      // No count but a list of audit reports: count the links.
      mapSourced(entry.ok ? this.listField(entry.value, "audit_links", auditLinksField, list, DEFILLAMA_AUDITS_SOURCE) : undefined, (l) => l.length),
      mapSourced(this.detailField(detail, "audit_links", auditLinksField, DEFILLAMA_AUDITS_SOURCE), (l) => l.length),
    ];
    const count = firstValue(candidates, "no audits field in DefiLlama data");
    if (count.value === undefined) return count;
    return { ...count, value: auditScoreFromCount(count.value, this.auditTable) };
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
    );
  }

  private history(
    detail: Fetched<Record<string, unknown>> | undefined,
    now: number,
  ):
    | { ok: true; points: TvlPoint[]; latest: TvlPoint | undefined; provenance: Provenance }
    | { ok: false; error: string } {
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

  private change(history: ReturnType<DefiLlamaSource["history"]>, now: number, days: number): Sourced<number> {
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

function mapSourced<T, U>(metric: Sourced<T> | undefined, map: (value: T) => U): Sourced<U> | undefined {
  if (metric === undefined) return undefined;
  if (metric.value === undefined) return { value: undefined, provenance: metric.provenance, error: metric.error };
  return { value: map(metric.value), provenance: metric.provenance };
}

/** The first candidate with a value; else missing with every candidate's error. */
function firstValue<T>(candidates: readonly (Sourced<T> | undefined)[], absent: string): Sourced<T> {
  const present = candidates.filter((c): c is Sourced<T> => c !== undefined);
  const withValue = present.find((c) => c.value !== undefined);
  if (withValue !== undefined) return withValue;
  const errors = present.map((c) => c.error).filter((e): e is string => e !== undefined);
  return missing(errors.length > 0 ? errors.join("; ") : absent);
}

function joinErrors(...errors: (string | undefined)[]): string {
  const present = errors.filter((e): e is string => e !== undefined && e !== "");
  return present.length > 0 ? present.join("; ") : "no TVL available";
}
