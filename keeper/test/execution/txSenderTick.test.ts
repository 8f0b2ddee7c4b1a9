/**
 * TxSender.reconcileTick on the in-process Hardhat network over HTTP (counting proxy): every
 * tick, without waiting, pending transactions are settled when mined, re-sent with their own
 * signed bytes when the node dropped them, replaced when stuck (lowest nonce first), and a nonce
 * gap below them is closed. A retried action never inherits its failed try's receipt, and a
 * scoped decision (a purchase keyed by UTC day) is not sent twice across midnight.
 */
import { expect } from "chai";
import { network } from "hardhat";
import type { TxSenderOptions } from "../../src/execution/txSender";
import { useTxSenderHarness } from "../helpers/txSenderHarness";

const GWEI = 10n ** 9n;
const OPTIONS: TxSenderOptions = { maxFeePerGasCeiling: 500n * GWEI, maxPriorityFeePerGas: 2n * GWEI, replaceAfterBlocks: 2, receiptTimeoutMs: 100, pollIntervalMs: 20 };
const RECIPIENT = "0x000000000000000000000000000000000000bEEF";

describe("TxSender per-tick reconciliation (execution)", function () {
  this.timeout(30_000);
  const h = useTxSenderHarness(OPTIONS);
  const states = h.states;

  const setup = () => h.setup();
  const transfer = (key: string, scope?: string) => ({ kind: "transfer", key, to: RECIPIENT, data: "0x", value: 1000n, ...(scope !== undefined ? { scope } : {}) });
  const mine = (blocks = 1) => network.provider.request({ method: "hardhat_mine", params: [`0x${blocks.toString(16)}`] });

  it("settles mined transactions and re-sends a dropped one with its own signed bytes, without blocking", async () => {
    const { state, txSender } = await setup();
    await network.provider.request({ method: "evm_setAutomine", params: [false] });
    const a = await txSender.send(transfer("a"));
    const b = await txSender.send(transfer("b"));
    if (a.status !== "pending" || b.status !== "pending") throw new Error("expected pending sends");
    await network.provider.request({ method: "hardhat_dropTransaction", params: [b.hash] });
    h.proxy.reset();
    const first = await txSender.reconcileTick();
    expect(first.rebroadcast).to.deep.equal(["b"]);
    expect(h.proxy.counts()["eth_sendRawTransaction"]).to.equal(1);
    expect(first.settled).to.deep.equal([]);
    await mine();
    const second = await txSender.reconcileTick();
    expect(second.settled.map((r) => `${r.key}:${r.status}`).sort()).to.deep.equal(["a:confirmed", "b:confirmed"]);
    expect(state.journal.byKey("b")?.txHash).to.equal(b.hash); // the same signed bytes, not a new transaction
  });

  it("replaces stuck transactions after replaceAfterBlocks, lowest nonce first", async () => {
    const { state, txSender } = await setup();
    await network.provider.request({ method: "evm_setAutomine", params: [false] });
    const low = await txSender.send(transfer("low"));
    const high = await txSender.send(transfer("high"));
    if (low.status !== "pending" || high.status !== "pending") throw new Error("expected pending sends");
    const original = state.journal.byKey("low")!;
    // The base fee jumps above their maxFeePerGas: the next blocks leave them out.
    const base = (original.maxFeePerGas ?? 0n) * 3n;
    await network.provider.request({ method: "hardhat_setNextBlockBaseFeePerGas", params: [`0x${base.toString(16)}`] });
    await mine(2);
    expect(await h.provider.getTransactionReceipt(low.hash)).to.equal(null);
    const tick = await txSender.reconcileTick();
    expect(tick.replaced).to.deep.equal(["low", "high"]);
    const replaced = state.journal.byKey("low")!;
    expect(replaced.state).to.equal("replaced");
    expect(replaced.nonce).to.equal(original.nonce);
    expect(replaced.maxFeePerGas! >= ((original.maxFeePerGas ?? 0n) * 1125n + 999n) / 1000n).to.equal(true);
    await mine();
    const done = await txSender.reconcileTick();
    expect(done.settled.map((r) => `${r.key}:${r.status}`)).to.deep.equal(["low:confirmed", "high:confirmed"]);
    expect(await h.provider.getTransactionReceipt(low.hash)).to.equal(null);
  });

  it("closes a nonce gap below the pending transactions with a journaled 0-value self-transfer", async () => {
    const { wallet, state, txSender } = await setup();
    await network.provider.request({ method: "evm_setAutomine", params: [false] });
    const a = await txSender.send(transfer("n0"));
    const b = await txSender.send(transfer("n1"));
    if (a.status !== "pending" || b.status !== "pending") throw new Error("expected pending sends");
    // Nonce 0's action failed for good (its transaction gone): nonce 1 can never be mined.
    await network.provider.request({ method: "hardhat_dropTransaction", params: [a.hash] });
    state.journal.markFailed(state.journal.byKey("n0")!.id, "test: gave up on nonce 0");
    const tick = await txSender.reconcileTick();
    expect(tick.gapsClosed).to.deep.equal([0]);
    const filler = state.journal.list({ kind: "nonce-gap" });
    expect(filler).to.have.length(1);
    await mine();
    await txSender.reconcileTick();
    expect(state.journal.byKey("n1")?.state).to.equal("confirmed");
    expect(state.journal.get(filler[0]!.id).state).to.equal("confirmed");
    expect(await h.provider.getTransactionCount(wallet.address)).to.equal(2);
  });

  it("a purchase still in flight at UTC midnight is not bought again under the next day's key", async () => {
    const { txSender } = await setup();
    await network.provider.request({ method: "evm_setAutomine", params: [false] });
    const today = await txSender.send(transfer("purchase:aave:usdc:ben:20000", "purchase:aave:usdc:ben"));
    expect(today.status).to.equal("pending");
    h.proxy.reset();
    const tomorrow = await txSender.send(transfer("purchase:aave:usdc:ben:20001", "purchase:aave:usdc:ben"));
    expect(tomorrow.status).to.equal("skipped");
    expect(h.proxy.counts()["eth_sendRawTransaction"]).to.equal(undefined);
    await mine();
    await txSender.reconcileTick();
    await network.provider.request({ method: "evm_setAutomine", params: [true] });
    // Once the first is settled, a new decision of that scope may be sent.
    expect((await txSender.send(transfer("purchase:aave:usdc:ben:20002", "purchase:aave:usdc:ben"))).status).to.equal("confirmed");
  });

  it("a retried action does not inherit the receipt of its failed try", async () => {
    const { state, txSender } = await setup();
    // Try 1 reverts on chain (a call to a reverting address via a contract is overkill: fail before sending).
    const entry = state.journal.plan({ kind: "transfer", key: "retry", payload: {} });
    state.journal.recordAttempt(entry.id, { hash: `0x${"11".repeat(32)}`, nonce: 0, maxFeePerGas: 1n, maxPriorityFeePerGas: 1n, rawTx: "0x00" });
    state.journal.markFailed(entry.id, "reverted: test");
    const result = await txSender.send(transfer("retry"));
    expect(result.status).to.equal("confirmed");
    const after = state.journal.byKey("retry")!;
    expect(after.try).to.equal(2);
    expect(after.txHash).to.equal(result.status === "confirmed" ? result.hash : "");
    expect(state.journal.attempts(after.id).map((a) => a.hash)).to.deep.equal([after.txHash]);
  });
});
