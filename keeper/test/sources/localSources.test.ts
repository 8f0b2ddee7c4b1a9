import { expect } from "chai";
import { promises as fs } from "node:fs";
import os from "node:os";
import path from "node:path";
import { CompositeSource } from "../../src/sources/compositeSource";
import { ConfigSource, curatedIncidentsOf } from "../../src/sources/configSource";
import { FixtureSource } from "../../src/sources/fixtureSource";
import { silentLogger } from "../../src/sources/http";
import { DAY_SECONDS, allMissing, missing } from "../../src/sources/metrics";
import type { ProtocolMetrics, ProtocolRef } from "../../src/domain/types";
import type { RiskDataSource } from "../../src/sources/types";
import { recordingLogger } from "./testDeps";

const NOW = 1_800_000_000;
const PORTFOLIO_DIR = path.join(__dirname, "..", "..", "fixtures", "portfolio");
const PORTFOLIO = ["aave-v3", "compound-v3", "uniswap-v3", "curve", "yearn", "gmx", "radiant"];
const ref = (id: string): ProtocolRef => ({ id, address: "0x00", name: id });

describe("sources/configSource", () => {
  const config = {
    "aave-v3": { auditScore: 95, teamReputation: 90, githubActivity: 120, lastExploitAt: null },
    radiant: { teamReputation: 30, incidents: [{ date: 1_729_036_800, name: "multisig" }] },
  };

  it("serves operator metrics with provenance config", async () => {
    const [a, r, x] = await new ConfigSource(config, "keeper.config.json").fetchMetrics(
      [ref("aave-v3"), ref("radiant"), ref("unknown")],
      NOW,
    );
    expect(a?.auditScore).to.deep.equal({
      value: 95,
      provenance: { source: "config", ref: "keeper.config.json#aave-v3.auditScore", fetchedAt: NOW },
    });
    expect(a?.githubActivity.value).to.equal(120);
    expect(a?.lastExploitAt.value).to.equal(undefined);
    expect(a?.lastExploitAt.error).to.equal(undefined); // known: none
    expect(a?.exploitCount.error).to.equal("exploitCount not set in operator config");
    expect(r?.teamReputation.value).to.equal(30);
    expect(r?.exploitCount.value).to.equal(undefined); // incidents go to the hacks source, not here
    expect(x?.auditScore.error).to.equal("protocol unknown not in operator config");
    expect(a?.tvlUsd.error).to.match(/not provided/);
  });

  it("flattens curated incidents for the hacks source", () => {
    expect(curatedIncidentsOf(config)).to.deep.equal([{ date: 1_729_036_800, name: "multisig", protocol: "radiant" }]);
  });

  it("rejects an out-of-range or misspelt entry, naming the field", () => {
    expect(() => new ConfigSource({ x: { auditScore: 120 } })).to.throw(/auditScore/);
    expect(() => new ConfigSource({ x: { teamReputaton: 5 } as never })).to.throw(/teamReputaton/);
  });
});

