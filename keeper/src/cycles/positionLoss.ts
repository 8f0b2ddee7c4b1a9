/**
 * The claims side of the position readers: a position's loss in an incident, measured by its
 * kind's rule (policy/positionLossRule.ts; docs/keeper.md "How the keeper measures a loss")
 * between two blocks:
 *
 * - before: the drain's first observation when the exploit watch saw one (the block before the
 *   balance started to fall); otherwise the last block whose timestamp is before `occurredAt`
 *   (binary search over block timestamps, cached per time);
 * - after: the END OF THE DRAIN WINDOW (`drainWindowEnd`): the last block at which the watch saw
 *   one of the incident's drains; else the block of the exploit transaction a signal named; else
 *   the last block within `drainWindowSec` after `occurredAt` (not yet reached: the claim waits).
 *   Never the chain head at filing time: what the operator does after the alert is not the loss.
 *
 * A position with no reader (no `position` in its config) returns `undefined`: the claim then
 * asks the position's configured size, which waits for the operator. A position WITH a reader
 * whose read fails (or whose kind has no measure) throws: the claim is held with a critical alert
 * (a claim amount is never made up).
 */
import type { Provider } from "ethers";
import type { KeeperConfig } from "../config";
import type { Logger } from "../lib/logger";
import type { ClaimPosition, LossIncident, PositionLoss, PositionLossMeasurer } from "../policy/claims";
import { drainWindowEnd } from "../policy/positionLossRule";
import type { MeasuredIncidentLoss } from "../sources/positions/incidentLoss";
import type { PositionRead } from "../sources/positions";
import type { ExploitWatch } from "./exploitWatch";

/** Default fallback drain window after `occurredAt` when no drain was watched and no exploit transaction is known (seconds). */
export const DEFAULT_DRAIN_WINDOW_SEC = 3_600;

/** The measure of a loss by kind (sources/positions/incidentLoss.ts). */
export interface IncidentLossMeasure {
  measure(position: PositionRead, before: number, after: number, options?: { latest?: number }): Promise<MeasuredIncidentLoss>;
}

export interface WatchLossMeasurerDeps {
  readonly watch: Pick<ExploitWatch, "positionReads" | "storedSignals">;
  readonly provider: Pick<Provider, "getBlock" | "getBlockNumber" | "getTransactionReceipt">;
  readonly config: Pick<KeeperConfig, "positions">;
  readonly measure: IncidentLossMeasure;
  /** The fund's chain, where the reads of its positions are made (recorded in the evidence). */
  readonly chainId?: number;
  /** Positions on other chains (`chains.<id>`): each chain's blocks, exploit transactions and loss reads. */
  readonly remote?: ReadonlyMap<number, { readonly provider: WatchLossMeasurerDeps["provider"]; readonly measure: IncidentLossMeasure }>;
  readonly drainWindowSec?: number;
  readonly logger: Logger;
}

/** The id of a claim position: its reader's id, or `protocol:asset:beneficiary` when it has no reader. */
export function claimPositionId(config: Pick<KeeperConfig, "positions">, reads: readonly { index: number; id: string }[], position: ClaimPosition): string {
  const index = config.positions.findIndex((p) => p.protocol === position.protocolId && same(p.asset, position.asset) && same(p.beneficiary, position.beneficiary));
  return reads.find((r) => r.index === index)?.id ?? `${position.protocolId}:${position.asset.toLowerCase()}:${position.beneficiary.toLowerCase()}`;
}

/** The loss cannot be measured YET (the drain window is still open): no claim and no alert this tick. */
export class LossNotReadyError extends Error {}

export class WatchLossMeasurer implements PositionLossMeasurer {
  /** Per chain ("fund" or the id): unix time → the last block before it. */
  private readonly blockBefore = new Map<string, number>();

  constructor(private readonly deps: WatchLossMeasurerDeps) {}

  positionIdOf(position: ClaimPosition): string {
    return claimPositionId(this.deps.config, this.deps.watch.positionReads(), position);
  }

