/**
 * PURE claim timing, claim amounts and claim follow-ups.
 *
 * Amount: min(measured loss of the position, remaining coverage). The loss comes from a
 * `PositionLossMeasurer` (value before the incident − value after) where one is configured,
 * else from the position's configured size — never from the coverage multiplier's buffer
 * (optimal cover = size × 1.1–1.3 must not be claimed as loss). A position covered by several
 * coverages (purchase + top-ups) has its loss allocated across them, oldest first, net of what
 * earlier claims for the same incident already asked.
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
  /** The fund's `claimDeadline(id)`: end + the grace period fixed at purchase, or a later re-filing deadline. */
  readonly claimDeadline: number;
}

/** How a claimed loss was derived (recorded in the evidence pack). */
export type LossDerivation =
  | {
      readonly method: "measured";
      /** Position value before and after the incident, asset units (decimal strings). */
      readonly valueBefore: string;
      readonly valueAfter: string;
      readonly blockBefore?: number;
      readonly blockAfter?: number;
      /** Which reader measured it (e.g. "aave-v3 aToken balance"). */
      readonly source: string;
      /** The position's id (what `keeper claim file --position` names). */
      readonly positionId?: string;
      /** The kind's loss rule (policy/positionLossRule.ts) and its formula. */
      readonly rule?: string;
      readonly formula?: string;
      /** The chain every read was made on. */
      readonly chainId?: number;
      /** How each block was chosen ("last block before the drain", "end of the drain window: …"). */
      readonly blockBeforeIs?: string;
      readonly blockAfterIs?: string;
      /** The reads behind the amount (decimal strings), for an assessor to recompute it. */
      readonly reads?: Readonly<Record<string, unknown>>;
    }
  | { readonly method: "configured-size"; readonly targetAmount: string; readonly note: string }
  | {
      readonly method: "operator";
      /** Asset units, as the operator set it (`keeper claim file`). */
      readonly amount: string;
      readonly positionId: string;
      /** Who set it: the operator's signer address, or "operator via CLI". */
      readonly setBy: string;
      /** Unix seconds. */
      readonly setAt: number;
      readonly note?: string;
      /** Why the keeper could not size it itself. */
      readonly heldBecause?: string;
    };

export interface PositionLoss {
  /** Asset units. */
  readonly loss: bigint;
  readonly derivation: LossDerivation;
}

/** A position as the loss measurer and the claim planner see it. */
export interface ClaimPosition {
  readonly protocolId: string;
  /** Protocol key (address) in the fund. */
  readonly protocol: string;
  readonly asset: string;
  readonly beneficiary: string;
  /** Configured size, asset units. */
  readonly targetAmount: bigint;
}

/** Measured loss of one position in one incident (I/O: implemented by the position readers). */
export interface PositionLossMeasurer {
  /** `undefined` when this measurer has no reader for the position (the configured size is used). */
  measureLoss(position: ClaimPosition, incident: LossIncident, now: number): Promise<PositionLoss | undefined>;
  /** The id an operator names the position by (`keeper claim file --position`). */
  positionIdOf?(position: ClaimPosition): string;
}

/** What the loss measurer knows of an incident. */
export interface LossIncident {
  readonly protocolId: string;
  readonly occurredAt: number;
  /** An exploit transaction a signal named (its block can end the drain window). */
  readonly exploitTxHash?: string;
}

/** The loss of `position`: measured when available, else its configured size. */
export function positionLoss(position: ClaimPosition, measured: PositionLoss | undefined): PositionLoss {
  if (measured !== undefined) return { loss: measured.loss < 0n ? 0n : measured.loss, derivation: measured.derivation };
  return {
    loss: position.targetAmount,
    derivation: {
      method: "configured-size",
      targetAmount: position.targetAmount.toString(),
      note: "no position reader configured: the position's configured size is claimed (never the coverage buffer)",
    },
  };
}

/** Key of a position among coverages: protocol, asset and beneficiary (lower case). */
export function positionKeyOf(p: { readonly protocol: string; readonly asset: string; readonly beneficiary: string }): string {
  return `${p.protocol.toLowerCase()}|${p.asset.toLowerCase()}|${p.beneficiary.toLowerCase()}`;
}

/** An incident to claim for, resolved to the protocol address. */
export interface ClaimIncident {
  readonly dedupeKey: string;
  readonly protocol: string;
  readonly occurredAt: number;
  /** Loss per position (`positionKeyOf`). A coverage with no position here is not claimed. */
  readonly lossByPosition?: ReadonlyMap<string, PositionLoss>;
}

