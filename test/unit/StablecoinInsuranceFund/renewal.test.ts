import { loadFixture, time } from "@nomicfoundation/hardhat-network-helpers";
import { expect } from "chai";
import { ethers } from "hardhat";

import { DAY, PROTOCOLS, YEAR, buyCoverage, deployHedgedFund, premiumReference, units } from "../../helpers/fundFixture";

const WAD = 10n ** 18n;
const AMOUNT = units(100_000, 6);
const WINDOW = 30n * DAY;

/** Self-insured coverage 1 (aave) and hedged coverage 2 (compound, provider 1), 60 days each; agent approved. */
async function withCoverages() {
  const f = await deployHedgedFund();
  await f.fund.connect(f.beneficiary).setAgent(f.agent.address, true);
  const self = await buyCoverage(f, { amount: AMOUNT, duration: 60n * DAY });
  const hedged = await buyCoverage(f, { amount: AMOUNT, duration: 60n * DAY, protocol: PROTOCOLS.compound, providerId: 1 });
  return { ...f, self, hedged };
}

/** Re-pushes the fixture's scores so they are not stale (aave 14, compound 21). */
async function refreshScores(f: Awaited<ReturnType<typeof withCoverages>>) {
  await f.fund.connect(f.oracle).updateProtocolRisk(PROTOCOLS.aave, 10, 10, 15, 20, 20);
  await f.fund.connect(f.oracle).updateProtocolRisk(PROTOCOLS.compound, 20, 25, 15, 20, 25);
}

/** Same, with the clock inside coverage 1's renewal window. */
async function inWindow() {
  const f = await withCoverages();
  await time.increaseTo(f.self.end - WINDOW);
  return f;
}

