/**
 * Urgent before routine (issue 20 §1) and one signer (§2), on the in-process Hardhat network over
 * HTTP with the mempool under test control (automine off): a halt never waits behind a routine
 * send's receipt wait, takes the nonce of a routine transaction stuck at a low fee, pays under its
 * own (higher) ceiling; a byte-identical retry is the same attempt; a process fenced out of the
 * signing lock records and broadcasts nothing.
 */
import { setBalance } from "@nomicfoundation/hardhat-network-helpers";
import { expect } from "chai";
import { mkdtempSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { Wallet } from "ethers";
import { ethers, network } from "hardhat";
import { explainSendFailure } from "../../src/execution/revertDecoder";
import { TxSender, type TxSenderOptions } from "../../src/execution/txSender";
import { currentLockHolder, FencedOutError, DaemonLockError, openStateDb } from "../../src/state";
import { useTxSenderHarness } from "../helpers/txSenderHarness";
import { recordingLogger } from "../sources/testDeps";

const GWEI = 10n ** 9n;
const OPTIONS: TxSenderOptions = { maxFeePerGasCeiling: 300n * GWEI, maxPriorityFeePerGas: 2n * GWEI, replaceAfterBlocks: 3, receiptTimeoutMs: 100, pollIntervalMs: 20 };
const RECIPIENT = "0x000000000000000000000000000000000000bEEF";
/**
 * The routine send's receipt wait. It ends as soon as the chain shows its nonce taken, so a long
 * bound costs nothing when things go right; a short one (10 s) ran out on a loaded CI machine
 * before the halt was mined, and the routine action then reported `pending` instead of `failed`.
 */
const ROUTINE_RECEIPT_WAIT_MS = 45_000;

describe("TxSender urgent lane and signing fence (execution)", function () {
  this.timeout(60_000);
  const h = useTxSenderHarness(OPTIONS, "100");
  const dirs: string[] = [];
  afterEach(async () => {
    await network.provider.request({ method: "hardhat_setNextBlockBaseFeePerGas", params: ["0x3b9aca00"] });
    await mine();
    for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
  });
  const setup = (options: Partial<TxSenderOptions> = {}) => h.setup(options);
  const states = h.states;
  const transfer = (key: string, kind = "transfer") => ({ kind, key, to: RECIPIENT, data: "0x", value: 1000n });
  const mine = (blocks = 1) => network.provider.request({ method: "hardhat_mine", params: [`0x${blocks.toString(16)}`] });
  const setBaseFee = (wei: bigint) => network.provider.request({ method: "hardhat_setNextBlockBaseFeePerGas", params: [`0x${wei.toString(16)}`] });

  /** Mines a block every `everyMs` until `promise` settles; returns its value and the blocks mined. */
  async function mineUntil<T>(promise: Promise<T>, everyMs = 60): Promise<{ value: T; blocks: number }> {
    let done = false;
    let blocks = 0;
    const value = promise.finally(() => {
      done = true;
    });
    while (!done) {
      await new Promise((r) => setTimeout(r, everyMs));
      if (!done) {
        await mine();
        blocks += 1;
      }
    }
    return { value: await value, blocks };
  }

  /** Starts a send with automining off and returns it (still waiting for its receipt) once it is broadcast, with its journal entry. */
  async function sentInBackground(t: Awaited<ReturnType<typeof setup>>, key: string, kind = "transfer") {
    const pending = t.txSender.send(transfer(key, kind));
    for (let i = 0; i < 200 && t.state.journal.byKey(key)?.state !== "sent"; i += 1) await new Promise((r) => setTimeout(r, 10));
    return { pending, entry: t.state.journal.byKey(key)! };
  }

  it("an urgent halt replaces a routine transaction stuck at a low fee at its nonce and is mined within 2 blocks; the displaced action fails naming it", async () => {
    // No block is mined after the halt's: the routine wait must see its nonce taken at once, not
    // at its next replacement window (3 blocks on), which never comes here.
    const t = await setup({ receiptTimeoutMs: ROUTINE_RECEIPT_WAIT_MS });
    const { state, txSender } = t;
    await network.provider.request({ method: "evm_setAutomine", params: [false] });
    // The routine send waits for its receipt in the background.
    const { pending: routine, entry: stuck } = await sentInBackground(t, "routine");
    expect(stuck.state).to.be.oneOf(["sent", "replaced"]);
    // Gas spikes: the base fee jumps above the routine transaction's maxFeePerGas.
    await setBaseFee((stuck.maxFeePerGas ?? 0n) * 3n);
    await mine();
    const start = await h.provider.getBlockNumber();
    const halt = txSender.send(transfer("halt:aave", "report-incident"));
    const { value: result } = await mineUntil(halt);
    expect(result.status).to.equal("confirmed");
    if (result.status !== "confirmed") return;
    expect(result.nonce).to.equal(stuck.nonce); // took the stuck routine nonce
    expect(result.blockNumber - start).to.be.at.most(2);
    const routineOutcome = await routine; // its wait ends as soon as the chain shows its nonce taken
    expect(routineOutcome.status).to.equal("failed");
    expect(state.journal.byKey("routine")?.error).to.match(/taken by report-incident action halt:aave/);
  });

  it("an urgent transaction that displaced a routine one still bumps its own fees when the base fee keeps rising; the routine one never outbids it", async () => {
    const t = await setup({ receiptTimeoutMs: ROUTINE_RECEIPT_WAIT_MS });
    const { state } = t;
    await network.provider.request({ method: "evm_setAutomine", params: [false] });
    const { pending: routine, entry: stuck } = await sentInBackground(t, "routine-2");
    await setBaseFee((stuck.maxFeePerGas ?? 0n) * 3n);
    await mine();
    const { pending: halt, entry: first } = await sentInBackground(t, "halt:rising", "report-incident");
    expect(first.nonce).to.equal(stuck.nonce);
    // The spike goes on: the next block's base fee is above the halt's maxFeePerGas too.
    await setBaseFee((first.maxFeePerGas ?? 0n) * 2n);
    await mine();
    const { value: result } = await mineUntil(halt, 100);
    expect(result.status).to.equal("confirmed");
    const settled = state.journal.byKey("halt:rising")!;
    expect(settled.replacedHashes.length).to.be.greaterThan(0); // bumped itself
    expect(settled.maxFeePerGas! > first.maxFeePerGas!).to.equal(true);
    expect((await routine).status).to.equal("failed");
    expect(state.journal.attempts(stuck.id).length).to.equal(1); // the routine action never outbid the halt
  });

  it("a halt is not queued behind a routine send waiting for its receipt", async () => {
    const t = await setup({ receiptTimeoutMs: 30_000 });
    const { txSender, state } = t;
    await network.provider.request({ method: "evm_setAutomine", params: [false] });
    // The routine one is broadcast and waits for its receipt.
    const { pending: routine } = await sentInBackground(t, "routine-wait");
    const haltSent = txSender.send(transfer("halt:comp", "report-incident"));
    let broadcast = false;
    for (let i = 0; i < 200 && !broadcast; i += 1) {
      await new Promise((r) => setTimeout(r, 10));
      broadcast = state.journal.byKey("halt:comp")?.state === "sent";
    }
    expect(broadcast, "the halt was broadcast while the routine send still waited").to.equal(true);
    await mine();
    const [r, h] = await Promise.all([routine, haltSent]);
    expect(r.status).to.equal("confirmed");
    expect(h.status).to.equal("confirmed");
  });

  it("fee ceilings per kind: a routine send refuses a base fee above its ceiling, an urgent one pays it", async () => {
    const { txSender } = await setup({ maxFeePerGasCeiling: 50n * GWEI, maxFeePerGasCeilingByKind: { "file-claim": 400n * GWEI } });
    await setBaseFee(100n * GWEI);
    await mine();
    const routine = await txSender.send(transfer("risk", "risk-push"));
    expect(routine.status).to.equal("failed");
    if (routine.status === "failed") expect(routine.error).to.match(/above maxFeePerGasCeiling 50\.0 gwei/);
    const halt = await txSender.send(transfer("halt", "report-incident"));
    expect(halt.status).to.equal("confirmed");
    const claim = await txSender.send(transfer("claim", "file-claim"));
    expect(claim.status).to.equal("confirmed");
    expect(txSender.feePolicy("file-claim").maxFeePerGasCeiling).to.equal(400n * GWEI);
    expect(txSender.feePolicy("report-incident").maxFeePerGasCeiling).to.equal(1500n * GWEI);
  });

  it("a retry whose signed bytes equal the failed try's is recorded as the same attempt and confirmed, not stuck in sent", async () => {
    const { state, txSender, wallet } = await setup();
    // Try 1: signed, then failed (the node refused it). Its exact bytes are what the retry signs.
    const nonce = await h.provider.getTransactionCount(wallet.address);
    const block = await h.provider.getBlock("latest");
    const maxFeePerGas = (block!.baseFeePerGas ?? 0n) * 2n + OPTIONS.maxPriorityFeePerGas;
    const entry = state.journal.plan({ kind: "transfer", key: "same-bytes", payload: {} });
    const raw = await wallet.signTransaction({ type: 2, chainId: 31337n, nonce, to: RECIPIENT, data: "0x", value: 1000n, gasLimit: 25_200n, maxFeePerGas, maxPriorityFeePerGas: OPTIONS.maxPriorityFeePerGas });
    const hash = ethers.keccak256(raw);
    state.journal.recordAttempt(entry.id, { hash, nonce, maxFeePerGas, maxPriorityFeePerGas: OPTIONS.maxPriorityFeePerGas, rawTx: raw });
    state.journal.markFailed(entry.id, "send: test refused");
    const retry = state.journal.plan({ kind: "transfer", key: "same-bytes", payload: {} });
    expect(state.journal.attempts(retry.id)).to.have.length(0);
    state.journal.recordAttempt(retry.id, { hash, nonce, maxFeePerGas, maxPriorityFeePerGas: OPTIONS.maxPriorityFeePerGas, rawTx: raw });
    expect(state.journal.attempts(retry.id).map((a) => a.hash)).to.deep.equal([hash]);
    state.journal.markSent(retry.id, { hash, nonce, maxFeePerGas, maxPriorityFeePerGas: OPTIONS.maxPriorityFeePerGas, sentBlock: block!.number });
    await h.provider.broadcastTransaction(raw);
    const results = await txSender.reconcile();
    expect(results.map((r) => `${r.key}:${r.status}`)).to.deep.equal(["same-bytes:confirmed"]);
  });

  it("a process that lost the signing lock can never sign again: the fence refuses before anything is recorded or broadcast", async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), "fence-"));
    dirs.push(dir);
    const file = path.join(dir, "state.sqlite");
    let clock = 1_000_000;
    const nowMs = () => clock;
    const wallet = Wallet.createRandom().connect(h.provider) as unknown as Wallet;
    await setBalance(wallet.address, ethers.parseEther("10"));
    const identity = { chainId: 31337, address: wallet.address };
    const a = openStateDb(file, { nowMs });
    const b = openStateDb(file, { nowMs });
    states.push(a, b);
    a.bindSigner(identity);
    b.bindSigner(identity);
    const lockA = a.acquireDaemonLock({ logger: recordingLogger(), staleAfterSec: 60 });
    expect(() => b.acquireDaemonLock({ logger: recordingLogger(), staleAfterSec: 60 })).to.throw(DaemonLockError, /one signer per key and chain/);
    clock += 61_000; // A freezes (GC pause, suspended VM): its heartbeat goes stale
    const lockB = b.acquireDaemonLock({ logger: recordingLogger(), staleAfterSec: 60 });
    expect(lockB.fence!.token).to.equal(lockA.fence!.token + 1);
    // A wakes up and tries to send before its heartbeat noticed anything.
    h.proxy.reset();
    const senderA = new TxSender({ signer: wallet, provider: h.provider, journal: a.journal, logger: recordingLogger() }, OPTIONS);
    let refused: unknown;
    try {
      await senderA.send(transfer("late-write"));
    } catch (err) {
      refused = err;
    }
    expect(refused).to.be.instanceOf(FencedOutError);
    expect(h.proxy.counts()["eth_sendRawTransaction"]).to.equal(undefined);
    expect(a.journal.byKey("late-write")).to.equal(undefined);
    expect(() => lockA.heartbeat()).to.throw(DaemonLockError);
    // B signs.
    const senderB = new TxSender({ signer: wallet, provider: h.provider, journal: b.journal, logger: recordingLogger() }, OPTIONS);
    expect((await senderB.send(transfer("b-write"))).status).to.equal("confirmed");
  });

  it("the signing lock is per key and chain: another key in the same database takes its own lock", async () => {
    const state = openStateDb(":memory:");
    states.push(state);
    state.bindSigner({ chainId: 1, address: "0x00000000000000000000000000000000000000A1" });
    const first = state.acquireDaemonLock({ logger: recordingLogger() });
    state.bindSigner({ chainId: 1, address: "0x00000000000000000000000000000000000000B2" });
    const second = state.acquireDaemonLock({ logger: recordingLogger() });
    state.bindSigner({ chainId: 11155111, address: "0x00000000000000000000000000000000000000A1" });
    const third = state.acquireDaemonLock({ logger: recordingLogger() });
    state.bindSigner({ chainId: 1, address: "0x00000000000000000000000000000000000000a1" });
    expect(() => state.acquireDaemonLock({ logger: recordingLogger() })).to.throw(DaemonLockError, /key 0x0+a1 on chain 1/);
    expect([first.fence?.token, second.fence?.token, third.fence?.token]).to.deep.equal([1, 1, 1]);
    // status and doctor see the holder of a per-key lock; released locks are not holders.
    expect(currentLockHolder(state.db)?.pid).to.equal(process.pid);
    for (const lock of [first, second, third]) lock.release();
    expect(currentLockHolder(state.db)).to.equal(undefined);
  });

  it("a failed send's alert text names its real cause: the missing role only when the chain said so, else the fee ceiling, gas money, the lock", async () => {
    const { txSender } = await setup({ maxFeePerGasCeiling: 5n * GWEI, urgent: { maxFeePerGasCeiling: 5n * GWEI, maxPriorityFeePerGas: GWEI } });
    await setBaseFee(50n * GWEI);
    await mine();
    const halt = await txSender.send(transfer("halt:spike", "report-incident"));
    if (halt.status !== "failed") throw new Error("expected the halt to fail on fees");
    expect(explainSendFailure(halt.error)).to.match(/fee ceiling.*tx\.urgent\.maxFeePerGasCeilingGwei/);
    expect(explainSendFailure(halt.error)).to.not.match(/ROLE/);
    const role = ethers.id("RISK_ORACLE_ROLE");
    expect(explainSendFailure(`AccessControlUnauthorizedAccount(account=0x${"ab".repeat(20)}, neededRole=${role})`)).to.equal(`0x${"ab".repeat(20)} lacks RISK_ORACLE_ROLE: the admin grants it (scripts/grant-role.ts)`);
    expect(explainSendFailure("insufficient funds for gas * price + value")).to.match(/too little ETH/);
    expect(explainSendFailure("signing lock for key 0xab on chain 1 lost: fencing token 1 is void (now 2) — this process must not sign")).to.match(/lost the signing lock/);
  });
});
