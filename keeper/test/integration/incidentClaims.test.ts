/**
 * Incidents and claims end to end on the in-process chain (fund v2, Nexus mocks behind the
 * adapter, the self-insurance pool), over HTTP through the counting proxy, with a DefiLlama-shaped
 * hacks feed on a loopback server and the fixture portfolio (a copy, so a TVL collapse can be
 * written into it):
 * - a TVL drop alone → suspected, sales halted on-chain, no claim, no purchase on that protocol;
 * - the same drop + a feed row → one incident, one claim; an edited row opens nothing new;
 * - operator confirm → claim; dismiss → no claim and the "admin may clear the halt" alert;
 * - the claim amount is the position's loss, never the coverage buffer;
 * - an incident in a coverage's last day is claimed after the keeper expired that coverage;
 * - Nexus DENIED and DRAW settled through settleClaim; the too-late alert;
 * - a claim that cannot be filed is visible (summary, status line, `keeper status`, /healthz);
 * - a claim filed but lost from the database is adopted from the chain, never filed twice;
 * - the lifecycle an operator can trust (issue 19): a dismissed false alarm never swallows the
 *   real exploit; the halt is kept in step with the incidents; `incident resolve`; what confirms
 *   (the wording table, the operator for a configured-size claim); one TVL reading never halts;
 *   a renewal held by an incident says when the cover lapses.
 */
import { loadFixture, time } from "@nomicfoundation/hardhat-network-helpers";
import { expect } from "chai";
import { promises as fs } from "node:fs";
import os from "node:os";
import path from "node:path";
import { network } from "hardhat";

import { PROTOCOLS, setParametersWith, units } from "../../../test/helpers/fundFixture";
import { buildProgram } from "../../src/cli/cli";
import { buildContainer, type ContainerOverrides, type KeeperContainer } from "../../src/cli/container";
import { containerLoops } from "../../src/cli/daemon";
import { KeeperMetrics } from "../../src/server/health";
import { parseConfig } from "../../src/config";
import type { ConfigFile } from "../../src/config/schema";
import type { PositionLossMeasurer } from "../../src/policy/claims";
import { openStateDb } from "../../src/state";
import { startLoopbackServer, type LoopbackServer } from "../helpers/loopbackServer";
import { decideIncident } from "../../src/cli/commands/incident";
import { collapseTvl, glitchTvl, deployKeeperSystem, fixtureCopy, KEEPER_KEY, keeperConfigFile, nexusQuoteRoutes, type KeeperSystem } from "../helpers/keeperSystem";
import { startRpcProxy, type RpcProxy } from "../helpers/rpcProxy";
import { recordingLogger } from "../sources/testDeps";

const DAY = 86_400;
const PRO_KEY = "test-pro-key";
const USDC = (n: number) => units(n, 6);
/** A position reader that measured the whole position lost (a claim at the configured size, with no reader, waits for the operator). */
const readerLoss: PositionLossMeasurer = {
  async measureLoss(position) {
    return { loss: position.targetAmount, derivation: { method: "measured", valueBefore: String(position.targetAmount), valueAfter: "0", source: "test position reader" } };
  },
};

/** DefiLlama Pro `/api/hacks` rows (no row id of their own: date, name, defillamaId, amount, ...). */
let feedRows: Record<string, unknown>[] = [];
const hack = (date: number, name = "Aave V3", extra: Record<string, unknown> = {}) => ({
  date,
  name,
  classification: "Protocol Logic",
  technique: "Oracle manipulation",
  amount: 12_000_000,
  chain: ["Ethereum"],
  bridgeHack: false,
  targetType: "DeFi Protocol",
  source: "https://example.org/post-mortem",
  returnedFunds: null,
  defillamaId: "1599",
  parentProtocolId: "parent#aave",
  language: "Solidity",
  ...extra,
});

