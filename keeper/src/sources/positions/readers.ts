/**
 * Position readers: for each kind, the calls that value a holder's position in the covered
 * stablecoin and how to decode them. Each speaks the real mainnet ABI of what it reads:
 *
 * | kind          | reads (all at one block)                                         | value                       |
 * |---------------|------------------------------------------------------------------|-----------------------------|
 * | `erc20`       | `token.balanceOf(holder)`                                         | the balance                 |
 * | `aave-v3`     | `aToken.balanceOf(holder)` (scaled balance × liquidity index)     | the balance                 |
 * | `compound-v3` | `comet.balanceOf(holder)` (present value of the base supply)      | the balance                 |
 * | `erc4626`     | `vault.balanceOf(holder)`, `vault.convertToAssets(shares)`        | assets for the shares       |
 * | `curve`       | `lpToken.balanceOf(holder)`, `pool.calc_withdraw_one_coin(lp, i)` | coin `i` for the LP balance |
 * | `aave-v2`     | `aToken.balanceOf(holder)` (scaled balance × the v2 liquidity index); with `lendingPool`, also `getReserveData(asset)` | the balance |
 * | `yearn-v2`    | `vault.balanceOf(holder)`, `pricePerShare()`, `decimals()`       | shares × pps / 10^decimals  |
 * | `uniswap-v3`  | NPM `positions(id)`, pool `slot0`, fee growth, range ticks (uniswapV3Reader.ts) | principal + fees owed, in the asset |
 *
 * `aave-v2` (Aave v2 and its forks: Radiant, Geist, …) reads like `aave-v3`: the aToken applies
 * the reserve's liquidity index itself. Configured by its `lendingPool` instead of its aToken
 * (Radiant-style), the batch also reads `getReserveData(asset).aTokenAddress` and checks it
 * against the aToken learned last time (`hint.aToken`); the first read, or a changed answer,
 * takes a follow-up round at the same block (as a changed share count does). The pool-level reads the pooled-lending loss needs use the
 * v2 `getReserveData` layout (`AAVE_V2_RESERVE_DATA_ABI`), which differs from v3's (no `id` before
 * the token addresses, a uint8 `id` last, no accruedToTreasury / unbacked / isolation debt).
 * `yearn-v2` is one batch: the three reads are independent (Vyper `Vault.vy` 0.3–0.4:
 * `pricePerShare` = the value of 10^decimals shares, locked profit excluded).
 *
 * The last two need the share count before they can ask for its value, and one batch cannot
 * chain calls. So the batch carries the conversion of the share count seen last time
 * (`sharesHint`); when the holder's share count is unchanged (the normal case) the value is exact
 * in one batch; when it changed, `decode` asks for a follow-up conversion of the new count at the
 * same block (a second batch that tick).
 *
 * Curve's coin index is `int128` on stable pools (3pool, factory plain pools, stableswap-ng) and
 * `uint256` on crypto pools (tricrypto, twocrypto-ng): the selector differs, so the config names it.
 */
import { Interface } from "ethers";
import type { Call3, CallResult } from "./multicall";
import { planUniswapV3, type UniswapV3Layout, type UniswapV3Spec } from "./uniswapV3Reader";

export type PositionKind = "erc20" | "erc4626" | "aave-v3" | "compound-v3" | "curve" | "aave-v2" | "yearn-v2" | "uniswap-v3";
export const POSITION_KINDS: readonly PositionKind[] = ["erc20", "erc4626", "aave-v3", "compound-v3", "curve", "aave-v2", "yearn-v2", "uniswap-v3"];

