/**
 * The protocol stand-ins behave like the contracts they fake on the paths the keeper and the demo
 * use: real signatures, events and revert reasons (Comet's custom errors, Curve's strings and bare
 * reverts, Multicall3's "call failed"), and a theft as the real contract shows it: balances and
 * indexes never drop, the loss is missing cash. (Aave v3 is not a stand-in: the real market is
 * tested in keeper/test/integration/realAave.test.ts; the Aave v2 stand-in in
 * keeper/test/sources/positionReaders.test.ts.)
 */
import { loadFixture } from "@nomicfoundation/hardhat-network-helpers";
import { expect } from "chai";
import { ethers } from "hardhat";
import { deployStandIns, dai18, usdc6 } from "../../../keeper/test/helpers/protocolStandIns";

describe("protocol stand-ins", function () {
  async function fixture() {
    const s = await deployStandIns();
    const [, alice, bob] = await ethers.getSigners();
    return { ...s, alice: alice!, bob: bob! };
  }

  describe("MockAaveV2LendingPool", function () {
    it("borrow needs collateral at LTV 80% (v2 codes 9, 11), emits v2's Borrow, mints variable debt; getUserAccountData in ETH; a theft records the debt", async function () {
      const s = await loadFixture(fixture);
      const pool = s.aaveV2Pool;
      await s.open("aave-v2", s.bob, usdc6(10_000));
      await (await pool.mockInitReserve(s.addresses.dai, "rDAI", "rDAI", 18)).wait();
      await expect(pool.connect(s.alice).borrow(s.addresses.usdc, usdc6(1), 2, 0, s.alice.address)).to.be.revertedWith("9");
      await (await s.dai.mint(s.alice.address, dai18(1000))).wait();
      await (await s.dai.connect(s.alice).approve(s.addresses.aaveV2Pool, dai18(1000))).wait();
      await (await pool.connect(s.alice).deposit(s.addresses.dai, dai18(1000), s.alice.address, 0)).wait();
      await expect(pool.connect(s.alice).borrow(s.addresses.usdc, usdc6(801), 2, 0, s.alice.address)).to.be.revertedWith("11");
      await expect(pool.connect(s.alice).borrow(s.addresses.usdc, usdc6(800), 2, 7, s.alice.address)).to.emit(pool, "Borrow").withArgs(s.addresses.usdc, s.alice.address, s.alice.address, usdc6(800), 2n, 0n, 7);
      const account = await pool.getUserAccountData(s.alice.address);
      expect([account.totalCollateralETH, account.totalDebtETH, account.ltv]).to.deep.equal([10n ** 21n, 800n * 10n ** 18n, 8000n]);
      const data = await pool.getReserveData(s.addresses.usdc);
      const debt = await ethers.getContractAt("MockAaveV2VariableDebtToken", data.variableDebtTokenAddress);
      expect(await debt.balanceOf(s.alice.address)).to.equal(usdc6(800));
      expect((data.configuration.data >> 48n) & 0xffn).to.equal(6n); // decimals, as v2 packs them
      await (await pool.mockExploitBorrow(s.addresses.usdc, s.owner.address, usdc6(1000))).wait();
      expect(await debt.totalSupply()).to.equal(usdc6(1800));
      expect(await s.aaveV2AToken.balanceOf(s.bob.address)).to.equal(usdc6(10_000));
      expect((await pool.getUserAccountData(s.owner.address)).healthFactor).to.equal(0n); // no collateral: nothing backs it
    });
  });

  describe("MockComet", function () {
    it("balanceOf is the present value of the supply; withdraw(max) empties it", async function () {
      const s = await loadFixture(fixture);
      await s.open("compound-v3", s.alice, usdc6(1000));
      await (await s.comet.mockAccrue(1_100_000_000_000_000n)).wait();
      await (await s.usdc.mint(s.addresses.comet, usdc6(100))).wait();
      expect(await s.comet.balanceOf(s.alice.address)).to.equal(usdc6(1100));
      await expect(s.comet.connect(s.alice).withdraw(s.addresses.usdc, ethers.MaxUint256)).to.emit(s.comet, "Withdraw").withArgs(s.alice.address, s.alice.address, usdc6(1100));
      expect(await s.comet.balanceOf(s.alice.address)).to.equal(0n);
    });

    it("a theft is a borrow the attacker never repays: suppliers' balances and the supply index stay, the cash and totalBorrow show it, reserves do not move", async function () {
      const s = await loadFixture(fixture);
      await s.open("compound-v3", s.alice, usdc6(300));
      await s.open("compound-v3", s.bob, usdc6(700));
      const index = (await s.comet.totalsBasic()).baseSupplyIndex;
      const reserves = await s.comet.getReserves();
      await expect(s.comet.mockExploitDrain(s.owner.address, usdc6(400))).to.emit(s.comet, "Withdraw").withArgs(s.owner.address, s.owner.address, usdc6(400));
      expect(await s.comet.balanceOf(s.alice.address)).to.equal(usdc6(300));
      expect(await s.comet.balanceOf(s.bob.address)).to.equal(usdc6(700));
      expect((await s.comet.totalsBasic()).baseSupplyIndex).to.equal(index);
      expect(await s.usdc.balanceOf(s.addresses.comet)).to.equal(usdc6(600));
      expect(await s.comet.borrowBalanceOf(s.owner.address)).to.equal(usdc6(400));
      expect(await s.comet.totalBorrow()).to.equal(usdc6(400));
      expect(await s.comet.getReserves()).to.equal(reserves);
      // The last suppliers out find no cash (the real market's failure mode too).
      await (await s.comet.connect(s.bob).withdraw(s.addresses.usdc, usdc6(600))).wait();
      await expect(s.comet.connect(s.alice).withdraw(s.addresses.usdc, usdc6(300))).to.be.reverted;
    });

    it("reverts with Comet's errors: BadAsset, NotCollateralized (would borrow), Paused; helpers owner-only", async function () {
      const s = await loadFixture(fixture);
      await s.open("compound-v3", s.alice, usdc6(10));
      await expect(s.comet.connect(s.alice).supply(s.addresses.dai, 1)).to.be.revertedWithCustomError(s.comet, "BadAsset");
      await expect(s.comet.connect(s.alice).withdraw(s.addresses.usdc, usdc6(11))).to.be.revertedWithCustomError(s.comet, "NotCollateralized");
      await (await s.comet.mockSetPaused(true)).wait();
      await expect(s.comet.connect(s.alice).withdraw(s.addresses.usdc, 1)).to.be.revertedWithCustomError(s.comet, "Paused");
      await expect(s.comet.connect(s.alice).mockExploitDrain(s.alice.address, 1)).to.be.revertedWithCustomError(s.comet, "MockCometOnlyOwner").withArgs(s.alice.address);
      await expect(s.comet.mockAccrue(1n)).to.be.revertedWithCustomError(s.comet, "MockCometIndexDecrease").withArgs(10n ** 15n, 1n);
    });

    it("a borrow is a base withdraw beyond the supply, allowed up to collateral × borrowCollateralFactor at the price feeds; the principal turns negative", async function () {
      const s = await loadFixture(fixture);
      await s.open("compound-v3", s.bob, usdc6(10_000));
      const feed = await ethers.deployContract("MockChainlinkAggregator", [8, "DAI / USD", 10n ** 8n]);
      await (await s.comet.mockAddAsset(s.addresses.dai, await feed.getAddress(), 8n * 10n ** 17n, 85n * 10n ** 16n, 9n * 10n ** 17n)).wait();
      const info = await s.comet.getAssetInfo(0);
      expect([info.asset, info.priceFeed, info.scale, info.liquidationFactor]).to.deep.equal([s.addresses.dai, await feed.getAddress(), 10n ** 18n, 9n * 10n ** 17n]);
      expect(await s.comet.numAssets()).to.equal(1n);
      expect(await s.comet.getPrice(await s.comet.baseTokenPriceFeed())).to.equal(10n ** 8n);
      await (await s.dai.mint(s.alice.address, dai18(1000))).wait();
      await (await s.dai.connect(s.alice).approve(s.addresses.comet, dai18(1000))).wait();
      await expect(s.comet.connect(s.alice).supply(s.addresses.dai, dai18(1000))).to.emit(s.comet, "SupplyCollateral").withArgs(s.alice.address, s.alice.address, s.addresses.dai, dai18(1000));
      await expect(s.comet.connect(s.alice).withdraw(s.addresses.usdc, usdc6(801))).to.be.revertedWithCustomError(s.comet, "NotCollateralized");
      await expect(s.comet.connect(s.alice).withdraw(s.addresses.usdc, usdc6(800))).to.emit(s.comet, "Withdraw").withArgs(s.alice.address, s.alice.address, usdc6(800));
      expect((await s.comet.userBasic(s.alice.address)).principal).to.equal(-usdc6(800));
      expect(await s.comet.borrowBalanceOf(s.alice.address)).to.equal(usdc6(800));
      expect(await s.comet.balanceOf(s.alice.address)).to.equal(0n);
      expect((await s.comet.totalsBasic()).totalBorrowBase).to.equal(usdc6(800));
      await expect(s.comet.connect(s.alice).withdraw(s.addresses.dai, dai18(1))).to.be.revertedWithCustomError(s.comet, "NotCollateralized");
      await (await feed.setAnswer(0, 0)).wait();
      await expect(s.comet.getPrice(await feed.getAddress())).to.be.revertedWithCustomError(s.comet, "BadPrice");
    });
  });

  describe("MockERC4626Vault", function () {
    it("is OpenZeppelin's ERC-4626: yield by donation raises convertToAssets; a drain lowers it; owner-only drain", async function () {
      const s = await loadFixture(fixture);
      await s.open("erc4626", s.alice, dai18(100));
      const shares = await s.vault.balanceOf(s.alice.address);
      await (await s.dai.mint(s.addresses.vault, dai18(50))).wait();
      expect(await s.vault.convertToAssets(shares)).to.be.closeTo(dai18(150), 1n);
      await (await s.vault.mockExploitDrain(s.owner.address, dai18(75))).wait();
      expect(await s.vault.convertToAssets(shares)).to.be.closeTo(dai18(75), 1n);
      await expect(s.vault.connect(s.alice).mockExploitDrain(s.alice.address, 1)).to.be.revertedWithCustomError(s.vault, "MockVaultOnlyOwner").withArgs(s.alice.address);
    });
  });

  describe("MockCurveStableSwapPool", function () {
    it("a theft takes coins out of the pool: no LP balance moves, every LP token is worth less", async function () {
      const s = await loadFixture(fixture);
      await s.open("curve", s.alice, dai18(1000));
      const lp = await s.curve.balanceOf(s.alice.address);
      const price = await s.curve.get_virtual_price();
      await (await s.curve.mockExploitDrain(0, s.owner.address, dai18(400))).wait();
      expect(await s.curve.balanceOf(s.alice.address)).to.equal(lp);
      expect(await s.curve.get_virtual_price()).to.equal((price * 6n) / 10n);
      expect(await s.dai.balanceOf(s.addresses.curve)).to.equal(dai18(600));
    });

    it("LP minted at $1 per coin; calc_withdraw_one_coin = remove_liquidity_one_coin's payout after the fee", async function () {
      const s = await loadFixture(fixture);
      await s.open("curve", s.alice, dai18(1000));
      const lp = await s.curve.balanceOf(s.alice.address);
      expect(lp).to.equal(dai18(1000));
      expect(await s.curve.coins(0)).to.equal(s.addresses.dai);
      const quoted = await s.curve["calc_withdraw_one_coin(uint256,int128)"](lp / 2n, 0);
      expect(quoted).to.equal(dai18(500) - (dai18(500) * 4n) / 10_000n);
      await expect(s.curve.connect(s.alice)["remove_liquidity_one_coin(uint256,int128,uint256)"](lp / 2n, 0, quoted))
        .to.emit(s.curve, "RemoveLiquidityOne")
        .withArgs(s.alice.address, lp / 2n, quoted, lp / 2n);
      expect(await s.dai.balanceOf(s.alice.address)).to.equal(quoted);
    });

    it("Curve's reverts: 'Slippage screwup', 'Not enough coins removed', a bare revert for the other index type or a coin it cannot pay", async function () {
      const s = await loadFixture(fixture);
      await s.open("curve", s.alice, dai18(10));
      await (await s.dai.mint(s.alice.address, dai18(1))).wait();
      await (await s.dai.connect(s.alice).approve(s.addresses.curve, dai18(1))).wait();
      await expect(s.curve.connect(s.alice).add_liquidity([dai18(1), 0n], dai18(2))).to.be.revertedWith("Slippage screwup");
      await expect(s.curve.connect(s.alice)["remove_liquidity_one_coin(uint256,int128,uint256)"](dai18(1), 0, dai18(1))).to.be.revertedWith("Not enough coins removed");
      await expect(s.curve["calc_withdraw_one_coin(uint256,uint256)"](dai18(1), 0)).to.be.revertedWithoutReason();
      await expect(s.curve["calc_withdraw_one_coin(uint256,int128)"](dai18(1), 1)).to.be.revertedWithoutReason(); // no USDC in the pool
      await expect(s.curveCrypto["calc_withdraw_one_coin(uint256,int128)"](0, 0)).to.be.revertedWithoutReason();
    });
  });

  describe("Multicall3 (local copy at the canonical address)", function () {
    it("aggregate3 returns per-call results and reverts 'Multicall3: call failed' only for a failure that is not allowed", async function () {
      const s = await loadFixture(fixture);
      const mc = await ethers.getContractAt("Multicall3", "0xcA11bde05977b3631167028862bE2a173976CA11");
      const ok = { target: s.addresses.usdc, allowFailure: false, callData: s.usdc.interface.encodeFunctionData("totalSupply") };
      const bad = { target: s.addresses.curve, allowFailure: true, callData: s.curve.interface.encodeFunctionData("calc_withdraw_one_coin(uint256,uint256)", [1, 0]) };
      const results = await mc.aggregate3.staticCall([ok, bad]);
      expect(results.map((r) => r.success)).to.deep.equal([true, false]);
      await expect(mc.aggregate3.staticCall([ok, { ...bad, allowFailure: false }])).to.be.revertedWith("Multicall3: call failed");
      expect(await mc.getBlockNumber()).to.equal(await ethers.provider.getBlockNumber());
    });
  });
});
