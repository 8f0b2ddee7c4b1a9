/**
 * Reads every configured position and watched balance of a tick in one Multicall3 `aggregate3`
 * eth_call (plus, only when a vault/LP share count changed since the last tick, or a Uniswap v3
 * position's static facts are not known yet, follow-up batches pinned to the same block — at most
 * `MAX_ROUNDS` in all). A reader that fails keeps its last known value, reported with
 * the block and age of that value; a position is never turned into 0 by a failed read.
 */
import { getAddress, Interface } from "ethers";
import type { Logger } from "../../lib/logger";
import { aggregate3, type Call3, type CallResult, type EthCaller } from "./multicall";
import { ERC20_READ, decodePosition, decodeUint, positionCalls, positionContract, type DecodedPosition, type PositionHint, type PositionSpec } from "./readers";

/**
 * Batches of one read at most: the first, plus follow-ups at the same block while a reader still
 * learns (a share count changed: 1; a Uniswap v3 holder's ids enumerated from scratch: 4).
 */
export const MAX_ROUNDS = 6;

/** A position to value: a stable id (see `positionIdOf`) and where it lives. */
export interface PositionRead {
  readonly id: string;
  readonly spec: PositionSpec;
  /** The chain it lives on, when not the fund's (read through that chain's reader). */
  readonly chainId?: number;
}

const TOTAL_SUPPLY = new Interface(["function totalSupply() view returns (uint256)"]);

/** An ERC-20 balance to watch (e.g. the USDC a lending pool holds). */
export interface WatchedBalance {
  readonly token: string;
  readonly holder: string;
  /** Pooled lending: the token whose `totalSupply` is what depositors are owed (e.g. the aToken), read in the same batch. */
  readonly owedBy?: string;
  /** The chain it lives on, when not the fund's. */
  readonly chainId?: number;
}

export interface ReadRequest {
  readonly positions: readonly PositionRead[];
  readonly balances: readonly WatchedBalance[];
  /**
   * Other reads of the tick (e.g. price feeds), appended to the batch of their chain (`chainId`,
   * default the fund's); results in `ReadSnapshot.extra`, in the same order.
   */
  readonly extra?: readonly (Call3 & { readonly chainId?: number })[];
}

/** A value with the block it was read at. */
export interface Reading {
  /** Asset units (the covered stablecoin; for balances, the token's units). */
  readonly value: bigint;
  readonly block: number;
  /** Chain time of `block`, unix seconds. */
  readonly timestamp: number;
}

export interface PositionReading {
  readonly id: string;
  /** "fresh": read at this tick's block; "stale": this read failed, `last` is older; "unknown": failed and never read. */
  readonly status: "fresh" | "stale" | "unknown";
  readonly last?: Reading;
  /** Seconds between `last` and this tick's block (0 when fresh). */
  readonly ageSec?: number;
  /** Share count (erc4626 / curve / yearn-v2) behind the value. */
  readonly shares?: bigint;
  readonly error?: string;
}

export interface BalanceReading {
  readonly token: string;
  readonly holder: string;
  readonly status: "fresh" | "stale" | "unknown";
  readonly last?: Reading;
  readonly ageSec?: number;
  readonly error?: string;
  /** `owedBy.totalSupply()` at the same block (fresh reads only; absent when not configured or unreadable). */
  readonly owed?: bigint;
}

export interface ReadSnapshot {
  /** Block of this tick's batch (undefined when the batch itself failed). */
  readonly block: number | undefined;
  readonly timestamp: number | undefined;
  readonly positions: ReadonlyMap<string, PositionReading>;
  /** Keyed by `balanceKey(token, holder, chainId)`. */
  readonly balances: ReadonlyMap<string, BalanceReading>;
  /** eth_calls made: 1 in a steady tick; follow-ups at the same block while a reader learns (a changed share count: 2; Uniswap v3 ids, pools and decimals: up to MAX_ROUNDS). */
  readonly rpcCalls: number;
  /** Set when the whole batch failed (RPC down, no Multicall3). */
  readonly error?: string;
  /** Results of `ReadRequest.extra`, in order (absent when the batch failed; with several chains, undefined where that chain's batch failed). */
  readonly extra?: readonly (CallResult | undefined)[];
  /** Per chain read (the fund's chain first, `chainId` undefined): its block, eth_calls and whole-batch error. */
  readonly chains?: readonly ChainRead[];
}

