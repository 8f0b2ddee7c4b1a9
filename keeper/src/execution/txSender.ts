/**
 * The ONLY path by which the keeper signs. For each action:
 *   idempotency check → simulate (eth_call, revert decoded) → estimate gas → EIP-1559 fees under
 *   the ceiling → journal `planned` → sign with the locally owned nonce → store the signed bytes →
 *   broadcast → journal `sent` → wait for the receipt, replacing at the same nonce with ≥ +12.5 %
 *   fees after `replaceAfterBlocks` blocks → `confirmed` / `failed` (reverts decoded).
 * `reconcile()` settles what a previous process left in flight, rebroadcasting the exact signed
 * bytes when the node forgot them, so a restart never signs an action twice. `reconcileTick()`
 * runs at every tick without waiting: mined → settled; dropped → the same signed bytes
 * re-sent; stuck → replaced (+12.5 %), lowest pending nonce first; a nonce gap below the
 * lowest in-flight nonce → closed with a journaled 0-value self-transfer (a failed action's old
 * transaction is never resurrected for it), since nothing above a gap can be mined.
 *
 * Urgent before routine: the sender's lock covers nonce allocation, signing and broadcasting —
 * never the simulation before nor the receipt wait after — so a halt or a claim never queues
 * behind a routine send waiting for its receipt. An urgent action (`report-incident`,
 * `file-claim`, `settle-claim` by default) is priced under its own fee policy (a higher ceiling)
 * and, when a routine transaction of this key is stuck below the next nonce (priced under the
 * current base fee), takes that nonce and replaces it (≥ +12.5 %): nothing above a stuck nonce
 * can be mined, so "the next nonce" alone would still wait. The displaced routine action is
 * settled by the chain like any other (its nonce used by a transaction it never signed → failed,
 * retried by its cycle); if the routine transaction wins the race after all, the urgent action
 * is re-signed at a fresh nonce (its old transaction can never be mined). One key, one nonce
 * authority: no second key to fund and grant roles to (docs/keeper.md, "Urgent before routine").
 */
import { Transaction, formatUnits, keccak256, type Interface, type Provider, type Signer, type TransactionReceipt } from "ethers";
import type { Logger } from "../lib/logger";
import { sleep } from "../lib/time";
import type { ActionJournal, ActionState, JournalEntry, TxAttempt } from "../state/actionJournal";
import { IN_FLIGHT_STATES } from "../state/actionJournal";
import { describeContractError } from "./revertDecoder";

export interface TxAction {
  /** e.g. "risk-push", "buy-coverage", "file-claim". */
  readonly kind: string;
  /** Idempotency key: the same key is never sent twice. */
  readonly key: string;
  readonly to: string;
  readonly data: string;
  readonly value?: bigint;
  /** Skips estimation when given. */
  readonly gasLimit?: bigint;
  /**
   * Decision scope: while any action of the same scope is in flight (sent, replaced, or signed),
   * this one is skipped. Keys that name a period (a purchase's UTC day) use it so the next
   * period's key cannot buy the same thing again while the first is unmined.
   */
  readonly scope?: string;
  /** What and why, stored in the journal. */
  readonly payload?: unknown;
  /** Lane; default from the kind (`TxSenderOptions.urgentKinds`). */
  readonly urgency?: Urgency;
}

/** `urgent`: halts and claims — own fee policy, never behind a routine send, may displace a stuck routine nonce. */
export type Urgency = "urgent" | "routine";

/** Fees of one lane (or one kind). */
export interface FeePolicy {
  /** Never sign with a maxFeePerGas above this (wei). */
  readonly maxFeePerGasCeiling: bigint;
  /** Tip offered on a first send (wei). */
  readonly maxPriorityFeePerGas: bigint;
  /** Replace a transaction not mined this many blocks after it was sent. */
  readonly replaceAfterBlocks: number;
  /** The ceiling's name in messages (default "maxFeePerGasCeiling"). */
  readonly ceilingName?: string;
}

/** Kinds sent in the urgent lane unless the action says otherwise. */
export const DEFAULT_URGENT_KINDS: readonly string[] = ["report-incident", "file-claim", "settle-claim"];

export interface TxPlan {
  readonly from: string;
  readonly to: string;
  readonly data: string;
  readonly value: bigint;
  readonly gasLimit: bigint;
  readonly maxFeePerGas: bigint;
  readonly maxPriorityFeePerGas: bigint;
}

export type SendStage = "simulate" | "fees" | "send" | "receipt";

export type SendResult =
  | { readonly status: "confirmed"; readonly key: string; readonly hash: string; readonly nonce: number; readonly blockNumber: number; readonly gasUsed: bigint; readonly effectiveGasPrice: bigint }
  | { readonly status: "failed"; readonly key: string; readonly stage: SendStage; readonly error: string; readonly hash?: string }
  /** Not mined within `receiptTimeoutMs`: stays `sent` in the journal; `reconcile()` settles it. */
  | { readonly status: "pending"; readonly key: string; readonly hash: string; readonly nonce: number }
  /** Already confirmed or in flight under this key: nothing signed. */
  | { readonly status: "skipped"; readonly key: string; readonly state: ActionState; readonly hash?: string }
  | { readonly status: "dry-run"; readonly key: string; readonly plan: TxPlan };

export interface TxSenderOptions {
  /** Never sign with a maxFeePerGas above this (wei). */
  readonly maxFeePerGasCeiling: bigint;
  /** Tip offered on a first send (wei). */
  readonly maxPriorityFeePerGas: bigint;
  /** Replace a transaction not mined this many blocks after it was sent (default 3). */
  readonly replaceAfterBlocks?: number;
  /** Give up waiting (action stays `sent`) after this long (default 180 s). */
  readonly receiptTimeoutMs?: number;
  /** Receipt polling period (default 1000 ms). */
  readonly pollIntervalMs?: number;
  /** Blocks to wait for after the receipt (default 1). */
  readonly confirmations?: number;
  /** Added to the gas estimate, percent (default 20). */
  readonly gasLimitMarginPercent?: number;
  /** The urgent lane's fees (default: 1500 gwei ceiling, 3 gwei tip, replace after 1 block). */
  readonly urgent?: Partial<FeePolicy>;
  /** Kinds sent in the urgent lane (default `DEFAULT_URGENT_KINDS`). */
  readonly urgentKinds?: readonly string[];
  /** A ceiling for one kind, overriding its lane's (wei). */
  readonly maxFeePerGasCeilingByKind?: Readonly<Record<string, bigint>>;
}

