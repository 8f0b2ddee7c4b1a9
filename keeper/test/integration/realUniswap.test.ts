/**
 * The Uniswap v3 position math (keeper/src/policy/uniswapV3Position.ts) against the real pool
 * bytecode (`@uniswap/v3-core`, test/helpers/realUniswap.ts): what the keeper computes from
 * `slot0` and `positions(tokenId)` equals what `decreaseLiquidity` would pay the LP, at $1, after
 * a swap inside the range, and after a swap that pushes the price out of it.
 */
import { loadFixture } from "@nomicfoundation/hardhat-network-helpers";
import { expect } from "chai";
import { ethers } from "hardhat";
import type { Contract } from "ethers";

import { realUniswapFixture, type RealUniswap } from "../../../test/helpers/realUniswap";
import { amountsForLiquidity } from "../../src/policy/uniswapV3Position";

/** What the pool pays for burning the whole position now (a static call as the owner). */
async function redeemable(u: RealUniswap): Promise<{ amount0: bigint; amount1: bigint }> {
  const { liquidity } = await u.positionManager.getFunction("positions")(u.tokenId);
  const npm = u.positionManager.connect(u.lp) as Contract;
  const [amount0, amount1] = (await npm.getFunction("decreaseLiquidity").staticCall({ tokenId: u.tokenId, liquidity, amount0Min: 0n, amount1Min: 0n, deadline: 2n ** 48n })) as unknown as [bigint, bigint];
  return { amount0, amount1 };
}

/** What the keeper computes from public reads. */
async function computed(u: RealUniswap) {
  const p = await u.positionManager.getFunction("positions")(u.tokenId);
  const { sqrtPriceX96 } = await u.pool.getFunction("slot0")();
  return amountsForLiquidity(sqrtPriceX96 as bigint, Number(p.tickLower), Number(p.tickUpper), p.liquidity as bigint);
}

describe("real Uniswap v3: a position's redeemable amounts from the pool's math (integration)", function () {
  this.timeout(120_000);

  it("at $1, after a 200k swap inside the range, and after a swap through the whole range", async () => {
    const u = await loadFixture(realUniswapFixture);
    const [, , trader] = await ethers.getSigners();
    const usdc = await u.usdc.getAddress();
    const usdcIs0 = u.token0 === usdc;

    const atStart = await redeemable(u);
    expect(await computed(u)).to.deep.equal(atStart);
    expect(atStart.amount0).to.be.gt(0n);
    expect(atStart.amount1).to.be.gt(0n);

    await u.swap(trader!, usdc, 200_000n * 10n ** 6n);
    const moved = await redeemable(u);
    expect(await computed(u)).to.deep.equal(moved);
    const usdcOf = (a: { amount0: bigint; amount1: bigint }): bigint => (usdcIs0 ? a.amount0 : a.amount1);
    expect(usdcOf(moved)).to.be.gt(usdcOf(atStart));

    // 2M USDC in: more than the range holds; the price leaves the range and the position is all USDC.
    await u.swap(trader!, usdc, 2_000_000n * 10n ** 6n);
    const out = await redeemable(u);
    expect(await computed(u)).to.deep.equal(out);
    expect(usdcIs0 ? out.amount1 : out.amount0).to.equal(0n);
  });
});
