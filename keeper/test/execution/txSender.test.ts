/**
 * TxSender against the in-process Hardhat network over HTTP (counting proxy): confirmation,
 * idempotency, dry run, fee ceiling, revert decoding, replacement of a stuck transaction at the
 * same nonce, and reconciliation after a crash between send and receipt.
 */
import { setBalance } from "@nomicfoundation/hardhat-network-helpers";
import { expect } from "chai";
import { promises as fs } from "node:fs";
import os from "node:os";
import path from "node:path";
import { Wallet, parseUnits, type TransactionReceipt } from "ethers";
import { ethers, network } from "hardhat";
import { deployFund } from "../../../test/helpers/fundFixture";
import { describeRevertData } from "../../src/execution/revertDecoder";
import { TxSender, bumpFee, type SendResult, type TxSenderOptions } from "../../src/execution/txSender";
import { openStateDb, type StateDb } from "../../src/state";
import { useTxSenderHarness } from "../helpers/txSenderHarness";
import { recordingLogger } from "../sources/testDeps";

const GWEI = 10n ** 9n;
const OPTIONS: TxSenderOptions = {
  maxFeePerGasCeiling: 500n * GWEI,
  maxPriorityFeePerGas: 2n * GWEI,
  replaceAfterBlocks: 2,
  receiptTimeoutMs: 10_000,
  pollIntervalMs: 20,
};
const RECIPIENT = "0x000000000000000000000000000000000000bEEF";

