/**
 * The incident loss reader (sources/positions/incidentLoss.ts) per kind on the stand-ins
 * (keeper/test/helpers/protocolStandIns.ts, which behave as the real contracts do in a theft: the
 * holder's shares never move, what each share is worth falls):
 * - vault shares (ERC-4626, Yearn v2): drop in assets per share × the shares held through the
 *   incident; shares the holder redeemed in the window are its own movement, not loss;
 * - Curve LP: the drop of what the exposed LP redeems for in the covered coin;
 * - direct holdings: a `transferFrom` by a thief is loss, the holder's own transfer to safety is not;
 * - Aave v2 forks and Compound v3: the balances do not move in a theft; the holder's share of the
 *   debt nothing backs is the loss (keeper/test/integration/pooledLendingLoss.test.ts for the rest).
 */
import { loadFixture } from "@nomicfoundation/hardhat-network-helpers";
import { expect } from "chai";
import { ethers } from "hardhat";
import type { Signer } from "ethers";

import { IncidentLossReader } from "../../src/sources/positions";
import { dai18, deployStandIns, usdc6 } from "../helpers/protocolStandIns";

describe("incident loss by position kind, on the stand-ins (integration)", function () {
  this.timeout(300_000);

  async function world() {
    const s = await deployStandIns();
    const signers = await ethers.getSigners();
    return { s, holder: signers[5] as Signer, other: signers[6] as Signer, thief: signers[7] as Signer, cold: signers[8] as Signer };
  }
  const head = () => ethers.provider.getBlockNumber();
  const reader = () => new IncidentLossReader({ chain: ethers.provider });

  it("ERC-4626: the fall in assets per share × the shares held through the incident; shares redeemed in the window are not loss", async () => {
    const { s, holder, other, thief } = await loadFixture(world);
    const who = await holder.getAddress();
    await s.open("erc4626", holder, dai18(100_000));
    await s.open("erc4626", other, dai18(100_000));
    const before = await head();
    await (await s.vault.mockExploitDrain(await thief.getAddress(), dai18(50_000))).wait(); // 200k → 150k: each share worth 0.75
    const drained = await head();
    const plain = await reader().measure({ id: "v", spec: s.spec("erc4626", who) }, before, drained);
    expect(plain.rule).to.equal("vault-shares");
    expect(plain.loss).to.be.closeTo(dai18(25_000), dai18(1));
    // The holder redeems 40% of its shares after the drain (at 0.75): the rest, 60k shares, bore the drop.
    const shares = (await s.vault.balanceOf(who)) as bigint;
    await (await s.vault.connect(holder).redeem((shares * 4n) / 10n, who, who)).wait();
    const after = await head();
    const withRedeem = await reader().measure({ id: "v", spec: s.spec("erc4626", who) }, before, after);
    expect(withRedeem.loss).to.be.closeTo(dai18(15_000), dai18(1));
    expect(withRedeem.reads).to.deep.include({ sharesBefore: shares.toString(), exposure: ((shares * 6n) / 10n).toString() });
    // The balance-drop measure would have claimed the redemption too: 100k → 45k.
    expect(withRedeem.valueBefore - withRedeem.valueAfter).to.equal(withRedeem.loss);
  });

  it("Yearn v2: shares × the fall of pricePerShare", async () => {
    const { s, holder, other, thief } = await loadFixture(world);
    const who = await holder.getAddress();
    await s.open("yearn-v2", holder, dai18(100_000));
    await s.open("yearn-v2", other, dai18(300_000));
    const before = await head();
    await (await s.yearnV2Vault.getFunction("mockStrategyLoss")(await thief.getAddress(), dai18(100_000))).wait(); // 400k → 300k
    const measured = await reader().measure({ id: "y", spec: s.spec("yearn-v2", who) }, before, await head());
    expect(measured.loss).to.be.closeTo(dai18(25_000), dai18(1));
    expect(measured.reads).to.include.keys("pricePerShareBefore", "pricePerShareAfter", "exposure");
  });

  it("Curve: the drop of what the exposed LP redeems for in the covered coin (calc_withdraw_one_coin at each block)", async () => {
    const { s, holder, other, thief } = await loadFixture(world);
    const who = await holder.getAddress();
    await s.open("curve", holder, dai18(100_000));
    await s.open("curve", other, dai18(100_000));
    const before = await head();
    await (await s.curve.mockExploitDrain(0, await thief.getAddress(), dai18(100_000))).wait(); // half the pool's DAI
    const measured = await reader().measure({ id: "c", spec: s.spec("curve", who) }, before, await head());
    expect(measured.rule).to.equal("lp-redeemable");
    expect(measured.valueBefore).to.be.gt(dai18(99_000));
    expect(measured.loss).to.be.gt(dai18(40_000));
    expect(measured.loss).to.equal(measured.valueBefore - measured.valueAfter);
  });

  it("direct holdings: the thief's transferFrom is loss; the holder's own transfer to its cold wallet and what it received are not", async () => {
    const { s, holder, thief, cold } = await loadFixture(world);
    const who = await holder.getAddress();
    await s.open("erc20", holder, usdc6(100_000));
    await (await s.usdc.connect(holder).approve(await thief.getAddress(), usdc6(1_000_000))).wait(); // the approval an exploit abuses
    const before = await head();
    await (await s.usdc.connect(thief).transferFrom(who, await thief.getAddress(), usdc6(60_000))).wait();
    await (await s.usdc.connect(holder).transfer(await cold.getAddress(), usdc6(30_000))).wait();
    await (await s.usdc.mint(who, usdc6(5_000))).wait();
    const measured = await reader().measure({ id: "w", spec: s.spec("erc20", who) }, before, await head());
    expect(measured.rule).to.equal("balance-drop");
    expect(measured.loss).to.equal(usdc6(60_000));
    expect(measured.reads).to.deep.include({ balanceBefore: usdc6(100_000).toString(), balanceAfter: usdc6(15_000).toString(), sentByHolder: usdc6(30_000).toString(), takenFromHolder: usdc6(60_000).toString(), received: usdc6(5_000).toString() });
  });

  it("Aave v2 forks and Compound v3: a borrow against worthless collateral is the holder's share of the debt nothing backs, though no balance moved", async () => {
    const { s, holder, other, thief } = await loadFixture(world);
    const who = await holder.getAddress();
    for (const kind of ["aave-v2", "compound-v3"] as const) {
      await s.open(kind, holder, usdc6(100_000));
      await s.open(kind, other, usdc6(300_000));
    }
    const before = await head();
    await (await s.aaveV2Pool.getFunction("mockExploitBorrow")(s.addresses.usdc, await thief.getAddress(), usdc6(200_000))).wait();
    await (await s.comet.mockExploitDrain(await thief.getAddress(), usdc6(200_000))).wait();
    const after = await head();
    for (const kind of ["aave-v2", "compound-v3"] as const) {
      const measured = await reader().measure({ id: kind, spec: s.spec(kind, who) }, before, after);
      expect(measured.rule, kind).to.equal("pooled-lending");
      expect(measured.loss, kind).to.be.closeTo(usdc6(50_000), 2n); // 200k × 100k / 400k
      expect((measured.reads as { before: { holderBalance: string }; after: { holderBalance: string } }).after.holderBalance, kind).to.equal(usdc6(100_000).toString());
    }
  });
});
