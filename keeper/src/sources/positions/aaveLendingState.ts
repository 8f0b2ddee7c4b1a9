/**
 * Reads what the pooled-lending loss (policy/lendingLoss.ts) needs of an Aave v3 reserve at one
 * block, in one Multicall3 `aggregate3` eth_call pinned to that block (I/O edge):
 *
 * | read                                                        | becomes                     |
 * |-------------------------------------------------------------|-----------------------------|
 * | `aToken.totalSupply()`, `aToken.scaledTotalSupply()`         | totalSupplied, scaled supply |
 * | `underlying.balanceOf(aToken)`                              | cash                        |
 * | `variableDebt.totalSupply()` + `stableDebt.totalSupply()`    | totalDebt                   |
 * | `pool.getReserveData(asset)` (`accruedToTreasury`, `liquidityIndex`, `unbacked`) | treasuryAccrued, bridgeUnbacked |
 * | `aToken.scaledBalanceOf(holder)`, `aToken.balanceOf(holder)` | the holder                  |
 * | per borrower: `pool.getUserAccountData(b)`, both debt balances | its collateral and debt    |
 *
 * The reserve's addresses come from the aToken once (`POOL()`, `UNDERLYING_ASSET_ADDRESS()`, then
 * `getReserveData` for the debt tokens; `resolveAaveReserve`). The window's borrowers come from the
 * pool's `Borrow` events of the reserve (`windowBorrowers`, one `eth_getLogs`). The ABI is the
 * real one of Aave v3.0–3.1 (`getReserveData` keeps that layout in later versions as
 * `ReserveDataLegacy`); a reserve without a stable debt token (address 0) reads no stable debt.
 *
 * Aave v2 and its forks (Radiant, Geist, …; `version: 2`) are read the same way with v2's ABI
 * (protocol-v2 `ILendingPool`, `DataTypes.ReserveData`): `getReserveData` has no
 * `accruedToTreasury` and no `unbacked` (v2 mints the treasury's share at each update, and has no
 * bridge), so both read 0; `getUserAccountData` returns the same six figures in ETH (wei) instead of
 * the v3 base currency; `Borrow` carries a `uint256 borrowRateMode` (v3: `uint8
 * interestRateMode`), so its topic differs. A v2 reserve may be named by its aToken or by
 * `(lendingPool, asset)` (`resolveAaveReserveByPool`).
 */
import { Interface, ZeroAddress, getAddress } from "ethers";
import type { LendingBorrower, LendingPoolState } from "../../policy/lendingLoss";
import { aggregate3, type Call3, type CallResult, type EthCaller } from "./multicall";
import { AAVE_V2_RESERVE_DATA_ABI } from "./readers";

export const AAVE_RESERVE_DATA_ABI =
  "function getReserveData(address asset) view returns (((uint256 data) configuration, uint128 liquidityIndex, uint128 currentLiquidityRate, uint128 variableBorrowIndex, uint128 currentVariableBorrowRate, uint128 currentStableBorrowRate, uint40 lastUpdateTimestamp, uint16 id, address aTokenAddress, address stableDebtTokenAddress, address variableDebtTokenAddress, address interestRateStrategyAddress, uint128 accruedToTreasury, uint128 unbacked, uint128 isolationModeTotalDebt) data)";

export const AAVE_POOL_READ = new Interface([
  AAVE_RESERVE_DATA_ABI,
  "function getUserAccountData(address user) view returns (uint256 totalCollateralBase, uint256 totalDebtBase, uint256 availableBorrowsBase, uint256 currentLiquidationThreshold, uint256 ltv, uint256 healthFactor)",
  "event Borrow(address indexed reserve, address user, address indexed onBehalfOf, uint256 amount, uint8 interestRateMode, uint256 borrowRate, uint16 indexed referralCode)",
]);
/** Aave v2 `LendingPool` (protocol-v2 `ILendingPool`; Radiant keeps it). */
export const AAVE_V2_LENDING_POOL_READ = new Interface([
  AAVE_V2_RESERVE_DATA_ABI,
  "function getUserAccountData(address user) view returns (uint256 totalCollateralETH, uint256 totalDebtETH, uint256 availableBorrowsETH, uint256 currentLiquidationThreshold, uint256 ltv, uint256 healthFactor)",
  "event Borrow(address indexed reserve, address user, address indexed onBehalfOf, uint256 amount, uint256 borrowRateMode, uint256 borrowRate, uint16 indexed referral)",
]);

/** The Aave major version whose ABI a reserve speaks. */
export type AaveVersion = 2 | 3;

function poolRead(version: AaveVersion): Interface {
  return version === 2 ? AAVE_V2_LENDING_POOL_READ : AAVE_POOL_READ;
}

