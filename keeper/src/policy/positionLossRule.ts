/**
 * PURE: how the keeper measures a position's loss in an incident, per position kind — the rule an
 * assessor applies, recomputable from the public chain data the evidence pack records
 * (docs/keeper.md, "How the keeper measures a loss").
 *
 * | kinds                              | rule            | loss                                                                          |
 * |------------------------------------|-----------------|-------------------------------------------------------------------------------|
 * | aave-v3, aave-v2, compound-v3      | pooled-lending  | the holder's pro-rata share of what the pool lost (policy/lendingLoss.ts)      |
 * | erc4626, yearn-v2                  | vault-shares    | value(exposed shares) before − value(exposed shares) after                    |
 * | curve, uniswap-v3                  | lp-redeemable   | redeemable value of the exposed LP before − after, at the pool's own math     |
 * | erc20                              | balance-drop    | balance before + received − sent by the holder itself − balance after         |
 *
 * Blocks: "before" is the last block before the incident; "after" is the END OF THE DRAIN WINDOW
 * (`drainWindowEnd`), never the chain head at filing time — what the operator does after the
 * alert (withdraw the rest, move it to safety) is not the incident.
 *
 * The holder's own movements in the window are never loss:
 * - share kinds (vault shares, LP tokens, aToken scaled balances): a theft never burns or moves the
 *   holder's shares — it lowers what each share is worth. So the exposure is the smaller of the
 *   share counts before and after (`exposureOf`): shares the holder withdrew, burnt or transferred
 *   out in the window (its `Transfer` logs, recorded) left at the holder's will and are no loss.
 * - direct holdings (a token balance in a wallet or escrow): the theft IS a transfer out of the
 *   holder. What tells them apart is who sent the transaction: a transfer in a transaction the
 *   holder sent (tx.from = holder, an EOA) or executed itself (tx.to = holder, a Safe's
 *   `execTransaction`) is the holder's own; a `transferFrom` sent by someone else is not.
 */

export type LossRule = "pooled-lending" | "vault-shares" | "lp-redeemable" | "balance-drop";

/** The rule that measures a position kind (undefined: a kind this keeper has no rule for). */
export function lossRuleOf(kind: string): LossRule | undefined {
  switch (kind) {
    case "aave-v3":
    case "aave-v2":
    case "compound-v3":
      return "pooled-lending";
    case "erc4626":
    case "yearn-v2":
      return "vault-shares";
    case "curve":
    case "uniswap-v3":
      return "lp-redeemable";
    case "erc20":
      return "balance-drop";
    default:
      return undefined;
  }
}

export const SHARE_LOSS_FORMULA =
  "exposure = min(shares_before, shares_after); loss = max(0, value_before(exposure) − value_after(exposure)) — the drop in assets per share × the shares held through the incident";
export const BALANCE_DROP_FORMULA = "loss = max(0, balance_before + received − sent_by_holder − balance_after) over blocks (before, after]";

/** Shares the holder kept through the window (what it moved out itself is no loss; what it added later is not covered). */
export function exposureOf(sharesBefore: bigint, sharesAfter: bigint): bigint {
  if (sharesBefore < 0n || sharesAfter < 0n) throw new Error("exposureOf: negative share count");
  return sharesBefore < sharesAfter ? sharesBefore : sharesAfter;
}

/** Vault shares and LP tokens: the fall in the value of the exposed shares between the two blocks. */
export function shareLoss(valueBefore: bigint, valueAfter: bigint): bigint {
  if (valueBefore < 0n || valueAfter < 0n) throw new Error("shareLoss: negative value");
  return valueBefore > valueAfter ? valueBefore - valueAfter : 0n;
}

/** A token transfer touching the holder in the window, as read from the logs. */
export interface HolderTransfer {
  readonly direction: "in" | "out";
  readonly amount: bigint;
  readonly block: number;
  readonly txHash: string;
  /** The transaction's sender and target (who moved it). */
  readonly txFrom: string;
  readonly txTo: string | null;
}

