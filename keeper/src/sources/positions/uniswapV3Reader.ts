/**
 * The `uniswap-v3` position reader: a holder's NonfungiblePositionManager (NPM) positions valued in
 * the covered stablecoin at the pool's current price, fees owed included (I/O-free: it plans the
 * calls of one Multicall3 batch and decodes their results; `positionReader.ts` sends them).
 *
 * Per token id, in the one batch of a tick (steady state):
 *   NPM.positions(id)                     liquidity, tick range, tokensOwed0/1, feeGrowthInside{0,1}LastX128
 *   pool.slot0()                          sqrtPriceX96 and the current tick
 *   pool.feeGrowthGlobal{0,1}X128()       per pool
 *   pool.ticks(tickLower), ticks(tickUpper)  feeGrowthOutside{0,1}X128
 *   NPM.balanceOf(holder), tokenOfOwnerByIndex(holder, i)  only when the ids are enumerated (no `tokenIds`)
 *
 * What a position redeems for = what `decreaseLiquidity(all)` + `collect` pay:
 *   principal  amountsForLiquidity(slot0.sqrtPriceX96, tickLower, tickUpper, liquidity) (policy/uniswapV3Position.ts)
 *   fees       tokensOwed + liquidity × (feeGrowthInside − feeGrowthInsideLast) / 2^128 (mod 2^256, as the
 *              NPM computes it), feeGrowthInside from the pool's global and the range ticks' outside
 *              growth at slot0.tick (Tick.getFeeGrowthInside) — the uncollected fees, not only tokensOwed.
 * Valued in the covered stablecoin (`asset`, one of the pool's two tokens): the asset's amount plus
 * the other token's amount converted
 *   `pricing: "par"`  (stable/stable pools) at $1 = 1, scaled by the two tokens' decimals;
 *   `pricing: "pool"` (stable/volatile pools) at the pool's own price sqrtPriceX96² / 2^192 —
 *                     a spot price an attacker can move inside a block: use it only where no par exists.
 *
 * Static facts (which ids, each id's tokens/fee/ticks, its pool via `factory.getPool`, the tokens'
 * decimals) are learned once, in follow-up batches pinned to the same block, and carried to the
 * next tick in the `layout` hint; each tick re-checks what can change (the enumerated ids) in the
 * same batch, so a steady tick is one eth_call.
 */
import { Interface, ZeroAddress, getAddress } from "ethers";
import { Q96, amountsForLiquidity } from "../../policy/uniswapV3Position";
import type { Call3, CallResult } from "./multicall";

export const UNISWAP_V3_NPM_READ = new Interface([
  "function positions(uint256 tokenId) view returns (uint96 nonce, address operator, address token0, address token1, uint24 fee, int24 tickLower, int24 tickUpper, uint128 liquidity, uint256 feeGrowthInside0LastX128, uint256 feeGrowthInside1LastX128, uint128 tokensOwed0, uint128 tokensOwed1)",
  "function balanceOf(address owner) view returns (uint256)",
  "function tokenOfOwnerByIndex(address owner, uint256 index) view returns (uint256)",
  "function factory() view returns (address)",
]);
export const UNISWAP_V3_FACTORY_READ = new Interface(["function getPool(address tokenA, address tokenB, uint24 fee) view returns (address pool)"]);
export const UNISWAP_V3_POOL_READ = new Interface([
  "function slot0() view returns (uint160 sqrtPriceX96, int24 tick, uint16 observationIndex, uint16 observationCardinality, uint16 observationCardinalityNext, uint8 feeProtocol, bool unlocked)",
  "function feeGrowthGlobal0X128() view returns (uint256)",
  "function feeGrowthGlobal1X128() view returns (uint256)",
  "function ticks(int24 tick) view returns (uint128 liquidityGross, int128 liquidityNet, uint256 feeGrowthOutside0X128, uint256 feeGrowthOutside1X128, int56 tickCumulativeOutside, uint160 secondsPerLiquidityOutsideX128, uint32 secondsOutside, bool initialized)",
]);
const DECIMALS_READ = new Interface(["function decimals() view returns (uint8)"]);

