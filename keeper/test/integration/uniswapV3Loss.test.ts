/**
 * The LP loss rule on the real Uniswap v3 bytecode (test/helpers/realUniswap.ts): the keeper's
 * incident loss reader (sources/positions/incidentLoss.ts) values the holder's position at the two
 * incident blocks, and those values equal what the pool itself pays the owner at those blocks
 * (`decreaseLiquidity(all)` + `collect`, a static call pinned to each block) valued at the pool's
 * price of that block. A pool drained with a token dumped into it (the USDC side taken, the
 * position left holding the dumped token at a collapsed price) measures the LP's loss; liquidity the
 * holder removed in the window is never measured as loss — only the liquidity it kept through the
 * window, valued at each block at the pool's math; an id that changed owner is held for the operator.
 */
import { loadFixture } from "@nomicfoundation/hardhat-network-helpers";
import { expect } from "chai";
import { ethers } from "hardhat";
import type { Contract } from "ethers";

import { realUniswapFixture, type RealUniswap } from "../../../test/helpers/realUniswap";
import { installLocalMulticall3 } from "../../src/cli/localMulticall";
import { IncidentLossReader, valueInAsset, type PositionRead } from "../../src/sources/positions";

const MAX128 = 2n ** 128n - 1n;
const usdc6 = (n: number) => BigInt(n) * 10n ** 6n;
const dai18 = (n: number) => BigInt(n) * 10n ** 18n;

/** What the owner is paid for burning all liquidity and collecting everything at `block`, valued in USDC at the pool's price of that block. */
async function poolPaysAt(u: RealUniswap, block: number): Promise<bigint> {
  const npm = u.positionManager.connect(u.lp) as Contract;
  const { liquidity } = await u.positionManager.getFunction("positions")(u.tokenId, { blockTag: block });
  const calls = [
    ...(liquidity > 0n ? [npm.interface.encodeFunctionData("decreaseLiquidity", [{ tokenId: u.tokenId, liquidity, amount0Min: 0n, amount1Min: 0n, deadline: 2n ** 48n }])] : []),
    npm.interface.encodeFunctionData("collect", [{ tokenId: u.tokenId, recipient: await u.lp.getAddress(), amount0Max: MAX128, amount1Max: MAX128 }]),
  ];
  const results = (await npm.getFunction("multicall").staticCall(calls, { blockTag: block })) as string[];
  const [amount0, amount1] = npm.interface.decodeFunctionResult("collect", results.at(-1) as string) as unknown as [bigint, bigint];
  const { sqrtPriceX96 } = await u.pool.getFunction("slot0")({ blockTag: block });
  const usdcIs0 = u.token0 === (await u.usdc.getAddress());
  return valueInAsset(usdcIs0 ? 0 : 1, amount0, amount1, usdcIs0 ? 6 : 18, usdcIs0 ? 18 : 6, sqrtPriceX96 as bigint, "pool");
}