/** A transfer out is the holder's own when the holder sent the transaction or the transaction targets the holder (a Safe executing its own call). */
export function isHolderInitiated(t: Pick<HolderTransfer, "txFrom" | "txTo">, holder: string): boolean {
  const h = holder.toLowerCase();
  return t.txFrom.toLowerCase() === h || (t.txTo ?? "").toLowerCase() === h;
}

export interface BalanceDropResult {
  readonly loss: bigint;
  readonly received: bigint;
  readonly sentByHolder: bigint;
  /** Transfers out that the holder did not send: the theft. */
  readonly takenFromHolder: bigint;
  readonly formula: string;
}

/** Direct holdings: the balance drop, net of what came in and of what the holder moved out itself. */
export function balanceDropLoss(balanceBefore: bigint, balanceAfter: bigint, transfers: readonly HolderTransfer[], holder: string): BalanceDropResult {
  if (balanceBefore < 0n || balanceAfter < 0n) throw new Error("balanceDropLoss: negative balance");
  let received = 0n;
  let sentByHolder = 0n;
  let takenFromHolder = 0n;
  for (const t of transfers) {
    if (t.amount < 0n) throw new Error(`balanceDropLoss: negative transfer in ${t.txHash}`);
    if (t.direction === "in") received += t.amount;
    else if (isHolderInitiated(t, holder)) sentByHolder += t.amount;
    else takenFromHolder += t.amount;
  }
  const expected = balanceBefore + received - sentByHolder;
  return { loss: expected > balanceAfter ? expected - balanceAfter : 0n, received, sentByHolder, takenFromHolder, formula: BALANCE_DROP_FORMULA };
}

/** What the claims path knows of the drain window of an incident. */
export interface DrainWindowFacts {
  /** Blocks at which the exploit watch saw the incident's drains end (each drain signal's last observed block). */
  readonly watchDrainEnds: readonly number[];
  /** Block of the incident's exploit transaction, when a signal named one and its receipt was found. */
  readonly exploitTxBlock?: number;
  /** The last block at or before `occurredAt + fallbackWindowSec` (when neither of the above exists). */
  readonly timeWindowEnd?: number;
  /** The chain head now. */
  readonly head: number;
}

export type DrainWindowEnd = { readonly block: number; readonly by: "watch-drain-end" | "exploit-tx" | "time-window" } | { readonly wait: string };

/**
 * The end of the drain window ("after"): the last block at which the watch saw one of the
 * incident's drains (the newest drain signal's last observation); else the block of its exploit
 * transaction; else the last block within the fallback window after `occurredAt`. A window that
 * has not ended yet at the head (the time window still open) waits.
 */
export function drainWindowEnd(f: DrainWindowFacts): DrainWindowEnd {
  if (f.watchDrainEnds.length > 0) return { block: Math.max(...f.watchDrainEnds), by: "watch-drain-end" };
  if (f.exploitTxBlock !== undefined) return { block: f.exploitTxBlock, by: "exploit-tx" };
  if (f.timeWindowEnd !== undefined && f.timeWindowEnd < f.head) return { block: f.timeWindowEnd, by: "time-window" };
  return { wait: `the drain window has not ended yet (head ${f.head}): the loss is measured once it has` };
}

/**
 * A measured loss of 0 on an incident that drained the protocol (or a loss that could not be
 * measured) is not a silent "no claim": the operator is told and decides. Returns the reason to
 * alert with, or undefined when the 0 is a plain "this position lost nothing" (no drain seen).
 */
export function zeroLossNeedsOperator(loss: bigint, drained: boolean, incidentId: number, positionId: string, rule: string): string | undefined {
  if (loss > 0n || !drained) return undefined;
  return `position ${positionId}: the ${rule} measure finds no loss while the protocol was drained — no claim is filed until you set one: \`keeper claim file --incident ${incidentId} --position ${positionId} --amount <asset units>\``;
}