const Q128 = 2n ** 128n;
const MOD256 = 2n ** 256n;
const Q192 = Q96 * Q96;

export interface UniswapV3Spec {
  readonly kind: "uniswap-v3";
  readonly positionManager: string;
  readonly holder: string;
  /** The covered stablecoin: one of each valued pool's tokens. */
  readonly asset: string;
  /** Token ids to value; absent: every id the holder owns (enumerated each tick). */
  readonly tokenIds?: readonly bigint[];
  /** Only ids in this pool (a filter for enumerated ids; configured ids must be in it). */
  readonly pool?: string;
  readonly pricing: "par" | "pool";
}

/** The static facts of one token id. */
export interface UniswapV3TokenInfo {
  readonly token0: string;
  readonly token1: string;
  readonly fee: number;
  readonly tickLower: number;
  readonly tickUpper: number;
}

/** What the reader learned of a uniswap-v3 position (carried between ticks). */
export interface UniswapV3Layout {
  /** NPM.balanceOf(holder) the `ids` were enumerated at (enumeration only). */
  readonly count?: number;
  /** The ids valued (configured, or enumerated at `count`). */
  readonly ids?: readonly bigint[];
  readonly factory?: string;
  /** By token id (decimal string). */
  readonly info: ReadonlyMap<string, UniswapV3TokenInfo>;
  /** By `poolKey`. */
  readonly pools: ReadonlyMap<string, string>;
  /** By lower-case token address. */
  readonly decimals: ReadonlyMap<string, number>;
}

export type UniswapV3Decoded =
  | { readonly kind: "value"; readonly value: bigint; readonly layout: UniswapV3Layout; readonly amounts: readonly UniswapV3Amounts[] }
  | { readonly kind: "needs-round"; readonly layout: UniswapV3Layout }
  | { readonly kind: "failed"; readonly error: string; readonly layout?: UniswapV3Layout };

/** One id's redeemable amounts (principal + fees) and its value in the asset. */
export interface UniswapV3Amounts {
  readonly tokenId: bigint;
  readonly pool: string;
  readonly amount0: bigint;
  readonly amount1: bigint;
  readonly fees0: bigint;
  readonly fees1: bigint;
  readonly value: bigint;
}

export const EMPTY_UNISWAP_V3_LAYOUT: UniswapV3Layout = { info: new Map(), pools: new Map(), decimals: new Map() };

export function poolKey(info: Pick<UniswapV3TokenInfo, "token0" | "token1" | "fee">): string {
  return `${info.token0.toLowerCase()}:${info.token1.toLowerCase()}:${info.fee}`;
}

type Slot =
  | { readonly t: "balance" }
  | { readonly t: "byIndex"; readonly i: number }
  | { readonly t: "position"; readonly id: bigint }
  | { readonly t: "factory" }
  | { readonly t: "getPool"; readonly key: string }
  | { readonly t: "decimals"; readonly token: string }
  | { readonly t: "slot0" | "fg0" | "fg1"; readonly pool: string }
  | { readonly t: "tick"; readonly pool: string; readonly tick: number };

interface PositionState {
  readonly liquidity: bigint;
  readonly feeGrowthInside0LastX128: bigint;
  readonly feeGrowthInside1LastX128: bigint;
  readonly tokensOwed0: bigint;
  readonly tokensOwed1: bigint;
}

/** The calls of one round, and how to decode them. */
export interface UniswapV3Plan {
  readonly calls: Call3[];
  decode(results: readonly CallResult[]): UniswapV3Decoded;
}

