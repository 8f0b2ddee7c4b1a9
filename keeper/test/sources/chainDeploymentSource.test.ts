import { mine } from "@nomicfoundation/hardhat-network-helpers";
import { expect } from "chai";
import { ethers } from "hardhat";
import {
  ChainDeploymentSource,
  type DeploymentCacheStore,
  type DeploymentChainReader,
  type DeploymentRecord,
} from "../../src/sources/chainDeploymentSource";
import { silentLogger } from "../../src/sources/http";
import type { ProtocolRef } from "../../src/domain/types";

/**
 * Init code that deploys the 3-byte runtime `PUSH0 PUSH0 RETURN`:
 * PUSH1 3, PUSH1 12, PUSH1 0, CODECOPY, PUSH1 3, PUSH1 0, RETURN, then the runtime.
 */
const TRIVIAL_INIT_CODE = "0x6003600c60003960036000f35f5ff3";

/** Wraps a reader and counts its calls. */
function countingReader(inner: DeploymentChainReader): DeploymentChainReader & { calls: number } {
  const counter = {
    calls: 0,
    getBlockNumber: () => (counter.calls++, inner.getBlockNumber()),
    getCode: (address: string, blockTag?: number) => (counter.calls++, inner.getCode(address, blockTag)),
    getBlock: (blockNumber: number) => (counter.calls++, inner.getBlock(blockNumber)),
  };
  return counter;
}

/**
 * Mines `count` blocks one at a time. Hardhat's `mine(n > 1)` reserves the blocks lazily and
 * `eth_getCode` at a block inside such a reserved range does not see contracts deployed just
 * before it, so blocks after a deployment are mined individually.
 */
async function mineEach(count: number): Promise<void> {
  for (let i = 0; i < count; i++) await mine(1);
}

async function deployTrivialContract(): Promise<{ address: string; blockNumber: number; timestamp: number }> {
  const [deployer] = await ethers.getSigners();
  const factory = new ethers.ContractFactory([], TRIVIAL_INIT_CODE, deployer);
  const contract = await factory.deploy();
  const receipt = await contract.deploymentTransaction()!.wait();
  const block = await ethers.provider.getBlock(receipt!.blockNumber);
  return { address: await contract.getAddress(), blockNumber: receipt!.blockNumber, timestamp: block!.timestamp };
}

describe("sources/chainDeploymentSource (in-process Hardhat network)", () => {
  it("finds the first block with code by binary search, in log2(latest) + 2 RPC calls", async () => {
    await mine(300); // before the deployment: a reserved range is fine (no code anyway)
    const deployed = await deployTrivialContract();
    await mineEach(250);
    expect(await ethers.provider.getCode(deployed.address)).to.equal("0x5f5ff3");

    const reader = countingReader(ethers.provider);
    const source = new ChainDeploymentSource(reader, silentLogger, { cacheNamespace: "31337", chainLabel: "hardhat" });
    const latest = await ethers.provider.getBlockNumber();
    const lookup = await source.findDeployment(deployed.address);

    expect(lookup.ok).to.equal(true);
    if (!lookup.ok) return;
    expect(lookup.deployment).to.deep.equal({ blockNumber: deployed.blockNumber, timestamp: deployed.timestamp });
    const bound = Math.ceil(Math.log2(latest + 2)) + 2;
    expect(lookup.rpcCalls).to.equal(reader.calls);
    expect(lookup.rpcCalls).to.be.at.most(bound);
    expect(lookup.rpcCalls).to.be.at.least(Math.floor(Math.log2(latest + 2)) + 2);
    expect(source.rpcCallCount).to.equal(reader.calls);
  });

  it("serves metrics with chain provenance, and caches in memory and in a persistent store", async () => {
    const deployed = await deployTrivialContract();
    await mineEach(10);
    const store = new Map<string, DeploymentRecord>();
    const persistent: DeploymentCacheStore = { get: (k) => store.get(k), set: async (k, v) => void store.set(k, v) };
    const reader = countingReader(ethers.provider);
    const ref: ProtocolRef = { id: "p", address: "0x00", name: "P", mainContract: deployed.address };

    const first = new ChainDeploymentSource(reader, silentLogger, { cacheNamespace: "31337", chainLabel: "hardhat" }, persistent);
    const [m] = await first.fetchMetrics([ref], 1_800_000_000);
    expect(m?.deployedAt.value).to.equal(deployed.timestamp);
    expect(m?.deployedAt.provenance).to.deep.equal({
      source: "chain",
      ref: `hardhat:eth_getCode(${deployed.address}) first code at block ${deployed.blockNumber}`,
      fetchedAt: 1_800_000_000,
    });
    expect(m?.tvlUsd.error).to.match(/not provided by the chain source/);
    expect(store.get(`31337:${deployed.address.toLowerCase()}`)).to.deep.equal({
      blockNumber: deployed.blockNumber,
      timestamp: deployed.timestamp,
    });

    const callsAfterFirst = reader.calls;
    await first.fetchMetrics([ref], 1_800_000_100); // memory cache
    const second = new ChainDeploymentSource(reader, silentLogger, { cacheNamespace: "31337" }, persistent);
    const again = await second.findDeployment(deployed.address.toUpperCase().replace("0X", "0x")); // persistent cache
    expect(again).to.deep.include({ ok: true, rpcCalls: 0, cached: true });
    expect(reader.calls).to.equal(callsAfterFirst);
  });

  it("reports an address without code at the latest block as missing with a clear error", async () => {
    const [, stranger] = await ethers.getSigners();
    const source = new ChainDeploymentSource(ethers.provider, silentLogger);
    const [m] = await source.fetchMetrics(
      [{ id: "eoa", address: "0x00", name: "EOA", mainContract: stranger!.address }],
      1_800_000_000,
    );
    expect(m?.deployedAt.value).to.equal(undefined);
    expect(m?.deployedAt.error).to.match(/^no code at 0x[0-9a-fA-F]{40} at latest block \d+/);
  });

  it("turns RPC failures and a missing mainContract into missing values, never throwing", async () => {
    const failing: DeploymentChainReader = {
      getBlockNumber: async () => 100,
      getCode: async () => {
        throw new Error("missing trie node (pruned)");
      },
      getBlock: async () => null,
    };
    const source = new ChainDeploymentSource(failing, silentLogger);
    const [a, b] = await source.fetchMetrics(
      [
        { id: "a", address: "0x00", name: "A", mainContract: "0x0000000000000000000000000000000000000001" },
        { id: "b", address: "0x00", name: "B" },
      ],
      1,
    );
    expect(a?.deployedAt.error).to.contain("missing trie node (pruned)");
    expect(b?.deployedAt.error).to.equal("no mainContract configured");
  });
});
