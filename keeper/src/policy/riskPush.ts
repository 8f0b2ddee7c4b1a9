/**
 * PURE policy: which protocol risk scores to push on-chain, stepped so no batch reverts,
 * chunked into transactions under a gas budget; and which risk moves deserve an alert.
 *
 * No I/O, no clock: every function takes plain data and `now` (chain time, unix seconds).
 */
import type { ComponentRisks, RiskAssessment, RiskCategory } from "../scoring/types";

/** The fund adds its staleness penalty once `now > lastUpdated + STALE_AFTER_SEC` (strict). */
export const STALE_AFTER_SEC = 7 * 86_400; // seconds
/** Seconds per day in the fund's decrease allowance. */
export const SECONDS_PER_DAY = 86_400; // seconds
/**
 * What the fund prices a never-scored protocol at (RiskMath.UNSCORED_RISK), per component: a first
 * write is bounded by the decrease limit as if every component held this, written one day ago.
 */
export const UNSCORED_COMPONENT = 90; // points

export const COMPONENT_KEYS = ["tvl", "audit", "time", "exploit", "team"] as const;
export type ComponentKey = (typeof COMPONENT_KEYS)[number];

/** Gas estimates of `updateProtocolRisks` measured on the fund (override from config / gas bench). */
export const DEFAULT_RISK_PUSH_GAS = {
  gasPerNewItem: 26_000, // gas, first score of a protocol (zero -> non-zero storage)
  gasPerRepeatItem: 8_000, // gas, later updates
  baseGasPerTx: 25_000, // gas, intrinsic + call overhead
} as const;

/** What the fund stores for one protocol, as read from the chain. */
export interface OnChainRiskState {
  /** Protocol key (address) in the fund. */
  readonly protocol: string;
  readonly components: ComponentRisks;
  /** Unix seconds of the last update; 0 = never scored. */
  readonly lastUpdated: number;
  /** The fund's `calculateProtocolRisk` at read time (informational). */
  readonly score: number;
}

export interface RiskPushParams {
  /** Minimum seconds between two pushes of one protocol (rises and first scores bypass it). */
  readonly minPushIntervalSec: number;
  /** Refresh this many seconds before the fund's 7-day staleness penalty would apply. */
  readonly staleLeadSec: number;
  /** The fund's `maxDecreasePerDay` (points per day a component may fall). */
  readonly maxDecreasePerDay: number;
  /** Gas budget of one `updateProtocolRisks` transaction. */
  readonly maxGasPerTx: number;
  readonly gasPerNewItem: number;
  readonly gasPerRepeatItem: number;
  readonly baseGasPerTx: number;
  /** Optional: refuse to push an assessment older than this (seconds); undefined = no limit. */
  readonly maxAssessmentAgeSec?: number;
  /**
   * Outage policy: the lowest assessment confidence (0-100) from which a rise (or a first score,
   * or a staleness refresh) is pushed. Below it every on-chain component is kept; only falls of
   * components whose own inputs were all present go through. Default 0 (no gate) for callers
   * that predate the policy; the keeper config defaults to DEFAULT_MIN_CONFIDENCE_FOR_RISE.
   */
  readonly minConfidenceForRise?: number;
}

/** The keeper's default `minConfidenceForRise`: TVL + audit + deployment date + price (DefiLlama alone gives 70). */
export const DEFAULT_MIN_CONFIDENCE_FOR_RISE = 60;

/**
 * Which metrics feed each component. For an assessment without `floor`, a component with a
 * missing input (which took a high-risk default) never rises: the last good value is kept.
 */
export const COMPONENT_INPUTS: Readonly<Record<ComponentKey, readonly string[]>> = {
  tvl: ["tvlUsd", "tvlChange30d"],
  audit: ["auditScore"],
  time: ["deployedAt"],
  exploit: ["exploitCount", "lastExploitAt"],
  team: ["teamReputation", "githubActivity"],
};

/** A component whose rise was held back this cycle (kept at the on-chain or the proven value), and why. */
export interface HeldComponent {
  readonly component: ComponentKey;
  /** Value pushed or kept instead (the on-chain value, or what the data present proves). */
  readonly kept: number;
  /** What the assessment wanted. */
  readonly wanted: number;
  /** `input-missing`: part of the rise came from a default; `low-confidence`: below `minConfidenceForRise`. */
  readonly why: "input-missing" | "low-confidence";
}