/** One chain's part of a tick. */
export interface ChainRead {
  /** undefined: the fund's chain. */
  readonly chainId?: number;
  readonly block: number | undefined;
  readonly timestamp: number | undefined;
  readonly rpcCalls: number;
  readonly error?: string;
}

/** What the watch, the coverage cycle and the loss measure need of a position reader (one chain or several). */
export interface PositionValueReader {
  read(request: ReadRequest, blockTag?: BlockTags, options?: { remember?: boolean }): Promise<ReadSnapshot>;
  lastKnown(id: string): (Reading & { shares?: bigint }) | undefined;
  readAt(position: PositionRead, block: number): Promise<Reading>;
  measurePositionLoss(position: PositionRead, beforeBlock: number, afterBlock: number): Promise<PositionLoss>;
}

/**
 * Block to read at: a number pins the fund's chain (the only chain of a single-chain reader); a
 * record pins each chain by `chainKeyOf(chainId)`. Absent: "latest" everywhere.
 */
export type BlockTags = number | Readonly<Record<string, number>>;

/** Key of a chain in `BlockTags` and the reader's maps: "fund" or the decimal chain id. */
export function chainKeyOf(chainId: number | undefined): string {
  return chainId === undefined ? "fund" : String(chainId);
}

export interface PositionReaderOptions {
  readonly caller: EthCaller;
  /** The chain this reader reads, when not the fund's (its key in `BlockTags`). */
  readonly chainId?: number;
  readonly multicallAddress?: string;
  readonly logger?: Logger;
}

/** A position's value at two recorded blocks and the loss between them (asset units). */
export interface PositionLoss {
  readonly positionId: string;
  readonly before: Reading;
  readonly after: Reading;
  /** before − after, or 0 when the value did not fall. */
  readonly loss: bigint;
}

/** Key of a watched balance: `<token>:<holder>`, prefixed `<chainId>:` on a chain other than the fund's. */
export function balanceKey(token: string, holder: string, chainId?: number): string {
  return `${chainId !== undefined ? `${chainId}:` : ""}${token.toLowerCase()}:${holder.toLowerCase()}`;
}

/**
 * A stable position id: `<protocolId>:<kind>:<contract>:<holder>` (lower case); a `uniswap-v3`
 * position with configured token ids (or a pool filter) appends them: `…:<holder>:<id>+<id>` / `@<pool>`;
 * a position on a chain other than the fund's ends `#<chainId>`.
 */
export function positionIdOf(protocolId: string, spec: PositionSpec, chainId?: number): string {
  const base = `${protocolId}:${spec.kind}:${positionContract(spec).toLowerCase()}:${spec.holder.toLowerCase()}`;
  const chain = chainId !== undefined ? `#${chainId}` : "";
  if (spec.kind !== "uniswap-v3") return `${base}${chain}`;
  return `${base}${spec.tokenIds !== undefined ? `:${spec.tokenIds.join("+")}` : ""}${spec.pool !== undefined ? `@${spec.pool.toLowerCase()}` : ""}${chain}`;
}

/** Reads one chain's positions and balances (the fund's chain, or one remote chain inside `MultiChainPositionReader`). */
export class ChainPositionReader implements PositionValueReader {
  private readonly lastPositions = new Map<string, Reading & { shares?: bigint }>();
  private readonly hints = new Map<string, PositionHint>();
  private readonly lastBalances = new Map<string, Reading>();
  private readonly multicallAddress: string | undefined;
  private readonly chainKey: string;

  constructor(private readonly options: PositionReaderOptions) {
    this.multicallAddress = options.multicallAddress === undefined ? undefined : getAddress(options.multicallAddress);
    this.chainKey = chainKeyOf(options.chainId);
  }

  /** Last known reading of a position (any tick), or undefined. */
  lastKnown(id: string): (Reading & { shares?: bigint }) | undefined {
    return this.lastPositions.get(id);
  }