export interface TxSenderDeps {
  /** Signs only; everything is read and broadcast through `provider`. */
  readonly signer: Signer;
  readonly provider: Provider;
  readonly journal: ActionJournal;
  readonly logger: Logger;
  /** ABIs whose custom errors may appear in reverts (the fund, adapters). */
  readonly abis?: readonly Interface[];
  readonly sleep?: (ms: number) => Promise<void>;
  readonly nowMs?: () => number;
}

/** What one `reconcileTick()` did. */
export interface TickReconciliation {
  readonly inFlight: number;
  readonly settled: readonly SendResult[];
  readonly rebroadcast: readonly string[];
  readonly replaced: readonly string[];
  /** Nonces that were missing below the lowest in-flight nonce and were filled. */
  readonly gapsClosed: readonly number[];
}

export class FeeCeilingError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "FeeCeilingError";
  }
}

/** +12.5 %, rounded up: the minimum bump this keeper uses for a same-nonce replacement. */
export function bumpFee(fee: bigint): bigint {
  return (fee * 1125n + 999n) / 1000n;
}

const gwei = (wei: bigint): string => formatUnits(wei, "gwei");

export class TxSender {
  private nextNonce: number | undefined;
  private address: string | undefined;
  private chainId: bigint | undefined;
  private queue: Promise<unknown> = Promise.resolve();
  private readonly replaceAfterBlocks: number;
  private readonly receiptTimeoutMs: number;
  private readonly pollIntervalMs: number;
  private readonly confirmations: number;
  private readonly gasMargin: bigint;
  private readonly sleep: (ms: number) => Promise<void>;
  private readonly nowMs: () => number;
  private readonly routine: FeePolicy;
  private readonly urgent: FeePolicy;
  private readonly urgentKinds: ReadonlySet<string>;

  constructor(
    private readonly deps: TxSenderDeps,
    private readonly options: TxSenderOptions,
  ) {
    if (options.maxPriorityFeePerGas > options.maxFeePerGasCeiling) {
      throw new Error(`tx: maxPriorityFeePerGas ${gwei(options.maxPriorityFeePerGas)} gwei is above the ceiling ${gwei(options.maxFeePerGasCeiling)} gwei`);
    }
    this.replaceAfterBlocks = options.replaceAfterBlocks ?? 3;
    this.receiptTimeoutMs = options.receiptTimeoutMs ?? 180_000;
    this.pollIntervalMs = options.pollIntervalMs ?? 1000;
    this.confirmations = options.confirmations ?? 1;
    this.gasMargin = BigInt(100 + (options.gasLimitMarginPercent ?? 20));
    this.sleep = deps.sleep ?? sleep;
    this.nowMs = deps.nowMs ?? Date.now;
    this.routine = { maxFeePerGasCeiling: options.maxFeePerGasCeiling, maxPriorityFeePerGas: options.maxPriorityFeePerGas, replaceAfterBlocks: this.replaceAfterBlocks };
    const urgentCeiling = options.urgent?.maxFeePerGasCeiling ?? maxBig(URGENT_CEILING_DEFAULT, options.maxFeePerGasCeiling);
    this.urgent = {
      maxFeePerGasCeiling: urgentCeiling,
      maxPriorityFeePerGas: options.urgent?.maxPriorityFeePerGas ?? minBig(urgentCeiling, maxBig(URGENT_TIP_DEFAULT, options.maxPriorityFeePerGas)),
      replaceAfterBlocks: options.urgent?.replaceAfterBlocks ?? 1,
      ceilingName: "the urgent maxFeePerGasCeiling (tx.urgent.maxFeePerGasCeilingGwei)",
    };
    if (this.urgent.maxPriorityFeePerGas > this.urgent.maxFeePerGasCeiling) {
      throw new Error(`tx: urgent maxPriorityFeePerGas ${gwei(this.urgent.maxPriorityFeePerGas)} gwei is above the urgent ceiling ${gwei(this.urgent.maxFeePerGasCeiling)} gwei`);
    }
    this.urgentKinds = new Set(options.urgentKinds ?? DEFAULT_URGENT_KINDS);
  }

  /** The lane of an action (or of a journaled kind). */
  urgencyOf(action: { kind: string; urgency?: Urgency }): Urgency {
    return action.urgency ?? (this.urgentKinds.has(action.kind) ? "urgent" : "routine");
  }

  /** The fee policy an action of `kind` is sent under (its lane's, with a per-kind ceiling). */
  feePolicy(kind: string, urgency: Urgency = this.urgencyOf({ kind })): FeePolicy {
    const lane = urgency === "urgent" ? this.urgent : this.routine;
    const ceiling = this.options.maxFeePerGasCeilingByKind?.[kind];
    if (ceiling === undefined) return lane;
    return { ...lane, maxFeePerGasCeiling: ceiling, maxPriorityFeePerGas: minBig(lane.maxPriorityFeePerGas, ceiling), ceilingName: `the ${kind} maxFeePerGasCeiling (tx.maxFeePerGasCeilingGweiByKind)` };
  }

  async from(): Promise<string> {
    return (this.address ??= await this.deps.signer.getAddress());
  }

  /**
   * Sends one action. Only nonce allocation, signing and broadcasting hold the sender's lock;
   * simulation and the receipt wait run beside other sends (see the class comment).
   */
  async send(action: TxAction, options: { dryRun?: boolean; confirmations?: number } = {}): Promise<SendResult> {
    const dryRun = options.dryRun === true;
    const handled = await this.alreadyHandled(action, options.confirmations);
    if (handled !== undefined) return handled;
    const prepared = await this.prepare(action, dryRun);
    if ("status" in prepared) return prepared;
    const { plan } = prepared;
    if (dryRun) {
      this.deps.logger.info({ key: action.key, kind: action.kind, to: action.to, gasLimit: plan.gasLimit.toString(), maxFeeGwei: gwei(plan.maxFeePerGas) }, "dry run: would send");
      return { status: "dry-run", key: action.key, plan };
    }
    const sent = await this.exclusive(async () => {
      // Re-checked under the lock: a concurrent send of the same key or scope may have won.
      const raced = this.inFlightOrDone(action);
      if (raced !== undefined) return raced;
      return this.signAndBroadcast(action, prepared.plan, prepared.fees);
    });
    if ("status" in sent) return sent;
    return this.waitForOutcome(sent, options.confirmations);
  }