/** A claim the keeper already filed (or planned and journaled) for an incident. */
export interface FiledClaim {
  readonly incidentKey: string;
  readonly coverId: bigint;
  /** What it asked, asset units (reduces the loss left for the position's other coverages). */
  readonly amount?: bigint;
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
      readonly derivation: ClaimDerivation;
    }
  | { readonly kind: "schedule"; readonly incidentKey: string; readonly coverId: bigint; readonly at: number; readonly amount: bigint; readonly window: ClaimWindow; readonly derivation: ClaimDerivation }
  | { readonly kind: "too-late"; readonly incidentKey: string; readonly coverId: bigint; readonly window: ClaimWindow; readonly alert: string }
  | { readonly kind: "already-filed"; readonly incidentKey: string; readonly coverId: bigint }
  | {
      readonly kind: "blocked";
      readonly incidentKey: string;
      readonly coverId: bigint;
      readonly reason: "claim-open" | "nothing-remaining" | "no-provider-window" | "no-position" | "loss-claimed";
      readonly detail: string;
    };

/** The amount rule applied to one coverage (recorded in the evidence pack and the claim row). */
export interface ClaimDerivation {
  readonly rule: "min(loss left for the position, remaining coverage)";
  readonly positionLoss: string;
  /** Loss already asked for by this incident's claims on the position's other coverages. */
  readonly askedElsewhere: string;
  readonly remainingCoverage: string;
  readonly amount: string;
  readonly loss: LossDerivation;
}

/**
 * The inclusive window for a coverage; undefined for a hedged cover whose provider window is unknown.
 * Self-insured: up to the coverage's own `claimDeadline` (the grace period fixed at purchase), never
 * the fund's current global `claimGracePeriod`, which an admin may have changed since.
 */
export function claimWindowFor(
  coverage: Pick<ClaimableCoverage, "start" | "providerId" | "claimDeadline">,
  providerWindow: ClaimWindow | undefined,
): ClaimWindow | undefined {
  const notInPurchaseBlock = coverage.start + 1;
  if (coverage.providerId === 0) {
    return { earliest: notInPurchaseBlock, latest: coverage.claimDeadline };
  }
  if (providerWindow === undefined) return undefined;
  return { earliest: Math.max(notInPurchaseBlock, providerWindow.earliest), latest: providerWindow.latest };
}

export function claimIdempotencyKey(incidentKey: string, coverId: bigint): string {
  return `claim:${incidentKey}:${coverId}`;
}

/**
 * For every incident × coverage of its protocol that covered the moment of the incident
 * (start ≤ occurredAt ≤ end, status Active or Expired — an ended coverage is claimable until its
 * window closes): file now, schedule at the window's start, report too late, already filed, or
 * blocked (another claim open, nothing left, no configured position).
 * Amount per coverage = min(loss left for its position, remaining coverage), coverages of one
 * position taken oldest first.
 */
export function planClaims(
  incidents: readonly ClaimIncident[],
  coverages: readonly ClaimableCoverage[],
  existing: readonly FiledClaim[],
  providerWindows: ReadonlyMap<string, ClaimWindow>,
  now: number,
): ClaimPlan[] {
  const filed = new Set(existing.map((f) => claimIdempotencyKey(f.incidentKey, f.coverId)));
  const coverById = new Map(coverages.map((c) => [c.id.toString(), c]));
  const plans: ClaimPlan[] = [];
  const sorted = [...coverages].sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
  for (const incident of incidents) {
    const state: ClaimPlanning = { filed, asked: askedByPosition(incident, existing, coverById), providerWindows, now };
    for (const c of sorted) {
      if (c.protocol.toLowerCase() !== incident.protocol.toLowerCase()) continue;
      if (c.status === "None") continue;
      if (incident.occurredAt < c.start || incident.occurredAt > c.end) continue;
      plans.push(planCoverageClaim(state, incident, c));
    }
  }
  return plans;
}

/** What `planClaims` carries from one coverage to the next (`filed` and `asked` grow as claims are planned). */
interface ClaimPlanning {
  readonly filed: Set<string>;
  /** Loss already asked per position by this incident's claims. */
  readonly asked: Map<string, bigint>;
  readonly providerWindows: ReadonlyMap<string, ClaimWindow>;
  readonly now: number;
}

/** Loss already asked per position by this incident's earlier claims. */
function askedByPosition(incident: ClaimIncident, existing: readonly FiledClaim[], coverById: ReadonlyMap<string, ClaimableCoverage>): Map<string, bigint> {
  const asked = new Map<string, bigint>();
  for (const f of existing) {
    if (f.incidentKey !== incident.dedupeKey || f.amount === undefined) continue;
    const c = coverById.get(f.coverId.toString());
    if (c === undefined) continue;
    const k = positionKeyOf(c);
    asked.set(k, (asked.get(k) ?? 0n) + f.amount);
  }
  return asked;
}