async function until(what: string, check: () => boolean | Promise<boolean>, timeoutMs = 5000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

describe("TxSender (execution)", function () {
  const h = useTxSenderHarness(OPTIONS);
  const states = h.states;

  async function fundedWallet(): Promise<Wallet> {
    const wallet = Wallet.createRandom().connect(h.provider) as unknown as Wallet;
    await setBalance(wallet.address, ethers.parseEther("10"));
    return wallet;
  }

  function sender(wallet: Wallet, state: StateDb, options: Partial<TxSenderOptions> = {}, abis = [] as ConstructorParameters<typeof TxSender>[0]["abis"]) {
    const logger = recordingLogger();
    const txSender = new TxSender({ signer: wallet, provider: h.provider, journal: state.journal, logger, ...(abis !== undefined ? { abis } : {}) }, { ...OPTIONS, ...options });
    return { txSender, logger };
  }

  function memoryState(): StateDb {
    const state = openStateDb(":memory:");
    states.push(state);
    return state;
  }

  const transfer = (key: string) => ({ kind: "transfer", key, to: RECIPIENT, data: "0x", value: 1000n });
  const sendRaw = () => h.proxy.counts()["eth_sendRawTransaction"] ?? 0;

  it("sends, confirms, journals, and never sends the same key twice", async () => {
    const wallet = await fundedWallet();
    const state = memoryState();
    const { txSender } = sender(wallet, state);
    h.proxy.reset();
    const result = await txSender.send(transfer("t:1"));
    expect(result.status).to.equal("confirmed");
    if (result.status !== "confirmed") return;
    expect(result.nonce).to.equal(0);
    const entry = state.journal.byKey("t:1");
    expect([entry?.state, entry?.txHash, entry?.nonce, entry?.blockNumber]).to.deep.equal(["confirmed", result.hash, 0, result.blockNumber]);

    const again = await txSender.send(transfer("t:1"));
    expect(again).to.deep.equal({ status: "skipped", key: "t:1", state: "confirmed", hash: result.hash });
    const next = await txSender.send(transfer("t:2"));
    expect(next.status === "confirmed" && next.nonce).to.equal(1);
    expect(sendRaw()).to.equal(2);
  });

  it("dry run returns the plan and signs and journals nothing", async () => {
    const wallet = await fundedWallet();
    const state = memoryState();
    const { txSender } = sender(wallet, state);
    h.proxy.reset();
    const result = await txSender.send(transfer("dry"), { dryRun: true });
    expect(result.status).to.equal("dry-run");
    if (result.status !== "dry-run") return;
    expect(result.plan).to.deep.include({ from: wallet.address, to: RECIPIENT, value: 1000n, maxPriorityFeePerGas: 2n * GWEI });
    expect(result.plan.maxFeePerGas <= OPTIONS.maxFeePerGasCeiling).to.equal(true);
    expect(sendRaw()).to.equal(0);
    expect(state.journal.list()).to.deep.equal([]);
  });

  it("refuses to send when the base fee is above the ceiling, with a clear log", async () => {
    const wallet = await fundedWallet();
    const state = memoryState();
    const { txSender, logger } = sender(wallet, state, { maxFeePerGasCeiling: 3n * GWEI, maxPriorityFeePerGas: GWEI });
    await network.provider.request({ method: "hardhat_setNextBlockBaseFeePerGas", params: [`0x${(10n * GWEI).toString(16)}`] });
    await network.provider.request({ method: "evm_mine", params: [] });
    h.proxy.reset();
    const result = await txSender.send(transfer("fees"));
    expect(result.status === "failed" && result.stage).to.equal("fees");
    expect(result.status === "failed" && result.error).to.match(/^base fee 10\.0 gwei \+ tip 1\.0 gwei is above maxFeePerGasCeiling 3\.0 gwei — not sending$/);
    expect(sendRaw()).to.equal(0);
    expect(state.journal.byKey("fees")?.state).to.equal("failed");
    expect(logger.entries.some((e) => e.level === "error" && String(e.obj["error"]).includes("maxFeePerGasCeiling"))).to.equal(true);
  });

  it("decodes a simulated custom-error revert and sends nothing", async () => {
    const f = await deployFund();
    const wallet = await fundedWallet();
    const state = memoryState();
    const { txSender } = sender(wallet, state, {}, [f.fund.interface]);
    const data = f.fund.interface.encodeFunctionData("updateProtocolRisks", [[]]);
    h.proxy.reset();
    const result = await txSender.send({ kind: "risk-push", key: "unauthorised", to: await f.fund.getAddress(), data });
    expect(result.status === "failed" && result.stage).to.equal("simulate");
    expect(result.status === "failed" && result.error).to.match(/^AccessControlUnauthorizedAccount\(account=0x[0-9a-fA-F]{40}, neededRole=0x[0-9a-f]{64}\)$/);
    expect(sendRaw()).to.equal(0);
    expect(state.journal.byKey("unauthorised")?.error).to.match(/^simulate: AccessControlUnauthorizedAccount/);
    // Error(string) and unknown selectors still read well.
    const errorString = new ethers.Interface(["error Error(string)"]).encodeErrorResult("Error", ["boom"]);
    expect(describeRevertData(errorString)).to.match(/^Error\(\w+=boom\)$/);
    expect(describeRevertData("0xdeadbeef")).to.equal("reverted with unknown data 0xdeadbeef");
  });

  it("replaces a stuck transaction at the same nonce with at least +12.5% on both fees", async () => {
    const wallet = await fundedWallet();
    const state = memoryState();
    const { txSender } = sender(wallet, state);
    await network.provider.request({ method: "evm_setAutomine", params: [false] });
    h.proxy.reset();
    const pending = txSender.send(transfer("stuck"));
    await until("sent", () => state.journal.byKey("stuck")?.state === "sent");
    const original = state.journal.byKey("stuck");
    // The base fee jumps above the original's maxFeePerGas: the blocks leave it out.
    const high = (original?.maxFeePerGas ?? 0n) * 3n;
    await network.provider.request({ method: "hardhat_setNextBlockBaseFeePerGas", params: [`0x${high.toString(16)}`] });
    await network.provider.request({ method: "hardhat_mine", params: ["0x2"] });
    await until("replaced", () => state.journal.byKey("stuck")?.state === "replaced");
    await network.provider.request({ method: "evm_mine", params: [] });
    const result: SendResult = await pending;

    expect(result.status).to.equal("confirmed");
    const entry = state.journal.byKey("stuck");
    if (original === undefined || entry === undefined || result.status !== "confirmed") throw new Error("setup");
    expect(entry.replacedHashes).to.deep.equal([original.txHash]);
    expect(result.hash).to.equal(entry.txHash);
    expect(result.hash).not.to.equal(original.txHash);
    expect(result.nonce).to.equal(original.nonce);
    const mined = await h.provider.getTransaction(result.hash);
    expect(mined?.nonce).to.equal(original.nonce);
    expect((mined?.maxFeePerGas ?? 0n) >= bumpFee(original.maxFeePerGas ?? 0n)).to.equal(true);
    expect((mined?.maxPriorityFeePerGas ?? 0n) >= bumpFee(original.maxPriorityFeePerGas ?? 0n)).to.equal(true);
    expect(await h.provider.getTransactionReceipt(original.txHash ?? "")).to.equal(null);
    expect(sendRaw()).to.equal(2);
    expect(await h.provider.getTransactionCount(wallet.address)).to.equal(1);
  });

  it("after a crash between send and receipt, a new sender reconciles without sending again", async () => {
    const file = path.join(await fs.mkdtemp(path.join(os.tmpdir(), "keeper-tx-")), "keeper.sqlite");
    const wallet = await fundedWallet();
    await network.provider.request({ method: "evm_setAutomine", params: [false] });
    h.proxy.reset();

    // Process 1: sends, then "dies" before the receipt (it gives up waiting and its state is dropped).
    const before = openStateDb(file);
    const first = sender(wallet, before, { receiptTimeoutMs: 150 });
    const pending = await first.txSender.send(transfer("crash"));
    expect(pending.status).to.equal("pending");
    before.close();

    // Process 2: same database, fresh sender and signer object.
    const after = openStateDb(file);
    states.push(after);
    expect(after.journal.byKey("crash")?.state).to.equal("sent");
    const restarted = new Wallet(wallet.privateKey, h.provider);
    const second = sender(restarted, after);
    const reconciling = second.txSender.reconcile();
    await new Promise((r) => setTimeout(r, 100));
    await network.provider.request({ method: "evm_mine", params: [] });
    const outcomes = await reconciling;
    expect(outcomes.map((o) => o.status)).to.deep.equal(["confirmed"]);
    expect(after.journal.byKey("crash")?.state).to.equal("confirmed");

    await network.provider.request({ method: "evm_setAutomine", params: [true] });
    const retry = await second.txSender.send(transfer("crash"));
    expect(retry.status).to.equal("skipped");
    expect(sendRaw()).to.equal(1);
    expect(await h.provider.getTransactionCount(wallet.address)).to.equal(1);
    // The nonce owner continues after the reconciled transaction.
    const next = await second.txSender.send(transfer("after-crash"));
    expect(next.status === "confirmed" && next.nonce).to.equal(1);
  });

  it("reconcile rebroadcasts the same signed bytes when the node forgot the transaction", async () => {
    const wallet = await fundedWallet();
    const state = memoryState();
    await network.provider.request({ method: "evm_setAutomine", params: [false] });
    const first = sender(wallet, state, { receiptTimeoutMs: 100 });
    const pending = await first.txSender.send(transfer("forgotten"));
    if (pending.status !== "pending") throw new Error(`expected pending, got ${pending.status}`);
    await network.provider.request({ method: "hardhat_dropTransaction", params: [pending.hash] });
    h.proxy.reset();
    const second = sender(wallet, state);
    const reconciling = second.txSender.reconcile();
    await until("rebroadcast", () => sendRaw() === 1);
    // The proxy counts the request as it passes; mine only once the node holds it (else the block is empty and the wait times out).
    await until("rebroadcast in the node's mempool", async () => (await h.provider.getTransaction(pending.hash)) !== null);
    await network.provider.request({ method: "evm_mine", params: [] });
    const [outcome] = await reconciling;
    expect(outcome, JSON.stringify(outcome, (_k, v: unknown) => (typeof v === "bigint" ? v.toString() : v))).to.deep.include({ status: "confirmed", hash: pending.hash });
    expect(second.logger.entries.some((e) => /rebroadcasting the same signed bytes/.test(e.msg ?? ""))).to.equal(true);
    const receipt: TransactionReceipt | null = await h.provider.getTransactionReceipt(pending.hash);
    expect(receipt?.status).to.equal(1);
  });

  it("an action signed but never marked sent (crash mid-broadcast) is settled, not re-signed", async () => {
    const wallet = await fundedWallet();
    const state = memoryState();
    // Simulate the crash window: planned + signed attempt recorded, broadcast happened, markSent did not.
    const nonce = await h.provider.getTransactionCount(wallet.address, "pending");
    const raw = await wallet.signTransaction({
      type: 2, chainId: 31337n, nonce, to: RECIPIENT, value: 5n, gasLimit: 21_000n, maxFeePerGas: 50n * GWEI, maxPriorityFeePerGas: GWEI,
    });
    const entry = state.journal.plan({ kind: "transfer", key: "half", payload: {} });
    state.journal.recordAttempt(entry.id, { hash: ethers.keccak256(raw), nonce, maxFeePerGas: 50n * GWEI, maxPriorityFeePerGas: GWEI, rawTx: raw });
    await h.provider.broadcastTransaction(raw);
    h.proxy.reset();
    const { txSender } = sender(wallet, state);
    const result = await txSender.send({ ...transfer("half"), value: 5n });
    expect(result.status === "confirmed" && result.hash).to.equal(ethers.keccak256(raw));
    expect(sendRaw()).to.equal(0);
    expect(parseUnits("1", "gwei")).to.equal(GWEI);
  });
});
