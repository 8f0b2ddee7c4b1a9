/**
 * Multicall3 on a local chain (hardhat node, the embedded chain, tests): its compiled runtime
 * bytecode (contracts/mocks/protocols/Multicall3.sol, no storage, no immutables) placed at the
 * canonical address with `hardhat_setCode`, so the keeper uses the same address everywhere.
 * Mainnet and Sepolia already have the real one there.
 */
import { readFileSync } from "node:fs";
import path from "node:path";
import { MULTICALL3_ADDRESS } from "../sources/positions/multicall";

const ARTIFACT = path.resolve(__dirname, "..", "..", "..", "artifacts", "contracts", "mocks", "protocols", "Multicall3.sol", "Multicall3.json");

/** Anything that can send a raw JSON-RPC request (ethers JsonRpcProvider, Hardhat's provider). */
export interface RawRpc {
  send(method: string, params: unknown[]): Promise<unknown>;
}

/** Installs Multicall3 at the canonical address unless code is already there; returns the address. */
export async function installLocalMulticall3(rpc: RawRpc): Promise<string> {
  const existing = (await rpc.send("eth_getCode", [MULTICALL3_ADDRESS, "latest"])) as string;
  if (existing !== "0x") return MULTICALL3_ADDRESS;
  const artifact = JSON.parse(readFileSync(ARTIFACT, "utf8")) as { deployedBytecode: string };
  await rpc.send("hardhat_setCode", [MULTICALL3_ADDRESS, artifact.deployedBytecode]);
  return MULTICALL3_ADDRESS;
}
