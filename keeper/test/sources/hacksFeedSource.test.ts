import { expect } from "chai";
import { HacksFeedSource, type HacksFeedSourceConfig } from "../../src/sources/hacksFeedSource";
import type { ProtocolRef } from "../../src/domain/types";
import { startLoopbackServer, type LoopbackServer } from "../helpers/loopbackServer";
import { testDeps, type TestDeps } from "./testDeps";

const NOW = 1_800_000_000;
/** A Pro API key: it lives in the URL path and must never show up in logs or results. */
const KEY = "sk-live-5f1e9a7c3b";
const FEED_PATH = `/${KEY}/api/hacks`;

/**
 * A row as defillama-server's getHacks builds it: a linked row is renamed to DefiLlama's
 * protocol name, `source` is usually "", `parentProtocolId` only when the protocol has a parent.
 */
const hack = (date: number, name: string, defillamaId: string | number | null, extra: Record<string, unknown> = {}) => ({
  date,
  name,
  classification: "Protocol Logic",
  technique: "Flash loan",
  amount: 1_000_000,
  chain: ["Arbitrum"],
  bridgeHack: false,
  targetType: "DeFi Protocol",
  source: "",
  returnedFunds: null,
  defillamaId,
  language: "Solidity",
  ...extra,
});

const radiant: ProtocolRef = { id: "radiant", address: "0x01", name: "Radiant", defiLlamaId: "2706" };
const curve: ProtocolRef = { id: "curve", address: "0x02", name: "Curve Finance" };
const aave: ProtocolRef = { id: "aave-v3", address: "0x03", name: "Aave V3", defiLlamaId: "1599" };
const yearn: ProtocolRef = { id: "yearn", address: "0x04", name: "Yearn Finance" };

