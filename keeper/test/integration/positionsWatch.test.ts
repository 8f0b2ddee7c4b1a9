/**
 * Live positions and the on-chain exploit watch, end to end: the full system (fund, Nexus mocks,
 * second provider) plus the real Aave v3 market over the fund's USDC (keeper/src/demo/realAave.ts)
 * and Multicall3 at its canonical address, the keeper over HTTP through the counting proxy. A
 * drain is the real thing: an oracle manipulation and a borrow of the reserve's cash, which leaves
 * every supplier's aToken balance where it was.
 */
import { loadFixture, mine, time } from "@nomicfoundation/hardhat-network-helpers";
import { expect } from "chai";
import { promises as fs } from "node:fs";
import path from "node:path";
import { ethers } from "hardhat";

import { PROTOCOLS, units } from "../../../test/helpers/fundFixture";
import { buildContainer } from "../../src/cli/container";
import { FUND_INCIDENT_ABI } from "../../src/cycles/exploitWatch";
import { parseConfig } from "../../src/config";
import type { ConfigFile } from "../../src/config/schema";
import { CORROBORATING_SIGNALS } from "../../src/policy/incidentSignals";
import { deployKeeperSystem, fixtureCopy, KEEPER_KEY, keeperConfigFile } from "../helpers/keeperSystem";
import { confirmTheIncident, keeperHarness } from "../helpers/keeperHarness";
import { deployStandIns, usdc6 } from "../helpers/protocolStandIns";
import { measureLendingLoss } from "../../src/policy/lendingLoss";
import { readAaveLendingState, resolveAaveReserve, windowBorrowers } from "../../src/sources/positions";
import { recordingLogger, type RecordingLogger } from "../sources/testDeps";

async function systemWithStandIns() {
  const s = await deployKeeperSystem();
  const p = await deployStandIns({ usdc: s.usdc, dai: s.dai });
  const signers = await ethers.getSigners();
  const whale = signers[8]!;
  const attacker = signers[10]!;
  // Other suppliers: the pool holds far more than the operator's position.
  await p.open("aave-v3", whale, usdc6(900_000));
  // The investor (the beneficiary, a cold Safe in production) supplies 100 000 USDC.
  await p.open("aave-v3", s.beneficiary, usdc6(100_000));
  return { s, p, whale, attacker };
}

