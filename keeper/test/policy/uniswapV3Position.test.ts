import { expect } from "chai";

import { MAX_TICK, MIN_TICK, Q96, amountsForLiquidity, sqrtPriceX96AtTick } from "../../src/policy/uniswapV3Position";

/** TickMath.MIN_SQRT_RATIO / MAX_SQRT_RATIO of Uniswap v3 (the bounds of the price at MIN_TICK / MAX_TICK). */
const MIN_SQRT_RATIO = 4_295_128_739n;
const MAX_SQRT_RATIO = 1_461_446_703_485_210_103_287_273_052_203_988_822_378_723_970_342n;

const relErr = (a: bigint, b: bigint): number => Number(((a > b ? a - b : b - a) * 10n ** 18n) / b) / 1e18;

describe("Uniswap v3 position amounts (policy/uniswapV3Position)", () => {
  it("√(1.0001^tick) in Q96 matches the pool's bounds and symmetry", () => {
    expect(sqrtPriceX96AtTick(0)).to.equal(Q96);
    expect(sqrtPriceX96AtTick(MIN_TICK)).to.equal(MIN_SQRT_RATIO);
    expect(relErr(sqrtPriceX96AtTick(MAX_TICK), MAX_SQRT_RATIO)).to.be.lt(1e-15);
    // 1.0001^(t) · 1.0001^(−t) = 1
    const t = 276_320;
    expect(relErr((sqrtPriceX96AtTick(t) * sqrtPriceX96AtTick(-t)) / Q96, Q96)).to.be.lt(1e-15);
    expect(() => sqrtPriceX96AtTick(MAX_TICK + 1)).to.throw(/tick must be an integer/);
  });

  it("below, inside and above the range: one token, both, the other", () => {
    const L = 10n ** 18n;
    const below = amountsForLiquidity(sqrtPriceX96AtTick(-200), -100, 100, L);
    const inside = amountsForLiquidity(Q96, -100, 100, L);
    const above = amountsForLiquidity(sqrtPriceX96AtTick(200), -100, 100, L);
    expect(below.amount1).to.equal(0n);
    expect(above.amount0).to.equal(0n);
    expect(inside.amount0).to.be.gt(0n);
    expect(inside.amount1).to.be.gt(0n);
    // Symmetric range at price 1: the same amount of each token (to rounding), less than all in one.
    expect(relErr(inside.amount0, inside.amount1)).to.be.lt(1e-12);
    expect(inside.amount0).to.be.lt(below.amount0);
    // A symmetric range holds as many token0 below it as token1 above it.
    expect(relErr(below.amount0, above.amount1)).to.be.lt(1e-12);
    expect(() => amountsForLiquidity(Q96, 100, 100, L)).to.throw(/must be below/);
  });
});