describe("sources/fixtureSource", () => {
  let tmp: string;
  beforeEach(async () => {
    tmp = await fs.mkdtemp(path.join(os.tmpdir(), "sif-fixtures-"));
  });
  afterEach(async () => {
    await fs.rm(tmp, { recursive: true, force: true });
  });

  it("loads the shipped illustrative portfolio with every metric present", async () => {
    const metrics = await new FixtureSource({ path: PORTFOLIO_DIR }).fetchMetrics(PORTFOLIO.map(ref), NOW);
    for (const m of metrics) {
      for (const [field, metric] of Object.entries(m)) {
        if (field === "protocol" || field === "lastExploitAt") continue;
        expect(metric.value, `${m.protocol}.${field}: ${metric.error}`).not.to.equal(undefined);
        expect(metric.provenance.source).to.equal("fixture");
      }
      expect(m.tvlHistory.value?.length).to.be.within(30, 36);
      expect(m.tvlHistory.value?.at(-1)?.date).to.equal(NOW); // rebased to now
    }
    const byId = new Map(metrics.map((m) => [m.protocol, m]));
    expect(byId.get("radiant")?.exploitCount.value).to.equal(2);
    expect(byId.get("radiant")?.tvlChange30d.value).to.be.lessThan(-0.1);
    expect(byId.get("curve")?.lastExploitAt.value).to.equal(Date.UTC(2023, 6, 30) / 1000);
    expect(byId.get("aave-v3")?.exploitCount.value).to.equal(0);
    expect(byId.get("aave-v3")?.lastExploitAt.error).to.equal(undefined);
  });

  it("collapses TVL when a file is swapped, between two fetches", async () => {
    const points = (values: number[]) => values.map((v, i) => ({ date: 1_000_000 + i * DAY_SECONDS, tvlUsd: v }));
    const file = path.join(tmp, "p.json");
    const write = (values: number[]) =>
      fs.writeFile(file, JSON.stringify({ protocol: "p", tvlHistory: points(values), exploits: [] }));
    const source = new FixtureSource({ path: tmp });
    await write(Array(31).fill(1000));
    const [before] = await source.fetchMetrics([ref("p")], NOW);
    expect(before?.tvlChange7d.value).to.equal(0);
    expect(before?.tvlUsd.value).to.equal(1000);
    await write([...Array(30).fill(1000), 200]);
    const [after] = await source.fetchMetrics([ref("p")], NOW);
    expect(after?.tvlChange7d.value).to.be.closeTo(-0.8, 1e-12);
    expect(after?.tvlChange30d.value).to.be.closeTo(-0.8, 1e-12);
    expect(after?.auditScore.error).to.contain("auditScore not in fixture");
  });

  it("keeps an unchanged file's dates across fetches and carries its newest value forward", async () => {
    const points = (values: number[]) => values.map((v, i) => ({ date: 1_000_000 + i * DAY_SECONDS, tvlUsd: v }));
    const file = path.join(tmp, "p.json");
    await fs.writeFile(file, JSON.stringify({ protocol: "p", tvlHistory: points([...Array(30).fill(1000), 100]), exploits: [] }));
    const source = new FixtureSource({ path: tmp });
    const [first] = await source.fetchMetrics([ref("p")], NOW);
    const collapseAt = first?.tvlHistory.value?.at(-1)?.date;
    expect(collapseAt).to.equal(NOW);
    // Five days later the collapse still sits where it was first seen; the value since is flat.
    const later = NOW + 5 * DAY_SECONDS;
    const [second] = await source.fetchMetrics([ref("p")], later);
    const history = second?.tvlHistory.value ?? [];
    expect(history.find((pt) => pt.tvlUsd === 100)?.date).to.equal(collapseAt);
    expect(history.at(-1)).to.deep.equal({ date: later, tvlUsd: 100 });
    expect(second?.tvlUsd.value).to.equal(100);
    expect(second?.tvlChange7d.value).to.be.closeTo(-0.9, 1e-12);
    // A changed file is anchored afresh.
    await fs.writeFile(file, JSON.stringify({ protocol: "p", tvlHistory: points(Array(31).fill(500)), exploits: [] }));
    const [third] = await source.fetchMetrics([ref("p")], later);
    expect(third?.tvlHistory.value?.at(-1)).to.deep.equal({ date: later, tvlUsd: 500 });
  });

  it("reads one file holding all protocols, and names a bad field of another file", async () => {
    await fs.writeFile(path.join(tmp, "all.json"), JSON.stringify({ protocols: [{ protocol: "a", auditScore: 80 }, { protocol: "b", auditScore: 70 }] }));
    await fs.writeFile(path.join(tmp, "c.json"), JSON.stringify({ protocol: "c", auditScore: "high" }));
    await fs.writeFile(path.join(tmp, "d.json"), "{ not json");
    const [a, b, c, d, e] = await new FixtureSource({ path: tmp }).fetchMetrics(["a", "b", "c", "d", "e"].map(ref), NOW);
    expect(a?.auditScore.value).to.equal(80);
    expect(b?.auditScore.value).to.equal(70);
    expect(c?.auditScore.value).to.equal(undefined);
    expect(c?.auditScore.error).to.contain("schema error at auditScore");
    expect(d?.tvlUsd.error).to.contain("d.json");
    expect(e?.tvlUsd.error).to.contain("no fixture for e");
  });

  it("reports an unreadable path instead of throwing", async () => {
    const [m] = await new FixtureSource({ path: path.join(tmp, "nope") }).fetchMetrics([ref("x")], NOW);
    expect(m?.tvlUsd.error).to.contain("cannot read fixtures");
  });
});

/** A source that returns fixed metrics, or fails. */
function stubSource(name: string, build: (protocol: string) => ProtocolMetrics | Error): RiskDataSource {
  return {
    name,
    async fetchMetrics(protocols) {
      return protocols.map((p) => {
        const built = build(p.id);
        if (built instanceof Error) throw built;
        return built;
      });
    },
  };
}

