/**
 * The reads behind a position's loss in an incident (I/O edge; the rules are policy/positionLossRule.ts
 * and policy/lendingLoss.ts). Every read is pinned to the incident's two blocks — `before` (the last
 * block before the incident) and `after` (the end of the drain window) — and recorded, so the
 * evidence pack lets an assessor recompute the amount from public chain data:
 *
 * | kind                | reads at each block                                                              | logs in (before, after]           |
 * |---------------------|----------------------------------------------------------------------------------|-----------------------------------|
 * | aave-v3, aave-v2    | the reserve's balance sheet, the holder, the window's borrowers (aaveLendingState; v2 ABI for aave-v2) | pool `Borrow` of the reserve |
 * | compound-v3         | Comet's totals, cash, the holder's principal, the borrowers' debt and collateral at the price feeds (cometLendingState) | Comet `Withdraw` (a borrow is one) |
 * | erc4626             | `vault.balanceOf(holder)`, then `convertToAssets(exposure)`                        | —                                 |
 * | yearn-v2            | `vault.balanceOf(holder)`, `pricePerShare()`, `decimals()`                         | —                                 |
 * | curve               | `lpToken.balanceOf(holder)`, then `calc_withdraw_one_coin(exposure, i)`            | —                                 |
 * | uniswap-v3          | per id `NPM.ownerOf`, `NPM.positions` (liquidity, fee checkpoint, owed), the pool's `slot0`, fee growth and range ticks | — |
 * | erc20               | `token.balanceOf(holder)`                                                          | `Transfer` from / to the holder, and each outgoing transfer's transaction sender |
 *
 * Pooled lending (aave-v3, aave-v2, compound-v3) is never a balance drop — balances do not move in
 * an exploit — but the holder's share of the pool's loss on its balance sheet (policy/lendingLoss.ts).
 * Uniswap v3 values only the liquidity held throughout the window (min per id) at each block's
 * pool math, owed fees pro rata (`exposedValue`). What cannot be measured — a read that fails, an
 * id that changed owner — throws, which holds the claim with a critical alert until the operator
 * sets the amount (`keeper claim file`); never a made-up amount.
 */
import { Interface, getAddress, zeroPadValue } from "ethers";
import { lendingLossRecord, type LendingLossRecord, type LendingPoolState } from "../../policy/lendingLoss";
import {
  SHARE_LOSS_FORMULA,
  balanceDropLoss,
  exposureOf,
  lossRuleOf,
  shareLoss,
  type HolderTransfer,
  type LossRule,
} from "../../policy/positionLossRule";
import { readAaveLendingState, resolveAaveReserve, resolveAaveReserveByPool, windowBorrowers, type LogReader } from "./aaveLendingState";
import { cometBorrowersAt, cometWindowBorrowers, readCometHolderPrincipal, readCometLendingState, resolveComet } from "./cometLendingState";
import { aggregate3, type Call3, type EthCaller } from "./multicall";
import { MAX_ROUNDS, type PositionRead } from "./positionReader";
import { ERC20_READ, YEARN_V2_READ, conversionCall, decodeUint, type PositionSpec } from "./readers";
import {
  EMPTY_UNISWAP_V3_LAYOUT,
  UNISWAP_V3_EXPOSURE_FORMULA,
  UNISWAP_V3_NPM_READ,
  UNISWAP_V3_POOL_READ,
  exposedValue,
  planUniswapV3,
  poolKey,
  type UniswapV3Checkpoint,
  type UniswapV3IdReads,
  type UniswapV3Layout,
  type UniswapV3TokenInfo,
} from "./uniswapV3Reader";

const TRANSFER_TOPIC = new Interface(["event Transfer(address indexed from, address indexed to, uint256 value)"]).getEvent("Transfer")?.topicHash as string;

/** What the loss reads need of a chain: pinned eth_calls, logs, and a transaction's sender. */
export interface LossChain extends EthCaller, LogReader {
  getTransaction(hash: string): Promise<{ readonly from: string; readonly to: string | null } | null>;
}

