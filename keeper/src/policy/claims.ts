/**
 * PURE claim timing and claim follow-ups.
 *
 * Windows (unix seconds, both ends inclusive), as the fund enforces them:
 * - self-insured (provider 0): [start + 1, end + claimGracePeriod] — never in the purchase block;
 * - hedged: [max(start + 1, provider.claimWindow.earliest), provider.claimWindow.latest].
 * One claim per incident and coverage, ever.
 */
import type { CoverageStatus } from "./coverage";

export interface ClaimWindow {
  readonly earliest: number;
  readonly latest: number;
}

/** A coverage as claims need it (FundLens.getCoverages). */
export interface ClaimableCoverage {
  readonly id: bigint;
  readonly protocol: string;
  readonly asset: string;
  readonly beneficiary: string;
  /** Asset units. */
  readonly amount: bigint;
  readonly claimed: bigint;
  readonly start: number;
  readonly end: number;
  readonly providerId: number;
  readonly providerCoverId: bigint;
  readonly openClaimId: bigint;
  readonly status: CoverageStatus;
}

/** An incident to claim for, resolved to the protocol address. */
export interface ClaimIncident {
  readonly dedupeKey: string;
  readonly protocol: string;
  readonly occurredAt: number;
  /** Loss per coverage id (decimal string key), asset units, when known. */
  readonly lossByCoverage?: ReadonlyMap<string, bigint>;
}

/** A claim the keeper already filed (or planned and journaled) for an incident. */
export interface FiledClaim {
  readonly incidentKey: string;
  readonly coverId: bigint;
}

export type ClaimPlan =
  | {
      readonly kind: "file-now";
      readonly idempotencyKey: string;
      readonly incidentKey: string;
      readonly coverId: bigint;
      /** Asset units. */
      readonly amount: bigint;
      readonly window: ClaimWindow;
    }
  | { readonly kind: "schedule"; readonly incidentKey: string; readonly coverId: bigint; readonly at: number; readonly amount: bigint; readonly window: ClaimWindow }
  | { readonly kind: "too-late"; readonly incidentKey: string; readonly coverId: bigint; readonly window: ClaimWindow; readonly alert: string }
  | { readonly kind: "already-filed"; readonly incidentKey: string; readonly coverId: bigint }
  | {
      readonly kind: "blocked";
      readonly incidentKey: string;
      readonly coverId: bigint;
      readonly reason: "claim-open" | "nothing-remaining" | "no-provider-window";
      readonly detail: string;
    };

export interface ClaimTimingParams {
  /** The fund's claimGracePeriod (self-insured), seconds. */
  readonly claimGracePeriodSec: number;
}

/** The inclusive window for a coverage; undefined for a hedged cover whose provider window is unknown. */
export function claimWindowFor(
  coverage: Pick<ClaimableCoverage, "start" | "end" | "providerId">,
  providerWindow: ClaimWindow | undefined,
  params: ClaimTimingParams,
): ClaimWindow | undefined {
  const notInPurchaseBlock = coverage.start + 1;
  if (coverage.providerId === 0) {
    return { earliest: notInPurchaseBlock, latest: coverage.end + params.claimGracePeriodSec };
  }
  if (providerWindow === undefined) return undefined;
  return { earliest: Math.max(notInPurchaseBlock, providerWindow.earliest), latest: providerWindow.latest };
}

export function claimIdempotencyKey(incidentKey: string, coverId: bigint): string {
  return `claim:${incidentKey}:${coverId}`;
}

/**
 * For every incident × coverage of its protocol that covered the moment of the incident
 * (start ≤ occurredAt ≤ end, status Active or Expired): file now, schedule at the window's
 * start, report too late, already filed, or blocked (another claim open, nothing left).
 * Amount = min(loss estimate if known else remaining, remaining).
 */
