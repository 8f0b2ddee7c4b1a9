/**
 * Reads what the pooled-lending loss (policy/lendingLoss.ts) needs of a Compound v3 market (Comet)
 * at one block, in one Multicall3 `aggregate3` eth_call pinned to that block (I/O edge). The ABI is
 * the real one (compound-finance/comet `CometMainInterface`, `CometExtInterface`, `CometStorage`):
 *
 * | read                                                                  | becomes (LendingPoolState)             |
 * |-----------------------------------------------------------------------|----------------------------------------|
 * | `comet.totalSupply()`, `comet.totalsBasic().totalSupplyBase`           | totalSupplied, scaledTotalSupply        |
 * | `baseToken.balanceOf(comet)`                                          | cash                                   |
 * | `comet.totalBorrow()`                                                 | totalDebt                              |
 * | —                                                                     | bridgeUnbacked = treasuryAccrued = 0   |
 * | `comet.userBasic(holder).principal` (int104; a borrow reads 0), `comet.balanceOf(holder)` | holderScaled, holderBalance |
 * | `comet.getPrice(baseTokenPriceFeed)`, `getPrice(asset.priceFeed)` per collateral | the prices (USD, 8 decimals)  |
 * | per borrower: `borrowBalanceOf(b)`, `userCollateral(b, asset).balance` per collateral | reserveDebt, debtBase, collateralBase |
 *
 *   debtBase(b)       = borrowBalanceOf(b) × basePrice / baseScale
 *   collateralBase(b) = Σ_assets userCollateral(b, asset).balance × price(asset) / scale(asset) × liquidationFactor(asset) / 1e18
 *
 * The liquidator's haircut is Comet's own `liquidationFactor`: it is the share of the collateral's
 * value `absorb` credits against the debt, so what exceeds it is debt the market books as a loss
 * (the storefront discount of `buyCollateral` is paid out of that absorbed value and is not counted
 * again). The protocol's reserves (`getReserves()` = cash − totalSupply + totalBorrow) stay inside
 * `net`: Comet writes bad debt off against them, but they are not cash set aside for the suppliers,
 * so a fall of `net` is the suppliers' loss whatever the reserves read.
 *
 * The market's base token, price feeds and collateral list are read once at the window's end
 * (`resolveComet`). The window's borrowers are the `Withdraw(src, to, amount)` sources in the
 * window (Comet emits `Withdraw` for a borrow too) that owe base at either block
 * (`cometBorrowersAt`); a borrow made by
 * a base `transferAsset` (no `Withdraw`) is not found — its cash leaves only through a later
 * withdrawal, which the window's `Withdraw` logs name, by the receiver, not the borrower.
 */
import { Interface, getAddress } from "ethers";
import type { LendingBorrower, LendingPoolState } from "../../policy/lendingLoss";
import { decodeAddress, decodeUintStrict, type LogReader } from "./aaveLendingState";
import { aggregate3, type Call3, type EthCaller } from "./multicall";

export const COMET_LENDING_READ = new Interface([
  "function baseToken() view returns (address)",
  "function baseTokenPriceFeed() view returns (address)",
  "function baseScale() view returns (uint256)",
  "function numAssets() view returns (uint8)",
  "function getAssetInfo(uint8 i) view returns ((uint8 offset, address asset, address priceFeed, uint64 scale, uint64 borrowCollateralFactor, uint64 liquidateCollateralFactor, uint64 liquidationFactor, uint128 supplyCap))",
  "function getPrice(address priceFeed) view returns (uint256)",
  "function totalSupply() view returns (uint256)",
  "function totalBorrow() view returns (uint256)",
  "function totalsBasic() view returns ((uint64 baseSupplyIndex, uint64 baseBorrowIndex, uint64 trackingSupplyIndex, uint64 trackingBorrowIndex, uint104 totalSupplyBase, uint104 totalBorrowBase, uint40 lastAccrualTime, uint8 pauseFlags))",
  "function userBasic(address account) view returns (int104 principal, uint64 baseTrackingIndex, uint64 baseTrackingAccrued, uint16 assetsIn, uint8 _reserved)",
  "function userCollateral(address account, address asset) view returns (uint128 balance, uint128 _reserved)",
  "function balanceOf(address owner) view returns (uint256)",
  "function borrowBalanceOf(address account) view returns (uint256)",
  "event Withdraw(address indexed src, address indexed to, uint256 amount)",
]);
const ERC20_BALANCE = new Interface(["function balanceOf(address account) view returns (uint256)"]);

