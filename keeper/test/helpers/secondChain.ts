/**
 * A second local chain beside the test's Hardhat network: another in-process Hardhat network
 * (its own state, blocks and chain id, e.g. 42161 for an Arbitrum stand-in), served over HTTP on
 * 127.0.0.1 by the counting RPC proxy, so the keeper reads it exactly as it reads a remote node.
 * Contracts are deployed with ethers from the compiled artifacts; Multicall3 sits at its
 * canonical address.
 */
import hre from "hardhat";
import { createProvider } from "hardhat/internal/core/providers/construction";
import type { HardhatConfig } from "hardhat/types";
import { BrowserProvider, Contract, ContractFactory, type Signer } from "ethers";
import { installLocalMulticall3 } from "../../src/cli/localMulticall";
import { startRpcProxy, type RpcProxy } from "./rpcProxy";

export interface SecondChain {
  readonly chainId: number;
  /** The counting HTTP proxy in front of it (its `url` goes into the keeper's `chains.<id>.rpcUrls`). */
  readonly proxy: RpcProxy;
  readonly ethers: BrowserProvider;
  signer(index: number): Promise<Signer>;
  deploy(name: string, args?: readonly unknown[], from?: number): Promise<Contract>;
  mine(blocks?: number): Promise<void>;
  blockNumber(): Promise<number>;
  snapshot(): Promise<string>;
  revert(id: string): Promise<void>;
  close(): Promise<void>;
}

export async function startSecondChain(chainId: number): Promise<SecondChain> {
  const base = hre.config.networks.hardhat;
  // Never a fork (even with MAINNET_RPC_URL set): a fresh chain with its own id.
  const config = { ...hre.config, networks: { ...hre.config.networks, hardhat: { ...base, chainId, forking: undefined } } } as unknown as HardhatConfig;
  const eip1193 = await createProvider(config, "hardhat", hre.artifacts);
  const proxy = await startRpcProxy(eip1193);
  const provider = new BrowserProvider(eip1193, chainId);
  await installLocalMulticall3(provider);
  return {
    chainId,
    proxy,
    ethers: provider,
    signer: (index) => provider.getSigner(index),
    async deploy(name, args = [], from = 0) {
      const artifact = await hre.artifacts.readArtifact(name);
      const factory = new ContractFactory(artifact.abi, artifact.bytecode, await provider.getSigner(from));
      const contract = await factory.deploy(...args);
      await contract.waitForDeployment();
      return new Contract(await contract.getAddress(), artifact.abi, await provider.getSigner(from));
    },
    async mine(blocks = 1) {
      await provider.send("hardhat_mine", [`0x${blocks.toString(16)}`]);
    },
    // Straight from the node: ethers caches getBlockNumber for a moment.
    blockNumber: async () => Number(await provider.send("eth_blockNumber", [])),
    snapshot: () => provider.send("evm_snapshot", []) as Promise<string>,
    async revert(id) {
      await provider.send("evm_revert", [id]);
    },
    close: () => proxy.close(),
  };
}