describe("keeper incidents and claims (integration)", function () {
  this.timeout(120_000);
  let proxy: RpcProxy;
  let quotes: LoopbackServer;
  let feed: LoopbackServer;
  const opened: KeeperContainer[] = [];
  const dirs: string[] = [];

  const savedKey = process.env["KEEPER_PRIVATE_KEY"];
  const savedPro = process.env["DEFILLAMA_PRO_API_KEY"];
  before(async () => {
    process.env["KEEPER_PRIVATE_KEY"] = KEEPER_KEY; // for the CLI commands that sign
    process.env["DEFILLAMA_PRO_API_KEY"] = PRO_KEY;
    proxy = await startRpcProxy(network.provider);
    quotes = await startLoopbackServer(nexusQuoteRoutes());
    // DefiLlama Pro: GET {base}/{key}/api/hacks
    feed = await startLoopbackServer({ [`/${PRO_KEY}/api/hacks`]: () => ({ json: feedRows }) });
  });
  after(async () => {
    if (savedKey === undefined) delete process.env["KEEPER_PRIVATE_KEY"];
    else process.env["KEEPER_PRIVATE_KEY"] = savedKey;
    if (savedPro === undefined) delete process.env["DEFILLAMA_PRO_API_KEY"];
    else process.env["DEFILLAMA_PRO_API_KEY"] = savedPro;
    await proxy.close();
    await quotes.close();
    await feed.close();
  });
  afterEach(async () => {
    feedRows = [];
    for (const c of opened.splice(0)) c.close();
    for (const d of dirs.splice(0)) await fs.rm(d, { recursive: true, force: true });
  });

  async function keeper(options: { overrides?: Partial<ConfigFile>; selfInsured?: boolean; lossMeasurer?: PositionLossMeasurer; dbPath?: string } = {}) {
    const s = await loadFixture(deployKeeperSystem);
    const workDir = await fs.mkdtemp(path.join(os.tmpdir(), "keeper-inc-"));
    const fixtureDir = await fixtureCopy();
    dirs.push(workDir, fixtureDir);
    // A file database: the CLI (another process in real life) and the container share it.
    const base = keeperConfigFile(s, { rpcUrl: proxy.url, quoteBaseUrl: `${quotes.baseUrl}/`, fixtureDir, workDir, dbPath: options.dbPath ?? path.join(workDir, "state.sqlite") });
    const file: ConfigFile = {
      ...base,
      // Matched to the feed by DefiLlama id (a renamed row still matches).
      protocols: base.protocols?.map((p) => ({ ...p, defiLlamaId: "1599" })),
      sources: { ...base.sources, hacks: { proApiBaseUrl: feed.baseUrl, ttlSeconds: 0 } },
      alerts: { dedupMinutes: 0 },
      ...(options.selfInsured === true ? { positions: base.positions?.map((p) => ({ ...p, providers: [], allowSelfInsure: true })) } : {}),
      ...options.overrides,
    } as ConfigFile;
    const configPath = path.join(workDir, "keeper.json");
    await fs.writeFile(configPath, JSON.stringify(file));
    const config = parseConfig(file, { env: { KEEPER_PRIVATE_KEY: KEEPER_KEY, DEFILLAMA_PRO_API_KEY: PRO_KEY } });
    const logger = recordingLogger();
    const overrides: ContainerOverrides = { ...(options.lossMeasurer !== undefined ? { lossMeasurer: options.lossMeasurer } : {}) };
    const container = await buildContainer(config, logger, overrides);
    opened.push(container);
    const cli = async (...args: string[]): Promise<string> => {
      const lines: string[] = [];
      await buildProgram((text) => lines.push(text)).parseAsync(["--config", configPath, "--log-level", "silent", ...args], { from: "user" });
      return lines.join("\n");
    };
    return { s, container, logger, fixtureDir, workDir, config, cli, configPath };
  }

  async function ourCoverages(s: KeeperSystem) {
    const [ids] = await s.fund.getProtocolCoverages(PROTOCOLS.aave, 0, 500);
    const all = await Promise.all(ids.map((id) => s.fund.getCoverageDetails(id)));
    return all.filter((c) => c.beneficiary === s.beneficiary.address);
  }

  const alertTitles = (logger: ReturnType<typeof recordingLogger>) =>
    logger.entries.filter((e) => typeof e.msg === "string" && e.msg.startsWith("alert: ")).map((e) => (e.msg as string).slice(7));

  it("TVL drop without a hack → suspected, halt on-chain, no claim, no purchase on that protocol", async () => {
    const { s, container, fixtureDir, logger } = await keeper();
    await container.coverageCycle().run();
    expect(await ourCoverages(s)).to.have.length(1);
    await time.increase(3600);
    await collapseTvl(fixtureDir, "aave-v3", 0.35);
    const tick = await container.claimsCycle().run();
    expect(tick.newIncidents).to.have.length(1);
    expect(tick.incidents).to.deep.include({ suspected: 1, confirmed: 0 });
    expect(tick.halts.map((h) => h.status)).to.deep.equal(["confirmed"]);
    expect(tick.filed).to.deep.equal([]);
    expect(tick.plans).to.deep.equal([]);
    const onChain = await s.fund.getIncident(PROTOCOLS.aave);
    expect(onChain.active).to.equal(true);
    expect(await s.fund.claimCount()).to.equal(0n);
    expect(alertTitles(logger)).to.include("suspected incident: aave-v3");
    expect(alertTitles(logger)).to.include("sales halted: aave-v3");
    // Risk jumps (→ ×1.3 optimal): the coverage manager still buys, increases and renews nothing.
    await s.fund.connect(s.oracle).updateProtocolRisk(PROTOCOLS.aave, 90, 90, 90, 90, 90);
    proxy.reset();
    const coverage = await container.coverageCycle().run();
    expect(coverage.actions).to.deep.equal([]);
    expect(coverage.skipped.map((k) => k.reason)).to.include("incident-halt");
    expect(proxy.counts()["eth_sendRawTransaction"]).to.equal(undefined);
    const line = (await containerLoops(container, false).coverage()).line;
    expect(line).to.match(/halted=aave-v3 \(incident: nothing bought, increased or renewed\)/);
    // Ticks later: still one incident, still no claim, the halt reported once.
    const again = await container.claimsCycle().run();
    expect([again.newIncidents.length, again.halts.length, again.filed.length]).to.deep.equal([0, 0, 0]);
  });

  it("the same drop followed by a feed entry → one incident, one claim; an edited feed row opens nothing new", async () => {
    const { s, container, fixtureDir, logger } = await keeper({ lossMeasurer: readerLoss });
    await container.coverageCycle().run();
    await time.increase(3600);
    await collapseTvl(fixtureDir, "aave-v3", 0.4);
    const first = await container.claimsCycle().run();
    expect(first.incidents.suspected).to.equal(1);
    const hackAt = (await time.latest()) - 1800;
    feedRows = [hack(hackAt)];
    await time.increase(600);
    const second = await container.claimsCycle().run();
    expect(second.newIncidents).to.deep.equal([]);
    expect(second.transitions.map((t) => [t.from, t.to, t.by])).to.deep.equal([["suspected", "confirmed", "signal:hacks-feed"]]);
    expect(second.filed.map((f) => f.status)).to.deep.equal(["confirmed"]);
    // The confirmation alert promises a claim only where a loss is measured (a 0 or an unmeasurable loss is held with its own alert).
    const confirmedAlert = logger.entries.find((e) => e.msg === "alert: incident confirmed: aave-v3")?.obj["alert"] as { message: string } | undefined;
    expect(confirmedAlert?.message).to.match(/a claim is filed where a loss is measured, and a position whose loss is 0 or cannot be measured is held with its own alert/);
    expect(confirmedAlert?.message).to.not.match(/claims are filed for the affected coverages/);
    const incidents = container.state().incidents.list();
    expect(incidents).to.have.length(1);
    expect(new Set(container.state().incidents.signals(incidents[0]!.id).map((x) => x.kind))).to.deep.equal(new Set(["tvl-drop", "hacks-feed"]));
    const claim = await s.fund.getClaim(BigInt(second.filed[0]!.claimId!));
    expect(Number(claim.incidentAt)).to.equal(Math.min(hackAt, incidents[0]!.occurredAt));
    // The evidence pack lists both signals and the amount's derivation.
    const pack = JSON.parse((await fs.readFile(incidents[0]!.evidencePath!, "utf8"))) as { signals: { kind: string }[]; claims: { rule: string; amount: string }[] };
    expect(pack.signals.map((x) => x.kind).sort()).to.deep.equal(["hacks-feed", "tvl-drop"]);
    expect(pack.claims[0]).to.deep.include({ rule: "min(loss left for the position, remaining coverage)", amount: claim.amount.toString() });
    // The feed edits the row (new name, date corrected by an hour): no new incident, no claim.
    feedRows = [hack(hackAt - 3600, "Aave V3 (oracle incident)")];
    const third = await container.claimsCycle().run();
    expect([third.newIncidents.length, third.filed.length]).to.deep.equal([0, 0]);
    expect(container.state().incidents.list()).to.have.length(1);
    expect(await s.fund.claimCount()).to.equal(1n);
    expect(container.state().claims.list().map((c) => c.state)).to.deep.equal(["filed"]);
  });

  it("operator confirm → claim (the CLI files it when no daemon runs); dismiss → no claim and the clear-halt alert", async () => {
    const dbDir = await fs.mkdtemp(path.join(os.tmpdir(), "keeper-inc-db-"));
    dirs.push(dbDir);
    const { s, container, fixtureDir, cli } = await keeper({ dbPath: path.join(dbDir, "state.sqlite") });
    await container.coverageCycle().run();
    await time.increase(3600);
    await collapseTvl(fixtureDir, "aave-v3", 0.5);
    await container.claimsCycle().run();
    const [incident] = container.state().incidents.list();
    container.close();
    opened.splice(opened.indexOf(container), 1);
    const out = await cli("incident", "confirm", String(incident!.id));
    expect(out).to.match(new RegExp(`incident ${incident!.id} \\(.+\\): confirmed`));
    expect(out).to.match(/incident tick: filed 1/);
    expect(await s.fund.claimCount()).to.equal(1n);
    const status = JSON.parse(await cli("status", "--json")) as { openClaims: { state: string; fundClaimId: string | null }[]; incidents: { state: string; haltReported: boolean }[] };
    expect(status.openClaims.map((c) => [c.state, c.fundClaimId])).to.deep.equal([["filed", "1"]]);
    expect(status.incidents.map((i) => [i.state, i.haltReported])).to.deep.equal([["confirmed", true]]);
    expect(await cli("incident", "list")).to.match(/confirmed \(by operator\)/);
  });

  it("operator dismiss → no claim, ever; alert that the admin may clear the halt", async () => {
    const dbDir = await fs.mkdtemp(path.join(os.tmpdir(), "keeper-inc-db-"));
    dirs.push(dbDir);
    const { s, container, fixtureDir, cli, config } = await keeper({ dbPath: path.join(dbDir, "state.sqlite") });
    await container.coverageCycle().run();
    await time.increase(3600);
    await collapseTvl(fixtureDir, "aave-v3", 0.5);
    await container.claimsCycle().run();
    const [incident] = container.state().incidents.list();
    container.close();
    opened.splice(opened.indexOf(container), 1);
    expect(await cli("incident", "dismiss", String(incident!.id))).to.match(/: dismissed/);
    expect(await s.fund.claimCount()).to.equal(0n);
    const state = openStateDb(path.join(dbDir, "state.sqlite"));
    try {
      expect(state.incidents.get(incident!.id)?.state).to.equal("dismissed");
      expect(state.incidents.get(incident!.id)?.dismissAlertedAt).to.be.a("number");
    } finally {
      state.close();
    }
    // A fresh container on the same database: the TVL signal is known; nothing reopens, no claim.
    const again = await buildContainer(config, recordingLogger());
    opened.push(again);
    const tick = await again.claimsCycle().run();
    expect([tick.newIncidents.length, tick.filed.length]).to.deep.equal([0, 0]);
    expect((await s.fund.getIncident(PROTOCOLS.aave)).active).to.equal(true); // only the admin clears it
  });

  it("claim amount = the position's loss, not the cover (configured size; measured when a reader is configured)", async () => {
    // Risk 50 → ×1.1: the cover is 110 000 for a 100 000 position.
    const measured: PositionLossMeasurer = {
      async measureLoss() {
        return { loss: USDC(40_000), derivation: { method: "measured", valueBefore: String(USDC(100_000)), valueAfter: String(USDC(60_000)), source: "test aToken balance" } };
      },
    };
    for (const [lossMeasurer, expected, method] of [[undefined, USDC(100_000), "configured-size"], [measured, USDC(40_000), "measured"]] as const) {
      const { s, container } = await keeper({ selfInsured: true, ...(lossMeasurer !== undefined ? { lossMeasurer } : {}) });
      await s.fund.connect(s.oracle).updateProtocolRisk(PROTOCOLS.aave, 50, 50, 50, 50, 50);
      await container.coverageCycle().run();
      const [cover] = await ourCoverages(s);
      expect(cover?.amount).to.equal(USDC(110_000));
      await time.increase(3600);
      container.state().incidents.apply(
        [{ kind: "open", key: "manual:aave-v3:x", protocolId: "aave-v3", state: "confirmed", occurredAt: (await time.latest()) - 60, signal: { kind: "manual", protocolId: "aave-v3", sourceId: "manual:aave-v3:x", occurredAt: (await time.latest()) - 60, observedAt: await time.latest(), description: "operator report", sourceRef: "manual" } }],
        await time.latest(),
      );
      const tick = await container.claimsCycle().run();
      expect(tick.filed.map((f) => [f.status, f.amount])).to.deep.equal([["confirmed", expected.toString()]]);
      const claim = await s.fund.getClaim(1n);
      expect(claim.amount).to.equal(expected);
      const pack = JSON.parse(await fs.readFile(container.state().incidents.list()[0]!.evidencePath!, "utf8")) as { claims: { loss: { method: string } }[] };
      expect(pack.claims[0]?.loss.method).to.equal(method);
    }
  });

  it("an incident in a coverage's last day is claimed after the keeper swept that coverage as ended (self-insured, paid after the challenge period)", async () => {
    const { s, container, cli } = await keeper({ selfInsured: true, overrides: { coverage: { purchaseDurationDays: 30 } } });
    await container.coverageCycle().run();
    const [cover] = await ourCoverages(s);
    if (cover === undefined) throw new Error("no cover");
    await time.increaseTo(Number(cover.end) + 3600);
    // The coverage manager treats it as ended and buys a new cover. It does not send an expiry yet:
    // fund v2 keeps the coverage Active (in the cap and the reserve) until end + claimGracePeriod and
    // lists it as claimable until then.
    const sweep = await container.coverageCycle().run();
    expect(sweep.actions.map((a) => a.kind)).to.not.include("expire");
    expect(sweep.actions.map((a) => a.kind)).to.include("purchase");
    // The operator learns of an exploit 12 hours before the end.
    const occurredAt = Number(cover.end) - 12 * 3600;
    expect(await cli("incident", "add", "--protocol", "aave-v3", "--at", String(occurredAt), "--note", "post-mortem")).to.match(/recorded: .+ \(confirmed\)/);
    const tick = await container.claimsCycle().run();
    const filed = tick.filed.find((f) => f.coverId === cover.id.toString());
    expect(filed?.status).to.equal("confirmed");
    const claim = await s.fund.getClaim(BigInt(filed!.claimId!));
    expect(Number(claim.incidentAt)).to.equal(occurredAt);
    expect(claim.amount).to.equal(USDC(100_000));
    await s.fund.connect(s.assessor).assessClaim(claim.id, true, claim.amount);
    const waiting = await container.claimsCycle().run();
    expect(waiting.followUps.map((f) => f.kind)).to.deep.equal(["wait"]);
    await time.increase(2 * DAY + 1);
    const before = await s.fund.creditedPayout(s.beneficiary.address, s.usdcAddress);
    const settled = await container.claimsCycle().run();
    expect(settled.followUps.map((f) => [f.kind, f.status])).to.deep.equal([["settle", "confirmed"]]);
    expect((await s.fund.creditedPayout(s.beneficiary.address, s.usdcAddress)) - before).to.equal(USDC(100_000));
  });

  for (const outcome of ["DENIED", "DRAW"] as const) {
    it(`Nexus ${outcome}: settled through settleClaim end to end`, async () => {
      const { s, container, logger } = await keeper({ lossMeasurer: readerLoss });
      await container.coverageCycle().run();
      const [cover] = await ourCoverages(s);
      expect(cover?.providerId).to.equal(1n);
      await time.increase(3600);
      feedRows = [hack((await time.latest()) - 600)];
      const tick = await container.claimsCycle().run();
      expect(tick.filed.map((f) => f.status)).to.deep.equal(["confirmed"]);
      const claimId = BigInt(tick.filed[0]!.claimId!);
      const claim = await s.fund.getClaim(claimId);
      const deposit = claim.deposit;
      expect(deposit).to.be.greaterThan(0n);
      if (outcome === "DENIED") await s.nexusClaims.connect(s.admin).mockNexusCastVote(claim.providerClaimId, false);
      // DRAW: no assessor votes (0 = 0).
      await time.increase(4 * DAY + 1);
      const settled = await container.claimsCycle().run();
      expect(settled.followUps.map((f) => [f.kind, f.status])).to.deep.equal([["settle", "confirmed"]]);
      const after = await s.fund.getClaim(claimId);
      expect(after.status).to.equal(outcome === "DENIED" ? 3n : 5n); // Denied | Draw
      expect(after.payout).to.equal(0n);
      expect(container.state().claims.list().map((c) => c.state)).to.deep.equal([outcome === "DENIED" ? "denied" : "draw"]);
      expect(alertTitles(logger).some((t) => t === `claim ${claimId} settled`)).to.equal(true);
      // The coverage is free again and nothing is filed a second time for this incident.
      expect((await s.fund.getCoverageDetails(cover!.id)).openClaimId).to.equal(0n);
      const later = await container.claimsCycle().run();
      expect(later.filed).to.deep.equal([]);
      expect(await s.fund.claimCount()).to.equal(1n);
    });
  }

  it("gracePeriodFixedAtPurchase: the admin shortens claimGracePeriod after the purchase; the keeper keeps the coverage (no expiry) and files inside its own, older window", async () => {
    const { s, container, cli } = await keeper({ selfInsured: true, overrides: { coverage: { purchaseDurationDays: 30 } } });
    await container.coverageCycle().run();
    const [cover] = await ourCoverages(s);
    if (cover === undefined) throw new Error("no cover");
    const p = await s.fund.parameters();
    const grace = Number(p.claimGracePeriod);
    expect(grace).to.be.greaterThan(5 * DAY);
    // The admin shortens the global grace period to one hour: coverage already sold keeps its own.
    await setParametersWith(s.fund, s.admin, { claimGracePeriod: 3600 });
    expect(await s.fund.claimDeadline(cover.id)).to.equal(cover.end + BigInt(grace));
    // Five days after the end: past end + the new global grace, inside the coverage's own window.
    await time.increaseTo(Number(cover.end) + 5 * DAY);
    const sweep = await container.coverageCycle().run();
    expect(sweep.actions.map((a) => a.kind)).to.not.include("expire");
    expect(sweep.actions.filter((a) => a.status === "failed")).to.deep.equal([]);
    await cli("incident", "add", "--protocol", "aave-v3", "--at", String(Number(cover.end) - 3600), "--note", "post-mortem after the grace change");
    const tick = await container.claimsCycle().run();
    const plan = tick.plans.find((x) => x.coverId === cover.id.toString());
    expect(plan?.kind).to.equal("file-now");
    const filed = tick.filed.find((f) => f.coverId === cover.id.toString());
    expect(filed?.status).to.equal("confirmed");
    const claim = await s.fund.getClaim(BigInt(filed!.claimId!));
    expect(claim.coverageId).to.equal(cover.id);
    expect(Number(claim.submittedAt)).to.be.greaterThan(Number(cover.end) + 3600);
  });

  it("too late: an incident confirmed after the coverage's claim window closed raises the critical alert once", async () => {
    const { s, container, logger, cli } = await keeper({ selfInsured: true, overrides: { coverage: { purchaseDurationDays: 30 } } });
    await container.coverageCycle().run();
    const [cover] = await ourCoverages(s);
    if (cover === undefined) throw new Error("no cover");
    await container.claimsCycle().run(); // the keeper sees the coverage live
    const grace = Number((await s.fund.parameters()).claimGracePeriod);
    await time.increaseTo(Number(cover.end) + grace + 3600);
    await cli("incident", "add", "--protocol", "aave-v3", "--at", String(Number(cover.end) - 3600), "--note", "late post-mortem");
    const tick = await container.claimsCycle().run();
    expect(tick.plans.find((p) => p.coverId === cover.id.toString())?.kind).to.equal("too-late");
    expect(alertTitles(logger).filter((t) => t === "claim window closed")).to.have.length(1);
    await container.claimsCycle().run();
    expect(alertTitles(logger).filter((t) => t === "claim window closed")).to.have.length(1);
    expect(await s.fund.claimCount()).to.equal(0n);
  });

  it("a claim that cannot be filed (keeper not an agent) is counted, explained by `keeper status`, and degrades /healthz until fixed", async () => {
    const dbDir = await fs.mkdtemp(path.join(os.tmpdir(), "keeper-inc-db-"));
    dirs.push(dbDir);
    const { s, container, cli } = await keeper({ dbPath: path.join(dbDir, "state.sqlite"), lossMeasurer: readerLoss });
    await container.coverageCycle().run();
    await s.fund.connect(s.beneficiary).setAgent(s.keeper.address, false);
    await time.increase(3600);
    feedRows = [hack((await time.latest()) - 600)];
    const loops = containerLoops(container, false);
    const result = await loops.incident();
    expect(result.line).to.match(/unfileable=1 .*\(cannot file: the keeper 0x[0-9a-fA-F]{40} is not an agent of beneficiary/);
    expect(result.degraded).to.match(/1 claim\(s\) cannot be filed/);
    const metrics = new KeeperMetrics();
    metrics.setDegraded("incident", result.degraded);
    expect(metrics.health({ risk: 1e9, coverage: 1e9, incident: 1e9 }).ok).to.equal(false);
    const status = await cli("status");
    expect(status).to.match(/unfileable — the keeper .+ is not an agent/);
    expect(await s.fund.claimCount()).to.equal(0n);
    // Fixed: the next tick files it and the loop is healthy again.
    await s.fund.connect(s.beneficiary).setAgent(s.keeper.address, true);
    const fixed = await loops.incident();
    expect(fixed.degraded).to.equal(undefined);
    expect(fixed.line).to.match(/filed=1 .*unfileable=0/);
    expect(await s.fund.claimCount()).to.equal(1n);
  });

  it("a claim filed but lost from the database (crash after broadcast) is adopted from the chain, never filed twice", async () => {
    const { s, container } = await keeper({ lossMeasurer: readerLoss });
    await container.coverageCycle().run();
    await time.increase(3600);
    feedRows = [hack((await time.latest()) - 600)];
    const tick = await container.claimsCycle().run();
    expect(tick.filed.map((f) => f.status)).to.deep.equal(["confirmed"]);
    // The crash: the claims row and the journal entry are gone (as if the update never committed).
    container.state().db.prepare("DELETE FROM claims").run();
    container.state().db.prepare("DELETE FROM tx_attempts WHERE action_id IN (SELECT id FROM action_journal WHERE kind = 'file-claim')").run();
    container.state().db.prepare("DELETE FROM action_journal WHERE kind = 'file-claim'").run();
    proxy.reset();
    const next = await container.claimsCycle().run();
    expect(next.adopted.map((a) => a.claimId)).to.deep.equal([tick.filed[0]!.claimId]);
    expect(next.filed).to.deep.equal([]);
    expect(proxy.counts()["eth_sendRawTransaction"]).to.equal(undefined);
    expect(container.state().claims.list().map((c) => [c.state, c.fundClaimId])).to.deep.equal([["filed", tick.filed[0]!.claimId]]);
    expect(await s.fund.claimCount()).to.equal(1n);
  });

  // ─── The lifecycle an operator can trust (issue 19 §1) ────────────────────────────────────

  const messages = (logger: ReturnType<typeof recordingLogger>, title: string) =>
    logger.entries.filter((e) => e.msg === `alert: ${title}`).map((e) => JSON.stringify(e));

  it("a dismissed false alarm does not swallow the real exploit: a feed row 48 h later opens a new confirmed incident, alerts, halts again and claims", async () => {
    const { s, container, fixtureDir, logger } = await keeper({ lossMeasurer: readerLoss });
    await container.coverageCycle().run();
    await time.increase(3600);
    await collapseTvl(fixtureDir, "aave-v3", 0.5);
    await container.claimsCycle().run();
    const [falseAlarm] = container.state().incidents.list();
    decideIncident(container.state(), String(falseAlarm!.id), "dismissed", await time.latest());
    await container.claimsCycle().run();
    expect(messages(logger, "incident dismissed: aave-v3").join()).to.match(/`npm run keeper -- clear-incident aave-v3`/);
    await s.fund.connect(s.admin).clearIncident(PROTOCOLS.aave);
    await time.increase(48 * 3600);
    feedRows = [hack((await time.latest()) - 600)];
    const tick = await container.claimsCycle().run();
    expect(tick.newIncidents).to.have.length(1);
    expect(tick.incidents).to.deep.include({ confirmed: 1, dismissed: 1 });
    expect(alertTitles(logger)).to.include("new signal after a dismissed incident: aave-v3");
    expect(tick.halts.map((h) => h.status)).to.deep.equal(["confirmed"]);
    expect((await s.fund.getIncident(PROTOCOLS.aave)).active).to.equal(true);
    expect(tick.filed.map((f) => f.status)).to.deep.equal(["confirmed"]);
    expect(container.state().incidents.get(falseAlarm!.id)?.state).to.equal("dismissed");
  });

  it("the halt is kept in step with the incidents: a halt the admin cleared while the incident is open is reported again, with an alert", async () => {
    const { s, container, fixtureDir, logger } = await keeper();
    await container.coverageCycle().run();
    await time.increase(3600);
    await collapseTvl(fixtureDir, "aave-v3", 0.5);
    expect((await container.claimsCycle().run()).halts.map((h) => h.status)).to.deep.equal(["confirmed"]);
    await s.fund.connect(s.admin).clearIncident(PROTOCOLS.aave);
    const tick = await container.claimsCycle().run();
    expect(tick.halts.map((h) => [h.status, h.again])).to.deep.equal([["confirmed", true]]);
    expect((await s.fund.getIncident(PROTOCOLS.aave)).active).to.equal(true);
    expect(alertTitles(logger)).to.include("sales halted again: aave-v3");
    // In step: the next tick sends nothing.
    proxy.reset();
    expect((await container.claimsCycle().run()).halts).to.deep.equal([]);
    expect(proxy.counts()["eth_sendRawTransaction"]).to.equal(undefined);
  });

  it("`keeper incident resolve <id>`: a confirmed incident is resolved, the keeper says how the admin clears the halt, and cover is bought again once it is cleared", async () => {
    const dbDir = await fs.mkdtemp(path.join(os.tmpdir(), "keeper-inc-db-"));
    dirs.push(dbDir);
    const { s, container, cli, config } = await keeper({ dbPath: path.join(dbDir, "state.sqlite"), lossMeasurer: readerLoss });
    await container.coverageCycle().run();
    await time.increase(3600);
    feedRows = [hack((await time.latest()) - 600)];
    expect((await container.claimsCycle().run()).filed.map((f) => f.status)).to.deep.equal(["confirmed"]);
    const [incident] = container.state().incidents.list();
    container.close();
    opened.splice(opened.indexOf(container), 1);
    const out = await cli("incident", "resolve", String(incident!.id));
    expect(out).to.match(new RegExp(`incident ${incident!.id} \\(.+\\): resolved`));
    expect(out).to.match(/`npm run keeper -- clear-incident aave-v3`/);
    expect(await cli("incident", "list")).to.match(/resolved \(by operator\)/);
    const logger = recordingLogger();
    const again = await buildContainer(config, logger);
    opened.push(again);
    await again.claimsCycle().run();
    const clearable = alertTitles(logger).filter((t) => t === "incident resolved: aave-v3");
    expect(clearable.length).to.be.lessThan(2);
    // The coverage manager no longer treats the protocol as halted on the keeper's side; the fund's halt is the admin's.
    await s.fund.connect(s.admin).clearIncident(PROTOCOLS.aave);
    const coverage = await again.coverageCycle().run();
    expect(coverage.skipped.map((k) => k.reason)).to.not.include("incident-halt");
  });

  it("what confirms: a front-end/DNS hacks-feed row alerts and waits for the operator (suspected, no claim); the operator's confirm files the claim", async () => {
    const { s, container, logger } = await keeper({ lossMeasurer: readerLoss });
    await container.coverageCycle().run();
    await time.increase(3600);
    feedRows = [hack((await time.latest()) - 600, "Aave V3", { classification: "Infrastructure", technique: "Frontend DNS attack" })];
    const tick = await container.claimsCycle().run();
    expect(tick.incidents).to.deep.include({ suspected: 1, confirmed: 0 });
    expect(tick.filed).to.deep.equal([]);
    expect(alertTitles(logger)).to.include("hacks feed reports aave-v3: operator decision needed");
    expect(messages(logger, "hacks feed reports aave-v3: operator decision needed").join()).to.match(/does not pay/);
    expect(await s.fund.claimCount()).to.equal(0n);
    const [incident] = container.state().incidents.list();
    decideIncident(container.state(), String(incident!.id), "confirmed", await time.latest());
    expect((await container.claimsCycle().run()).filed.map((f) => f.status)).to.deep.equal(["confirmed"]);
  });

  it("what confirms: a claim at the configured size (no position reader) waits for the operator, with a critical alert; the operator's confirm files it", async () => {
    const { s, container, logger } = await keeper();
    await container.coverageCycle().run();
    await time.increase(3600);
    feedRows = [hack((await time.latest()) - 600)];
    const tick = await container.claimsCycle().run();
    expect(tick.incidents).to.deep.include({ confirmed: 1 });
    expect(tick.filed).to.deep.equal([]);
    expect(tick.unfileable.map((u) => u.reason).join()).to.match(/configured size .* waits for the operator/);
    expect(alertTitles(logger).some((t) => t.startsWith("claim cannot be filed"))).to.equal(true);
    expect(await s.fund.claimCount()).to.equal(0n);
    const [incident] = container.state().incidents.list();
    decideIncident(container.state(), String(incident!.id), "confirmed", await time.latest());
    expect(container.state().incidents.get(incident!.id)?.stateBy).to.equal("operator");
    const next = await container.claimsCycle().run();
    expect(next.filed.map((f) => [f.status, f.amount])).to.deep.equal([["confirmed", USDC(100_000).toString()]]);
  });

  it("what halts: one low TVL reading that recovers, or a 0 reading (a data error), opens no incident and no halt", async () => {
    const { s, container, fixtureDir, logger } = await keeper();
    await container.coverageCycle().run();
    await time.increase(3600);
    const file = path.join(fixtureDir, "aave-v3.json");
    const original = await fs.readFile(file, "utf8");
    await glitchTvl(fixtureDir, "aave-v3", 1_000);
    const glitch = await container.claimsCycle().run();
    await fs.writeFile(file, original);
    await time.increase(600);
    const recovered = await container.claimsCycle().run();
    expect([glitch.newIncidents.length, recovered.newIncidents.length]).to.deep.equal([0, 0]);
    await glitchTvl(fixtureDir, "aave-v3", 0);
    await container.claimsCycle().run();
    await time.increase(3 * 3600);
    const zero = await container.claimsCycle().run();
    expect(zero.newIncidents).to.deep.equal([]);
    expect(logger.entries.some((e) => typeof e.msg === "string" && e.msg.includes("data error"))).to.equal(true);
    expect((await s.fund.getIncident(PROTOCOLS.aave)).active).to.equal(false);
  });

  it("a renewal or purchase skipped because of an incident raises a critical alert with the date the cover lapses", async () => {
    const { s, container, fixtureDir, logger } = await keeper();
    await container.coverageCycle().run();
    const [cover] = await ourCoverages(s);
    await time.increase(3600);
    await collapseTvl(fixtureDir, "aave-v3", 0.5);
    await container.claimsCycle().run();
    const coverage = await container.coverageCycle().run();
    expect(coverage.skipped.map((k) => k.reason)).to.include("incident-halt");
    const alerts = logger.entries.filter((e) => e.msg === "alert: cover held by an incident: aave-v3");
    expect(alerts).to.have.length(1);
    expect(JSON.stringify(alerts[0])).to.include(`${new Date(Number(cover!.end) * 1000).toISOString().replace(/\.\d{3}Z$/, "Z")} (chain time)`);
    expect(JSON.stringify(alerts[0])).to.include("critical");
  });

  // ─── Reorgs (issue 19 §5) ─────────────────────────────────────────────────────────────────

  it("a claim removed by a reorg: ticks keep running (no FundUnknownClaim), the claim is re-checked against its receipt and filed again, with a critical alert", async () => {
    const { s, container, logger } = await keeper({ lossMeasurer: readerLoss });
    await container.coverageCycle().run();
    await time.increase(3600);
    feedRows = [hack((await time.latest()) - 600)];
    const snapshot = (await network.provider.send("evm_snapshot", [])) as string;
    const filed = await container.claimsCycle().run();
    expect(filed.filed.map((f) => f.status)).to.deep.equal(["confirmed"]);
    expect(await s.fund.claimCount()).to.equal(1n);
    // The reorg: the blocks with the halt and the claim are gone; the journal still says confirmed.
    await network.provider.send("evm_revert", [snapshot]);
    expect(await s.fund.claimCount()).to.equal(0n);
    const after = await container.claimsCycle().run();
    expect(alertTitles(logger)).to.include(`claim ${filed.filed[0]!.claimId} vanished in a reorg`);
    expect(container.state().claims.list().map((c) => c.state)).to.deep.equal(["scheduled"]);
    expect(after.halts).to.have.length(1); // the halt, gone with the reorg, is reported again
    const [row] = container.state().claims.list();
    expect(row?.fundClaimId).to.equal(undefined);
    const entry = container.state().journal.list({ kind: "file-claim" })[0];
    expect([entry?.state, entry?.error]).to.deep.equal(["failed", `reorged: claim ${filed.filed[0]!.claimId} vanished in a reorg (no receipt for ${entry?.txHash ?? ""}): filed again`]);
    const refiled = await container.claimsCycle().run();
    expect(refiled.filed.map((f) => f.status)).to.deep.equal(["confirmed"]);
    expect(await s.fund.claimCount()).to.equal(1n);
    expect(container.state().claims.list().map((c) => [c.state, c.fundClaimId])).to.deep.equal([["filed", "1"]]);
  });
});