  /**
   * Settles every action a previous process left `sent`/`replaced` (or signed but unmarked):
   * mined → confirmed/failed; nonce used by a transaction we never signed → failed; still known
   * to the node → wait (replacing if stuck); forgotten → rebroadcast the same signed bytes.
   */
  async reconcile(): Promise<SendResult[]> {
    const { journal, logger } = this.deps;
    const rows = [...journal.list({ state: "sent" }), ...journal.list({ state: "replaced" }), ...journal.list({ state: "planned" })];
    const results: SendResult[] = [];
    for (const entry of rows.sort((a, b) => a.id - b.id)) {
      const attempts = journal.attempts(entry.id);
      if (attempts.length === 0) {
        journal.markFailed(entry.id, "interrupted before signing: nothing was sent");
        logger.warn({ key: entry.key, kind: entry.kind }, "reconcile: action interrupted before signing, marked failed (may be retried)");
        results.push({ status: "failed", key: entry.key, stage: "send", error: "interrupted before signing" });
        continue;
      }
      results.push(await this.settle(entry, attempts));
    }
    this.nextNonce = undefined; // re-read from the chain
    if (rows.length > 0) logger.info({ actions: rows.length, outcomes: results.map((r) => `${r.key}:${r.status}`) }, "journal reconciled with the chain");
    return results;
  }

  private async exclusive<T>(job: () => Promise<T>): Promise<T> {
    const run = this.queue.then(job, job);
    this.queue = run.catch(() => undefined);
    return run;
  }

  /**
   * The outcome of an action that must not be signed again: already sent or confirmed under its
   * key, signed by a process that died before marking it sent (settled), or another action of the
   * same decision (scope) still in flight. Undefined: go ahead.
   */
  private async alreadyHandled(action: TxAction, confirmations: number | undefined): Promise<SendResult | undefined> {
    const { journal } = this.deps;
    const existing = journal.byKey(action.key);
    if (existing !== undefined && existing.state === "planned" && journal.attempts(existing.id).length > 0) {
      // Signed by a process that died before marking it sent: settle, never sign again.
      return this.settle(existing, journal.attempts(existing.id), confirmations);
    }
    return this.inFlightOrDone(action);
  }

  /** The synchronous part of `alreadyHandled` (journal only), re-run under the lock. */
  private inFlightOrDone(action: TxAction): SendResult | undefined {
    const { journal, logger } = this.deps;
    const existing = journal.byKey(action.key);
    if (existing !== undefined && (existing.state === "confirmed" || IN_FLIGHT_STATES.includes(existing.state))) {
      logger.info({ key: action.key, state: existing.state, hash: existing.txHash }, "action already sent under this key: skipped");
      return { status: "skipped", key: action.key, state: existing.state, ...(existing.txHash !== undefined ? { hash: existing.txHash } : {}) };
    }
    if (existing !== undefined && existing.state === "planned" && journal.attempts(existing.id).length > 0) {
      logger.info({ key: action.key }, "action signed by a concurrent send: skipped");
      return { status: "skipped", key: action.key, state: existing.state };
    }
    if (action.scope !== undefined) {
      const sibling = journal.inFlightAttempts().find((a) => a.key !== action.key && scopeOf(journal.get(a.actionId).payload) === action.scope);
      if (sibling !== undefined) {
        const entry = journal.get(sibling.actionId);
        logger.warn({ key: action.key, scope: action.scope, inFlight: entry.key, hash: sibling.hash }, "an action of the same decision is still in flight: skipped");
        return { status: "skipped", key: action.key, state: entry.state, hash: sibling.hash };
      }
    }
    return undefined;
  }

  /** Simulates the action, sizes its gas and prices its fees; a failure is journaled (not in a dry run). */
  private async prepare(action: TxAction, dryRun: boolean): Promise<{ plan: TxPlan; fees: Fees } | SendResult> {
    const { provider } = this.deps;
    const from = await this.from();
    const value = action.value ?? 0n;
    let gasLimit: bigint;
    try {
      await provider.call({ from, to: action.to, data: action.data, value });
      gasLimit = action.gasLimit ?? ((await provider.estimateGas({ from, to: action.to, data: action.data, value })) * this.gasMargin) / 100n;
    } catch (err) {
      return this.failEarly(action, "simulate", describeContractError(err, this.deps.abis ?? []), dryRun);
    }
    let fees: Fees;
    try {
      fees = await this.currentFees(this.feePolicy(action.kind, this.urgencyOf(action)));
    } catch (err) {
      return this.failEarly(action, "fees", (err as Error).message, dryRun);
    }
    return { plan: { from, to: action.to, data: action.data, value, gasLimit, maxFeePerGas: fees.maxFeePerGas, maxPriorityFeePerGas: fees.maxPriorityFeePerGas }, fees };
  }

  private failEarly(action: TxAction, stage: SendStage, error: string, dryRun: boolean): SendResult {
    const { journal, logger } = this.deps;
    logger.error({ key: action.key, kind: action.kind, stage, error }, `action failed before sending (${stage})`);
    if (!dryRun) {
      const raced = this.inFlightOrDone(action);
      if (raced !== undefined) return raced;
      const entry = journal.plan({ kind: action.kind, key: action.key, payload: this.payloadOf(action) });
      journal.markFailed(entry.id, `${stage}: ${error}`);
    }
    return { status: "failed", key: action.key, stage, error };
  }

