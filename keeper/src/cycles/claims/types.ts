/** The claims cycle's dependencies and summary, and the per-tick context its steps share. */
import type { Provider } from "ethers";
import type { StablecoinInsuranceFund } from "../../../../typechain-types/contracts/StablecoinInsuranceFund";
import type { KeeperConfig } from "../../config";
import type { ProtocolConfig } from "../../config/schema";
import type { SendResult, TxSender } from "../../execution/txSender";
import type { ClaimDerivation, ClaimPlan, PositionLossMeasurer } from "../../policy/claims";
import type { IncidentRules } from "../../policy/incidents";
import type { ClaimStatusCrossCheck } from "../crossCheck";
import type { IncidentSignal } from "../../policy/incidentSignals";
import type { CoveragePosition, OnChainCoverage } from "../../policy/coverage";
import type { TvlPoint } from "../../domain/types";
import type { HacksFeedSource } from "../../sources/hacksFeedSource";
import type { RiskDataSource } from "../../sources/types";
import type { StateDb } from "../../state";
import type { ClaimRecord } from "../../state/claims";
import type { Alerter } from "../../alerting";
import type { Logger } from "../../lib/logger";
import type { ChainSnapshot, FundClaim } from "../chainState";
import type { CoverageCycle } from "../coverageCycle";
import type { ExploitWatch, WatchTickSummary } from "../exploitWatch";

export interface ClaimsCycleDeps {
  readonly provider: Provider;
  readonly fund: StablecoinInsuranceFund;
  readonly coverage: CoverageCycle;
  readonly config: Pick<KeeperConfig, "protocols" | "positions" | "incidents" | "paths" | "providers">;
  readonly state: StateDb;
  readonly source: RiskDataSource;
  readonly hacksFeed: HacksFeedSource | undefined;
  readonly txSender: TxSender | undefined;
  /** The keeper's address (claimant of its claims; reporter of halts). */
  readonly keeperAddress?: string | undefined;
  /** Position readers: value before − after the incident. Without one the configured size is claimed. */
  readonly lossMeasurer?: PositionLossMeasurer;
  readonly alerter: Alerter;
  readonly logger: Logger;
  /** On-chain exploit watch, run first in every tick (positions + watched balances in one multicall). */
  readonly watch?: ExploitWatch;
  /** With two or more RPC URLs: a claim's status read on two nodes before it is settled (refused when they disagree). */
  readonly claimStatusCheck?: Pick<ClaimStatusCrossCheck, "claimStatus">;
}

export interface ClaimsCycleSummary {
  readonly now: number;
  readonly dryRun: boolean;
  readonly newIncidents: readonly string[];
  /** Incidents by state after this tick (within the claim horizon). */
  readonly incidents: { readonly suspected: number; readonly confirmed: number; readonly dismissed: number; readonly resolved: number };
  readonly transitions: readonly { incidentKey: string; from: string; to: string; by: string }[];
  readonly halts: readonly { incidentKey: string; protocol: string; status?: SendResult["status"] | "already-halted"; error?: string; again?: boolean }[];
  readonly adopted: readonly { claimId: string; coverId: string; incidentKey: string; claimant: string }[];
  readonly plans: readonly { kind: ClaimPlan["kind"]; incidentKey: string; coverId: string; at?: number; amount?: string; detail?: string }[];
  readonly filed: readonly { incidentKey: string; coverId: string; status: SendResult["status"]; claimId?: string; hash?: string; amount?: string; error?: string }[];
  /** Claims that could not be filed this tick, with the reason an operator can act on. */
  readonly unfileable: readonly { incidentKey: string; coverId: string; reason: string }[];
  readonly followUps: readonly { claimId: string; kind: string; status?: SendResult["status"]; detail?: string }[];
  readonly alerts: number;
  readonly gasUsed: string;
  /** The exploit watch's part of the tick (drain signals are `suspected` only: never claimed on their own). */
  readonly watch?: WatchTickSummary;
}

export interface ClaimRowDetails {
  amount?: string;
  reason?: string;
  derivation?: ClaimDerivation;
  adopted?: boolean;
  claimant?: string;
  hash?: string;
}

/** A coverage seen live on a covered protocol (kv `claims:seenCoverages`). */
export interface SeenCoverage {
  id: string;
  protocol: string;
  end: number;
}

/** What one tick knows and has done so far, shared by its steps. */
export interface ClaimsTick {
  readonly dryRun: boolean;
  /** Chain time of the tick's first snapshot. */
  readonly now: number;
  /** The keeper's address (claimant of its claims), when known. */
  readonly keeper: string | undefined;
  readonly watch: WatchTickSummary | undefined;
  readonly positions: readonly CoveragePosition[];
  /** The first snapshot: the positions' coverages plus those of every claim row. */
  readonly first: ChainSnapshot;
  /** Claim rows as they were at the start of the tick. */
  readonly rows: readonly ClaimRecord[];
  readonly seen: readonly SeenCoverage[];
  readonly protocolById: ReadonlyMap<string, ProtocolConfig>;
  /** Protocol ids of the configured positions. */
  readonly coveredIds: readonly string[];
  readonly coveredRefs: readonly ProtocolConfig[];
  readonly autoClaim: ReadonlySet<string>;
  readonly rules: IncidentRules;
  alerts: number;
  gasUsed: bigint;
  /** The summary's lists, filled by the steps. */
  readonly report: { readonly [K in TickReportList]: ClaimsCycleSummary[K][number][] };
}

export type TickReportList = "newIncidents" | "transitions" | "halts" | "adopted" | "plans" | "filed" | "unfileable" | "followUps";

/** This tick's incident signals and the source data the evidence pack quotes. */
export interface TickSignals {
  readonly signals: readonly IncidentSignal[];
  readonly tvlHistories: ReadonlyMap<string, readonly TvlPoint[]>;
  readonly sourceHashes: ReadonlyMap<string, string>;
}

/** The coverages on the incidents' protocols (ended ones included) and the fund's claims on them. */
export interface IncidentCoverages {
  readonly snapshot: ChainSnapshot;
  readonly coverages: readonly OnChainCoverage[];
  /** By decimal id; steps add the claims they read. */
  readonly fundClaims: Map<string, FundClaim>;
}

/** The claims planned for the claimable incidents, with what the plans were made from. */
export interface TickPlanning {
  readonly plans: readonly ClaimPlan[];
  /** Why a position's loss could not be measured, by `incidentKey|positionKey`. */
  readonly unmeasured: ReadonlyMap<string, string>;
}

export type FileNowPlan = Extract<ClaimPlan, { kind: "file-now" }>;
