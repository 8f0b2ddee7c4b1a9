/**
 * Live positions and the on-chain exploit watch, end to end: the full system (fund, Nexus mocks,
 * second provider) plus the protocol stand-ins over the fund's USDC and Multicall3 at its
 * canonical address, the keeper over HTTP through the counting proxy.
 */
import { loadFixture, mine } from "@nomicfoundation/hardhat-network-helpers";
import { expect } from "chai";
import { promises as fs } from "node:fs";
import os from "node:os";
import path from "node:path";
import { ethers, network } from "hardhat";

import { PROTOCOLS, units } from "../../../test/helpers/fundFixture";
import { buildContainer, type KeeperContainer } from "../../src/cli/container";
import { decideIncident } from "../../src/cli/commands/incident";
import { FUND_INCIDENT_ABI } from "../../src/cycles/exploitWatch";
import { parseConfig } from "../../src/config";
import type { ConfigFile } from "../../src/config/schema";
import { CORROBORATING_SIGNALS } from "../../src/policy/incidentSignals";
import { startLoopbackServer, type LoopbackServer } from "../helpers/loopbackServer";
import { deployKeeperSystem, fixtureCopy, KEEPER_KEY, keeperConfigFile, nexusQuoteRoutes } from "../helpers/keeperSystem";
import { deployStandIns, usdc6 } from "../helpers/protocolStandIns";
import { startRpcProxy, type RpcProxy } from "../helpers/rpcProxy";
import { recordingLogger, type RecordingLogger } from "../sources/testDeps";

async function systemWithStandIns() {
  const s = await deployKeeperSystem();
  const p = await deployStandIns({ usdc: s.usdc, dai: s.dai });
  const [, , , , , , , , whale] = await ethers.getSigners();
  // Other suppliers: the pool holds far more than the operator's position.
  await p.open("aave-v3", whale!, usdc6(900_000));
  // The investor (the beneficiary, a cold Safe in production) supplies 100 000 USDC.
  await p.open("aave-v3", s.beneficiary, usdc6(100_000));
  return { s, p, whale: whale! };
}

