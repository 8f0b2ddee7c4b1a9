/**
 * Coverage manager and claims automation end to end: the full system (fund, Nexus mocks behind
 * the adapter as provider 1, the capacity-limited mock as provider 2) on the in-process Hardhat
 * network over HTTP through the counting proxy, the Nexus quote API on a loopback server, and
 * the fixture portfolio (a copy, so a TVL collapse can be written into it).
 */
import { loadFixture, time } from "@nomicfoundation/hardhat-network-helpers";
import { expect } from "chai";
import { promises as fs } from "node:fs";
import path from "node:path";
import { keccak256 } from "ethers";

import { cidV0Of } from "../../src/lib/cid";
import { nexusProofPath } from "../../src/sources/claimEvidence";
import { ethers } from "hardhat";

import { PROTOCOLS, units } from "../../../test/helpers/fundFixture";
import type { PositionLossMeasurer } from "../../src/policy/claims";
import { buildContainer } from "../../src/cli/container";
import { buildProgram } from "../../src/cli/cli";
import { parseConfig } from "../../src/config";
import { openStateDb } from "../../src/state";
import type { ConfigFile } from "../../src/config/schema";
import { collapseTvl, deployKeeperSystem, fixtureCopy, KEEPER_KEY, keeperConfigFile, type KeeperSystem } from "../helpers/keeperSystem";
import { keeperHarness } from "../helpers/keeperHarness";
import { recordingLogger } from "../sources/testDeps";

const DAY = 86_400;

