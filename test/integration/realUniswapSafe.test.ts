/**
 * The Uniswap v3 and Safe test worlds (test/helpers/realUniswap.ts, realSafe.ts) run the real
 * npm bytecode: a minted position's redeemable amounts follow the pool's price, and a Safe
 * executes only with its threshold of owner signatures.
 */
import { loadFixture } from "@nomicfoundation/hardhat-network-helpers";
import { expect } from "chai";
import { ethers } from "hardhat";
import { AbiCoder, ZeroAddress, getCreate2Address, keccak256 } from "ethers";

import { realUniswapFixture } from "../helpers/realUniswap";
import { deployRealSafe } from "../helpers/realSafe";

describe("real Uniswap v3 and Safe bytecode (integration)", function () {
  this.timeout(120_000);

  describe("Uniswap v3", () => {
    it("the factory's pool sits at the address the position manager computes, priced at $1, holding the minted position", async () => {
      const u = await loadFixture(realUniswapFixture);
      // PoolAddress.POOL_INIT_CODE_HASH of the periphery: the npm pool bytecode must hash to it.
      const initCodeHash = "0xe34f199b19b2b4f47f68442619d555527d244f78a3297ea89325f843f87b8b54";
      const salt = keccak256(AbiCoder.defaultAbiCoder().encode(["address", "address", "uint24"], [u.token0, u.token1, u.fee]));
      expect(getCreate2Address(await u.factory.getAddress(), salt, initCodeHash)).to.equal(await u.pool.getAddress());
      const position = await u.positionManager.getFunction("positions")(u.tokenId);
      expect(position.token0).to.equal(u.token0);
      expect(position.token1).to.equal(u.token1);
      expect(position.fee).to.equal(500n);
      expect(position.liquidity).to.be.gt(0n);
      expect(await u.pool.getFunction("liquidity")()).to.equal(position.liquidity);
      // The pool holds what was minted: the binding side all of its 500k, the other a little less
      // (the range [$0.95, $1.05] is not symmetric in ticks around $1).
      const usdcHeld = (await u.usdc.balanceOf(await u.pool.getAddress())) * 10n ** 12n;
      const daiHeld = await u.dai.balanceOf(await u.pool.getAddress());
      const [more, less] = usdcHeld > daiHeld ? [usdcHeld, daiHeld] : [daiHeld, usdcHeld];
      expect(more).to.be.closeTo(500_000n * 10n ** 18n, 10n ** 12n);
      expect(less).to.be.gt(450_000n * 10n ** 18n);
      expect(less).to.be.lt(more);
    });

    it("a swap moves the price and the position's redeemable amounts with it", async () => {
      const u = await loadFixture(realUniswapFixture);
      const [, , trader] = await ethers.getSigners();
      const redeemable = async () => {
        const { liquidity } = await u.positionManager.getFunction("positions")(u.tokenId);
        const npm = u.positionManager.connect(u.lp);
        const [amount0, amount1] = (await npm.getFunction("decreaseLiquidity").staticCall({ tokenId: u.tokenId, liquidity, amount0Min: 0n, amount1Min: 0n, deadline: 2n ** 48n })) as unknown as [bigint, bigint];
        const usdcIs0 = u.token0 === (await u.usdc.getAddress());
        return { usdc: usdcIs0 ? amount0 : amount1, dai: usdcIs0 ? amount1 : amount0 };
      };
      const before = await redeemable();
      const tickBefore = (await u.pool.getFunction("slot0")()).tick as bigint;
      await u.swap(trader!, await u.usdc.getAddress(), 200_000n * 10n ** 6n);
      const after = await redeemable();
      expect((await u.pool.getFunction("slot0")()).tick).to.not.equal(tickBefore);
      // USDC came in less the 0.05% fee (owed to the LP apart from its principal); DAI went out at
      // a worse price than $1 (the price impact of 200k in a ±5% range of ~1M).
      expect(after.usdc - before.usdc).to.equal(200_000n * 10n ** 6n - 100n * 10n ** 6n);
      expect(before.dai - after.dai).to.be.lt(199_900n * 10n ** 18n);
      expect(before.dai - after.dai).to.be.gt(190_000n * 10n ** 18n);
    });
  });

  describe("Safe", () => {
    async function safeWithUsdc() {
      const [, a, b, c, recipient] = await ethers.getSigners();
      const s = await deployRealSafe([a!, b!, c!], 2);
      const usdc = await ethers.deployContract("MockUSDC");
      await (await usdc.mint(s.address, 1_000n * 10n ** 6n)).wait();
      return { s, usdc, owners: [a!, b!, c!], recipient: recipient! };
    }

    it("is set up with its owners and threshold and executes a transfer signed by two of three owners", async () => {
      const { s, usdc, owners, recipient } = await loadFixture(safeWithUsdc);
      expect(await s.safe.getFunction("getThreshold")()).to.equal(2n);
      expect(await s.safe.getFunction("getOwners")()).to.deep.equal(await Promise.all(owners.map((o) => o.getAddress())));
      const data = usdc.interface.encodeFunctionData("transfer", [await recipient.getAddress(), 250n * 10n ** 6n]);
      await s.exec({ to: await usdc.getAddress(), data }, [owners[2]!, owners[0]!]);
      expect(await usdc.balanceOf(await recipient.getAddress())).to.equal(250n * 10n ** 6n);
      expect(await usdc.balanceOf(s.address)).to.equal(750n * 10n ** 6n);
      expect(await s.safe.getFunction("nonce")()).to.equal(1n);
    });

    it("refuses a transaction below the threshold (GS020) or signed by a non-owner (GS026)", async () => {
      const { s, usdc, owners, recipient } = await loadFixture(safeWithUsdc);
      const call = { to: await usdc.getAddress(), data: usdc.interface.encodeFunctionData("transfer", [await recipient.getAddress(), 1n]) };
      const exec = s.safe.getFunction("execTransaction");
      const one = await s.sign(call, [owners[0]!]);
      await expect(exec(call.to, 0n, call.data, 0, 0n, 0n, 0n, ZeroAddress, ZeroAddress, one)).to.be.revertedWith("GS020");
      const withStranger = await s.sign(call, [owners[0]!, recipient]);
      await expect(exec(call.to, 0n, call.data, 0, 0n, 0n, 0n, ZeroAddress, ZeroAddress, withStranger)).to.be.revertedWith("GS026");
      expect(await usdc.balanceOf(s.address)).to.equal(1_000n * 10n ** 6n);
    });
  });
});