/** Plans one round of reads for `spec` given what is already known (`layout`). */
export function planUniswapV3(spec: UniswapV3Spec, layout: UniswapV3Layout = EMPTY_UNISWAP_V3_LAYOUT): UniswapV3Plan {
  const npm = spec.positionManager;
  const enumerate = spec.tokenIds === undefined;
  const calls: Call3[] = [];
  const slots: Slot[] = [];
  const add = (slot: Slot, target: string, iface: Interface, fn: string, args: readonly unknown[] = []): void => {
    slots.push(slot);
    calls.push({ target, callData: iface.encodeFunctionData(fn, args) });
  };
  if (enumerate) {
    add({ t: "balance" }, npm, UNISWAP_V3_NPM_READ, "balanceOf", [spec.holder]);
    if (layout.count !== undefined) for (let i = 0; i < layout.count; i++) add({ t: "byIndex", i }, npm, UNISWAP_V3_NPM_READ, "tokenOfOwnerByIndex", [spec.holder, i]);
  }
  const ids = enumerate ? (layout.count !== undefined ? (layout.ids ?? []) : []) : (spec.tokenIds ?? []);
  for (const id of ids) add({ t: "position", id }, npm, UNISWAP_V3_NPM_READ, "positions", [id]);
  if (layout.factory === undefined) add({ t: "factory" }, npm, UNISWAP_V3_NPM_READ, "factory");
  const seen = new Set<string>();
  const once = (key: string): boolean => (seen.has(key) ? false : (seen.add(key), true));
  for (const id of ids) {
    const info = layout.info.get(id.toString());
    if (info === undefined) continue;
    const key = poolKey(info);
    const pool = layout.pools.get(key);
    if (pool === undefined && layout.factory !== undefined && once(`getPool:${key}`)) add({ t: "getPool", key }, layout.factory, UNISWAP_V3_FACTORY_READ, "getPool", [info.token0, info.token1, info.fee]);
    for (const token of [info.token0, info.token1]) {
      if (!layout.decimals.has(token.toLowerCase()) && once(`decimals:${token.toLowerCase()}`)) add({ t: "decimals", token: token.toLowerCase() }, token, DECIMALS_READ, "decimals");
    }
    if (pool === undefined) continue;
    if (once(`pool:${pool}`)) {
      add({ t: "slot0", pool }, pool, UNISWAP_V3_POOL_READ, "slot0");
      add({ t: "fg0", pool }, pool, UNISWAP_V3_POOL_READ, "feeGrowthGlobal0X128");
      add({ t: "fg1", pool }, pool, UNISWAP_V3_POOL_READ, "feeGrowthGlobal1X128");
    }
    for (const tick of [info.tickLower, info.tickUpper]) if (once(`tick:${pool}:${tick}`)) add({ t: "tick", pool, tick }, pool, UNISWAP_V3_POOL_READ, "ticks", [tick]);
  }
  return { calls, decode: (results) => decodeRound(spec, layout, ids, slots, results) };
}

/** What one round's results taught: the layout learned so far plus this round's reads. */
interface RoundReads {
  readonly info: Map<string, UniswapV3TokenInfo>;
  readonly pools: Map<string, string>;
  readonly decimals: Map<string, number>;
  factory: string | undefined;
  count: number | undefined;
  knownIds: readonly bigint[] | undefined;
  readonly listed: bigint[];
  readonly states: Map<string, PositionState>;
  readonly slot0s: Map<string, { sqrtPriceX96: bigint; tick: number }>;
  readonly growth: Map<string, bigint>;
  readonly ticks: Map<string, { outside0: bigint; outside1: bigint }>;
}

function layoutOf(reads: RoundReads): UniswapV3Layout {
  const { count, knownIds, factory, info, pools, decimals } = reads;
  return { ...(count !== undefined ? { count } : {}), ...(knownIds !== undefined ? { ids: knownIds } : {}), ...(factory !== undefined ? { factory } : {}), info, pools, decimals };
}

