/**
 * The pooled-lending loss of Aave v2 forks (Radiant) and Compound v3 (Comet) through the incident
 * loss reader (sources/positions/incidentLoss.ts), on the stand-ins of keeper/test/helpers/
 * protocolStandIns.ts, which behave as the real contracts do in an exploit: no supplier balance and
 * no index ever drops; the loss is cash that left against debt no collateral backs. Per kind:
 * - an oracle manipulation (a collateral's price pushed up, the cash borrowed against it, the price
 *   restored) → the holder's share of the bad debt, the bad debt computed here from the contracts'
 *   own figures at the restored price;
 * - the holder withdrawing part after the drain, inside the window → only the part it kept bore it;
 * - a wave of solvent borrows and withdrawals → 0; interest accrual → 0, and the value is the
 *   holder's balance;
 * - a pool the reads fail on → the measure throws (the claim is held for the operator), never 0.
 */
import { loadFixture } from "@nomicfoundation/hardhat-network-helpers";
import { expect } from "chai";
import { ethers } from "hardhat";
import type { Contract, Signer } from "ethers";

import { IncidentLossReader, type PositionSpec } from "../../src/sources/positions";
import { RAY, dai18, deployStandIns, usdc6 } from "../helpers/protocolStandIns";

const ETH_PER_USD = 5n * 10n ** 14n; // the v2 stand-in's prices: $1 = 0.0005 ETH (ETH at $2,000)
const USD8 = 10n ** 8n; // Comet's price feeds
const FACTOR = 10n ** 18n;

async function world() {
  const s = await deployStandIns();
  const signers = await ethers.getSigners();
  const [holder, whale, borrower, attacker] = [signers[5]!, signers[6]!, signers[7]!, signers[8]!];
  const pool = s.aaveV2Pool as unknown as Contract;
  // Aave v2 (Radiant-style): a DAI reserve as collateral, both assets at $1.
  await (await pool.getFunction("mockInitReserve")(s.addresses.dai, "Radiant interest bearing DAI", "rDAI", 18)).wait();
  await (await pool.getFunction("mockSetAssetPrice")(s.addresses.usdc, ETH_PER_USD)).wait();
  await (await pool.getFunction("mockSetAssetPrice")(s.addresses.dai, ETH_PER_USD)).wait();
  // Comet: DAI as collateral at $1 (borrow CF 0.8, liquidate CF 0.85, liquidation factor 0.9).
  const daiFeed = await ethers.deployContract("MockChainlinkAggregator", [8, "DAI / USD", USD8]);
  await (await s.comet.getFunction("mockAddAsset")(s.addresses.dai, await daiFeed.getAddress(), (FACTOR * 8n) / 10n, (FACTOR * 85n) / 100n, (FACTOR * 9n) / 10n)).wait();
  // 900k from a whale, 100k from the holder; a solvent borrower of 150k USDC against 400k DAI.
  for (const kind of ["aave-v2", "compound-v3"] as const) {
    await s.open(kind, whale, usdc6(900_000));
    await s.open(kind, holder, usdc6(100_000));
  }
  await depositDai("aave-v2", borrower, dai18(400_000));
  await depositDai("compound-v3", borrower, dai18(400_000));
  await borrowUsdc("aave-v2", borrower, usdc6(150_000));
  await borrowUsdc("compound-v3", borrower, usdc6(150_000));

  async function depositDai(kind: "aave-v2" | "compound-v3", who: Signer, amount: bigint): Promise<void> {
    const a = await who.getAddress();
    await (await s.dai.mint(a, amount)).wait();
    if (kind === "aave-v2") {
      await (await s.dai.connect(who).approve(s.addresses.aaveV2Pool, amount)).wait();
      await (await (pool.connect(who) as Contract).getFunction("deposit")(s.addresses.dai, amount, a, 0)).wait();
    } else {
      await (await s.dai.connect(who).approve(s.addresses.comet, amount)).wait();
      await (await s.comet.connect(who).supply(s.addresses.dai, amount)).wait();
    }
  }
  async function borrowUsdc(kind: "aave-v2" | "compound-v3", who: Signer, amount: bigint): Promise<void> {
    if (kind === "aave-v2") await (await (pool.connect(who) as Contract).getFunction("borrow")(s.addresses.usdc, amount, 2, 0, await who.getAddress())).wait();
    else await (await s.comet.connect(who).withdraw(s.addresses.usdc, amount)).wait();
  }
  async function withdrawUsdc(kind: "aave-v2" | "compound-v3", who: Signer, amount: bigint): Promise<void> {
    if (kind === "aave-v2") await (await (pool.connect(who) as Contract).getFunction("withdraw")(s.addresses.usdc, amount, await who.getAddress())).wait();
    else await (await s.comet.connect(who).withdraw(s.addresses.usdc, amount)).wait();
  }
  /** DAI's price source ×1000, `amount` USDC borrowed against 10k DAI, the source restored. */
  async function oracleDrain(kind: "aave-v2" | "compound-v3", amount: bigint): Promise<void> {
    await depositDai(kind, attacker, dai18(10_000));
    if (kind === "aave-v2") await (await pool.getFunction("mockSetAssetPrice")(s.addresses.dai, ETH_PER_USD * 1000n)).wait();
    else await (await daiFeed.getFunction("setAnswer")(USD8 * 1000n, (await ethers.provider.getBlock("latest"))!.timestamp)).wait();
    await borrowUsdc(kind, attacker, amount);
    if (kind === "aave-v2") await (await pool.getFunction("mockSetAssetPrice")(s.addresses.dai, ETH_PER_USD)).wait();
    else await (await daiFeed.getFunction("setAnswer")(USD8, (await ethers.provider.getBlock("latest"))!.timestamp)).wait();
  }
  /** The attacker's debt no collateral backs, USDC units, from the contracts' own figures now. */
  async function badDebt(kind: "aave-v2" | "compound-v3"): Promise<bigint> {
    const a = await attacker.getAddress();
    if (kind === "aave-v2") {
      const account = await pool.getFunction("getUserAccountData")(a);
      return (((account[1] as bigint) - (account[0] as bigint)) * 10n ** 6n) / ETH_PER_USD;
    }
    const debt = (await s.comet.borrowBalanceOf(a)) as bigint;
    const [held] = (await s.comet.userCollateral(a, s.addresses.dai)) as unknown as [bigint];
    const recoverable = (((held * USD8) / 10n ** 18n) * ((FACTOR * 9n) / 10n)) / FACTOR; // USD8 × liquidationFactor
    return debt - (recoverable * 10n ** 6n) / USD8;
  }
  /** The holder's share of the supply at the window's end, as [numerator, denominator] of scaled units. */
  async function holderShare(kind: "aave-v2" | "compound-v3"): Promise<[bigint, bigint]> {
    const h = await holder.getAddress();
    if (kind === "aave-v2") {
      const aToken = s.aaveV2AToken as unknown as Contract;
      return [(await aToken.getFunction("scaledBalanceOf")(h)) as bigint, (await aToken.getFunction("scaledTotalSupply")()) as bigint];
    }
    const basic = (await s.comet.userBasic(h)) as unknown as [bigint];
    const totals = (await s.comet.totalsBasic()) as unknown as { totalSupplyBase: bigint };
    return [basic[0], totals.totalSupplyBase];
  }
  function spec(kind: "aave-v2" | "compound-v3" | "aave-v2-by-pool", who: string): PositionSpec {
    if (kind === "aave-v2-by-pool") return { kind: "aave-v2", lendingPool: s.addresses.aaveV2Pool, asset: s.addresses.usdc, holder: who };
    return s.spec(kind, who);
  }
  return { s, pool, daiFeed, holder, whale, borrower, attacker, depositDai, borrowUsdc, withdrawUsdc, oracleDrain, badDebt, holderShare, spec };
}