/** A measured loss with everything an assessor needs to recompute it. */
export interface MeasuredIncidentLoss {
  readonly positionId: string;
  readonly kind: PositionSpec["kind"];
  readonly rule: LossRule;
  /** Asset units. */
  readonly loss: bigint;
  /** Value of the exposed position at `blockBefore` and at `blockAfter` (asset units; loss = before − after). */
  readonly valueBefore: bigint;
  readonly valueAfter: bigint;
  readonly blockBefore: number;
  readonly blockAfter: number;
  readonly formula: string;
  /** The reads (decimal strings), JSON-safe: contract, call and result per block. */
  readonly reads: Record<string, unknown>;
  /** Through `TwoNodeLossMeasure` (cycles/crossCheck.ts): 2 when two RPC nodes measured it alike, 1 when only one answered. */
  readonly measuredOnNodes?: number;
}

export interface IncidentLossReaderOptions {
  readonly chain: LossChain;
  readonly multicallAddress?: string;
}

export class IncidentLossReader {
  constructor(private readonly options: IncidentLossReaderOptions) {}

  /** The position's loss between `before` and `after` by its kind's rule; throws when a read fails or the kind has no measure (never a made-up amount). */
  async measure(position: PositionRead, before: number, after: number, options: { latest?: number } = {}): Promise<MeasuredIncidentLoss> {
    if (!(before < after)) throw new Error(`${position.id}: the block before (${before}) must be below the block after (${after})`);
    const spec = position.spec;
    const rule = lossRuleOf(spec.kind);
    if (rule === undefined) throw new Error(`${position.id}: no loss rule for kind ${spec.kind}`);
    const base = { positionId: position.id, kind: spec.kind, rule, blockBefore: before, blockAfter: after };
    switch (spec.kind) {
      case "aave-v3":
      case "aave-v2":
        return { ...base, ...(await this.pooledLending(await this.aaveSource(spec, before, after), before, after, options.latest)) };
      case "compound-v3":
        return { ...base, ...(await this.pooledLending(await this.cometSource(spec.comet, spec.holder, before, after), before, after, options.latest)) };
      case "erc4626":
      case "curve":
        return { ...base, ...(await this.twoStepShares(spec, before, after)) };
      case "yearn-v2":
        return { ...base, ...(await this.yearn(spec.vault, spec.holder, before, after)) };
      case "uniswap-v3":
        return { ...base, ...(await this.uniswap(position, before, after)) };
      case "erc20":
        return { ...base, ...(await this.erc20(spec.token, spec.holder, before, after)) };
    }
  }

  private async batch(calls: readonly Call3[], block: number): Promise<readonly { success: boolean; returnData: string }[]> {
    const result = await aggregate3(this.options.chain, calls, { ...this.mc(), blockTag: block });
    if (result.block !== block) throw new Error(`read ran at block ${result.block}, not ${block}`);
    return result.results;
  }

  private async uintAt(call: Call3, block: number, what: string): Promise<bigint> {
    const [r] = await this.batch([call], block);
    const v = r === undefined ? "no result" : decodeUint(r, what);
    if (typeof v === "string") throw new Error(`${what} at block ${block}: ${v}`);
    return v;
  }

  private mc(): { multicallAddress?: string } {
    return this.options.multicallAddress !== undefined ? { multicallAddress: this.options.multicallAddress } : {};
  }

  /** The pooled-lending measure over a pool's reads (aaveSource, cometSource): policy/lendingLoss.ts on the two blocks' balance sheets. */
  private async pooledLending(src: PooledLendingSource, before: number, after: number, latest: number | undefined): Promise<Pick<MeasuredIncidentLoss, "loss" | "valueBefore" | "valueAfter" | "formula" | "reads">> {
    const s0 = await src.stateAt(before);
    const s1 = await src.stateAt(after);
    // Withdrawals are at par: what the holder withdrew or moved out since (the rescue after the alert) is no loss.
    const laterHolderScaled = latest !== undefined && latest > after ? await src.holderScaledAt(latest) : undefined;
    const record: LendingLossRecord = lendingLossRecord(s0, s1, laterHolderScaled !== undefined ? { laterHolderScaled } : {});
    const loss = BigInt(record.loss);
    const exposure = BigInt(record.exposureValue);
    return {
      loss,
      valueBefore: exposure,
      valueAfter: exposure - loss,
      formula: `${record.formula}; where ${src.mapping}`,
      reads: { ...src.describe, ...(laterHolderScaled !== undefined ? { measuredAtBlock: latest } : {}), borrowersFrom: src.borrowersFrom, readsAs: src.mapping, ...record, ...src.extra() },
    };
  }