export type PositionSpec =
  | { readonly kind: "erc20"; readonly token: string; readonly holder: string }
  | { readonly kind: "erc4626"; readonly vault: string; readonly holder: string }
  | { readonly kind: "aave-v3"; readonly aToken: string; readonly holder: string }
  | { readonly kind: "compound-v3"; readonly comet: string; readonly holder: string }
  | {
      readonly kind: "curve";
      readonly pool: string;
      /** LP token (the pool itself on factory / ng pools; a separate token on old pools such as 3pool). */
      readonly lpToken: string;
      readonly coinIndex: number;
      readonly indexType: "int128" | "uint256";
      readonly holder: string;
    }
  | { readonly kind: "aave-v2"; readonly aToken: string; readonly holder: string }
  /** Aave v2 by its LendingPool: the aToken of `asset` is resolved from `getReserveData(asset)` on every read. */
  | { readonly kind: "aave-v2"; readonly lendingPool: string; readonly asset: string; readonly holder: string }
  | { readonly kind: "yearn-v2"; readonly vault: string; readonly holder: string }
  | UniswapV3Spec;

export const ERC20_READ = new Interface(["function balanceOf(address account) view returns (uint256)"]);
export const ERC4626_READ = new Interface([
  "function balanceOf(address account) view returns (uint256)",
  "function convertToAssets(uint256 shares) view returns (uint256 assets)",
]);
export const AAVE_ATOKEN_READ = new Interface(["function balanceOf(address user) view returns (uint256)"]);
export const COMET_READ = new Interface(["function balanceOf(address owner) view returns (uint256)"]);
/** Aave v2 `LendingPool.getReserveData` (protocol-v2 `DataTypes.ReserveData`; Radiant keeps it). */
export const AAVE_V2_RESERVE_DATA_ABI =
  "function getReserveData(address asset) view returns (((uint256 data) configuration, uint128 liquidityIndex, uint128 variableBorrowIndex, uint128 currentLiquidityRate, uint128 currentVariableBorrowRate, uint128 currentStableBorrowRate, uint40 lastUpdateTimestamp, address aTokenAddress, address stableDebtTokenAddress, address variableDebtTokenAddress, address interestRateStrategyAddress, uint8 id) data)";
export const AAVE_V2_POOL_READ = new Interface([AAVE_V2_RESERVE_DATA_ABI, "function getReserveNormalizedIncome(address asset) view returns (uint256)"]);
/** Yearn v2 `Vault.vy`: `decimals` is a Vyper `uint256` public. */
export const YEARN_V2_READ = new Interface([
  "function balanceOf(address account) view returns (uint256)",
  "function pricePerShare() view returns (uint256)",
  "function decimals() view returns (uint256)",
]);
export const CURVE_READ_INT128 = new Interface(["function calc_withdraw_one_coin(uint256 _token_amount, int128 i) view returns (uint256)"]);
export const CURVE_READ_UINT256 = new Interface(["function calc_withdraw_one_coin(uint256 token_amount, uint256 i) view returns (uint256)"]);

/** The contract whose balance a position is (for display and dedupe). */
export function positionContract(spec: PositionSpec): string {
  switch (spec.kind) {
    case "erc20":
      return spec.token;
    case "erc4626":
      return spec.vault;
    case "aave-v3":
      return spec.aToken;
    case "compound-v3":
      return spec.comet;
    case "curve":
      return spec.pool;
    case "aave-v2":
      return "aToken" in spec ? spec.aToken : spec.lendingPool;
    case "yearn-v2":
      return spec.vault;
    case "uniswap-v3":
      return spec.positionManager;
  }
}

/** What a reader learned of a position that the next read (this tick's follow-up, or the next tick) uses. */
export type PositionHint = { readonly shares?: bigint; readonly layout?: UniswapV3Layout; readonly aToken?: string };

/** Whether the kind values a share count in a second step. */
export function isTwoStep(spec: PositionSpec): spec is Extract<PositionSpec, { kind: "erc4626" | "curve" }> {
  return spec.kind === "erc4626" || spec.kind === "curve";
}

