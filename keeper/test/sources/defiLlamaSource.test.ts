import { expect } from "chai";
import { DEFAULT_AUDIT_SCORE_BY_CATEGORY } from "../../src/scoring/auditTable";
import {
  DEFILLAMA_AUDITS_SOURCE,
  DEFILLAMA_HALLMARKS_SOURCE,
  DEFILLAMA_LISTED_AT_SOURCE,
  DEFILLAMA_STABLECOINS_SOURCE,
  DefiLlamaSource,
  auditScoreFromCategory,
  type DefiLlamaSourceConfig,
} from "../../src/sources/defiLlamaSource";
import { DAY_SECONDS } from "../../src/sources/metrics";
import { pegStability, tvlChange } from "../../src/sources/seriesMath";
import type { ProtocolRef } from "../../src/domain/types";
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

/** A `/protocols` row as DefiLlama serves it (`audits` is a category string). */
function listEntry(slug: string, extra: Record<string, unknown> = {}): Record<string, unknown> {
  return { id: "1599", name: slug, slug, tvl: 123_456_789, audits: "2", audit_links: ["https://a", "https://b"], listedAt: 1_600_000_000, chains: ["Ethereum"], parentProtocol: "parent#aave", ...extra };
}

/** Hallmarks as `/protocol/{slug}` returns them: `[[ts, text]]`, range hallmarks `[[start, end], text]`. */
const HALLMARKS: unknown[] = [
  [NOW - 300 * DAY, "V3 launch on Base"],
  [NOW - 20 * DAY, "Oracle manipulation exploit on a market ($2M)"],
  [[NOW - 100 * DAY, NOW - 90 * DAY], "Incentives program"],
];

/** The child detail DefiLlama serves for aave-v3. */
function aaveDetail(extra: Record<string, unknown> = {}): Record<string, unknown> {
  return { id: "1599", name: "Aave V3", tvl: historyPoints(), chainTvls: {}, audits: "2", parentProtocol: "parent#aave", hallmarks: HALLMARKS, ...extra };
}

