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
 * `send()` calls are serialised: one nonce owner per process.
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
}

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
  }

  async from(): Promise<string> {
    return (this.address ??= await this.deps.signer.getAddress());
  }

  /** Sends one action (serialised with every other send of this sender). */
  send(action: TxAction, options: { dryRun?: boolean; confirmations?: number } = {}): Promise<SendResult> {
    return this.exclusive(() => this.sendNow(action, options));
  }

  /**
   * Settles every action a previous process left `sent`/`replaced` (or signed but unmarked):
   * mined → confirmed/failed; nonce used by a transaction we never signed → failed; still known
   * to the node → wait (replacing if stuck); forgotten → rebroadcast the same signed bytes.
   */
  reconcile(): Promise<SendResult[]> {
    return this.exclusive(async () => {
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
    });
  }

  private async exclusive<T>(job: () => Promise<T>): Promise<T> {
    const run = this.queue.then(job, job);
    this.queue = run.catch(() => undefined);
    return run;
  }

  private async sendNow(action: TxAction, options: { dryRun?: boolean; confirmations?: number }): Promise<SendResult> {
    const dryRun = options.dryRun === true;
    const handled = await this.alreadyHandled(action, options.confirmations);
    if (handled !== undefined) return handled;
    const prepared = await this.prepare(action, dryRun);
    if ("status" in prepared) return prepared;
    const { plan, fees } = prepared;
    if (dryRun) {
      this.deps.logger.info({ key: action.key, kind: action.kind, to: action.to, gasLimit: plan.gasLimit.toString(), maxFeeGwei: gwei(plan.maxFeePerGas) }, "dry run: would send");
      return { status: "dry-run", key: action.key, plan };
    }
    return this.signAndSend(action, plan, fees.blockNumber, options.confirmations);
  }

  /**
   * The outcome of an action that must not be signed again: already sent or confirmed under its
   * key, signed by a process that died before marking it sent (settled), or another action of the
   * same decision (scope) still in flight. Undefined: go ahead.
   */
  private async alreadyHandled(action: TxAction, confirmations: number | undefined): Promise<SendResult | undefined> {
    const { journal, logger } = this.deps;
    const existing = journal.byKey(action.key);
    if (existing !== undefined && (existing.state === "confirmed" || IN_FLIGHT_STATES.includes(existing.state))) {
      logger.info({ key: action.key, state: existing.state, hash: existing.txHash }, "action already sent under this key: skipped");
      return { status: "skipped", key: action.key, state: existing.state, ...(existing.txHash !== undefined ? { hash: existing.txHash } : {}) };
    }
    if (existing !== undefined && existing.state === "planned" && journal.attempts(existing.id).length > 0) {
      // Signed by a process that died before marking it sent: settle, never sign again.
      return this.settle(existing, journal.attempts(existing.id), confirmations);
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
  private async prepare(action: TxAction, dryRun: boolean): Promise<{ plan: TxPlan; fees: Awaited<ReturnType<TxSender["currentFees"]>> } | SendResult> {
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
    let fees: Awaited<ReturnType<TxSender["currentFees"]>>;
    try {
      fees = await this.currentFees();
    } catch (err) {
      return this.failEarly(action, "fees", (err as Error).message, dryRun);
    }
    return { plan: { from, to: action.to, data: action.data, value, gasLimit, maxFeePerGas: fees.maxFeePerGas, maxPriorityFeePerGas: fees.maxPriorityFeePerGas }, fees };
  }

  private failEarly(action: TxAction, stage: SendStage, error: string, dryRun: boolean): SendResult {
    const { journal, logger } = this.deps;
    logger.error({ key: action.key, kind: action.kind, stage, error }, `action failed before sending (${stage})`);
    if (!dryRun) {
      const entry = journal.plan({ kind: action.kind, key: action.key, payload: this.payloadOf(action) });
      journal.markFailed(entry.id, `${stage}: ${error}`);
    }
    return { status: "failed", key: action.key, stage, error };
  }

  /** Journals, signs with the next nonce, broadcasts, then waits for the outcome. */
  private async signAndSend(action: TxAction, plan: TxPlan, sentBlock: number, confirmations: number | undefined): Promise<SendResult> {
    const { journal, logger } = this.deps;
    const entry = journal.plan({ kind: action.kind, key: action.key, payload: this.payloadOf(action) });
    const nonce = await this.allocateNonce();
    let signed: { hash: string; rawTx: string };
    try {
      signed = await this.sign({ ...plan, nonce });
    } catch (err) {
      journal.markFailed(entry.id, `sign: ${(err as Error).message}`);
      return { status: "failed", key: action.key, stage: "send", error: (err as Error).message };
    }
    const facts = { hash: signed.hash, nonce, maxFeePerGas: plan.maxFeePerGas, maxPriorityFeePerGas: plan.maxPriorityFeePerGas };
    journal.recordAttempt(entry.id, { ...facts, rawTx: signed.rawTx });
    const failed = await this.broadcast(action, entry.id, signed, nonce);
    if (failed !== undefined) return failed;
    this.nextNonce = nonce + 1;
    const sent = journal.markSent(entry.id, { ...facts, sentBlock });
    logger.info(
      { key: action.key, kind: action.kind, hash: signed.hash, nonce, maxFeeGwei: gwei(plan.maxFeePerGas), tipGwei: gwei(plan.maxPriorityFeePerGas) },
      "transaction sent",
    );
    return this.waitForOutcome(sent, confirmations);
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
    for (;;) {
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
      if (head - sentBlock >= this.replaceAfterBlocks) {
        const usedNonces = await provider.getTransactionCount(await this.from(), "latest");
        if (usedNonces > latest.nonce) {
          const late = await this.findMined(attempts);
          if (late !== undefined) return this.finish(current, late.receipt, confirmations);
          const error = `nonce ${latest.nonce} was used by a transaction this journal never signed`;
          journal.markFailed(current.id, error);
          logger.error({ key: current.key, nonce: latest.nonce }, error);
          return { status: "failed", key: current.key, stage: "receipt", error };
        }
        const replaced = await this.replace(current, latest, head, !ceilingWarned);
        if (replaced === undefined) {
          ceilingWarned = true;
          journal.touchSentBlock(current.id, head); // wait another window before trying again
          current = journal.get(current.id);
        } else current = replaced;
      }
      await this.sleep(this.pollIntervalMs);
    }
  }

  /** Same nonce, both fees ≥ +12.5 % (and at least the current market), capped by the ceiling. */
  private async replace(entry: JournalEntry, latest: TxAttempt, head: number, warn: boolean): Promise<JournalEntry | undefined> {
    const { journal, logger, provider } = this.deps;
    const ceiling = this.options.maxFeePerGasCeiling;
    const minMaxFee = bumpFee(latest.maxFeePerGas);
    const minTip = bumpFee(latest.maxPriorityFeePerGas);
    let market: { maxFeePerGas: bigint; maxPriorityFeePerGas: bigint } = { maxFeePerGas: 0n, maxPriorityFeePerGas: 0n };
    try {
      market = await this.currentFees();
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
          "stuck transaction cannot be replaced: +12.5% fees would exceed maxFeePerGasCeiling; still waiting",
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
          const error = `nonce ${latest.nonce} was used by a transaction this action never signed`;
          journal.markFailed(entry.id, error);
          logger.error({ key: entry.key, nonce: latest.nonce }, error);
          settled.push({ status: "failed", key: entry.key, stage: "receipt", error });
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
        if (head - (current.sentBlock ?? head) >= this.replaceAfterBlocks) {
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
    let fees: Awaited<ReturnType<TxSender["currentFees"]>>;
    try {
      fees = await this.currentFees();
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

  private async currentFees(): Promise<{ maxFeePerGas: bigint; maxPriorityFeePerGas: bigint; blockNumber: number }> {
    const block = await this.deps.provider.getBlock("latest");
    if (block === null) throw new Error("the RPC returned no latest block");
    const baseFee = block.baseFeePerGas;
    if (baseFee === null) throw new Error("the chain has no EIP-1559 base fee");
    const tip = this.options.maxPriorityFeePerGas;
    const ceiling = this.options.maxFeePerGasCeiling;
    if (baseFee + tip > ceiling) {
      throw new FeeCeilingError(
        `base fee ${gwei(baseFee)} gwei + tip ${gwei(tip)} gwei is above maxFeePerGasCeiling ${gwei(ceiling)} gwei — not sending`,
      );
    }
    const wanted = baseFee * 2n + tip;
    return { maxFeePerGas: wanted > ceiling ? ceiling : wanted, maxPriorityFeePerGas: tip, blockNumber: block.number };
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
    return { to: action.to, value: action.value ?? 0n, data: action.data, detail: action.payload ?? null, ...(action.scope !== undefined ? { scope: action.scope } : {}) };
  }
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