  /**
   * Under the lock: journals, picks the nonce (an urgent action may take a stuck routine one),
   * signs, records the signed bytes (fenced), broadcasts. Returns the sent entry to wait on.
   */
  private async signAndBroadcast(action: TxAction, plan: TxPlan, fees: Fees): Promise<JournalEntry | SendResult> {
    const { journal, logger } = this.deps;
    const entry = journal.plan({ kind: action.kind, key: action.key, payload: this.payloadOf(action) });
    const urgency = this.urgencyOf(action);
    let nonce = await this.allocateNonce();
    let priced = plan;
    let displaced: TxAttempt & { key: string } | undefined;
    if (urgency === "urgent") {
      const taken = await this.stuckRoutineBelow(nonce, fees, this.feePolicy(action.kind, urgency), plan);
      if (taken !== undefined) {
        ({ displaced, plan: priced } = taken);
        nonce = taken.displaced.nonce;
      }
    }
    let signed: { hash: string; rawTx: string };
    try {
      signed = await this.sign({ ...priced, nonce });
    } catch (err) {
      journal.markFailed(entry.id, `sign: ${(err as Error).message}`);
      return { status: "failed", key: action.key, stage: "send", error: (err as Error).message };
    }
    const facts = { hash: signed.hash, nonce, maxFeePerGas: priced.maxFeePerGas, maxPriorityFeePerGas: priced.maxPriorityFeePerGas };
    journal.recordAttempt(entry.id, { ...facts, rawTx: signed.rawTx });
    const failed = await this.broadcast(action, entry.id, signed, nonce);
    if (failed !== undefined) return failed;
    if (displaced === undefined) this.nextNonce = nonce + 1;
    const sent = journal.markSent(entry.id, { ...facts, sentBlock: fees.blockNumber });
    logger.info(
      {
        key: action.key,
        kind: action.kind,
        urgency,
        hash: signed.hash,
        nonce,
        maxFeeGwei: gwei(priced.maxFeePerGas),
        tipGwei: gwei(priced.maxPriorityFeePerGas),
        ...(displaced !== undefined ? { displacedKey: displaced.key, displacedHash: displaced.hash } : {}),
      },
      displaced !== undefined ? "urgent transaction sent in place of a stuck routine one (same nonce, higher fees)" : "transaction sent",
    );
    return sent;
  }

  /**
   * The lowest pending routine transaction of this key below `nextNonce` that the market has
   * left behind (maxFeePerGas under base fee + tip), with the urgent plan re-priced to replace it
   * (≥ +12.5 % on both fees, within the urgent ceiling). Undefined: take the next nonce.
   */
  private async stuckRoutineBelow(nextNonce: number, fees: Fees, policy: FeePolicy, plan: TxPlan): Promise<{ displaced: TxAttempt & { key: string }; plan: TxPlan } | undefined> {
    const { journal, provider } = this.deps;
    const latestByAction = new Map<number, TxAttempt & { key: string; kind: string }>();
    for (const a of journal.inFlightAttempts()) latestByAction.set(a.actionId, a); // newest attempt of each action wins
    const candidates = [...latestByAction.values()].filter((a) => a.nonce < nextNonce).sort((a, b) => a.nonce - b.nonce);
    if (candidates.length === 0) return undefined;
    const mined = await provider.getTransactionCount(await this.from(), "latest");
    const lowest = candidates.find((a) => a.nonce >= mined);
    if (lowest === undefined) return undefined;
    if (this.urgencyOf({ kind: lowest.kind, ...urgencyField(journal.get(lowest.actionId).payload) }) === "urgent") return undefined;
    if (lowest.maxFeePerGas >= fees.baseFee + this.routine.maxPriorityFeePerGas) return undefined; // priced to be mined: not stuck
    // The node holds one transaction per nonce: the urgent one must outbid every attempt at it.
    const rivals = [...latestByAction.values()].filter((a) => a.nonce === lowest.nonce);
    const needMax = rivals.reduce((m, a) => maxBig(m, bumpFee(a.maxFeePerGas)), 0n);
    const needTip = rivals.reduce((m, a) => maxBig(m, bumpFee(a.maxPriorityFeePerGas)), 0n);
    const maxFeePerGas = maxBig(plan.maxFeePerGas, needMax);
    const tip = maxBig(plan.maxPriorityFeePerGas, needTip);
    if (maxFeePerGas > policy.maxFeePerGasCeiling || tip > maxFeePerGas) {
      this.deps.logger.warn(
        { stuckKey: lowest.key, nonce: lowest.nonce, neededMaxFeeGwei: gwei(maxFeePerGas), ceilingGwei: gwei(policy.maxFeePerGasCeiling) },
        "urgent action cannot outbid the stuck routine transaction within its ceiling: takes the next nonce",
      );
      return undefined;
    }
    return { displaced: lowest, plan: { ...plan, maxFeePerGas, maxPriorityFeePerGas: tip } };
  }

  /** Broadcasts the signed bytes; the failed result only when the node surely does not have them. */
  private async broadcast(action: TxAction, entryId: number, signed: { hash: string; rawTx: string }, nonce: number): Promise<SendResult | undefined> {
    const { journal, logger, provider } = this.deps;
    try {
      await provider.broadcastTransaction(signed.rawTx);
    } catch (err) {
      const error = describeContractError(err, this.deps.abis ?? []);
      // A lost reply retried by the RPC client comes back as "nonce already used"/"nonce too
      // low" for a transaction the node did take: only a node that does not know the hash
      // makes this a failure. Unknown (lookup failed too): keep it in flight; reconcile settles it.
      const nodeHasIt = /already known/i.test(error) ? true : await this.nodeHas(signed.hash);
      if (nodeHasIt === false) {
        this.nextNonce = undefined; // the node may disagree about our nonce: re-read it
        journal.markFailed(entryId, `send: ${error}`);
        logger.error({ key: action.key, nonce, error }, "broadcast failed");
        return { status: "failed", key: action.key, stage: "send", error, hash: signed.hash };
      }
      if (!/already known/i.test(error)) {
        logger.warn(
          { key: action.key, nonce, hash: signed.hash, error, nodeHasIt: nodeHasIt ?? "unknown" },
          "broadcast reported an error but the transaction may be on the node: kept in flight",
        );
      }
    }
    return undefined;
  }

