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
 */
import { Interface, ZeroAddress, getAddress } from "ethers";
import type { LendingBorrower, LendingPoolState } from "../../policy/lendingLoss";
import { aggregate3, type Call3, type CallResult, type EthCaller } from "./multicall";

export const AAVE_RESERVE_DATA_ABI =
  "function getReserveData(address asset) view returns (((uint256 data) configuration, uint128 liquidityIndex, uint128 currentLiquidityRate, uint128 variableBorrowIndex, uint128 currentVariableBorrowRate, uint128 currentStableBorrowRate, uint40 lastUpdateTimestamp, uint16 id, address aTokenAddress, address stableDebtTokenAddress, address variableDebtTokenAddress, address interestRateStrategyAddress, uint128 accruedToTreasury, uint128 unbacked, uint128 isolationModeTotalDebt) data)";

export const AAVE_POOL_READ = new Interface([
  AAVE_RESERVE_DATA_ABI,
  "function getUserAccountData(address user) view returns (uint256 totalCollateralBase, uint256 totalDebtBase, uint256 availableBorrowsBase, uint256 currentLiquidationThreshold, uint256 ltv, uint256 healthFactor)",
  "event Borrow(address indexed reserve, address user, address indexed onBehalfOf, uint256 amount, uint8 interestRateMode, uint256 borrowRate, uint16 indexed referralCode)",
]);
export const AAVE_TOKEN_READ = new Interface([
  "function POOL() view returns (address)",
  "function UNDERLYING_ASSET_ADDRESS() view returns (address)",
  "function totalSupply() view returns (uint256)",
  "function scaledTotalSupply() view returns (uint256)",
  "function balanceOf(address account) view returns (uint256)",
  "function scaledBalanceOf(address user) view returns (uint256)",
]);

const RAY = 10n ** 27n;

/** The contracts of one Aave v3 reserve. */
export interface AaveReserveRef {
  readonly pool: string;
  readonly asset: string;
  readonly aToken: string;
  readonly variableDebtToken: string;
  /** ZeroAddress when the reserve has none. */
  readonly stableDebtToken: string;
}

/** The pool, underlying and debt tokens of `aToken` (two small batches at `blockTag`). */
export async function resolveAaveReserve(caller: EthCaller, aToken: string, options: { multicallAddress?: string; blockTag?: number } = {}): Promise<AaveReserveRef> {
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
  const second = await aggregate3(caller, [{ target: pool, callData: AAVE_POOL_READ.encodeFunctionData("getReserveData", [asset]) }], options);
  const data = decodeReserveData(second.results[0], pool, asset);
  if (getAddress(data.aTokenAddress) !== getAddress(aToken)) throw new Error(`${aToken} is not the aToken of ${asset} in pool ${pool} (that is ${data.aTokenAddress})`);
  return { pool, asset, aToken: getAddress(aToken), variableDebtToken: getAddress(data.variableDebtTokenAddress), stableDebtToken: getAddress(data.stableDebtTokenAddress) };
}

/** The `getLogs` an `eth_getLogs`-capable provider offers (an ethers Provider satisfies it). */
export interface LogReader {
  getLogs(filter: { address: string; topics: (string | null)[]; fromBlock: number; toBlock: number }): Promise<readonly { topics: readonly string[]; data: string }[]>;
}

