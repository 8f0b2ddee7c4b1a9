/**
 * Claim-critical reads on two RPC nodes (issue 20 §3): with two or more RPC URLs on a chain, the
 * claims cycle acts on a measured loss and on a claim's status only when two nodes agree on them.
 *
 *  - `TwoNodeLossMeasure` is the loss measure the claims path uses on such a chain: the position
 *    kind's loss rule runs on two nodes at the same blocks (the block before the incident, and the
 *    drain window's end or the later block both nodes have). The claim carries those agreed
 *    values; when the nodes disagree it throws an `RpcDisagreementError` naming both nodes
 *    (redacted URLs) and their answers, and the claims cycle holds the claim (unfileable this
 *    tick, a critical alert) — never a claim amount one node made up. The loss is measured twice
 *    (once per node), never a third time on the preferred node alone.
 *  - `ClaimStatusCrossCheck` reads `fund.getClaim(id)`'s status and payout on two nodes before a
 *    settlement is sent; a disagreement refuses the settlement with a critical alert.
 *
 * One node: nothing to compare with; the container uses the plain `IncidentLossReader`.
 */
import { type JsonRpcProvider } from "ethers";
import { StablecoinInsuranceFund__factory } from "../../../typechain-types/factories/contracts/StablecoinInsuranceFund__factory";
import { FUND_CLAIM_STATUSES } from "../policy/claims";
import { IncidentLossReader, type MeasuredIncidentLoss, type PositionRead } from "../sources/positions";
import type { KeeperConfig } from "../config";
import type { IncidentLossMeasure } from "./positionLoss";

/** The part of the failover provider the cross-checks use (execution/rpc.ts). */
export interface AgreedReader {
  readAgreed<T>(what: string, read: (provider: JsonRpcProvider, blockTag: number) => Promise<T>, equal?: (a: T, b: T) => boolean): Promise<T>;
}

/** A position's loss in an incident as two nodes of one chain measure it alike. */
export class TwoNodeLossMeasure implements IncidentLossMeasure {
  constructor(
    private readonly rpc: AgreedReader,
    private readonly multicallAddress?: string,
  ) {}

  async measure(position: PositionRead, before: number, after: number, options: { latest?: number } = {}): Promise<MeasuredIncidentLoss> {
    let nodes = 0; // nodes that measured it: 2, or 1 when only one answered (nothing to compare)
    const agreed = await this.rpc.readAgreed(
      `the measured loss of ${position.id} (its kind's loss rule between blocks ${before} and ${after})`,
      async (provider, head) => {
        // A fresh loss reader per node: the same rule, the same blocks, nothing learned on one node reused on the other.
        const reader = new IncidentLossReader({ chain: provider, ...(this.multicallAddress !== undefined ? { multicallAddress: this.multicallAddress } : {}) });
        const common = Math.min(after, head);
        if (common <= before) throw new Error(`position ${position.id}: no block after the incident on both nodes yet (before ${before}, common head ${head})`);
        const latest = options.latest !== undefined ? Math.min(options.latest, head) : undefined;
        const m = await reader.measure(position, before, common, latest !== undefined ? { latest } : {});
        nodes += 1;
        return m;
      },
      (a, b) => a.loss === b.loss && a.valueBefore === b.valueBefore && a.valueAfter === b.valueAfter && a.blockAfter === b.blockAfter,
    );
    return { ...agreed, measuredOnNodes: nodes };
  }
}

/** Each other chain with two or more RPC URLs: its two-node loss measure. */
export function remoteTwoNodeMeasures(config: Pick<KeeperConfig, "chains">, providers: ReadonlyMap<number, unknown>): ReadonlyMap<number, TwoNodeLossMeasure> {
  const out = new Map<number, TwoNodeLossMeasure>();
  for (const [chainId, provider] of providers) {
    const c = config.chains[String(chainId)];
    const rpc = c === undefined ? undefined : agreedReaderOf(provider, c.rpcUrls);
    if (c !== undefined && rpc !== undefined) out.set(chainId, new TwoNodeLossMeasure(rpc, c.multicallAddress));
  }
  return out;
}

export interface AgreedClaimStatus {
  readonly status: string;
  readonly payout: bigint;
}

/** A fund claim's status and payout as two nodes agree on them (throws `RpcDisagreementError` otherwise). */
export class ClaimStatusCrossCheck {
  constructor(
    private readonly rpc: AgreedReader,
    private readonly fundAddress: string,
  ) {}

  claimStatus(claimId: bigint): Promise<AgreedClaimStatus> {
    return this.rpc.readAgreed(`the status of fund claim ${claimId}`, async (provider, blockTag) => {
      const claim = await StablecoinInsuranceFund__factory.connect(this.fundAddress, provider).getClaim(claimId, { blockTag });
      return { status: FUND_CLAIM_STATUSES[Number(claim.status)] ?? `status ${claim.status}`, payout: claim.payout };
    });
  }
}

/** The failover provider's cross-check when it has two or more URLs, else undefined. */
export function agreedReaderOf(provider: unknown, urls: readonly string[]): AgreedReader | undefined {
  if (urls.length < 2) return undefined;
  const candidate = provider as Partial<AgreedReader>;
  return typeof candidate.readAgreed === "function" ? (candidate as AgreedReader) : undefined;
}