  /** Settles an action with signed attempts (reconcile and crash-recovery path). */
  private async settle(entry: JournalEntry, attempts: readonly TxAttempt[], confirmations?: number): Promise<SendResult> {
    const { journal, logger, provider } = this.deps;
    const mined = await this.findMined(attempts);
    if (mined !== undefined) return this.finish(entry, mined.receipt, confirmations);
    const latest = attempts[attempts.length - 1] as TxAttempt;
    const usedNonces = await provider.getTransactionCount(await this.from(), "latest");
    if (usedNonces > latest.nonce) {
      // Re-check: a receipt may have appeared between the two reads.
      const late = await this.findMined(attempts);
      if (late !== undefined) return this.finish(entry, late.receipt, confirmations);
      const error = `nonce ${latest.nonce} was used by a transaction this journal never signed`;
      journal.markFailed(entry.id, error);
      logger.error({ key: entry.key, nonce: latest.nonce, hashes: attempts.map((a) => a.hash) }, error);
      return { status: "failed", key: entry.key, stage: "receipt", error };
    }
    const head = await provider.getBlockNumber();
    const known = await provider.getTransaction(latest.hash);
    if (known === null) {
      logger.warn({ key: entry.key, hash: latest.hash, nonce: latest.nonce }, "reconcile: node forgot the transaction; rebroadcasting the same signed bytes");
      try {
        await provider.broadcastTransaction(latest.rawTx);
      } catch (err) {
        logger.warn({ key: entry.key, error: describeContractError(err) }, "rebroadcast refused");
      }
    }
    let current = entry;
    if (entry.state === "planned") {
      current = journal.markSent(entry.id, { ...latest, sentBlock: head });
    } else if (known === null) {
      journal.touchSentBlock(entry.id, head);
      current = journal.get(entry.id);
    }
    return this.waitForOutcome(current, confirmations);
  }

  private async waitForOutcome(entry: JournalEntry, confirmations = this.confirmations): Promise<SendResult> {
    const { journal, logger, provider } = this.deps;
    const deadline = this.nowMs() + this.receiptTimeoutMs;
    let current = entry;
    let ceilingWarned = false;
    let nonceCheckedAt: number | undefined;
    for (;;) {
      current = journal.get(current.id);
      const done = settledResult(current);
      if (done !== undefined) return done; // settled meanwhile by reconcileTick
      const attempts = journal.attempts(current.id);
      const mined = await this.findMined(attempts);
      if (mined !== undefined) return this.finish(current, mined.receipt, confirmations);
      const latest = attempts[attempts.length - 1] as TxAttempt;
      if (this.nowMs() >= deadline) {
        logger.warn(
          { key: current.key, hash: latest.hash, nonce: latest.nonce, waitedMs: this.receiptTimeoutMs },
          "transaction not mined in time: left as sent in the journal; reconcile will settle it",
        );
        return { status: "pending", key: current.key, hash: latest.hash, nonce: latest.nonce };
      }
      const head = await provider.getBlockNumber();
      const sentBlock = current.sentBlock ?? head;
      const policy = this.policyOfEntry(current);
      // Each new block: is our nonce used by a transaction that is not ours (an urgent action that
      // displaced this one)? Then the wait ends now, not at the next replacement window.
      if (head !== nonceCheckedAt) {
        nonceCheckedAt = head;
        const usedNonces = await provider.getTransactionCount(await this.from(), "latest");
        if (usedNonces > latest.nonce) {
          const late = await this.findMined(attempts);
          if (late !== undefined) return this.finish(current, late.receipt, confirmations);
          const outcome = await this.exclusive(() => this.nonceTakenLocked(current.id, latest));
          if (outcome !== undefined) return outcome;
          continue; // re-sent at a fresh nonce: wait for that one
        }
      }
      if (head - sentBlock >= policy.replaceAfterBlocks) {
        const replaced = await this.exclusive(() => this.replaceLocked(current.id, latest.hash, head, !ceilingWarned));
        if (replaced === undefined) {
          ceilingWarned = true;
          journal.touchSentBlock(current.id, head); // wait another window before trying again
        }
      }
      await this.sleep(this.pollIntervalMs);
    }
  }

  /** The fee policy of a journaled action (its kind, and its urgency when the action named one). */
  private policyOfEntry(entry: JournalEntry): FeePolicy {
    return this.feePolicy(entry.kind, this.urgencyOf({ kind: entry.kind, ...urgencyField(entry.payload) }));
  }

  /**
   * Under the lock: `latest`'s nonce was used by a transaction this action did not sign. An urgent
   * action is re-signed at a fresh nonce (its old transaction can never be mined); a routine one
   * fails (its cycle retries it), naming the action that took its nonce when this journal knows it.
   * Undefined: re-sent, keep waiting.
   */
  private async nonceTakenLocked(actionId: number, latest: TxAttempt): Promise<SendResult | undefined> {
    const { journal, logger } = this.deps;
    const entry = journal.get(actionId);
    const done = settledResult(entry);
    if (done !== undefined) return done;
    const attempts = journal.attempts(actionId);
    const newest = attempts[attempts.length - 1];
    if (newest !== undefined && newest.hash !== latest.hash) return undefined; // already re-sent or replaced meanwhile
    const late = await this.findMined(attempts);
    if (late !== undefined) return this.finish(entry, late.receipt, 1);
    if (this.urgencyOf({ kind: entry.kind, ...urgencyField(entry.payload) }) === "urgent") {
      const resent = await this.resendAtFreshNonce(entry, latest);
      if (resent) return undefined;
    }
    const taker = journal.confirmedAtNonce(latest.nonce, actionId) ?? (await this.minedAttemptAtNonce(latest.nonce, actionId));
    const error =
      `nonce ${latest.nonce} was used by a transaction this action never signed` +
      (taker !== undefined ? ` (taken by ${taker.kind} action ${taker.key}, ${taker.hash})` : "");
    journal.markFailed(entry.id, error);
    logger.error({ key: entry.key, nonce: latest.nonce, ...(taker !== undefined ? { takenBy: taker.key } : {}) }, error);
    return { status: "failed", key: entry.key, stage: "receipt", error };
  }

  /** Another action's attempt at `nonce` that the chain has mined (its action may not be settled yet). */
  private async minedAttemptAtNonce(nonce: number, exceptActionId: number): Promise<{ key: string; kind: string; hash: string } | undefined> {
    for (const attempt of this.deps.journal.attemptsAtNonce(nonce, exceptActionId)) {
      if ((await this.deps.provider.getTransactionReceipt(attempt.hash)) !== null) return attempt;
    }
    return undefined;
  }