const FACTOR_SCALE = 10n ** 18n;

/** A Comet market: its base token, its base price feed and its collateral assets. */
export interface CometMarketRef {
  readonly comet: string;
  readonly baseToken: string;
  readonly baseTokenPriceFeed: string;
  readonly baseScale: bigint;
  readonly assets: readonly { readonly asset: string; readonly priceFeed: string; readonly scale: bigint; readonly liquidationFactor: bigint }[];
}

/** The market's base token, price feeds and collateral list (two small batches at `blockTag`). */
export async function resolveComet(caller: EthCaller, comet: string, options: { multicallAddress?: string; blockTag?: number } = {}): Promise<CometMarketRef> {
  const c = (fn: string, args: readonly unknown[] = []): Call3 => ({ target: comet, callData: COMET_LENDING_READ.encodeFunctionData(fn, args) });
  const first = await aggregate3(caller, [c("baseToken"), c("baseTokenPriceFeed"), c("baseScale"), c("numAssets")], options);
  const [base, feed, scale, count] = first.results;
  const numAssets = Number(decodeUintStrict(count, `${comet}.numAssets()`));
  const infos = numAssets === 0 ? [] : (await aggregate3(caller, Array.from({ length: numAssets }, (_, i) => c("getAssetInfo", [i])), options)).results;
  return {
    comet: getAddress(comet),
    baseToken: decodeAddress(base, `${comet}.baseToken()`),
    baseTokenPriceFeed: decodeAddress(feed, `${comet}.baseTokenPriceFeed()`),
    baseScale: decodeUintStrict(scale, `${comet}.baseScale()`),
    assets: infos.map((r, i) => {
      if (!r.success) throw new Error(`${comet}.getAssetInfo(${i}) failed`);
      const [info] = COMET_LENDING_READ.decodeFunctionResult("getAssetInfo", r.returnData);
      const get = (name: string): unknown => (info as { getValue(n: string): unknown }).getValue(name);
      return { asset: getAddress(get("asset") as string), priceFeed: getAddress(get("priceFeed") as string), scale: get("scale") as bigint, liquidationFactor: get("liquidationFactor") as bigint };
    }),
  };
}

/** The `Withdraw` sources of the market in the blocks (inclusive): the accounts that may have borrowed. */
export async function cometWindowBorrowers(logs: LogReader, comet: string, fromBlock: number, toBlock: number): Promise<string[]> {
  const event = COMET_LENDING_READ.getEvent("Withdraw");
  if (event === null) throw new Error("Withdraw event missing from the ABI");
  const found = await logs.getLogs({ address: comet, topics: [event.topicHash], fromBlock, toBlock });
  const accounts = new Set<string>();
  for (const log of found) {
    const parsed = COMET_LENDING_READ.parseLog({ topics: [...log.topics], data: log.data });
    if (parsed !== null) accounts.add(getAddress(parsed.args.getValue("src") as string));
  }
  return [...accounts];
}

/**
 * Of the candidates (the window's `Withdraw` sources), those that owe base at one of the blocks
 * (`userBasic.principal < 0`): a withdrawal wave of suppliers costs one cheap read each, not the
 * per-collateral reads of a borrower.
 */
export async function cometBorrowersAt(caller: EthCaller, comet: string, candidates: readonly string[], blocks: readonly number[], options: { multicallAddress?: string } = {}): Promise<string[]> {
  const owing = new Set<string>();
  for (const block of blocks) {
    if (candidates.length === 0) break;
    const calls = candidates.map((account) => ({ target: comet, callData: COMET_LENDING_READ.encodeFunctionData("userBasic", [account]) }));
    const batch = await aggregate3(caller, calls, { ...options, blockTag: block });
    if (batch.block !== block) throw new Error(`Comet borrower read ran at block ${batch.block}, not ${block}`);
    candidates.forEach((account, k) => {
      const x = batch.results[k];
      if (x === undefined || !x.success) throw new Error(`${comet}.userBasic(${account}) failed at block ${block}`);
      if ((COMET_LENDING_READ.decodeFunctionResult("userBasic", x.returnData)[0] as bigint) < 0n) owing.add(account);
    });
  }
  return candidates.filter((account) => owing.has(account));
}

