/**
 * What a real Aave v3 pool (the `@aave/core-v3` bytecode, test/helpers/realAave.ts) does in the
 * cases the keeper's loss measurement must get right, and the pooled-lending loss
 * (keeper/src/policy/lendingLoss.ts) on it:
 * - supplied USDC becomes aTokens that accrue; the keeper's `aave-v3` reader reports `balanceOf`;
 * - an oracle-manipulation drain leaves every supplier's aToken balance where it was, while the
 *   reserve's cash is gone and the debt is unbacked: a balance-drop measure finds no loss;
 * - a solvent withdrawal wave burns aTokens together with cash: no loss.
 */
import { loadFixture, mine, time } from "@nomicfoundation/hardhat-network-helpers";
import { expect } from "chai";
import { ethers } from "hardhat";
import type { Signer } from "ethers";

import { AAVE_SYMBOLS, RESERVE_PARAMS, realAaveFixture, RAY, USD8, type RealAaveMarket } from "../../../test/helpers/realAave";
import { installLocalMulticall3 } from "../../src/cli/localMulticall";
import { measureLendingLoss } from "../../src/policy/lendingLoss";
import { ChainPositionReader, readAaveLendingState, resolveAaveReserve, windowBorrowers } from "../../src/sources/positions";

interface World {
  m: RealAaveMarket;
  holder: Signer;
  whale: Signer;
  borrower: Signer;
  attacker: Signer;
}

/** The market, with 900k USDC from a whale, 100k from the holder, and a solvent borrower of 150k against 100 WETH. */
async function populatedMarket(): Promise<World> {
  const m = await realAaveFixture();
  const [, holder, whale, borrower, attacker] = await ethers.getSigners();
  await m.supply(whale!, "USDC", m.units("USDC", 900_000));
  await m.supply(holder!, "USDC", m.units("USDC", 100_000));
  await m.supply(borrower!, "WETH", m.units("WETH", 100));
  await m.borrow(borrower!, "USDC", m.units("USDC", 150_000));
  await installLocalMulticall3(ethers.provider);
  return { m, holder: holder!, whale: whale!, borrower: borrower!, attacker: attacker! };
}

/** The oracle-manipulation drain: WETH's price source swapped to $1M, every USDC of cash borrowed against 10 WETH, the source restored. */
async function oracleDrain(w: World): Promise<{ before: number; after: number; stolen: bigint }> {
  const { m, attacker } = w;
  const before = await ethers.provider.getBlockNumber();
  await m.supply(attacker, "WETH", m.units("WETH", 10));
  await m.setPrice("WETH", 1_000_000n * USD8);
  const stolen = await m.cash("USDC");
  await m.borrow(attacker, "USDC", stolen);
  await m.setPrice("WETH", 3_000n * USD8);
  return { before, after: await ethers.provider.getBlockNumber(), stolen };
}

/** The USDC reserve, the holder and the window's borrowers (from the Borrow events) at `before` and `after`, read by the keeper's reader. */
async function statesAround(m: RealAaveMarket, holder: string, before: number, after: number) {
  const reserve = await resolveAaveReserve(ethers.provider, await m.reserves.USDC.aToken.getAddress());
  const borrowers = await windowBorrowers(ethers.provider, reserve, before + 1, after);
  return {
    borrowers,
    s0: await readAaveLendingState(ethers.provider, reserve, holder, borrowers, before),
    s1: await readAaveLendingState(ethers.provider, reserve, holder, borrowers, after),
  };
}

