/**
 * Risk pushes: one `updateProtocolRisks` transaction per chunk, sent through the TxSender (the
 * keeper's only signing path: simulation, journal, nonce, fees, replacement). A simulated revert
 * is decoded with the fund's ABI into a readable line (e.g. `FundRiskDecreaseTooFast(protocol=0x…,
 * current=80, …)`) and the chunk is skipped, so one bad chunk never blocks the others. `dryRun`
 * sends nothing and needs no key.
 */
import { keccak256 } from "ethers";
import type { TxSender } from "./txSender";
import type { PlannedPush } from "../policy/riskPush";
import { toRiskUpdates } from "../policy/riskPush";
import type { IStablecoinInsuranceFund, StablecoinInsuranceFund } from "../../../typechain-types/contracts/StablecoinInsuranceFund";
import type { Logger } from "../lib/logger";

export interface PushedTransaction {
  readonly hash: string;
  readonly blockNumber: number;
  readonly gasUsed: bigint;
  readonly items: number;
}

export interface FailedChunk {
  readonly chunkIndex: number;
  readonly items: number;
  readonly protocols: readonly string[];
  /** Decoded revert or error text. */
  readonly error: string;
  readonly stage: "simulate" | "send" | "receipt";
}

export interface PushResult {
  readonly dryRun: boolean;
  readonly transactions: readonly PushedTransaction[];
  readonly failures: readonly FailedChunk[];
  /** Items confirmed on-chain (0 in a dry run). */
  readonly itemsPushed: number;
  /** Items that a dry run would have sent. */
  readonly itemsPlanned: number;
  readonly gasUsed: bigint;
}

export interface RiskPusherOptions {
  /** Blocks to wait for after each transaction (default 1). */
  readonly confirmations?: number;
  /**
   * The keeper's one signing path (the container's TxSender, journaled in the state database).
   * Required for a real push; a pusher without it can only dry-run.
   */
  readonly txSender?: TxSender;
}

export class RiskPusher {
  private readonly confirmations: number;
  private readonly txSender: TxSender | undefined;

  /** `fund` gives the address and ABI; signing happens only in `options.txSender`. */
  constructor(
    private readonly fund: StablecoinInsuranceFund,
    private readonly logger: Logger,
    options: RiskPusherOptions = {},
  ) {
    this.confirmations = options.confirmations ?? 1;
    this.txSender = options.txSender;
  }

  /**
   * `cycleKey` (e.g. the cycle's chain time) scopes the idempotency keys: the same chunk of the
   * same cycle is never sent twice, even across a restart.
   */
  async push(
    chunks: readonly (readonly PlannedPush[])[],
    options: { dryRun?: boolean; cycleKey?: string } = {},
  ): Promise<PushResult> {
    const dryRun = options.dryRun === true;
    const cycleKey = options.cycleKey ?? `t${Date.now()}`;
    const transactions: PushedTransaction[] = [];
    const failures: FailedChunk[] = [];
    const itemsPlanned = chunks.reduce((n, chunk) => n + chunk.length, 0);
    let itemsPushed = 0;
    let gasUsed = 0n;

    for (const [chunkIndex, chunk] of chunks.entries()) {
      const updates = toFundUpdates(chunk);
      const protocols = chunk.map((p) => p.protocol);
      if (dryRun) {
        this.logger.info(
          { chunkIndex, items: chunk.length, pushes: chunk.map(describePush) },
          "dry run: would send updateProtocolRisks",
        );
        continue;
      }
      const fail = (stage: FailedChunk["stage"], error: string): void => {
        failures.push({ chunkIndex, items: chunk.length, protocols, error, stage });
        this.logger.error({ chunkIndex, items: chunk.length, stage, error, protocols }, "risk push chunk failed");
      };

      const data = this.fund.interface.encodeFunctionData("updateProtocolRisks", [updates]);
      const result = await (await this.sender()).send(
        {
          kind: "risk-push",
          key: `risk-push:${cycleKey}:${chunkIndex}:${keccak256(data).slice(2, 18)}`,
          to: await this.fund.getAddress(),
          data,
          // `at` (chain time of the cycle) and the values let the dashboard chart on-chain pushes.
          payload: { chunkIndex, protocols, at: /^\d+$/.test(cycleKey) ? Number(cycleKey) : undefined, values: chunk.map((p) => ({ protocol: p.protocol, ...p.values })) },
        },
        { confirmations: this.confirmations },
      );
      switch (result.status) {
        case "confirmed":
          transactions.push({ hash: result.hash, blockNumber: result.blockNumber, gasUsed: result.gasUsed, items: chunk.length });
          itemsPushed += chunk.length;
          gasUsed += result.gasUsed;
          this.logger.info(
            { chunkIndex, hash: result.hash, block: result.blockNumber, gasUsed: result.gasUsed.toString() },
            "risk push confirmed",
          );
          break;
        case "failed":
          fail(result.stage === "simulate" ? "simulate" : result.stage === "receipt" ? "receipt" : "send", result.error);
          break;
        case "pending":
          fail("receipt", `not mined yet (${result.hash}); the journal keeps it and reconcile settles it`);
          break;
        case "skipped":
          this.logger.info({ chunkIndex, state: result.state, hash: result.hash }, "risk push chunk already sent: skipped");
          break;
        case "dry-run":
          break;
      }
    }
    return { dryRun, transactions, failures, itemsPushed, itemsPlanned, gasUsed };
  }

  private async sender(): Promise<TxSender> {
    if (this.txSender === undefined) {
      throw new Error("RiskPusher: no TxSender — risk pushes are signed only through the keeper's TxSender (container.txSender()); without one only dry runs are possible");
    }
    return this.txSender;
  }
}

/** The policy's items in the fund's `RiskUpdate` struct shape. */
export function toFundUpdates(chunk: readonly PlannedPush[]): IStablecoinInsuranceFund.RiskUpdateStruct[] {
  return toRiskUpdates(chunk).map((u) => ({
    protocol: u.protocol,
    tvlStability: u.tvl,
    auditQuality: u.audit,
    timeSinceDeployment: u.time,
    exploitHistory: u.exploit,
    teamReputation: u.team,
  }));
}

function describePush(push: PlannedPush): Record<string, unknown> {
  return {
    protocol: push.protocol,
    values: push.values,
    target: push.target,
    current: push.current,
    reasons: push.reasons,
    stepped: push.stepped,
  };
}

/** Kept for existing imports: the decoder lives in ./revertDecoder. */
export { describeContractError } from "./revertDecoder";
