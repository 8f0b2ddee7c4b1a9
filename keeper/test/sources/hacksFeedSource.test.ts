import { expect } from "chai";
import { HacksFeedSource, type HacksFeedSourceConfig } from "../../src/sources/hacksFeedSource";
import type { ProtocolRef } from "../../src/sources/types";
import { startLoopbackServer, type LoopbackServer } from "../helpers/loopbackServer";
import { testDeps, type TestDeps } from "./testDeps";

const NOW = 1_800_000_000;

const hack = (date: number, name: string, defillamaId: string | null, extra: Record<string, unknown> = {}) => ({
  date,
  name,
  classification: "Protocol Logic",
  technique: "Flash loan",
  amount: 1_000_000,
  chain: ["Arbitrum"],
  bridgeHack: false,
  targetType: "DeFi Protocol",
  source: "https://example.invalid/post-mortem",
  returnedFunds: null,
  defillamaId,
  ...extra,
});

const radiant: ProtocolRef = { id: "radiant", address: "0x01", name: "Radiant Capital" };
const curve: ProtocolRef = { id: "curve", address: "0x02", name: "Curve Finance" };
const aave: ProtocolRef = { id: "aave-v3", address: "0x03", name: "Aave V3" };

describe("sources/hacksFeedSource", () => {
  let server: LoopbackServer;
  let deps: TestDeps;

  const source = (config: Partial<HacksFeedSourceConfig> = {}): HacksFeedSource =>
    new HacksFeedSource({ feedUrl: `${server.baseUrl}/hacks`, http: { maxAttempts: 2 }, ...config }, deps);

  beforeEach(async () => {
    deps = testDeps();
    server = await startLoopbackServer({
      "/hacks": {
        json: [
          hack(1_704_153_600, "Radiant Capital", "2706"),
          hack(1_729_036_800, "RADIANT capital", null),
          hack(1_690_675_200, "Curve (Vyper)", "3"), // matched by id, whatever the name
          hack(1_690_675_200, "Curve Finance", "999"), // both sides have ids and they differ: not Curve
          hack(1_600_000_000, "Some Other Protocol", "42"),
        ],
      },
    });
  });
  afterEach(async () => {
    await server.close();
  });

  it("matches by defillamaId when both sides have one, else by case-insensitive name", async () => {
    const hacks = source({ defiLlamaIds: { curve: "3", radiant: "2706" } });
    const [r, c, a] = await hacks.fetchMetrics([radiant, curve, aave], NOW);
    expect(r?.exploitCount.value).to.equal(2);
    expect(r?.lastExploitAt.value).to.equal(1_729_036_800);
    expect(r?.exploitCount.provenance).to.deep.equal({ source: "defillama-hacks", ref: `${server.baseUrl}/hacks`, fetchedAt: NOW });
    expect(c?.exploitCount.value).to.equal(1);
    expect(c?.lastExploitAt.value).to.equal(1_690_675_200);
    expect(hacks.incidentsFor("curve")[0]?.raw?.["name"]).to.equal("Curve (Vyper)");
    // No exploit: a known zero, and a known absence of a last date (provenance, no error).
    expect(a?.exploitCount.value).to.equal(0);
    expect(a?.lastExploitAt.value).to.equal(undefined);
    expect(a?.lastExploitAt.error).to.equal(undefined);
    expect(a?.lastExploitAt.provenance?.source).to.equal("defillama-hacks");
    expect(a?.tvlUsd.error).to.match(/not provided by the hacks feed/);
  });

  it("exposes the matched entries with their fields for incident detection", async () => {
    const hacks = source({ nameAliases: { aave: ["unused"] } });
    const matches = await hacks.fetchIncidents([radiant], NOW);
    const incidents = matches.get("radiant")?.incidents ?? [];
    expect(incidents.map((i) => i.date)).to.deep.equal([1_704_153_600, 1_729_036_800]);
    expect(incidents[0]).to.include({ amountUsd: 1_000_000, technique: "Flash loan", origin: "feed", link: "https://example.invalid/post-mortem" });
    expect(incidents[0]?.ref).to.equal(`${server.baseUrl}/hacks#[0]`);
    expect(hacks.incidentsFor("radiant")).to.have.length(2);
  });

  it("merges curated incidents, counting one already in the feed only once", async () => {
    const hacks = source({
      curatedIncidents: [
        { protocol: "radiant", date: 1_729_036_800 + 3600, name: "Radiant multisig", txHash: `0x${"ab".repeat(32)}` },
        { protocol: "aave-v3", date: 1_750_000_000, name: "Curated only" },
      ],
    });
    const [r, a] = await hacks.fetchMetrics([radiant, aave], NOW);
    expect(r?.exploitCount.value).to.equal(2);
    expect(a?.exploitCount.value).to.equal(1);
    expect(a?.lastExploitAt.value).to.equal(1_750_000_000);
    expect(a?.exploitCount.provenance?.ref).to.contain("config:curatedIncidents");
    expect(hacks.incidentsFor("aave-v3")[0]?.origin).to.equal("config");
  });

  it("a malformed entry only affects the protocol it names", async () => {
    server.route("/hacks", { json: [hack(1_704_153_600, "Radiant Capital", null, { date: "2024-01-02" }), hack(1_690_675_200, "Curve Finance", null)] });
    const [r, c] = await source().fetchMetrics([radiant, curve], NOW);
    expect(r?.exploitCount.value).to.equal(undefined);
    expect(r?.exploitCount.error).to.contain("[0].date");
    expect(c?.exploitCount.value).to.equal(1);
  });

  it("a failed feed leaves exploit metrics missing (a partial count would understate risk)", async () => {
    server.route("/hacks", { body: "<html>oops</html>" });
    const hacks = source({ curatedIncidents: [{ protocol: "radiant", date: 1 }] });
    const [r] = await hacks.fetchMetrics([radiant], NOW);
    expect(r?.exploitCount.value).to.equal(undefined);
    expect(r?.exploitCount.error).to.match(/^json error/);
    expect(hacks.incidentsFor("radiant")).to.have.length(1); // curated ones are still known
  });

  it("fetches the feed once per TTL", async () => {
    const hacks = source({ ttlSeconds: 100 });
    await hacks.fetchMetrics([radiant], NOW);
    await hacks.fetchMetrics([radiant, curve], NOW + 50);
    expect(server.requestCount("/hacks")).to.equal(1);
    await hacks.fetchMetrics([radiant], NOW + 100);
    expect(server.requestCount("/hacks")).to.equal(2);
  });

  it("works from curated incidents alone when no feed is configured", async () => {
    const hacks = new HacksFeedSource({ curatedIncidents: [{ protocol: "curve", date: 1_690_675_200 }] }, deps);
    const [c, a] = await hacks.fetchMetrics([curve, aave], NOW);
    expect(c?.exploitCount.value).to.equal(1);
    expect(c?.exploitCount.provenance?.source).to.equal("config");
    expect(a?.exploitCount.value).to.equal(0);
    expect(server.requestCount()).to.equal(0);
  });
});
