/**
 * The `uniswap-v3` position reader on the real Uniswap v3 bytecode (`@uniswap/v3-core` pool and
 * factory, `@uniswap/v3-periphery` NonfungiblePositionManager; test/helpers/realUniswap.ts) through
 * the real Multicall3: the value it reports equals what `decreaseLiquidity(all)` + `collect` pay the
 * owner (a static call of the NPM's own `multicall`), valued in USDC with DAI at par — at $1, after
 * swaps that earn fees inside the range, and after a swap through the range; with the other kinds
 * in the same single eth_call of a tick.
 */
import { loadFixture } from "@nomicfoundation/hardhat-network-helpers";
import { expect } from "chai";
import { ethers } from "hardhat";
import type { Contract } from "ethers";

import { realUniswapFixture, tickAt, type RealUniswap } from "../../../test/helpers/realUniswap";
import { installLocalMulticall3 } from "../../src/cli/localMulticall";
import { parseConfig } from "../../src/config";
import { ChainPositionReader, positionReadsOf, type PositionRead } from "../../src/sources/positions";
import { countingCaller, dai18, deployStandIns, usdc6 } from "../helpers/protocolStandIns";

const MAX128 = 2n ** 128n - 1n;

/** What the owner gets for burning all liquidity and collecting everything now (principal + fees), per token. */
async function redeemAndCollect(u: RealUniswap, tokenId: bigint): Promise<{ amount0: bigint; amount1: bigint }> {
  const npm = u.positionManager.connect(u.lp) as Contract;
  const { liquidity } = await u.positionManager.getFunction("positions")(tokenId);
  const owner = await u.lp.getAddress();
  const calls = [
    ...(liquidity > 0n ? [npm.interface.encodeFunctionData("decreaseLiquidity", [{ tokenId, liquidity, amount0Min: 0n, amount1Min: 0n, deadline: 2n ** 48n }])] : []),
    npm.interface.encodeFunctionData("collect", [{ tokenId, recipient: owner, amount0Max: MAX128, amount1Max: MAX128 }]),
  ];
  const results = (await npm.getFunction("multicall").staticCall(calls)) as string[];
  const [amount0, amount1] = npm.interface.decodeFunctionResult("collect", results.at(-1) as string) as unknown as [bigint, bigint];
  return { amount0, amount1 };
}

/** What `decreaseLiquidity(all)` alone returns (the principal, no fees). */
async function principalOnly(u: RealUniswap, tokenId: bigint): Promise<{ amount0: bigint; amount1: bigint }> {
  const { liquidity } = await u.positionManager.getFunction("positions")(tokenId);
  const npm = u.positionManager.connect(u.lp) as Contract;
  const [amount0, amount1] = (await npm.getFunction("decreaseLiquidity").staticCall({ tokenId, liquidity, amount0Min: 0n, amount1Min: 0n, deadline: 2n ** 48n })) as unknown as [bigint, bigint];
  return { amount0, amount1 };
}

/** The same amounts in USDC units, DAI at par (1e12 DAI units per USDC unit), rounded down as the reader does. */
function atPar(u: RealUniswap, usdc: string, a: { amount0: bigint; amount1: bigint }): bigint {
  return u.token0 === usdc ? a.amount0 + a.amount1 / 10n ** 12n : a.amount1 + a.amount0 / 10n ** 12n;
}

