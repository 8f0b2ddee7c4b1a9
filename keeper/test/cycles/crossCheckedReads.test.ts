/**
 * Claim-critical reads on two RPC nodes: two loopback JSON-RPC nodes in front of the in-process
 * chain, one of which can rewrite its eth_call answers. The measured loss and a claim's status are
 * taken only when both nodes agree; a disagreement is refused with both answers named (URLs redacted).
 */
import { expect } from "chai";
import { AbiCoder, Interface, ParamType, ZeroAddress } from "ethers";
import { ethers, network } from "hardhat";
import { StablecoinInsuranceFund__factory } from "../../../typechain-types/factories/contracts/StablecoinInsuranceFund__factory";
import { agreedReaderOf, ClaimStatusCrossCheck, TwoNodeLossMeasure } from "../../src/cycles/crossCheck";
import { connectFailoverProvider, RpcDisagreementError, type FailoverJsonRpcProvider } from "../../src/execution/rpc";
import type { PositionLossMeasurer } from "../../src/policy/claims";
import type { ConfiguredPositionRead } from "../../src/sources/positions";
import { startRpcProxy, type RpcProxy } from "../helpers/rpcProxy";
import { deployStandIns, usdc6 } from "../helpers/protocolStandIns";
import { recordingLogger } from "../sources/testDeps";

const MULTICALL3 = "0xcA11bde05977b3631167028862bE2a173976CA11";
const AGGREGATE3 = new Interface(["function aggregate3((address target, bool allowFailure, bytes callData)[] calls) payable returns ((bool success, bytes returnData)[] returnData)"]);
const FUND_IFACE = StablecoinInsuranceFund__factory.createInterface();
const FUND = "0x00000000000000000000000000000000000f00d0";
const SECRET = "v2/sk_live_do_not_log_me";

type Rewrite = (method: string, params: unknown[], result: unknown) => unknown;

/** A zero value for every ABI type of `getClaim`'s result, with `status` and `payout` set. */
function encodedClaim(status: number, payout: bigint): string {
  const fragment = FUND_IFACE.getFunction("getClaim");
  if (fragment === null) throw new Error("no getClaim in the fund ABI");
  const zero = (t: ParamType): unknown => {
    if (t.baseType === "tuple") return (t.components ?? []).map((c) => (c.name === "status" ? status : c.name === "payout" ? payout : zero(c)));
    if (t.baseType === "array") return [];
    if (t.baseType === "address") return ZeroAddress;
    if (t.baseType === "bool") return false;
    if (t.baseType.startsWith("bytes")) return t.baseType === "bytes" ? "0x" : `0x${"00".repeat(Number(t.baseType.slice(5)))}`;
    if (t.baseType === "string") return "";
    return 0n;
  };
  return AbiCoder.defaultAbiCoder().encode(fragment.outputs, fragment.outputs.map(zero));
}