export const AAVE_TOKEN_READ = new Interface([
  "function POOL() view returns (address)",
  "function UNDERLYING_ASSET_ADDRESS() view returns (address)",
  "function totalSupply() view returns (uint256)",
  "function scaledTotalSupply() view returns (uint256)",
  "function balanceOf(address account) view returns (uint256)",
  "function scaledBalanceOf(address user) view returns (uint256)",
]);

const RAY = 10n ** 27n;

/** The contracts of one Aave reserve. */
export interface AaveReserveRef {
  /** 3 when absent. */
  readonly version?: AaveVersion;
  readonly pool: string;
  readonly asset: string;
  readonly aToken: string;
  readonly variableDebtToken: string;
  /** ZeroAddress when the reserve has none. */
  readonly stableDebtToken: string;
}

/** The pool, underlying and debt tokens of `aToken` (two small batches at `blockTag`). */
export async function resolveAaveReserve(caller: EthCaller, aToken: string, options: { multicallAddress?: string; blockTag?: number; version?: AaveVersion } = {}): Promise<AaveReserveRef> {
  const first = await aggregate3(
    caller,
    [
      { target: aToken, callData: AAVE_TOKEN_READ.encodeFunctionData("POOL") },
      { target: aToken, callData: AAVE_TOKEN_READ.encodeFunctionData("UNDERLYING_ASSET_ADDRESS") },
    ],
    options,
  );
  const pool = decodeAddress(first.results[0], `${aToken}.POOL()`);
  const asset = decodeAddress(first.results[1], `${aToken}.UNDERLYING_ASSET_ADDRESS()`);
  const ref = await resolveAaveReserveByPool(caller, pool, asset, options);
  if (ref.aToken !== getAddress(aToken)) throw new Error(`${aToken} is not the aToken of ${asset} in pool ${pool} (that is ${ref.aToken})`);
  return ref;
}

/** The aToken and debt tokens of `asset`'s reserve in `pool` (one small batch at `blockTag`). */
export async function resolveAaveReserveByPool(caller: EthCaller, pool: string, asset: string, options: { multicallAddress?: string; blockTag?: number; version?: AaveVersion } = {}): Promise<AaveReserveRef> {
  const version = options.version ?? 3;
  const batch = await aggregate3(caller, [{ target: pool, callData: poolRead(version).encodeFunctionData("getReserveData", [asset]) }], options);
  const data = decodeReserveData(batch.results[0], pool, asset, version);
  return { version, pool: getAddress(pool), asset: getAddress(asset), aToken: getAddress(data.aTokenAddress), variableDebtToken: getAddress(data.variableDebtTokenAddress), stableDebtToken: getAddress(data.stableDebtTokenAddress) };
}

/** The `getLogs` an `eth_getLogs`-capable provider offers (an ethers Provider satisfies it). */
export interface LogReader {
  getLogs(filter: { address: string; topics: (string | null)[]; fromBlock: number; toBlock: number }): Promise<readonly { topics: readonly string[]; data: string }[]>;
}

/** The accounts that took on debt in the reserve between the two blocks (inclusive): `Borrow.onBehalfOf`. */
export async function windowBorrowers(logs: LogReader, reserve: Pick<AaveReserveRef, "pool" | "asset" | "version">, fromBlock: number, toBlock: number): Promise<string[]> {
  const abi = poolRead(reserve.version ?? 3);
  const event = abi.getEvent("Borrow");
  if (event === null) throw new Error("Borrow event missing from the ABI");
  const reserveTopic = `0x${getAddress(reserve.asset).slice(2).toLowerCase().padStart(64, "0")}`;
  const found = await logs.getLogs({ address: reserve.pool, topics: [event.topicHash, reserveTopic], fromBlock, toBlock });
  const accounts = new Set<string>();
  for (const log of found) {
    const parsed = abi.parseLog({ topics: [...log.topics], data: log.data });
    if (parsed !== null) accounts.add(getAddress(parsed.args.getValue("onBehalfOf") as string));
  }
  return [...accounts];
}

/**
 * The reserve, the holder and the borrowers at `block`, in one pinned batch. Throws when any read
 * fails (an amount is never made up) or when the batch did not run at `block`.
 */
