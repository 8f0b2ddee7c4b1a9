/**
 * Multicall3 `aggregate3` over one `eth_call` (I/O edge). Every read of a tick goes out in one
 * batch, each call with `allowFailure: true`, so one failing target costs only its own result.
 * The batch also asks Multicall3 for `getBlockNumber()` and `getCurrentBlockTimestamp()`, so a
 * read at "latest" learns the block it ran on without a second request; later reads pin that
 * block number (`eth_call` with a block tag), which needs an archive-capable RPC for old blocks.
 *
 * Multicall3 lives at 0xcA11bde05977b3631167028862bE2a173976CA11 on mainnet, Sepolia and most
 * chains (mds1/multicall deployments); local chains get the same runtime bytecode there through
 * `hardhat_setCode` (see keeper/src/cli/embedded.ts).
 */
import { Interface, getAddress } from "ethers";

export const MULTICALL3_ADDRESS = "0xcA11bde05977b3631167028862bE2a173976CA11";

export const MULTICALL3_ABI = [
  "function aggregate3((address target, bool allowFailure, bytes callData)[] calls) payable returns ((bool success, bytes returnData)[] returnData)",
  "function getBlockNumber() view returns (uint256 blockNumber)",
  "function getCurrentBlockTimestamp() view returns (uint256 timestamp)",
];
export const MULTICALL3 = new Interface(MULTICALL3_ABI);

export interface Call3 {
  readonly target: string;
  readonly callData: string;
}

export interface CallResult {
  readonly success: boolean;
  readonly returnData: string;
}

export interface MulticallResult {
  /** Block the batch ran on. */
  readonly block: number;
  /** That block's timestamp, unix seconds. */
  readonly timestamp: number;
  /** One per call, in order. */
  readonly results: readonly CallResult[];
}

/** The one RPC method the reader needs (an ethers Provider satisfies it). */
export interface EthCaller {
  call(tx: { to: string; data: string; blockTag?: number | string }): Promise<string>;
}

/**
 * Runs `calls` as one `aggregate3` eth_call at `blockTag` (default "latest"). Throws when the
 * eth_call itself fails (RPC down, no Multicall3 at the address); per-call failures come back as
 * `success: false`.
 */
export async function aggregate3(
  caller: EthCaller,
  calls: readonly Call3[],
  options: { multicallAddress?: string; blockTag?: number } = {},
): Promise<MulticallResult> {
  const address = getAddress(options.multicallAddress ?? MULTICALL3_ADDRESS);
  const header = [
    { target: address, allowFailure: false, callData: MULTICALL3.encodeFunctionData("getBlockNumber") },
    { target: address, allowFailure: false, callData: MULTICALL3.encodeFunctionData("getCurrentBlockTimestamp") },
  ];
  const data = MULTICALL3.encodeFunctionData("aggregate3", [
    [...header, ...calls.map((c) => ({ target: c.target, allowFailure: true, callData: c.callData }))],
  ]);
  const raw = await caller.call({ to: address, data, ...(options.blockTag !== undefined ? { blockTag: options.blockTag } : {}) });
  if (raw === "0x") throw new Error(`no Multicall3 at ${address} (eth_call returned no data) — deploy it or set chain.multicallAddress`);
  const [decoded] = MULTICALL3.decodeFunctionResult("aggregate3", raw) as unknown as [readonly { success: boolean; returnData: string }[]];
  const [blockResult, timeResult, ...rest] = decoded;
  if (blockResult === undefined || timeResult === undefined || rest.length !== calls.length) {
    throw new Error(`aggregate3 returned ${decoded.length} results for ${calls.length + 2} calls`);
  }
  const [block] = MULTICALL3.decodeFunctionResult("getBlockNumber", blockResult.returnData) as unknown as [bigint];
  const [timestamp] = MULTICALL3.decodeFunctionResult("getCurrentBlockTimestamp", timeResult.returnData) as unknown as [bigint];
  return {
    block: Number(block),
    timestamp: Number(timestamp),
    results: rest.map((r) => ({ success: r.success, returnData: r.returnData })),
  };
}