/** The call that converts `shares` into the covered asset (two-step kinds). */
export function conversionCall(spec: Extract<PositionSpec, { kind: "erc4626" | "curve" }>, shares: bigint): Call3 {
  if (spec.kind === "erc4626") return { target: spec.vault, callData: ERC4626_READ.encodeFunctionData("convertToAssets", [shares]) };
  const iface = spec.indexType === "int128" ? CURVE_READ_INT128 : CURVE_READ_UINT256;
  return { target: spec.pool, callData: iface.encodeFunctionData("calc_withdraw_one_coin", [shares, spec.coinIndex]) };
}

/** The calls of one position in a batch: its balance, plus the hinted conversion for two-step kinds. */
export function positionCalls(spec: PositionSpec, hint: PositionHint | undefined): Call3[] {
  const sharesHint = hint?.shares;
  switch (spec.kind) {
    case "aave-v2": {
      if ("aToken" in spec) return [{ target: spec.aToken, callData: AAVE_ATOKEN_READ.encodeFunctionData("balanceOf", [spec.holder]) }];
      const reserve = { target: spec.lendingPool, callData: AAVE_V2_POOL_READ.encodeFunctionData("getReserveData", [spec.asset]) };
      return hint?.aToken !== undefined ? [reserve, { target: hint.aToken, callData: AAVE_ATOKEN_READ.encodeFunctionData("balanceOf", [spec.holder]) }] : [reserve];
    }
    case "yearn-v2":
      return (["balanceOf", "pricePerShare", "decimals"] as const).map((fn) => ({
        target: spec.vault,
        callData: fn === "balanceOf" ? YEARN_V2_READ.encodeFunctionData(fn, [spec.holder]) : YEARN_V2_READ.encodeFunctionData(fn),
      }));
    case "uniswap-v3":
      return planUniswapV3(spec, hint?.layout).calls;
    case "erc20":
      return [{ target: spec.token, callData: ERC20_READ.encodeFunctionData("balanceOf", [spec.holder]) }];
    case "aave-v3":
      return [{ target: spec.aToken, callData: AAVE_ATOKEN_READ.encodeFunctionData("balanceOf", [spec.holder]) }];
    case "compound-v3":
      return [{ target: spec.comet, callData: COMET_READ.encodeFunctionData("balanceOf", [spec.holder]) }];
    case "erc4626":
    case "curve": {
      const shareToken = spec.kind === "erc4626" ? spec.vault : spec.lpToken;
      const balance = { target: shareToken, callData: ERC20_READ.encodeFunctionData("balanceOf", [spec.holder]) };
      return sharesHint !== undefined && sharesHint > 0n ? [balance, conversionCall(spec, sharesHint)] : [balance];
    }
  }
}

export type DecodedPosition =
  | { readonly kind: "value"; readonly value: bigint; readonly shares?: bigint; readonly hint?: PositionHint }
  /** Another round at the same block is needed, with what this one learned (`positionCalls(spec, hint)`). */
  | { readonly kind: "needs-round"; readonly hint: PositionHint }
  | { readonly kind: "failed"; readonly error: string; readonly hint?: PositionHint };

/** Decodes the results of `positionCalls(spec, hint)`. */
export function decodePosition(spec: PositionSpec, hint: PositionHint | undefined, results: readonly CallResult[]): DecodedPosition {
  if (spec.kind === "uniswap-v3") {
    const d = planUniswapV3(spec, hint?.layout).decode(results);
    if (d.kind === "value") return { kind: "value", value: d.value, hint: { layout: d.layout } };
    if (d.kind === "needs-round") return { kind: "needs-round", hint: { layout: d.layout } };
    return { kind: "failed", error: d.error, ...(d.layout !== undefined ? { hint: { layout: d.layout } } : {}) };
  }
  if (spec.kind === "aave-v2" && !("aToken" in spec)) return decodeAaveV2ByPool(spec, hint, results);
  const sharesHint = hint?.shares;
  const first = results[0];
  if (first === undefined) return { kind: "failed", error: "no result" };
  const balance = decodeUint(first, `${spec.kind} balanceOf`);
  if (typeof balance === "string") return { kind: "failed", error: balance };
  if (spec.kind === "yearn-v2") return decodeYearnV2(balance, results[1], results[2]);
  if (!isTwoStep(spec)) return { kind: "value", value: balance };
  if (balance === 0n) return { kind: "value", value: 0n, shares: 0n, hint: { shares: 0n } };
  const second = results[1];
  if (sharesHint === balance && second !== undefined) {
    const value = decodeUint(second, spec.kind === "erc4626" ? "convertToAssets" : "calc_withdraw_one_coin");
    if (typeof value === "string") return { kind: "failed", error: value };
    return { kind: "value", value, shares: balance, hint: { shares: balance } };
  }
  return { kind: "needs-round", hint: { shares: balance } };
}