/** Why a push is planned (several may apply). */
export type PushReason = "never-scored" | "risk-rose" | "risk-fell" | "stale-refresh";

/** Why a protocol is not pushed this cycle. */
export type SkipReason =
  | "no-assessment"
  | "duplicate-on-chain-state"
  | "invalid-target"
  | "assessment-too-old"
  | "up-to-date"
  | "min-interval"
  | "decrease-allowance-zero"
  | "low-confidence"
  | "held-degraded";

export interface PlannedPush {
  readonly protocol: string;
  /** The values to send now (falls stepped to what the fund accepts). */
  readonly values: ComponentRisks;
  /** Where the assessment wants the components to end up. */
  readonly target: ComponentRisks;
  /** What the fund holds now (90 each for a never-scored protocol: what its first write is bounded from). */
  readonly current: ComponentRisks;
  /** True for a never-scored protocol (heavier in gas). */
  readonly isNew: boolean;
  /** True when some fall was capped: later cycles must keep stepping towards `target`. */
  readonly stepped: boolean;
  readonly reasons: readonly PushReason[];
  /** Components kept at their on-chain value by the outage policy (absent or empty when none). */
  readonly held?: readonly HeldComponent[];
}

export interface SkippedProtocol {
  readonly protocol: string;
  readonly reason: SkipReason;
  /** Human-readable detail (which component, by how much, when it becomes pushable). */
  readonly detail?: string;
  /** Components the outage policy kept (for `low-confidence` / `held-degraded`). */
  readonly held?: readonly HeldComponent[];
}

export interface RiskPushPlan {
  readonly pushes: readonly PlannedPush[];
  readonly skipped: readonly SkippedProtocol[];
  /**
   * Every protocol where the outage policy kept a component that the assessment wanted to move
   * up (the alert: a source is down or thin, and a rise may be hidden).
   */
  readonly heldRises: readonly { readonly protocol: string; readonly confidence: number; readonly held: readonly HeldComponent[] }[];
}

/** One item of the fund's `updateProtocolRisks(RiskUpdate[])`. */
export interface RiskUpdate {
  readonly protocol: string;
  readonly tvl: number;
  readonly audit: number;
  readonly time: number;
  readonly exploit: number;
  readonly team: number;
}

/** Throws on parameters the planner cannot honour (a config error, caught at start). */
export function validateRiskPushParams(params: RiskPushParams): void {
  const nonNegativeIntegers: (keyof RiskPushParams)[] = [
    "minPushIntervalSec",
    "staleLeadSec",
    "maxDecreasePerDay",
    "maxGasPerTx",
    "gasPerNewItem",
    "gasPerRepeatItem",
    "baseGasPerTx",
  ];
  for (const key of nonNegativeIntegers) {
    const value = params[key];
    if (typeof value !== "number" || !Number.isSafeInteger(value) || value < 0) {
      throw new Error(`riskPush: ${key} must be a non-negative integer, got ${String(value)}`);
    }
  }
  if (params.minConfidenceForRise !== undefined && !(params.minConfidenceForRise >= 0 && params.minConfidenceForRise <= 100)) {
    throw new Error(`riskPush: minConfidenceForRise must be 0-100, got ${params.minConfidenceForRise}`);
  }
  if (params.maxAssessmentAgeSec !== undefined && !(params.maxAssessmentAgeSec >= 0)) {
    throw new Error(`riskPush: maxAssessmentAgeSec must be >= 0, got ${params.maxAssessmentAgeSec}`);
  }
  if (params.staleLeadSec + params.minPushIntervalSec >= STALE_AFTER_SEC) {
    throw new Error(
      `riskPush: staleLeadSec + minPushIntervalSec (${params.staleLeadSec} + ${params.minPushIntervalSec}) ` +
        `must be below the fund's staleness window (${STALE_AFTER_SEC} s), or refreshes would never settle`,
    );
  }
  const heaviestItem = Math.max(params.gasPerNewItem, params.gasPerRepeatItem);
  if (params.baseGasPerTx + heaviestItem > params.maxGasPerTx) {
    throw new Error(
      `riskPush: maxGasPerTx ${params.maxGasPerTx} cannot hold even one item ` +
        `(base ${params.baseGasPerTx} + item ${heaviestItem})`,
    );
  }
}