  /** An Aave v3 or v2 reserve (v2 by its aToken or by `(lendingPool, asset)`), resolved at `after`. */
  private async aaveSource(spec: Extract<PositionSpec, { kind: "aave-v3" | "aave-v2" }>, before: number, after: number): Promise<PooledLendingSource> {
    const chain = this.options.chain;
    const version = spec.kind === "aave-v2" ? 2 : 3;
    const at = { ...this.mc(), blockTag: after, version } as const;
    const reserve = "aToken" in spec ? await resolveAaveReserve(chain, spec.aToken, at) : await resolveAaveReserveByPool(chain, spec.lendingPool, spec.asset, at);
    const borrowers = await windowBorrowers(chain, reserve, before + 1, after);
    const accounts = version === 2 ? "getUserAccountData(b).totalCollateralETH / totalDebtETH (ETH wei)" : "getUserAccountData(b).totalCollateralBase / totalDebtBase (oracle base currency)";
    return {
      describe: { reserve: { ...reserve } },
      borrowersFrom: `LendingPool.Borrow(reserve=${reserve.asset}) logs in blocks ${before + 1}..${after}`,
      mapping:
        `totalSupplied = aToken.totalSupply(), scaledSupply = aToken.scaledTotalSupply(), cash = underlying.balanceOf(aToken), totalDebt = variableDebt.totalSupply() + stableDebt.totalSupply(), ` +
        (version === 2 ? "bridgeUnbacked = treasuryAccrued = 0 (Aave v2 has neither), " : "bridgeUnbacked = getReserveData.unbacked, treasuryAccrued = getReserveData.accruedToTreasury × liquidityIndex / 1e27, ") +
        `holderScaled = aToken.scaledBalanceOf(holder); per borrower collateralBase / debtBase = ${accounts}, reserveDebt = its debt token balances`,
      stateAt: (block) => readAaveLendingState(chain, reserve, spec.holder, borrowers, block, this.mc()),
      holderScaledAt: (block) => this.uintAt({ target: reserve.aToken, callData: SCALED_BALANCE.encodeFunctionData("scaledBalanceOf", [spec.holder]) }, block, `${reserve.aToken}.scaledBalanceOf(${spec.holder})`),
      extra: () => ({}),
    };
  }

  /** A Compound v3 market, resolved at `after`; its borrowers are the window's `Withdraw` sources. */
  private async cometSource(comet: string, holder: string, before: number, after: number): Promise<PooledLendingSource> {
    const chain = this.options.chain;
    const market = await resolveComet(chain, comet, { ...this.mc(), blockTag: after });
    const borrowers = await cometBorrowersAt(chain, market.comet, await cometWindowBorrowers(chain, market.comet, before + 1, after), [before, after], this.mc());
    const prices: Record<number, Record<string, string>> = {};
    return {
      describe: { market: { ...market, baseScale: market.baseScale.toString(), assets: market.assets.map((a) => ({ ...a, scale: a.scale.toString(), liquidationFactor: a.liquidationFactor.toString() })) } },
      borrowersFrom: `Comet.Withdraw(src) logs in blocks ${before + 1}..${after}, those with userBasic(src).principal < 0 at block ${before} or ${after}`,
      mapping:
        "totalSupplied = Comet.totalSupply(), scaledSupply = Comet.totalsBasic().totalSupplyBase, cash = baseToken.balanceOf(Comet), totalDebt = Comet.totalBorrow(), bridgeUnbacked = treasuryAccrued = 0 (the reserves stay in net), " +
        "holderScaled = max(0, Comet.userBasic(holder).principal); per borrower reserveDebt = borrowBalanceOf(b), debtBase = reserveDebt × getPrice(baseTokenPriceFeed) / baseScale, " +
        "collateralBase = Σ userCollateral(b, asset).balance × getPrice(asset.priceFeed) / asset.scale × asset.liquidationFactor / 1e18 (USD, 8 decimals; liquidationFactor is the liquidator's haircut, so liquidationBonusBps = 10000)",
      stateAt: async (block) => {
        const state = await readCometLendingState(chain, market, holder, borrowers, block, this.mc());
        prices[block] = state.prices;
        return state;
      },
      holderScaledAt: (block) => readCometHolderPrincipal(chain, market.comet, holder, block, this.mc()),
      extra: () => ({ prices: { ...prices } }),
    };
  }

