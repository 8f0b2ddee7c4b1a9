/**
 * Config → reads: the positions that name where they live, and every protocol's watched balances
 * (plus its positions when `watch.positions`), as the reader and the watch rule take them.
 */
import { parseUnits } from "ethers";
import type { PositionConfig, PositionSourceConfig, ProtocolConfig, WatchConfig } from "../../config/schema";
import { positionIdOf, type PositionRead, type WatchedBalance } from "./positionReader";
import { positionContract as contractOf, type PositionSpec } from "./readers";

/** The reader spec of a configured position (`holder` defaults to the beneficiary; `asset` is the covered stablecoin). */
export function specOf(source: PositionSourceConfig, beneficiary: string, asset: string): PositionSpec {
  const holder = source.holder ?? beneficiary;
  switch (source.kind) {
    case "erc20":
      return { kind: "erc20", token: source.token, holder };
    case "erc4626":
      return { kind: "erc4626", vault: source.vault, holder };
    case "aave-v3":
      return { kind: "aave-v3", aToken: source.aToken, holder };
    case "compound-v3":
      return { kind: "compound-v3", comet: source.comet, holder };
    case "curve":
      return { kind: "curve", pool: source.pool, lpToken: source.lpToken ?? source.pool, coinIndex: source.coinIndex, indexType: source.indexType, holder };
    case "aave-v2":
      // The config allows exactly one of aToken and lendingPool (schema).
      return source.aToken !== undefined ? { kind: "aave-v2", aToken: source.aToken, holder } : { kind: "aave-v2", lendingPool: source.lendingPool ?? "", asset, holder };
    case "yearn-v2":
      return { kind: "yearn-v2", vault: source.vault, holder };
    case "uniswap-v3":
      return {
        kind: "uniswap-v3",
        positionManager: source.positionManager,
        holder,
        asset,
        pricing: source.pricing,
        ...(source.tokenIds !== undefined ? { tokenIds: source.tokenIds.map((id) => BigInt(id)) } : {}),
        ...(source.pool !== undefined ? { pool: source.pool } : {}),
      };
  }
}

export interface ConfiguredPositionRead extends PositionRead {
  /** Index in `config.positions`. */
  readonly index: number;
  readonly protocolId: string;
}

/** Reads for every configured position that names where it lives. */
export function positionReadsOf(positions: readonly PositionConfig[]): ConfiguredPositionRead[] {
  const out: ConfiguredPositionRead[] = [];
  positions.forEach((p, index) => {
    if (p.position === undefined) return;
    const spec = specOf(p.position, p.beneficiary, p.asset);
    const chainId = p.position.chainId;
    out.push({ index, protocolId: p.protocol, id: positionIdOf(p.protocol, spec, chainId), spec, ...(chainId !== undefined ? { chainId } : {}) });
  });
  return out;
}

/** A watched balance with the rule parameters that apply to it. */
export interface WatchTarget extends WatchedBalance {
  readonly protocolId: string;
  readonly label: string;
  readonly dropBps: number;
  readonly windowBlocks: number;
  /** Base units. */
  readonly minDrop: bigint;
  /** Set when the balance is one of the operator's positions (its value is watched). */
  readonly positionId?: string;
  /** Decimals and symbol of the amounts (messages in token units), when the config gives them. */
  readonly unit?: { readonly decimals: number; readonly symbol: string };
  /** Slow-drain rule: basis points of the highest balance within `cumulativeWindowSec`. */
  readonly cumulativeBps?: number;
  readonly cumulativeWindowSec?: number;
}

/** Seconds per block `watch.windowBlocks` counts in (the fund chain's, Ethereum-like). */
export const FUND_BLOCK_TIME_SEC = 12;

/**
 * A watch window in the blocks of the chain a balance lives on: the same time span as
 * `windowBlocks` fund-chain blocks (an Arbitrum block is 0.25 s: 50 blocks become 2 400).
 */
export function windowBlocksOn(windowBlocks: number, chainId: number | undefined, chains: Readonly<Record<string, { readonly blockTimeSec: number }>>): number {
  const remote = chainId === undefined ? undefined : chains[String(chainId)];
  if (remote === undefined) return windowBlocks;
  return Math.max(1, Math.ceil((windowBlocks * FUND_BLOCK_TIME_SEC) / remote.blockTimeSec));
}

/** Every watched balance of every protocol, with per-protocol overrides of the watch defaults (windows in each chain's blocks). */
export function watchTargetsOf(
  protocols: readonly ProtocolConfig[],
  positions: readonly PositionConfig[],
  defaults: WatchConfig,
  chains: Readonly<Record<string, { readonly blockTimeSec: number }>> = {},
): { balances: WatchTarget[]; positions: WatchTarget[] } {
  const balances: WatchTarget[] = [];
  const watchedPositions: WatchTarget[] = [];
  const reads = positionReadsOf(positions);
  // A token's decimals and symbol, from the positions that name them (their asset).
  const unitOf = (token: string, decimals?: number): WatchTarget["unit"] => {
    const p = positions.find((x) => x.asset.toLowerCase() === token.toLowerCase() && x.assetSymbol !== undefined);
    const d = decimals ?? p?.assetDecimals;
    return d === undefined ? undefined : { decimals: d, symbol: p?.assetSymbol ?? "tokens" };
  };
  for (const protocol of protocols) {
    const w = protocol.watch;
    if (w === undefined) continue;
    const dropBps = Math.round((w.dropPercent ?? defaults.dropPercent) * 100);
    const windowBlocks = w.windowBlocks ?? defaults.windowBlocks;
    const cumulative = {
      cumulativeBps: Math.round((w.cumulativeDropPercent ?? defaults.cumulativeDropPercent) * 100),
      cumulativeWindowSec: Math.round(defaults.cumulativeWindowHours * 3600),
    };
    for (const b of w.balances) {
      balances.push({
        protocolId: protocol.id,
        token: b.token,
        holder: b.holder,
        ...(b.owedBy !== undefined ? { owedBy: b.owedBy } : {}),
        ...(b.chainId !== undefined ? { chainId: b.chainId } : {}),
        ...cumulative,
        label: b.label ?? `${protocol.name}: token ${b.token} held by ${b.holder}${b.chainId !== undefined ? ` on chain ${b.chainId}` : ""}`,
        dropBps,
        windowBlocks: windowBlocksOn(windowBlocks, b.chainId, chains),
        minDrop: b.minDrop !== undefined ? parseUnits(b.minDrop, b.decimals ?? 18) : 0n,
        ...(unitOf(b.token, b.decimals) !== undefined ? { unit: unitOf(b.token, b.decimals) as NonNullable<WatchTarget["unit"]> } : {}),
      });
    }
    if (!w.positions) continue;
    for (const r of reads.filter((x) => x.protocolId === protocol.id)) {
      watchedPositions.push({
        protocolId: protocol.id,
        token: contractOf(r.spec),
        holder: r.spec.holder,
        label: `${protocol.name}: operator position ${r.spec.kind} of ${r.spec.holder}${r.chainId !== undefined ? ` on chain ${r.chainId}` : ""}`,
        dropBps,
        windowBlocks: windowBlocksOn(windowBlocks, r.chainId, chains),
        ...(r.chainId !== undefined ? { chainId: r.chainId } : {}),
        minDrop: 0n,
        positionId: r.id,
        ...cumulative,
        ...(unitOf(positions[r.index]?.asset ?? "") !== undefined ? { unit: unitOf(positions[r.index]?.asset ?? "") as NonNullable<WatchTarget["unit"]> } : {}),
      });
    }
  }
  return { balances, positions: watchedPositions };
}