function decodeRound(spec: UniswapV3Spec, layout: UniswapV3Layout, ids: readonly bigint[], slots: readonly Slot[], results: readonly CallResult[]): UniswapV3Decoded {
  const reads: RoundReads = {
    info: new Map(layout.info),
    pools: new Map(layout.pools),
    decimals: new Map(layout.decimals),
    factory: layout.factory,
    count: layout.count,
    knownIds: layout.ids,
    listed: [],
    states: new Map(),
    slot0s: new Map(),
    growth: new Map(),
    ticks: new Map(),
  };
  const fail = (error: string): UniswapV3Decoded => ({ kind: "failed", error, layout: layoutOf(reads) });
  for (let i = 0; i < slots.length; i++) {
    const r = results[i];
    if (r === undefined) return fail("no result");
    const error = decodeSlot(slots[i] as Slot, r, reads, layout);
    if (error !== undefined) return fail(error);
  }
  const listing = checkListing(spec, layout, reads);
  if (listing !== undefined) return listing;
  return valuePositions(spec, layout, ids, reads);
}

/** Decodes one result into `reads`; returns an error message when the read failed. */
function decodeSlot(slot: Slot, r: CallResult, reads: RoundReads, layout: UniswapV3Layout): string | undefined {
  const decode = (iface: Interface, fn: string): ReturnType<Interface["decodeFunctionResult"]> | string => {
    if (!r.success) return `${fn} reverted${r.returnData === "0x" ? " (no data)" : ` (${r.returnData.slice(0, 74)})`}`;
    if (r.returnData === "0x") return `${fn} returned no data (not a contract, or no such function)`;
    try {
      return iface.decodeFunctionResult(fn, r.returnData);
    } catch (err) {
      return `${fn} returned undecodable data: ${(err as Error).message.slice(0, 80)}`;
    }
  };
  switch (slot.t) {
    case "balance": {
      const d = decode(UNISWAP_V3_NPM_READ, "balanceOf");
      if (typeof d === "string") return `NPM.${d}`;
      const n = Number(d[0] as bigint);
      if (n !== reads.count) {
        reads.count = n;
        reads.knownIds = n === 0 ? [] : undefined;
      }
      return undefined;
    }
    case "byIndex": {
      const d = decode(UNISWAP_V3_NPM_READ, "tokenOfOwnerByIndex");
      if (typeof d === "string") return reads.count !== layout.count ? undefined : `NPM.${d}`; // balance changed this round: the listing is redone
      reads.listed.push(d[0] as bigint);
      return undefined;
    }
    case "position": {
      const d = decode(UNISWAP_V3_NPM_READ, "positions");
      if (typeof d === "string") return `NPM.positions(${slot.id}): ${d} — a burned token id? (remove it from tokenIds)`;
      const token0 = getAddress(d.getValue("token0") as string);
      const token1 = getAddress(d.getValue("token1") as string);
      reads.info.set(slot.id.toString(), { token0, token1, fee: Number(d.getValue("fee") as bigint), tickLower: Number(d.getValue("tickLower") as bigint), tickUpper: Number(d.getValue("tickUpper") as bigint) });
      reads.states.set(slot.id.toString(), {
        liquidity: d.getValue("liquidity") as bigint,
        feeGrowthInside0LastX128: d.getValue("feeGrowthInside0LastX128") as bigint,
        feeGrowthInside1LastX128: d.getValue("feeGrowthInside1LastX128") as bigint,
        tokensOwed0: d.getValue("tokensOwed0") as bigint,
        tokensOwed1: d.getValue("tokensOwed1") as bigint,
      });
      return undefined;
    }
    default:
      return decodeLayoutSlot(slot, decode, reads);
  }
}