  private async twoStepShares(
    spec: Extract<PositionSpec, { kind: "erc4626" | "curve" }>,
    before: number,
    after: number,
  ): Promise<Pick<MeasuredIncidentLoss, "loss" | "valueBefore" | "valueAfter" | "formula" | "reads">> {
    const shareToken = spec.kind === "erc4626" ? spec.vault : spec.lpToken;
    const balanceCall = { target: shareToken, callData: ERC20_READ.encodeFunctionData("balanceOf", [spec.holder]) };
    const sharesBefore = await this.uintAt(balanceCall, before, `${shareToken}.balanceOf(${spec.holder})`);
    const sharesAfter = await this.uintAt(balanceCall, after, `${shareToken}.balanceOf(${spec.holder})`);
    const exposure = exposureOf(sharesBefore, sharesAfter);
    const convert = spec.kind === "erc4626" ? "convertToAssets" : `calc_withdraw_one_coin(·, ${spec.coinIndex})`;
    const valueAt = async (block: number): Promise<bigint> => (exposure === 0n ? 0n : this.uintAt(conversionCall(spec, exposure), block, `${spec.kind === "erc4626" ? spec.vault : spec.pool}.${convert}(${exposure})`));
    const valueBefore = await valueAt(before);
    const valueAfter = await valueAt(after);
    return {
      loss: shareLoss(valueBefore, valueAfter),
      valueBefore,
      valueAfter,
      formula: SHARE_LOSS_FORMULA,
      reads: {
        shareToken,
        sharesBefore: sharesBefore.toString(),
        sharesAfter: sharesAfter.toString(),
        exposure: exposure.toString(),
        conversion: `${spec.kind === "erc4626" ? spec.vault : spec.pool}.${convert}(exposure)`,
        valueBefore: valueBefore.toString(),
        valueAfter: valueAfter.toString(),
      },
    };
  }

  private async yearn(vault: string, holder: string, before: number, after: number): Promise<Pick<MeasuredIncidentLoss, "loss" | "valueBefore" | "valueAfter" | "formula" | "reads">> {
    const at = async (block: number): Promise<{ shares: bigint; pps: bigint; decimals: bigint }> => {
      const calls = (["balanceOf", "pricePerShare", "decimals"] as const).map((fn) => ({ target: vault, callData: fn === "balanceOf" ? YEARN_V2_READ.encodeFunctionData(fn, [holder]) : YEARN_V2_READ.encodeFunctionData(fn) }));
      const results = await this.batch(calls, block);
      const out = results.map((r, i) => decodeUint(r, `${vault}.${["balanceOf", "pricePerShare", "decimals"][i]}`));
      const bad = out.find((v) => typeof v === "string");
      if (bad !== undefined) throw new Error(`yearn-v2 ${vault} at block ${block}: ${String(bad)}`);
      const [shares, pps, decimals] = out as bigint[];
      if ((decimals as bigint) > 36n) throw new Error(`yearn-v2 ${vault}: decimals ${decimals} out of range`);
      return { shares: shares as bigint, pps: pps as bigint, decimals: decimals as bigint };
    };
    const b = await at(before);
    const a = await at(after);
    const exposure = exposureOf(b.shares, a.shares);
    const valueBefore = (exposure * b.pps) / 10n ** b.decimals;
    const valueAfter = (exposure * a.pps) / 10n ** a.decimals;
    return {
      loss: shareLoss(valueBefore, valueAfter),
      valueBefore,
      valueAfter,
      formula: `${SHARE_LOSS_FORMULA}; value(x) = x × pricePerShare / 10^decimals`,
      reads: {
        vault,
        sharesBefore: b.shares.toString(),
        sharesAfter: a.shares.toString(),
        exposure: exposure.toString(),
        pricePerShareBefore: b.pps.toString(),
        pricePerShareAfter: a.pps.toString(),
        decimals: b.decimals.toString(),
      },
    };
  }