/** DefiLlama's answer to an unknown slug: HTTP 400 with a plain-text body. */
const NOT_FOUND = { status: 400, body: "Protocol not found", headers: { "content-type": "text/plain; charset=utf-8" } } as const;

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
      "/api/protocol/aave-v3": { json: aaveDetail() },
      "/api/protocol/*": NOT_FOUND,
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
    // one of the three hallmarks reports an exploit
    expect(m?.exploitCount.value).to.equal(1);
    expect(m?.exploitCount.provenance).to.deep.equal({
      source: DEFILLAMA_HALLMARKS_SOURCE,
      ref: `${server.baseUrl}/api/protocol/aave-v3#hallmarks`,
      fetchedAt: NOW,
    });
    expect(m?.lastExploitAt.value).to.equal(NOW - 20 * DAY);
    expect(m?.teamReputation.error).to.match(/not provided by DefiLlama/);
    expect(server.requestCount()).to.equal(3);
  });

  it("marks only the TVL history metrics missing when one history element has a wrong type", async () => {
    const bad = historyPoints();
    (bad[2] as Record<string, unknown>)["totalLiquidityUSD"] = "lots";
    server.route("/api/protocol/aave-v3", { json: aaveDetail({ tvl: bad }) });
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
    server.route("/api/protocol/aave-v3", { json: aaveDetail({ audits: undefined }) });
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

  it("a field's reason names the real cause (network error, HTTP status), never the data", async () => {
    const down = new DefiLlamaSource({ apiBaseUrl: "http://127.0.0.1:9/api", stablecoinsBaseUrl: "http://127.0.0.1:9/stables", http: { maxAttempts: 1, timeoutMs: 2_000 } }, deps);
    const [offline] = await down.fetchMetrics([aave], NOW);
    for (const field of ["deployedAt", "auditScore"] as const) {
      expect(offline?.[field].value).to.equal(undefined);
      expect(offline?.[field].error).to.match(/network error/);
      expect(offline?.[field].error).not.to.match(/no \w+ field in DefiLlama data/);
    }
    server.route("/api/protocols", { status: 503 });
    server.route("/api/protocol/aave-v3", { status: 502 });
    const [failing] = await source().fetchMetrics([aave], NOW);
    expect(failing?.deployedAt.error).to.match(/503/);
    expect(failing?.deployedAt.error).to.match(/502/);
    expect(failing?.deployedAt.error).not.to.match(/no listedAt field/);
  });

  it("reports an unknown slug (HTTP 400, text body) with the server's words, without touching others", async () => {
    const ghost: ProtocolRef = { id: "ghost", address: "0x02", defiLlamaSlug: "ghost", name: "Ghost" };
    const [a, g] = await source().fetchMetrics([aave, ghost], NOW);
    expect(a?.tvlUsd.value).to.equal(123_456_789);
    expect(g?.tvlUsd.value).to.equal(undefined);
    expect(g?.tvlUsd.error).to.contain('slug "ghost" not in');
    expect(g?.tvlChange7d.error).to.contain('HTTP 400 "Protocol not found"');
    expect(g?.tvlChange7d.error).to.contain('DefiLlama does not know the slug "ghost"');
    expect(g?.exploitCount.value).to.equal(undefined); // no detail: exploit history unknown, not 0
    expect(server.requestCount("/api/protocol/ghost")).to.equal(1); // a 400 is not retried
  });

  it("takes the last history point as current TVL only when it is recent (protocol dropped from /protocols)", async () => {
    // DefiLlama lists only protocols updated in the last 24 h; this one stopped 3 days ago.
    const stale = historyPoints().filter((p) => p.date <= NOW - 3 * DAY);
    server.route("/api/protocols", { json: [listEntry("other")] });
    server.route("/api/protocol/aave-v3", { json: aaveDetail({ tvl: stale }) });
    const [m] = await source().fetchMetrics([aave], NOW);
    expect(m?.tvlUsd.value).to.equal(undefined);
    expect(m?.tvlUsd.error).to.contain("no DefiLlama update for 24 h");
    expect(m?.tvlUsd.error).to.match(/newest TVL point is 72 h old \(limit 24 h\)/);
    expect(m?.tvlChange7d.value).to.equal(undefined); // stale history: no change either
    // a recent last point is accepted
    server.route("/api/protocol/aave-v3", { json: aaveDetail() });
    const [fresh] = await source().fetchMetrics([aave], NOW);
    expect(fresh?.tvlUsd.value).to.equal(900);
  });

  it("treats a protocol with no data yet as missing TVL, never $0", async () => {
    server.route("/api/protocols", { json: [listEntry("aave-v3", { tvl: null })] });
    server.route("/api/protocol/aave-v3", { json: aaveDetail({ tvl: [] }) });
    const [m] = await source().fetchMetrics([aave], NOW);
    expect(m?.tvlUsd.value).to.equal(undefined);
    expect(m?.tvlUsd.error).to.contain("[0].tvl is null");
    expect(m?.tvlUsd.error).to.contain("no TVL data yet");
  });

  it("refuses a parent slug and names the children the operator must pick from", async () => {
    const gmx: ProtocolRef = { id: "gmx", address: "0x04", defiLlamaSlug: "gmx", name: "GMX", stablecoin: "USDC" };
    server.route("/api/protocols", {
      json: [
        listEntry("gmx-v1-perps", { id: "337", parentProtocol: "parent#gmx" }),
        listEntry("gmx-v2-perps", { id: "3634", parentProtocol: "parent#gmx" }),
        listEntry("aave-v3"),
      ],
    });
    // A parent's detail: id "parent#...", isParentProtocol, no audits / listedAt, children's hallmarks.
    server.route("/api/protocol/gmx", {
      json: { id: "parent#gmx", name: "GMX", isParentProtocol: true, otherProtocols: ["GMX", "GMX V1 Perps", "GMX V2 Perps"], tvl: historyPoints(), hallmarks: HALLMARKS },
    });
    const llama = source();
    const [g, a] = await llama.fetchMetrics([gmx, aave], NOW);
    for (const field of ["tvlUsd", "auditScore", "deployedAt", "exploitCount", "tvlHistory"] as const) {
      expect(g?.[field].value, field).to.equal(undefined);
      expect(g?.[field].error).to.equal(
        '"gmx" is a DefiLlama parent protocol (parent#gmx) with no audits or listing date of its own — set protocols[].defiLlamaSlug to the child that holds the position: gmx-v1-perps, gmx-v2-perps',
      );
    }
    expect(g?.tokenPriceStability.value).to.be.closeTo(0.97, 1e-12); // not a DefiLlama protocol field
    expect(a?.tvlUsd.value).to.equal(123_456_789);
    await llama.fetchMetrics([gmx], NOW + 60);
    expect(deps.logger.entries.filter((e) => e.msg === "DefiLlama slug is a parent protocol: pick a child")).to.have.length(1);
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

  it("maps the audits legend: 0 none, 1 partial, 2 audited, 3 fork (never above audited), null unknown", async () => {
    expect((["0", "1", "2", "3"] as const).map((c) => auditScoreFromCategory(c))).to.deep.equal([0, 60, 80, 60]);
    expect(DEFAULT_AUDIT_SCORE_BY_CATEGORY.fork).to.be.at.most(DEFAULT_AUDIT_SCORE_BY_CATEGORY.audited);
    const scores: Record<string, number | undefined> = {};
    for (const audits of ["0", "1", "2", "3", null]) {
      server.route("/api/protocols", { json: [listEntry("aave-v3", { audits })] });
      server.route("/api/protocol/aave-v3", { json: aaveDetail({ audits }) });
      const [m] = await source({ listTtlSeconds: 0, detailTtlSeconds: 0 }).fetchMetrics([aave], NOW);
      scores[String(audits)] = m?.auditScore.value;
      if (audits === null) expect(m?.auditScore.error).to.contain("[0].audits is null");
    }
    expect(scores).to.deep.equal({ "0": 0, "1": 60, "2": 80, "3": 60, null: undefined });
    server.route("/api/protocols", { json: [listEntry("aave-v3", { audits: "1" })] });
    const [m] = await source({ auditScoreByCategory: { partial: 55 } }).fetchMetrics([aave], NOW);
    expect(m?.auditScore.value).to.equal(55);
    expect(() => source({ auditScoreByCategory: { fork: 90 } })).to.throw(/fork \(90\) must not exceed audited \(80\)/);
  });

  it("never infers audit quality from the number of audit_links", async () => {
    const links = Array.from({ length: 9 }, (_, i) => `https://audits.example/${i}.pdf`);
    server.route("/api/protocols", { json: [listEntry("aave-v3", { audits: undefined, audit_links: links })] });
    server.route("/api/protocol/aave-v3", { json: aaveDetail({ audits: undefined, audit_links: links }) });
    const [m] = await source().fetchMetrics([aave], NOW);
    expect(m?.auditScore.value).to.equal(undefined);
    expect(m?.auditScore.error).to.contain("no audits field");
  });

  it("reads exploit hallmarks (point and range forms) as signal-shaped reports; no hallmark = known zero", async () => {
    const llama = source();
    await llama.fetchMetrics([aave], NOW);
    expect(llama.exploitReports("aave-v3")).to.deep.equal([
      {
        kind: "hallmark",
        protocolId: "aave-v3",
        sourceId: `defillama-hallmark:1599:${NOW - 20 * DAY}`,
        occurredAt: NOW - 20 * DAY,
        description: "DefiLlama hallmark: Oracle manipulation exploit on a market ($2M)",
        sourceRef: `${server.baseUrl}/api/protocol/aave-v3#hallmarks`,
      },
    ]);
    server.route("/api/protocol/aave-v3", { json: aaveDetail({ hallmarks: [[[NOW - 5 * DAY, NOW - 4 * DAY], "Hacked: bridge drained"]] }) });
    const [ranged] = await source().fetchMetrics([aave], NOW);
    expect(ranged?.exploitCount.value).to.equal(1);
    expect(ranged?.lastExploitAt.value).to.equal(NOW - 5 * DAY);
    server.route("/api/protocol/aave-v3", { json: aaveDetail({ hallmarks: undefined }) });
    const [none] = await source().fetchMetrics([aave], NOW);
    expect(none?.exploitCount.value).to.equal(0);
    expect(none?.lastExploitAt).to.deep.equal({ value: undefined, provenance: none?.exploitCount.provenance });
    server.route("/api/protocol/aave-v3", { json: aaveDetail({ hallmarks: [["yesterday", "exploit"]] }) });
    const [bad] = await source().fetchMetrics([aave], NOW);
    expect(bad?.exploitCount.value).to.equal(undefined);
    expect(bad?.exploitCount.error).to.contain("hallmarks[0]");
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