/** The factory, pool, decimals and pool-state reads of a round. */
function decodeLayoutSlot(slot: Slot, decode: (iface: Interface, fn: string) => ReturnType<Interface["decodeFunctionResult"]> | string, reads: RoundReads): string | undefined {
  switch (slot.t) {
    case "factory": {
      const d = decode(UNISWAP_V3_NPM_READ, "factory");
      if (typeof d === "string") return `NPM.${d}`;
      reads.factory = getAddress(d[0] as string);
      return undefined;
    }
    case "getPool": {
      const d = decode(UNISWAP_V3_FACTORY_READ, "getPool");
      if (typeof d === "string") return `factory.${d}`;
      if ((d[0] as string) === ZeroAddress) return `factory.getPool: no pool for ${slot.key}`;
      reads.pools.set(slot.key, getAddress(d[0] as string));
      return undefined;
    }
    case "decimals": {
      const d = decode(DECIMALS_READ, "decimals");
      if (typeof d === "string") return `${slot.token}.${d}`;
      reads.decimals.set(slot.token, Number(d[0] as bigint));
      return undefined;
    }
    case "slot0": {
      const d = decode(UNISWAP_V3_POOL_READ, "slot0");
      if (typeof d === "string") return `pool ${slot.pool}.${d}`;
      reads.slot0s.set(slot.pool, { sqrtPriceX96: d.getValue("sqrtPriceX96") as bigint, tick: Number(d.getValue("tick") as bigint) });
      return undefined;
    }
    case "fg0":
    case "fg1": {
      const fn = slot.t === "fg0" ? "feeGrowthGlobal0X128" : "feeGrowthGlobal1X128";
      const d = decode(UNISWAP_V3_POOL_READ, fn);
      if (typeof d === "string") return `pool ${slot.pool}.${d}`;
      reads.growth.set(`${slot.t}:${slot.pool}`, d[0] as bigint);
      return undefined;
    }
    case "tick": {
      const d = decode(UNISWAP_V3_POOL_READ, "ticks");
      if (typeof d === "string") return `pool ${slot.pool}.${d}`;
      reads.ticks.set(`${slot.pool}:${slot.tick}`, { outside0: d.getValue("feeGrowthOutside0X128") as bigint, outside1: d.getValue("feeGrowthOutside1X128") as bigint });
      return undefined;
    }
    default:
      return undefined;
  }
}

/** Enumeration: the listing must be of the balance seen this round, and be the ids just valued. */
function checkListing(spec: UniswapV3Spec, layout: UniswapV3Layout, reads: RoundReads): UniswapV3Decoded | undefined {
  if (spec.tokenIds !== undefined) {
    reads.knownIds = spec.tokenIds;
    return undefined;
  }
  if (reads.count === undefined) return { kind: "failed", error: "NPM.balanceOf not read", layout: layoutOf(reads) };
  if (reads.count !== layout.count) return { kind: "needs-round", layout: layoutOf(reads) };
  if (reads.count > 0) {
    const known = reads.knownIds;
    const same = known !== undefined && reads.listed.length === known.length && reads.listed.every((id, i) => id === known[i]);
    if (!same) {
      reads.knownIds = reads.listed;
      return { kind: "needs-round", layout: layoutOf(reads) };
    }
  }
  return undefined;
}

/** Everything valued must be known and read this round; values each position in the covered asset. */
function valuePositions(spec: UniswapV3Spec, layout: UniswapV3Layout, ids: readonly bigint[], reads: RoundReads): UniswapV3Decoded {
  const asset = spec.asset.toLowerCase();
  const filterPool = spec.pool === undefined ? undefined : spec.pool.toLowerCase();
  const amounts: UniswapV3Amounts[] = [];
  let incomplete = false;
  for (const id of ids) {
    const i = reads.info.get(id.toString());
    const s = reads.states.get(id.toString());
    const pool = i === undefined ? undefined : reads.pools.get(poolKey(i));
    const d0 = i === undefined ? undefined : reads.decimals.get(i.token0.toLowerCase());
    const d1 = i === undefined ? undefined : reads.decimals.get(i.token1.toLowerCase());
    if (i === undefined || s === undefined || pool === undefined || d0 === undefined || d1 === undefined) {
      incomplete = true;
      continue;
    }
    const inFilter = filterPool === undefined || pool.toLowerCase() === filterPool;
    const hasAsset = i.token0.toLowerCase() === asset || i.token1.toLowerCase() === asset;
    if (!inFilter || !hasAsset) {
      if (spec.tokenIds !== undefined) {
        return { kind: "failed", error: `token id ${id} is in pool ${pool} (${i.token0}/${i.token1}), ${!inFilter ? `not the configured pool ${spec.pool}` : `which does not hold the covered asset ${spec.asset}`}`, layout: layoutOf(reads) };
      }
      continue; // enumerated: another of the holder's positions, not this one
    }
    const valued = valueOne(spec, id, i, s, pool, d0, d1, reads);
    if (valued === undefined) {
      incomplete = true;
      continue;
    }
    amounts.push(valued);
  }
  const next = layoutOf(reads);
  if (incomplete) {
    const learned = next.info.size !== layout.info.size || next.pools.size !== layout.pools.size || next.decimals.size !== layout.decimals.size || next.factory !== layout.factory;
    return learned ? { kind: "needs-round", layout: next } : { kind: "failed", error: "uniswap-v3: could not learn the position's pool (no progress)", layout: next };
  }
  return { kind: "value", value: amounts.reduce((sum, a) => sum + a.value, 0n), layout: next, amounts };
}