/** The plan for one coverage that covered the incident. */
function planCoverageClaim(s: ClaimPlanning, incident: ClaimIncident, c: ClaimableCoverage): ClaimPlan {
  const { now } = s;
  const base = { incidentKey: incident.dedupeKey, coverId: c.id };
  const key = claimIdempotencyKey(incident.dedupeKey, c.id);
  if (s.filed.has(key)) return { kind: "already-filed", ...base };
  const window = claimWindowFor(c, s.providerWindows.get(c.id.toString()));
  if (window === undefined) return { kind: "blocked", ...base, reason: "no-provider-window", detail: `provider ${c.providerId} window unknown` };
  if (now > window.latest) {
    return { kind: "too-late", ...base, window, alert: `claim window of coverage ${c.id} closed at ${window.latest} (now ${now}) for incident ${incident.dedupeKey}` };
  }
  const sized = sizeClaim(incident, c, s.asked);
  if ("reason" in sized) return { kind: "blocked", ...base, ...sized };
  if (c.openClaimId !== 0n) return { kind: "blocked", ...base, reason: "claim-open", detail: `claim ${c.openClaimId} is open on coverage ${c.id}` };
  const { amount, derivation } = sized;
  s.asked.set(sized.posKey, sized.askedSoFar + amount);
  if (now < window.earliest) return { kind: "schedule", ...base, at: window.earliest, amount, window, derivation };
  s.filed.add(key);
  return { kind: "file-now", ...base, idempotencyKey: key, amount, window, derivation };
}

/** The claim's amount: min(loss left for the coverage's position, remaining coverage) — or why there is none. */
function sizeClaim(
  incident: ClaimIncident,
  c: ClaimableCoverage,
  asked: ReadonlyMap<string, bigint>,
): { amount: bigint; derivation: ClaimDerivation; posKey: string; askedSoFar: bigint } | { reason: "nothing-remaining" | "no-position" | "loss-claimed"; detail: string } {
  const remaining = c.amount > c.claimed ? c.amount - c.claimed : 0n;
  if (remaining === 0n) return { reason: "nothing-remaining", detail: `coverage ${c.id} fully claimed` };
  const posKey = positionKeyOf(c);
  const loss = incident.lossByPosition?.get(posKey);
  if (loss === undefined) return { reason: "no-position", detail: `coverage ${c.id} matches no configured position: its loss is unknown` };
  const askedSoFar = asked.get(posKey) ?? 0n;
  const lossLeft = loss.loss > askedSoFar ? loss.loss - askedSoFar : 0n;
  const amount = lossLeft < remaining ? lossLeft : remaining;
  if (amount === 0n) {
    return { reason: "loss-claimed", detail: loss.loss === 0n ? "measured loss is 0" : `the position's loss ${loss.loss} is already claimed on its other coverages` };
  }
  const derivation: ClaimDerivation = {
    rule: "min(loss left for the position, remaining coverage)",
    positionLoss: loss.loss.toString(),
    askedElsewhere: askedSoFar.toString(),
    remainingCoverage: remaining.toString(),
    amount: amount.toString(),
    loss: loss.derivation,
  };
  return { amount, derivation, posKey, askedSoFar };
}

// ---------------------------------------------------------------------------------------------
// Claim monitor
// ---------------------------------------------------------------------------------------------

/** The fund's ClaimStatus, in enum order (v2 appends Withdrawn and Vetoed, v3 Disputed). */
export const FUND_CLAIM_STATUSES = ["None", "Pending", "Accepted", "Denied", "Paid", "Draw", "Expired", "Withdrawn", "Vetoed", "Disputed"] as const;
export type FundClaimStatus = (typeof FUND_CLAIM_STATUSES)[number];
/** Fund claim states in which the claim still occupies its coverage (v3: a disputed claim too). */
export const OPEN_FUND_CLAIM_STATUSES: readonly FundClaimStatus[] = ["Pending", "Accepted", "Disputed"];
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
      case "Withdrawn":
        return [{ kind: "done", claimId: o.claimId, outcome: o.fundStatus }];
      case "Vetoed":
        return [
          { kind: "alert", claimId: o.claimId, severity: "error", message: `claim ${o.claimId} on coverage ${o.coverId} was vetoed by the guardian during its challenge period` },
          { kind: "done", claimId: o.claimId, outcome: "Vetoed" },
        ];
      case "Denied":
        return [
          { kind: "alert", claimId: o.claimId, severity: "error", message: `claim ${o.claimId} on coverage ${o.coverId} was denied` },
          { kind: "done", claimId: o.claimId, outcome: "Denied" },
        ];
      case "None":
        return [{ kind: "alert", claimId: o.claimId, severity: "error", message: `claim ${o.claimId} is unknown to the fund` }];
      case "Accepted":
        return [{ kind: "settle", claimId: o.claimId, idempotencyKey: settleKey, reason: "accepted by the assessor" }];
      case "Disputed":
        // Fund v3: a guardian veto only disputes the payout (still reserved); the admin reinstates or denies it.
        return [{ kind: "wait", claimId: o.claimId, reason: "disputed: waiting for the admin to reinstate or deny it" }];
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