export async function readAaveLendingState(
  caller: EthCaller,
  reserve: AaveReserveRef,
  holder: string,
  borrowers: readonly string[],
  block: number,
  options: { multicallAddress?: string } = {},
): Promise<LendingPoolState> {
  const version = reserve.version ?? 3;
  const pool = poolRead(version);
  const hasStable = reserve.stableDebtToken !== ZeroAddress;
  const t = (target: string, fn: string, args: readonly unknown[] = []): Call3 => ({ target, callData: AAVE_TOKEN_READ.encodeFunctionData(fn, args) });
  const calls: Call3[] = [
    t(reserve.aToken, "totalSupply"),
    t(reserve.aToken, "scaledTotalSupply"),
    t(reserve.asset, "balanceOf", [reserve.aToken]),
    t(reserve.variableDebtToken, "totalSupply"),
    hasStable ? t(reserve.stableDebtToken, "totalSupply") : t(reserve.variableDebtToken, "totalSupply"),
    { target: reserve.pool, callData: pool.encodeFunctionData("getReserveData", [reserve.asset]) },
    t(reserve.aToken, "scaledBalanceOf", [holder]),
    t(reserve.aToken, "balanceOf", [holder]),
  ];
  for (const b of borrowers) {
    calls.push({ target: reserve.pool, callData: pool.encodeFunctionData("getUserAccountData", [b]) });
    calls.push(t(reserve.variableDebtToken, "balanceOf", [b]));
    calls.push(hasStable ? t(reserve.stableDebtToken, "balanceOf", [b]) : t(reserve.variableDebtToken, "balanceOf", [b]));
  }
  const batch = await aggregate3(caller, calls, { ...options, blockTag: block });
  if (batch.block !== block) throw new Error(`Aave state read ran at block ${batch.block}, not ${block}`);
  const r = batch.results;
  const uint = (i: number, what: string): bigint => decodeUintStrict(r[i], what);
  const stableTotal = hasStable ? uint(4, "stableDebt.totalSupply") : 0n;
  const data = decodeReserveData(r[5], reserve.pool, reserve.asset, version);
  const state: LendingBorrower[] = borrowers.map((account, k) => {
    const base = 8 + 3 * k;
    const result = r[base];
    if (result === undefined || !result.success) throw new Error(`getUserAccountData(${account}) failed at block ${block}`);
    // Same positions in v2 (…ETH) and v3 (…Base): total collateral, total debt.
    const decoded = pool.decodeFunctionResult("getUserAccountData", result.returnData);
    const variable = uint(base + 1, `variableDebt.balanceOf(${account})`);
    const stable = hasStable ? uint(base + 2, `stableDebt.balanceOf(${account})`) : 0n;
    return { account, collateralBase: decoded[0] as bigint, debtBase: decoded[1] as bigint, reserveDebt: variable + stable };
  });
  return {
    block,
    totalSupplied: uint(0, "aToken.totalSupply"),
    scaledTotalSupply: uint(1, "aToken.scaledTotalSupply"),
    cash: uint(2, "underlying.balanceOf(aToken)"),
    totalDebt: uint(3, "variableDebt.totalSupply") + stableTotal,
    treasuryAccrued: (data.accruedToTreasury * data.liquidityIndex) / RAY,
    bridgeUnbacked: data.unbacked,
    holderScaled: uint(6, "aToken.scaledBalanceOf(holder)"),
    holderBalance: uint(7, "aToken.balanceOf(holder)"),
    borrowers: state,
  };
}

interface ReserveDataFields {
  readonly aTokenAddress: string;
  readonly stableDebtTokenAddress: string;
  readonly variableDebtTokenAddress: string;
  readonly accruedToTreasury: bigint;
  readonly liquidityIndex: bigint;
  readonly unbacked: bigint;
}

function decodeReserveData(result: CallResult | undefined, pool: string, asset: string, version: AaveVersion = 3): ReserveDataFields {
  if (result === undefined || !result.success) throw new Error(`${pool}.getReserveData(${asset}) failed`);
  const [data] = poolRead(version).decodeFunctionResult("getReserveData", result.returnData);
  const get = (name: string): unknown => (data as { getValue(n: string): unknown }).getValue(name);
  if ((get("aTokenAddress") as string) === ZeroAddress) throw new Error(`${asset} is not listed in pool ${pool}`);
  return {
    aTokenAddress: get("aTokenAddress") as string,
    stableDebtTokenAddress: get("stableDebtTokenAddress") as string,
    variableDebtTokenAddress: get("variableDebtTokenAddress") as string,
    // Aave v2 has neither: its treasury's share is minted at each update, and it has no bridge.
    accruedToTreasury: version === 2 ? 0n : (get("accruedToTreasury") as bigint),
    liquidityIndex: get("liquidityIndex") as bigint,
    unbacked: version === 2 ? 0n : (get("unbacked") as bigint),
  };
}

/** A uint256 result, or a throw naming the read. */
export function decodeUintStrict(result: CallResult | undefined, what: string): bigint {
  if (result === undefined || !result.success || result.returnData.length !== 66) throw new Error(`${what} failed or returned no uint256`);
  return BigInt(result.returnData);
}

/** An address result, or a throw naming the read. */
export function decodeAddress(result: CallResult | undefined, what: string): string {
  if (result === undefined || !result.success || result.returnData.length !== 66) throw new Error(`${what} failed or returned no address`);
  return getAddress(`0x${result.returnData.slice(26)}`);
}