describe("live positions and the exploit watch (integration)", function () {
  this.timeout(90_000);
  const h = keeperHarness({ quotes: true });

  async function keeper(overrides: (sys: Awaited<ReturnType<typeof systemWithStandIns>>) => Partial<ConfigFile> = () => ({}), options: { fileDb?: boolean } = {}) {
    const sys = await loadFixture(systemWithStandIns);
    const { s, p } = sys;
    const workDir = await h.tempDir("keeper-watch-");
    const fixtureDir = h.removeAfter(await fixtureCopy());
    const base = keeperConfigFile(s, { rpcUrl: h.proxy.url, quoteBaseUrl: `${h.quotes.baseUrl}/`, fixtureDir, workDir, ...(options.fileDb === true ? { dbPath: path.join(workDir, "state.sqlite") } : {}) });
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
    h.track(container);
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

    // A small move (interest paid by a solvent borrower over 90 days) stays inside the hysteresis band: nothing bought.
    const [, , , , , , , , , borrower] = await ethers.getSigners();
    await p.aave.supply(borrower!, "WETH", p.aave.units("WETH", 300));
    await p.aave.borrow(borrower!, "USDC", usdc6(500_000));
    await time.increase(90 * 86_400);
    await mine(1);
    const accrued = (await p.aToken.getFunction("balanceOf")(s.beneficiary.address)) as bigint;
    expect(accrued > usdc6(100_000)).to.equal(true);
    expect((await cycle.run()).actions).to.deep.equal([]);

    // The investor adds half again to the position (+50%).
    await p.open("aave-v3", s.beneficiary, accrued / 2n);
    const next = await cycle.run();
    expect(next.actions.map((a) => [a.kind, a.status])).to.deep.equal([["increase", "confirmed"]]);
    const live = next.plan.positions[0]?.liveValue?.amount ?? 0n;
    // Read at the cycle's block; interest keeps accruing by the second after it.
    expect(live).to.be.closeTo((await p.aToken.getFunction("balanceOf")(s.beneficiary.address)) as bigint, usdc6(1));
    expect(await coveredAmount(s)).to.equal(live);
    const report = (await import("../../src/cli/daemon")).currentCoverageReport;
    const row = (await report(container)).rows[0];
    expect(row?.positionValueWad).to.be.closeTo(live * 10n ** 12n, 10n ** 18n); // read a few blocks later: cents of interest
    expect(row?.coverageToValueBps).to.be.closeTo(10_000, 1); // the report reads the value with a few more blocks of interest
  });

  it("a drain: the next incident-watch tick alerts (naming the protocol and the operator's position) and mines reportIncident", async () => {
    const { s, p, container, logger, attacker } = await keeper();
    await container.coverageCycle().run();
    const claims = container.claimsCycle();
    const baseline = await claims.run();
    // First tick: the batch plus one look back at the window's start (no history yet).
    expect(baseline.watch?.rpcCalls).to.equal(2);
    expect(baseline.watch?.signals).to.have.length(0);

    // The exploit: 70% of the reserve's cash borrowed against manipulated WETH collateral.
    const cash = await p.aave.cash("USDC");
    const positionBefore = (await p.aToken.getFunction("balanceOf")(s.beneficiary.address)) as bigint;
    const drain = await p.aave.oracleDrain(attacker, "USDC", { amount: (cash * 7n) / 10n });
    const drainEnd = await ethers.provider.getBlockNumber();
    expect(drainEnd).to.equal(drain.restoreBlock);

    const tick = await claims.run();
    expect(tick.watch?.rpcCalls).to.equal(1);
    // Only the pool's USDC fell: the operator's aToken balance does not move on a real Aave drain. One signal, one alert, one halt.
    expect(tick.watch?.signals).to.have.length(1);
    expect(tick.watch?.alerts).to.equal(1);
    const signal = tick.watch?.signals.find((x) => x.drain?.holder === p.addresses.aToken);
    expect(signal?.kind).to.equal("onchain-drain");
    expect(signal?.drain?.after.block).to.equal(drainEnd);
    expect(signal?.drain?.largestTransfers?.[0]?.to).to.equal(attacker.address);
    const alert = logger.entries.find((e) => e.msg === "alert: on-chain drain: Aave V3");
    expect(alert, "critical alert").to.not.equal(undefined);
    expect(JSON.stringify(alert?.obj)).to.contain(`aave-v3:aave-v3:${p.addresses.aToken.toLowerCase()}:${s.beneficiary.address.toLowerCase()}`);
    expect(tick.watch?.reports.map((r) => r.status)).to.deep.equal(["confirmed"]);
    const incident = await incidentOf(s.fundAddress, PROTOCOLS.aave);
    expect(incident.active).to.equal(true);
    expect(Number(incident.occurredAt)).to.equal(signal?.occurredAt);

    // The position's value at the recorded blocks has not dropped (no write-down on the real pool):
    // its loss is the pooled-lending share of the bad debt (policy/lendingLoss.ts), not a balance drop.
    const watch = container.exploitWatch();
    const id = watch.positionReads()[0]?.id ?? "";
    const values = await watch.measurePositionLoss(id, signal?.drain?.before.block ?? 0, drainEnd);
    expect(values.before.value).to.equal(positionBefore);
    expect(values.after.value >= values.before.value).to.equal(true);

    // Nothing twice: the next tick neither alerts nor reports again.
    const again = await claims.run();
    expect(again.watch?.signals).to.have.length(0);
    expect(again.watch?.reports).to.have.length(0);
  });

  it("a restart after 200 blocks of downtime during a drain: the first tick back compares with the last reading before the gap, alerts and halts", async () => {
    const { s, p, container, attacker, logger } = await keeper(() => ({}), { fileDb: true });
    await container.coverageCycle().run();
    const baseline = await container.claimsCycle().run();
    expect(baseline.watch?.signals).to.have.length(0);
    h.closeNow(container);
    // Down for 200 blocks; the drain happens early in the gap, far outside the 50-block window.
    for (let i = 0; i < 20; i++) await mine(1);
    await p.aave.oracleDrain(attacker, "USDC", { amount: ((await p.aave.cash("USDC")) * 6n) / 10n });
    for (let i = 0; i < 180; i++) await mine(1);
    // Restart on the same database: observations come back from kv.
    const again = await buildContainer(container.config, logger);
    h.track(again);
    const first = await again.claimsCycle().run();
    const pool = first.watch?.signals.find((x) => x.drain?.holder === p.addresses.aToken);
    expect(pool?.description).to.match(/across a gap/);
    expect(pool?.drain?.largestTransfers?.[0]?.to).to.equal(attacker.address); // looked back with logs over the gap
    expect(first.watch?.reports.map((r) => r.status)).to.deep.equal(["confirmed"]);
    expect((await incidentOf(s.fundAddress, PROTOCOLS.aave)).active).to.equal(true);
  });

  it("a keeper started after the drain block still sees the drain in its first tick (one look back over the window)", async () => {
    const { s, p, container, attacker } = await keeper();
    // The pool has been live for a while (one block at a time: Hardhat's multi-block mine reserves
    // blocks lazily and state reads inside such a range can miss recent contracts).
    for (let i = 0; i < 55; i++) await mine(1);
    await p.aave.oracleDrain(attacker, "USDC", { amount: ((await p.aave.cash("USDC")) * 5n) / 10n });
    const first = await container.claimsCycle().run();
    expect(first.watch?.signals.length).to.be.greaterThan(0);
    expect(first.watch?.reports.map((r) => r.status)).to.deep.equal(["confirmed"]);
    expect((await incidentOf(s.fundAddress, PROTOCOLS.aave)).active).to.equal(true);
  });

  it("oracle-manipulation drain → suspected (halt, no claim) → operator confirms → claim for the holder's share of the bad debt (pooled-lending loss), not the cover", async () => {
    const { s, p, container, attacker } = await keeper();
    await container.coverageCycle().run();
    const covered = await coveredAmount(s);
    const claims = container.claimsCycle();
    await claims.run();
    await mine(1);
    const blockBefore = await ethers.provider.getBlockNumber();
    const drain = await p.aave.oracleDrain(attacker, "USDC", { amount: ((await p.aave.cash("USDC")) * 3n) / 10n });
    // What an assessor recomputes from the chain: the reserve at the block before and at the drain's end.
    const reserve = await resolveAaveReserve(ethers.provider, p.addresses.aToken);
    const borrowers = await windowBorrowers(ethers.provider, reserve, blockBefore + 1, drain.restoreBlock);
    const expected = measureLendingLoss(
      await readAaveLendingState(ethers.provider, reserve, s.beneficiary.address, borrowers, blockBefore),
      await readAaveLendingState(ethers.provider, reserve, s.beneficiary.address, borrowers, drain.restoreBlock),
      { liquidationBonusBps: p.aave.reserves.WETH.params.liquidationBonusBps },
    );
    expect(expected.loss > 0n).to.equal(true);
    // The claims path measures this with policy/lendingLoss.ts (issue 18 §2); a balance-drop measure finds 0 here.
    const suspected = await claims.run();
    expect(suspected.incidents).to.deep.include({ suspected: 1, confirmed: 0 });
    expect(suspected.filed).to.deep.equal([]);
    await confirmTheIncident(container);
    await mine(1);
    const tick = await claims.run();
    expect(tick.filed.map((f) => f.status)).to.deep.equal(["confirmed"]);
    const claim = await s.fund.getClaim(BigInt(tick.filed[0]!.claimId!));
    // 30% of the cash borrowed against manipulated collateral: the investor bears its 10% share of
    // the unbacked debt (within 1%: interest accrues between the blocks), far below the cover.
    expect(claim.amount).to.be.closeTo(expected.loss, expected.loss / 100n);
    expect(claim.amount < covered).to.equal(true);
    const pack = JSON.parse(await fs.readFile(container.state().incidents.list()[0]!.evidencePath!, "utf8")) as { signals: { kind: string }[] };
    expect(pack.signals.map((x) => x.kind)).to.include("onchain-drain");
  });

  it("a withdrawal wave of 40% is a suspected signal only: sales halted, no claim filed", async () => {
    const { s, p, container, whale } = await keeper();
    await container.coverageCycle().run();
    const claims = container.claimsCycle();
    await claims.run();
    // Orderly withdrawals by other suppliers (not an exploit): the operator's position is intact.
    await p.aave.withdraw(whale, "USDC", usdc6(420_000));
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
    expect(await p.aToken.getFunction("balanceOf")(s.beneficiary.address)).to.equal(usdc6(100_000));
  });
});
