/**
 * The I/O edge of the exploit watch's leading signals: which contracts and feeds each protocol
 * configures (`protocols[].watch.adminContracts`, `announced`, `pegOracle`), the one `eth_getLogs`
 * filter over every admin contract and admin event topic, the decoding of those logs (OpenZeppelin
 * event shapes: ERC-1967 `Upgraded(address indexed)`, `AdminChanged(address,address)` not indexed,
 * `BeaconUpgraded(address indexed)`; Ownable `OwnershipTransferred(address indexed,address indexed)`;
 * AccessControl `RoleGranted(bytes32 indexed,address indexed,address indexed)`; Pausable
 * `Paused(address)` not indexed), and the price-feed calls added to the tick's multicall
 * (AggregatorV3Interface `latestRoundData()` and `decimals()`). The rules are pure
 * (policy/leadingSignals.ts).
 */
import { AbiCoder, getAddress, id as topicOf, Interface } from "ethers";
import type { ProtocolConfig, WatchConfig } from "../config";
import type { AdminEvent, AdminEventName, AdminWatchRule, OracleRound, PegRule } from "../policy/leadingSignals";
import type { Call3, CallResult } from "./positions/multicall";
import { chainKeyOf } from "./positions/positionReader";

export const ADMIN_EVENT_TOPICS: ReadonlyMap<string, AdminEventName> = new Map([
  [topicOf("Upgraded(address)"), "Upgraded"],
  [topicOf("AdminChanged(address,address)"), "AdminChanged"],
  [topicOf("BeaconUpgraded(address)"), "BeaconUpgraded"],
  [topicOf("OwnershipTransferred(address,address)"), "OwnershipTransferred"],
  [topicOf("RoleGranted(bytes32,address,address)"), "RoleGranted"],
  [topicOf("Paused(address)"), "Paused"],
]);

export const AGGREGATOR_V3 = new Interface([
  "function latestRoundData() view returns (uint80 roundId, int256 answer, uint256 startedAt, uint256 updatedAt, uint80 answeredInRound)",
  "function decimals() view returns (uint8)",
]);

export interface LeadingTargets {
  /** Per protocol and chain with admin contracts (`chainId` undefined: the fund's chain). */
  readonly admin: readonly (AdminWatchRule & { readonly chainId?: number })[];
  /** Per protocol with a peg oracle (read in its chain's batch). */
  readonly oracles: readonly (PegRule & { readonly aggregator: string; readonly chainId?: number })[];
  /** Every configured admin contract (checksummed), for the one log filter of each chain: by `chainKeyOf(chainId)`. */
  readonly adminAddresses: ReadonlyMap<string, readonly string[]>;
}

export function leadingTargetsOf(protocols: readonly ProtocolConfig[], defaults: WatchConfig): LeadingTargets {
  const admin: (AdminWatchRule & { chainId?: number })[] = [];
  const oracles: (PegRule & { aggregator: string; chainId?: number })[] = [];
  const addresses = new Map<string, Set<string>>();
  for (const p of protocols) {
    const w = p.watch;
    if (w === undefined) continue;
    // One rule per chain the protocol's admin contracts live on (each chain's logs are its own).
    const chains = [...new Set(w.adminContracts.map((c) => c.chainId))];
    for (const chainId of chains) {
      const here = w.adminContracts.filter((c) => c.chainId === chainId);
      const where = chainId !== undefined ? ` (chain ${chainId})` : "";
      admin.push({
        protocolId: p.id,
        protocolName: p.name,
        ...(chainId !== undefined ? { chainId } : {}),
        contracts: new Map(here.map((c) => [c.address.toLowerCase(), { label: `${c.label ?? `${p.name} contract ${c.address}`}${where}`, adminRoles: c.adminRoles.map((r) => r.toLowerCase()) }])),
        announced: w.announced.map((a) => ({
          account: a.account,
          ...(a.contract !== undefined ? { contract: a.contract } : {}),
          ...(a.event !== undefined ? { event: a.event } : {}),
          ...(a.until !== undefined ? { untilSec: Math.floor(Date.parse(a.until) / 1000) } : {}),
        })),
      });
      const key = chainKeyOf(chainId);
      const set = addresses.get(key) ?? new Set<string>();
      for (const c of here) set.add(getAddress(c.address));
      addresses.set(key, set);
    }
    if (w.pegOracle !== undefined) {
      const o = w.pegOracle;
      oracles.push({
        protocolId: p.id,
        aggregator: getAddress(o.aggregator),
        label: `${o.label ?? `${p.stablecoin ?? "stablecoin"}/USD feed ${o.aggregator}`}${o.chainId !== undefined ? ` (chain ${o.chainId})` : ""}`,
        pegMicro: BigInt(Math.round(o.peg * 1_000_000)),
        deviationBps: Math.round((o.deviationPercent ?? defaults.oracleDeviationPercent) * 100),
        staleAfterSec: o.heartbeatSec + defaults.oracleStaleGraceSec,
        ...(o.chainId !== undefined ? { chainId: o.chainId } : {}),
      });
    }
  }
  return { admin, oracles, adminAddresses: new Map([...addresses].map(([k, v]) => [k, [...v]])) };
}