/**
 * Points a component may fall in one update, exactly as the fund computes it:
 * floor(maxDecreasePerDay * (now - lastUpdated) / 86400); for a never-scored protocol
 * (lastUpdated 0) one day's allowance, however long it waited.
 */
export function allowedDecrease(lastUpdated: number, now: number, maxDecreasePerDay: number): number {
  const elapsed = lastUpdated === 0 ? SECONDS_PER_DAY : Math.max(0, now - lastUpdated);
  return Math.floor((maxDecreasePerDay * elapsed) / SECONDS_PER_DAY);
}

/** The components the fund checks a write against: the stored ones, or 90 each for a never-scored protocol. */
export function effectiveOnChainComponents(state: Pick<OnChainRiskState, "components" | "lastUpdated">): ComponentRisks {
  if (state.lastUpdated !== 0) return pickComponents(state.components);
  const u = UNSCORED_COMPONENT;
  return { tvl: u, audit: u, time: u, exploit: u, team: u };
}

/**
 * The clamp: the values the fund accepts now on the way to `target`. A rise goes to the target at
 * once (the fund never limits one); a fall stops at (current on-chain component − allowed decrease
 * for the time since the last write), where a never-scored protocol counts as 90 in every
 * component written one day ago. A write of the result never reverts with FundRiskDecreaseTooFast
 * in a block at or after `now` (the allowance only grows with time). Later ticks step on.
 */
export function clampRiskPush(
  state: Pick<OnChainRiskState, "components" | "lastUpdated">,
  target: ComponentRisks,
  now: number,
  maxDecreasePerDay: number,
): ComponentRisks {
  return stepTowards(effectiveOnChainComponents(state), target, allowedDecrease(state.lastUpdated, now, maxDecreasePerDay));
}

/**
 * Plans this cycle's risk pushes.
 *
 * Rules, per protocol with an on-chain state:
 * - never scored (lastUpdated 0): push at once, each fall clamped to one day's allowance below 90
 *   (the fund bounds a first write as if it came from the unscored price); later cycles step on.
 * - a component ROSE: push at once, even inside `minPushIntervalSec` — rising risk makes
 *   premiums too cheap for the fund, so it is urgent; the fund accepts any rise.
 * - a component FELL, or the data turns stale within `staleLeadSec`
 *   (now >= lastUpdated + 7 days - staleLeadSec): push only once `minPushIntervalSec` has
 *   elapsed since lastUpdated — falling risk is not urgent.
 * - every fall is stepped to max(target, current - allowedDecrease) so the batch never
 *   reverts; the allowance is computed at `now`, and the block that includes the transaction
 *   is no earlier, so the fund's allowance can only be larger. A push that would change
 *   nothing after stepping (allowance 0) is skipped, unless it is a stale refresh.
 *
 * Outage policy (before the rules above): a high-risk default is not data, so a rise goes only
 * as far as the metrics present prove (`RiskAssessment.floor`) and the rest is held at the
 * on-chain value; below `minConfidenceForRise` no component rises, a never-scored protocol is
 * not scored and no staleness refresh is sent (the fund's own staleness penalty then applies).
 * Falls always go through: defaults are the worst values, so a fall is never too low. Held rises
 * are listed in `heldRises` for an alert.
 *
 * Pushes come back ordered by urgency: first scores and rises, then refreshes, then falls.
 */