  /** Under the lock: signs `entry`'s transaction again at the next free nonce (its own policy). */
  private async resendAtFreshNonce(entry: JournalEntry, latest: TxAttempt): Promise<boolean> {
    const { journal, logger, provider } = this.deps;
    const policy = this.policyOfEntry(entry);
    this.nextNonce = undefined;
    const nonce = await this.allocateNonce();
    let fees: Fees;
    try {
      fees = await this.currentFees(policy);
    } catch (err) {
      logger.error({ key: entry.key, error: (err as Error).message }, "urgent action lost its nonce and cannot be re-priced");
      return false;
    }
    const maxFeePerGas = maxBig(fees.maxFeePerGas, minBig(latest.maxFeePerGas, policy.maxFeePerGasCeiling));
    const maxPriorityFeePerGas = minBig(maxFeePerGas, maxBig(fees.maxPriorityFeePerGas, latest.maxPriorityFeePerGas));
    const tx = Transaction.from(latest.rawTx);
    const signed = await this.sign({ from: await this.from(), to: tx.to ?? "", data: tx.data, value: tx.value, gasLimit: tx.gasLimit, maxFeePerGas, maxPriorityFeePerGas, nonce });
    const facts = { hash: signed.hash, nonce, maxFeePerGas, maxPriorityFeePerGas };
    journal.recordAttempt(entry.id, { ...facts, rawTx: signed.rawTx });
    try {
      await provider.broadcastTransaction(signed.rawTx);
    } catch (err) {
      logger.warn({ key: entry.key, nonce, error: describeContractError(err) }, "urgent re-send refused by the node; reconcileTick re-sends its bytes");
    }
    this.nextNonce = nonce + 1;
    journal.markReplaced(entry.id, latest.hash, { ...facts, sentBlock: fees.blockNumber });
    logger.warn({ key: entry.key, lostNonce: latest.nonce, nonce, hash: signed.hash }, "urgent action's nonce was used by another transaction: re-signed at a fresh nonce");
    return true;
  }

  /** Under the lock: replaces `entry`'s stuck transaction unless it changed meanwhile. */
  private async replaceLocked(actionId: number, latestHash: string, head: number, warn: boolean): Promise<JournalEntry | undefined> {
    const { journal } = this.deps;
    const entry = journal.get(actionId);
    if (settledResult(entry) !== undefined) return entry;
    const attempts = journal.attempts(actionId);
    const latest = attempts[attempts.length - 1];
    if (latest === undefined || latest.hash !== latestHash) return entry; // replaced by reconcileTick meanwhile
    return this.replace(entry, latest, head, warn);
  }

  /** Same nonce, both fees ≥ +12.5 % (and at least the current market), capped by the kind's ceiling. */
  private async replace(entry: JournalEntry, latest: TxAttempt, head: number, warn: boolean): Promise<JournalEntry | undefined> {
    const { journal, logger, provider } = this.deps;
    const policy = this.policyOfEntry(entry);
    const ceiling = policy.maxFeePerGasCeiling;
    // A routine transaction whose nonce an urgent action took stays put; the urgent one may bump itself.
    const isUrgent = (a: { kind: string; actionId: number }) => this.urgencyOf({ kind: a.kind, ...urgencyField(journal.get(a.actionId).payload) }) === "urgent";
    const rival =
      this.urgencyOf({ kind: entry.kind, ...urgencyField(entry.payload) }) === "routine"
        ? journal.inFlightAttempts().find((a) => a.nonce === latest.nonce && a.actionId !== entry.id && isUrgent(a))
        : undefined;
    if (rival !== undefined) {
      // An urgent action took this nonce: outbidding it would undo the urgent send.
      logger.warn({ key: entry.key, nonce: latest.nonce, takenBy: rival.key }, "stuck transaction not replaced: an urgent action holds its nonce");
      return undefined;
    }
    const minMaxFee = bumpFee(latest.maxFeePerGas);
    const minTip = bumpFee(latest.maxPriorityFeePerGas);
    let market: { maxFeePerGas: bigint; maxPriorityFeePerGas: bigint } = { maxFeePerGas: 0n, maxPriorityFeePerGas: 0n };
    try {
      market = await this.currentFees(policy);
    } catch {
      // base fee above the ceiling: the bump alone (capped below) still applies
    }
    const maxFeePerGas = [minMaxFee, market.maxFeePerGas].reduce((a, b) => (a > b ? a : b));
    const tip = [minTip, market.maxPriorityFeePerGas].reduce((a, b) => (a > b ? a : b));
    const cappedMaxFee = maxFeePerGas > ceiling ? ceiling : maxFeePerGas;
    const cappedTip = tip > cappedMaxFee ? cappedMaxFee : tip;
    if (cappedMaxFee < minMaxFee || cappedTip < minTip) {
      if (warn) {
        logger.error(
          { key: entry.key, hash: latest.hash, nonce: latest.nonce, neededMaxFeeGwei: gwei(minMaxFee), ceilingGwei: gwei(ceiling) },
          `stuck transaction cannot be replaced: +12.5% fees would exceed ${policy.ceilingName ?? "maxFeePerGasCeiling"}; still waiting`,
        );
      }
      return undefined;
    }
    const tx = Transaction.from(latest.rawTx);
    const signed = await this.sign({
      from: await this.from(),
      to: tx.to ?? "",
      data: tx.data,
      value: tx.value,
      gasLimit: tx.gasLimit,
      maxFeePerGas: cappedMaxFee,
      maxPriorityFeePerGas: cappedTip,
      nonce: latest.nonce,
    });
    const facts = { hash: signed.hash, nonce: latest.nonce, maxFeePerGas: cappedMaxFee, maxPriorityFeePerGas: cappedTip };
    journal.recordAttempt(entry.id, { ...facts, rawTx: signed.rawTx });
    try {
      await provider.broadcastTransaction(signed.rawTx);
    } catch (err) {
      // The original may have been mined meanwhile ("nonce too low"): the next poll finds it.
      logger.warn({ key: entry.key, nonce: latest.nonce, error: describeContractError(err) }, "replacement refused by the node");
      return undefined;
    }
    logger.warn(
      {
        key: entry.key,
        nonce: latest.nonce,
        replacedHash: latest.hash,
        hash: signed.hash,
        maxFeeGwei: gwei(cappedMaxFee),
        tipGwei: gwei(cappedTip),
        blocksWaited: head - (entry.sentBlock ?? head),
      },
      "stuck transaction replaced at the same nonce with higher fees",
    );
    return journal.markReplaced(entry.id, latest.hash, { ...facts, sentBlock: head });
  }

  /** Whether the node knows `hash` (pending or mined); `undefined` when the lookup fails. */
  private async nodeHas(hash: string): Promise<boolean | undefined> {
    try {
      return (await this.deps.provider.getTransaction(hash)) !== null;
    } catch {
      return undefined;
    }
  }

