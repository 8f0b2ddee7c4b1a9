/**
 * The exploit watch on the REAL Aave v3 market (the `@aave/core-v3` bytecode, test/helpers/realAave.ts):
 * the pooled-lending rule (`owedBy`: the aToken's supply is what depositors are owed) tells a
 * solvent withdrawal wave, which burns aTokens with the cash, from a drain, which takes the cash
 * while the supply stays.
 */
import { loadFixture, mine } from "@nomicfoundation/hardhat-network-helpers";
import { expect } from "chai";
import type { Signer } from "ethers";
import { ethers } from "hardhat";

import { realAaveFixture, USD8, type RealAaveMarket } from "../../../test/helpers/realAave";
import { installLocalMulticall3 } from "../../src/cli/localMulticall";
import { ExploitWatch } from "../../src/cycles/exploitWatch";
import { protocolSchema, watchSchema } from "../../src/config/schema";
import { ChainPositionReader } from "../../src/sources/positions";
import { recordingLogger } from "../sources/testDeps";

interface World {
  m: RealAaveMarket;
  whale: Signer;
  attacker: Signer;
}

/** 1,000,000 USDC supplied (900k whale, 100k holder), 600k borrowed against 300 WETH: 60% utilisation, 400k of cash. */
async function marketAt60PercentUtilisation(): Promise<World> {
  const m = await realAaveFixture();
  const [, holder, whale, borrower, attacker] = await ethers.getSigners();
  await m.supply(whale!, "USDC", m.units("USDC", 900_000));
  await m.supply(holder!, "USDC", m.units("USDC", 100_000));
  await m.supply(borrower!, "WETH", m.units("WETH", 300));
  await m.borrow(borrower!, "USDC", m.units("USDC", 600_000));
  await installLocalMulticall3(ethers.provider);
  return { m, whale: whale!, attacker: attacker! };
}

async function watchOf(m: RealAaveMarket, pooled: boolean): Promise<ExploitWatch> {
  const usdc = m.reserves.USDC.asset;
  const aToken = await m.reserves.USDC.aToken.getAddress();
  const protocol = protocolSchema.parse({
    id: "aave-v3",
    name: "Aave V3",
    address: ethers.Wallet.createRandom().address,
    watch: { positions: false, balances: [{ token: usdc, holder: aToken, label: "USDC held by aEthUSDC", ...(pooled ? { owedBy: aToken } : {}) }] },
  });
  return new ExploitWatch({
    reader: new ChainPositionReader({ caller: ethers.provider }),
    provider: ethers.provider,
    fundAddress: ethers.Wallet.createRandom().address,
    fundReader: ethers.provider,
    config: { protocols: [protocol], positions: [], watch: watchSchema.parse({ reportIncident: false }) },
    txSender: undefined,
    alerter: { send: async () => undefined },
    logger: recordingLogger(),
  });
}

describe("exploit watch on the real Aave v3 market (integration)", function () {
  this.timeout(120_000);

  it("a withdrawal wave of solvent suppliers of 35% of the reserve (87.5% of the cash at 60% utilisation) opens NO suspected incident, on the tick after it and a day of ticks later", async () => {
    const { m, whale } = await loadFixture(marketAt60PercentUtilisation);
    expect(await m.cash("USDC")).to.equal(m.units("USDC", 400_000));
    const watch = await watchOf(m, true);
    // The same wave without `owedBy` (cash alone) is a drain: the rule below is what tells them apart.
    const cashOnly = await watchOf(m, false);
    expect((await watch.tick()).signals).to.have.length(0);
    await cashOnly.tick();

    await m.withdraw(whale, "USDC", m.units("USDC", 200_000));
    await m.withdraw(whale, "USDC", m.units("USDC", 150_000));
    expect(await m.cash("USDC")).to.equal(m.units("USDC", 50_000));
    const after = await watch.tick();
    expect(after.signals).to.have.length(0);
    expect(after.checks[0]?.draining).to.equal(false);
    expect((await cashOnly.tick()).signals.map((x) => x.kind)).to.deep.equal(["onchain-drain"]);
    // The cumulative (24 h) rule: still nothing over a day of ticks.
    for (let i = 0; i < 4; i++) {
      await mine(1_800, { interval: 12 });
      expect((await watch.tick()).signals).to.have.length(0);
    }
  });

  it("a borrow of all the cash against a manipulated collateral price is still a drain: the next tick opens a suspected incident", async () => {
    const { m, attacker } = await loadFixture(marketAt60PercentUtilisation);
    const watch = await watchOf(m, true);
    expect((await watch.tick()).signals).to.have.length(0);
    await m.supply(attacker, "WETH", m.units("WETH", 10));
    await m.setPrice("WETH", 1_000_000n * USD8);
    await m.borrow(attacker, "USDC", await m.cash("USDC"));
    await m.setPrice("WETH", 3_000n * USD8);
    expect(await m.cash("USDC")).to.equal(0n);
    const tick = await watch.tick();
    expect(tick.signals.map((x) => x.kind)).to.deep.equal(["onchain-drain"]);
    expect(tick.signals[0]?.drain?.dropFraction).to.be.greaterThan(0.99);
    expect(tick.signals[0]?.description).to.contain("owed to depositors");
  });
});