/** The market, the holder and the borrowers at `block`, in one pinned batch; throws when a read fails. */
export async function readCometLendingState(
  caller: EthCaller,
  market: CometMarketRef,
  holder: string,
  borrowers: readonly string[],
  block: number,
  options: { multicallAddress?: string } = {},
): Promise<LendingPoolState & { readonly prices: Record<string, string> }> {
  const c = (fn: string, args: readonly unknown[] = []): Call3 => ({ target: market.comet, callData: COMET_LENDING_READ.encodeFunctionData(fn, args) });
  const calls: Call3[] = [
    c("totalSupply"),
    c("totalsBasic"),
    { target: market.baseToken, callData: ERC20_BALANCE.encodeFunctionData("balanceOf", [market.comet]) },
    c("totalBorrow"),
    c("userBasic", [holder]),
    c("balanceOf", [holder]),
    c("getPrice", [market.baseTokenPriceFeed]),
    ...market.assets.map((a) => c("getPrice", [a.priceFeed])),
  ];
  const head = calls.length;
  const per = 1 + market.assets.length;
  for (const b of borrowers) {
    calls.push(c("borrowBalanceOf", [b]));
    for (const a of market.assets) calls.push(c("userCollateral", [b, a.asset]));
  }
  const batch = await aggregate3(caller, calls, { ...options, blockTag: block });
  if (batch.block !== block) throw new Error(`Comet state read ran at block ${batch.block}, not ${block}`);
  const r = batch.results;
  const ok = (i: number, what: string): string => {
    const x = r[i];
    if (x === undefined || !x.success) throw new Error(`${what} failed at block ${block}`);
    return x.returnData;
  };
  const [totals] = COMET_LENDING_READ.decodeFunctionResult("totalsBasic", ok(1, "Comet.totalsBasic()"));
  const principal = COMET_LENDING_READ.decodeFunctionResult("userBasic", ok(4, `Comet.userBasic(${holder})`))[0] as bigint;
  const basePrice = decodeUintStrict(r[6], "Comet.getPrice(baseTokenPriceFeed)");
  const assetPrices = market.assets.map((a, i) => decodeUintStrict(r[7 + i], `Comet.getPrice(${a.priceFeed})`));
  const state: LendingBorrower[] = borrowers.map((account, k) => {
    const base = head + per * k;
    const reserveDebt = decodeUintStrict(r[base], `Comet.borrowBalanceOf(${account})`);
    let collateralBase = 0n;
    market.assets.forEach((a, i) => {
      const held = COMET_LENDING_READ.decodeFunctionResult("userCollateral", ok(base + 1 + i, `Comet.userCollateral(${account}, ${a.asset})`))[0] as bigint;
      collateralBase += (((held * (assetPrices[i] as bigint)) / a.scale) * a.liquidationFactor) / FACTOR_SCALE;
    });
    return { account, collateralBase, debtBase: (reserveDebt * basePrice) / market.baseScale, reserveDebt };
  });
  return {
    block,
    totalSupplied: decodeUintStrict(r[0], "Comet.totalSupply()"),
    scaledTotalSupply: (totals as { getValue(n: string): unknown }).getValue("totalSupplyBase") as bigint,
    cash: decodeUintStrict(r[2], "baseToken.balanceOf(Comet)"),
    totalDebt: decodeUintStrict(r[3], "Comet.totalBorrow()"),
    bridgeUnbacked: 0n,
    treasuryAccrued: 0n,
    holderScaled: principal > 0n ? principal : 0n,
    holderBalance: decodeUintStrict(r[5], `Comet.balanceOf(${holder})`),
    borrowers: state,
    prices: Object.fromEntries([[market.baseTokenPriceFeed, basePrice.toString()], ...market.assets.map((a, i) => [a.priceFeed, (assetPrices[i] as bigint).toString()])]),
  };
}

/** The holder's supply principal at `block` (0 when it borrows). */
export async function readCometHolderPrincipal(caller: EthCaller, comet: string, holder: string, block: number, options: { multicallAddress?: string } = {}): Promise<bigint> {
  const batch = await aggregate3(caller, [{ target: comet, callData: COMET_LENDING_READ.encodeFunctionData("userBasic", [holder]) }], { ...options, blockTag: block });
  const x = batch.results[0];
  if (x === undefined || !x.success) throw new Error(`${comet}.userBasic(${holder}) failed at block ${block}`);
  const principal = COMET_LENDING_READ.decodeFunctionResult("userBasic", x.returnData)[0] as bigint;
  return principal > 0n ? principal : 0n;
}