  private async findMined(attempts: readonly TxAttempt[]): Promise<{ attempt: TxAttempt; receipt: TransactionReceipt } | undefined> {
    // Newest first: a replacement is the likelier winner.
    for (const attempt of [...attempts].reverse()) {
      const receipt = await this.deps.provider.getTransactionReceipt(attempt.hash);
      if (receipt !== null) return { attempt, receipt };
    }
    return undefined;
  }

  private async finish(entry: JournalEntry, receipt: TransactionReceipt, confirmations = this.confirmations): Promise<SendResult> {
    const { journal, logger, provider } = this.deps;
    while (confirmations > 1 && (await provider.getBlockNumber()) < receipt.blockNumber + confirmations - 1) {
      await this.sleep(this.pollIntervalMs);
    }
    // A send waiting for its receipt and reconcileTick may both find the receipt: settle once.
    const settledMeanwhile = settledResult(journal.get(entry.id));
    if (settledMeanwhile !== undefined) return settledMeanwhile;
    const mined = { hash: receipt.hash, blockNumber: receipt.blockNumber, gasUsed: receipt.gasUsed };
    const nonce = entry.nonce ?? Transaction.from(journal.attempts(entry.id).find((a) => a.hash === receipt.hash)?.rawTx ?? "0x").nonce;
    if (receipt.status === 1) {
      journal.markConfirmed(entry.id, mined);
      logger.info({ key: entry.key, hash: receipt.hash, block: receipt.blockNumber, gasUsed: receipt.gasUsed.toString() }, "transaction confirmed");
      return { status: "confirmed", key: entry.key, hash: receipt.hash, nonce, blockNumber: receipt.blockNumber, gasUsed: receipt.gasUsed, effectiveGasPrice: receipt.gasPrice };
    }
    const reason = await this.revertReason(receipt);
    journal.markFailed(entry.id, `reverted: ${reason}`, mined);
    logger.error({ key: entry.key, hash: receipt.hash, block: receipt.blockNumber, reason }, "transaction reverted on chain");
    return { status: "failed", key: entry.key, stage: "receipt", error: reason, hash: receipt.hash };
  }

  /** Replays a reverted transaction as a call on the parent block to recover its revert data. */
  private async revertReason(receipt: TransactionReceipt): Promise<string> {
    try {
      const tx = await this.deps.provider.getTransaction(receipt.hash);
      if (tx === null) return "reverted (transaction not found for replay)";
      await this.deps.provider.call({ from: tx.from, to: tx.to, data: tx.data, value: tx.value, gasLimit: tx.gasLimit, blockTag: receipt.blockNumber - 1 });
      return "reverted (replay succeeded: state changed within the block)";
    } catch (err) {
      return describeContractError(err, this.deps.abis ?? []);
    }
  }

  /**
   * The node's pending count, but never below a nonce this journal holds in flight (a node that
   * dropped our transaction would otherwise hand its nonce to a new action and orphan the old one).
   */
  private async allocateNonce(): Promise<number> {
    if (this.nextNonce === undefined) {
      const pending = await this.deps.provider.getTransactionCount(await this.from(), "pending");
      const held = this.deps.journal.inFlightAttempts().reduce((max, a) => Math.max(max, a.nonce + 1), 0);
      this.nextNonce = Math.max(pending, held);
    }
    return this.nextNonce;
  }

  /**
   * One non-blocking pass over every in-flight action (every tick): see the class comment.
   * Never signs a new action; a replacement or gap filler is journaled like any transaction.
   */
  reconcileTick(): Promise<TickReconciliation> {
    return this.exclusive(async () => {
      const { journal, logger, provider } = this.deps;
      const from = await this.from();
      const attempts = journal.inFlightAttempts();
      const settled: SendResult[] = [];
      const rebroadcast: string[] = [];
      const replaced: string[] = [];
      const gapsClosed: number[] = [];
      const byAction = new Map<number, TxAttempt[]>();
      for (const a of attempts) byAction.set(a.actionId, [...(byAction.get(a.actionId) ?? []), a]);
      if (byAction.size === 0) return { inFlight: 0, settled, rebroadcast, replaced, gapsClosed };
      const [mined, head] = await Promise.all([provider.getTransactionCount(from, "latest"), provider.getBlockNumber()]);
      // Lowest nonce first: a stuck low nonce holds every later one.
      const actions = [...byAction.entries()].sort(([, a], [, b]) => Math.min(...a.map((x) => x.nonce)) - Math.min(...b.map((x) => x.nonce)));
      const pendingNonces = new Set<number>();
      for (const [actionId, own] of actions) {
        const entry = journal.get(actionId);
        const found = await this.findMined(own);
        if (found !== undefined) {
          settled.push(await this.finish(entry, found.receipt, 1));
          continue;
        }
        const latest = own[own.length - 1] as TxAttempt;
        if (mined > latest.nonce) {
          const late = await this.findMined(own);
          if (late !== undefined) {
            settled.push(await this.finish(entry, late.receipt, 1));
            continue;
          }
          const outcome = await this.nonceTakenLocked(entry.id, latest);
          if (outcome !== undefined) settled.push(outcome);
          else rebroadcast.push(entry.key);
          continue;
        }
        pendingNonces.add(latest.nonce);
        let current = entry.state === "planned" ? journal.markSent(entry.id, { ...latest, sentBlock: head }) : entry;
        if ((await this.nodeHas(latest.hash)) === false) {
          logger.warn({ key: entry.key, hash: latest.hash, nonce: latest.nonce }, "pending transaction dropped by the node: re-sending its signed bytes");
          try {
            await provider.broadcastTransaction(latest.rawTx);
            rebroadcast.push(entry.key);
          } catch (err) {
            logger.warn({ key: entry.key, error: describeContractError(err) }, "re-send refused");
          }
          journal.touchSentBlock(entry.id, head);
          continue;
        }
        if (head - (current.sentBlock ?? head) >= this.policyOfEntry(current).replaceAfterBlocks) {
          const next = await this.replace(current, latest, head, true);
          if (next !== undefined) {
            replaced.push(entry.key);
            current = next;
          } else journal.touchSentBlock(entry.id, head);
        }
      }
      // Nonce gap: nonces between the mined count and our lowest pending one that nobody holds.
      if (pendingNonces.size > 0) {
        const lowest = Math.min(...pendingNonces);
        for (let nonce = mined; nonce < lowest; nonce += 1) {
          if (await this.closeGap(nonce, head)) gapsClosed.push(nonce);
        }
      }
      this.nextNonce = undefined;
      if (settled.length + rebroadcast.length + replaced.length + gapsClosed.length > 0) {
        logger.info(
          { inFlight: byAction.size, settled: settled.map((r) => `${r.key}:${r.status}`), rebroadcast, replaced, gapsClosed },
          "pending transactions reconciled",
        );
      }
      return { inFlight: byAction.size, settled, rebroadcast, replaced, gapsClosed };
    });
  }

