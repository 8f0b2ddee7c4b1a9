/**
 * The action journal: one row per keeper action, keyed by an idempotency key, moving
 * planned → sent (hash, nonce, fees) → replaced (in flight under a replacement hash) →
 * confirmed | failed. Every signed transaction is also kept in `tx_attempts` (raw bytes
 * included) BEFORE it is broadcast, so a restart can find, rebroadcast or settle it.
 * A retry (failed → planned) starts a new `try`: the entry's hash, block and gas are cleared
 * and `attempts()` returns only the current try's transactions, so a retried action never
 * inherits the receipt of an earlier try.
 * With a `fence` (the signing lock's token), `plan` and `recordAttempt` check it inside their own
 * transaction: a process whose lock was taken over can record nothing more to sign or broadcast.
 */
import type { SqlConnection as Database } from "./sql";
import type { SigningFence } from "./daemonLock";

export const ACTION_STATES = ["planned", "sent", "replaced", "confirmed", "failed"] as const;
export type ActionState = (typeof ACTION_STATES)[number];

/** Legal moves; anything else is a bug and throws. */
const TRANSITIONS: Readonly<Record<ActionState, readonly ActionState[]>> = {
  // planned → confirmed: a signed attempt found mined by reconcile before it was marked sent.
  planned: ["planned", "sent", "confirmed", "failed"],
  sent: ["sent", "replaced", "confirmed", "failed"],
  replaced: ["replaced", "confirmed", "failed"],
  confirmed: [],
  failed: ["planned"],
};

/** States in which the action may already be on chain: `send()` must never sign it again. */
export const IN_FLIGHT_STATES: readonly ActionState[] = ["sent", "replaced"];

export interface JournalEntry {
  readonly id: number;
  readonly kind: string;
  readonly key: string;
  readonly payload: unknown;
  readonly state: ActionState;
  readonly txHash: string | undefined;
  readonly nonce: number | undefined;
  readonly maxFeePerGas: bigint | undefined;
  readonly maxPriorityFeePerGas: bigint | undefined;
  readonly sentBlock: number | undefined;
  /** Hashes this action's current transaction replaced, oldest first. */
  readonly replacedHashes: readonly string[];
  readonly blockNumber: number | undefined;
  readonly gasUsed: bigint | undefined;
  readonly error: string | undefined;
  /** 1 for the first try; each retry of a failed action adds one. */
  readonly try: number;
  readonly createdAt: number;
  readonly updatedAt: number;
}

export interface TxAttempt {
  readonly hash: string;
  readonly actionId: number;
  readonly nonce: number;
  readonly maxFeePerGas: bigint;
  readonly maxPriorityFeePerGas: bigint;
  readonly rawTx: string;
  readonly replacedBy: string | undefined;
  readonly try: number;
  readonly createdAt: number;
}

export interface SignedTxFacts {
  readonly hash: string;
  readonly nonce: number;
  readonly maxFeePerGas: bigint;
  readonly maxPriorityFeePerGas: bigint;
}

interface JournalRow {
  id: number;
  kind: string;
  idempotency_key: string;
  payload_json: string;
  state: ActionState;
  tx_hash: string | null;
  nonce: number | null;
  max_fee_per_gas: string | null;
  max_priority_fee_per_gas: string | null;
  sent_block: number | null;
  replaced_hashes_json: string;
  block_number: number | null;
  gas_used: string | null;
  error: string | null;
  try: number;
  created_at: number;
  updated_at: number;
}

interface AttemptRow {
  hash: string;
  action_id: number;
  nonce: number;
  max_fee_per_gas: string;
  max_priority_fee_per_gas: string;
  raw_tx: string;
  replaced_by: string | null;
  try: number;
  created_at: number;
}

export class IllegalTransitionError extends Error {
  constructor(readonly key: string, readonly from: ActionState, readonly to: ActionState) {
    super(`action ${key}: illegal journal transition ${from} -> ${to}`);
    this.name = "IllegalTransitionError";
  }
}

/** JSON with bigints as decimal strings. */
export function toJson(value: unknown): string {
  return JSON.stringify(value, (_k, v: unknown) => (typeof v === "bigint" ? v.toString() : v));
}