describe("StablecoinInsuranceFund renewal", () => {
  describe("who", () => {
    it("the beneficiary and an approved agent may renew; the buyer and a stranger may not", async () => {
      const f = await loadFixture(inWindow);
      for (const who of [f.stranger, f.buyer]) {
        await expect(f.fund.connect(who).renewCoverage(1, 30n * DAY, AMOUNT, ethers.MaxUint256, "0x"))
          .to.be.revertedWithCustomError(f.fund, "FundNotBeneficiaryOrAgent")
          .withArgs(who.address);
      }
      await expect(f.fund.connect(f.agent).renewCoverage(1, 30n * DAY, AMOUNT, ethers.MaxUint256, "0x")).to.emit(f.fund, "CoverageRenewed");
      await expect(f.fund.connect(f.beneficiary).renewCoverage(1, 30n * DAY, AMOUNT, ethers.MaxUint256, "0x")).to.be.revertedWithCustomError(
        f.fund,
        "FundOutsideRenewalWindow",
      );
    });

    it("a revoked agent may not", async () => {
      const f = await loadFixture(inWindow);
      await f.fund.connect(f.beneficiary).setAgent(f.agent.address, false);
      await expect(f.fund.connect(f.agent).renewCoverage(1, 30n * DAY, AMOUNT, ethers.MaxUint256, "0x"))
        .to.be.revertedWithCustomError(f.fund, "FundNotBeneficiaryOrAgent")
        .withArgs(f.agent.address);
    });

    it("rejects an unknown coverage", async () => {
      const f = await loadFixture(inWindow);
      await expect(f.fund.connect(f.beneficiary).renewCoverage(9, 30n * DAY, AMOUNT, ethers.MaxUint256, "0x"))
        .to.be.revertedWithCustomError(f.fund, "FundUnknownCoverage")
        .withArgs(9);
    });
  });

  describe("when", () => {
    it("opens at end − renewalWindow and closes at end", async () => {
      const f = await loadFixture(withCoverages);
      const opensAt = f.self.end - WINDOW;
      await time.setNextBlockTimestamp(opensAt - 1n);
      await expect(f.fund.connect(f.beneficiary).renewCoverage(1, 30n * DAY, AMOUNT, ethers.MaxUint256, "0x"))
        .to.be.revertedWithCustomError(f.fund, "FundOutsideRenewalWindow")
        .withArgs(1, opensAt, f.self.end);
      await time.setNextBlockTimestamp(opensAt);
      await expect(f.fund.connect(f.beneficiary).renewCoverage(1, 30n * DAY, AMOUNT, ethers.MaxUint256, "0x")).to.emit(f.fund, "CoverageRenewed");
    });

    it("the last second before the end is open, the end is closed", async () => {
      const f = await loadFixture(withCoverages);
      expect(f.hedged.end).to.be.greaterThan(f.self.end);
      await time.setNextBlockTimestamp(f.self.end - 1n);
      await expect(f.fund.connect(f.beneficiary).renewCoverage(1, 30n * DAY, AMOUNT, ethers.MaxUint256, "0x")).to.emit(f.fund, "CoverageRenewed");
      await time.setNextBlockTimestamp(f.hedged.end);
      await expect(f.fund.connect(f.beneficiary).renewCoverage(2, 30n * DAY, AMOUNT, ethers.MaxUint256, "0x"))
        .to.be.revertedWithCustomError(f.fund, "FundOutsideRenewalWindow")
        .withArgs(2, f.hedged.end - WINDOW, f.hedged.end);
    });

    it("an expired coverage is not active", async () => {
      const f = await loadFixture(withCoverages);
      await time.increaseTo(f.self.end + 30n * DAY + 1n); // end + claimGracePeriod
      await f.fund.expireCoverage(1);
      await expect(f.fund.connect(f.beneficiary).renewCoverage(1, 30n * DAY, AMOUNT, ethers.MaxUint256, "0x"))
        .to.be.revertedWithCustomError(f.fund, "FundCoverageNotActive")
        .withArgs(1);
    });

    it("an open claim blocks it", async () => {
      const f = await loadFixture(inWindow);
      await f.fund.connect(f.beneficiary).submitClaim(1, units(10, 6), await time.latest(), "loss", "0x");
      await expect(f.fund.connect(f.beneficiary).renewCoverage(1, 30n * DAY, AMOUNT, ethers.MaxUint256, "0x"))
        .to.be.revertedWithCustomError(f.fund, "FundClaimOpen")
        .withArgs(1, 1);
    });

    it("the pause blocks an increase only", async () => {
      const f = await loadFixture(inWindow);
      await f.fund.connect(f.guardian).pause();
      await expect(f.fund.connect(f.beneficiary).renewCoverage(1, 30n * DAY, AMOUNT + 1n, ethers.MaxUint256, "0x")).to.be.revertedWithCustomError(
        f.fund,
        "EnforcedPause",
      );
      await expect(f.fund.connect(f.beneficiary).renewCoverage(1, 30n * DAY, AMOUNT, ethers.MaxUint256, "0x")).to.emit(f.fund, "CoverageRenewed");
    });

    it("a removed asset blocks it", async () => {
      const f = await loadFixture(inWindow);
      const usdc = await f.usdc.getAddress();
      await f.fund.connect(f.admin).removeStablecoin(usdc);
      await expect(f.fund.connect(f.beneficiary).renewCoverage(1, 30n * DAY, AMOUNT, ethers.MaxUint256, "0x"))
        .to.be.revertedWithCustomError(f.fund, "FundUnsupportedAsset")
        .withArgs(usdc);
    });
  });

  describe("what", () => {
    it("extra duration must be 30..365 days and the new term at most 365 days", async () => {
      const f = await loadFixture(withCoverages);
      const opensAt = f.self.end - WINDOW;
      await time.increaseTo(opensAt + 5n);
      for (const extra of [30n * DAY - 1n, YEAR + 1n]) {
        await expect(f.fund.connect(f.beneficiary).renewCoverage(1, extra, AMOUNT, ethers.MaxUint256, "0x"))
          .to.be.revertedWithCustomError(f.fund, "FundInvalidDuration")
          .withArgs(extra);
      }
      // At opensAt + 10 the time left is 30 days − 10 s: 335 days + 11 s more makes 365 days + 1 s.
      await time.setNextBlockTimestamp(opensAt + 10n);
      await expect(f.fund.connect(f.beneficiary).renewCoverage(1, 335n * DAY + 11n, AMOUNT, ethers.MaxUint256, "0x"))
        .to.be.revertedWithCustomError(f.fund, "FundInvalidDuration")
        .withArgs(YEAR + 1n);
      await time.setNextBlockTimestamp(opensAt + 11n); // one second later it is exactly 365 days
      await f.fund.connect(f.beneficiary).renewCoverage(1, 335n * DAY + 11n, AMOUNT, ethers.MaxUint256, "0x");
      expect((await f.fund.getCoverageDetails(1)).end).to.equal(opensAt + 11n + YEAR);
    });

    it("the new amount must stay above what was already paid out", async () => {
      const f = await loadFixture(inWindow);
      await expect(f.fund.connect(f.beneficiary).renewCoverage(1, 30n * DAY, 0n, ethers.MaxUint256, "0x")).to.be.revertedWithCustomError(
        f.fund,
        "FundZeroAmount",
      );
    });

    it("is re-priced at the current score for the same amount", async () => {
      const f = await loadFixture(inWindow);
      await f.fund.connect(f.oracle).updateProtocolRisk(PROTOCOLS.aave, 100, 100, 100, 100, 100);
      const extra = 90n * DAY;
      const premium = premiumReference(AMOUNT, extra, 100n);
      const before = await f.usdc.balanceOf(f.agent.address);
      await expect(f.fund.connect(f.agent).renewCoverage(1, extra, AMOUNT, premium, "0x"))
        .to.emit(f.fund, "CoverageRenewed")
        .withArgs(1, AMOUNT, premium, 0n, f.self.end + extra, 100, 0n);
      expect(before - (await f.usdc.balanceOf(f.agent.address))).to.equal(premium);
      const c = await f.fund.getCoverageDetails(1);
      expect([c.end, c.riskScore, c.premium, c.amount]).to.deep.equal([f.self.end + extra, 100n, f.self.premium + premium, AMOUNT]);
      expect(await f.fund.getProtocolExposure(PROTOCOLS.aave)).to.equal(100_000n * WAD);
    });

    it("an increase pays the new amount over the extra time plus the increase over the time left", async () => {
      const f = await loadFixture(withCoverages);
      const at = f.self.end - 20n * DAY;
      await time.increaseTo(at - 10n);
      await refreshScores(f);
      const extra = 60n * DAY;
      const newAmount = units(150_000, 6);
      const premiumAt = (t: bigint) =>
        premiumReference(newAmount, extra, 14n) + premiumReference(newAmount - AMOUNT, f.self.end - t, 14n);
      const premium = premiumAt(at);
      expect(premiumAt(at - 1n)).to.be.greaterThan(premium);
      await time.setNextBlockTimestamp(at - 1n);
      await expect(f.fund.connect(f.beneficiary).renewCoverage(1, extra, newAmount, premium, "0x"))
        .to.be.revertedWithCustomError(f.fund, "FundPremiumAboveMax")
        .withArgs(premiumAt(at - 1n), premium);
      await time.setNextBlockTimestamp(at);
      await expect(f.fund.connect(f.beneficiary).renewCoverage(1, extra, newAmount, premium, "0x"))
        .to.emit(f.fund, "CoverageRenewed")
        .withArgs(1, newAmount, premium, 0n, f.self.end + extra, 14, 0n);
      const usdc = await f.usdc.getAddress();
      expect(await f.fund.getProtocolExposure(PROTOCOLS.aave)).to.equal(150_000n * WAD);
      expect(await f.fund.getSelfInsuredCoverage(usdc)).to.equal(newAmount);
      expect(await f.fund.getTotalCoverage(usdc)).to.equal(newAmount + AMOUNT);
    });

    it("an increase respects the protocol cap", async () => {
      const f = await loadFixture(inWindow);
      await expect(f.fund.connect(f.beneficiary).renewCoverage(1, 30n * DAY, units(500_000, 6) + 1n, ethers.MaxUint256, "0x"))
        .to.be.revertedWithCustomError(f.fund, "FundProtocolCapExceeded")
        .withArgs(PROTOCOLS.aave, 400_000n * WAD + 10n ** 12n, 400_000n * WAD);
    });

    it("a reduction releases exposure and coverage", async () => {
      const f = await loadFixture(inWindow);
      const newAmount = units(40_000, 6);
      await f.fund.connect(f.beneficiary).renewCoverage(1, 30n * DAY, newAmount, ethers.MaxUint256, "0x");
      const usdc = await f.usdc.getAddress();
      expect(await f.fund.getProtocolExposure(PROTOCOLS.aave)).to.equal(40_000n * WAD);
      expect(await f.fund.getSelfInsuredCoverage(usdc)).to.equal(newAmount);
      expect(await f.fund.getTotalCoverage(usdc)).to.equal(newAmount + AMOUNT);
      expect((await f.fund.getCoverageDetails(1)).amount).to.equal(newAmount);
    });

    it("a self-insured increase still needs the reserve", async () => {
      const f = await loadFixture(inWindow);
      await refreshScores(f);
      const usdc = await f.usdc.getAddress();
      const pool = await f.fund.poolBalance(usdc);
      // the pool may fall to the protocol's whole self-insured exposure (100K), not below
      const required = AMOUNT;
      expect((await f.fund.reserveStatus(usdc))[1]).to.equal(required);
      await f.fund.connect(f.admin).withdrawCapital(usdc, pool - required, f.admin.address);
      const newAmount = units(200_000, 6);
      const premium = premiumReference(newAmount, 30n * DAY, 14n);
      const t = BigInt(await time.latest()) + 1n;
      const increasePremium = premiumReference(newAmount - AMOUNT, f.self.end - t, 14n);
      await time.setNextBlockTimestamp(t);
      await expect(f.fund.connect(f.beneficiary).renewCoverage(1, 30n * DAY, newAmount, ethers.MaxUint256, "0x"))
        .to.be.revertedWithCustomError(f.fund, "FundProtocolExposureAboveReserve")
        .withArgs(usdc, newAmount, required + premium + increasePremium);
    });
  });

  describe("hedged", () => {
    it("renews upstream through the provider, keeps the margin and stores the provider cover id", async () => {
      const f = await loadFixture(withCoverages);
      const usdc = await f.usdc.getAddress();
      const at = f.hedged.end - 10n * DAY;
      await time.increaseTo(at - 10n);
      await refreshScores(f);
      const extra = 60n * DAY;
      const newAmount = units(120_000, 6);
      const premium = premiumReference(newAmount, extra, 21n) + premiumReference(newAmount - AMOUNT, 10n * DAY, 21n);
      // The provider prices a renewal like a Nexus edit: the extension plus the increase over the time left.
      const upstream = (await f.provider.quote(newAmount, extra)) + (await f.provider.quote(newAmount - AMOUNT, 10n * DAY));
      const pool = await f.fund.poolBalance(usdc);
      const providerId = (await f.fund.getCoverageDetails(2)).providerCoverId;
      await time.setNextBlockTimestamp(at);
      await expect(f.fund.connect(f.beneficiary).renewCoverage(2, extra, newAmount, ethers.MaxUint256, "0x"))
        .to.emit(f.fund, "CoverageRenewed")
        .withArgs(2, newAmount, premium, upstream, f.hedged.end + extra, 21, providerId)
        .and.to.emit(f.provider, "MockProviderCoverRenewed")
        .withArgs(providerId, newAmount, upstream);
      expect(await f.fund.poolBalance(usdc)).to.equal(pool + premium - upstream);
      const cover = await f.provider.covers(providerId);
      expect([cover.amount, cover.end]).to.deep.equal([newAmount, f.hedged.end + extra]);
      expect((await f.fund.getCoverageDetails(2)).providerCoverId).to.equal(providerId);
      expect(await f.fund.getSelfInsuredCoverage(usdc)).to.equal(AMOUNT);
    });

    it("an inactive provider blocks a hedged renewal", async () => {
      const f = await loadFixture(withCoverages);
      await time.increaseTo(f.hedged.end - DAY);
      await f.fund.connect(f.admin).setProviderActive(1, false);
      await expect(f.fund.connect(f.beneficiary).renewCoverage(2, 30n * DAY, AMOUNT, ethers.MaxUint256, "0x"))
        .to.be.revertedWithCustomError(f.fund, "FundProviderInactive")
        .withArgs(1);
    });
  });
});

