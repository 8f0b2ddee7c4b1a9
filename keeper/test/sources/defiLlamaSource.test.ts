import { expect } from "chai";
import {
  DEFILLAMA_AUDITS_SOURCE,
  DEFILLAMA_LISTED_AT_SOURCE,
  DEFILLAMA_STABLECOINS_SOURCE,
  DefiLlamaSource,
  auditScoreFromCount,
  type DefiLlamaSourceConfig,
} from "../../src/sources/defiLlamaSource";
import { DAY_SECONDS } from "../../src/sources/metrics";
import { pegStability, tvlChange } from "../../src/sources/seriesMath";
import type { ProtocolRef } from "../../src/sources/types";
import { startLoopbackServer, type LoopbackServer } from "../helpers/loopbackServer";
import { testDeps, type TestDeps } from "./testDeps";

const NOW = 1_800_000_000;
const DAY = DAY_SECONDS;

/** Daily history for 40 days ending at NOW: 1200 until 30 days ago, 1000 at 7 days ago, 900 now. */
function historyPoints(): { date: number; totalLiquidityUSD: number }[] {
  const points = [];
  for (let k = 40; k >= 0; k--) {
    const tvl = k >= 30 ? 1200 : k >= 7 ? 1000 + (k - 7) * 5 : 900 + k * 10;
    points.push({ date: NOW - k * DAY, totalLiquidityUSD: k === 7 ? 1000 : tvl });
  }
  return points;
}

function listEntry(slug: string, extra: Record<string, unknown> = {}): Record<string, unknown> {
  return { id: "1", name: slug, slug, tvl: 123_456_789, audits: "2", audit_links: ["https://a", "https://b"], listedAt: 1_600_000_000, chains: ["Ethereum"], ...extra };
}

function prices(): { date: number; prices: Record<string, unknown> }[] {
  const rows = [];
  for (let k = 40; k >= 0; k--) {
    // usd-coin: worst deviation in the window is 0.97 (k = 10); a 0.80 depeg 35 days ago is outside it.
    const usdc = k === 35 ? 0.8 : k === 10 ? 0.97 : 1.001;
    rows.push({ date: NOW - k * DAY, prices: { "usd-coin": usdc, tether: k === 3 ? 1.004 : 1.0, dai: null } });
  }
  return rows;
}

const aave: ProtocolRef = { id: "aave-v3", address: "0x01", defiLlamaSlug: "aave-v3", name: "Aave V3", stablecoin: "USDC" };