describe("pooled-lending loss of Aave v2 forks and Compound v3 (integration)", function () {
  this.timeout(300_000);
  const head = () => ethers.provider.getBlockNumber();
  const reader = () => new IncidentLossReader({ chain: ethers.provider });

  for (const kind of ["aave-v2", "compound-v3"] as const) {
    describe(kind, () => {
      it("an oracle-manipulation drain: the claim is the holder's share of the bad debt, and the evidence lets it be recomputed", async () => {
        const w = await loadFixture(world);
        const who = await w.holder.getAddress();
        const before = await head();
        await w.oracleDrain(kind, usdc6(850_000)); // all the cash
        const after = await head();
        const bad = await w.badDebt(kind);
        expect(bad).to.be.gt(usdc6(800_000));
        const [mine, all] = await w.holderShare(kind);
        const expected = (bad * mine) / all;
        for (const form of kind === "aave-v2" ? (["aave-v2", "aave-v2-by-pool"] as const) : ([kind] as const)) {
          const measured = await reader().measure({ id: "p", spec: w.spec(form, who) }, before, after);
          expect(measured.rule, form).to.equal("pooled-lending");
          expect(measured.loss, form).to.be.closeTo(expected, expected / 1000n); // within 0.1%
          expect(measured.valueBefore - measured.valueAfter).to.equal(measured.loss);
          const reads = measured.reads as { borrowersFrom: string; readsAs: string; after: { borrowers: { account: string }[] }; poolLoss: string };
          expect(reads.after.borrowers.map((b) => b.account)).to.include(await w.attacker.getAddress());
          expect(reads.readsAs).to.match(kind === "aave-v2" ? /treasuryAccrued = 0 \(Aave v2 has neither\)/ : /liquidationFactor/);
          expect(measured.formula).to.match(/poolLoss = max\(0, net_before - net_after\)/);
          expect(BigInt(reads.poolLoss)).to.be.closeTo(bad, bad / 1000n);
          expect(JSON.parse(JSON.stringify(measured.reads))).to.deep.equal(measured.reads);
        }
      });

      it("the holder withdrawing part after the drain, inside the window: only what it kept bore the loss", async () => {
        const w = await loadFixture(world);
        const who = await w.holder.getAddress();
        const before = await head();
        await w.oracleDrain(kind, usdc6(500_000)); // 350k of cash left
        await w.withdrawUsdc(kind, w.holder, usdc6(40_000));
        const after = await head();
        const bad = await w.badDebt(kind);
        const [mine, all] = await w.holderShare(kind);
        expect(mine).to.be.closeTo(usdc6(60_000), usdc6(1));
        const measured = await reader().measure({ id: "p", spec: w.spec(kind, who) }, before, after);
        expect(measured.loss).to.be.closeTo((bad * mine) / all, usdc6(1));
        // The whole position (100k) would have claimed 40k more of the share.
        expect(measured.loss).to.be.lt((bad * usdc6(100_000)) / all);
        // Measured later, after the operator moved out 20k more once the alert came: that is no loss either.
        await w.withdrawUsdc(kind, w.holder, usdc6(20_000));
        const later = await reader().measure({ id: "p", spec: w.spec(kind, who) }, before, after, { latest: await head() });
        expect(later.loss).to.be.closeTo((bad * (mine - usdc6(20_000))) / all, usdc6(1));
      });

      it("a wave of solvent borrows and withdrawals: no loss", async () => {
        const w = await loadFixture(world);
        const who = await w.holder.getAddress();
        const before = await head();
        await w.depositDai(kind, w.attacker, dai18(200_000));
        await w.borrowUsdc(kind, w.attacker, usdc6(100_000));
        await w.borrowUsdc(kind, w.borrower, usdc6(50_000));
        await w.withdrawUsdc(kind, w.whale, usdc6(500_000));
        const measured = await reader().measure({ id: "p", spec: w.spec(kind, who) }, before, await head());
        expect(measured.loss).to.equal(0n);
        expect((measured.reads as { poolLoss: string }).poolLoss).to.equal("0");
        // The window's borrowers, read at both blocks; the whale only withdrew its supply (a `Withdraw` on Comet too) and is not one.
        const borrowers = (measured.reads as { after: { borrowers: { account: string }[] } }).after.borrowers.map((b) => b.account);
        expect(borrowers).to.have.members([await w.attacker.getAddress(), await w.borrower.getAddress()]);
        expect(measured.valueBefore).to.be.closeTo(usdc6(100_000), 2n);
      });

      it("interest accrual (borrowers pay more than suppliers earn): no loss, and the value is the holder's balance", async () => {
        const w = await loadFixture(world);
        const who = await w.holder.getAddress();
        const before = await head();
        // 150k borrowed at +10%, 1M supplied at +1.2%: the pool earns 15k, the suppliers 12k.
        if (kind === "aave-v2") {
          await (await w.pool.getFunction("mockAccrueDebt")(w.s.addresses.usdc, (RAY * 110n) / 100n)).wait();
          await (await w.pool.getFunction("mockAccrueIncome")(w.s.addresses.usdc, (RAY * 1012n) / 1000n)).wait();
        } else {
          await (await w.s.comet.getFunction("mockAccrueBorrow")(1_100_000_000_000_000n)).wait();
          await (await w.s.comet.mockAccrue(1_012_000_000_000_000n)).wait();
        }
        const measured = await reader().measure({ id: "p", spec: w.spec(kind, who) }, before, await head());
        expect(measured.loss).to.equal(0n);
        const balance = kind === "aave-v2" ? ((await (w.s.aaveV2AToken as unknown as Contract).getFunction("balanceOf")(who)) as bigint) : ((await w.s.comet.balanceOf(who)) as bigint);
        expect(balance).to.be.closeTo(usdc6(101_200), 1n);
        expect(measured.valueBefore).to.be.closeTo(balance, 1n);
      });
    });
  }

  it("a pool whose reads fail: the measure throws (the claim is held for the operator), never a loss of 0", async () => {
    const w = await loadFixture(world);
    const who = await w.holder.getAddress();
    const before = await head();
    await ethers.provider.send("evm_mine", []);
    const notAPool: PositionSpec = { kind: "aave-v2", lendingPool: w.s.addresses.comet, asset: w.s.addresses.usdc, holder: who };
    const notAComet: PositionSpec = { kind: "compound-v3", comet: w.s.addresses.aaveV2Pool, holder: who };
    for (const spec of [notAPool, notAComet]) {
      const error = await reader().measure({ id: "x", spec }, before, await head()).catch((err: Error) => err);
      expect(error, spec.kind).to.be.instanceOf(Error);
      expect((error as Error).message, spec.kind).to.match(/failed/);
    }
  });
});