describe("live positions and the exploit watch (integration)", function () {
  this.timeout(90_000);
  let proxy: RpcProxy;
  let quotes: LoopbackServer;
  const opened: KeeperContainer[] = [];
  const dirs: string[] = [];

  before(async () => {
    proxy = await startRpcProxy(network.provider);
    quotes = await startLoopbackServer(nexusQuoteRoutes());
  });
  after(async () => {
    await proxy.close();
    await quotes.close();
  });
  afterEach(async () => {
    for (const c of opened.splice(0)) c.close();
    for (const d of dirs.splice(0)) await fs.rm(d, { recursive: true, force: true });
  });

  async function keeper(overrides: (sys: Awaited<ReturnType<typeof systemWithStandIns>>) => Partial<ConfigFile> = () => ({}), options: { fileDb?: boolean } = {}) {
    const sys = await loadFixture(systemWithStandIns);
    const { s, p } = sys;
    const workDir = await fs.mkdtemp(path.join(os.tmpdir(), "keeper-watch-"));
    const fixtureDir = await fixtureCopy();
    dirs.push(workDir, fixtureDir);
    const base = keeperConfigFile(s, { rpcUrl: proxy.url, quoteBaseUrl: `${quotes.baseUrl}/`, fixtureDir, workDir, ...(options.fileDb === true ? { dbPath: path.join(workDir, "state.sqlite") } : {}) });
    const file: ConfigFile = {
      ...base,
      protocols: [
        {
          id: "aave-v3",
          name: "Aave V3",
          address: PROTOCOLS.aave,
          watch: { balances: [{ token: p.addresses.usdc, holder: p.addresses.aToken, label: "USDC held by aEthUSDC" }] },
        },
      ],
      positions: [
        {
          protocol: "aave-v3",
          asset: s.usdcAddress,
          assetSymbol: "USDC",
          position: { kind: "aave-v3", aToken: p.addresses.aToken },
          beneficiary: s.beneficiary.address,
          providers: [1, 2],
          allowSelfInsure: true,
        },
      ],
      ...overrides(sys),
    };
    const config = parseConfig(file, { env: { KEEPER_PRIVATE_KEY: KEEPER_KEY } });
    const logger: RecordingLogger = recordingLogger();
    const container = await buildContainer(config, logger);
    opened.push(container);
    return { ...sys, container, logger };
  }

  async function coveredAmount(s: Awaited<ReturnType<typeof deployKeeperSystem>>): Promise<bigint> {
    const [ids] = await s.fund.getProtocolCoverages(PROTOCOLS.aave, 0, 100);
    const all = await Promise.all(ids.map((id) => s.fund.getCoverageDetails(id)));
    return all.filter((c) => c.beneficiary === s.beneficiary.address && c.status === 1n).reduce((sum, c) => sum + c.amount, 0n);
  }

  const incidentOf = async (fundAddress: string, protocol: string) =>
    (await new ethers.Contract(fundAddress, FUND_INCIDENT_ABI, ethers.provider).getFunction("getIncident")(protocol)) as { active: boolean; occurredAt: bigint };

  it("the coverage target follows the live aToken balance: a 50% larger position is topped up in the next cycle", async () => {
    const { s, p, container } = await keeper();
    const cycle = container.coverageCycle();
    const first = await cycle.run();
    expect(first.actions.filter((a) => a.status === "confirmed").map((a) => a.kind)).to.include("purchase");
    expect(first.plan.positions[0]?.targetSource).to.equal("live");
    expect(await coveredAmount(s)).to.equal(units(100_000, 6));

    // A small move (+5% by interest) stays inside the hysteresis band: nothing bought.
    await (await p.aavePool.mockAccrueIncome(p.addresses.usdc, 105n * 10n ** 25n)).wait();
    expect((await cycle.run()).actions).to.deep.equal([]);

    // The investor adds to the position: 105 000 → 157 500 (+50%).
    await p.open("aave-v3", s.beneficiary, usdc6(52_500));
    const next = await cycle.run();
    expect(next.actions.map((a) => [a.kind, a.status])).to.deep.equal([["increase", "confirmed"]]);
    const live = next.plan.positions[0]?.liveValue?.amount ?? 0n;
    expect(live).to.equal(await p.aToken.balanceOf(s.beneficiary.address));
    expect(await coveredAmount(s)).to.equal(live);
    const report = (await import("../../src/cli/daemon")).currentCoverageReport;
    const row = (await report(container)).rows[0];
    expect(row?.positionValueWad).to.equal(live * 10n ** 12n);
    expect(row?.coverageToValueBps).to.equal(10_000);
  });

  it("a drain: the next incident-watch tick alerts (naming the protocol and the operator's position) and mines reportIncident", async () => {
    const { s, p, container, logger, whale } = await keeper();
    await container.coverageCycle().run();
    const claims = container.claimsCycle();
    const baseline = await claims.run();
    // First tick: the batch plus one look back at the window's start (no history yet).
    expect(baseline.watch?.rpcCalls).to.equal(2);
    expect(baseline.watch?.signals).to.have.length(0);

    // The exploit: 70% of the reserve leaves in one block.
    const supplied = await p.aToken.totalSupply();
    await (await p.aavePool.mockExploitDrain(p.addresses.usdc, whale.address, (supplied * 7n) / 10n)).wait();
    const drainBlock = await ethers.provider.getBlockNumber();

    const tick = await claims.run();
    expect(tick.watch?.rpcCalls).to.equal(1);
    // The pool's USDC and the operator's aToken position both fell: two signals, one alert, one halt.
    expect(tick.watch?.signals).to.have.length(2);
    expect(tick.watch?.alerts).to.equal(1);
    const signal = tick.watch?.signals.find((x) => x.drain?.holder === p.addresses.aToken);
    expect(signal?.kind).to.equal("onchain-drain");
    expect(signal?.drain?.after.block).to.equal(drainBlock);
    expect(signal?.drain?.largestTransfers?.[0]?.to).to.equal(whale.address);
    const alert = logger.entries.find((e) => e.msg === "alert: on-chain drain: Aave V3");
    expect(alert, "critical alert").to.not.equal(undefined);
    expect(JSON.stringify(alert?.obj)).to.contain(`aave-v3:aave-v3:${p.addresses.aToken.toLowerCase()}:${s.beneficiary.address.toLowerCase()}`);
    expect(tick.watch?.reports.map((r) => r.status)).to.deep.equal(["confirmed"]);
    const incident = await incidentOf(s.fundAddress, PROTOCOLS.aave);
    expect(incident.active).to.equal(true);
    expect(Number(incident.occurredAt)).to.equal(signal?.occurredAt);

    // The claims side measures the position's loss at recorded blocks.
    const watch = container.exploitWatch();
    const id = watch.positionReads()[0]?.id ?? "";
    const loss = await watch.measurePositionLoss(id, signal?.drain?.before.block ?? 0, drainBlock);
    expect(loss.loss).to.be.closeTo((loss.before.value * 7n) / 10n, 2n);

    // Nothing twice: the next tick neither alerts nor reports again.
    const again = await claims.run();
    expect(again.watch?.signals).to.have.length(0);
    expect(again.watch?.reports).to.have.length(0);
  });

  it("a restart after 200 blocks of downtime during a drain: the first tick back compares with the last reading before the gap, alerts and halts", async () => {
    const { s, p, container, whale, logger } = await keeper(() => ({}), { fileDb: true });
    await container.coverageCycle().run();
    const baseline = await container.claimsCycle().run();
    expect(baseline.watch?.signals).to.have.length(0);
    container.close();
    opened.splice(opened.indexOf(container), 1);
    // Down for 200 blocks; the drain happens early in the gap, far outside the 50-block window.
    for (let i = 0; i < 20; i++) await mine(1);
    const supplied = await p.aToken.totalSupply();
    await (await p.aavePool.mockExploitDrain(p.addresses.usdc, whale.address, (supplied * 6n) / 10n)).wait();
    for (let i = 0; i < 180; i++) await mine(1);
    // Restart on the same database: observations come back from kv.
    const again = await buildContainer(container.config, logger);
    opened.push(again);
    const first = await again.claimsCycle().run();
    const pool = first.watch?.signals.find((x) => x.drain?.holder === p.addresses.aToken);
    expect(pool?.description).to.match(/across a gap/);
    expect(pool?.drain?.largestTransfers?.[0]?.to).to.equal(whale.address); // looked back with logs over the gap
    expect(first.watch?.reports.map((r) => r.status)).to.deep.equal(["confirmed"]);
    expect((await incidentOf(s.fundAddress, PROTOCOLS.aave)).active).to.equal(true);
  });

  it("a keeper started after the drain block still sees the drain in its first tick (one look back over the window)", async () => {
    const { s, p, container, whale } = await keeper();
    // The pool has been live for a while (one block at a time: Hardhat's multi-block mine reserves
    // blocks lazily and state reads inside such a range can miss recent contracts).
    for (let i = 0; i < 55; i++) await mine(1);
    const supplied = await p.aToken.totalSupply();
    await (await p.aavePool.mockExploitDrain(p.addresses.usdc, whale.address, (supplied * 5n) / 10n)).wait();
    const first = await container.claimsCycle().run();
    expect(first.watch?.signals.length).to.be.greaterThan(0);
    expect(first.watch?.reports.map((r) => r.status)).to.deep.equal(["confirmed"]);
    expect((await incidentOf(s.fundAddress, PROTOCOLS.aave)).active).to.equal(true);
  });

  it("drain → suspected (halt, no claim) → operator confirms → the stand-in pool has no balance sheet to read: the claim is held with a critical alert, never a balance drop", async () => {
    // The measured claim on a real pool (pooled-lending loss) is in realAaveClaims.test.ts.
    const { s, p, container, whale, logger } = await keeper();
    await container.coverageCycle().run();
    const claims = container.claimsCycle();
    await claims.run();
    await mine(1);
    const supplied = await p.aToken.totalSupply();
    await (await p.aavePool.mockExploitDrain(p.addresses.usdc, whale.address, (supplied * 3n) / 10n)).wait();
    const suspected = await claims.run();
    expect(suspected.incidents).to.deep.include({ suspected: 1, confirmed: 0 });
    expect(suspected.filed).to.deep.equal([]);
    const [incident] = container.state().incidents.list();
    decideIncident(container.state(), String(incident!.id), "confirmed", Number((await ethers.provider.getBlock("latest"))!.timestamp));
    await mine(1);
    const tick = await claims.run();
    expect(tick.filed).to.deep.equal([]);
    expect(await s.fund.claimCount()).to.equal(0n);
    expect(tick.unfileable).to.have.length(1);
    expect(tick.unfileable[0]!.reason).to.match(/position aave-v3:aave-v3:.*its loss could not be measured .*keeper claim file --incident \d+ --position aave-v3:aave-v3:/);
    const critical = logger.entries.filter((e) => typeof e.msg === "string" && e.msg.startsWith("alert: claim cannot be filed"));
    expect(critical).to.have.length(1);
  });

  it("a withdrawal wave of 40% is a suspected signal only: sales halted, no claim filed", async () => {
    const { s, p, container, whale } = await keeper();
    await container.coverageCycle().run();
    const claims = container.claimsCycle();
    await claims.run();
    // Orderly withdrawals by other suppliers (not an exploit): the operator's position is intact.
    await (await p.aavePool.connect(whale).withdraw(p.addresses.usdc, usdc6(420_000), whale.address)).wait();
    const tick = await claims.run();
    // Only the pool's balance fell (the operator's position did not): one signal.
    expect(tick.watch?.signals.map((x) => x.kind)).to.deep.equal(["onchain-drain"]);
    expect(tick.watch?.signals[0]?.drain?.holder).to.equal(p.addresses.aToken);
    expect(CORROBORATING_SIGNALS.has("onchain-drain")).to.equal(false);
    expect(tick.filed).to.have.length(0);
    // The drain opens one SUSPECTED incident (the state machine's), never claimed on its own.
    expect(tick.newIncidents).to.have.length(1);
    expect(container.state().incidents.list().map((i) => [i.kind, i.state])).to.deep.equal([["onchain-drain", "suspected"]]);
    // Later ticks still file nothing without corroboration.
    const later = await claims.run();
    expect(later.filed).to.have.length(0);
    expect(container.state().claims.list()).to.have.length(0);
    expect((await incidentOf(s.fundAddress, PROTOCOLS.aave)).active).to.equal(true);
    expect(await p.aToken.balanceOf(s.beneficiary.address)).to.equal(usdc6(100_000));
  });
});
