import { loadFixture, mine, time } from "@nomicfoundation/hardhat-network-helpers";
import { expect } from "chai";
import { ethers } from "hardhat";
import { AAVE_V2_POOL_READ, ChainPositionReader, MULTICALL3_ADDRESS, aggregate3, positionIdOf, type PositionRead } from "../../src/sources/positions";
import { countingCaller, dai18, deployStandIns, RAY, usdc6 } from "../helpers/protocolStandIns";

describe("position readers (against the protocol stand-ins, one Multicall3 batch)", function () {
  async function fixture() {
    const s = await deployStandIns();
    const [, alice, bob, lp] = await ethers.getSigners();
    return { ...s, alice: alice!, bob: bob!, lp: lp! };
  }
  const read = (id: string, spec: PositionRead["spec"]): PositionRead => ({ id, spec });

  it("Multicall3 at the canonical address answers aggregate3 with the block it ran on", async function () {
    const s = await loadFixture(fixture);
    const caller = countingCaller();
    const result = await aggregate3(caller, [{ target: s.addresses.usdc, callData: s.usdc.interface.encodeFunctionData("totalSupply") }]);
    expect(result.block).to.equal(await ethers.provider.getBlockNumber());
    expect(result.results[0]?.success).to.equal(true);
    expect(caller.calls).to.equal(1);
    expect(await ethers.provider.getCode(MULTICALL3_ADDRESS)).to.not.equal("0x");
  });

  it("erc20: the holder's token balance", async function () {
    const s = await loadFixture(fixture);
    await s.open("erc20", s.alice, usdc6(1234));
    const reader = new ChainPositionReader({ caller: countingCaller() });
    const snap = await reader.read({ positions: [read("u", s.spec("erc20", s.alice.address))], balances: [] });
    expect(snap.positions.get("u")?.last?.value).to.equal(usdc6(1234));
  });

  it("aave-v3 (the real Pool): the value is aToken balanceOf as interest accrues; an oracle-manipulation drain leaves it unchanged, only the cash goes", async function () {
    const s = await loadFixture(fixture);
    await s.open("aave-v3", s.alice, usdc6(1000));
    const reader = new ChainPositionReader({ caller: countingCaller() });
    const r = read("a", s.spec("aave-v3", s.alice.address));
    expect((await reader.read({ positions: [r], balances: [] })).positions.get("a")?.last?.value).to.equal(usdc6(1000));
    // A solvent borrower pays interest for a year: the supplier's balance grows with the index.
    await s.aave.supply(s.lp, "WETH", s.aave.units("WETH", 10));
    await s.aave.borrow(s.lp, "USDC", usdc6(600));
    await time.increase(365 * 86_400);
    await mine(1);
    const grown = (await reader.read({ positions: [r], balances: [] })).positions.get("a");
    expect(grown?.last?.value).to.equal(await s.aToken.getFunction("balanceOf")(s.alice.address));
    expect(grown?.last?.value).to.be.greaterThan(usdc6(1000));
    const drain = await s.aave.oracleDrain(s.bob, "USDC");
    expect(drain.amount).to.equal(await s.usdc.balanceOf(s.bob.address));
    expect(await s.aave.cash("USDC")).to.equal(0n);
    const drained = (await reader.read({ positions: [r], balances: [] })).positions.get("a");
    expect(drained?.last?.value).to.be.at.least(grown?.last?.value ?? 0n); // never written down
    expect(drained?.last?.value).to.equal(await s.aToken.getFunction("balanceOf")(s.alice.address));
  });

  it("compound-v3: Comet balanceOf is the present value of the supply", async function () {
    const s = await loadFixture(fixture);
    await s.open("compound-v3", s.alice, usdc6(500));
    await (await s.comet.mockAccrue(1_020_000_000_000_000n)).wait(); // +2%
    const reader = new ChainPositionReader({ caller: countingCaller() });
    const snap = await reader.read({ positions: [read("c", s.spec("compound-v3", s.alice.address))], balances: [] });
    expect(snap.positions.get("c")?.last?.value).to.equal(await s.comet.balanceOf(s.alice.address));
    expect(snap.positions.get("c")?.last?.value).to.equal(usdc6(510));
  });

  it("erc4626: convertToAssets(shares); a changed share count costs one follow-up batch, an unchanged one none", async function () {
    const s = await loadFixture(fixture);
    await s.open("erc4626", s.alice, dai18(1000));
    await (await s.dai.mint(s.addresses.vault, dai18(100))).wait(); // +10% yield by donation
    const caller = countingCaller();
    const reader = new ChainPositionReader({ caller });
    const r = read("v", s.spec("erc4626", s.alice.address));
    const first = await reader.read({ positions: [r], balances: [] });
    const shares = await s.vault.balanceOf(s.alice.address);
    expect(first.positions.get("v")?.last?.value).to.equal(await s.vault.convertToAssets(shares));
    expect(first.rpcCalls).to.equal(2); // no share count known yet
    const second = await reader.read({ positions: [r], balances: [] });
    expect(second.rpcCalls).to.equal(1);
    expect(second.positions.get("v")?.last?.value).to.equal(first.positions.get("v")?.last?.value);
    await s.open("erc4626", s.alice, dai18(10));
    const third = await reader.read({ positions: [r], balances: [] });
    expect(third.rpcCalls).to.equal(2);
    expect(third.positions.get("v")?.last?.value).to.equal(await s.vault.convertToAssets(await s.vault.balanceOf(s.alice.address)));
    expect(caller.calls).to.equal(5);
  });

  it("curve: calc_withdraw_one_coin(lp, i) with int128 and uint256 index pools; the wrong index type fails without a value", async function () {
    const s = await loadFixture(fixture);
    await s.open("curve", s.alice, dai18(2000));
    await s.open("curve-crypto", s.alice, dai18(300));
    const reader = new ChainPositionReader({ caller: countingCaller() });
    const stable = read("stable", s.spec("curve", s.alice.address));
    const crypto = read("crypto", s.spec("curve-crypto", s.alice.address));
    const wrong = read("wrong", { ...s.spec("curve", s.alice.address), indexType: "uint256" } as PositionRead["spec"]);
    const snap = await reader.read({ positions: [stable, crypto, wrong], balances: [] });
    const lp = await s.curve.balanceOf(s.alice.address);
    expect(snap.positions.get("stable")?.last?.value).to.equal(await s.curve["calc_withdraw_one_coin(uint256,int128)"](lp, 0));
    expect(snap.positions.get("stable")?.last?.value).to.equal(dai18(2000) - (dai18(2000) * 4n) / 10_000n);
    const lp2 = await s.curveCrypto.balanceOf(s.alice.address);
    expect(snap.positions.get("crypto")?.last?.value).to.equal(await s.curveCrypto["calc_withdraw_one_coin(uint256,uint256)"](lp2, 0));
    const bad = snap.positions.get("wrong");
    expect(bad?.status).to.equal("unknown");
    expect(bad?.last).to.equal(undefined);
    expect(bad?.error).to.match(/calc_withdraw_one_coin reverted/);
  });

  it("aave-v2 (Radiant-style stand-in): aToken balanceOf follows the v2 index; a theft (bad borrow) lowers neither balance nor index, only the cash", async function () {
    const s = await loadFixture(fixture);
    await s.open("aave-v2", s.alice, usdc6(1000));
    await s.open("aave-v2", s.lp, usdc6(3000));
    const reader = new ChainPositionReader({ caller: countingCaller() });
    const r = read("r", s.spec("aave-v2", s.alice.address));
    expect((await reader.read({ positions: [r], balances: [] })).positions.get("r")?.last?.value).to.equal(usdc6(1000));
    await (await s.aaveV2Pool.getFunction("mockAccrueIncome")(s.addresses.usdc, (RAY * 102n) / 100n)).wait();
    const grown = (await reader.read({ positions: [r], balances: [] })).positions.get("r");
    expect(grown?.last?.value).to.equal(usdc6(1020));
    expect(grown?.last?.value).to.equal(await s.aaveV2AToken.getFunction("balanceOf")(s.alice.address));
    await (await s.aaveV2Pool.getFunction("mockExploitBorrow")(s.addresses.usdc, s.bob.address, usdc6(3500))).wait();
    const cash = { token: s.addresses.usdc, holder: s.addresses.aaveV2AToken };
    const after = await reader.read({ positions: [r], balances: [cash] });
    expect(after.rpcCalls).to.equal(1);
    expect(after.positions.get("r")?.last?.value).to.equal(usdc6(1020)); // the balance does not show the loss
    expect(after.balances.get(`${cash.token.toLowerCase()}:${cash.holder.toLowerCase()}`)?.last?.value).to.equal(usdc6(500)); // the cash does
    const [data] = AAVE_V2_POOL_READ.decodeFunctionResult("getReserveData", await ethers.provider.call({ to: s.addresses.aaveV2Pool, data: AAVE_V2_POOL_READ.encodeFunctionData("getReserveData", [s.addresses.usdc]) }));
    expect((data as { liquidityIndex: bigint }).liquidityIndex).to.equal((RAY * 102n) / 100n);
    expect((data as { aTokenAddress: string }).aTokenAddress).to.equal(s.addresses.aaveV2AToken);
  });

  it("aave-v2 by its lending pool (Radiant-style): the aToken is resolved from getReserveData(asset) — one follow-up round the first time, then one batch per tick", async function () {
    const s = await loadFixture(fixture);
    await s.open("aave-v2", s.alice, usdc6(1000));
    const caller = countingCaller();
    const reader = new ChainPositionReader({ caller });
    const r = read("p", { kind: "aave-v2", lendingPool: s.addresses.aaveV2Pool, asset: s.addresses.usdc, holder: s.alice.address });
    const first = await reader.read({ positions: [r], balances: [] });
    expect(first.positions.get("p")?.last?.value).to.equal(usdc6(1000));
    expect(first.rpcCalls).to.equal(2); // learn the aToken, then read it at the same block
    await (await s.aaveV2Pool.getFunction("mockAccrueIncome")(s.addresses.usdc, (RAY * 103n) / 100n)).wait();
    const next = await reader.read({ positions: [r], balances: [] });
    expect(next.rpcCalls).to.equal(1);
    expect(next.positions.get("p")?.last?.value).to.equal(await s.aaveV2AToken.getFunction("balanceOf")(s.alice.address));
    expect(next.positions.get("p")?.last?.value).to.equal(usdc6(1030));
    // An asset the pool does not list fails with the reason, never a 0.
    const unlisted = read("q", { kind: "aave-v2", lendingPool: s.addresses.aaveV2Pool, asset: s.addresses.dai, holder: s.alice.address });
    const failed = (await reader.read({ positions: [unlisted], balances: [] })).positions.get("q");
    expect(failed?.last).to.equal(undefined);
    expect(failed?.error).to.match(/is not listed in lending pool/);
  });

  it("yearn-v2 (Vault.vy-shaped stand-in): balanceOf × pricePerShare / 10^decimals in one batch; a strategy loss lowers pps, not the share balance", async function () {
    const s = await loadFixture(fixture);
    await s.open("yearn-v2", s.alice, dai18(1000));
    await s.open("yearn-v2", s.lp, dai18(3000));
    await (await s.dai.mint(s.addresses.yearnV2Vault, dai18(400))).wait(); // +10% profit
    const caller = countingCaller();
    const reader = new ChainPositionReader({ caller });
    const r = read("y", s.spec("yearn-v2", s.alice.address));
    const first = await reader.read({ positions: [r], balances: [] });
    expect(first.rpcCalls).to.equal(1);
    const shares = (await s.yearnV2Vault.getFunction("balanceOf")(s.alice.address)) as bigint;
    const pps = (await s.yearnV2Vault.getFunction("pricePerShare")()) as bigint;
    expect(first.positions.get("y")?.last?.value).to.equal((shares * pps) / 10n ** 18n);
    expect(first.positions.get("y")?.last?.value).to.equal(dai18(1100));
    await (await s.yearnV2Vault.getFunction("mockStrategyLoss")(s.bob.address, dai18(2200))).wait(); // half the vault
    const after = await reader.read({ positions: [r], balances: [] });
    expect(after.rpcCalls).to.equal(1);
    expect(after.positions.get("y")?.shares).to.equal(shares);
    expect(after.positions.get("y")?.last?.value).to.equal(dai18(550));
  });

  it("all kinds and watched balances go out in ONE eth_call; a failing reader keeps its last value with its age, never 0", async function () {
    const s = await loadFixture(fixture);
    const kinds = ["erc20", "aave-v3", "compound-v3", "erc4626", "curve", "aave-v2", "yearn-v2"] as const;
    for (const kind of kinds) await s.open(kind, s.alice, kind === "erc4626" || kind === "curve" || kind === "yearn-v2" ? dai18(100) : usdc6(100));
    await s.open("aave-v3", s.lp, usdc6(10_000));
    // Another LP brings USDC to the Curve pool (so its LP tokens keep value after the DAI is gone).
    await (await s.usdc.mint(s.lp.address, usdc6(500))).wait();
    await (await s.usdc.connect(s.lp).approve(s.addresses.curve, usdc6(500))).wait();
    await (await s.curve.connect(s.lp).add_liquidity([0n, usdc6(500)], 0n)).wait();
    const caller = countingCaller();
    const reader = new ChainPositionReader({ caller });
    const positions = kinds.map((k) => read(k, s.spec(k, s.alice.address)));
    const balances = [
      { token: s.addresses.usdc, holder: s.addresses.aToken },
      { token: s.addresses.usdc, holder: s.addresses.comet },
    ];
    await reader.read({ positions, balances }); // learns the share counts
    caller.calls = 0;
    const snap = await reader.read({ positions, balances });
    expect(caller.calls).to.equal(1);
    expect(snap.rpcCalls).to.equal(1);
    expect([...snap.positions.values()].every((p) => p.status === "fresh")).to.equal(true);
    expect(snap.balances.get(`${s.addresses.usdc.toLowerCase()}:${s.addresses.aToken.toLowerCase()}`)?.last?.value).to.equal(usdc6(10_100));

    // The Curve pool loses its DAI: calc_withdraw_one_coin(lp, DAI) reverts; the position keeps its last value.
    const before = snap.positions.get("curve")?.last;
    await (await s.curve.mockExploitDrain(0, s.bob.address, await s.curve.balances(0))).wait();
    await ethers.provider.send("evm_increaseTime", [60]);
    await mine(1);
    const after = await reader.read({ positions, balances });
    const curve = after.positions.get("curve");
    expect(curve?.status).to.equal("stale");
    expect(curve?.last?.value).to.equal(before?.value);
    expect(curve?.last?.block).to.equal(before?.block);
    expect(curve?.ageSec).to.be.greaterThanOrEqual(60);
    expect(after.positions.get("aave-v3")?.status).to.equal("fresh");
  });

  it("an RPC failure of the whole batch keeps every last value (status stale) and reports the error", async function () {
    const s = await loadFixture(fixture);
    await s.open("aave-v3", s.alice, usdc6(700));
    let down = false;
    const reader = new ChainPositionReader({
      caller: { call: async (tx) => (down ? Promise.reject(new Error("ECONNREFUSED")) : ethers.provider.call(tx)) },
    });
    const r = read("a", s.spec("aave-v3", s.alice.address));
    await reader.read({ positions: [r], balances: [] });
    down = true;
    const snap = await reader.read({ positions: [r], balances: [] });
    expect(snap.error).to.match(/ECONNREFUSED/);
    expect(snap.positions.get("a")?.status).to.equal("stale");
    expect(snap.positions.get("a")?.last?.value).to.equal(usdc6(700));
  });

  it("block-pinned: measurePositionLoss reads the value at two recorded blocks", async function () {
    const s = await loadFixture(fixture);
    await s.open("erc4626", s.alice, dai18(1000));
    await s.open("erc4626", s.lp, dai18(3000));
    const beforeBlock = await ethers.provider.getBlockNumber();
    await (await s.vault.mockExploitDrain(s.bob.address, dai18(2000))).wait(); // half the vault
    const afterBlock = await ethers.provider.getBlockNumber();
    await s.open("erc4626", s.alice, dai18(5)); // later activity does not change the measurement
    const reader = new ChainPositionReader({ caller: countingCaller() });
    const r = read(positionIdOf("yearn", s.spec("erc4626", s.alice.address)), s.spec("erc4626", s.alice.address));
    const loss = await reader.measurePositionLoss(r, beforeBlock, afterBlock);
    expect(loss.before.block).to.equal(beforeBlock);
    expect(loss.after.block).to.equal(afterBlock);
    expect(loss.before.value).to.be.closeTo(dai18(1000), 1n);
    expect(loss.after.value).to.be.closeTo(dai18(500), 1n);
    expect(loss.loss).to.equal(loss.before.value - loss.after.value);
    const inverted = await reader.measurePositionLoss(r, afterBlock, beforeBlock).then(
      () => "resolved",
      (err: Error) => err.message,
    );
    expect(inverted).to.match(/must be below/);
  });
});
