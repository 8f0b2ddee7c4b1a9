/**
 * Positions and watched balances on several chains: one `ChainPositionReader` per chain (the
 * fund's, plus each `chains.<id>`), each with its own RPC failover, Multicall3 batch and block
 * pinning. A tick reads every chain at once and merges the snapshots: the snapshot's block and
 * time are the fund chain's (the halt and the claim happen there); each reading keeps the block
 * of its own chain, and `chains` reports every chain's block, eth_calls and failure. A chain
 * that fails leaves its entries stale (last known values kept) and never fails the others.
 */
import type { CallResult } from "./multicall";
import {
  ChainPositionReader,
  chainKeyOf,
  type BalanceReading,
  type BlockTags,
  type PositionLoss,
  type PositionRead,
  type PositionReading,
  type PositionValueReader,
  type ReadRequest,
  type ReadSnapshot,
  type Reading,
} from "./positionReader";

export class MultiChainPositionReader implements PositionValueReader {
  private readonly byChain: ReadonlyMap<string, ChainPositionReader>;

  /** `fund` reads the fund's chain; `remote` one reader per other chain (each built with its `chainId`). */
  constructor(fund: ChainPositionReader, remote: ReadonlyMap<number, ChainPositionReader>) {
    this.byChain = new Map([[chainKeyOf(undefined), fund], ...[...remote].map(([id, r]) => [chainKeyOf(id), r] as const)]);
  }

  /** The chains read besides the fund's. */
  remoteChainIds(): number[] {
    return [...this.byChain.keys()].filter((k) => k !== chainKeyOf(undefined)).map(Number);
  }

  async read(request: ReadRequest, tags?: BlockTags, options: { remember?: boolean } = {}): Promise<ReadSnapshot> {
    const extras = (request.extra ?? []).map((call, index) => ({ call, index }));
    const parts = [...this.byChain].map(async ([key, reader]) => {
      const fund = key === chainKeyOf(undefined);
      const extra = extras.filter((e) => chainKeyOf(e.call.chainId) === key);
      const sub: ReadRequest = {
        positions: request.positions.filter((p) => chainKeyOf(p.chainId) === key),
        balances: request.balances.filter((b) => chainKeyOf(b.chainId) === key),
        ...(extra.length > 0 ? { extra: extra.map((e) => e.call) } : {}),
      };
      // The fund chain is always read (its block is the tick's); another only when something lives there.
      if (!fund && sub.positions.length === 0 && sub.balances.length === 0 && extra.length === 0) return undefined;
      const tag = typeof tags === "object" ? tags : fund ? tags : undefined;
      return { snapshot: await reader.read(sub, tag, options), extra };
    });
    const done = (await Promise.all(parts)).filter((s): s is NonNullable<typeof s> => s !== undefined);
    const snapshots = done.map((d) => d.snapshot);
    // Each chain's extra results back at their places in the request.
    const extraResults: (CallResult | undefined)[] = extras.map(() => undefined);
    for (const d of done) d.extra.forEach((e, i) => (extraResults[e.index] = d.snapshot.extra?.[i]));
    const fund = snapshots[0] as ReadSnapshot;
    const positions = new Map<string, PositionReading>();
    const balances = new Map<string, BalanceReading>();
    for (const s of snapshots) {
      for (const [k, v] of s.positions) positions.set(k, v);
      for (const [k, v] of s.balances) balances.set(k, v);
    }
    const extra: { extra?: readonly (CallResult | undefined)[] } = request.extra !== undefined ? { extra: extraResults } : {};
    return {
      block: fund.block,
      timestamp: fund.timestamp,
      positions,
      balances,
      rpcCalls: snapshots.reduce((sum, s) => sum + s.rpcCalls, 0),
      ...(fund.error !== undefined ? { error: fund.error } : {}),
      ...extra,
      chains: snapshots.flatMap((s) => s.chains ?? []),
    };
  }

  lastKnown(id: string): (Reading & { shares?: bigint }) | undefined {
    for (const reader of this.byChain.values()) {
      const known = reader.lastKnown(id);
      if (known !== undefined) return known;
    }
    return undefined;
  }

  readAt(position: PositionRead, block: number): Promise<Reading> {
    return this.readerOf(position.chainId).readAt(position, block);
  }

  measurePositionLoss(position: PositionRead, beforeBlock: number, afterBlock: number): Promise<PositionLoss> {
    return this.readerOf(position.chainId).measurePositionLoss(position, beforeBlock, afterBlock);
  }

  private readerOf(chainId: number | undefined): ChainPositionReader {
    const reader = this.byChain.get(chainKeyOf(chainId));
    if (reader === undefined) throw new Error(`no reader for chain ${chainId ?? "(fund)"} — add chains."${chainId}" to the config`);
    return reader;
  }
}