describe("sources/defiLlamaSource", () => {
  let server: LoopbackServer;
  let deps: TestDeps;

  const source = (config: Partial<DefiLlamaSourceConfig> = {}): DefiLlamaSource =>
    new DefiLlamaSource(
      {
        apiBaseUrl: `${server.baseUrl}/api`,
        stablecoinsBaseUrl: `${server.baseUrl}/stables`,
        http: { maxAttempts: 2, timeoutMs: 2_000 },
        ...config,
      },
      deps,
    );

  beforeEach(async () => {
    deps = testDeps();
    server = await startLoopbackServer({
      "/api/protocols": { json: [listEntry("other"), listEntry("aave-v3")] },
      "/api/protocol/aave-v3": { json: { id: "1", name: "Aave V3", tvl: historyPoints(), chainTvls: {}, audits: "2" } },
      "/stables/stablecoinprices": { json: prices() },
    });
  });
  afterEach(async () => {
    await server.close();
  });

  it("reads TVL, 7/30-day changes, history, audit score, listing date and peg stability", async () => {
    const [m] = await source().fetchMetrics([aave], NOW);
    expect(m?.protocol).to.equal("aave-v3");
    expect(m?.tvlUsd.value).to.equal(123_456_789);
    expect(m?.tvlUsd.provenance).to.deep.equal({
      source: "defillama",
      ref: `${server.baseUrl}/api/protocols#[1].tvl`,
      fetchedAt: NOW,
    });
    expect(m?.tvlChange7d.value).to.be.closeTo(-0.1, 1e-12);
    expect(m?.tvlChange30d.value).to.be.closeTo(-0.25, 1e-12);
    expect(m?.tvlHistory.value).to.have.length(36); // 35 days back, inclusive
    expect(m?.tvlHistory.value?.[35]).to.deep.equal({ date: NOW, tvlUsd: 900 });
    expect(m?.auditScore.value).to.equal(80);
    expect(m?.auditScore.provenance?.source).to.equal(DEFILLAMA_AUDITS_SOURCE);
    expect(m?.deployedAt.value).to.equal(1_600_000_000);
    expect(m?.deployedAt.provenance?.source).to.equal(DEFILLAMA_LISTED_AT_SOURCE);
    expect(m?.tokenPriceStability.value).to.be.closeTo(0.97, 1e-12);
    expect(m?.tokenPriceStability.provenance?.source).to.equal(DEFILLAMA_STABLECOINS_SOURCE);
    expect(m?.exploitCount.value).to.equal(undefined);
    expect(m?.exploitCount.error).to.match(/not provided by DefiLlama/);
    expect(server.requestCount()).to.equal(3);
  });

  it("marks only the TVL history metrics missing when one history element has a wrong type", async () => {
    const bad = historyPoints();
    (bad[2] as Record<string, unknown>)["totalLiquidityUSD"] = "lots";
    server.route("/api/protocol/aave-v3", { json: { tvl: bad, audits: "2" } });
    const [m] = await source().fetchMetrics([aave], NOW);
    for (const metric of [m?.tvlHistory, m?.tvlChange7d, m?.tvlChange30d]) {
      expect(metric?.value).to.equal(undefined);
      expect(metric?.error).to.contain("tvl[2].totalLiquidityUSD");
    }
    expect(m?.tvlUsd.value).to.equal(123_456_789);
    expect(m?.auditScore.value).to.equal(80);
    expect(m?.tokenPriceStability.value).to.be.closeTo(0.97, 1e-12);
  });

  it("marks only the audit score missing when the list entry's audits field is malformed", async () => {
    server.route("/api/protocols", { json: [listEntry("aave-v3", { audits: ["x"], audit_links: undefined })] });
    server.route("/api/protocol/aave-v3", { json: { tvl: historyPoints() } });
    const [m] = await source().fetchMetrics([aave], NOW);
    expect(m?.auditScore.value).to.equal(undefined);
    expect(m?.auditScore.error).to.contain("[0].audits");
    expect(m?.tvlUsd.value).to.equal(123_456_789);
  });

  it("falls back to the history for current TVL when the list is down", async () => {
    server.route("/api/protocols", { status: 503 });
    const [m] = await source().fetchMetrics([aave], NOW);
    expect(m?.tvlUsd.value).to.equal(900);
    expect(m?.tvlUsd.provenance?.ref).to.equal(`${server.baseUrl}/api/protocol/aave-v3#tvl`);
    // audits come from the detail when the list is unavailable
    expect(m?.auditScore.value).to.equal(80);
    expect(m?.deployedAt.value).to.equal(undefined);
    expect(m?.deployedAt.error).to.match(/no listedAt|protocol list/);
  });

  it("reports a protocol missing from the list and a 404 detail without touching others", async () => {
    const ghost: ProtocolRef = { id: "ghost", address: "0x02", defiLlamaSlug: "ghost", name: "Ghost" };
    const [a, g] = await source().fetchMetrics([aave, ghost], NOW);
    expect(a?.tvlUsd.value).to.equal(123_456_789);
    expect(g?.tvlUsd.value).to.equal(undefined);
    expect(g?.tvlUsd.error).to.contain('slug "ghost" not in');
    expect(g?.tvlChange7d.error).to.match(/http error.*HTTP 404/);
    expect(server.requestCount("/api/protocol/ghost")).to.equal(1);
  });

  it("computes stability per coin and names a wrong-typed price field", async () => {
    const rows = prices();
    (rows[40] as { prices: Record<string, unknown> }).prices["usd-coin"] = "1.0";
    server.route("/stables/stablecoinprices", { json: rows });
    const usdt: ProtocolRef = { ...aave, id: "t", stablecoin: "usdt" };
    const dai: ProtocolRef = { ...aave, id: "d", stablecoin: "DAI" };
    const odd: ProtocolRef = { ...aave, id: "o", stablecoin: "XYZ" };
    const [c, t, d, o] = await source().fetchMetrics([aave, usdt, dai, odd], NOW);
    expect(c?.tokenPriceStability.value).to.equal(undefined);
    expect(c?.tokenPriceStability.error).to.contain("[40].prices.usd-coin");
    expect(t?.tokenPriceStability.value).to.be.closeTo(0.996, 1e-12);
    expect(d?.tokenPriceStability.error).to.contain("no prices for dai");
    expect(o?.tokenPriceStability.error).to.contain("no DefiLlama price id for stablecoin XYZ");
    expect(server.requestCount("/stables/stablecoinprices")).to.equal(1);
  });

  it("issues one list call and at most one detail call per protocol for a 200-protocol portfolio", async () => {
    const refs: ProtocolRef[] = Array.from({ length: 200 }, (_, i) => ({
      id: `p${i}`,
      address: `0x${i.toString(16)}`,
      defiLlamaSlug: `p${i}`,
      name: `P${i}`,
      stablecoin: i % 2 === 0 ? "USDC" : "USDT",
    }));
    server.route("/api/protocols", { json: refs.map((r) => listEntry(r.defiLlamaSlug as string)) });
    server.route("/api/protocol/*", { json: { tvl: historyPoints() } });
    const llama = source({ concurrency: 8 });
    const metrics = await llama.fetchMetrics(refs, NOW);
    expect(metrics).to.have.length(200);
    expect(metrics.every((m) => m.tvlChange30d.value !== undefined)).to.equal(true);
    expect(server.requestCount("/api/protocols")).to.equal(1);
    expect(server.requestCount("/api/protocol/*")).to.equal(200);
    expect(server.requestCount("/stables/stablecoinprices")).to.equal(1);
    expect(llama.requestCount).to.equal(202);

    // The next cycle within the TTLs reuses everything.
    await llama.fetchMetrics(refs, NOW + 60);
    expect(server.requestCount()).to.equal(202);
    // After the list TTL the list and prices are refetched, details still cached.
    await llama.fetchMetrics(refs, NOW + 601);
    expect(server.requestCount("/api/protocols")).to.equal(2);
    expect(server.requestCount("/api/protocol/*")).to.equal(200);
  });

  it("serves TVL from the list alone when history is disabled (no detail calls)", async () => {
    const [m] = await source({ fetchHistory: false }).fetchMetrics([aave], NOW);
    expect(m?.tvlUsd.value).to.equal(123_456_789);
    expect(m?.tvlChange7d.error).to.contain("fetchHistory=false");
    expect(server.requestCount("/api/protocol/*")).to.equal(0);
  });

  it("maps audit counts with the documented heuristic, overridable", async () => {
    expect([0, 1, 2, 3, 7].map((n) => auditScoreFromCount(n))).to.deep.equal([0, 70, 80, 90, 90]);
    server.route("/api/protocols", { json: [listEntry("aave-v3", { audits: "1" })] });
    const [m] = await source({ auditScoreByCount: { one: 55 } }).fetchMetrics([aave], NOW);
    expect(m?.auditScore.value).to.equal(55);
  });

  it("leaves every DefiLlama field missing for a protocol without a slug, and asks nothing", async () => {
    const bare: ProtocolRef = { id: "bare", address: "0x03", name: "Bare" };
    const [m] = await source().fetchMetrics([bare], NOW);
    expect(m?.tvlUsd.error).to.equal("no defiLlamaSlug configured");
    expect(m?.tokenPriceStability.error).to.contain("no stablecoin configured");
    expect(server.requestCount()).to.equal(0);
  });
});

