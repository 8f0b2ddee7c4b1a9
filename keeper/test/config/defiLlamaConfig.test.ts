import { expect } from "chai";
import { embeddedDefaultConfig, parseConfig, redactConfig } from "../../src/config";
import { buildRiskSource } from "../../src/cli/container";
import { silentLogger } from "../../src/sources/http";
import { hasExploitReports } from "../../src/sources/types";
import { startLoopbackServer } from "../helpers/loopbackServer";
import { issuesOf } from "../helpers/configIssues";

const PRO_KEY = "llama-pro-7c1d2e3f";


describe("keeper config: DefiLlama and the hacks feed", () => {
  it("has no hacks feed by default (the feed is Pro-only); env DEFILLAMA_PRO_API_KEY turns it on", () => {
    const raw = embeddedDefaultConfig();
    expect(parseConfig(raw).sources.hacks).to.equal(undefined);
    const keyed = parseConfig(raw, { env: { DEFILLAMA_PRO_API_KEY: PRO_KEY } });
    expect(keyed.sources.hacks).to.deep.include({ proApiKey: PRO_KEY, proApiBaseUrl: "https://pro-api.llama.fi" });
    // The key never shows up in the loggable copy of the config.
    const logged = JSON.stringify(redactConfig(keyed));
    expect(logged).not.to.contain(PRO_KEY);
    expect(logged).to.contain('"proApiKey":"<redacted>"');
  });

  it("refuses a free hacks URL and the old audit-count table, naming the fix", () => {
    const raw = embeddedDefaultConfig();
    expect(issuesOf(() => parseConfig({ ...raw, sources: { ...raw.sources, hacks: { feedUrl: "https://api.llama.fi/hacks" } } }))[0]).to.match(
      /^config\.sources\.hacks\.feedUrl: removed — DefiLlama's hacks feed is Pro-only .*DEFILLAMA_PRO_API_KEY/,
    );
    const defiLlama = (extra: Record<string, unknown>) => ({ ...raw, sources: { ...raw.sources, defiLlama: extra } });
    expect(issuesOf(() => parseConfig(defiLlama({ auditScoreByCount: { one: 70 } })))[0]).to.match(
      /^config\.sources\.defiLlama\.auditScoreByCount: removed — DefiLlama's `audits` is a category/,
    );
    expect(issuesOf(() => parseConfig(defiLlama({ auditScoreByCategory: { fork: 95 } })))).to.deep.equal([
      "config.sources.defiLlama.auditScoreByCategory: auditScoreByCategory.fork (95) must not exceed audited (80): a fork is never better than an audited protocol",
    ]);
    expect(issuesOf(() => parseConfig(raw, { env: { DEFILLAMA_PRO_API_KEY: "a key/with slash" } }))[0]).to.match(/^env\.DEFILLAMA_PRO_API_KEY: not a DefiLlama Pro API key/);
  });

  it("ranks the keyed hacks feed above hallmarks for exploit history, and hallmarks answer when it fails", async () => {
    const NOW = 1_800_000_000;
    const server = await startLoopbackServer({
      "/protocols": { json: [{ id: "1599", slug: "aave-v3", name: "Aave V3", tvl: 1e10, audits: "2", listedAt: 1_600_000_000 }] },
      "/protocol/aave-v3": {
        json: { id: "1599", name: "Aave V3", audits: "2", tvl: [{ date: NOW - 3600, totalLiquidityUSD: 1e10 }], hallmarks: [[NOW - 10 * 86_400, "Exploit of an isolated market"]] },
      },
      [`/${PRO_KEY}/api/hacks`]: [{ json: [] }, { status: 500 }],
    });
    try {
      const raw = embeddedDefaultConfig();
      const file = {
        ...raw,
        protocols: [{ ...raw.protocols[0], id: "aave-v3", name: "Aave V3", defiLlamaSlug: "aave-v3", defiLlamaId: "1599", stablecoin: undefined }],
        sources: {
          defiLlama: { apiBaseUrl: server.baseUrl, stablecoinsBaseUrl: server.baseUrl },
          hacks: { proApiBaseUrl: server.baseUrl, ttlSeconds: 0, http: { maxAttempts: 1 } },
        },
      };
      const source = buildRiskSource(parseConfig(file, { env: { DEFILLAMA_PRO_API_KEY: PRO_KEY } }), { logger: silentLogger });
      const [fromFeed] = await source.fetchMetrics([{ id: "aave-v3", address: "0x01", name: "Aave V3", defiLlamaSlug: "aave-v3", defiLlamaId: "1599" }], NOW);
      expect(fromFeed?.exploitCount).to.deep.include({ value: 0 });
      expect(fromFeed?.exploitCount.provenance?.source).to.equal("defillama-hacks");
      const [feedDown] = await source.fetchMetrics([{ id: "aave-v3", address: "0x01", name: "Aave V3", defiLlamaSlug: "aave-v3", defiLlamaId: "1599" }], NOW + 1);
      expect(feedDown?.exploitCount.value).to.equal(1);
      expect(feedDown?.exploitCount.provenance?.source).to.equal("defillama-hallmarks");
      // Without a key, hallmarks are the exploit history and the Pro URL is never called.
      const free = buildRiskSource(parseConfig({ ...file, sources: { defiLlama: file.sources.defiLlama } }), { logger: silentLogger });
      const before = server.requestCount(`/${PRO_KEY}/api/hacks`);
      const [m] = await free.fetchMetrics([{ id: "aave-v3", address: "0x01", name: "Aave V3", defiLlamaSlug: "aave-v3" }], NOW);
      expect(m?.exploitCount.value).to.equal(1);
      expect(server.requestCount(`/${PRO_KEY}/api/hacks`)).to.equal(before);
      // The composite passes on its members' exploit reports, ready to become incident signals.
      if (!hasExploitReports(free)) throw new Error("the composite source exposes exploitReports");
      expect(free.exploitReports("aave-v3").map((r) => [r.kind, r.sourceId, r.occurredAt])).to.deep.equal([
        ["hallmark", `defillama-hallmark:1599:${NOW - 10 * 86_400}`, NOW - 10 * 86_400],
      ]);
    } finally {
      await server.close();
    }
  });
});