export class ActionJournal {
  /** The signing lock's fencing token, set when this process takes the lock. */
  fence: SigningFence | undefined;

  constructor(
    private readonly db: Database,
    private readonly nowMs: () => number = Date.now,
  ) {}

  byKey(key: string): JournalEntry | undefined {
    const row = this.db.prepare("SELECT * FROM action_journal WHERE idempotency_key = ?").get(key) as JournalRow | undefined;
    return row === undefined ? undefined : toEntry(row);
  }

  get(id: number): JournalEntry {
    const row = this.db.prepare("SELECT * FROM action_journal WHERE id = ?").get(id) as JournalRow | undefined;
    if (row === undefined) throw new Error(`action journal: no entry ${id}`);
    return toEntry(row);
  }

  list(filter: { state?: ActionState; kind?: string; limit?: number } = {}): JournalEntry[] {
    const where: string[] = [];
    const args: (string | number)[] = [];
    if (filter.state !== undefined) (where.push("state = ?"), args.push(filter.state));
    if (filter.kind !== undefined) (where.push("kind = ?"), args.push(filter.kind));
    if (filter.limit !== undefined) args.push(filter.limit);
    const sql = `SELECT * FROM action_journal ${where.length > 0 ? `WHERE ${where.join(" AND ")}` : ""} ORDER BY id${filter.limit !== undefined ? " LIMIT ?" : ""}`;
    return (this.db.prepare(sql).all(...args) as JournalRow[]).map(toEntry);
  }

  /** Counts by state (for status and metrics). */
  countsByState(): Partial<Record<ActionState, number>> {
    const rows = this.db.prepare("SELECT state, COUNT(*) AS n FROM action_journal GROUP BY state").all() as { state: ActionState; n: number }[];
    return Object.fromEntries(rows.map((r) => [r.state, r.n]));
  }

  /**
   * Records the intent before anything is signed. A new key inserts `planned`; a `failed` key is
   * reset to `planned` (a retry); a `planned` key is reused. In-flight or confirmed keys throw.
   */
  plan(action: { kind: string; key: string; payload: unknown }): JournalEntry {
    const now = this.nowMs();
    const run = this.db.transaction((): JournalEntry => {
      this.fence?.assertHeld(this.db);
      const existing = this.byKey(action.key);
      if (existing === undefined) {
        const inserted = this.db
          .prepare(
            `INSERT INTO action_journal (kind, idempotency_key, payload_json, state, created_at, updated_at)
             VALUES (?, ?, ?, 'planned', ?, ?) RETURNING id`,
          )
          .get(action.kind, action.key, toJson(action.payload), now, now) as { id: number };
        return this.get(inserted.id);
      }
      this.assertTransition(existing, "planned");
      if (existing.state === "failed") {
        // A retry: a new try with no hash, nonce, fees, block or gas of the failed one.
        this.db
          .prepare(
            `UPDATE action_journal SET state = 'planned', payload_json = ?, error = NULL, try = try + 1, tx_hash = NULL, nonce = NULL,
               max_fee_per_gas = NULL, max_priority_fee_per_gas = NULL, sent_block = NULL, replaced_hashes_json = '[]',
               block_number = NULL, gas_used = NULL, updated_at = ? WHERE id = ?`,
          )
          .run(toJson(action.payload), now, existing.id);
      } else {
        this.db
          .prepare("UPDATE action_journal SET state = 'planned', payload_json = ?, error = NULL, updated_at = ? WHERE id = ?")
          .run(toJson(action.payload), now, existing.id);
      }
      return this.get(existing.id);
    });
    return run.immediate();
  }