  private async uniswap(position: PositionRead, before: number, after: number): Promise<Pick<MeasuredIncidentLoss, "loss" | "valueBefore" | "valueAfter" | "formula" | "reads">> {
    const spec = position.spec as Extract<PositionSpec, { kind: "uniswap-v3" }>;
    const ids = spec.tokenIds ?? (await this.enumerateIds(spec.positionManager, spec.holder, before));
    const ownersAt = async (block: number): Promise<string[]> => {
      const results = ids.length === 0 ? [] : await this.batch(ids.map((id) => ({ target: spec.positionManager, callData: NPM_OWNER.encodeFunctionData("ownerOf", [id]) })), block);
      // A burnt id has no owner: it holds nothing.
      return ids.map((_, k) => (results[k]?.success === true && results[k]?.returnData.length === 66 ? getAddress(`0x${(results[k]?.returnData as string).slice(26)}`) : "burnt"));
    };
    const ownersBefore = await ownersAt(before);
    const ownersAfter = await ownersAt(after);
    const moved = ids.filter((_, k) => ownersAfter[k] !== ownersBefore[k]);
    if (moved.length > 0) {
      throw new Error(`${position.id}: Uniswap v3 token ids ${moved.join(", ")} changed owner (or were burnt) in the window; whose movement that was is not measured automatically`);
    }
    const layout = await this.uniswapLayout({ ...spec, tokenIds: ids }, after);
    const b = await this.uniswapReadsAt(spec.positionManager, ids, layout, before);
    const a = await this.uniswapReadsAt(spec.positionManager, ids, layout, after);
    let valueBefore = 0n;
    let valueAfter = 0n;
    const perId = ids.map((id) => {
      const key = id.toString();
      const info = layout.info.get(key);
      const d0 = info === undefined ? undefined : layout.decimals.get(info.token0.toLowerCase());
      const d1 = info === undefined ? undefined : layout.decimals.get(info.token1.toLowerCase());
      const rb = b.get(key);
      const ra = a.get(key);
      if (info === undefined || d0 === undefined || d1 === undefined || rb === undefined || ra === undefined) throw new Error(`${position.id}: token id ${key} could not be read`);
      const exposure = exposureOf(rb.liquidity, ra.liquidity);
      const vb = exposedValue(spec, info, d0, d1, rb, rb, exposure);
      const va = exposedValue(spec, info, d0, d1, ra, rb, exposure);
      valueBefore += vb.value;
      valueAfter += va.value;
      const block = (r: typeof rb, v: typeof vb) => ({ liquidity: r.liquidity.toString(), sqrtPriceX96: r.sqrtPriceX96.toString(), tick: r.tick, feeGrowthGlobal0X128: r.feeGrowthGlobal0X128.toString(), feeGrowthGlobal1X128: r.feeGrowthGlobal1X128.toString(), amount0: v.amount0.toString(), amount1: v.amount1.toString(), value: v.value.toString() });
      return {
        tokenId: key,
        pool: layout.pools.get(poolKey(info)),
        ...info,
        exposure: exposure.toString(),
        checkpoint: { feeGrowthInside0LastX128: rb.feeGrowthInside0LastX128.toString(), feeGrowthInside1LastX128: rb.feeGrowthInside1LastX128.toString(), tokensOwed0: rb.tokensOwed0.toString(), tokensOwed1: rb.tokensOwed1.toString() },
        before: block(rb, vb),
        after: block(ra, va),
      };
    });
    return {
      loss: shareLoss(valueBefore, valueAfter),
      valueBefore,
      valueAfter,
      formula: UNISWAP_V3_EXPOSURE_FORMULA,
      reads: {
        positionManager: spec.positionManager,
        tokenIds: ids.map(String),
        liquidityBefore: ids.map((id) => b.get(id.toString())?.liquidity.toString()),
        liquidityAfter: ids.map((id) => a.get(id.toString())?.liquidity.toString()),
        pricing: spec.pricing,
        positions: perId,
        valueBefore: valueBefore.toString(),
        valueAfter: valueAfter.toString(),
      },
    };
  }

