/**
 * PURE money helpers shared by the coverage policy: the fund's premium and unit math mirrored
 * in bigint (contracts/libraries/RiskMath.sol), so an estimate equals what the fund charges at
 * the same score.
 *
 * Units: "asset units" = the token's own smallest unit (6 decimals for USDC/USDT, 18 for DAI);
 * "wad" = USD with 18 decimals, every registered stablecoin valued at $1 (the fund's cap unit).
 */

export const BPS = 10_000n; // basis points in 100%
export const YEAR_SEC = 365 * 86_400; // seconds
export const DAY_SEC = 86_400; // seconds
const RISK_OFFSET = 50n; // premium multiplier is (50 + risk) / 100

/** ceil(a / b) for non-negative bigints. */
export function ceilDiv(a: bigint, b: bigint): bigint {
  if (b <= 0n) throw new Error(`ceilDiv: divisor must be > 0, got ${b}`);
  return a === 0n ? 0n : (a - 1n) / b + 1n;
}

/** RiskMath.premium: amount × baseRate × duration / year × (50 + risk) / 100, rounded up (asset units). */
export function premiumFor(amount: bigint, durationSec: number, riskScore: number, baseRateBps: number): bigint {
  if (amount < 0n) throw new Error(`premiumFor: negative amount ${amount}`);
  const numerator = amount * BigInt(baseRateBps) * (BigInt(durationSec) * (RISK_OFFSET + BigInt(riskScore)));
  return ceilDiv(numerator, BPS * BigInt(YEAR_SEC) * 100n);
}

/** RiskMath.toWad: asset units → USD wad at $1 per token (decimals ≤ 18). */
export function toWad(amount: bigint, decimals: number): bigint {
  assertDecimals(decimals);
  return amount * 10n ** BigInt(18 - decimals);
}

/** USD wad → asset units, rounded down (never more than the wad figure). */
export function fromWad(wad: bigint, decimals: number): bigint {
  assertDecimals(decimals);
  return wad / 10n ** BigInt(18 - decimals);
}

/** RiskMath.requiredReserve: the pool needed to back `selfInsured` at `ratioBps`, rounded up. */
export function requiredReserve(selfInsured: bigint, ratioBps: number): bigint {
  return ceilDiv(selfInsured * BigInt(ratioBps), BPS);
}

/** amount × (1 + slippageBps / 10 000), rounded up: the `maxPremium` slippage guard. */
export function withSlippage(amount: bigint, slippageBps: number): bigint {
  if (!Number.isInteger(slippageBps) || slippageBps < 0) {
    throw new Error(`withSlippage: slippageBps must be a non-negative integer, got ${slippageBps}`);
  }
  return ceilDiv(amount * (BPS + BigInt(slippageBps)), BPS);
}

function assertDecimals(decimals: number): void {
  if (!Number.isInteger(decimals) || decimals < 0 || decimals > 18) {
    throw new Error(`decimals must be an integer 0..18, got ${decimals}`);
  }
}

/** Lower-case an address for comparisons. */
export function sameAddress(a: string, b: string): boolean {
  return a.toLowerCase() === b.toLowerCase();
}
