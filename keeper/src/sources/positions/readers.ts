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

export type PositionKind = "erc20" | "erc4626" | "aave-v3" | "compound-v3" | "curve";
export const POSITION_KINDS: readonly PositionKind[] = ["erc20", "erc4626", "aave-v3", "compound-v3", "curve"];

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
    };

export const ERC20_READ = new Interface(["function balanceOf(address account) view returns (uint256)"]);
export const ERC4626_READ = new Interface([
  "function balanceOf(address account) view returns (uint256)",
  "function convertToAssets(uint256 shares) view returns (uint256 assets)",
]);
export const AAVE_ATOKEN_READ = new Interface(["function balanceOf(address user) view returns (uint256)"]);
export const COMET_READ = new Interface(["function balanceOf(address owner) view returns (uint256)"]);
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
  }
}

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
export function positionCalls(spec: PositionSpec, sharesHint: bigint | undefined): Call3[] {
  switch (spec.kind) {
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
  | { readonly kind: "value"; readonly value: bigint; readonly shares?: bigint }
  | { readonly kind: "needs-conversion"; readonly shares: bigint }
  | { readonly kind: "failed"; readonly error: string };

/** Decodes the results of `positionCalls(spec, sharesHint)`. */
export function decodePosition(spec: PositionSpec, sharesHint: bigint | undefined, results: readonly CallResult[]): DecodedPosition {
  const first = results[0];
  if (first === undefined) return { kind: "failed", error: "no result" };
  const balance = decodeUint(first, `${spec.kind} balanceOf`);
  if (typeof balance === "string") return { kind: "failed", error: balance };
  if (!isTwoStep(spec)) return { kind: "value", value: balance };
  if (balance === 0n) return { kind: "value", value: 0n, shares: 0n };
  const second = results[1];
  if (sharesHint === balance && second !== undefined) {
    const value = decodeUint(second, spec.kind === "erc4626" ? "convertToAssets" : "calc_withdraw_one_coin");
    if (typeof value === "string") return { kind: "failed", error: value };
    return { kind: "value", value, shares: balance };
  }
  return { kind: "needs-conversion", shares: balance };
}

/** Decodes a follow-up conversion result. */
export function decodeConversion(spec: Extract<PositionSpec, { kind: "erc4626" | "curve" }>, shares: bigint, result: CallResult | undefined): DecodedPosition {
  if (result === undefined) return { kind: "failed", error: "no result" };
  const value = decodeUint(result, spec.kind === "erc4626" ? "convertToAssets" : "calc_withdraw_one_coin");
  return typeof value === "string" ? { kind: "failed", error: value } : { kind: "value", value, shares };
}

/** A uint256 return value, or why it is not one (revert, empty data from a non-contract, short data). */
export function decodeUint(result: CallResult, what: string): bigint | string {
  if (!result.success) return `${what} reverted${result.returnData === "0x" ? " (no data)" : ` (${result.returnData.slice(0, 74)})`}`;
  if (result.returnData.length !== 66) {
    return result.returnData === "0x" ? `${what} returned no data (not a contract, or no such function)` : `${what} returned ${(result.returnData.length - 2) / 2} bytes, expected 32`;
  }
  return BigInt(result.returnData);
}