  /** The ids' tokens, ticks, pools and decimals, learned by the reader's own rounds at `block`. */
  private async uniswapLayout(spec: Extract<PositionSpec, { kind: "uniswap-v3" }>, block: number): Promise<UniswapV3Layout> {
    let layout = EMPTY_UNISWAP_V3_LAYOUT;
    for (let round = 0; round < MAX_ROUNDS; round++) {
      const plan = planUniswapV3(spec, layout);
      const decoded = plan.decode(await this.batch(plan.calls, block));
      if (decoded.kind === "failed") throw new Error(`uniswap-v3 at block ${block}: ${decoded.error}`);
      layout = decoded.layout;
      if (decoded.kind === "value") return layout;
    }
    throw new Error(`uniswap-v3 at block ${block}: the position's pools were not learned in ${MAX_ROUNDS} rounds`);
  }

  /** Per id, its position and its pool's price, fee growth and range ticks at `block` (one pinned batch). */
  private async uniswapReadsAt(npm: string, ids: readonly bigint[], layout: UniswapV3Layout, block: number): Promise<Map<string, UniswapV3IdReads & UniswapV3Checkpoint>> {
    const calls: Call3[] = [];
    const pool = (id: bigint): { pool: string; info: UniswapV3TokenInfo } => {
      const info = layout.info.get(id.toString());
      const p = info === undefined ? undefined : layout.pools.get(poolKey(info));
      if (info === undefined || p === undefined) throw new Error(`uniswap-v3 token id ${id}: pool unknown`);
      return { pool: p, info };
    };
    for (const id of ids) {
      const { pool: p, info } = pool(id);
      calls.push({ target: npm, callData: UNISWAP_V3_NPM_READ.encodeFunctionData("positions", [id]) });
      calls.push({ target: p, callData: UNISWAP_V3_POOL_READ.encodeFunctionData("slot0") });
      calls.push({ target: p, callData: UNISWAP_V3_POOL_READ.encodeFunctionData("feeGrowthGlobal0X128") });
      calls.push({ target: p, callData: UNISWAP_V3_POOL_READ.encodeFunctionData("feeGrowthGlobal1X128") });
      calls.push({ target: p, callData: UNISWAP_V3_POOL_READ.encodeFunctionData("ticks", [info.tickLower]) });
      calls.push({ target: p, callData: UNISWAP_V3_POOL_READ.encodeFunctionData("ticks", [info.tickUpper]) });
    }
    const results = calls.length === 0 ? [] : await this.batch(calls, block);
    const out = new Map<string, UniswapV3IdReads & UniswapV3Checkpoint>();
    ids.forEach((id, k) => {
      const r = (i: number, iface: Interface, fn: string): ReturnType<Interface["decodeFunctionResult"]> => {
        const x = results[6 * k + i];
        if (x === undefined || !x.success) throw new Error(`uniswap-v3 token id ${id}: ${fn} failed at block ${block}`);
        return iface.decodeFunctionResult(fn, x.returnData);
      };
      const pos = r(0, UNISWAP_V3_NPM_READ, "positions");
      const slot0 = r(1, UNISWAP_V3_POOL_READ, "slot0");
      const lower = r(4, UNISWAP_V3_POOL_READ, "ticks");
      const upper = r(5, UNISWAP_V3_POOL_READ, "ticks");
      out.set(id.toString(), {
        liquidity: pos.getValue("liquidity") as bigint,
        feeGrowthInside0LastX128: pos.getValue("feeGrowthInside0LastX128") as bigint,
        feeGrowthInside1LastX128: pos.getValue("feeGrowthInside1LastX128") as bigint,
        tokensOwed0: pos.getValue("tokensOwed0") as bigint,
        tokensOwed1: pos.getValue("tokensOwed1") as bigint,
        sqrtPriceX96: slot0.getValue("sqrtPriceX96") as bigint,
        tick: Number(slot0.getValue("tick") as bigint),
        feeGrowthGlobal0X128: r(2, UNISWAP_V3_POOL_READ, "feeGrowthGlobal0X128")[0] as bigint,
        feeGrowthGlobal1X128: r(3, UNISWAP_V3_POOL_READ, "feeGrowthGlobal1X128")[0] as bigint,
        lowerOutside0: lower.getValue("feeGrowthOutside0X128") as bigint,
        lowerOutside1: lower.getValue("feeGrowthOutside1X128") as bigint,
        upperOutside0: upper.getValue("feeGrowthOutside0X128") as bigint,
        upperOutside1: upper.getValue("feeGrowthOutside1X128") as bigint,
      });
    });
    return out;
  }

