/** Claim filing: the time of loss a claim names, and a failed filing in the operator's words. */
import { keeperCommand } from "../../lib/format";
import type { OnChainCoverage } from "../../policy/coverage";

/** The claim's time of loss: the incident's `occurredAt`, clamped into the coverage's term and not after now (the fund rejects either). */
export function incidentAtFor(coverage: Pick<OnChainCoverage, "start" | "end">, occurredAt: number, now: number): number {
  return Math.max(coverage.start, Math.min(occurredAt, coverage.end, now));
}

/** Turns a decoded revert into what the operator must fix. */
export function fileFailureReason(error: string): string {
  if (/FundNotBeneficiaryOrAgent/.test(error)) return `the keeper is not the beneficiary's agent (${error}) — the beneficiary runs \`${keeperCommand("set-agent")}\` with its key (BENEFICIARY_PRIVATE_KEY)`;
  if (/insufficient funds/i.test(error)) return `the keeper has too little ETH for the claim deposit and gas (${error}) — send ETH to it`;
  if (/FundClaimDeposit|deposit/i.test(error)) return `claim deposit rejected (${error})`;
  return error;
}