  /**
   * Stores a signed transaction before it is broadcast (crash between broadcast and `markSent` is
   * recoverable). Bytes identical to an earlier attempt of the same action (same nonce and fees
   * re-signed by a retry) are the same attempt: it joins the current try instead of being lost.
   * Fenced: throws `FencedOutError` (nothing stored) when this process no longer holds the lock.
   */
  recordAttempt(actionId: number, facts: SignedTxFacts & { rawTx: string }): void {
    const run = this.db.transaction(() => {
      this.fence?.assertHeld(this.db);
      this.db
        .prepare(
          // The same signed bytes again belong to the action and try signing them now: a retry that
          // re-signed the same nonce and fees, or a re-sign after a reorg removed the first (same
          // nonce, data and fees, possibly under another journal key, e.g. a halt reported again).
          `INSERT INTO tx_attempts (hash, action_id, nonce, max_fee_per_gas, max_priority_fee_per_gas, raw_tx, try, created_at)
           VALUES (?, ?, ?, ?, ?, ?, (SELECT try FROM action_journal WHERE id = ?), ?)
           ON CONFLICT (hash) DO UPDATE SET try = excluded.try, action_id = excluded.action_id, replaced_by = NULL`,
        )
        .run(facts.hash, actionId, facts.nonce, facts.maxFeePerGas.toString(), facts.maxPriorityFeePerGas.toString(), facts.rawTx, actionId, this.nowMs());
    });
    run.immediate();
  }

  /** The signed transactions of the action's current try (`allTries` for its whole history). */
  attempts(actionId: number, options: { allTries?: boolean } = {}): TxAttempt[] {
    const sql =
      options.allTries === true
        ? "SELECT * FROM tx_attempts WHERE action_id = ? ORDER BY created_at, rowid"
        : "SELECT a.* FROM tx_attempts a JOIN action_journal j ON j.id = a.action_id WHERE a.action_id = ? AND a.try = j.try ORDER BY a.created_at, a.rowid";
    return (this.db.prepare(sql).all(actionId) as AttemptRow[]).map(toAttempt);
  }

  /** Every in-flight attempt of every action (sent/replaced, or planned with a signed attempt), lowest nonce first. */
  inFlightAttempts(): (TxAttempt & { key: string; kind: string })[] {
    const rows = this.db
      .prepare(
        `SELECT a.*, j.idempotency_key AS key, j.kind AS kind FROM tx_attempts a JOIN action_journal j ON j.id = a.action_id
         WHERE a.try = j.try AND j.state IN ('planned', 'sent', 'replaced') ORDER BY a.nonce, a.created_at, a.rowid`,
      )
      .all() as (AttemptRow & { key: string; kind: string })[];
    return rows.map((r) => ({
      ...toAttempt(r),
      key: r.key,
      kind: r.kind,
    }));
  }

  /** The confirmed action (other than `exceptActionId`) whose mined transaction used `nonce`, if this journal signed it. */
  confirmedAtNonce(nonce: number, exceptActionId: number): { key: string; kind: string; hash: string } | undefined {
    const row = this.db
      .prepare(
        `SELECT j.idempotency_key AS key, j.kind AS kind, a.hash AS hash FROM tx_attempts a JOIN action_journal j ON j.id = a.action_id
         WHERE a.nonce = ? AND a.action_id <> ? AND j.state = 'confirmed' AND j.tx_hash = a.hash ORDER BY a.rowid DESC LIMIT 1`,
      )
      .get(nonce, exceptActionId) as { key: string; kind: string; hash: string } | undefined;
    return row;
  }

  /** Other actions' signed attempts at `nonce`, newest first (one of them may be mined before its action is settled). */
  attemptsAtNonce(nonce: number, exceptActionId: number): { key: string; kind: string; hash: string }[] {
    return this.db
      .prepare(
        `SELECT j.idempotency_key AS key, j.kind AS kind, a.hash AS hash FROM tx_attempts a JOIN action_journal j ON j.id = a.action_id
         WHERE a.nonce = ? AND a.action_id <> ? ORDER BY a.rowid DESC`,
      )
      .all(nonce, exceptActionId) as { key: string; kind: string; hash: string }[];
  }

  markSent(id: number, facts: SignedTxFacts & { sentBlock: number }): JournalEntry {
    return this.update(id, "sent", {
      tx_hash: facts.hash,
      nonce: facts.nonce,
      max_fee_per_gas: facts.maxFeePerGas.toString(),
      max_priority_fee_per_gas: facts.maxPriorityFeePerGas.toString(),
      sent_block: facts.sentBlock,
    });
  }