  private async enumerateIds(npm: string, holder: string, block: number): Promise<bigint[]> {
    const count = await this.uintAt({ target: npm, callData: UNISWAP_V3_NPM_READ.encodeFunctionData("balanceOf", [holder]) }, block, `${npm}.balanceOf(${holder})`);
    const calls = Array.from({ length: Number(count) }, (_, i) => ({ target: npm, callData: UNISWAP_V3_NPM_READ.encodeFunctionData("tokenOfOwnerByIndex", [holder, i]) }));
    const results = calls.length === 0 ? [] : await this.batch(calls, block);
    return results.map((r, i) => {
      const v = decodeUint(r, `tokenOfOwnerByIndex(${holder}, ${i})`);
      if (typeof v === "string") throw new Error(v);
      return v;
    });
  }

  private async erc20(token: string, holder: string, before: number, after: number): Promise<Pick<MeasuredIncidentLoss, "loss" | "valueBefore" | "valueAfter" | "formula" | "reads">> {
    const call = { target: token, callData: ERC20_READ.encodeFunctionData("balanceOf", [holder]) };
    const balanceBefore = await this.uintAt(call, before, `${token}.balanceOf(${holder})`);
    const balanceAfter = await this.uintAt(call, after, `${token}.balanceOf(${holder})`);
    const transfers = await this.holderTransfers(token, holder, before + 1, after);
    const r = balanceDropLoss(balanceBefore, balanceAfter, transfers, holder);
    return {
      loss: r.loss,
      valueBefore: balanceBefore,
      valueAfter: balanceAfter,
      formula: r.formula,
      reads: {
        token,
        balanceBefore: balanceBefore.toString(),
        balanceAfter: balanceAfter.toString(),
        received: r.received.toString(),
        sentByHolder: r.sentByHolder.toString(),
        takenFromHolder: r.takenFromHolder.toString(),
        transfers: transfers.map((t) => ({ ...t, amount: t.amount.toString() })),
      },
    };
  }

  /** The token's `Transfer` logs from and to the holder in [fromBlock, toBlock], each outgoing one with its transaction's sender and target. */
  private async holderTransfers(token: string, holder: string, fromBlock: number, toBlock: number): Promise<HolderTransfer[]> {
    const h = zeroPadValue(getAddress(holder), 32);
    const out = await this.options.chain.getLogs({ address: token, topics: [TRANSFER_TOPIC, h], fromBlock, toBlock });
    const inn = await this.options.chain.getLogs({ address: token, topics: [TRANSFER_TOPIC, null, h], fromBlock, toBlock });
    const transfers: HolderTransfer[] = [];
    for (const [direction, logs] of [["out", out], ["in", inn]] as const) {
      for (const log of logs) {
        const l = log as { data: string; blockNumber?: number; transactionHash?: string };
        const txHash = l.transactionHash ?? "";
        const tx = direction === "out" && txHash !== "" ? await this.options.chain.getTransaction(txHash) : null;
        if (direction === "out" && tx === null) throw new Error(`transaction ${txHash} of a transfer out of ${holder} unavailable`);
        transfers.push({ direction, amount: BigInt(l.data), block: l.blockNumber ?? 0, txHash, txFrom: tx?.from ?? "", txTo: tx?.to ?? null });
      }
    }
    return transfers;
  }
}

/** How the pooled-lending measure reads one pool: its state at a block, the holder's scaled balance later, and what the evidence says of them. */
interface PooledLendingSource {
  readonly describe: Record<string, unknown>;
  readonly borrowersFrom: string;
  /** Which read each figure of the formula is. */
  readonly mapping: string;
  stateAt(block: number): Promise<LendingPoolState>;
  holderScaledAt(block: number): Promise<bigint>;
  extra(): Record<string, unknown>;
}

const SCALED_BALANCE = new Interface(["function scaledBalanceOf(address user) view returns (uint256)"]);
const NPM_OWNER = new Interface(["function ownerOf(uint256 tokenId) view returns (address)"]);
