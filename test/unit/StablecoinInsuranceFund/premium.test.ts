import { loadFixture } from "@nomicfoundation/hardhat-network-helpers";
import { expect } from "chai";
import { ethers } from "hardhat";

import { DAY, PROTOCOLS, YEAR, deployFundedFund, premiumReference, units } from "../../helpers/fundFixture";

describe("StablecoinInsuranceFund premium", () => {
  describe("calculatePremium", () => {
    const cases: [string, bigint, bigint, bigint][] = [
      ["$100K for a year at risk 50", units(100_000, 6), YEAR, 50n],
      ["$45K USDC for 90 days at risk 14", units(45_000, 6), 90n * DAY, 14n],
      ["1 DAI wei for 30 days at risk 0", 1n, 30n * DAY, 0n],
      ["$1,234.567891 for 31 days + 7 s at risk 99", 1_234_567_891n, 31n * DAY + 7n, 99n],
      ["$500K DAI for 365 days at risk 100", units(500_000, 18), YEAR, 100n],
    ];
    for (const [label, amount, duration, risk] of cases) {
      it(`matches the bigint reference: ${label}`, async () => {
        const f = await loadFixture(deployFundedFund);
        expect(await f.fund.calculatePremium(amount, duration, risk)).to.equal(premiumReference(amount, duration, risk));
      });
    }

    it("rounds up where floor division would lose a unit", async () => {
      const f = await loadFixture(deployFundedFund);
      const amount = 1_234_567_891n;
      const duration = 31n * DAY + 7n;
      const exact = amount * 200n * duration * (50n + 99n);
      const denominator = 10_000n * YEAR * 100n;
      expect(exact % denominator).to.not.equal(0n);
      expect(await f.fund.calculatePremium(amount, duration, 99n)).to.equal(exact / denominator + 1n);
      // 1 wei for 30 days: floor would be free cover.
      expect(await f.fund.calculatePremium(1n, 30n * DAY, 0n)).to.equal(1n);
      expect(await f.fund.calculatePremium(0n, 30n * DAY, 0n)).to.equal(0n);
    });

    it("is exact (no extra unit) when the division is exact", async () => {
      const f = await loadFixture(deployFundedFund);
      // 100K USDC × 2% × 1 year × 100% = 2,000 USDC.
      expect(await f.fund.calculatePremium(units(100_000, 6), YEAR, 50n)).to.equal(units(2_000, 6));
    });

    it("follows baseRateBps at both bounds", async () => {
      const f = await loadFixture(deployFundedFund);
      const base = {
        reserveRatioBps: 2_000,
        maxRiskDecreasePerDay: 10,
        renewalWindow: 30n * DAY,
        claimGracePeriod: 30n * DAY,
        maxCoveragePerProtocol: units(500_000, 18),
        challengePeriod: 2 * 24 * 60 * 60,
        dailyPayoutLimitBps: 2_500,
      };
      await f.fund.connect(f.admin).setParameters({ ...base, baseRateBps: 2_000 });
      expect(await f.fund.calculatePremium(units(100_000, 6), YEAR, 50n)).to.equal(units(20_000, 6));
      await f.fund.connect(f.admin).setParameters({ ...base, baseRateBps: 1 });
      expect(await f.fund.calculatePremium(units(100_000, 6), YEAR, 50n)).to.equal(units(10, 6));
    });

    it("accepts risk 100 and rejects risk above 100", async () => {
      const f = await loadFixture(deployFundedFund);
      expect(await f.fund.calculatePremium(units(1, 6), YEAR, 100n)).to.equal(premiumReference(units(1, 6), YEAR, 100n));
      await expect(f.fund.calculatePremium(units(1, 6), YEAR, 101n))
        .to.be.revertedWithCustomError(f.fund, "FundInvalidRiskScore")
        .withArgs(101n);
    });
  });

  describe("quotePremium", () => {
    it("prices at the protocol's current score and equals what a purchase charges", async () => {
      const f = await loadFixture(deployFundedFund);
      const usdc = await f.usdc.getAddress();
      const amount = units(77_777, 6) + 3n;
      const duration = 123n * DAY + 45n;
      const quote = await f.fund.quotePremium(PROTOCOLS.curve, usdc, amount, duration);
      expect(quote).to.equal(premiumReference(amount, duration, 36n));
      const before = await f.usdc.balanceOf(f.buyer.address);
      await expect(
        f.fund.connect(f.buyer).purchaseProtocolCoverage(PROTOCOLS.curve, usdc, amount, duration, quote, f.buyer.address, 0, "0x"),
      ).to.emit(f.fund, "CoveragePurchased");
      expect(before - (await f.usdc.balanceOf(f.buyer.address))).to.equal(quote);
      expect((await f.fund.getCoverageDetails(1)).premium).to.equal(quote);
    });

    it("uses 90 for an unscored protocol", async () => {
      const f = await loadFixture(deployFundedFund);
      const unscored = ethers.getAddress("0x" + "cd".repeat(20));
      expect(await f.fund.quotePremium(unscored, await f.dai.getAddress(), units(1_000, 18), YEAR)).to.equal(
        premiumReference(units(1_000, 18), YEAR, 90n),
      );
    });

    it("rejects an unsupported asset and durations out of bounds", async () => {
      const f = await loadFixture(deployFundedFund);
      const usdc = await f.usdc.getAddress();
      await expect(f.fund.quotePremium(PROTOCOLS.aave, f.stranger.address, 1n, YEAR))
        .to.be.revertedWithCustomError(f.fund, "FundUnsupportedAsset")
        .withArgs(f.stranger.address);
      await expect(f.fund.quotePremium(PROTOCOLS.aave, usdc, 1n, 30n * DAY - 1n))
        .to.be.revertedWithCustomError(f.fund, "FundInvalidDuration")
        .withArgs(30n * DAY - 1n);
      await expect(f.fund.quotePremium(PROTOCOLS.aave, usdc, 1n, YEAR + 1n))
        .to.be.revertedWithCustomError(f.fund, "FundInvalidDuration")
        .withArgs(YEAR + 1n);
    });
  });

  describe("decimals", () => {
    it("the same dollar coverage costs the same dollar premium in USDC and DAI", async () => {
      const f = await loadFixture(deployFundedFund);
      const usdc = await f.usdc.getAddress();
      const dai = await f.dai.getAddress();
      for (const [dollars, duration] of [
        [100_000, 90n * DAY],
        [12_345, 31n * DAY + 17n],
        [1, YEAR],
      ] as const) {
        const usdcPremium = await f.fund.quotePremium(PROTOCOLS.curve, usdc, units(dollars, 6), duration);
        const daiPremium = await f.fund.quotePremium(PROTOCOLS.curve, dai, units(dollars, 18), duration);
        expect(usdcPremium >= daiPremium / 10n ** 12n).to.equal(true);
        expect(usdcPremium <= daiPremium / 10n ** 12n + 1n).to.equal(true);
      }
    });
  });
});
