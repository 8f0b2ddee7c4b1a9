/**
 * The TxSender tests' chain: the in-process Hardhat network over HTTP through a counting JSON-RPC
 * proxy, and a funded random keeper wallet with its own in-memory journal per test. Registers the
 * mocha hooks (automining back on and journals closed after each test).
 */
import { setBalance } from "@nomicfoundation/hardhat-network-helpers";
import { JsonRpcProvider, Network, Wallet } from "ethers";
import { ethers, network } from "hardhat";
import { TxSender, type TxSenderOptions } from "../../src/execution/txSender";
import { openStateDb, type StateDb } from "../../src/state";
import { recordingLogger, type RecordingLogger } from "../sources/testDeps";
import { startRpcProxy, type RpcProxy } from "./rpcProxy";

export interface TxSenderHarness {
  readonly proxy: RpcProxy;
  readonly provider: JsonRpcProvider;
  /** Closed after each test. */
  readonly states: StateDb[];
  /** A funded random wallet, an in-memory journal and a TxSender over them. */
  setup(options?: Partial<TxSenderOptions>): Promise<{ wallet: Wallet; state: StateDb; logger: RecordingLogger; txSender: TxSender }>;
}

export function useTxSenderHarness(defaults: TxSenderOptions, balanceEth = "10"): TxSenderHarness {
  let proxy: RpcProxy | undefined;
  let provider: JsonRpcProvider | undefined;
  const states: StateDb[] = [];
  before(async () => {
    proxy = await startRpcProxy(network.provider);
    const net = Network.from(31337);
    provider = new JsonRpcProvider(proxy.url, net, { staticNetwork: net, cacheTimeout: -1 });
  });
  after(async () => {
    provider?.destroy();
    await proxy?.close();
  });
  afterEach(async () => {
    await network.provider.request({ method: "evm_setAutomine", params: [true] });
    for (const s of states.splice(0)) s.close();
  });
  const harness: TxSenderHarness = {
    get proxy() {
      if (proxy === undefined) throw new Error("harness used outside a test");
      return proxy;
    },
    get provider() {
      if (provider === undefined) throw new Error("harness used outside a test");
      return provider;
    },
    states,
    async setup(options = {}) {
      const wallet = Wallet.createRandom().connect(harness.provider) as unknown as Wallet;
      await setBalance(wallet.address, ethers.parseEther(balanceEth));
      const state = openStateDb(":memory:");
      states.push(state);
      const logger = recordingLogger();
      const txSender = new TxSender({ signer: wallet, provider: harness.provider, journal: state.journal, logger }, { ...defaults, ...options });
      return { wallet, state, logger, txSender };
    },
  };
  return harness;
}
