/**
 * The claims side of the position readers: a position's loss in an incident = its value at the
 * last block before the incident minus its value now, both read by the exploit watch's reader
 * (`measurePositionLoss`, pinned blocks). For a drain the watch saw, the block before is the
 * drain's first observation; otherwise the last block whose timestamp is before `occurredAt`
 * (binary search over block timestamps, cached per time).
 *
 * A position with no reader (no `position` in its config) returns `undefined`: the claim then
 * asks the position's configured size. A position WITH a reader whose read fails throws: the
 * claim is not filed this tick (a claim amount is never made up).
 */
import type { Provider } from "ethers";
import type { KeeperConfig } from "../config";
import type { Logger } from "../lib/logger";
import type { ClaimPosition, PositionLoss, PositionLossMeasurer } from "../policy/claims";
import type { ExploitWatch } from "./exploitWatch";

export interface WatchLossMeasurerDeps {
  readonly watch: Pick<ExploitWatch, "positionReads" | "measurePositionLoss" | "storedSignals">;
  readonly provider: Pick<Provider, "getBlock" | "getBlockNumber">;
  readonly config: Pick<KeeperConfig, "positions">;
  readonly logger: Logger;
}

export class WatchLossMeasurer implements PositionLossMeasurer {
  private readonly blockBefore = new Map<number, number>();

  constructor(private readonly deps: WatchLossMeasurerDeps) {}

  async measureLoss(position: ClaimPosition, incident: { readonly protocolId: string; readonly occurredAt: number }): Promise<PositionLoss | undefined> {
    const { deps } = this;
    const index = deps.config.positions.findIndex(
      (p) => p.protocol === position.protocolId && same(p.asset, position.asset) && same(p.beneficiary, position.beneficiary),
    );
    const read = deps.watch.positionReads().find((r) => r.index === index);
    if (index < 0 || read === undefined) return undefined;
    const drain = deps.watch
      .storedSignals()
      .map((s) => s.signal)
      .filter((s) => s.protocolId === incident.protocolId && s.drain !== undefined && Math.abs(s.occurredAt - incident.occurredAt) <= 3 * 86_400)
      .sort((a, b) => a.occurredAt - b.occurredAt)[0];
    const before = drain?.drain?.before.block ?? (await this.lastBlockBefore(incident.occurredAt));
    const after = await deps.provider.getBlockNumber();
    if (before >= after) throw new Error(`position ${read.id}: no block after the incident yet (before ${before}, head ${after})`);
    const measured = await deps.watch.measurePositionLoss(read.id, before, after);
    deps.logger.info({ position: read.id, before: measured.before, after: measured.after, loss: measured.loss.toString() }, "position loss measured");
    return {
      loss: measured.loss,
      derivation: {
        method: "measured",
        valueBefore: measured.before.value.toString(),
        valueAfter: measured.after.value.toString(),
        blockBefore: measured.before.block,
        blockAfter: measured.after.block,
        source: `${read.id} (${read.spec.kind} reader${drain !== undefined ? `, before the drain ${drain.sourceId}` : ""})`,
      },
    };
  }

  /** The last block with a timestamp before `at` (binary search; genesis when none). */
  private async lastBlockBefore(at: number): Promise<number> {
    const cached = this.blockBefore.get(at);
    if (cached !== undefined) return cached;
    let lo = 0;
    let hi = await this.deps.provider.getBlockNumber();
    const timeOf = async (n: number): Promise<number> => {
      const block = await this.deps.provider.getBlock(n);
      if (block === null) throw new Error(`block ${n} unavailable`);
      return block.timestamp;
    };
    if ((await timeOf(hi)) < at) return hi;
    while (lo < hi) {
      const mid = Math.ceil((lo + hi) / 2);
      if ((await timeOf(mid)) < at) lo = mid;
      else hi = mid - 1;
    }
    this.blockBefore.set(at, lo);
    return lo;
  }
}

function same(a: string, b: string): boolean {
  return a.toLowerCase() === b.toLowerCase();
}