  /** The action's transaction was replaced at the same nonce by `facts.hash`. */
  markReplaced(id: number, replacedHash: string, facts: SignedTxFacts & { sentBlock: number }): JournalEntry {
    const entry = this.get(id);
    const run = this.db.transaction(() => {
      this.db.prepare("UPDATE tx_attempts SET replaced_by = ? WHERE hash = ?").run(facts.hash, replacedHash);
      return this.update(id, "replaced", {
        tx_hash: facts.hash,
        nonce: facts.nonce,
        max_fee_per_gas: facts.maxFeePerGas.toString(),
        max_priority_fee_per_gas: facts.maxPriorityFeePerGas.toString(),
        sent_block: facts.sentBlock,
        replaced_hashes_json: JSON.stringify([...entry.replacedHashes, replacedHash]),
      });
    });
    return run.immediate();
  }

  /** Also moves the sent block forward after a rebroadcast (state unchanged). */
  touchSentBlock(id: number, sentBlock: number): void {
    this.db.prepare("UPDATE action_journal SET sent_block = ?, updated_at = ? WHERE id = ?").run(sentBlock, this.nowMs(), id);
  }

  markConfirmed(id: number, mined: { hash: string; blockNumber: number; gasUsed: bigint }): JournalEntry {
    return this.update(id, "confirmed", { tx_hash: mined.hash, block_number: mined.blockNumber, gas_used: mined.gasUsed.toString(), error: null });
  }

  /**
   * A confirmed action whose transaction is no longer on the chain (a reorg removed it; its receipt
   * is gone): failed, so the next `plan` of its key starts a new try. Only from `confirmed`.
   */
  markReorged(id: number, reason: string): JournalEntry {
    const entry = this.get(id);
    if (entry.state !== "confirmed") throw new IllegalTransitionError(entry.key, entry.state, "failed");
    this.db.prepare("UPDATE action_journal SET state = 'failed', error = ?, updated_at = ? WHERE id = ?").run(`reorged: ${reason}`, this.nowMs(), id);
    return this.get(id);
  }

  markFailed(id: number, error: string, mined?: { hash: string; blockNumber: number; gasUsed: bigint }): JournalEntry {
    return this.update(id, "failed", {
      error,
      ...(mined !== undefined ? { tx_hash: mined.hash, block_number: mined.blockNumber, gas_used: mined.gasUsed.toString() } : {}),
    });
  }

  private update(id: number, to: ActionState, columns: Record<string, string | number | null>): JournalEntry {
    const entry = this.get(id);
    this.assertTransition(entry, to);
    const names = Object.keys(columns);
    const sets = [...names.map((n) => `${n} = @${n}`), "state = @state", "updated_at = @updated_at"].join(", ");
    this.db.prepare(`UPDATE action_journal SET ${sets} WHERE id = @id`).run({ ...columns, state: to, updated_at: this.nowMs(), id });
    return this.get(id);
  }

  private assertTransition(entry: JournalEntry, to: ActionState): void {
    if (!TRANSITIONS[entry.state].includes(to)) throw new IllegalTransitionError(entry.key, entry.state, to);
  }
}

function toEntry(row: JournalRow): JournalEntry {
  return {
    id: row.id,
    kind: row.kind,
    key: row.idempotency_key,
    payload: JSON.parse(row.payload_json) as unknown,
    state: row.state,
    txHash: row.tx_hash ?? undefined,
    nonce: row.nonce ?? undefined,
    maxFeePerGas: row.max_fee_per_gas === null ? undefined : BigInt(row.max_fee_per_gas),
    maxPriorityFeePerGas: row.max_priority_fee_per_gas === null ? undefined : BigInt(row.max_priority_fee_per_gas),
    sentBlock: row.sent_block ?? undefined,
    replacedHashes: JSON.parse(row.replaced_hashes_json) as string[],
    blockNumber: row.block_number ?? undefined,
    gasUsed: row.gas_used === null ? undefined : BigInt(row.gas_used),
    error: row.error ?? undefined,
    try: row.try,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
  };
}

function toAttempt(r: AttemptRow): TxAttempt {
  return {
      hash: r.hash,
      actionId: r.action_id,
      nonce: r.nonce,
      maxFeePerGas: BigInt(r.max_fee_per_gas),
      maxPriorityFeePerGas: BigInt(r.max_priority_fee_per_gas),
      rawTx: r.raw_tx,
      replacedBy: r.replaced_by ?? undefined,
      try: r.try,
      createdAt: r.created_at,
  };
}