describe("sources/hacksFeedSource (DefiLlama Pro /api/hacks)", () => {
  let server: LoopbackServer;
  let deps: TestDeps;

  const source = (config: Partial<HacksFeedSourceConfig> = {}): HacksFeedSource =>
    new HacksFeedSource({ proApiKey: KEY, proApiBaseUrl: server.baseUrl, http: { maxAttempts: 2 }, ...config }, deps);

  beforeEach(async () => {
    deps = testDeps();
    server = await startLoopbackServer({
      [FEED_PATH]: {
        json: [
          hack(1_704_153_600, "Radiant Capital", "2706", { parentProtocolId: "parent#radiant" }),
          hack(1_729_036_800, "Radiant Capital", 2706, { parentProtocolId: "parent#radiant" }), // numeric id form
          hack(1_690_675_200, "Curve Finance", null, { source: "https://rekt.news/curve-vyper-rekt/" }), // unlinked: name only
          hack(1_680_000_000, "Aave V2", "111", { parentProtocolId: "parent#aave" }), // a sibling of aave-v3
          hack(1_600_000_000, "Yearn yDAI", null), // resembles Yearn Finance, matches nothing
          hack(1_600_000_000, "Some Other Protocol", "42"),
        ],
      },
    });
  });
  afterEach(async () => {
    await server.close();
  });

  it("calls the Pro path with the key and never lets the key out (logs, provenance, reports)", async () => {
    const hacks = source();
    const metrics = await hacks.fetchMetrics([radiant, curve, aave], NOW);
    expect(server.requests.map((r) => r.path)).to.deep.equal([FEED_PATH]);
    const redacted = `${server.baseUrl}/<redacted>/api/hacks`;
    expect(hacks.feedDisplayUrl).to.equal(redacted);
    expect(metrics[0]?.exploitCount.provenance?.ref).to.equal(redacted);
    expect(hacks.exploitReports("radiant")[0]?.sourceRef).to.equal(`${redacted}#[0]`);
    // A failing call logs too: still no key.
    server.route(FEED_PATH, { status: 402, body: "Upgrade to the paid API plan at https://defillama.com/subscription" });
    const failed = await source({ ttlSeconds: 0 }).fetchMetrics([radiant], NOW);
    expect(failed[0]?.exploitCount.error).to.contain("HTTP 402");
    expect(failed[0]?.exploitCount.error).to.contain("Pro API key was refused");
    const everything = JSON.stringify({ metrics, failed, logs: deps.logger.entries, reports: hacks.exploitReports("radiant") });
    expect(everything).not.to.contain(KEY);
    expect(deps.logger.entries.length).to.be.greaterThan(0);
  });

  it("matches by defillamaId first (string or number), keeps siblings as related, and yields a known zero only with an id", async () => {
    const hacks = source({ parentIds: { "aave-v3": "parent#aave" } });
    const [r, c, a] = await hacks.fetchMetrics([radiant, curve, aave], NOW);
    expect(r?.exploitCount.value).to.equal(2);
    expect(r?.lastExploitAt.value).to.equal(1_729_036_800);
    expect(r?.exploitCount.provenance?.source).to.equal("defillama-hacks");
    // Curve has no id: the unlinked row matches by name.
    expect(c?.exploitCount.value).to.equal(1);
    expect(hacks.incidentsFor("curve")[0]?.link).to.equal("https://rekt.news/curve-vyper-rekt/");
    // Aave V3 has an id and no row of its own: a known zero; the Aave V2 row is a sibling, not counted.
    expect(a?.exploitCount.value).to.equal(0);
    expect(a?.lastExploitAt).to.deep.equal({ value: undefined, provenance: a?.exploitCount.provenance });
    const match = (await hacks.fetchIncidents([aave], NOW)).get("aave-v3");
    expect(match?.related.map((i) => i.name)).to.deep.equal(["Aave V2"]);
  });

  it("never records 0 exploits from a name miss: reports the unmatched rows that resemble the protocol", async () => {
    const hacks = source();
    const [y] = await hacks.fetchMetrics([yearn], NOW);
    expect(y?.exploitCount.value).to.equal(undefined);
    expect(y?.exploitCount.error).to.contain('no hacks-feed row matched "Yearn Finance" by name and no defiLlamaId is configured');
    expect(y?.exploitCount.error).to.contain('"Yearn yDAI" (2020-09-13)');
    expect(y?.exploitCount.error).to.contain("set protocols[].defiLlamaId");
    const warnings = deps.logger.entries.filter((e) => e.msg?.startsWith("hacks feed row resembles a protocol"));
    expect(warnings.map((w) => w.obj["row"])).to.deep.equal(["Yearn yDAI"]);
    // An alias claims the row: now it is a match.
    const aliased = source({ nameAliases: { yearn: ["Yearn yDAI"] } });
    const [ya] = await aliased.fetchMetrics([yearn], NOW);
    expect(ya?.exploitCount.value).to.equal(1);
  });

  it("a row linked to another id is never claimed by name", async () => {
    server.route(FEED_PATH, { json: [hack(1_690_675_200, "Aave V3", "999")] });
    const [a] = await source().fetchMetrics([aave], NOW);
    expect(a?.exploitCount.value).to.equal(0);
  });

  it("exposes feed rows as signal-shaped exploit reports with a stable sourceId", async () => {
    const hacks = source();
    await hacks.fetchMetrics([radiant, curve], NOW);
    expect(hacks.exploitReports("radiant").map((r) => r.sourceId)).to.deep.equal([
      "defillama-hacks:2706:1704153600",
      "defillama-hacks:2706:1729036800",
    ]);
    expect(hacks.exploitReports("curve")[0]).to.deep.equal({
      kind: "hacks-feed",
      protocolId: "curve",
      sourceId: "defillama-hacks:curve finance:1690675200",
      occurredAt: 1_690_675_200,
      description: "DefiLlama hacks feed: Curve Finance, Protocol Logic (Flash loan)",
      sourceRef: `${server.baseUrl}/<redacted>/api/hacks#[2]`,
      link: "https://rekt.news/curve-vyper-rekt/",
      lossUsd: 1_000_000,
      classification: "Protocol Logic",
      technique: "Flash loan",
    });
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
    server.route(FEED_PATH, { json: [hack(Number.NaN, "Radiant Capital", "2706", { date: null }), hack(1_690_675_200, "Curve Finance", null)] });
    const [r, c] = await source().fetchMetrics([radiant, curve], NOW);
    expect(r?.exploitCount.value).to.equal(undefined);
    expect(r?.exploitCount.error).to.contain("[0].date");
    expect(c?.exploitCount.value).to.equal(1);
  });

  it("a failed feed leaves exploit metrics missing (a partial count would understate risk)", async () => {
    server.route(FEED_PATH, { body: "<html>oops</html>" });
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
    expect(server.requestCount(FEED_PATH)).to.equal(1);
    await hacks.fetchMetrics([radiant], NOW + 100);
    expect(server.requestCount(FEED_PATH)).to.equal(2);
  });

  it("without a Pro key asks nothing and claims nothing beyond curated incidents", async () => {
    const hacks = new HacksFeedSource({ proApiBaseUrl: server.baseUrl, curatedIncidents: [{ protocol: "curve", date: 1_690_675_200 }] }, deps);
    expect(hacks.hasFeed).to.equal(false);
    const [c, a] = await hacks.fetchMetrics([curve, aave], NOW);
    expect(c?.exploitCount.value).to.equal(1);
    expect(c?.exploitCount.provenance?.source).to.equal("config");
    expect(a?.exploitCount.value).to.equal(undefined);
    expect(a?.exploitCount.error).to.contain("DEFILLAMA_PRO_API_KEY");
    expect(server.requestCount()).to.equal(0);
  });
});
