import { loadFixture, time } from "@nomicfoundation/hardhat-network-helpers";
import { expect } from "chai";
import { ethers, network } from "hardhat";

import {
  DAY,
  PROTOCOLS,
  YEAR,
  buyCoverage,
  deployFund,
  deployFundedFund,
  deployHedgedFund,
  premiumReference,
  toObject,
  units,
} from "../../helpers/fundFixture";
import { writeOneRiskStepped } from "../../helpers/riskSteps";

const WAD = 10n ** 18n;

describe("StablecoinInsuranceFund purchase", () => {
  describe("input checks", () => {
    it("rejects a zero protocol or beneficiary", async () => {
      const f = await loadFixture(deployFundedFund);
      const usdc = await f.usdc.getAddress();
      await expect(
        f.fund.connect(f.buyer).purchaseProtocolCoverage(ethers.ZeroAddress, usdc, 1_000_000n, YEAR, ethers.MaxUint256, f.buyer.address, 0, "0x"),
      ).to.be.revertedWithCustomError(f.fund, "FundZeroAddress");
      await expect(
        f.fund.connect(f.buyer).purchaseProtocolCoverage(PROTOCOLS.aave, usdc, 1_000_000n, YEAR, ethers.MaxUint256, ethers.ZeroAddress, 0, "0x"),
      ).to.be.revertedWithCustomError(f.fund, "FundZeroAddress");
    });

    it("rejects an unregistered, a zero and a removed asset", async () => {
      const f = await loadFixture(deployFundedFund);
      for (const asset of [f.stranger.address, ethers.ZeroAddress]) {
        await expect(
          f.fund.connect(f.buyer).purchaseProtocolCoverage(PROTOCOLS.aave, asset, 1_000_000n, YEAR, ethers.MaxUint256, f.buyer.address, 0, "0x"),
        )
          .to.be.revertedWithCustomError(f.fund, "FundUnsupportedAsset")
          .withArgs(asset);
      }
      const usdt = await f.usdt.getAddress();
      await f.fund.connect(f.admin).removeStablecoin(usdt);
      await expect(
        f.fund.connect(f.buyer).purchaseProtocolCoverage(PROTOCOLS.aave, usdt, 1_000_000n, YEAR, ethers.MaxUint256, f.buyer.address, 0, "0x"),
      )
        .to.be.revertedWithCustomError(f.fund, "FundUnsupportedAsset")
        .withArgs(usdt);
    });

    it("rejects a zero amount", async () => {
      const f = await loadFixture(deployFundedFund);
      await expect(
        f.fund
          .connect(f.buyer)
          .purchaseProtocolCoverage(PROTOCOLS.aave, await f.usdc.getAddress(), 0n, YEAR, ethers.MaxUint256, f.buyer.address, 0, "0x"),
      ).to.be.revertedWithCustomError(f.fund, "FundZeroAmount");
    });

    for (const duration of [29n * DAY, 30n * DAY - 1n, YEAR + 1n, 366n * DAY, 0n]) {
      it(`rejects a duration of ${duration} s`, async () => {
        const f = await loadFixture(deployFundedFund);
        await expect(
          f.fund
            .connect(f.buyer)
            .purchaseProtocolCoverage(PROTOCOLS.aave, await f.usdc.getAddress(), 1_000_000n, duration, ethers.MaxUint256, f.buyer.address, 0, "0x"),
        )
          .to.be.revertedWithCustomError(f.fund, "FundInvalidDuration")
          .withArgs(duration);
      });
    }

    it("accepts exactly 30 and 365 days", async () => {
      const f = await loadFixture(deployFundedFund);
      const a = await buyCoverage(f, { duration: 30n * DAY });
      const b = await buyCoverage(f, { duration: YEAR });
      expect(a.end - a.start).to.equal(30n * DAY);
      expect(b.end - b.start).to.equal(YEAR);
    });

    it("rejects a premium above maxPremium and accepts it at exactly maxPremium", async () => {
      const f = await loadFixture(deployFundedFund);
      const usdc = await f.usdc.getAddress();
      const amount = units(10_000, 6);
      const premium = await f.fund.quotePremium(PROTOCOLS.aave, usdc, amount, YEAR);
      await expect(
        f.fund.connect(f.buyer).purchaseProtocolCoverage(PROTOCOLS.aave, usdc, amount, YEAR, premium - 1n, f.buyer.address, 0, "0x"),
      )
        .to.be.revertedWithCustomError(f.fund, "FundPremiumAboveMax")
        .withArgs(premium, premium - 1n);
      await f.fund.connect(f.buyer).purchaseProtocolCoverage(PROTOCOLS.aave, usdc, amount, YEAR, premium, f.buyer.address, 0, "0x");
    });

    it("rejects an unknown and an inactive provider", async () => {
      const f = await loadFixture(deployHedgedFund);
      const usdc = await f.usdc.getAddress();
      await expect(
        f.fund.connect(f.buyer).purchaseProtocolCoverage(PROTOCOLS.aave, usdc, 1_000_000n, YEAR, ethers.MaxUint256, f.buyer.address, 2, "0x"),
      )
        .to.be.revertedWithCustomError(f.fund, "FundUnknownProvider")
        .withArgs(2);
      await f.fund.connect(f.admin).setProviderActive(1, false);
      await expect(
        f.fund.connect(f.buyer).purchaseProtocolCoverage(PROTOCOLS.aave, usdc, 1_000_000n, YEAR, ethers.MaxUint256, f.buyer.address, 1, "0x"),
      )
        .to.be.revertedWithCustomError(f.fund, "FundProviderInactive")
        .withArgs(1);
    });

    it("is stopped by the pause", async () => {
      const f = await loadFixture(deployFundedFund);
      await f.fund.connect(f.guardian).pause();
      await expect(buyCoverage(f)).to.be.revertedWithCustomError(f.fund, "EnforcedPause");
    });
  });

  describe("per-protocol cap ($500K, normalised across decimals)", () => {
    it("$300K USDC + $200K DAI hits the cap exactly; $1 more reverts; another protocol is independent", async () => {
      const f = await loadFixture(deployFundedFund);
      const usdc = await f.usdc.getAddress();
      const dai = await f.dai.getAddress();
      await buyCoverage(f, { asset: usdc, amount: units(300_000, 6) });
      await buyCoverage(f, { asset: dai, amount: units(200_000, 18) });
      expect(await f.fund.getProtocolExposure(PROTOCOLS.aave)).to.equal(500_000n * WAD);
      await expect(buyCoverage(f, { asset: usdc, amount: units(1, 6) }))
        .to.be.revertedWithCustomError(f.fund, "FundProtocolCapExceeded")
        .withArgs(PROTOCOLS.aave, WAD, 0n);
      await expect(buyCoverage(f, { asset: dai, amount: 1n }))
        .to.be.revertedWithCustomError(f.fund, "FundProtocolCapExceeded")
        .withArgs(PROTOCOLS.aave, 1n, 0n);
      await buyCoverage(f, { protocol: PROTOCOLS.compound, asset: usdc, amount: units(500_000, 6) });
      expect(await f.fund.getProtocolExposure(PROTOCOLS.compound)).to.equal(500_000n * WAD);
    });

    it("the same dollar amount hits the same cap in USDC and in DAI", async () => {
      const f = await loadFixture(deployFundedFund);
      await expect(buyCoverage(f, { asset: await f.usdc.getAddress(), amount: units(500_000, 6) + 1n }))
        .to.be.revertedWithCustomError(f.fund, "FundProtocolCapExceeded")
        .withArgs(PROTOCOLS.aave, 500_000n * WAD + 10n ** 12n, 500_000n * WAD);
      await expect(buyCoverage(f, { asset: await f.dai.getAddress(), amount: units(500_000, 18) + 1n }))
        .to.be.revertedWithCustomError(f.fund, "FundProtocolCapExceeded")
        .withArgs(PROTOCOLS.aave, 500_000n * WAD + 1n, 500_000n * WAD);
      await buyCoverage(f, { asset: await f.dai.getAddress(), amount: units(500_000, 18) });
    });

    it("expiry frees the cap", async () => {
      const f = await loadFixture(deployFundedFund);
      const { coverId, end } = await buyCoverage(f, { amount: units(500_000, 6), duration: 30n * DAY });
      await time.increaseTo(end + 30n * DAY + 1n); // end + claimGracePeriod
      await f.fund.expireCoverage(coverId);
      expect(await f.fund.getProtocolExposure(PROTOCOLS.aave)).to.equal(0n);
      await buyCoverage(f, { amount: units(500_000, 6) });
    });

    it("a lower maxCoveragePerProtocol applies to the next purchase", async () => {
      const f = await loadFixture(deployFundedFund);
      await f.fund.connect(f.admin).setParameters({
        baseRateBps: 200,
        reserveRatioBps: 2_000,
        maxRiskDecreasePerDay: 10,
        renewalWindow: 30n * DAY,
        claimGracePeriod: 30n * DAY,
        maxCoveragePerProtocol: 1_000n * WAD,
        challengePeriod: 2 * 24 * 60 * 60,
        dailyPayoutLimitBps: 2_500,
      });
      await expect(buyCoverage(f, { amount: units(1_001, 6) }))
        .to.be.revertedWithCustomError(f.fund, "FundProtocolCapExceeded")
        .withArgs(PROTOCOLS.aave, 1_001n * WAD, 1_000n * WAD);
    });
  });

  describe("bookkeeping", () => {
    it("emits CoveragePurchased with every field and stores the coverage", async () => {
      const f = await loadFixture(deployFundedFund);
      const usdc = await f.usdc.getAddress();
      const amount = units(45_000, 6);
      const duration = 90n * DAY;
      const start = BigInt(await time.latest()) + 100n;
      const premium = premiumReference(amount, duration, 14n);
      await time.setNextBlockTimestamp(start);
      await expect(
        f.fund.connect(f.buyer).purchaseProtocolCoverage(PROTOCOLS.aave, usdc, amount, duration, premium, f.beneficiary.address, 0, "0x"),
      )
        .to.emit(f.fund, "CoveragePurchased")
        .withArgs(1n, PROTOCOLS.aave, f.beneficiary.address, usdc, amount, premium, 0n, start, start + duration, 14, 0, 0n);
      const c = await f.fund.getCoverageDetails(1);
      expect(toObject(c)).to.deep.include({
        id: 1n,
        protocol: PROTOCOLS.aave,
        asset: usdc,
        beneficiary: f.beneficiary.address,
        amount,
        premium,
        claimed: 0n,
        start,
        end: start + duration,
        riskScore: 14n,
        providerId: 0n,
        status: 1n,
        providerCoverId: 0n,
        openClaimId: 0n,
        prevCoverageId: 0n,
      });
    });

    it("updates totals, self-insured coverage, the pool, exposure and the protocol's list", async () => {
      const f = await loadFixture(deployFundedFund);
      const usdc = await f.usdc.getAddress();
      const dai = await f.dai.getAddress();
      const poolBefore = await f.fund.poolBalance(usdc);
      const a = await buyCoverage(f, { amount: units(10_000, 6) });
      const b = await buyCoverage(f, { amount: units(20_000, 6), protocol: PROTOCOLS.curve });
      const c = await buyCoverage(f, { amount: units(30_000, 18), asset: dai });
      expect(await f.fund.getTotalCoverage(usdc)).to.equal(units(30_000, 6));
      expect(await f.fund.getSelfInsuredCoverage(usdc)).to.equal(units(30_000, 6));
      expect(await f.fund.getTotalCoverage(dai)).to.equal(units(30_000, 18));
      expect(await f.fund.poolBalance(usdc)).to.equal(poolBefore + a.premium + b.premium);
      expect(await f.fund.getProtocolExposure(PROTOCOLS.aave)).to.equal(40_000n * WAD);
      expect(await f.fund.getProtocolExposure(PROTOCOLS.curve)).to.equal(20_000n * WAD);
      expect(await f.fund.getProtocolCoverages(PROTOCOLS.aave, 0, 10)).to.deep.equal([[c.coverId, a.coverId], 0n]);
      expect(await f.fund.getProtocolCoverages(PROTOCOLS.curve, 0, 10)).to.deep.equal([[b.coverId], 0n]);
      expect(await f.fund.getProtocolCoverages(PROTOCOLS.compound, 0, 10)).to.deep.equal([[], 0n]);
      expect(await f.fund.latestProtocolCoverage(PROTOCOLS.aave)).to.equal(c.coverId);
      expect((await f.fund.getCoverageDetails(c.coverId)).prevCoverageId).to.equal(a.coverId);
      expect(await f.fund.coverageCount()).to.equal(3n);
    });

    it("getCoverageDetails rejects an unknown id", async () => {
      const f = await loadFixture(deployFundedFund);
      await expect(f.fund.getCoverageDetails(1)).to.be.revertedWithCustomError(f.fund, "FundUnknownCoverage").withArgs(1);
    });

    it("gives two purchases mined in one block different sequential ids", async () => {
      const f = await loadFixture(deployFundedFund);
      const usdc = await f.usdc.getAddress();
      await network.provider.send("evm_setAutomine", [false]);
      try {
        const send = () =>
          f.fund
            .connect(f.buyer)
            .purchaseProtocolCoverage(PROTOCOLS.aave, usdc, units(1_000, 6), YEAR, ethers.MaxUint256, f.buyer.address, 0, "0x", {
              gasLimit: 1_000_000,
            });
        const tx1 = await send();
        const tx2 = await send();
        await network.provider.send("evm_mine", []);
        const [r1, r2] = [await tx1.wait(), await tx2.wait()];
        expect(r1?.blockNumber).to.equal(r2?.blockNumber);
        const ids = [r1, r2].map((r) => {
          const log = r?.logs.map((l) => f.fund.interface.parseLog(l)).find((l) => l?.name === "CoveragePurchased");
          return log?.args[0] as bigint;
        });
        expect(ids).to.deep.equal([1n, 2n]);
      } finally {
        await network.provider.send("evm_setAutomine", [true]);
      }
    });
  });

  describe("tokens", () => {
    it("rejects a fee-on-transfer token at the premium pull", async () => {
      const f = await loadFixture(deployFundedFund);
      const token = await ethers.deployContract("MockFeeOnTransferToken", ["Fee", "FEE", 18, 100, ethers.ZeroAddress]);
      const asset = await token.getAddress();
      await f.fund.connect(f.admin).addStablecoin(asset);
      await token.mint(f.buyer.address, units(1_000_000, 18));
      await token.connect(f.buyer).approve(await f.fund.getAddress(), ethers.MaxUint256);
      const premium = await f.fund.quotePremium(PROTOCOLS.aave, asset, units(1_000, 18), YEAR);
      await expect(buyCoverage(f, { asset, amount: units(1_000, 18), duration: YEAR }))
        .to.be.revertedWithCustomError(f.fund, "FundFeeOnTransfer")
        .withArgs(asset, premium, premium - premium / 100n);
      await expect(f.fund.connect(f.buyer).depositCapital(asset, 10_000n))
        .to.be.revertedWithCustomError(f.fund, "FundFeeOnTransfer")
        .withArgs(asset, 10_000n, 9_900n);
    });

    it("works with a USDT-like token (no return values)", async () => {
      const f = await loadFixture(deployFundedFund);
      const usdt = await f.usdt.getAddress();
      const before = await f.usdt.balanceOf(f.buyer.address);
      const { premium } = await buyCoverage(f, { asset: usdt, amount: units(50_000, 6) });
      expect(before - (await f.usdt.balanceOf(f.buyer.address))).to.equal(premium);
      expect(await f.fund.getSelfInsuredCoverage(usdt)).to.equal(units(50_000, 6));
    });
  });

  describe("reserve ratio (self-insured)", () => {
    async function unfunded() {
      const f = await deployFund();
      await writeOneRiskStepped(f.fund, f.oracle, PROTOCOLS.aave, 10, 10, 15, 20, 20);
      return f;
    }

    it("solvency: passes with the pool exactly at the protocol's whole self-insured exposure, one unit less reverts", async () => {
      const f = await loadFixture(unfunded);
      const usdc = await f.usdc.getAddress();
      const amount = units(100_000, 6);
      const premium = await f.fund.quotePremium(PROTOCOLS.aave, usdc, amount, 90n * DAY);
      await f.fund.connect(f.admin).depositCapital(usdc, amount - premium - 1n);
      await expect(buyCoverage(f, { amount }))
        .to.be.revertedWithCustomError(f.fund, "FundProtocolExposureAboveReserve")
        .withArgs(usdc, amount, amount - 1n);
      await f.fund.connect(f.admin).depositCapital(usdc, 1n);
      await buyCoverage(f, { amount });
      expect(await f.fund.poolBalance(usdc)).to.equal(amount);
      expect(await f.fund.selfInsuredExposure(PROTOCOLS.aave, usdc)).to.deep.equal([amount, amount]);
    });

    it("reverts one unit below with the pool and the requirement", async () => {
      const f = await loadFixture(unfunded);
      const usdc = await f.usdc.getAddress();
      const amount = units(100_000, 6);
      const premium = await f.fund.quotePremium(PROTOCOLS.aave, usdc, amount, 90n * DAY);
      await f.fund.connect(f.admin).depositCapital(usdc, units(20_000, 6) - premium - 1n);
      await expect(buyCoverage(f, { amount }))
        .to.be.revertedWithCustomError(f.fund, "FundReserveRatioBreached")
        .withArgs(usdc, units(20_000, 6) - 1n, units(20_000, 6));
    });

    it("rounds the requirement up", async () => {
      const f = await loadFixture(unfunded);
      const usdc = await f.usdc.getAddress();
      // 20% of 11 units is 2.2 -> 3 units required (floor would accept 2); 20% of 10 is exactly 2.
      const premium11 = await f.fund.quotePremium(PROTOCOLS.aave, usdc, 11n, 30n * DAY);
      const premium10 = await f.fund.quotePremium(PROTOCOLS.aave, usdc, 10n, 30n * DAY);
      expect([premium10, premium11]).to.deep.equal([1n, 1n]);
      await f.fund.connect(f.admin).depositCapital(usdc, 1n);
      await expect(buyCoverage(f, { amount: 11n, duration: 30n * DAY }))
        .to.be.revertedWithCustomError(f.fund, "FundReserveRatioBreached")
        .withArgs(usdc, 2n, 3n);
      // 10 passes the ratio (2 of 2) and then needs the pool to cover the protocol's 10 units
      await expect(buyCoverage(f, { amount: 10n, duration: 30n * DAY }))
        .to.be.revertedWithCustomError(f.fund, "FundProtocolExposureAboveReserve")
        .withArgs(usdc, 10n, 2n);
    });

    it("hedged coverage needs no reserve", async () => {
      const f = await loadFixture(deployHedgedFund);
      const usdc = await f.usdc.getAddress();
      await f.fund.connect(f.admin).withdrawCapital(usdc, await f.fund.poolBalance(usdc), f.admin.address);
      await buyCoverage(f, { amount: units(100_000, 6), providerId: 1 });
      expect(await f.fund.getSelfInsuredCoverage(usdc)).to.equal(0n);
      expect(await f.fund.getTotalCoverage(usdc)).to.equal(units(100_000, 6));
    });
  });
});
