/**
 * Deployment date of a protocol's main contract, read from the chain: the first block at which
 * the address has code (binary search over `eth_getCode(address, block)` in [0, latest]), then
 * that block's timestamp.
 *
 * RPC calls per uncached lookup: 1 `eth_blockNumber` + ⌈log2(latest + 2)⌉ `eth_getCode` +
 * 1 `eth_getBlockByNumber`, i.e. log2(latest) + 2 (≈ 27 on mainnet). Results are
 * cached in memory and, optionally, in an injected persistent store.
 *
 * Caveats: historical `eth_getCode` needs an archive node (a pruned node fails the lookup, which
 * then comes back missing with the RPC error); the search assumes code, once deployed, stays
 * (a self-destructed and re-created contract yields the first deployment in the searched range).
 */
import type { Logger } from "./http";
import { errorMessage, missing, sourced } from "./metrics";
import type { ProtocolMetrics, ProtocolRef, Sourced } from "../domain/types";
import type { RiskDataSource } from "./types";

export const CHAIN_SOURCE = "chain";

/** The part of an ethers v6 `Provider` this source needs. */
export interface DeploymentChainReader {
  getBlockNumber(): Promise<number>;
  getCode(address: string, blockTag?: number): Promise<string>;
  getBlock(blockNumber: number): Promise<{ readonly timestamp: number } | null>;
}

export interface DeploymentRecord {
  readonly blockNumber: number;
  /** Unix seconds. */
  readonly timestamp: number;
}

/** A persistent key-value store (e.g. a SQLite table), sync or async. */
export interface DeploymentCacheStore {
  get(key: string): DeploymentRecord | undefined | Promise<DeploymentRecord | undefined>;
  set(key: string, value: DeploymentRecord): void | Promise<void>;
}

export type DeploymentLookup =
  | { readonly ok: true; readonly deployment: DeploymentRecord; readonly rpcCalls: number; readonly cached: boolean }
  | { readonly ok: false; readonly error: string; readonly rpcCalls: number };

export interface ChainDeploymentSourceConfig {
  /** Prefix of cache keys, e.g. the chain id ("1"), so caches of several chains can share a store. */
  readonly cacheNamespace?: string;
  /** Shown in provenance refs, e.g. "mainnet". */
  readonly chainLabel?: string;
}

export class ChainDeploymentSource implements RiskDataSource {
  readonly name = CHAIN_SOURCE;
  private readonly memory = new Map<string, DeploymentRecord>();
  private readonly namespace: string;
  private readonly chainLabel: string;
  private totalRpcCalls = 0;

  constructor(
    private readonly reader: DeploymentChainReader,
    private readonly logger: Logger,
    config: ChainDeploymentSourceConfig = {},
    private readonly store?: DeploymentCacheStore,
  ) {
    this.namespace = config.cacheNamespace ?? "default";
    this.chainLabel = config.chainLabel ?? "chain";
  }

  /** RPC calls made so far by this source. */
  get rpcCallCount(): number {
    return this.totalRpcCalls;
  }

  async fetchMetrics(protocols: readonly ProtocolRef[], now: number): Promise<ProtocolMetrics[]> {
    const results: ProtocolMetrics[] = [];
    // Sequential on purpose: ~30 calls each, and RPC providers rate-limit bursts.
    for (const ref of protocols) {
      results.push(toMetrics(ref.id, await this.deployedAt(ref, now)));
    }
    return results;
  }

  private async deployedAt(ref: ProtocolRef, now: number): Promise<Sourced<number>> {
    if (ref.mainContract === undefined) return missing("no mainContract configured");
    const lookup = await this.findDeployment(ref.mainContract);
    if (!lookup.ok) return missing(lookup.error);
    return sourced(lookup.deployment.timestamp, {
      source: CHAIN_SOURCE,
      ref: `${this.chainLabel}:eth_getCode(${ref.mainContract}) first code at block ${lookup.deployment.blockNumber}`,
      fetchedAt: now,
    });
  }

  /** Finds (or recalls) the first block with code at `address`. Never throws. */
  async findDeployment(address: string): Promise<DeploymentLookup> {
    const key = `${this.namespace}:${address.toLowerCase()}`;
    const remembered = this.memory.get(key);
    if (remembered !== undefined) return { ok: true, deployment: remembered, rpcCalls: 0, cached: true };
    try {
      const stored = await this.store?.get(key);
      if (stored !== undefined) {
        this.memory.set(key, stored);
        return { ok: true, deployment: stored, rpcCalls: 0, cached: true };
      }
    } catch (err) {
      this.logger.warn({ key, err: errorMessage(err) }, "deployment cache read failed");
    }

    let rpcCalls = 0;
    const call = async <T>(run: () => Promise<T>): Promise<T> => {
      rpcCalls++;
      this.totalRpcCalls++;
      return run();
    };
    try {
      const latest = await call(() => this.reader.getBlockNumber());
      // Smallest block in [0, latest] with code; `latest + 1` stands for "none up to latest".
      let low = 0;
      let high = latest + 1; // invariant: code at every block ≥ high (≤ latest); none below low
      while (low < high) {
        const mid = Math.floor((low + high) / 2);
        if (hasCode(await call(() => this.reader.getCode(address, mid)))) high = mid;
        else low = mid + 1;
      }
      if (high > latest) {
        return { ok: false, error: `no code at ${address} at latest block ${latest} (not a contract on this chain)`, rpcCalls };
      }
      const block = await call(() => this.reader.getBlock(high));
      if (block === null) return { ok: false, error: `block ${high} not found`, rpcCalls };
      const deployment: DeploymentRecord = { blockNumber: high, timestamp: Number(block.timestamp) };
      this.memory.set(key, deployment);
      try {
        await this.store?.set(key, deployment);
      } catch (err) {
        this.logger.warn({ key, err: errorMessage(err) }, "deployment cache write failed");
      }
      this.logger.debug({ address, blockNumber: high, rpcCalls }, "deployment block found");
      return { ok: true, deployment, rpcCalls, cached: false };
    } catch (err) {
      const error = `RPC error while searching the deployment of ${address}: ${errorMessage(err)}`;
      this.logger.warn({ address, rpcCalls, err: errorMessage(err) }, "deployment lookup failed");
      return { ok: false, error, rpcCalls };
    }
  }
}

function hasCode(code: string): boolean {
  return code !== "0x" && code !== "";
}

function toMetrics(protocol: string, deployedAt: Sourced<number>): ProtocolMetrics {
  const notProvided = <T>(what: string): Sourced<T> => missing(`${what} is not provided by the chain source`);
  return {
    protocol,
    tvlUsd: notProvided("TVL"),
    tvlChange7d: notProvided("TVL change"),
    tvlChange30d: notProvided("TVL change"),
    tvlHistory: notProvided("TVL history"),
    auditScore: notProvided("audit score"),
    deployedAt,
    exploitCount: notProvided("exploit count"),
    lastExploitAt: notProvided("last exploit date"),
    teamReputation: notProvided("team reputation"),
    githubActivity: notProvided("GitHub activity"),
    tokenPriceStability: notProvided("token price stability"),
  };
}