export function planRiskPushes(
  onChain: readonly OnChainRiskState[],
  assessments: ReadonlyMap<string, RiskAssessment> | readonly RiskAssessment[],
  now: number,
  params: RiskPushParams,
): RiskPushPlan {
  validateRiskPushParams(params);
  if (!Number.isSafeInteger(now) || now < 0) {
    throw new Error(`riskPush: now must be unix seconds (a non-negative integer), got ${now}`);
  }
  const byProtocol = indexAssessments(assessments);
  const pushes: PlannedPush[] = [];
  const skipped: SkippedProtocol[] = [];
  const heldRises: RiskPushPlan["heldRises"][number][] = [];
  const seen = new Set<string>();
  const minConfidence = params.minConfidenceForRise ?? 0;

  for (const state of onChain) {
    const key = normalizeAddress(state.protocol);
    if (seen.has(key)) {
      skipped.push({ protocol: state.protocol, reason: "duplicate-on-chain-state" });
      continue;
    }
    seen.add(key);

    const assessment = byProtocol.get(key);
    if (assessment === undefined) {
      skipped.push({ protocol: state.protocol, reason: "no-assessment" });
      continue;
    }
    const invalid = COMPONENT_KEYS.filter((k) => !isValidComponent(assessment.components[k]));
    if (invalid.length > 0) {
      skipped.push({
        protocol: state.protocol,
        reason: "invalid-target",
        detail: `components not an integer 0-100: ${invalid.join(", ")}`,
      });
      continue;
    }
    const age = now - assessment.assessedAt;
    if (params.maxAssessmentAgeSec !== undefined && age > params.maxAssessmentAgeSec) {
      skipped.push({
        protocol: state.protocol,
        reason: "assessment-too-old",
        detail: `assessed ${age} s ago, limit ${params.maxAssessmentAgeSec} s`,
      });
      continue;
    }

    const confident = assessment.confidence >= minConfidence;
    if (state.lastUpdated === 0 && !confident) {
      skipped.push({
        protocol: state.protocol,
        reason: "low-confidence",
        detail: `never scored and confidence ${assessment.confidence} < ${minConfidence}: not scored from defaults`,
      });
      heldRises.push({ protocol: state.protocol, confidence: assessment.confidence, held: [] });
      continue;
    }
    const { target, held } = state.lastUpdated === 0 ? { target: assessment.components, held: [] } : holdComponents(state.components, assessment, confident);
    const rising = held.filter((h) => h.wanted > h.kept);
    if (rising.length > 0) heldRises.push({ protocol: state.protocol, confidence: assessment.confidence, held: rising });

    const outcome = planOne(state, target, now, params, confident);
    if ("reason" in outcome) {
      const reason: SkipReason = outcome.reason === "up-to-date" && held.length > 0 ? (confident ? "held-degraded" : "low-confidence") : outcome.reason;
      const detail =
        reason === outcome.reason
          ? outcome.detail
          : `kept on-chain ${held.map((h) => `${h.component} ${h.kept} (wanted ${h.wanted}, ${h.why})`).join(", ")}; confidence ${assessment.confidence}`;
      skipped.push({ protocol: state.protocol, reason, ...(detail !== undefined ? { detail } : {}), ...(held.length > 0 ? { held } : {}) });
    } else pushes.push({ ...outcome, held });
  }

  return { pushes: sortByUrgency(pushes), skipped, heldRises };
}

/**
 * The target after the outage policy. A rise goes only as far as the data present proves
 * (`assessment.floor`: missing metrics at their least risky value) and only from a confident
 * assessment; a fall always goes through (missing metrics took their worst values, so a fall is
 * an upper bound of the truth). Without `floor` (a hand-built assessment), a component with a
 * missing input never rises.
 */
function holdComponents(
  current: ComponentRisks,
  assessment: RiskAssessment,
  confident: boolean,
): { target: ComponentRisks; held: HeldComponent[] } {
  const missing = new Set(assessment.missing.map((m) => m.field));
  const held: HeldComponent[] = [];
  const pick = (k: ComponentKey): number => {
    const wanted = assessment.components[k];
    if (wanted <= current[k]) return wanted;
    if (!confident) {
      held.push({ component: k, kept: current[k], wanted, why: "low-confidence" });
      return current[k];
    }
    const proven = assessment.floor?.[k] ?? (COMPONENT_INPUTS[k].some((field) => missing.has(field)) ? current[k] : wanted);
    if (proven >= wanted) return wanted;
    const value = Math.max(current[k], proven);
    held.push({ component: k, kept: value, wanted, why: "input-missing" });
    return value;
  };
  const target = { tvl: pick("tvl"), audit: pick("audit"), time: pick("time"), exploit: pick("exploit"), team: pick("team") };
  return { target, held };
}