describe("keeper coverage and claims (integration)", function () {
  this.timeout(60_000);
  const h = keeperHarness({ quotes: true });
  afterEach(() => h.proxy.setFault(undefined));

  async function keeper(options: { overrides?: Partial<ConfigFile>; collapse?: boolean; lossMeasurer?: PositionLossMeasurer } = {}) {
    const s = await loadFixture(deployKeeperSystem);
    const workDir = await h.tempDir("keeper-int-");
    const fixtureDir = h.removeAfter(await fixtureCopy());
    const file = keeperConfigFile(s, {
      rpcUrl: h.proxy.url,
      quoteBaseUrl: `${h.quotes.baseUrl}/`,
      fixtureDir,
      workDir,
      ...(options.overrides !== undefined ? { overrides: options.overrides } : {}),
    });
    const config = parseConfig(file, { env: { KEEPER_PRIVATE_KEY: KEEPER_KEY } });
    const logger = recordingLogger();
    const container = await buildContainer(config, logger, options.lossMeasurer !== undefined ? { lossMeasurer: options.lossMeasurer } : {});
    h.track(container);
    return { s, container, logger, fixtureDir, workDir };
  }

  async function beneficiaryCoverages(s: KeeperSystem) {
    const [ids] = await s.fund.getProtocolCoverages(PROTOCOLS.aave, 0, 500);
    const all = await Promise.all(ids.map((id) => s.fund.getCoverageDetails(id)));
    return all.filter((c) => c.beneficiary === s.beneficiary.address && c.status === 1n);
  }

  it("buys the optimal cover through Nexus (approval journaled), then tops up when the risk rises", async () => {
    const { s, container } = await keeper();
    const cycle = container.coverageCycle();

    const first = await cycle.run();
    expect(first.actions.map((a) => [a.kind, a.status])).to.deep.equal([
      ["approve", "confirmed"],
      ["purchase", "confirmed"],
    ]);
    expect(first.actions[1]?.providerId).to.equal(1);
    const score = Number(await s.fund.calculateProtocolRisk(PROTOCOLS.aave));
    expect(score).to.be.at.most(40); // × 1.0
    let covers = await beneficiaryCoverages(s);
    expect(covers).to.have.length(1);
    expect(covers[0]?.amount).to.equal(units(100_000, 6));
    expect(covers[0]?.providerId).to.equal(1n);
    expect(container.state().journal.list({ kind: "approve" })).to.have.length(1);

    // Nothing to do while the ratio holds.
    const idle = await cycle.run();
    expect(idle.actions).to.deep.equal([]);

    // Risk above 80: optimal × 1.3 → ratio 0.77 < 0.8 → increase of the missing 30 000.
    await s.fund.connect(s.oracle).updateProtocolRisk(PROTOCOLS.aave, 90, 90, 90, 90, 90);
    const second = await cycle.run();
    expect(second.actions.map((a) => [a.kind, a.status])).to.deep.equal([["increase", "confirmed"]]);
    covers = await beneficiaryCoverages(s);
    expect(covers.map((c) => c.amount).reduce((a, b) => a + b, 0n)).to.equal(units(130_000, 6));
  });

  it("renews a cover inside the renewal window (keeper is the beneficiary's agent)", async () => {
    const { s, container } = await keeper();
    const cycle = container.coverageCycle();
    await cycle.run();
    const [cover] = await beneficiaryCoverages(s);
    if (cover === undefined) throw new Error("no cover bought");
    await time.increaseTo(Number(cover.end) - 10 * DAY);
    const summary = await cycle.run();
    expect(summary.actions.map((a) => [a.kind, a.status])).to.deep.equal([["renew", "confirmed"]]);
    const renewed = await s.fund.getCoverageDetails(cover.id);
    expect(renewed.end).to.be.greaterThan(cover.end);
    expect(Number(renewed.end) - (await time.latest())).to.be.closeTo(365 * DAY, 5);
  });

  it("reports a renewal it cannot send when the keeper is not an agent", async () => {
    const { s, container } = await keeper();
    const cycle = container.coverageCycle();
    await cycle.run();
    await s.fund.connect(s.beneficiary).setAgent(s.keeper.address, false);
    const [cover] = await beneficiaryCoverages(s);
    await time.increaseTo(Number(cover?.end) - 10 * DAY);
    h.proxy.reset();
    const summary = await cycle.run();
    expect(summary.notAgent.map((n) => n.beneficiary)).to.deep.equal([s.beneficiary.address]);
    expect(summary.actions).to.deep.equal([]);
    expect(h.proxy.counts()["eth_sendRawTransaction"]).to.equal(undefined);
  });

  it("defers a purchase beyond the premium budget and reports it, sending nothing", async () => {
    const { container } = await keeper({ overrides: { budget: { maxPremiumPerCycleUsd: 100, maxPremiumPerDayUsd: 1000 } } });
    h.proxy.reset();
    const summary = await container.coverageCycle().run();
    expect(summary.deferred).to.have.length(1);
    expect(summary.deferred[0]).to.include({ kind: "purchase", reason: "cycle-budget", protocolId: "aave-v3" });
    expect(summary.actions).to.deep.equal([]);
    expect(h.proxy.counts()["eth_sendRawTransaction"]).to.equal(undefined);
  });

  it("falls back to the second provider when Nexus has no quote source", async () => {
    const { s, container } = await keeper({
      overrides: { providers: { nexus: { providerId: 1, productIds: {} }, onChainQuote: [2] } },
    });
    // At its default 3%/year the mock is above the fund's premium (→ self-insured); at 0.5% it fits.
    await s.secondProvider.connect(s.admin).mockSetPrice(50);
    const summary = await container.coverageCycle().run();
    expect(summary.actions.find((a) => a.kind === "purchase")).to.include({ status: "confirmed", providerId: 2 });
    const [cover] = await beneficiaryCoverages(s);
    expect(cover?.providerId).to.equal(2n);
  });

  it("dry run plans approval and purchase but signs nothing", async () => {
    const { container } = await keeper();
    h.proxy.reset();
    const summary = await container.coverageCycle({ dryRun: true }).run({ dryRun: true });
    expect(summary.dryRun).to.equal(true);
    expect(summary.plan.actions.map((a) => a.kind)).to.deep.equal(["purchase"]);
    expect(summary.actions.map((a) => [a.kind, a.status])).to.deep.equal([
      ["approve", "dry-run"],
      ["purchase", "not-sent"],
    ]);
    expect(h.proxy.counts()["eth_sendRawTransaction"]).to.equal(undefined);
  });

  it("exploit → incident → evidence → claim at the allowed time → Nexus vote → settle → beneficiary credited, never twice (protocol opted into claiming on suspected)", async () => {
    // A TVL drop alone is only suspected; this protocol opted into claiming on suspected incidents.
    // A position reader measures the loss (a claim at the configured size would wait for the operator).
    const lossMeasurer: PositionLossMeasurer = {
      async measureLoss(position) {
        return { loss: position.targetAmount, derivation: { method: "measured", valueBefore: String(position.targetAmount), valueAfter: "0", source: "test position reader" } };
      },
    };
    const { s, container, fixtureDir, workDir } = await keeper({ overrides: { incidents: { autoClaimOnSuspected: ["aave-v3"] } } as Partial<ConfigFile>, lossMeasurer });
    await container.coverageCycle().run();
    const [cover] = await beneficiaryCoverages(s);
    if (cover === undefined) throw new Error("no cover bought");
    const claims = container.claimsCycle();

    // Quiet data: nothing detected.
    const quiet = await claims.run();
    expect(quiet.newIncidents).to.deep.equal([]);

    await time.increase(3600);
    await collapseTvl(fixtureDir, "aave-v3", 0.6);
    const tick = await claims.run();
    expect(tick.newIncidents).to.have.length(1);
    expect(tick.newIncidents[0]).to.match(/^tvl-drop:aave-v3:/);
    expect(tick.filed).to.have.length(1);
    expect(tick.filed[0]).to.include({ status: "confirmed", coverId: cover.id.toString() });
    const claimId = BigInt(tick.filed[0]?.claimId ?? "0");
    const claim = await s.fund.getClaim(claimId);
    expect(claim.submittedAt).to.be.greaterThan(cover.start); // not in the purchase block
    expect(claim.deposit).to.equal(await s.nexusClaims.CLAIM_DEPOSIT_IN_ETH());
    const [incident] = container.state().incidents.list();
    const evidence = await fs.readFile(incident?.evidencePath ?? "");
    expect(path.dirname(incident?.evidencePath ?? "")).to.equal(path.join(workDir, "evidence"));
    expect(incident?.evidenceHash).to.equal(keccak256(evidence)); // the pack on disk
    // Hedged through Nexus: evidence = CIDv0 multihash of the claim proof written beside the pack ‖ the pack.
    const proofPath = nexusProofPath(incident?.evidencePath ?? "", cover.providerCoverId);
    const proof = await fs.readFile(proofPath);
    const proofCid = cidV0Of(proof);
    expect(claim.evidenceHash).to.equal(keccak256(Buffer.concat([Buffer.from(proofCid.multihash.slice(2), "hex"), evidence])));
    const upstream = await s.nexusClaims.getClaimDetails(claim.providerClaimId);
    expect(upstream.ipfsMetadata).to.equal(proofCid.digest); // what Nexus assessors resolve on IPFS
    const parsedProof = JSON.parse(proof.toString("utf8")) as { coverId: number; affectedAddresses: string[]; version: string };
    expect(parsedProof).to.include({ version: "1.0", coverId: Number(cover.providerCoverId) });
    expect(parsedProof.affectedAddresses).to.deep.equal([s.beneficiary.address]);

    // Same data next tick: no new incident, no second claim.
    h.proxy.reset();
    const again = await claims.run();
    expect(again.newIncidents).to.deep.equal([]);
    expect(again.filed).to.deep.equal([]);
    expect(again.followUps.map((f) => f.kind)).to.deep.equal(["wait"]);
    expect(h.proxy.counts()["eth_sendRawTransaction"]).to.equal(undefined);

    // Nexus assessors accept; after voting + cooldown the keeper settles.
    await s.nexusClaims.connect(s.admin).mockNexusCastVote(claim.providerClaimId, true);
    await time.increase(4 * DAY + 1);
    const before = await s.fund.creditedPayout(s.beneficiary.address, s.usdcAddress);
    const settled = await claims.run();
    expect(settled.followUps.map((f) => [f.kind, f.status])).to.deep.equal([["settle", "confirmed"]]);
    expect((await s.fund.getClaim(claimId)).status).to.equal(4n); // Paid
    expect((await s.fund.creditedPayout(s.beneficiary.address, s.usdcAddress)) - before).to.equal(cover.amount);
    expect(container.state().journal.list({ kind: "file-claim" })).to.have.length(1);
    const final = await claims.run();
    expect(final.filed).to.deep.equal([]);
    expect(container.state().claims.list().map((c) => c.state)).to.deep.equal(["paid"]);
  });

  it("a manual incident in the purchase block is scheduled, then filed by the first tick after it (Nexus rule)", async () => {
    const { s, container } = await keeper();
    await container.coverageCycle().run();
    const [cover] = await beneficiaryCoverages(s);
    if (cover === undefined) throw new Error("no cover bought");
    const at = Number(cover.start);
    expect(await time.latest()).to.equal(at); // no block since the purchase
    container.state().incidents.record({
      protocol: "aave-v3",
      kind: "manual",
      detectedAt: at,
      dedupeKey: `manual:aave-v3:${at}`,
      details: { occurredAt: at, description: "operator report", sourceRef: "manual" },
    });
    const first = await container.claimsCycle().run();
    expect(first.plans.map((p) => [p.kind, p.at])).to.deep.equal([["schedule", at + 1]]);
    expect(first.filed).to.deep.equal([]);
    expect(container.state().claims.list().map((c) => [c.state, c.fileAfter])).to.deep.equal([["scheduled", at + 1]]);

    await time.increase(1);
    const second = await container.claimsCycle().run();
    expect(second.filed.map((f) => f.status)).to.deep.equal(["confirmed"]);
    expect((await s.fund.getClaim(1n)).submittedAt).to.be.greaterThan(cover.start);
    expect(await s.fund.claimCount()).to.equal(1n);
  });

  it("CLI: `incident add`, `report` (table + JSON file + reports table) and `status` over one database", async () => {
    const { s, container, workDir, fixtureDir } = await keeper();
    await container.coverageCycle().run();
    const dbPath = path.join(workDir, "state.sqlite");
    const file = keeperConfigFile(s, { rpcUrl: h.proxy.url, quoteBaseUrl: `${h.quotes.baseUrl}/`, fixtureDir, workDir, dbPath });
    const configPath = path.join(workDir, "keeper.json");
    await fs.writeFile(configPath, JSON.stringify(file));
    const run = async (...args: string[]): Promise<string> => {
      const lines: string[] = [];
      await buildProgram((text) => lines.push(text)).parseAsync(["--config", configPath, "--log-level", "silent", ...args], { from: "user" });
      return lines.join("\n");
    };
    const tx = `0x${"ab".repeat(32)}`;
    expect(await run("incident", "add", "--protocol", "aave-v3", "--tx", tx, "--loss", "250000", "--at", "1800000000")).to.match(/incident 1 recorded: manual:aave-v3:0xabab/);
    expect(await run("incident", "add", "--protocol", "aave-v3", "--tx", tx, "--at", "1800000000")).to.match(/already recorded/);
    // Without --at the incident is stamped with chain time (the latest block), not the wall clock.
    const chainTime = (await ethers.provider.getBlock("latest"))!.timestamp;
    expect(await run("incident", "add", "--protocol", "aave-v3", "--note", "oracle bug")).to.match(/incident \d+ recorded: manual:aave-v3:\d+/);
    const dbForTime = openStateDb(dbPath);
    try {
      const recorded = dbForTime.incidents.list().find((i) => i.dedupeKey === `manual:aave-v3:${chainTime}`);
      expect(recorded?.detectedAt).to.equal(chainTime);
    } finally {
      dbForTime.close();
    }
    const table = await run("report");
    // Value "-": this position has a fixed targetAmount and no on-chain position to read.
    // Value | Position | Target (issue 22: the old "Target" column was the position) | Coverage | Cover/value
    expect(table, table).to.match(/aave-v3 +\| \d+ +\| LOW +\| - +\| \$100,000\.00 +\| \$100,000\.00 +\| \$100,000\.00 +\| - +\|/);
    expect(table).to.match(/Uncovered: none/);
    const reportFile = /JSON: (.+)$/m.exec(table)?.[1] ?? "";
    const json = JSON.parse(await fs.readFile(reportFile, "utf8")) as { totalCoverageWad: string };
    expect(json.totalCoverageWad).to.equal((100_000n * 10n ** 18n).toString());
    const status = JSON.parse(await run("status", "--json")) as { daemon: unknown; incidents: { key: string }[]; journal: Record<string, number> };
    expect(status.daemon).to.equal(null);
    expect(status.incidents.map((i) => i.key)).to.include(`manual:aave-v3:${tx}`);
    const state = openStateDb(dbPath);
    try {
      expect(state.reports.history()).to.have.length(1);
    } finally {
      state.close();
    }
  });

  it("CLI: `score --all --json`, `push-risk --dry-run` and `once --dry-run` plan without signing", async () => {
    const { s, workDir, fixtureDir } = await keeper();
    const dbPath = path.join(workDir, "cli.sqlite");
    const file = keeperConfigFile(s, { rpcUrl: h.proxy.url, quoteBaseUrl: `${h.quotes.baseUrl}/`, fixtureDir, workDir, dbPath });
    const configPath = path.join(workDir, "keeper-cli.json");
    await fs.writeFile(configPath, JSON.stringify(file));
    const run = async (...args: string[]): Promise<string> => {
      const lines: string[] = [];
      await buildProgram((text) => lines.push(text)).parseAsync(["--config", configPath, "--log-level", "silent", ...args], { from: "user" });
      return lines.join("\n");
    };
    // Issue 22: `score --json` names its config (`context`) around the scores.
    const scored = JSON.parse(await run("score", "--all", "--json")) as { context: { config: string }; scores: { protocol: string; composite: number; category: string }[] };
    expect(scored.context.config).to.equal(configPath);
    const scores = scored.scores;
    expect(scores.map((x) => x.protocol)).to.deep.equal(["aave-v3"]);
    expect(scores[0]!.composite).to.be.within(0, 100);
    const sentBefore = (h.proxy.counts()["eth_sendRawTransaction"] ?? 0);
    const riskBefore = await s.fund.getProtocolRisk(PROTOCOLS.aave);
    expect(await run("push-risk", "--dry-run")).to.not.equal("");
    expect(await run("once", "--dry-run")).to.not.equal("");
    expect((h.proxy.counts()["eth_sendRawTransaction"] ?? 0)).to.equal(sentBefore);
    expect((await s.fund.getProtocolRisk(PROTOCOLS.aave)).lastUpdated).to.equal(riskBefore.lastUpdated);
    expect(await s.fund.coverageCount()).to.equal(0n);
  });

  it("recovers from RPC faults (429, 500, drop, delay) during a coverage cycle", async () => {
    const { s, container } = await keeper();
    const cycle = container.coverageCycle();
    for (const fault of [
      { kind: "status", status: 429, times: 2 },
      { kind: "status", status: 500, times: 2 },
      { kind: "drop", times: 1 },
      { kind: "delay", ms: 200, times: 3 },
    ] as const) {
      h.proxy.reset();
      h.proxy.setFault(fault);
      const summary = await cycle.run();
      expect(summary.actions.every((a) => a.status === "confirmed"), JSON.stringify(fault)).to.equal(true);
      if (fault.kind !== "delay") expect(h.proxy.faulted(), JSON.stringify(fault)).to.be.greaterThan(0);
    }
    expect(await beneficiaryCoverages(s)).to.have.length(1);
  });
});