/** One position's principal plus fees owed, valued in the covered asset; undefined when a pool read is missing. */
function valueOne(spec: UniswapV3Spec, id: bigint, i: UniswapV3TokenInfo, s: PositionState, pool: string, d0: number, d1: number, reads: RoundReads): UniswapV3Amounts | undefined {
  const s0 = reads.slot0s.get(pool);
  const g0 = reads.growth.get(`fg0:${pool}`);
  const g1 = reads.growth.get(`fg1:${pool}`);
  const lower = reads.ticks.get(`${pool}:${i.tickLower}`);
  const upper = reads.ticks.get(`${pool}:${i.tickUpper}`);
  if (s0 === undefined || g0 === undefined || g1 === undefined || lower === undefined || upper === undefined) return undefined;
  const principal = amountsForLiquidity(s0.sqrtPriceX96, i.tickLower, i.tickUpper, s.liquidity);
  const inside0 = feeGrowthInside(s0.tick, i.tickLower, i.tickUpper, g0, lower.outside0, upper.outside0);
  const inside1 = feeGrowthInside(s0.tick, i.tickLower, i.tickUpper, g1, lower.outside1, upper.outside1);
  const fees0 = s.tokensOwed0 + (s.liquidity * mod256(inside0 - s.feeGrowthInside0LastX128)) / Q128;
  const fees1 = s.tokensOwed1 + (s.liquidity * mod256(inside1 - s.feeGrowthInside1LastX128)) / Q128;
  const amount0 = principal.amount0 + fees0;
  const amount1 = principal.amount1 + fees1;
  const value = valueInAsset(i.token0.toLowerCase() === spec.asset.toLowerCase() ? 0 : 1, amount0, amount1, d0, d1, s0.sqrtPriceX96, spec.pricing);
  return { tokenId: id, pool, amount0, amount1, fees0, fees1, value };
}

/** Tick.getFeeGrowthInside (mod 2^256, as the pool computes it in unchecked arithmetic). */
export function feeGrowthInside(tickCurrent: number, tickLower: number, tickUpper: number, global: bigint, lowerOutside: bigint, upperOutside: bigint): bigint {
  const below = tickCurrent >= tickLower ? lowerOutside : mod256(global - lowerOutside);
  const above = tickCurrent < tickUpper ? upperOutside : mod256(global - upperOutside);
  return mod256(global - below - above);
}

/**
 * The two amounts in units of the asset (token `assetIndex`): the other token at par (scaled by
 * decimals) or at the pool price (token1 per token0 = sqrtPriceX96² / 2^192), rounded down.
 */