function planOne(
  state: OnChainRiskState,
  target: ComponentRisks,
  now: number,
  params: RiskPushParams,
  confident: boolean,
): Omit<PlannedPush, "held"> | SkippedProtocol {
  const current = state.components;
  const base = { protocol: state.protocol, target, current };

  if (state.lastUpdated === 0) {
    // The fund bounds a first write as if it came from 90 one day ago: step down from there.
    const values = clampRiskPush(state, target, now, params.maxDecreasePerDay);
    const stepped = COMPONENT_KEYS.some((k) => values[k] !== target[k]);
    return { ...base, current: effectiveOnChainComponents(state), values, isNew: true, stepped, reasons: ["never-scored"] };
  }

  const rose = COMPONENT_KEYS.some((k) => target[k] > current[k]);
  const fell = COMPONENT_KEYS.some((k) => target[k] < current[k]);
  // A refresh re-stamps the components as fresh: only an assessment with enough data may vouch.
  const staleSoon = confident && now >= state.lastUpdated + STALE_AFTER_SEC - params.staleLeadSec;
  const elapsed = now - state.lastUpdated;

  if (!rose && !fell && !staleSoon) return { protocol: state.protocol, reason: "up-to-date" };
  if (!rose && elapsed < params.minPushIntervalSec) {
    return {
      protocol: state.protocol,
      reason: "min-interval",
      detail: `pushable from ${state.lastUpdated + params.minPushIntervalSec}`,
    };
  }

  const values = clampRiskPush(state, target, now, params.maxDecreasePerDay);
  const stepped = COMPONENT_KEYS.some((k) => values[k] !== target[k]);
  const changes = COMPONENT_KEYS.some((k) => values[k] !== current[k]);

  if (!changes && !staleSoon) {
    return {
      protocol: state.protocol,
      reason: "decrease-allowance-zero",
      detail: `only falls pending and the fund allows 0 points after ${Math.max(0, elapsed)} s`,
    };
  }

  const reasons: PushReason[] = [];
  if (rose) reasons.push("risk-rose");
  if (fell && COMPONENT_KEYS.some((k) => values[k] < current[k])) reasons.push("risk-fell");
  if (staleSoon) reasons.push("stale-refresh");
  return { ...base, values, isNew: false, stepped, reasons };
}

/** Rises go to the target; falls go down by at most `allowance` points. */
function stepTowards(current: ComponentRisks, target: ComponentRisks, allowance: number): ComponentRisks {
  const step = (k: ComponentKey): number =>
    target[k] >= current[k] ? target[k] : Math.max(target[k], current[k] - allowance);
  return { tvl: step("tvl"), audit: step("audit"), time: step("time"), exploit: step("exploit"), team: step("team") };
}

function urgency(push: PlannedPush): number {
  if (push.reasons.includes("never-scored") || push.reasons.includes("risk-rose")) return 0;
  if (push.reasons.includes("stale-refresh")) return 1;
  return 2;
}

function sortByUrgency(pushes: PlannedPush[]): PlannedPush[] {
  // Array.prototype.sort is stable: input order is kept within one urgency level.
  return [...pushes].sort((a, b) => urgency(a) - urgency(b));
}

/** Estimated gas of one `updateProtocolRisks` call carrying `pushes`. */
export function estimateBatchGas(
  pushes: readonly Pick<PlannedPush, "isNew">[],
  params: Pick<RiskPushParams, "gasPerNewItem" | "gasPerRepeatItem" | "baseGasPerTx">,
): number {
  return pushes.reduce(
    (gas, push) => gas + (push.isNew ? params.gasPerNewItem : params.gasPerRepeatItem),
    params.baseGasPerTx,
  );
}

/**
 * Splits pushes into transactions whose estimated gas stays <= maxGasPerTx, keeping order
 * (urgent pushes land in the first transaction). Items of one weight give
 * ceil(n / floor((maxGasPerTx - baseGasPerTx) / itemGas)) transactions.
 */