  /**
   * One tick: every position and balance in one batch at "latest" (or `blockTag`), a follow-up
   * batch at the same block only for share counts that changed. Never throws for a read failure:
   * failures are reported per entry (or for the whole batch) with the last known values kept.
   * `remember: false` (a look back at an older block) leaves the last known values untouched.
   */
  async read(request: ReadRequest, tags?: BlockTags, options: { remember?: boolean } = {}): Promise<ReadSnapshot> {
    const remember = options.remember !== false;
    const blockTag = typeof tags === "object" ? tags[this.chainKey] : tags;
    const calls: Call3[] = [];
    const slices: { start: number; count: number; hint: PositionHint | undefined }[] = [];
    for (const p of request.positions) {
      const hint = this.hints.get(p.id);
      const own = positionCalls(p.spec, hint);
      slices.push({ start: calls.length, count: own.length, hint });
      calls.push(...own);
    }
    const balanceStart = calls.length;
    for (const b of request.balances) calls.push({ target: b.token, callData: ERC20_READ.encodeFunctionData("balanceOf", [b.holder]) });
    const owedStart = calls.length;
    const owedIndex = new Map<number, number>();
    request.balances.forEach((b, i) => {
      if (b.owedBy === undefined) return;
      owedIndex.set(i, calls.length - owedStart);
      calls.push({ target: b.owedBy, callData: TOTAL_SUPPLY.encodeFunctionData("totalSupply", []) });
    });
    const extraStart = calls.length;
    calls.push(...(request.extra ?? []));

    let batch;
    try {
      batch = await aggregate3(this.options.caller, calls, { ...this.mcOption(), ...(blockTag !== undefined ? { blockTag } : {}) });
    } catch (err) {
      const error = `multicall failed: ${(err as Error).message}`;
      this.options.logger?.warn({ err: error, positions: request.positions.length, balances: request.balances.length }, "position read failed; keeping last known values");
      return {
        block: undefined,
        timestamp: undefined,
        positions: new Map(request.positions.map((p) => [p.id, this.staleOf(p.id, error, undefined)])),
        balances: new Map(request.balances.map((b) => [balanceKey(b.token, b.holder, b.chainId), this.staleBalance(b, error, undefined)])),
        rpcCalls: 1,
        error,
        chains: [{ ...this.chainIdPart(), block: undefined, timestamp: undefined, rpcCalls: 1, error }],
      };
    }
    const { block, timestamp } = batch;
    const positions = new Map<string, PositionReading>();
    let pending: { p: PositionRead; hint: PositionHint }[] = [];
    const settle = (p: PositionRead, decoded: DecodedPosition): void => {
      if (decoded.kind !== "needs-round" && decoded.hint !== undefined && remember) this.hints.set(p.id, decoded.hint);
      if (decoded.kind === "failed") positions.set(p.id, this.staleOf(p.id, decoded.error, timestamp));
      else if (decoded.kind === "value") positions.set(p.id, this.fresh(p.id, decoded.value, decoded.shares, block, timestamp, remember));
      else pending.push({ p, hint: decoded.hint });
    };
    request.positions.forEach((p, index) => {
      const slice = slices[index] as { start: number; count: number; hint: PositionHint | undefined };
      settle(p, decodePosition(p.spec, slice.hint, batch.results.slice(slice.start, slice.start + slice.count)));
    });
    let rpcCalls = 1;
    while (pending.length > 0) {
      const round = pending;
      pending = [];
      if (rpcCalls >= MAX_ROUNDS) {
        for (const f of round) positions.set(f.p.id, this.staleOf(f.p.id, `not resolved in ${MAX_ROUNDS} batches`, timestamp));
        break;
      }
      rpcCalls += 1;
      const perPosition = round.map((f) => positionCalls(f.p.spec, f.hint));
      try {
        const next = await aggregate3(this.options.caller, perPosition.flat(), { ...this.mcOption(), blockTag: block });
        let at = 0;
        round.forEach((f, i) => {
          const count = (perPosition[i] as Call3[]).length;
          settle(f.p, decodePosition(f.p.spec, f.hint, next.results.slice(at, at + count)));
          at += count;
        });
      } catch (err) {
        for (const f of round) positions.set(f.p.id, this.staleOf(f.p.id, `follow-up batch failed: ${(err as Error).message}`, timestamp));
      }
    }
    const balances = new Map<string, BalanceReading>();
    request.balances.forEach((b, i) => {
      const result = batch.results[balanceStart + i];
      const value = result === undefined ? "no result" : decodeUint(result, "balanceOf");
      const key = balanceKey(b.token, b.holder, b.chainId);
      if (typeof value === "string") {
        balances.set(key, this.staleBalance(b, value, timestamp));
        return;
      }
      const reading = { value, block, timestamp };
      if (remember) this.lastBalances.set(key, reading);
      const at = owedIndex.get(i);
      const owedResult = at === undefined ? undefined : batch.results[owedStart + at];
      const owed = owedResult === undefined ? undefined : decodeUint(owedResult, "totalSupply");
      balances.set(key, { token: b.token, holder: b.holder, status: "fresh", last: reading, ageSec: 0, ...(typeof owed === "bigint" ? { owed } : {}) });
    });
    const failed = [...positions.values()].filter((p) => p.status !== "fresh");
    if (failed.length > 0) {
      this.options.logger?.warn({ block, failed: failed.map((p) => ({ id: p.id, error: p.error, ageSec: p.ageSec })) }, "position readers failed; last known values kept");
    }
    const extra = request.extra === undefined ? {} : { extra: batch.results.slice(extraStart, extraStart + request.extra.length) };
    return { block, timestamp, positions, balances, rpcCalls, ...extra, chains: [{ ...this.chainIdPart(), block, timestamp, rpcCalls }] };
  }