describe("claim-critical reads cross-checked on two RPC nodes", function () {
  this.timeout(60_000);
  let honest: RpcProxy;
  let other: RpcProxy;
  let provider: FailoverJsonRpcProvider;
  let rewrite: Rewrite | undefined;
  let claimStatusOn: { honest: number; other: number } = { honest: 2, other: 2 };

  /** Answers getClaim(…) on FUND itself (no fund deployed): the status each node reports. */
  const node = (which: "honest" | "other") => ({
    request: async (args: { method: string; params?: unknown[] }) => {
      const params = args.params ?? [];
      const tx = params[0] as { to?: string; data?: string } | undefined;
      if (args.method === "eth_call" && tx?.to?.toLowerCase() === FUND && tx.data?.startsWith(FUND_IFACE.getFunction("getClaim")?.selector ?? "-")) {
        return encodedClaim(claimStatusOn[which], 5n * 10n ** 6n);
      }
      const result = await network.provider.request({ method: args.method, params });
      return which === "other" && rewrite !== undefined ? rewrite(args.method, params, result) : result;
    },
  });

  before(async () => {
    honest = await startRpcProxy(node("honest"));
    other = await startRpcProxy(node("other"));
  });
  after(async () => {
    await honest.close();
    await other.close();
  });
  beforeEach(async () => {
    rewrite = undefined;
    claimStatusOn = { honest: 2, other: 2 };
    // API keys in the path, as hosted RPC URLs carry them: they must never reach a message.
    provider = await connectFailoverProvider({ urls: [`${honest.url}/${SECRET}`, `${other.url}/${SECRET}`], chainId: 31337, logger: recordingLogger(), maxLagBlocks: 0 });
  });
  afterEach(() => provider.destroy());

  /** A position of 1000 USDC of which 400 leave between two blocks. */
  async function drainedPosition() {
    const s = await deployStandIns();
    const [, holder, thief] = await ethers.getSigners();
    if (holder === undefined || thief === undefined) throw new Error("signers");
    const usdc = await ethers.getContractAt("MockUSDC", s.addresses.usdc);
    await (await usdc.mint(await holder.getAddress(), usdc6(1000))).wait();
    const blockBefore = await ethers.provider.getBlockNumber();
    // An approval the thief abuses (a transfer the holder sent itself would be its own movement, no loss).
    await (await usdc.connect(holder).approve(await thief.getAddress(), usdc6(400))).wait();
    await (await usdc.connect(thief).transferFrom(await holder.getAddress(), await thief.getAddress(), usdc6(400))).wait();
    const blockAfter = await ethers.provider.getBlockNumber();
    const read: ConfiguredPositionRead = { index: 0, protocolId: "lender", id: "lender:erc20:usdc", spec: { kind: "erc20", token: s.addresses.usdc, holder: await holder.getAddress() } };
    return { measure: new TwoNodeLossMeasure(provider, MULTICALL3), read, blockBefore, blockAfter };
  }

  it("the measured loss is the one both nodes read at the same blocks, measured once on each", async () => {
    const { measure, read, blockBefore, blockAfter } = await drainedPosition();
    honest.reset();
    other.reset();
    const loss = await measure.measure(read, blockBefore, blockAfter);
    expect(loss).to.deep.include({ loss: usdc6(400), valueBefore: usdc6(1000), valueAfter: usdc6(600), blockBefore, blockAfter, measuredOnNodes: 2 });
    expect(honest.counts()["eth_call"] ?? 0).to.be.greaterThan(0);
    expect(other.counts()["eth_call"] ?? 0).to.equal(honest.counts()["eth_call"]);
  });

  it("when one node answers another balance, the loss is refused with both nodes' answers named and no API key", async () => {
    const { measure, read, blockBefore, blockAfter } = await drainedPosition();
    // The other node reports every balance 10× higher (a buggy or hostile node).
    rewrite = (method, params, result) => {
      const tx = params[0] as { to?: string } | undefined;
      if (method !== "eth_call" || tx?.to?.toLowerCase() !== MULTICALL3.toLowerCase()) return result;
      const [results] = AGGREGATE3.decodeFunctionResult("aggregate3", result as string) as unknown as [{ success: boolean; returnData: string }[]];
      // Multicall3's own header (block number, timestamp) stays true: only the balances are forged.
      const forged = results.map((r, i) => ({ success: r.success, returnData: i >= 2 && r.returnData.length === 66 ? AbiCoder.defaultAbiCoder().encode(["uint256"], [BigInt(r.returnData) * 10n]) : r.returnData }));
      return AGGREGATE3.encodeFunctionResult("aggregate3", [forged]);
    };
    let error: unknown;
    await measure.measure(read, blockBefore, blockAfter).catch((e: unknown) => (error = e));
    expect(error).to.be.instanceOf(RpcDisagreementError);
    const message = (error as Error).message;
    expect(message).to.match(/disagree on the measured loss of lender:erc20:usdc/);
    expect(message).to.include(new URL(honest.url).host).and.include(new URL(other.url).host);
    expect(message).to.include(usdc6(1000).toString()).and.include(usdc6(10_000).toString());
    expect(message).to.not.include(SECRET);
  });

  it("a claim's status: agreed → the status; two answers → refused, naming both", async () => {
    const check = new ClaimStatusCrossCheck(provider, FUND);
    expect(await check.claimStatus(7n)).to.deep.equal({ status: "Accepted", payout: 5n * 10n ** 6n });
    claimStatusOn = { honest: 2, other: 1 };
    let error: unknown;
    await check.claimStatus(7n).catch((e: unknown) => (error = e));
    expect(error).to.be.instanceOf(RpcDisagreementError);
    expect((error as Error).message).to.match(/status of fund claim 7 .*"Accepted".*"Pending"/);
    expect((error as Error).message).to.not.include(SECRET);
  });

  it("is installed only with two or more RPC URLs", () => {
    expect(agreedReaderOf(provider, ["http://a.test/"])).to.equal(undefined);
    expect(agreedReaderOf(provider, ["http://a.test/", "http://b.test/"])).to.equal(provider);
    expect(agreedReaderOf({}, ["http://a.test/", "http://b.test/"])).to.equal(undefined);
  });
});
