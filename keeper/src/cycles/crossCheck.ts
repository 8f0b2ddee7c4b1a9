/**
 * Claim-critical reads on two RPC nodes (issue 20 §3): with two or more `chain.rpcUrls`, the
 * claims cycle acts on a measured loss and on a claim's status only when two nodes agree on them.
 *
 *  - `CrossCheckedLossMeasurer` wraps the loss measurer: after it measured (the block before the
 *    incident and the drain window's end, on the preferred node), the kind's loss rule is run again
 *    on two nodes (`readAgreed`, same blocks: the window's end, or the later block both nodes have). The
 *    claim carries those agreed values; when the nodes disagree the measurer throws an
 *    `RpcDisagreementError` naming both nodes (redacted URLs) and their answers, and the claims
 *    cycle holds the claim (unfileable this tick, a critical alert) — never a claim amount one node
 *    made up.
 *  - `ClaimStatusCrossCheck` reads `fund.getClaim(id)`'s status and payout on two nodes before a
 *    settlement is sent; a disagreement refuses the settlement with a critical alert.
 *
 * One node: nothing to compare with; the wrappers are not installed (the container decides).
 */
import { type JsonRpcProvider } from "ethers";
import { StablecoinInsuranceFund__factory } from "../../../typechain-types/factories/contracts/StablecoinInsuranceFund__factory";
import type { Logger } from "../lib/logger";
import { FUND_CLAIM_STATUSES, type ClaimPosition, type LossIncident, type PositionLoss, type PositionLossMeasurer } from "../policy/claims";
import { IncidentLossReader, type ConfiguredPositionRead } from "../sources/positions";
import type { KeeperConfig } from "../config";

/** The part of the failover provider the cross-checks use (execution/rpc.ts). */
export interface AgreedReader {
  readAgreed<T>(what: string, read: (provider: JsonRpcProvider, blockTag: number) => Promise<T>, equal?: (a: T, b: T) => boolean): Promise<T>;
}

export interface CrossCheckedLossDeps {
  /** The fund chain's two-node reader (absent with one fund-chain URL: its positions are not cross-checked). */
  readonly rpc?: AgreedReader;
  /** Positions on other chains: that chain's two-node reader and Multicall3 (a chain with one URL is absent). */
  readonly remote?: ReadonlyMap<number, { readonly rpc: AgreedReader; readonly multicallAddress: string }>;
  /** The configured position reads (the exploit watch's). */
  readonly reads: () => readonly ConfiguredPositionRead[];
  readonly config: Pick<KeeperConfig, "positions" | "chain">;
  readonly logger: Logger;
}

export class CrossCheckedLossMeasurer implements PositionLossMeasurer {
  constructor(
    private readonly inner: PositionLossMeasurer,
    private readonly deps: CrossCheckedLossDeps,
  ) {}

  positionIdOf(position: ClaimPosition): string {
    return this.inner.positionIdOf?.(position) ?? this.readOf(position)?.id ?? `${position.protocolId}:${position.asset.toLowerCase()}:${position.beneficiary.toLowerCase()}`;
  }

  async measureLoss(position: ClaimPosition, incident: LossIncident, now: number): Promise<PositionLoss | undefined> {
    const measured = await this.inner.measureLoss(position, incident, now);
    if (measured === undefined || measured.derivation.method !== "measured") return measured;
    const { blockBefore, blockAfter } = measured.derivation;
    const read = this.readOf(position);
    if (read === undefined || blockBefore === undefined || blockAfter === undefined) return measured;
    const { deps } = this;
    const side = read.chainId === undefined ? (deps.rpc !== undefined ? { rpc: deps.rpc, multicallAddress: deps.config.chain.multicallAddress } : undefined) : deps.remote?.get(read.chainId);
    if (side === undefined) return measured; // one node on that chain: nothing to compare with
    const agreed = await side.rpc.readAgreed(
      `the measured loss of ${read.id} (its kind's loss rule between blocks ${blockBefore} and ${blockAfter})`,
      async (provider, head) => {
        // A fresh loss reader per node: the same rule, the same blocks, nothing learned on one node reused on the other.
        const reader = new IncidentLossReader({ chain: provider, ...(side.multicallAddress !== undefined ? { multicallAddress: side.multicallAddress } : {}) });
        const after = Math.min(blockAfter, head);
        if (after <= blockBefore) throw new Error(`position ${read.id}: no block after the incident on both nodes yet (before ${blockBefore}, common head ${head})`);
        const m = await reader.measure(read, blockBefore, after, { latest: head });
        return { loss: m.loss, valueBefore: m.valueBefore, valueAfter: m.valueAfter, blockAfter: after, reads: m.reads };
      },
      (a, b) => a.loss === b.loss && a.valueBefore === b.valueBefore && a.valueAfter === b.valueAfter && a.blockAfter === b.blockAfter,
    );
    if (agreed.loss !== measured.loss) deps.logger.info({ position: read.id, measured: measured.loss.toString(), agreed: agreed.loss.toString(), blockAfter: agreed.blockAfter }, "loss cross-checked on two nodes at a common block");
    return {
      loss: agreed.loss,
      derivation: {
        ...measured.derivation,
        valueBefore: agreed.valueBefore.toString(),
        valueAfter: agreed.valueAfter.toString(),
        blockAfter: agreed.blockAfter,
        reads: agreed.reads,
        source: `${measured.derivation.source}; agreed by two RPC nodes`,
      },
    };
  }

  private readOf(position: ClaimPosition): ConfiguredPositionRead | undefined {
    const same = (a: string, b: string): boolean => a.toLowerCase() === b.toLowerCase();
    const index = this.deps.config.positions.findIndex((p) => p.protocol === position.protocolId && same(p.asset, position.asset) && same(p.beneficiary, position.beneficiary));
    return index < 0 ? undefined : this.deps.reads().find((r) => r.index === index);
  }
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
/** Each other chain with two or more RPC URLs: its two-node reader and Multicall3. */
export function remoteAgreedReaders(
  config: Pick<KeeperConfig, "chains" | "chain">,
  providers: ReadonlyMap<number, unknown>,
): ReadonlyMap<number, { readonly rpc: AgreedReader; readonly multicallAddress: string }> {
  const out = new Map<number, { rpc: AgreedReader; multicallAddress: string }>();
  for (const [chainId, provider] of providers) {
    const c = config.chains[String(chainId)];
    const rpc = c === undefined ? undefined : agreedReaderOf(provider, c.rpcUrls);
    if (c !== undefined && rpc !== undefined) out.set(chainId, { rpc, multicallAddress: c.multicallAddress });
  }
  return out;
}

export function agreedReaderOf(provider: unknown, urls: readonly string[]): AgreedReader | undefined {
  if (urls.length < 2) return undefined;
  const candidate = provider as Partial<AgreedReader>;
  return typeof candidate.readAgreed === "function" ? (candidate as AgreedReader) : undefined;
}