  /**
   * A position's value at `beforeBlock` and at `afterBlock` (each one pinned batch, plus a
   * follow-up for share conversions) and the loss between them. Needs an RPC that serves state
   * at those blocks (an archive node for old ones). Throws when either read fails: a claim
   * amount is never made up.
   */
  async measurePositionLoss(position: PositionRead, beforeBlock: number, afterBlock: number): Promise<PositionLoss> {
    if (!(beforeBlock < afterBlock)) throw new Error(`measurePositionLoss: beforeBlock ${beforeBlock} must be below afterBlock ${afterBlock}`);
    const before = await this.readAt(position, beforeBlock);
    const after = await this.readAt(position, afterBlock);
    return { positionId: position.id, before, after, loss: before.value > after.value ? before.value - after.value : 0n };
  }

  /** One position's value at a pinned block (starting from the learned hint, which every read re-checks; no value cache involved). */
  async readAt(position: PositionRead, block: number): Promise<Reading> {
    let hint = this.hints.get(position.id);
    let first: { block: number; timestamp: number } | undefined;
    for (let round = 0; round < MAX_ROUNDS; round++) {
      const batch = await aggregate3(this.options.caller, positionCalls(position.spec, hint), { ...this.mcOption(), blockTag: block });
      first ??= { block: batch.block, timestamp: batch.timestamp };
      const decoded = decodePosition(position.spec, hint, batch.results);
      if (decoded.kind === "failed") throw new Error(`${position.id} at block ${block}: ${decoded.error}`);
      if (decoded.kind === "value") return { value: decoded.value, block: first.block, timestamp: first.timestamp };
      hint = decoded.hint;
    }
    throw new Error(`${position.id} at block ${block}: not resolved in ${MAX_ROUNDS} batches`);
  }

  private chainIdPart(): { chainId?: number } {
    return this.options.chainId !== undefined ? { chainId: this.options.chainId } : {};
  }

  private mcOption(): { multicallAddress?: string } {
    return this.multicallAddress !== undefined ? { multicallAddress: this.multicallAddress } : {};
  }

  private fresh(id: string, value: bigint, shares: bigint | undefined, block: number, timestamp: number, remember = true): PositionReading {
    const reading = { value, block, timestamp, ...(shares !== undefined ? { shares } : {}) };
    if (remember) this.lastPositions.set(id, reading);
    return { id, status: "fresh", last: { value, block, timestamp }, ageSec: 0, ...(shares !== undefined ? { shares } : {}) };
  }

  private staleOf(id: string, error: string, now: number | undefined): PositionReading {
    const last = this.lastPositions.get(id);
    if (last === undefined) return { id, status: "unknown", error };
    return {
      id,
      status: "stale",
      last: { value: last.value, block: last.block, timestamp: last.timestamp },
      ageSec: now === undefined ? undefined : Math.max(0, now - last.timestamp),
      ...(last.shares !== undefined ? { shares: last.shares } : {}),
      error,
    } as PositionReading;
  }

  private staleBalance(b: WatchedBalance, error: string, now: number | undefined): BalanceReading {
    const last = this.lastBalances.get(balanceKey(b.token, b.holder, b.chainId));
    if (last === undefined) return { token: b.token, holder: b.holder, status: "unknown", error };
    return { token: b.token, holder: b.holder, status: "stale", last, ...(now !== undefined ? { ageSec: Math.max(0, now - last.timestamp) } : {}), error };
  }
}