describe("sources/seriesMath", () => {
  const series = (pairs: [number, number][]) => pairs.map(([d, v]) => ({ date: NOW - d * DAY, tvlUsd: v }));

  it("uses the point nearest to now − N days", () => {
    const r = tvlChange(series([[31, 50], [29, 100], [8, 300], [0, 150]]), NOW, 7);
    expect(r).to.deep.equal({ ok: true, value: -0.5 });
    // 30 days: 29 and 31 days ago are equally near; the earlier one wins.
    expect(tvlChange(series([[31, 50], [29, 100], [0, 150]]), NOW, 30)).to.deep.equal({ ok: true, value: 2 });
  });

  it("refuses a too-short or stale history and a zero base", () => {
    expect(tvlChange(series([[3, 100], [0, 120]]), NOW, 30).ok).to.equal(false);
    expect(tvlChange(series([[40, 100], [10, 120]]), NOW, 30).ok).to.equal(false);
    expect(tvlChange(series([[7, 0], [0, 120]]), NOW, 7).ok).to.equal(false);
    expect(tvlChange([], NOW, 7).ok).to.equal(false);
  });

  it("ignores points after now", () => {
    expect(tvlChange(series([[7, 100], [0, 110], [-1, 1]]), NOW, 7)).to.deep.equal({ ok: true, value: 0.1 });
  });

  it("peg stability is 1 − max deviation in the window, clamped", () => {
    const p = (d: number, price: number) => ({ date: NOW - d * DAY, price });
    expect(pegStability([p(1, 1.02), p(2, 0.99)], NOW)).to.deep.equal({ ok: true, value: 1 - 0.020000000000000018 });
    expect(pegStability([p(1, 3)], NOW)).to.deep.equal({ ok: true, value: 0 });
    expect(pegStability([p(31, 0.5), p(0, 1)], NOW)).to.deep.equal({ ok: true, value: 1 });
    expect(pegStability([p(31, 1)], NOW).ok).to.equal(false);
  });
});