/** The one log filter of a tick: every admin contract, any admin event topic. */
export function adminLogFilter(addresses: readonly string[], fromBlock: number, toBlock: number): { address: string[]; topics: string[][]; fromBlock: number; toBlock: number } {
  return { address: [...addresses], topics: [[...ADMIN_EVENT_TOPICS.keys()]], fromBlock, toBlock };
}

export interface RawLog {
  readonly address: string;
  readonly topics: readonly string[];
  readonly data: string;
  readonly blockNumber: number;
  readonly transactionHash: string;
  readonly index: number;
}

const coder = AbiCoder.defaultAbiCoder();
const topicAddress = (t: string | undefined): string => getAddress(`0x${(t ?? "").slice(26)}`);

/** Decodes one admin event log (undefined for another event or a malformed log); `timestamp` is its block's time. */
export function decodeAdminLog(log: RawLog, timestamp: number): AdminEvent | undefined {
  const name = ADMIN_EVENT_TOPICS.get((log.topics[0] ?? "").toLowerCase());
  if (name === undefined) return undefined;
  const base = { contract: getAddress(log.address), event: name, block: log.blockNumber, timestamp, txHash: log.transactionHash, logIndex: log.index };
  try {
    switch (name) {
      case "Upgraded":
      case "BeaconUpgraded":
        if (log.topics.length !== 2) return undefined;
        return { ...base, subject: topicAddress(log.topics[1]) };
      case "OwnershipTransferred":
        if (log.topics.length !== 3) return undefined;
        return { ...base, previous: topicAddress(log.topics[1]), subject: topicAddress(log.topics[2]) };
      case "RoleGranted":
        if (log.topics.length !== 4) return undefined;
        return { ...base, role: (log.topics[1] as string).toLowerCase(), subject: topicAddress(log.topics[2]), sender: topicAddress(log.topics[3]) };
      case "AdminChanged": {
        if (log.topics.length !== 1) return undefined;
        const [previous, next] = coder.decode(["address", "address"], log.data) as unknown as [string, string];
        return { ...base, previous: getAddress(previous), subject: getAddress(next) };
      }
      case "Paused": {
        if (log.topics.length !== 1) return undefined;
        const [account] = coder.decode(["address"], log.data) as unknown as [string];
        return { ...base, subject: getAddress(account) };
      }
    }
  } catch {
    return undefined;
  }
}

/** The multicall entries of one feed: latestRoundData, decimals. */
export function oracleCalls(aggregator: string): Call3[] {
  return [
    { target: aggregator, callData: AGGREGATOR_V3.encodeFunctionData("latestRoundData") },
    { target: aggregator, callData: AGGREGATOR_V3.encodeFunctionData("decimals") },
  ];
}

/** Decodes a feed's two results; a string says why it is unreadable (never a signal). */
export function decodeOracle(aggregator: string, results: readonly (CallResult | undefined)[]): OracleRound | string {
  const [round, decimals] = results;
  if (round === undefined || decimals === undefined || !round.success || !decimals.success) return "latestRoundData/decimals reverted";
  try {
    const [roundId, answer, , updatedAt] = AGGREGATOR_V3.decodeFunctionResult("latestRoundData", round.returnData) as unknown as [bigint, bigint, bigint, bigint, bigint];
    const [dec] = AGGREGATOR_V3.decodeFunctionResult("decimals", decimals.returnData) as unknown as [bigint];
    return { aggregator, roundId, answer, updatedAt: Number(updatedAt), decimals: Number(dec) };
  } catch (err) {
    return `undecodable answer: ${(err as Error).message}`;
  }
}
