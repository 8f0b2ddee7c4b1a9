/**
 * PURE premium budget guard: a ceiling per cycle and per rolling day (USD wad), charged at each
 * action's worst case (`maxPremiumWad`). Actions beyond it come back as `deferred` with the
 * reason — never dropped silently. Higher priority claims the budget first.
 */
import { DAY_SEC } from "./money";
import { PRIORITY_RANK, type Priority } from "./coverage";

export interface BudgetLimits {
  /** Most premium (USD wad) one cycle may commit. */
  readonly maxPerCycleWad: bigint;
  /** Most premium (USD wad) over any rolling 24 h, history included. */
  readonly maxPerDayWad: bigint;
}

/** A premium already committed (sent) at chain time `at`. */
export interface SpendRecord {
  readonly at: number;
  readonly amountWad: bigint;
}

export interface Budgetable {
  readonly priority: Priority;
  readonly idempotencyKey: string;
  /** Worst-case premium, USD wad; absent = spends nothing (e.g. expire). */
  readonly maxPremiumWad?: bigint;
}

export type DeferReason = "cycle-budget" | "day-budget" | "behind-higher-priority";

export interface DeferredAction<T> {
  readonly action: T;
  readonly reason: DeferReason;
  readonly detail: string;
}

export interface BudgetResult<T> {
  /** In execution order (priority, then input order). */
  readonly approved: readonly T[];
  readonly deferred: readonly DeferredAction<T>[];
  /** What the approved actions may spend, USD wad. */
  readonly committedWad: bigint;
  /** Spent within (now − 24 h, now] before this cycle, USD wad. */
  readonly spentLastDayWad: bigint;
}

/** Premium spent in the rolling day (now − 86 400, now]. */
export function spentInLastDay(history: readonly SpendRecord[], now: number): bigint {
  return history.reduce((sum, r) => (r.at > now - DAY_SEC && r.at <= now ? sum + r.amountWad : sum), 0n);
}

/**
 * Approves actions in priority order while both ceilings hold (an action exactly reaching a
 * ceiling fits). An action that does not fit is deferred; later actions of the same priority may
 * still fit, but every lower-priority spender is deferred behind it so cheap low-priority work
 * never eats the budget a deferred high-priority action needs next cycle.
 */
export function applyBudget<T extends Budgetable>(
  actions: readonly T[],
  limits: BudgetLimits,
  history: readonly SpendRecord[],
  now: number,
): BudgetResult<T> {
  if (limits.maxPerCycleWad < 0n || limits.maxPerDayWad < 0n) throw new Error("budget: limits must be >= 0");
  const ordered = [...actions].sort((a, b) => PRIORITY_RANK[a.priority] - PRIORITY_RANK[b.priority]);
  const spentLastDayWad = spentInLastDay(history, now);
  const approved: T[] = [];
  const deferred: DeferredAction<T>[] = [];
  let committed = 0n;
  let blockedBelowRank: number | undefined;

  for (const action of ordered) {
    const cost = action.maxPremiumWad ?? 0n;
    if (cost === 0n) {
      approved.push(action);
      continue;
    }
    const rank = PRIORITY_RANK[action.priority];
    if (blockedBelowRank !== undefined && rank > blockedBelowRank) {
      deferred.push({ action, reason: "behind-higher-priority", detail: "a higher-priority action is waiting for budget" });
      continue;
    }
    if (committed + cost > limits.maxPerCycleWad) {
      deferred.push({
        action,
        reason: "cycle-budget",
        detail: `needs ${cost} wad, cycle has ${limits.maxPerCycleWad - committed} of ${limits.maxPerCycleWad} left`,
      });
      blockedBelowRank ??= rank;
      continue;
    }
    if (spentLastDayWad + committed + cost > limits.maxPerDayWad) {
      const left = limits.maxPerDayWad - spentLastDayWad - committed;
      deferred.push({
        action,
        reason: "day-budget",
        detail: `needs ${cost} wad, rolling day has ${left > 0n ? left : 0n} of ${limits.maxPerDayWad} left`,
      });
      blockedBelowRank ??= rank;
      continue;
    }
    committed += cost;
    approved.push(action);
  }
  return { approved, deferred, committedWad: committed, spentLastDayWad };
}