/** Aave v2 by its LendingPool: the reserve's aToken from `getReserveData(asset)`, then its `balanceOf(holder)` (same block). */
function decodeAaveV2ByPool(spec: { readonly lendingPool: string; readonly asset: string }, hint: PositionHint | undefined, results: readonly CallResult[]): DecodedPosition {
  const reserve = results[0];
  if (reserve === undefined) return { kind: "failed", error: "no result" };
  if (!reserve.success || reserve.returnData.length < 2 + 64 * 12) return { kind: "failed", error: `aave-v2 ${spec.lendingPool}.getReserveData(${spec.asset}) ${reserve.success ? "returned too little data (not an Aave v2 LendingPool?)" : "reverted"}` };
  let aToken: string;
  try {
    const [data] = AAVE_V2_POOL_READ.decodeFunctionResult("getReserveData", reserve.returnData);
    aToken = (data as { getValue(n: string): unknown }).getValue("aTokenAddress") as string;
  } catch (err) {
    return { kind: "failed", error: `aave-v2 getReserveData: ${err instanceof Error ? err.message : String(err)}` };
  }
  if (/^0x0{40}$/i.test(aToken)) return { kind: "failed", error: `aave-v2: ${spec.asset} is not listed in lending pool ${spec.lendingPool}` };
  const balance = results[1];
  if (hint?.aToken === undefined || hint.aToken.toLowerCase() !== aToken.toLowerCase() || balance === undefined) return { kind: "needs-round", hint: { aToken } };
  const value = decodeUint(balance, "aave-v2 balanceOf");
  if (typeof value === "string") return { kind: "failed", error: value, hint: { aToken } };
  return { kind: "value", value, hint: { aToken } };
}

/** Yearn v2: shares × pricePerShare / 10^decimals, rounded down (what `withdraw` pays, before a strategy loss). */
function decodeYearnV2(shares: bigint, ppsResult: CallResult | undefined, decimalsResult: CallResult | undefined): DecodedPosition {
  if (ppsResult === undefined || decimalsResult === undefined) return { kind: "failed", error: "no result" };
  const pps = decodeUint(ppsResult, "yearn-v2 pricePerShare");
  if (typeof pps === "string") return { kind: "failed", error: pps };
  const decimals = decodeUint(decimalsResult, "yearn-v2 decimals");
  if (typeof decimals === "string") return { kind: "failed", error: decimals };
  if (decimals > 36n) return { kind: "failed", error: `yearn-v2 decimals ${decimals} out of range` };
  return { kind: "value", value: (shares * pps) / 10n ** decimals, shares };
}

/** A uint256 return value, or why it is not one (revert, empty data from a non-contract, short data). */
export function decodeUint(result: CallResult, what: string): bigint | string {
  if (!result.success) return `${what} reverted${result.returnData === "0x" ? " (no data)" : ` (${result.returnData.slice(0, 74)})`}`;
  if (result.returnData.length !== 66) {
    return result.returnData === "0x" ? `${what} returned no data (not a contract, or no such function)` : `${what} returned ${(result.returnData.length - 2) / 2} bytes, expected 32`;
  }
  return BigInt(result.returnData);
}
