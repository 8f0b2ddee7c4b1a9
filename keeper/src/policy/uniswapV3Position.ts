/**
 * PURE: what a Uniswap v3 position (a NonfungiblePositionManager token id) redeems for at the
 * pool's current price: the principal `burn` would return, from the position's `liquidity` and
 * tick range and the pool's `slot0.sqrtPriceX96`. Uncollected fees are not included.
 *
 * With √P the pool's price and √A, √B those of the range's ticks (all Q64.96):
 *   √P ≤ √A  (price below the range):  amount0 = L·(√B − √A)·2^96 / (√A·√B),  amount1 = 0
 *   √A < √P < √B (in range):            amount0 = L·(√B − √P)·2^96 / (√P·√B),  amount1 = L·(√P − √A) / 2^96
 *   √P ≥ √B  (above the range):         amount0 = 0,                           amount1 = L·(√B − √A) / 2^96
 * rounded down, as the pool rounds what it pays out. √(1.0001^tick) is computed here in Q128
 * fixed point by repeated squaring (not the pool's TickMath table); the two agree to far below
 * one token unit for any realistic position (keeper/test/integration checks it on the real pool).
 */

export const Q96 = 2n ** 96n;
const Q128 = 2n ** 128n;
export const MIN_TICK = -887_272;
export const MAX_TICK = 887_272;

/** √1.0001 in Q128, rounded down. */
const SQRT_BASE_Q128 = isqrt((10_001n * Q128 * Q128) / 10_000n);

/** √(1.0001^tick) as a Q64.96 number. */
export function sqrtPriceX96AtTick(tick: number): bigint {
  if (!Number.isInteger(tick) || tick < MIN_TICK || tick > MAX_TICK) throw new Error(`tick must be an integer in [${MIN_TICK}, ${MAX_TICK}], got ${tick}`);
  let result = Q128;
  let base = SQRT_BASE_Q128;
  for (let e = Math.abs(tick); e > 0; e >>= 1) {
    if (e & 1) result = (result * base) / Q128;
    base = (base * base) / Q128;
  }
  if (tick < 0) result = (Q128 * Q128) / result;
  return ceilDiv(result, 2n ** 32n);
}

export interface PositionAmounts {
  readonly amount0: bigint;
  readonly amount1: bigint;
}

/** The amounts `liquidity` in [tickLower, tickUpper) redeems for at `sqrtPriceX96` (see the module comment). */
export function amountsForLiquidity(sqrtPriceX96: bigint, tickLower: number, tickUpper: number, liquidity: bigint): PositionAmounts {
  if (!(tickLower < tickUpper)) throw new Error(`tickLower ${tickLower} must be below tickUpper ${tickUpper}`);
  if (liquidity < 0n || sqrtPriceX96 <= 0n) throw new Error("liquidity must be ≥ 0 and the price > 0");
  const a = sqrtPriceX96AtTick(tickLower);
  const b = sqrtPriceX96AtTick(tickUpper);
  const amount0 = (from: bigint): bigint => (liquidity * Q96 * (b - from)) / b / from;
  const amount1 = (to: bigint): bigint => (liquidity * (to - a)) / Q96;
  if (sqrtPriceX96 <= a) return { amount0: amount0(a), amount1: 0n };
  if (sqrtPriceX96 >= b) return { amount0: 0n, amount1: amount1(b) };
  return { amount0: amount0(sqrtPriceX96), amount1: amount1(sqrtPriceX96) };
}

/** Integer square root (floor). */
export function isqrt(n: bigint): bigint {
  if (n < 0n) throw new Error("isqrt of a negative number");
  if (n < 2n) return n;
  let x = n;
  let y = (x + 1n) / 2n;
  while (y < x) {
    x = y;
    y = (x + n / x) / 2n;
  }
  return x;
}

function ceilDiv(a: bigint, b: bigint): bigint {
  return a === 0n ? 0n : (a - 1n) / b + 1n;
}