export function planClaims(
  incidents: readonly ClaimIncident[],
  coverages: readonly ClaimableCoverage[],
  existing: readonly FiledClaim[],
  providerWindows: ReadonlyMap<string, ClaimWindow>,
  params: ClaimTimingParams,
  now: number,
): ClaimPlan[] {
  const filed = new Set(existing.map((f) => claimIdempotencyKey(f.incidentKey, f.coverId)));
  const plans: ClaimPlan[] = [];
  for (const incident of incidents) {
    for (const c of coverages) {
      if (c.protocol.toLowerCase() !== incident.protocol.toLowerCase()) continue;
      if (c.status === "None") continue;
      if (incident.occurredAt < c.start || incident.occurredAt > c.end) continue;
      const base = { incidentKey: incident.dedupeKey, coverId: c.id };
      const key = claimIdempotencyKey(incident.dedupeKey, c.id);
      if (filed.has(key)) {
        plans.push({ kind: "already-filed", ...base });
        continue;
      }
      const window = claimWindowFor(c, providerWindows.get(c.id.toString()), params);
      if (window === undefined) {
        plans.push({ kind: "blocked", ...base, reason: "no-provider-window", detail: `provider ${c.providerId} window unknown` });
        continue;
      }
      if (now > window.latest) {
        plans.push({
          kind: "too-late",
          ...base,
          window,
          alert: `claim window of coverage ${c.id} closed at ${window.latest} (now ${now}) for incident ${incident.dedupeKey}`,
        });
        continue;
      }
      const remaining = c.amount > c.claimed ? c.amount - c.claimed : 0n;
      if (remaining === 0n) {
        plans.push({ kind: "blocked", ...base, reason: "nothing-remaining", detail: `coverage ${c.id} fully claimed` });
        continue;
      }
      const loss = incident.lossByCoverage?.get(c.id.toString());
      const amount = loss !== undefined && loss < remaining ? loss : remaining;
      if (amount === 0n) {
        plans.push({ kind: "blocked", ...base, reason: "nothing-remaining", detail: "loss estimate is 0" });
        continue;
      }
      if (c.openClaimId !== 0n) {
        plans.push({ kind: "blocked", ...base, reason: "claim-open", detail: `claim ${c.openClaimId} is open on coverage ${c.id}` });
        continue;
      }
      if (now < window.earliest) {
        plans.push({ kind: "schedule", ...base, at: window.earliest, amount, window });
        continue;
      }
      plans.push({ kind: "file-now", ...base, idempotencyKey: key, amount, window });
      filed.add(key);
    }
  }
  return plans;
}

// ---------------------------------------------------------------------------------------------
// Claim monitor
// ---------------------------------------------------------------------------------------------

export type FundClaimStatus = "None" | "Pending" | "Accepted" | "Denied" | "Paid" | "Draw" | "Expired";
export type ProviderClaimStatus = "None" | "Pending" | "Accepted" | "Denied" | "Draw" | "Redeemed" | "Expired";

export interface ClaimObservation {
  readonly claimId: bigint;
  readonly coverId: bigint;
  /** 0 = self-insured. */
  readonly providerId: number;
  readonly fundStatus: FundClaimStatus;
  /** ICoverProvider.claimStatus (hedged claims only). */
  readonly provider?: {
    readonly status: ProviderClaimStatus;
    /** Asset units. */
    readonly payout: bigint;
    /** Unix seconds; 0 = not applicable. */
    readonly redeemableUntil: number;
  };
}

export type ClaimFollowUp =
  | { readonly kind: "settle"; readonly claimId: bigint; readonly idempotencyKey: string; readonly reason: string; readonly alert?: string }
  | { readonly kind: "alert"; readonly claimId: bigint; readonly severity: "warn" | "error"; readonly message: string }
  | { readonly kind: "wait"; readonly claimId: bigint; readonly reason: string }
  | { readonly kind: "done"; readonly claimId: bigint; readonly outcome: FundClaimStatus };

export interface FollowUpParams {
  /** Alert when an accepted payout is settled this close to its redemption deadline (seconds). */
  readonly redeemAlertLeadSec: number;
}