  /** Fills `nonce` with a journaled 0-value self-transfer. */
  private async closeGap(nonce: number, head: number): Promise<boolean> {
    const { journal, logger, provider } = this.deps;
    const from = await this.from();
    const key = `nonce-gap:${from.toLowerCase()}:${nonce}`;
    const existing = journal.byKey(key);
    if (existing !== undefined && existing.state !== "failed") return false; // already filling it
    let fees: Fees;
    try {
      fees = await this.currentFees(this.routine);
    } catch (err) {
      logger.error({ nonce, error: (err as Error).message }, "nonce gap: cannot price a filler");
      return false;
    }
    const plan: TxPlan = { from, to: from, data: "0x", value: 0n, gasLimit: 21_000n, maxFeePerGas: fees.maxFeePerGas, maxPriorityFeePerGas: fees.maxPriorityFeePerGas };
    const entry = journal.plan({ kind: "nonce-gap", key, payload: { to: from, value: 0n, data: "0x", detail: { nonce, reason: "nonce gap below pending transactions" } } });
    const signed = await this.sign({ ...plan, nonce });
    const facts = { hash: signed.hash, nonce, maxFeePerGas: plan.maxFeePerGas, maxPriorityFeePerGas: plan.maxPriorityFeePerGas };
    journal.recordAttempt(entry.id, { ...facts, rawTx: signed.rawTx });
    try {
      await provider.broadcastTransaction(signed.rawTx);
    } catch (err) {
      logger.warn({ nonce, error: describeContractError(err) }, "nonce gap filler refused");
    }
    journal.markSent(entry.id, { ...facts, sentBlock: head });
    logger.warn({ nonce, hash: signed.hash }, "nonce gap closed with a 0-value self-transfer");
    return true;
  }

  private async currentFees(policy: FeePolicy): Promise<Fees> {
    const block = await this.deps.provider.getBlock("latest");
    if (block === null) throw new Error("the RPC returned no latest block");
    const baseFee = block.baseFeePerGas;
    if (baseFee === null) throw new Error("the chain has no EIP-1559 base fee");
    const tip = policy.maxPriorityFeePerGas;
    const ceiling = policy.maxFeePerGasCeiling;
    if (baseFee + tip > ceiling) {
      throw new FeeCeilingError(
        `base fee ${gwei(baseFee)} gwei + tip ${gwei(tip)} gwei is above ${policy.ceilingName ?? "maxFeePerGasCeiling"} ${gwei(ceiling)} gwei — not sending`,
      );
    }
    const wanted = baseFee * 2n + tip;
    return { maxFeePerGas: wanted > ceiling ? ceiling : wanted, maxPriorityFeePerGas: tip, baseFee, blockNumber: block.number };
  }

  private async sign(tx: TxPlan & { nonce: number }): Promise<{ hash: string; rawTx: string }> {
    this.chainId ??= (await this.deps.provider.getNetwork()).chainId;
    const rawTx = await this.deps.signer.signTransaction({
      type: 2,
      chainId: this.chainId,
      nonce: tx.nonce,
      to: tx.to,
      data: tx.data,
      value: tx.value,
      gasLimit: tx.gasLimit,
      maxFeePerGas: tx.maxFeePerGas,
      maxPriorityFeePerGas: tx.maxPriorityFeePerGas,
    });
    return { hash: keccak256(rawTx), rawTx };
  }

  private payloadOf(action: TxAction): unknown {
    return {
      to: action.to,
      value: action.value ?? 0n,
      data: action.data,
      detail: action.payload ?? null,
      ...(action.scope !== undefined ? { scope: action.scope } : {}),
      ...(action.urgency !== undefined ? { urgency: action.urgency } : {}),
    };
  }
}

interface Fees {
  readonly maxFeePerGas: bigint;
  readonly maxPriorityFeePerGas: bigint;
  readonly baseFee: bigint;
  readonly blockNumber: number;
}

/** The urgent lane's defaults when the config names none: 1500 gwei ceiling, 3 gwei tip. */
const URGENT_CEILING_DEFAULT = 1500n * 10n ** 9n;
const URGENT_TIP_DEFAULT = 3n * 10n ** 9n;

const maxBig = (a: bigint, b: bigint): bigint => (a > b ? a : b);
const minBig = (a: bigint, b: bigint): bigint => (a < b ? a : b);

/** The result of an action already settled in the journal (confirmed or failed), else undefined. */
function settledResult(entry: JournalEntry): SendResult | undefined {
  if (entry.state === "confirmed") {
    return {
      status: "confirmed",
      key: entry.key,
      hash: entry.txHash ?? "",
      nonce: entry.nonce ?? -1,
      blockNumber: entry.blockNumber ?? 0,
      gasUsed: entry.gasUsed ?? 0n,
      effectiveGasPrice: 0n,
    };
  }
  if (entry.state === "failed") return { status: "failed", key: entry.key, stage: "receipt", error: entry.error ?? "failed", ...(entry.txHash !== undefined ? { hash: entry.txHash } : {}) };
  return undefined;
}

function urgencyField(payload: unknown): { urgency?: Urgency } {
  const urgency = (payload as { urgency?: unknown } | null)?.urgency;
  return urgency === "urgent" || urgency === "routine" ? { urgency } : {};
}

function scopeOf(payload: unknown): string | undefined {
  const scope = (payload as { scope?: unknown } | null)?.scope;
  return typeof scope === "string" ? scope : undefined;
}

/** Defaults matching the config schema's `tx` block. */
export const DEFAULT_TX_OPTIONS: TxSenderOptions = {
  maxFeePerGasCeiling: 300n * 10n ** 9n,
  maxPriorityFeePerGas: 15n * 10n ** 8n,
  replaceAfterBlocks: 3,
  receiptTimeoutMs: 180_000,
};