describe("LP loss on the real Uniswap v3 (integration)", function () {
  this.timeout(300_000);

  async function fixture() {
    const u = await realUniswapFixture();
    await installLocalMulticall3(ethers.provider);
    return u;
  }

  async function positionOf(u: RealUniswap): Promise<PositionRead> {
    return {
      id: "uniswap-v3:lp",
      spec: { kind: "uniswap-v3", positionManager: await u.positionManager.getAddress(), holder: await u.lp.getAddress(), asset: await u.usdc.getAddress(), pricing: "pool", tokenIds: [u.tokenId] },
    };
  }

  it("before and after a price move inside the range: the values are what the pool pays at each block, and the loss is their difference", async () => {
    const u = await loadFixture(fixture);
    const [, , trader] = await ethers.getSigners();
    const before = await ethers.provider.getBlockNumber();
    // 300k DAI sold into the pool: the price of DAI falls inside the ±5% range, the position holds more DAI.
    await u.swap(trader!, await u.dai.getAddress(), dai18(300_000));
    const after = await ethers.provider.getBlockNumber();
    const measured = await new IncidentLossReader({ chain: ethers.provider }).measure(await positionOf(u), before, after);
    expect(measured.rule).to.equal("lp-redeemable");
    expect(measured.valueBefore).to.be.closeTo(await poolPaysAt(u, before), 2n);
    expect(measured.valueAfter).to.be.closeTo(await poolPaysAt(u, after), 2n);
    expect(measured.loss).to.equal(measured.valueBefore > measured.valueAfter ? measured.valueBefore - measured.valueAfter : 0n);
    // At the pool's price a DAI dump inside the range costs the LP a little (it bought DAI above the new price, earning 0.05% fees).
    expect(measured.loss).to.be.lt(usdc6(30_000));
    expect(measured.reads).to.deep.include({ liquidityBefore: measured.reads["liquidityAfter"], pricing: "pool" });
  });

  it("a drained pool: a token dumped through the whole range leaves the LP holding it at a collapsed price — the LP's loss is measured from the pool's math", async () => {
    const u = await loadFixture(fixture);
    const [, , attacker] = await ethers.getSigners();
    const before = await ethers.provider.getBlockNumber();
    const valueBefore = await poolPaysAt(u, before);
    expect(valueBefore).to.be.gt(usdc6(900_000));
    // An infinite-mint attacker dumps 5M DAI: every USDC of the range is taken; the price leaves the range.
    await u.swap(attacker!, await u.dai.getAddress(), dai18(5_000_000));
    const after = await ethers.provider.getBlockNumber();
    const valueAfter = await poolPaysAt(u, after);
    const measured = await new IncidentLossReader({ chain: ethers.provider }).measure(await positionOf(u), before, after);
    expect(measured.valueBefore).to.be.closeTo(valueBefore, 2n);
    expect(measured.valueAfter).to.be.closeTo(valueAfter, 2n);
    const truth = valueBefore - valueAfter;
    expect(measured.loss).to.be.closeTo(truth, truth / 1_000_000n + 2n);
    // The USDC side is gone: most of the position's value is lost at the pool's price.
    expect(measured.loss).to.be.gt((valueBefore * 9n) / 10n);
    // At par (a stable/stable pool read at $1) the same drain shows no loss: the pricing is the operator's choice, and recorded.
    const par = await positionOf(u);
    const atPar = await new IncidentLossReader({ chain: ethers.provider }).measure({ ...par, spec: { ...(par.spec as Extract<PositionRead["spec"], { kind: "uniswap-v3" }>), pricing: "par" } }, before, after);
    expect(atPar.loss).to.be.lt(usdc6(1_000));
  });

  it("the holder removes half its liquidity in the window, then the pool is drained: only the half it kept is measured, at the pool's math", async () => {
    const u = await loadFixture(fixture);
    const [, , attacker] = await ethers.getSigners();
    const npm = u.positionManager.connect(u.lp) as Contract;
    const { liquidity } = await u.positionManager.getFunction("positions")(u.tokenId);
    const kept = liquidity - liquidity / 2n;
    const before = await ethers.provider.getBlockNumber();
    const wholeBefore = await poolPaysAt(u, before);
    // What the pool's own math pays for the kept liquidity at `block` (principal: a static decreaseLiquidity), in USDC at that block's price.
    const usdcIs0 = u.token0 === (await u.usdc.getAddress());
    const principalOfKept = async (block: number): Promise<bigint> => {
      const [amount0, amount1] = (await npm.getFunction("decreaseLiquidity").staticCall({ tokenId: u.tokenId, liquidity: kept, amount0Min: 0n, amount1Min: 0n, deadline: 2n ** 48n }, { blockTag: block })) as [bigint, bigint];
      const { sqrtPriceX96 } = await u.pool.getFunction("slot0")({ blockTag: block });
      return valueInAsset(usdcIs0 ? 0 : 1, amount0, amount1, usdcIs0 ? 6 : 18, usdcIs0 ? 18 : 6, sqrtPriceX96 as bigint, "pool");
    };
    await (await npm.getFunction("decreaseLiquidity")({ tokenId: u.tokenId, liquidity: liquidity / 2n, amount0Min: 0n, amount1Min: 0n, deadline: 2n ** 48n })).wait();
    await u.swap(attacker!, await u.dai.getAddress(), dai18(5_000_000)); // the drain: every USDC of the range taken
    const after = await ethers.provider.getBlockNumber();
    const measured = await new IncidentLossReader({ chain: ethers.provider }).measure(await positionOf(u), before, after);
    expect(measured.rule).to.equal("lp-redeemable");
    const positions = (measured.reads as { positions: { exposure: string }[] }).positions;
    expect(positions[0]?.exposure).to.equal(kept.toString());
    // Before: the kept half of what the whole position was worth (principal and owed fees pro rata).
    expect(measured.valueBefore).to.be.closeTo((wholeBefore * kept) / (liquidity as bigint), usdc6(1));
    const truth = (await principalOfKept(before)) - (await principalOfKept(after));
    // The pool's math for the kept liquidity, plus the few fees the dump paid it (0.05% of the DAI, worth little after).
    expect(measured.loss).to.be.closeTo(truth, truth / 100n);
    expect(measured.loss).to.be.lt((wholeBefore * 6n) / 10n); // not the whole position
    expect(measured.loss).to.be.gt((wholeBefore * 4n) / 10n); // the kept half was drained
    expect(measured.formula).to.match(/min\(liquidity_before, liquidity_after\)/);
  });

  it("a token id that changed owner in the window is not measured automatically: the measure refuses (the claim is held for the operator)", async () => {
    const u = await loadFixture(fixture);
    const [, , , cold] = await ethers.getSigners();
    const before = await ethers.provider.getBlockNumber();
    const npm = u.positionManager.connect(u.lp) as Contract;
    await (await npm.getFunction("transferFrom")(await u.lp.getAddress(), await cold!.getAddress(), u.tokenId)).wait();
    const after = await ethers.provider.getBlockNumber();
    const error = await new IncidentLossReader({ chain: ethers.provider }).measure(await positionOf(u), before, after).catch((err: Error) => err);
    expect((error as Error).message).to.match(/token ids 1 changed owner/);
  });
});