/** The accounts that took on debt in the reserve between the two blocks (inclusive): `Borrow.onBehalfOf`. */
export async function windowBorrowers(logs: LogReader, reserve: Pick<AaveReserveRef, "pool" | "asset">, fromBlock: number, toBlock: number): Promise<string[]> {
  const event = AAVE_POOL_READ.getEvent("Borrow");
  if (event === null) throw new Error("Borrow event missing from the ABI");
  const reserveTopic = `0x${getAddress(reserve.asset).slice(2).toLowerCase().padStart(64, "0")}`;
  const found = await logs.getLogs({ address: reserve.pool, topics: [event.topicHash, reserveTopic], fromBlock, toBlock });
  const accounts = new Set<string>();
  for (const log of found) {
    const parsed = AAVE_POOL_READ.parseLog({ topics: [...log.topics], data: log.data });
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
  const hasStable = reserve.stableDebtToken !== ZeroAddress;
  const t = (target: string, fn: string, args: readonly unknown[] = []): Call3 => ({ target, callData: AAVE_TOKEN_READ.encodeFunctionData(fn, args) });
  const calls: Call3[] = [
    t(reserve.aToken, "totalSupply"),
    t(reserve.aToken, "scaledTotalSupply"),
    t(reserve.asset, "balanceOf", [reserve.aToken]),
    t(reserve.variableDebtToken, "totalSupply"),
    hasStable ? t(reserve.stableDebtToken, "totalSupply") : t(reserve.variableDebtToken, "totalSupply"),
    { target: reserve.pool, callData: AAVE_POOL_READ.encodeFunctionData("getReserveData", [reserve.asset]) },
    t(reserve.aToken, "scaledBalanceOf", [holder]),
    t(reserve.aToken, "balanceOf", [holder]),
  ];
  for (const b of borrowers) {
    calls.push({ target: reserve.pool, callData: AAVE_POOL_READ.encodeFunctionData("getUserAccountData", [b]) });
    calls.push(t(reserve.variableDebtToken, "balanceOf", [b]));
    calls.push(hasStable ? t(reserve.stableDebtToken, "balanceOf", [b]) : t(reserve.variableDebtToken, "balanceOf", [b]));
  }
  const batch = await aggregate3(caller, calls, { ...options, blockTag: block });
  if (batch.block !== block) throw new Error(`Aave state read ran at block ${batch.block}, not ${block}`);
  const r = batch.results;
  const uint = (i: number, what: string): bigint => decodeUintStrict(r[i], what);
  const stableTotal = hasStable ? uint(4, "stableDebt.totalSupply") : 0n;
  const data = decodeReserveData(r[5], reserve.pool, reserve.asset);
  const state: LendingBorrower[] = borrowers.map((account, k) => {
    const base = 8 + 3 * k;
    const result = r[base];
    if (result === undefined || !result.success) throw new Error(`getUserAccountData(${account}) failed at block ${block}`);
    const decoded = AAVE_POOL_READ.decodeFunctionResult("getUserAccountData", result.returnData);
    const variable = uint(base + 1, `variableDebt.balanceOf(${account})`);
    const stable = hasStable ? uint(base + 2, `stableDebt.balanceOf(${account})`) : 0n;
    return { account, collateralBase: decoded.getValue("totalCollateralBase") as bigint, debtBase: decoded.getValue("totalDebtBase") as bigint, reserveDebt: variable + stable };
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

function decodeReserveData(result: CallResult | undefined, pool: string, asset: string): ReserveDataFields {
  if (result === undefined || !result.success) throw new Error(`${pool}.getReserveData(${asset}) failed`);
  const [data] = AAVE_POOL_READ.decodeFunctionResult("getReserveData", result.returnData);
  const get = (name: string): unknown => (data as { getValue(n: string): unknown }).getValue(name);
  if ((get("aTokenAddress") as string) === ZeroAddress) throw new Error(`${asset} is not listed in pool ${pool}`);
  return {
    aTokenAddress: get("aTokenAddress") as string,
    stableDebtTokenAddress: get("stableDebtTokenAddress") as string,
    variableDebtTokenAddress: get("variableDebtTokenAddress") as string,
    accruedToTreasury: get("accruedToTreasury") as bigint,
    liquidityIndex: get("liquidityIndex") as bigint,
    unbacked: get("unbacked") as bigint,
  };
}

function decodeUintStrict(result: CallResult | undefined, what: string): bigint {
  if (result === undefined || !result.success || result.returnData.length !== 66) throw new Error(`${what} failed or returned no uint256`);
  return BigInt(result.returnData);
}

function decodeAddress(result: CallResult | undefined, what: string): string {
  if (result === undefined || !result.success || result.returnData.length !== 66) throw new Error(`${what} failed or returned no address`);
  return getAddress(`0x${result.returnData.slice(26)}`);
}