describe("StablecoinInsuranceFund renewal and the reserve ratio", () => {
  /** A self-insured $100K coverage whose pool, after a $19K paid claim, sits below its exposure (81K). */
  async function underReserved() {
    const f = await withCoverages();
    const usdc = await f.usdc.getAddress();
    await time.increase(DAY);
    await f.fund.connect(f.beneficiary).submitClaim(1, units(19_000, 6), await time.latest(), "loss", "0x");
    // Drain the pool down to the requirement (the protocol's whole exposure), then pay the claim.
    const pool = await f.fund.poolBalance(usdc);
    const required = AMOUNT;
    expect((await f.fund.reserveStatus(usdc))[1]).to.equal(required);
    await f.fund.connect(f.admin).withdrawCapital(usdc, pool - required, f.admin.address);
    await f.fund.connect(f.assessor).assessClaim(1, true, units(19_000, 6));
    await time.increase(2n * DAY);
    await f.fund.settleClaim(1);
    await time.increaseTo(f.self.end - WINDOW);
    await refreshScores(f);
    return { ...f, usdcAddress: usdc };
  }

  it("solvency: a term-extending renewal checks the reserve whatever its amount; a reduction the pool covers goes through", async () => {
    const f = await loadFixture(underReserved);
    const pool = await f.fund.poolBalance(f.usdcAddress);
    expect(pool).to.be.lessThan(AMOUNT);
    await expect(f.fund.connect(f.beneficiary).renewCoverage(1, 30n * DAY, AMOUNT, ethers.MaxUint256, "0x")).to.be.revertedWithCustomError(
      f.fund,
      "FundProtocolExposureAboveReserve",
    );
    // lowering the amount still extends the term: still checked
    await expect(f.fund.connect(f.beneficiary).renewCoverage(1, 30n * DAY, units(90_000, 6), ethers.MaxUint256, "0x")).to.be.revertedWithCustomError(
      f.fund,
      "FundProtocolExposureAboveReserve",
    );
    await expect(f.fund.connect(f.beneficiary).renewCoverage(1, 30n * DAY, units(50_000, 6), ethers.MaxUint256, "0x")).to.emit(
      f.fund,
      "CoverageRenewed",
    );
    expect(await f.fund.getSelfInsuredCoverage(f.usdcAddress)).to.equal(units(50_000, 6));
  });
});

describe("StablecoinInsuranceFund renewal after a payout", () => {
  it("prices only what is still insured: the new amount minus what was already paid out", async () => {
    const f = await withCoverages();
    await time.increase(DAY);
    const paid = units(40_000, 6);
    await f.fund.connect(f.beneficiary).submitClaim(1, paid, await time.latest(), "loss", "0x");
    await f.fund.connect(f.assessor).assessClaim(1, true, paid);
    await time.increase(2n * DAY);
    await f.fund.settleClaim(1);
    await time.increaseTo(f.self.end - WINDOW);
    await refreshScores(f);
    const extra = 30n * DAY;
    const risk = await f.fund.calculateProtocolRisk(PROTOCOLS.aave);
    const expected = premiumReference(AMOUNT - paid, extra, risk);
    await expect(f.fund.connect(f.beneficiary).renewCoverage(1, extra, AMOUNT, expected, "0x"))
      .to.emit(f.fund, "CoverageRenewed")
      .withArgs(1, AMOUNT, expected, 0n, f.self.end + extra, risk, 0n);
    expect(expected).to.be.lessThan(premiumReference(AMOUNT, extra, risk));
  });
});

