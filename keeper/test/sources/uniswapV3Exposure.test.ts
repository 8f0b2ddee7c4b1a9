/**
 * `exposedValue` (sources/positions/uniswapV3Reader.ts): what the liquidity a holder kept through
 * an incident window redeems for at one block — principal at that block's price plus the fees owed
 * pro rata — checked on its properties (the real pool's agreement is
 * keeper/test/integration/uniswapV3Loss.test.ts).
 */
import { expect } from "chai";

import { amountsForLiquidity, Q96, sqrtPriceX96AtTick } from "../../src/policy/uniswapV3Position";
import { exposedValue, type UniswapV3Checkpoint, type UniswapV3IdReads, type UniswapV3TokenInfo } from "../../src/sources/positions/uniswapV3Reader";

const USDC = "0x00000000000000000000000000000000000000a0";
const DAI = "0x00000000000000000000000000000000000000b0";
const info: UniswapV3TokenInfo = { token0: USDC, token1: DAI, fee: 500, tickLower: -500, tickUpper: 500 };
const Q128 = 2n ** 128n;
const L = 10n ** 15n;

/** At tick 0 ($1 in raw units), fee growth inside the range = global (no tick crossed). */
const at = (sqrtPriceX96: bigint, tick: number, growth0: bigint, growth1: bigint): UniswapV3IdReads => ({
  liquidity: L,
  sqrtPriceX96,
  tick,
  feeGrowthGlobal0X128: growth0,
  feeGrowthGlobal1X128: growth1,
  lowerOutside0: 0n,
  lowerOutside1: 0n,
  upperOutside0: 0n,
  upperOutside1: 0n,
});
const checkpoint: UniswapV3Checkpoint = { liquidity: L, feeGrowthInside0LastX128: 0n, feeGrowthInside1LastX128: 0n, tokensOwed0: 1_000n, tokensOwed1: 3_000n };
const spec = { asset: USDC, pricing: "par" as const };

describe("Uniswap v3 exposure value (sources/positions/uniswapV3Reader exposedValue)", () => {
  it("the whole liquidity: principal at the block's price + tokens owed + the fee growth since the checkpoint", () => {
    const reads = at(Q96, 0, 5n * Q128 / L, 7n * Q128 / L); // 5 and 7 raw units of fees over L
    const principal = amountsForLiquidity(Q96, info.tickLower, info.tickUpper, L);
    const v = exposedValue(spec, info, 6, 6, reads, checkpoint, L);
    expect(v.amount0).to.equal(principal.amount0 + 1_000n + 4n); // floor(L × floor(5·2^128/L) / 2^128) = 4
    expect(v.amount1).to.equal(principal.amount1 + 3_000n + 6n);
    expect(v.value).to.equal(v.amount0 + v.amount1); // par, same decimals
  });

  it("half the liquidity is worth half (to a unit), owed fees included pro rata; none is worth nothing", () => {
    const reads = at(sqrtPriceX96AtTick(120), 120, 10n ** 6n * Q128, 2n * 10n ** 6n * Q128);
    const whole = exposedValue(spec, info, 6, 6, reads, checkpoint, L);
    const half = exposedValue(spec, info, 6, 6, reads, checkpoint, L / 2n);
    expect(half.value * 2n).to.be.closeTo(whole.value, 4n);
    expect(exposedValue(spec, info, 6, 6, reads, checkpoint, 0n).value).to.equal(0n);
  });

  it("a price moved through the range (a drain): the kept liquidity is all in the dumped token, worth less at the pool's price", () => {
    const drained = at(sqrtPriceX96AtTick(5_000), 5_000, 0n, 0n); // DAI (token1) dumped: USDC's price in DAI up, out of the range above
    const before = exposedValue({ asset: USDC, pricing: "pool" }, info, 6, 6, at(Q96, 0, 0n, 0n), checkpoint, L / 2n);
    const after = exposedValue({ asset: USDC, pricing: "pool" }, info, 6, 6, drained, checkpoint, L / 2n);
    expect(after.amount0).to.equal(checkpoint.tokensOwed0 / 2n); // above the range: no USDC principal left
    expect(after.value).to.be.lt(before.value);
  });

  it("refuses an exposure above the liquidity held before", () => {
    expect(() => exposedValue(spec, info, 6, 6, at(Q96, 0, 0n, 0n), checkpoint, L + 1n)).to.throw(/exposure/);
  });
});