export function valueInAsset(assetIndex: 0 | 1, amount0: bigint, amount1: bigint, decimals0: number, decimals1: number, sqrtPriceX96: bigint, pricing: "par" | "pool"): bigint {
  const p2 = sqrtPriceX96 * sqrtPriceX96;
  if (assetIndex === 0) {
    const other = pricing === "par" ? scale(amount1, decimals1, decimals0) : (amount1 * Q192) / p2;
    return amount0 + other;
  }
  const other = pricing === "par" ? scale(amount0, decimals0, decimals1) : (amount0 * p2) / Q192;
  return amount1 + other;
}

function scale(amount: bigint, from: number, to: number): bigint {
  return to >= from ? amount * 10n ** BigInt(to - from) : amount / 10n ** BigInt(from - to);
}

function mod256(x: bigint): bigint {
  return ((x % MOD256) + MOD256) % MOD256;
}

/** One token id's reads at one block, for the exposure value (`exposedValue`). */
export interface UniswapV3IdReads {
  readonly liquidity: bigint;
  readonly sqrtPriceX96: bigint;
  readonly tick: number;
  readonly feeGrowthGlobal0X128: bigint;
  readonly feeGrowthGlobal1X128: bigint;
  readonly lowerOutside0: bigint;
  readonly lowerOutside1: bigint;
  readonly upperOutside0: bigint;
  readonly upperOutside1: bigint;
}

/** The position at `before`: what its owed fees were measured from. */
export interface UniswapV3Checkpoint {
  readonly liquidity: bigint;
  readonly feeGrowthInside0LastX128: bigint;
  readonly feeGrowthInside1LastX128: bigint;
  readonly tokensOwed0: bigint;
  readonly tokensOwed1: bigint;
}

export const UNISWAP_V3_EXPOSURE_FORMULA =
  "per token id: exposure E = min(liquidity_before, liquidity_after); value_b(E) = amountsForLiquidity(sqrtPriceX96_b, tickLower, tickUpper, E) + tokensOwed_before × E / liquidity_before + E × (feeGrowthInside_b − feeGrowthInsideLast_before) / 2^128, " +
  "valued in the asset at block b's pool price (or par); loss = max(0, Σ value_before(E) − Σ value_after(E)) — liquidity removed in the window left at the pool's price, liquidity added is not covered";

/**
 * What exposure `e` (liquidity held through the window) of one position redeems for at a block:
 * its principal at that block's price plus the fees owed pro rata to it — its share of what was
 * owed at `before` and the fee growth inside the range on `e` since the position's checkpoint.
 */
export function exposedValue(spec: Pick<UniswapV3Spec, "asset" | "pricing">, info: UniswapV3TokenInfo, d0: number, d1: number, at: UniswapV3IdReads, checkpoint: UniswapV3Checkpoint, e: bigint): { amount0: bigint; amount1: bigint; value: bigint } {
  if (e < 0n || e > checkpoint.liquidity) throw new Error("exposedValue: exposure must be within the liquidity held before");
  const principal = amountsForLiquidity(at.sqrtPriceX96, info.tickLower, info.tickUpper, e);
  const inside0 = feeGrowthInside(at.tick, info.tickLower, info.tickUpper, at.feeGrowthGlobal0X128, at.lowerOutside0, at.upperOutside0);
  const inside1 = feeGrowthInside(at.tick, info.tickLower, info.tickUpper, at.feeGrowthGlobal1X128, at.lowerOutside1, at.upperOutside1);
  const owed = (x: bigint): bigint => (checkpoint.liquidity === 0n ? 0n : (x * e) / checkpoint.liquidity);
  const amount0 = principal.amount0 + owed(checkpoint.tokensOwed0) + (e * mod256(inside0 - checkpoint.feeGrowthInside0LastX128)) / Q128;
  const amount1 = principal.amount1 + owed(checkpoint.tokensOwed1) + (e * mod256(inside1 - checkpoint.feeGrowthInside1LastX128)) / Q128;
  const value = valueInAsset(info.token0.toLowerCase() === spec.asset.toLowerCase() ? 0 : 1, amount0, amount1, d0, d1, at.sqrtPriceX96, spec.pricing);
  return { amount0, amount1, value };
}
