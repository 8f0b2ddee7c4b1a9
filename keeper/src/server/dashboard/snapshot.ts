/**
 * The keeper's status as one JSON-serialisable snapshot: what the dashboard draws and what the
 * status gauges of `/metrics` are set from. Money is USD as a plain number (display only; the
 * keeper's decisions use wad bigints elsewhere), times are unix seconds of CHAIN time unless the
 * name says `Ms` (wall clock).
 */
import type { ComponentRisks, RiskCategory } from "../../scoring/types";

export interface CoverageRowView {
  readonly protocol: string;
  readonly name: string;
  readonly riskScore: number;
  readonly category: RiskCategory;
  /** The position the operator protects (configured size), USD. */
  readonly positionUsd: number;
  /** Live coverage, USD. */
  readonly coverageUsd: number;
  /** The target: position × the risk multiplier, USD (field name kept for API compatibility). */
  readonly optimalUsd: number;
  /** coverage / target; null when there is no target (no position). */
  readonly ratio: number | null;
  readonly premiumPaidUsd: number;
  /** Soonest end of a live coverage (chain time), null when uncovered. */
  readonly nextEnd: number | null;
}

export interface RiskPointView {
  /** Chain time of the assessment or push. */
  readonly t: number;
  readonly composite: number;
  readonly components: ComponentRisks;
}

export interface RiskPushView extends RiskPointView {
  readonly hash: string | null;
}

export interface ProtocolRiskView {
  readonly protocol: string;
  readonly name: string;
  readonly address: string;
  /** The newest stored assessment (null before the first risk cycle). */
  readonly latest: (RiskPointView & { readonly category: RiskCategory; readonly confidence: number; readonly missing: readonly string[] }) | null;
  /** What the fund holds now. */
  readonly onChain: { readonly score: number; readonly components: ComponentRisks; readonly lastUpdated: number } | null;
  /** Stored assessments, oldest first. */
  readonly history: readonly RiskPointView[];
  /** Confirmed on-chain pushes by this keeper, oldest first. */
  readonly pushes: readonly RiskPushView[];
}

export interface ClaimTimelineView {
  readonly claimRow: number;
  readonly coverageId: string;
  readonly state: string;
  readonly fundClaimId: string | null;
  readonly providerId: number | null;
  readonly amount: string | null;
  readonly fundStatus: string | null;
  readonly providerStatus: string | null;
  /** Earliest filing time the keeper scheduled. */
  readonly fileAfter: number | null;
  readonly window: { readonly earliest: number; readonly latest: number } | null;
  readonly submittedAt: number | null;
  /** Upstream assessment (Nexus): voting end, cooldown end, redemption deadline. */
  readonly votingStart: number | null;
  readonly votingEnd: number | null;
  readonly cooldownEnd: number | null;
  readonly redeemableUntil: number | null;
  /** What the keeper does next and when (chain time; null = at its next incident watch). */
  readonly next: { readonly action: string; readonly at: number | null; readonly deadline: number | null };
}

export interface IncidentView {
  readonly id: number;
  /** What a person reads: "Aave V3 — on-chain drain, 2027-03-16 06:53 UTC" (the key is `dedupeKey`). */
  readonly name: string;
  readonly protocol: string;
  readonly kind: string;
  /** `details.state` when the detector stores one, else derived from the claims (see collector). */
  readonly state: string;
  readonly open: boolean;
  readonly detectedAt: number;
  readonly occurredAt: number;
  readonly dedupeKey: string;
  readonly claims: readonly ClaimTimelineView[];
}

export interface ReserveView {
  readonly asset: string;
  readonly symbol: string;
  readonly poolUsd: number;
  readonly selfInsuredUsd: number;
  /** selfInsured × reserveRatioBps / 10 000. */
  readonly requiredUsd: number;
  /** pool / selfInsured; null without self-insured coverage. */
  readonly ratio: number | null;
  readonly ok: boolean;
}

export interface LoopView {
  readonly loop: string;
  readonly healthy: boolean;
  readonly lastSuccessMs: number | null;
  readonly lastChainTime: number | null;
  readonly cycles: number;
  readonly failures: number;
  readonly lastError: string | null;
  readonly intervalSec: number;
}

export interface DashboardSnapshot {
  readonly generatedAtMs: number;
  readonly chain: { readonly chainId: number; readonly blockNumber: number; readonly blockTimestamp: number } | null;
  readonly keeper: {
    readonly address: string;
    readonly balanceEth: number;
    readonly nonceLatest: number;
    readonly noncePending: number;
    /** Journal actions sent and not yet mined. */
    readonly pendingTxs: number;
    /** Wall-clock age of the oldest of them, seconds (0 when none). */
    readonly oldestPendingAgeSec: number;
  } | null;
  readonly loops: readonly LoopView[];
  readonly coverage: {
    readonly at: number;
    readonly band: readonly [number, number];
    readonly rows: readonly CoverageRowView[];
    readonly totalCoverageUsd: number;
    readonly totalPremiumPaidUsd: number;
  } | null;
  readonly risk: readonly ProtocolRiskView[];
  readonly incidents: readonly IncidentView[];
  readonly budget: {
    readonly cycleUsedUsd: number;
    readonly cycleLimitUsd: number;
    readonly dayUsedUsd: number;
    readonly dayLimitUsd: number;
    /** Premium committed per chain day (UTC), oldest first. */
    readonly perDay: readonly { readonly day: string; readonly usd: number }[];
  };
  readonly reserves: readonly ReserveView[];
  /**
   * Coverages the keeper could not buy or renew in its last coverage cycle: the reason by name,
   * the fix, and when the position's cover lapses (chain time; null = no live cover now).
   */
  readonly coverageHeld: readonly { readonly protocol: string; readonly beneficiary: string; readonly action: string; readonly reason: string; readonly detail: string; readonly fix: string; readonly lapseAt: number | null }[];
  /** Sections that could not be read this time, with the reason. */
  readonly errors: readonly string[];
}
