/**
 * TxSender when a broadcast's reply is lost: the node took the transaction, the RPC client
 * retried, and the retry was answered "nonce already used". Found by the fault suite
 * (keeper/test/faults): the journal used to mark such an action `failed` although it was mined,
 * so a later retry of the same key would sign it again.
 */
import { setBalance } from "@nomicfoundation/hardhat-network-helpers";
import { expect } from "chai";
import { JsonRpcProvider, Network, Wallet, type TransactionResponse } from "ethers";
import { ethers, network } from "hardhat";
import { TxSender, type TxSenderOptions } from "../../src/execution/txSender";
import { openStateDb, type StateDb } from "../../src/state";
import { startRpcProxy, type RpcProxy } from "../helpers/rpcProxy";
import { recordingLogger } from "../sources/testDeps";

const GWEI = 10n ** 9n;
const OPTIONS: TxSenderOptions = { maxFeePerGasCeiling: 500n * GWEI, maxPriorityFeePerGas: 2n * GWEI, receiptTimeoutMs: 300, pollIntervalMs: 20 };
const RECIPIENT = "0x000000000000000000000000000000000000bEEF";
const transfer = (key: string) => ({ kind: "transfer", key, to: RECIPIENT, data: "0x", value: 1000n });

describe("TxSender: broadcast reply lost (execution)", function () {
  let proxy: RpcProxy;
  let provider: JsonRpcProvider;
  let state: StateDb;
  let wallet: Wallet;

  beforeEach(async () => {
    proxy = await startRpcProxy(network.provider);
    const net = Network.from(31337);
    provider = new JsonRpcProvider(proxy.url, net, { staticNetwork: net, cacheTimeout: -1 });
    state = openStateDb(":memory:");
    realBroadcast = provider.broadcastTransaction.bind(provider);
    wallet = Wallet.createRandom().connect(provider) as unknown as Wallet;
    await setBalance(wallet.address, ethers.parseEther("10"));
  });
  afterEach(async () => {
    state.close();
    provider.destroy();
    await proxy.close();
  });

  const sender = () => new TxSender({ signer: wallet, provider, journal: state.journal, logger: recordingLogger() }, OPTIONS);
  const broadcasts = () => proxy.counts()["eth_sendRawTransaction"] ?? 0;
  let realBroadcast: JsonRpcProvider["broadcastTransaction"];
  const original = () => realBroadcast;

  it("confirms an action whose broadcast reply was lost and whose retry was refused as a used nonce", async () => {
    const broadcast = original();
    provider.broadcastTransaction = async (raw: string): Promise<TransactionResponse> => {
      await broadcast(raw); // the node takes it; the reply never reaches the client
      return broadcast(raw); // the client's retry: "nonce has already been used"
    };
    const result = await sender().send(transfer("lost-reply"));
    expect(result.status).to.equal("confirmed");
    expect(state.journal.byKey("lost-reply")?.state).to.equal("confirmed");
    expect(await provider.getTransactionCount(wallet.address, "latest")).to.equal(1);
    // The same key is never signed again.
    provider.broadcastTransaction = original();
    expect((await sender().send(transfer("lost-reply"))).status).to.equal("skipped");
    expect(broadcasts()).to.equal(2);
  });

  it("still fails an action the node refused and does not know", async () => {
    provider.broadcastTransaction = async (): Promise<TransactionResponse> => {
      throw new Error("insufficient funds for gas * price + value");
    };
    const result = await sender().send(transfer("refused"));
    expect(result.status).to.equal("failed");
    expect(result.status === "failed" && result.stage).to.equal("send");
    expect(state.journal.byKey("refused")?.state).to.equal("failed");
  });

  it("keeps an action in flight when neither the broadcast nor the lookup answered, and reconcile settles it", async () => {
    provider.broadcastTransaction = async (): Promise<TransactionResponse> => {
      throw new Error("every RPC URL failed 3 time(s)");
    };
    const getTransaction = provider.getTransaction.bind(provider);
    provider.getTransaction = async () => {
      throw new Error("every RPC URL failed 3 time(s)");
    };
    const first = await sender().send(transfer("unknown"));
    expect(first.status).to.equal("pending");
    expect(state.journal.byKey("unknown")?.state).to.equal("sent");

    provider.broadcastTransaction = original();
    provider.getTransaction = getTransaction;
    const [settled] = await sender().reconcile();
    expect(settled?.status).to.equal("confirmed");
    expect(state.journal.byKey("unknown")?.state).to.equal("confirmed");
    expect(broadcasts()).to.equal(1); // the rebroadcast of the same signed bytes
  });
});