  async measureLoss(position: ClaimPosition, incident: LossIncident): Promise<PositionLoss | undefined> {
    const { deps } = this;
    const index = deps.config.positions.findIndex(
      (p) => p.protocol === position.protocolId && same(p.asset, position.asset) && same(p.beneficiary, position.beneficiary),
    );
    const read = deps.watch.positionReads().find((r) => r.index === index);
    if (index < 0 || read === undefined) return undefined;
    const chain = this.chainOf(read.chainId);
    // Only drains watched on the position's own chain give its blocks.
    const drains = deps.watch
      .storedSignals()
      .map((s) => s.signal)
      .filter((s) => s.protocolId === incident.protocolId && s.drain !== undefined && s.drain.chainId === read.chainId && Math.abs(s.occurredAt - incident.occurredAt) <= 3 * 86_400)
      .sort((a, b) => a.occurredAt - b.occurredAt);
    const first = drains[0];
    const before = first?.drain?.before.block ?? (await this.lastBlockBefore(chain, incident.occurredAt));
    const head = await chain.provider.getBlockNumber();
    // The exploit transaction counts on the position's chain only (its receipt is found there).
    const exploitTxBlock = await this.exploitTxBlock(chain, incident.exploitTxHash);
    const windowSec = deps.drainWindowSec ?? DEFAULT_DRAIN_WINDOW_SEC;
    const end = drainWindowEnd({
      watchDrainEnds: drains.map((d) => d.drain?.after.block as number),
      ...(exploitTxBlock !== undefined ? { exploitTxBlock } : {}),
      ...(drains.length === 0 && exploitTxBlock === undefined ? { timeWindowEnd: await this.lastBlockAtOrBefore(chain, incident.occurredAt + windowSec) } : {}),
      head,
    });
    if ("wait" in end) throw new LossNotReadyError(`position ${read.id}: ${end.wait}`);
    const after = end.block;
    if (before >= after) throw new Error(`position ${read.id}: no block after the incident yet (before ${before}, drain window end ${after})`);
    const measured = await chain.measure.measure(read, before, after, { latest: head });
    deps.logger.info({ position: read.id, rule: measured.rule, before, after: measured.blockAfter, loss: measured.loss.toString(), ...(measured.measuredOnNodes !== undefined ? { measuredOnNodes: measured.measuredOnNodes } : {}) }, "position loss measured");
    const afterIs =
      end.by === "watch-drain-end"
        ? `end of the drain window: the last block the exploit watch saw the drain at (${drains.map((d) => d.sourceId).join(", ")})`
        : end.by === "exploit-tx"
          ? `end of the drain window: the block of the exploit transaction ${incident.exploitTxHash ?? ""}`
          : `end of the drain window: the last block within ${windowSec} s after the incident (no drain watched, no exploit transaction known)`;
    return {
      loss: measured.loss,
      derivation: {
        method: "measured",
        valueBefore: measured.valueBefore.toString(),
        valueAfter: measured.valueAfter.toString(),
        blockBefore: before,
        // Two nodes measure at the later block both have, which may be below the window's end.
        blockAfter: measured.blockAfter,
        source: `${read.id} (${read.spec.kind}, ${measured.rule} rule${first !== undefined ? `, before the drain ${first.sourceId}` : ""})${nodesNote(measured.measuredOnNodes)}`,
        positionId: read.id,
        rule: measured.rule,
        formula: measured.formula,
        ...(chain.chainId !== undefined ? { chainId: chain.chainId } : {}),
        blockBeforeIs: first !== undefined ? `the exploit watch's last observation before the drain ${first.sourceId}` : "the last block before the incident's time",
        blockAfterIs: afterIs,
        reads: measured.reads,
      },
    };
  }

  /** The provider, loss measure and chain id of the chain a position lives on. */
  private chainOf(chainId: number | undefined): LossChainSide {
    if (chainId === undefined) return { key: "fund", provider: this.deps.provider, measure: this.deps.measure, ...(this.deps.chainId !== undefined ? { chainId: this.deps.chainId } : {}) };
    const remote = this.deps.remote?.get(chainId);
    if (remote === undefined) throw new Error(`chain ${chainId}: no reader configured — add chains."${chainId}" with its rpcUrls`);
    return { key: String(chainId), provider: remote.provider, measure: remote.measure, chainId };
  }

  private async exploitTxBlock(chain: LossChainSide, hash: string | undefined): Promise<number | undefined> {
    if (hash === undefined) return undefined;
    const receipt = await chain.provider.getTransactionReceipt(hash);
    return receipt?.blockNumber ?? undefined;
  }

  /** The last block with a timestamp at or before `at` (the head when `at` is later). */
  private async lastBlockAtOrBefore(chain: LossChainSide, at: number): Promise<number> {
    return this.lastBlockBefore(chain, at + 1);
  }

  /** The last block of `chain` with a timestamp before `at` (binary search; genesis when none). */
  private async lastBlockBefore(chain: LossChainSide, at: number): Promise<number> {
    const cacheKey = `${chain.key}:${at}`;
    const cached = this.blockBefore.get(cacheKey);
    if (cached !== undefined) return cached;
    let lo = 0;
    let hi = await chain.provider.getBlockNumber();
    const timeOf = async (n: number): Promise<number> => {
      const block = await chain.provider.getBlock(n);
      if (block === null) throw new Error(`block ${n} unavailable`);
      return block.timestamp;
    };
    if ((await timeOf(hi)) < at) return hi;
    while (lo < hi) {
      const mid = Math.ceil((lo + hi) / 2);
      if ((await timeOf(mid)) < at) lo = mid;
      else hi = mid - 1;
    }
    this.blockBefore.set(cacheKey, lo);
    return lo;
  }
}

/** How many RPC nodes the measure used, for the derivation's source. */
function nodesNote(nodes: number | undefined): string {
  if (nodes === undefined) return "";
  return nodes >= 2 ? `; agreed by ${nodes} RPC nodes` : "; one RPC node answered (not cross-checked)";
}

interface LossChainSide {
  readonly key: string;
  readonly provider: WatchLossMeasurerDeps["provider"];
  readonly measure: IncidentLossMeasure;
  readonly chainId?: number;
}

function same(a: string, b: string): boolean {
  return a.toLowerCase() === b.toLowerCase();
}

/** An amount the operator set for a held claim (`keeper claim file`), stored in kv under `operatorAmountKey`. */
export interface OperatorAmount {
  /** Asset units (decimal string). */
  readonly amount: string;
  /** The operator's signer address, or "operator via CLI". */
  readonly setBy: string;
  /** Unix seconds. */
  readonly setAt: number;
  readonly note?: string;
  /** The reason the claim was held, when it was. */
  readonly heldBecause?: string;
}

export function operatorAmountKey(incidentId: number, positionId: string): string {
  return `claims:operatorAmount:${incidentId}:${positionId.toLowerCase()}`;
}
