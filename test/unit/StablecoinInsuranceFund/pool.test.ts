import { loadFixture, mine, time } from "@nomicfoundation/hardhat-network-helpers";
import { expect } from "chai";
import { ethers } from "hardhat";

import { DAY, PROTOCOLS, buyCoverage, deployFund, deployFundedFund, deployHedgedFund, units } from "../../helpers/fundFixture";

/** Five protocol keys (the three test protocols and two more). */
const SPREAD = [PROTOCOLS.aave, PROTOCOLS.compound, PROTOCOLS.curve, "0x0000000000000000000000000000000000000A01", "0x0000000000000000000000000000000000000A02"];
const AMOUNT = units(100_000, 6);

describe("StablecoinInsuranceFund pool", () => {
  describe("depositCapital", () => {
    it("anyone may deposit; the pool grows and the event is emitted", async () => {
      const f = await loadFixture(deployFund);
      const dai = await f.dai.getAddress();
      await f.dai.mint(f.stranger.address, units(5, 18));
      await f.dai.connect(f.stranger).approve(await f.fund.getAddress(), units(5, 18));
      await expect(f.fund.connect(f.stranger).depositCapital(dai, units(5, 18)))
        .to.emit(f.fund, "CapitalDeposited")
        .withArgs(dai, f.stranger.address, units(5, 18));
      expect(await f.fund.poolBalance(dai)).to.equal(units(5, 18));
      expect(await f.dai.balanceOf(await f.fund.getAddress())).to.equal(units(5, 18));
    });

    it("rejects an unsupported asset and a zero amount", async () => {
      const f = await loadFixture(deployFund);
      await expect(f.fund.connect(f.admin).depositCapital(f.stranger.address, 1n))
        .to.be.revertedWithCustomError(f.fund, "FundUnsupportedAsset")
        .withArgs(f.stranger.address);
      await expect(f.fund.connect(f.admin).depositCapital(await f.usdc.getAddress(), 0n)).to.be.revertedWithCustomError(f.fund, "FundZeroAmount");
    });

    it("rejects a pool above uint128 (SafeCast)", async () => {
      const f = await loadFixture(deployFund);
      const dai = await f.dai.getAddress();
      const huge = 2n ** 128n;
      await f.dai.mint(f.admin.address, huge);
      await expect(f.fund.connect(f.admin).depositCapital(dai, huge))
        .to.be.revertedWithCustomError(f.fund, "SafeCastOverflowedUintDowncast")
        .withArgs(128, huge);
    });
  });

  describe("withdrawCapital", () => {
    /**
     * Funded fund with 100K USDC of self-insured coverage spread as 20K over five protocols: the ratio
     * requirement (20% of 100K) and the largest single-protocol exposure (20K) are both 20K.
     */
    async function withSelfInsured() {
      const f = await deployFundedFund();
      for (const protocol of SPREAD) await buyCoverage(f, { amount: AMOUNT / 5n, protocol });
      return f;
    }

    it("may withdraw down to exactly the reserve, not one unit more", async () => {
      const f = await loadFixture(withSelfInsured);
      const usdc = await f.usdc.getAddress();
      const pool = await f.fund.poolBalance(usdc);
      const required = units(20_000, 6);
      await expect(f.fund.connect(f.admin).withdrawCapital(usdc, pool - required + 1n, f.stranger.address))
        .to.be.revertedWithCustomError(f.fund, "FundReserveRatioBreached")
        .withArgs(usdc, required - 1n, required);
      await expect(f.fund.connect(f.admin).withdrawCapital(usdc, pool - required, f.stranger.address))
        .to.emit(f.fund, "CapitalWithdrawn")
        .withArgs(usdc, f.stranger.address, pool - required);
      expect(await f.usdc.balanceOf(f.stranger.address)).to.equal(pool - required);
      expect(await f.fund.poolBalance(usdc)).to.equal(required);
    });

    it("follows reserveRatioBps", async () => {
      const f = await loadFixture(withSelfInsured);
      const usdc = await f.usdc.getAddress();
      await f.fund.connect(f.admin).setParameters({
        baseRateBps: 200,
        reserveRatioBps: 10_000,
        maxRiskDecreasePerDay: 10,
        renewalWindow: 30n * DAY,
        claimGracePeriod: 30n * DAY,
        maxCoveragePerProtocol: units(500_000, 18),
        challengePeriod: 2 * 24 * 60 * 60,
        dailyPayoutLimitBps: 2_500,
      });
      const pool = await f.fund.poolBalance(usdc);
      await expect(f.fund.connect(f.admin).withdrawCapital(usdc, pool - AMOUNT + 1n, f.admin.address))
        .to.be.revertedWithCustomError(f.fund, "FundReserveRatioBreached")
        .withArgs(usdc, AMOUNT - 1n, AMOUNT);
      await f.fund.connect(f.admin).withdrawCapital(usdc, pool - AMOUNT, f.admin.address);
    });

    it("cannot take more than the pool (credited payouts are not pool)", async () => {
      const f = await loadFixture(withSelfInsured);
      const usdc = await f.usdc.getAddress();
      await mine();
      await f.fund.connect(f.beneficiary).submitClaim(1, units(10_000, 6), await time.latest(), "", "0x");
      await f.fund.connect(f.assessor).assessClaim(1, true, units(10_000, 6));
      await time.increase(2n * DAY); // challenge period
      await f.fund.settleClaim(1);
      const pool = await f.fund.poolBalance(usdc);
      expect(await f.usdc.balanceOf(await f.fund.getAddress())).to.equal(pool + units(10_000, 6));
      await expect(f.fund.connect(f.admin).withdrawCapital(usdc, pool + 1n, f.admin.address))
        .to.be.revertedWithCustomError(f.fund, "FundInsufficientPool")
        .withArgs(usdc, pool, pool + 1n);
    });

    it("hedged coverage needs no reserve, and expiry frees the reserve", async () => {
      const f = await loadFixture(deployHedgedFund);
      const usdc = await f.usdc.getAddress();
      await buyCoverage(f, { amount: AMOUNT, providerId: 1 });
      const { coverId, end } = await buyCoverage(f, { amount: AMOUNT, duration: 30n * DAY });
      const pool = await f.fund.poolBalance(usdc);
      await expect(f.fund.connect(f.admin).withdrawCapital(usdc, pool, f.admin.address)).to.be.revertedWithCustomError(
        f.fund,
        "FundReserveRatioBreached",
      );
      await time.increaseTo(end + 30n * DAY + 1n); // end + claimGracePeriod
      await f.fund.expireCoverage(coverId);
      // the largest-exposure mark only falls when someone proves the new maximum (no exposed protocol left)
      await expect(f.fund.connect(f.admin).withdrawCapital(usdc, pool, f.admin.address))
        .to.be.revertedWithCustomError(f.fund, "FundProtocolExposureAboveReserve")
        .withArgs(usdc, AMOUNT, 0n);
      await expect(f.fund.connect(f.stranger).refreshLargestExposure(usdc, [])).to.emit(f.fund, "LargestExposureRefreshed").withArgs(usdc, 0n);
      await f.fund.connect(f.admin).withdrawCapital(usdc, pool, f.admin.address);
      expect(await f.fund.poolBalance(usdc)).to.equal(0n);
    });

    it("rejects a zero recipient and a zero amount", async () => {
      const f = await loadFixture(deployFundedFund);
      const usdc = await f.usdc.getAddress();
      await expect(f.fund.connect(f.admin).withdrawCapital(usdc, 1n, ethers.ZeroAddress)).to.be.revertedWithCustomError(f.fund, "FundZeroAddress");
      await expect(f.fund.connect(f.admin).withdrawCapital(usdc, 0n, f.admin.address)).to.be.revertedWithCustomError(f.fund, "FundZeroAmount");
    });

    it("works with a USDT-like token", async () => {
      const f = await loadFixture(deployFundedFund);
      const usdt = await f.usdt.getAddress();
      await expect(f.fund.connect(f.admin).withdrawCapital(usdt, units(1, 6), f.stranger.address)).to.changeTokenBalance(
        f.usdt,
        f.stranger,
        units(1, 6),
      );
    });
  });

  describe("pause", () => {
    /** Hedged fixture with self-insured coverage 1 in its renewal window, a pending claim on coverage 2, then paused. */
    async function paused() {
      const f = await deployHedgedFund();
      const c1 = await buyCoverage(f, { amount: AMOUNT, duration: 30n * DAY });
      await buyCoverage(f, { amount: AMOUNT, duration: 90n * DAY });
      await f.fund.connect(f.beneficiary).submitClaim(2, units(1_000, 6), await time.latest(), "", "0x");
      await f.fund.connect(f.guardian).pause();
      return { ...f, c1 };
    }

    it("stops purchases and amount increases only; claims and non-increasing renewals go through", async () => {
      const f = await loadFixture(paused);
      await expect(buyCoverage(f)).to.be.revertedWithCustomError(f.fund, "EnforcedPause");
      await expect(
        f.fund.connect(f.beneficiary).renewCoverage(1, 30n * DAY, AMOUNT + 1n, ethers.MaxUint256, "0x"),
      ).to.be.revertedWithCustomError(f.fund, "EnforcedPause");
      await expect(f.fund.connect(f.beneficiary).submitClaim(1, 1n, await time.latest(), "", "0x")).to.emit(f.fund, "ClaimSubmitted");
      await f.fund.connect(f.beneficiary).withdrawClaim(2);
      await expect(f.fund.connect(f.beneficiary).renewCoverage(1, 30n * DAY, AMOUNT, ethers.MaxUint256, "0x")).to.emit(
        f.fund,
        "CoverageRenewed",
      );
      await expect(f.fund.connect(f.beneficiary).renewCoverage(2, 30n * DAY, AMOUNT / 2n, ethers.MaxUint256, "0x"))
        .to.be.revertedWithCustomError(f.fund, "FundClaimOpen")
        .withArgs(2, 1);
    });

    it("lets expiry, assessment, settlement, payouts and capital moves through", async () => {
      const f = await loadFixture(paused);
      const usdc = await f.usdc.getAddress();
      await time.increaseTo(f.c1.end + 30n * DAY + 1n); // end + claimGracePeriod
      await f.fund.expireCoverage(1);
      await f.fund.connect(f.assessor).assessClaim(1, true, units(1_000, 6));
      await time.increase(2n * DAY); // challenge period
      await f.fund.settleClaim(1);
      await f.fund.connect(f.beneficiary).withdrawPayout(usdc, f.beneficiary.address);
      await f.fund.connect(f.admin).depositCapital(usdc, 1n);
      await f.fund.connect(f.admin).withdrawCapital(usdc, 1n, f.admin.address);
      await f.fund.connect(f.admin).unpause();
      await buyCoverage(f);
    });
  });
});
