/**
 * The only code that signs risk pushes: one `updateProtocolRisks` transaction per chunk.
 * Each chunk is simulated first (`staticCall`); a simulated revert is decoded with the fund's
 * ABI into a readable line (e.g. `FundRiskDecreaseTooFast(protocol=0x…, current=80, …)`) and the
 * chunk is skipped, so one bad chunk never blocks the others. `dryRun` sends nothing.
 */
import type { Interface } from "ethers";
import type { PlannedPush } from "../policy/riskPush";
import { toRiskUpdates } from "../policy/riskPush";
import type { IStablecoinInsuranceFund, StablecoinInsuranceFund } from "../../../typechain-types/contracts/StablecoinInsuranceFund";
import type { Logger } from "../app/logger";

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
}

export class RiskPusher {
  private readonly confirmations: number;

  /** `fund` must be connected to a signer holding RISK_ORACLE_ROLE (unless only dry runs are made). */
  constructor(
    private readonly fund: StablecoinInsuranceFund,
    private readonly logger: Logger,
    options: RiskPusherOptions = {},
  ) {
    this.confirmations = options.confirmations ?? 1;
  }

  async push(chunks: readonly (readonly PlannedPush[])[], options: { dryRun?: boolean } = {}): Promise<PushResult> {
    const dryRun = options.dryRun === true;
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
      const fail = (stage: FailedChunk["stage"], err: unknown): void => {
        const error = describeContractError(err, this.fund.interface);
        failures.push({ chunkIndex, items: chunk.length, protocols, error, stage });
        this.logger.error({ chunkIndex, items: chunk.length, stage, error, protocols }, "risk push chunk failed");
      };

      try {
        await this.fund.updateProtocolRisks.staticCall(updates);
      } catch (err) {
        fail("simulate", err);
        continue;
      }
      let response;
      try {
        response = await this.fund.updateProtocolRisks(updates);
      } catch (err) {
        fail("send", err);
        continue;
      }
      this.logger.info({ chunkIndex, items: chunk.length, hash: response.hash }, "risk push sent");
      try {
        const receipt = await response.wait(this.confirmations);
        if (receipt === null) throw new Error(`no receipt for ${response.hash}`);
        transactions.push({ hash: receipt.hash, blockNumber: receipt.blockNumber, gasUsed: receipt.gasUsed, items: chunk.length });
        itemsPushed += chunk.length;
        gasUsed += receipt.gasUsed;
        this.logger.info(
          { chunkIndex, hash: receipt.hash, block: receipt.blockNumber, gasUsed: receipt.gasUsed.toString() },
          "risk push confirmed",
        );
      } catch (err) {
        fail("receipt", err);
      }
    }
    return { dryRun, transactions, failures, itemsPushed, itemsPlanned, gasUsed };
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

/**
 * A readable line for a failed call: the decoded custom error with its arguments when the revert
 * data matches the fund's ABI, else the provider's short message.
 */
export function describeContractError(err: unknown, iface: Interface): string {
  const data = findRevertData(err);
  if (data !== undefined && data !== "0x") {
    try {
      const parsed = iface.parseError(data);
      if (parsed !== null) {
        const args = parsed.fragment.inputs.map((input, i) => `${input.name || `arg${i}`}=${formatArg(parsed.args[i])}`);
        return `${parsed.name}(${args.join(", ")})`;
      }
    } catch {
      // not one of the fund's errors: fall through to the message
    }
    return `reverted with unknown data ${data.slice(0, 74)}`;
  }
  if (err instanceof Error) {
    const short = (err as { shortMessage?: unknown }).shortMessage;
    return typeof short === "string" ? short : err.message.split("\n")[0] ?? err.message;
  }
  return String(err);
}

/** Revert data sits in different places depending on the provider and ethers' wrapping. */
function findRevertData(err: unknown): string | undefined {
  const seen = new Set<unknown>();
  const visit = (value: unknown, depth: number): string | undefined => {
    if (depth > 5 || value === null || typeof value !== "object" || seen.has(value)) return undefined;
    seen.add(value);
    const record = value as Record<string, unknown>;
    const data = record["data"];
    if (typeof data === "string" && /^0x[0-9a-fA-F]*$/.test(data)) return data;
    for (const key of ["data", "error", "info", "cause", "revert"]) {
      const found = visit(record[key], depth + 1);
      if (found !== undefined) return found;
    }
    return undefined;
  };
  return visit(err, 0);
}

function formatArg(value: unknown): string {
  if (typeof value === "bigint") return value.toString();
  if (Array.isArray(value)) return `[${value.map(formatArg).join(", ")}]`;
  return String(value);
}