const prov = (source: string) => ({ source, ref: source, fetchedAt: NOW });

describe("sources/compositeSource", () => {
  const defillama = stubSource("defillama", (p) => ({
    ...allMissing(p, "not provided by defillama"),
    tvlUsd: { value: 100, provenance: prov("defillama") },
    auditScore: { value: 80, provenance: prov("defillama-audits") },
    deployedAt: { value: 1_600_000_000, provenance: prov("defillama-listedAt") },
  }));
  const chain = stubSource("chain", (p) => ({
    ...allMissing(p, "not provided by chain"),
    deployedAt: { value: 1_500_000_000, provenance: prov("chain") },
  }));
  const config = stubSource("config", (p) => ({
    ...allMissing(p, "not set"),
    auditScore: { value: 95, provenance: prov("config") },
    lastExploitAt: { value: undefined, provenance: prov("config") }, // known: none
  }));
  const fixture = stubSource("fixture", (p) => ({
    ...allMissing(p, "not in fixture"),
    tvlUsd: { value: 1, provenance: prov("fixture") },
    lastExploitAt: { value: 1_700_000_000, provenance: prov("fixture") },
    teamReputation: { value: 50, provenance: prov("fixture") },
  }));

  it("takes each field from the first source that supplies it, keeping provenance", async () => {
    const composite = new CompositeSource(
      [fixture, chain, defillama, config],
      { precedence: ["config", "defillama", "chain", "fixture"], fieldPrecedence: { deployedAt: ["config", "chain", "defillama"] } },
      silentLogger,
    );
    const [m] = await composite.fetchMetrics([ref("aave-v3")], NOW);
    expect(m?.auditScore).to.deep.equal({ value: 95, provenance: prov("config") });
    expect(m?.tvlUsd).to.deep.equal({ value: 100, provenance: prov("defillama") });
    expect(m?.deployedAt).to.deep.equal({ value: 1_500_000_000, provenance: prov("chain") });
    expect(m?.teamReputation).to.deep.equal({ value: 50, provenance: prov("fixture") });
    // A known absence in a higher source wins over a value below it.
    expect(m?.lastExploitAt).to.deep.equal({ value: undefined, provenance: prov("config") });
    expect(m?.githubActivity.value).to.equal(undefined);
    expect(m?.githubActivity.provenance).to.equal(undefined);
    expect(m?.githubActivity.error).to.equal(
      "config: not set; defillama: not provided by defillama; chain: not provided by chain; fixture: not in fixture",
    );
  });

  it("survives a source that throws: its fields fall through to the next source", async () => {
    const logger = recordingLogger();
    const broken = stubSource("defillama", () => new Error("boom"));
    const composite = new CompositeSource([broken, fixture], { precedence: ["defillama", "fixture"] }, logger);
    const [m] = await composite.fetchMetrics([ref("x")], NOW);
    expect(m?.tvlUsd).to.deep.equal({ value: 1, provenance: prov("fixture") });
    expect(m?.auditScore.error).to.equal("defillama: source failed: boom; fixture: not in fixture");
    expect(logger.entries.some((e) => e.level === "error" && e.obj["source"] === "defillama")).to.equal(true);
  });

  it("only asks sources that some precedence names, and rejects unknown names", async () => {
    let asked = 0;
    const unused: RiskDataSource = { name: "unused", fetchMetrics: async (ps) => (asked++, ps.map((p) => allMissing(p.id, "x"))) };
    await new CompositeSource([fixture, unused], { precedence: ["fixture"] }, silentLogger).fetchMetrics([ref("x")], NOW);
    expect(asked).to.equal(0);
    expect(() => new CompositeSource([fixture], { precedence: ["fixture", "typo"] }, silentLogger)).to.throw(/typo/);
    expect(() => new CompositeSource([fixture, fixture], { precedence: ["fixture"] }, silentLogger)).to.throw(/two sources/);
  });

  it("treats a protocol a source did not return as missing", async () => {
    const partial: RiskDataSource = { name: "partial", fetchMetrics: async () => [] };
    const [m] = await new CompositeSource([partial], { precedence: ["partial"] }, silentLogger).fetchMetrics([ref("x")], NOW);
    expect(m?.tvlUsd).to.deep.equal(missing("partial: no entry returned"));
  });
});
