/** Claim rows: their states, and how plans and rows appear in the cycle's summary. */
import type { ClaimDerivation, ClaimPlan } from "../../policy/claims";
import type { ClaimRecord } from "../../state/claims";
import type { ClaimsCycleSummary } from "./types";

/** Claim rows in these states count as filed (never filed again for the same incident and coverage). */
export const FILED_STATES = ["filed", "settled", "paid", "denied", "draw", "expired", "withdrawn", "vetoed", "done"];
/** Claim rows still waiting on the keeper (shown by `keeper status`). */
export const OPEN_ROW_STATES = ["scheduled", "filed", "unfileable", "blocked"];

/** The fund claim ids the claim rows know. */
export function fundClaimIdsOf(rows: readonly ClaimRecord[]): bigint[] {
  return rows.filter((r) => r.fundClaimId !== undefined).map((r) => BigInt(r.fundClaimId as string));
}

/** Each incident's amount derivations over its file-now and scheduled plans (for the evidence pack). */
export function derivationsByIncident(plans: readonly ClaimPlan[]): Map<string, (ClaimDerivation & { coverId: bigint })[]> {
  const byIncident = new Map<string, (ClaimDerivation & { coverId: bigint })[]>();
  for (const plan of plans) {
    if (plan.kind === "file-now" || plan.kind === "schedule") {
      byIncident.set(plan.incidentKey, [...(byIncident.get(plan.incidentKey) ?? []), { ...plan.derivation, coverId: plan.coverId }]);
    }
  }
  return byIncident;
}

/** A plan as the summary shows it. */
export function planReport(plan: ClaimPlan): ClaimsCycleSummary["plans"][number] {
  return {
    kind: plan.kind,
    incidentKey: plan.incidentKey,
    coverId: plan.coverId.toString(),
    ...(plan.kind === "schedule" ? { at: plan.at } : {}),
    ...(plan.kind === "schedule" || plan.kind === "file-now" ? { amount: plan.amount.toString() } : {}),
    ...(plan.kind === "blocked" ? { detail: plan.detail } : plan.kind === "too-late" ? { detail: plan.alert } : {}),
  };
}

export function parseAmount(value: string | undefined): bigint | undefined {
  return value !== undefined && /^\d+$/.test(value) ? BigInt(value) : undefined;
}