describe("real Aave v3: what a pooled-lending loss looks like (integration)", function () {
  this.timeout(120_000);

  it("the market lists every reserve active and borrowable with the helper's risk parameters (read back from the pool's bitmap)", async () => {
    const { m } = await loadFixture(populatedMarket);
    for (const symbol of AAVE_SYMBOLS) {
      const data = await m.pool.getFunction("getReserveData")(m.reserves[symbol].asset);
      const bits = data.configuration.data as bigint;
      const field = (from: number, width: number): number => Number((bits >> BigInt(from)) & ((1n << BigInt(width)) - 1n));
      const p = RESERVE_PARAMS[symbol];
      expect({ ltv: field(0, 16), threshold: field(16, 16), bonus: field(32, 16), decimals: field(48, 8), active: field(56, 1), frozen: field(57, 1), borrowing: field(58, 1), stable: field(59, 1), reserveFactor: field(64, 16) }, symbol).to.deep.equal({
        ltv: p.ltvBps,
        threshold: p.liquidationThresholdBps,
        bonus: p.liquidationBonusBps,
        decimals: p.decimals,
        active: 1,
        frozen: 0,
        borrowing: 1,
        stable: 0,
        reserveFactor: p.reserveFactorBps,
      });
      expect(await m.oracle.getFunction("getAssetPrice")(m.reserves[symbol].asset), symbol).to.equal(p.priceUsd8);
    }
  });

  it("supplied USDC becomes aTokens that accrue interest; the aave-v3 reader reports aToken.balanceOf", async () => {
    const w = await loadFixture(populatedMarket);
    const { m, holder } = w;
    const aToken = m.reserves.USDC.aToken;
    const holderAddress = await holder.getAddress();
    const start = (await aToken.getFunction("balanceOf")(holderAddress)) as bigint;
    expect(start).to.be.closeTo(m.units("USDC", 100_000), 10n);

    await time.increase(365 * 86_400);
    await mine();
    const later = (await aToken.getFunction("balanceOf")(holderAddress)) as bigint;
    // 150k borrowed of 1M (15% usage) at slope1 4% / optimal 90%: ~0.67% borrow rate, ~0.09% net supply APY.
    expect(later).to.be.gt(start + m.units("USDC", 50));
    expect(later).to.be.lt(start + m.units("USDC", 200));
    const income = (await m.pool.getFunction("getReserveNormalizedIncome")(m.reserves.USDC.asset)) as bigint;
    const scaled = (await aToken.getFunction("scaledBalanceOf")(holderAddress)) as bigint;
    expect(later).to.equal((scaled * income + RAY / 2n) / RAY);

    const reader = new ChainPositionReader({ caller: ethers.provider });
    const position = { id: "aave-v3:holder", spec: { kind: "aave-v3" as const, aToken: await aToken.getAddress(), holder: holderAddress } };
    const block = await ethers.provider.getBlockNumber();
    const reading = await reader.readAt(position, block);
    expect(reading.value).to.equal(later);
  });

  it("an oracle-manipulation drain leaves the suppliers' aToken balances unchanged while the cash is gone and the debt unbacked", async () => {
    const w = await loadFixture(populatedMarket);
    const { m, holder, whale, attacker } = w;
    const aToken = m.reserves.USDC.aToken;
    const holderAddress = await holder.getAddress();
    const balance = async (who: Signer): Promise<bigint> => aToken.getFunction("balanceOf")(await who.getAddress());
    const holderBefore = await balance(holder);
    const whaleBefore = await balance(whale);
    const supplyBefore = (await aToken.getFunction("totalSupply")()) as bigint;
    expect(await m.cash("USDC")).to.equal(m.units("USDC", 850_000));

    const { stolen } = await oracleDrain(w);
    expect(stolen).to.equal(m.units("USDC", 850_000));

    // Balances and supply do not drop (the index only rises: a few seconds of interest at most).
    const holderAfter = await balance(holder);
    expect(holderAfter).to.be.gte(holderBefore);
    expect(holderAfter - holderBefore).to.be.lt(m.units("USDC", 1));
    expect(await balance(whale)).to.be.gte(whaleBefore);
    expect((await aToken.getFunction("totalSupply")()) as bigint).to.be.gte(supplyBefore);
    // The cash is gone, the debt is the rest of the supply, and the attacker's debt is unbacked at restored prices.
    expect(await m.cash("USDC")).to.equal(0n);
    const debt = ((await m.reserves.USDC.variableDebtToken.getFunction("totalSupply")()) as bigint) + ((await m.reserves.USDC.stableDebtToken.getFunction("totalSupply")()) as bigint);
    expect(debt).to.be.closeTo(m.units("USDC", 1_000_000), m.units("USDC", 1));
    const account = await m.pool.getFunction("getUserAccountData")(await attacker.getAddress());
    expect(account.totalCollateralBase).to.equal(30_000n * USD8);
    expect(account.totalDebtBase).to.be.closeTo(850_000n * USD8, USD8);
    expect(account.healthFactor).to.be.lt(10n ** 17n); // < 0.1
    // A balance-drop measure sees nothing; withdrawing meets an empty reserve.
    expect(holderBefore > holderAfter ? holderBefore - holderAfter : 0n).to.equal(0n);
    await expect(m.withdraw(holder, "USDC", m.units("USDC", 1_000))).to.be.reverted;
    expect(await balance(holder)).to.equal(await aToken.getFunction("balanceOf")(holderAddress));
  });

  it("a solvent withdrawal wave burns aTokens together with the cash, and no one's debt is unbacked", async () => {
    const w = await loadFixture(populatedMarket);
    const { m, whale, holder, borrower } = w;
    const aToken = m.reserves.USDC.aToken;
    const supplyBefore = (await aToken.getFunction("totalSupply")()) as bigint;
    const cashBefore = await m.cash("USDC");
    const holderBefore = (await aToken.getFunction("balanceOf")(await holder.getAddress())) as bigint;
    await m.withdraw(whale, "USDC", m.units("USDC", 400_000));
    await m.withdraw(whale, "USDC", m.units("USDC", 200_000));
    const supplyAfter = (await aToken.getFunction("totalSupply")()) as bigint;
    const cashAfter = await m.cash("USDC");
    expect(cashBefore - cashAfter).to.equal(m.units("USDC", 600_000));
    // Burned with the cash, give or take the seconds of interest accrued meanwhile.
    expect(supplyBefore - supplyAfter).to.be.closeTo(m.units("USDC", 600_000), m.units("USDC", 1));
    expect((await aToken.getFunction("balanceOf")(await holder.getAddress())) as bigint).to.be.gte(holderBefore);
    const account = await m.pool.getFunction("getUserAccountData")(await borrower.getAddress());
    expect(account.healthFactor).to.be.gt(10n ** 18n);
  });

  describe("the Aave reserve reader (sources/positions/aaveLendingState)", () => {
    it("reads the reserve, the holder and the borrowers at a block in one eth_call, matching the contracts", async () => {
      const w = await loadFixture(populatedMarket);
      const { m, holder, borrower } = w;
      let calls = 0;
      const counting = { call: (tx: { to: string; data: string; blockTag?: number | string }) => ((calls += 1), ethers.provider.call(tx)) };
      const reserve = await resolveAaveReserve(ethers.provider, await m.reserves.USDC.aToken.getAddress());
      expect(reserve.asset).to.equal(m.reserves.USDC.asset);
      expect(reserve.pool).to.equal(await m.pool.getAddress());
      expect(reserve.variableDebtToken).to.equal(await m.reserves.USDC.variableDebtToken.getAddress());
      const block = await ethers.provider.getBlockNumber();
      const holderAddress = await holder.getAddress();
      const borrowerAddress = await borrower.getAddress();
      const state = await readAaveLendingState(counting, reserve, holderAddress, [borrowerAddress], block);
      expect(calls).to.equal(1);
      expect(state.block).to.equal(block);
      expect(state.cash).to.equal(m.units("USDC", 850_000));
      expect(state.totalSupplied).to.equal(await m.reserves.USDC.aToken.getFunction("totalSupply")());
      expect(state.totalDebt).to.be.closeTo(m.units("USDC", 150_000), 10n);
      expect(state.holderBalance).to.equal(await m.reserves.USDC.aToken.getFunction("balanceOf")(holderAddress));
      expect(state.holderScaled).to.equal(await m.reserves.USDC.aToken.getFunction("scaledBalanceOf")(holderAddress));
      const [b] = state.borrowers;
      expect(b?.collateralBase).to.equal(300_000n * USD8);
      expect(b?.debtBase).to.be.closeTo(150_000n * USD8, 10n);
      expect(b?.reserveDebt).to.be.closeTo(m.units("USDC", 150_000), 10n);
    });

    it("refuses a token that is not an aToken rather than reading something else", async () => {
      const w = await loadFixture(populatedMarket);
      const error = await resolveAaveReserve(ethers.provider, w.m.reserves.USDC.asset).then(
        () => undefined,
        (err: unknown) => err as Error,
      );
      expect(error?.message).to.match(/POOL\(\) failed or returned no address/);
    });
  });

  describe("pooled-lending loss (policy/lendingLoss) on the real pool", () => {
    it("the drain: the holder's claim is its share of the bad debt, within 1%", async () => {
      const w = await loadFixture(populatedMarket);
      const { m, holder, attacker } = w;
      const { before, after } = await oracleDrain(w);
      const { borrowers, s0, s1 } = await statesAround(m, await holder.getAddress(), before, after);
      expect(borrowers).to.deep.equal([await attacker.getAddress()]);
      expect(s1.cash).to.equal(0n);
      expect(s1.holderBalance).to.be.gte(s0.holderBalance);
      const result = measureLendingLoss(s0, s1);

      // Independently: bad debt = the attacker's debt − its collateral at the restored price ($1 = 1 USDC).
      const account = await m.pool.getFunction("getUserAccountData")(await attacker.getAddress());
      const badDebt = (((account.totalDebtBase as bigint) - (account.totalCollateralBase as bigint)) * 10n ** 6n) / USD8;
      expect(badDebt).to.be.closeTo(m.units("USDC", 820_000), m.units("USDC", 1));
      const expected = (badDebt * s1.holderBalance) / s1.totalSupplied; // ~10% of the supply
      expect(result.poolLoss).to.be.closeTo(badDebt, badDebt / 100n);
      expect(result.loss).to.be.closeTo(expected, expected / 100n);
      expect(result.loss).to.be.closeTo(m.units("USDC", 82_000), m.units("USDC", 820));

      // The same drain read with the liquidator's 5% bonus: less of the debt is recoverable.
      const withBonus = measureLendingLoss(s0, s1, { liquidationBonusBps: 10_500 });
      // What the balance-drop measure of the claims path (ChainPositionReader.measurePositionLoss) finds: nothing.
      const reader = new ChainPositionReader({ caller: ethers.provider });
      const position = { id: "aave-v3:holder", spec: { kind: "aave-v3" as const, aToken: await m.reserves.USDC.aToken.getAddress(), holder: await holder.getAddress() } };
      expect((await reader.measurePositionLoss(position, before, after)).loss).to.equal(0n);
      const recoverable = (30_000n * 10n ** 6n * 10_000n) / 10_500n;
      expect(withBonus.poolLoss).to.be.closeTo(m.units("USDC", 850_000) - recoverable, m.units("USDC", 10));
    });

    it("the holder's withdrawal after the alert is not claimed as loss: the claim is the share of what stayed exposed", async () => {
      const w = await loadFixture(populatedMarket);
      const { m, holder, whale } = w;
      const holderAddress = await holder.getAddress();
      const { before } = await oracleDrain(w);
      // Someone brings cash back (a repayment or a new supply); the holder pulls 70k of its 100k out.
      await m.supply(whale, "USDC", m.units("USDC", 80_000));
      await m.withdraw(holder, "USDC", m.units("USDC", 70_000));
      const after = await ethers.provider.getBlockNumber();
      const { s0, s1 } = await statesAround(m, holderAddress, before, after);
      // The balance drop would claim 70k; the pooled loss claims the haircut on the 30k still in.
      expect(s0.holderBalance - s1.holderBalance).to.be.closeTo(m.units("USDC", 70_000), m.units("USDC", 1));
      const result = measureLendingLoss(s0, s1);
      const expected = (result.poolLoss * s1.holderBalance) / s1.totalSupplied;
      expect(result.loss).to.be.closeTo(expected, expected / 100n + 1n);
      expect(result.loss).to.be.lte(s1.holderBalance);
      // 820k bad debt over ~1.01M of supply: the 30k left carry ~24k of it.
      expect(result.loss).to.be.closeTo(m.units("USDC", 24_300), m.units("USDC", 500));
    });

    it("a solvent withdrawal wave and a year of interest: no loss", async () => {
      const w = await loadFixture(populatedMarket);
      const { m, holder, whale, borrower } = w;
      const holderAddress = await holder.getAddress();
      const before = await ethers.provider.getBlockNumber();
      await m.withdraw(whale, "USDC", m.units("USDC", 600_000));
      await time.increase(365 * 86_400);
      // The solvent borrower adds to its debt in the window: it is read, and found backed.
      await m.borrow(borrower, "USDC", m.units("USDC", 50_000));
      await m.withdraw(whale, "USDC", m.units("USDC", 150_000));
      const after = await ethers.provider.getBlockNumber();
      const { borrowers, s0, s1 } = await statesAround(m, holderAddress, before, after);
      expect(borrowers).to.deep.equal([await borrower.getAddress()]);
      expect(s1.totalSupplied).to.be.lt(s0.totalSupplied);
      const result = measureLendingLoss(s0, s1);
      expect(result.poolLoss).to.equal(0n);
      expect(result.loss).to.equal(0n);
      expect(result.netAfter).to.be.gte(result.netBefore - 10n);
    });
  });
});