describe("uniswap-v3 reader on the real Uniswap v3 (integration, one Multicall3 batch)", function () {
  this.timeout(300_000);

  async function fixture() {
    const u = await realUniswapFixture();
    await installLocalMulticall3(ethers.provider);
    return u;
  }

  it("the value equals decreaseLiquidity + collect (principal + uncollected fees, DAI at par): at $1, after fee-earning swaps, after a swap through the range", async () => {
    const u = await loadFixture(fixture);
    const [, , trader] = await ethers.getSigners();
    const usdc = await u.usdc.getAddress();
    const dai = await u.dai.getAddress();
    const holder = await u.lp.getAddress();
    const npm = await u.positionManager.getAddress();
    const caller = countingCaller();
    const reader = new ChainPositionReader({ caller });
    const byId: PositionRead = { id: "uni-id", spec: { kind: "uniswap-v3", positionManager: npm, holder, asset: usdc, pricing: "par", tokenIds: [u.tokenId] } };
    const all: PositionRead = { id: "uni-all", spec: { kind: "uniswap-v3", positionManager: npm, holder, asset: usdc, pricing: "par" } };
    const valueOf = async (): Promise<{ byId: bigint | undefined; all: bigint | undefined; rpcCalls: number }> => {
      const snap = await reader.read({ positions: [byId, all], balances: [] });
      return { byId: snap.positions.get("uni-id")?.last?.value, all: snap.positions.get("uni-all")?.last?.value, rpcCalls: snap.rpcCalls };
    };

    const start = await valueOf();
    const truthStart = atPar(u, usdc, await redeemAndCollect(u, u.tokenId));
    expect(start.byId).to.equal(truthStart);
    expect(start.all).to.equal(truthStart);
    expect(truthStart).to.be.gt(usdc6(900_000)); // up to 500k of each at $1 in a ±5% range

    // Swaps both ways inside the range: the pool's price moves and 0.05% fees accrue to the position.
    await u.swap(trader!, usdc, usdc6(200_000));
    await u.swap(trader!, dai, dai18(150_000));
    const moved = await valueOf();
    expect(moved.rpcCalls).to.equal(1); // everything known: one eth_call
    const truthMoved = atPar(u, usdc, await redeemAndCollect(u, u.tokenId));
    expect(moved.byId).to.equal(truthMoved);
    expect(moved.all).to.equal(truthMoved);
    // The fees are in it: ≥ 175 USDC-worth at 0.05% on 350k of volume over the principal alone.
    expect(truthMoved - atPar(u, usdc, await principalOnly(u, u.tokenId))).to.be.gte(usdc6(170));

    // Through the whole range: the position is all USDC, fees on both tokens still owed.
    await u.swap(trader!, usdc, usdc6(2_000_000));
    const out = await valueOf();
    const truthOut = atPar(u, usdc, await redeemAndCollect(u, u.tokenId));
    expect(out.byId).to.equal(truthOut);
    expect(out.all).to.equal(truthOut);
  });

  it("a second position minted for the holder is picked up by enumeration (follow-up rounds at the same block), then one batch again", async () => {
    const u = await loadFixture(fixture);
    const usdc = await u.usdc.getAddress();
    const holder = await u.lp.getAddress();
    const caller = countingCaller();
    const reader = new ChainPositionReader({ caller });
    const all: PositionRead = { id: "all", spec: { kind: "uniswap-v3", positionManager: await u.positionManager.getAddress(), holder, asset: usdc, pricing: "par" } };
    await reader.read({ positions: [all], balances: [] });
    const one = u.token0 === usdc ? [usdc6(1_000), dai18(1_000)] : [dai18(1_000), usdc6(1_000)];
    const center = tickAt(u.token0 === usdc ? 10n ** 6n : 10n ** 18n, u.token0 === usdc ? 10n ** 18n : 10n ** 6n, 10); // $1
    const second = await u.mintPosition(u.lp, center - 100, center + 100, one[0]!, one[1]!);
    const snap = await reader.read({ positions: [all], balances: [] });
    expect(snap.rpcCalls).to.be.greaterThan(1);
    const truth = atPar(u, usdc, await redeemAndCollect(u, u.tokenId)) + atPar(u, usdc, await redeemAndCollect(u, second));
    expect(snap.positions.get("all")?.last?.value).to.equal(truth);
    expect((await reader.read({ positions: [all], balances: [] })).rpcCalls).to.equal(1);
  });

  it("uniswap-v3, aave-v2, yearn-v2 and the five older kinds: ONE eth_call per tick once learned, each value as its protocol reports it", async () => {
    const u = await loadFixture(fixture);
    const s = await deployStandIns({ usdc: u.usdc as never, dai: u.dai as never });
    const [, , , alice] = await ethers.getSigners();
    for (const kind of ["erc20", "aave-v3", "compound-v3", "aave-v2"] as const) await s.open(kind, alice!, usdc6(100));
    for (const kind of ["erc4626", "curve", "yearn-v2"] as const) await s.open(kind, alice!, dai18(100));
    const usdc = await u.usdc.getAddress();
    const positions: PositionRead[] = (["erc20", "aave-v3", "compound-v3", "erc4626", "curve", "aave-v2", "yearn-v2"] as const).map((k) => ({ id: k, spec: s.spec(k, alice!.address) }));
    positions.push({ id: "uniswap-v3", spec: { kind: "uniswap-v3", positionManager: await u.positionManager.getAddress(), holder: await u.lp.getAddress(), asset: usdc, pricing: "par", tokenIds: [u.tokenId] } });
    const caller = countingCaller();
    const reader = new ChainPositionReader({ caller });
    await reader.read({ positions, balances: [{ token: usdc, holder: s.addresses.aaveV2AToken }] });
    caller.calls = 0;
    const snap = await reader.read({ positions, balances: [{ token: usdc, holder: s.addresses.aaveV2AToken }] });
    expect(caller.calls).to.equal(1);
    expect([...snap.positions.values()].map((p) => `${p.id}:${p.status}`)).to.deep.equal(positions.map((p) => `${p.id}:fresh`));
    expect(snap.positions.get("aave-v2")?.last?.value).to.equal(usdc6(100));
    expect(snap.positions.get("yearn-v2")?.last?.value).to.equal(dai18(100));
    expect(snap.positions.get("uniswap-v3")?.last?.value).to.equal(atPar(u, usdc, await redeemAndCollect(u, u.tokenId)));
  });

  it("from the config file: positions of kind uniswap-v3, aave-v2 and yearn-v2 load, read as the protocols report them, and measure between two pinned blocks", async () => {
    const u = await loadFixture(fixture);
    const s = await deployStandIns({ usdc: u.usdc as never, dai: u.dai as never });
    const [, , trader, alice] = await ethers.getSigners();
    await s.open("aave-v2", alice!, usdc6(700));
    await s.open("yearn-v2", alice!, dai18(300));
    const usdc = await u.usdc.getAddress();
    const dai = await u.dai.getAddress();
    const lp = await u.lp.getAddress();
    const entry = (asset: string, position: Record<string, unknown>, beneficiary = alice!.address) => ({ protocol: "p", asset, beneficiary, allowSelfInsure: true, position });
    const config = parseConfig({
      protocols: [{ id: "p", name: "P", address: "0x87870Bca3F3fD6335C3F4ce8392D69350B4fA4E2" }],
      sources: { fixture: { path: "." } },
      positions: [
        entry(usdc, { kind: "uniswap-v3", positionManager: await u.positionManager.getAddress(), tokenIds: [u.tokenId.toString()] }, lp),
        entry(dai, { kind: "uniswap-v3", positionManager: await u.positionManager.getAddress() }, lp),
        entry(usdc, { kind: "aave-v2", aToken: s.addresses.aaveV2AToken }),
        entry(dai, { kind: "yearn-v2", vault: s.addresses.yearnV2Vault }),
      ],
    });
    const reads = positionReadsOf(config.positions);
    const reader = new ChainPositionReader({ caller: countingCaller() });
    const snap = await reader.read({ positions: reads, balances: [] });
    const values = reads.map((r) => snap.positions.get(r.id)?.last?.value);
    const truth = await redeemAndCollect(u, u.tokenId);
    expect(values[0]).to.equal(atPar(u, usdc, truth));
    // Valued in DAI instead: the USDC side at par ×1e12.
    expect(values[1]).to.equal(u.token0 === dai ? truth.amount0 + truth.amount1 * 10n ** 12n : truth.amount1 + truth.amount0 * 10n ** 12n);
    expect(values[2]).to.equal(usdc6(700));
    expect(values[3]).to.equal(dai18(300));

    const before = await ethers.provider.getBlockNumber();
    await u.swap(trader!, usdc, usdc6(2_000_000)); // through the range: the position ends all USDC, marked at par
    await (await s.yearnV2Vault.getFunction("mockStrategyLoss")(trader!.address, dai18(150))).wait();
    const after = await ethers.provider.getBlockNumber();
    const uniLoss = await reader.measurePositionLoss(reads[0]!, before, after);
    expect(uniLoss.before.value).to.equal(values[0]);
    expect(uniLoss.after.value).to.equal(atPar(u, usdc, await redeemAndCollect(u, u.tokenId)));
    const yLoss = await reader.measurePositionLoss(reads[3]!, before, after);
    expect(yLoss.loss).to.equal(dai18(150));
  });
});