export const DEFAULT_FOLLOW_UP: FollowUpParams = { redeemAlertLeadSec: 24 * 3_600 };

/**
 * Per claim:
 * - fund terminal (Paid, Draw, Expired) → done; fund Denied → done plus an error alert;
 * - self-insured: Pending → wait for the assessor; Accepted → settle;
 * - hedged, fund Pending: upstream Pending → wait; Accepted → settle (alert when the
 *   redemption window is within the lead or passed); Draw → settle (returns the deposit);
 *   Denied / Expired → settle to close the claim (frees the coverage) plus an alert;
 *   Redeemed (the fund cannot settle it), None or unread → alert.
 */
export function decideClaimFollowUps(
  observations: readonly ClaimObservation[],
  now: number,
  params: FollowUpParams = DEFAULT_FOLLOW_UP,
): ClaimFollowUp[] {
  return observations.flatMap((o): ClaimFollowUp[] => {
    const settleKey = `settle:${o.claimId}`;
    switch (o.fundStatus) {
      case "Paid":
      case "Draw":
      case "Expired":
        return [{ kind: "done", claimId: o.claimId, outcome: o.fundStatus }];
      case "Denied":
        return [
          { kind: "alert", claimId: o.claimId, severity: "error", message: `claim ${o.claimId} on coverage ${o.coverId} was denied` },
          { kind: "done", claimId: o.claimId, outcome: "Denied" },
        ];
      case "None":
        return [{ kind: "alert", claimId: o.claimId, severity: "error", message: `claim ${o.claimId} is unknown to the fund` }];
      case "Accepted":
        return [{ kind: "settle", claimId: o.claimId, idempotencyKey: settleKey, reason: "accepted by the assessor" }];
      case "Pending":
        break;
    }
    if (o.providerId === 0) return [{ kind: "wait", claimId: o.claimId, reason: "awaiting the claims assessor" }];
    const upstream = o.provider;
    if (upstream === undefined) {
      return [{ kind: "alert", claimId: o.claimId, severity: "warn", message: `upstream status of claim ${o.claimId} could not be read` }];
    }
    switch (upstream.status) {
      case "Pending":
        return [{ kind: "wait", claimId: o.claimId, reason: "upstream assessment in progress" }];
      case "Accepted": {
        const deadline = upstream.redeemableUntil;
        let alert: string | undefined;
        if (deadline !== 0 && now > deadline) {
          alert = `claim ${o.claimId}: redemption window closed at ${deadline}; settling anyway`;
        } else if (deadline !== 0 && deadline - now <= params.redeemAlertLeadSec) {
          alert = `claim ${o.claimId}: redemption window closes at ${deadline} (${deadline - now} s left)`;
        }
        return [
          {
            kind: "settle",
            claimId: o.claimId,
            idempotencyKey: settleKey,
            reason: `upstream accepted payout ${upstream.payout}`,
            ...(alert !== undefined ? { alert } : {}),
          },
        ];
      }
      case "Draw":
        return [{ kind: "settle", claimId: o.claimId, idempotencyKey: settleKey, reason: "upstream draw: settling retrieves the deposit" }];
      case "Redeemed":
        // The fund cannot settle a Redeemed upstream claim (FundClaimNotSettleable): a human must look.
        return [{ kind: "alert", claimId: o.claimId, severity: "error", message: `claim ${o.claimId}: upstream says Redeemed but the fund still has it Pending` }];
      case "Denied":
      case "Expired":
        return [
          {
            kind: "settle",
            claimId: o.claimId,
            idempotencyKey: settleKey,
            reason: `upstream ${upstream.status.toLowerCase()}: settling closes the claim`,
            alert: `claim ${o.claimId} on coverage ${o.coverId}: upstream ${upstream.status}`,
          },
        ];
      case "None":
        return [{ kind: "alert", claimId: o.claimId, severity: "error", message: `upstream does not know claim ${o.claimId}` }];
    }
  });
}