export function chunkPushes(pushes: readonly PlannedPush[], params: RiskPushParams): PlannedPush[][] {
  validateRiskPushParams(params);
  const chunks: PlannedPush[][] = [];
  let chunk: PlannedPush[] = [];
  let gas = params.baseGasPerTx;
  for (const push of pushes) {
    const itemGas = push.isNew ? params.gasPerNewItem : params.gasPerRepeatItem;
    if (chunk.length > 0 && gas + itemGas > params.maxGasPerTx) {
      chunks.push(chunk);
      chunk = [];
      gas = params.baseGasPerTx;
    }
    chunk.push(push);
    gas += itemGas;
  }
  if (chunk.length > 0) chunks.push(chunk);
  return chunks;
}

/** The calldata items of one chunk, in the fund's `RiskUpdate` shape. */
export function toRiskUpdates(chunk: readonly PlannedPush[]): RiskUpdate[] {
  return chunk.map((push) => ({ protocol: push.protocol, ...pickComponents(push.values) }));
}

// ---------------------------------------------------------------------------------------------
// Alerts
// ---------------------------------------------------------------------------------------------

export interface RiskSnapshot {
  readonly composite: number;
  readonly category: RiskCategory;
}

export type RiskAlertKind = "composite-moved" | "category-changed";

export interface RiskAlert {
  readonly protocol: string;
  /** Which rules fired (one or both). */
  readonly kinds: readonly RiskAlertKind[];
  readonly from: RiskSnapshot;
  readonly to: RiskSnapshot;
  /** to.composite - from.composite (positive = riskier). */
  readonly delta: number;
  readonly assessedAt: number;
}

/**
 * The original monitoring rule: alert when a composite moves by MORE than `thresholdPoints`
 * (default 10) or the category changes. A protocol with no previous snapshot is a first
 * observation, not a move, and raises nothing. Addresses match case-insensitively.
 */
export function detectRiskAlerts(
  previous: ReadonlyMap<string, RiskSnapshot>,
  current: readonly RiskAssessment[],
  thresholdPoints = 10,
): RiskAlert[] {
  const before = new Map<string, RiskSnapshot>();
  for (const [protocol, snapshot] of previous) before.set(normalizeAddress(protocol), snapshot);

  const alerts: RiskAlert[] = [];
  for (const assessment of current) {
    const from = before.get(normalizeAddress(assessment.protocol));
    if (from === undefined) continue;
    const to: RiskSnapshot = { composite: assessment.composite, category: assessment.category };
    const delta = to.composite - from.composite;
    const kinds: RiskAlertKind[] = [];
    if (Math.abs(delta) > thresholdPoints) kinds.push("composite-moved");
    if (to.category !== from.category) kinds.push("category-changed");
    if (kinds.length === 0) continue;
    alerts.push({ protocol: assessment.protocol, kinds, from, to, delta, assessedAt: assessment.assessedAt });
  }
  return alerts;
}

// ---------------------------------------------------------------------------------------------

function normalizeAddress(address: string): string {
  return address.toLowerCase();
}

function isValidComponent(value: number): boolean {
  return Number.isInteger(value) && value >= 0 && value <= 100;
}

function pickComponents(c: ComponentRisks): ComponentRisks {
  return { tvl: c.tvl, audit: c.audit, time: c.time, exploit: c.exploit, team: c.team };
}

/** Keyed by lower-cased address; of two assessments of one protocol the later one wins. */
function indexAssessments(
  assessments: ReadonlyMap<string, RiskAssessment> | readonly RiskAssessment[],
): Map<string, RiskAssessment> {
  const entries: [string, RiskAssessment][] = isAssessmentMap(assessments)
    ? [...assessments.entries()]
    : assessments.map((a) => [a.protocol, a]);
  const index = new Map<string, RiskAssessment>();
  for (const [protocol, assessment] of entries) {
    const key = normalizeAddress(protocol);
    const existing = index.get(key);
    if (existing === undefined || assessment.assessedAt >= existing.assessedAt) index.set(key, assessment);
  }
  return index;
}

function isAssessmentMap(
  value: ReadonlyMap<string, RiskAssessment> | readonly RiskAssessment[],
): value is ReadonlyMap<string, RiskAssessment> {
  return !Array.isArray(value);
}
