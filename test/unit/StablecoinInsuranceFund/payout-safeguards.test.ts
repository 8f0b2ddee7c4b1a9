import { loadFixture, mine, time } from "@nomicfoundation/hardhat-network-helpers";
import { expect } from "chai";
import { ethers } from "hardhat";

import { DAY, PROTOCOLS, buyCoverage, deployHedgedFund, units } from "../../helpers/fundFixture";

const AMOUNT = units(100_000, 6);
const CHALLENGE = 2n * DAY;
const STATUS = { Pending: 1n, Accepted: 2n, Denied: 3n, Paid: 4n, Withdrawn: 7n, Vetoed: 8n, Disputed: 9n };

/** Hedged fixture (1M USDC pool), agent approved, self-insured coverage 1, hedged coverage 2, claim 1 (10K) pending on coverage 1. */
async function withPendingClaim() {
  const f = await deployHedgedFund();
  await f.fund.connect(f.beneficiary).setAgent(f.agent.address, true);
  await buyCoverage(f, { amount: AMOUNT });
  await buyCoverage(f, { amount: AMOUNT, protocol: PROTOCOLS.compound, providerId: 1 });
  await mine();
  await f.fund.connect(f.agent).submitClaim(1, units(10_000, 6), await time.latest(), "exploit", "0x");
  return { ...f, usdcAddress: await f.usdc.getAddress() };
}

async function withAcceptedClaim() {
  const f = await withPendingClaim();
  await f.fund.connect(f.assessor).assessClaim(1, true, units(10_000, 6));
  const payableAt = (await f.fund.getClaim(1)).payableAt;
  return { ...f, payableAt };
}

describe("StablecoinInsuranceFund payout safeguards", () => {
  describe("challenge period", () => {
    it("an accepted payout is pending until payableAt; settlement before it reverts", async () => {
      const f = await loadFixture(withAcceptedClaim);
      const book = await f.fund.getAssetBook(f.usdcAddress);
      expect([book.pending, book.openClaims, book.credited]).to.deep.equal([units(10_000, 6), 0n, 0n]);
      await expect(f.fund.settleClaim(1)).to.be.revertedWithCustomError(f.fund, "FundChallengePeriod").withArgs(1, f.payableAt);
      await time.setNextBlockTimestamp(f.payableAt - 1n);
      await expect(f.fund.settleClaim(1)).to.be.revertedWithCustomError(f.fund, "FundChallengePeriod").withArgs(1, f.payableAt);
      await expect(f.fund.connect(f.stranger).settleClaim(1)).to.emit(f.fund, "ClaimSettled").withArgs(1, STATUS.Paid, units(10_000, 6));
      const after = await f.fund.getAssetBook(f.usdcAddress);
      expect([after.pending, after.credited]).to.deep.equal([0n, units(10_000, 6)]);
    });

    it("the guardian (or the admin) vetoes inside it: the claim is Disputed, its payout stays reserved, only the admin ends it", async () => {
      const f = await loadFixture(withAcceptedClaim);
      const pool = await f.fund.poolBalance(f.usdcAddress);
      await expect(f.fund.connect(f.guardian).vetoPayout(1))
        .to.emit(f.fund, "PayoutVetoed")
        .withArgs(1, f.guardian.address, units(10_000, 6));
      expect(await f.fund.poolBalance(f.usdcAddress)).to.equal(pool);
      expect((await f.fund.getAssetBook(f.usdcAddress)).pending).to.equal(units(10_000, 6));
      expect((await f.fund.getClaim(1)).status).to.equal(STATUS.Disputed);
      expect((await f.fund.getCoverageDetails(1)).openClaimId).to.equal(1n);
      await expect(f.fund.settleClaim(1)).to.be.revertedWithCustomError(f.fund, "FundClaimNotSettleable").withArgs(1, STATUS.Disputed);
      await expect(f.fund.connect(f.guardian).vetoPayout(1))
        .to.be.revertedWithCustomError(f.fund, "FundClaimNotAccepted")
        .withArgs(1, STATUS.Disputed);
      // the admin denies it: the payout returns to the pool, the coverage is free
      await expect(f.fund.connect(f.admin).denyClaim(1)).to.emit(f.fund, "ClaimDenied");
      expect(await f.fund.poolBalance(f.usdcAddress)).to.equal(pool + units(10_000, 6));
      expect((await f.fund.getAssetBook(f.usdcAddress)).pending).to.equal(0n);
      expect((await f.fund.getClaim(1)).status).to.equal(STATUS.Denied);
      expect((await f.fund.getCoverageDetails(1)).openClaimId).to.equal(0n);
      // the claimant may file again
      await f.fund.connect(f.beneficiary).submitClaim(1, units(1_000, 6), await time.latest(), "again", "0x");
      await f.fund.connect(f.assessor).assessClaim(2, true, units(1_000, 6));
      await expect(f.fund.connect(f.admin).vetoPayout(2)).to.emit(f.fund, "PayoutVetoed").withArgs(2, f.admin.address, units(1_000, 6));
      expect((await f.fund.getClaim(2)).status).to.equal(STATUS.Disputed);
    });

    it("only the admin reinstates or denies a disputed claim, and only a disputed one", async () => {
      const f = await loadFixture(withAcceptedClaim);
      const role = await f.fund.DEFAULT_ADMIN_ROLE();
      for (const who of [f.guardian, f.assessor, f.oracle, f.beneficiary]) {
        await expect(f.fund.connect(who).reinstateClaim(1))
          .to.be.revertedWithCustomError(f.fund, "AccessControlUnauthorizedAccount")
          .withArgs(who.address, role);
        await expect(f.fund.connect(who).denyClaim(1))
          .to.be.revertedWithCustomError(f.fund, "AccessControlUnauthorizedAccount")
          .withArgs(who.address, role);
      }
      await expect(f.fund.connect(f.admin).reinstateClaim(1))
        .to.be.revertedWithCustomError(f.fund, "FundClaimNotDisputed")
        .withArgs(1, STATUS.Accepted);
      await expect(f.fund.connect(f.admin).denyClaim(1))
        .to.be.revertedWithCustomError(f.fund, "FundClaimNotDisputed")
        .withArgs(1, STATUS.Accepted);
      await expect(f.fund.connect(f.admin).denyClaim(77)).to.be.revertedWithCustomError(f.fund, "FundUnknownClaim").withArgs(77);
    });

    it("no veto once the challenge period is over", async () => {
      const f = await loadFixture(withAcceptedClaim);
      await time.setNextBlockTimestamp(f.payableAt);
      await expect(f.fund.connect(f.guardian).vetoPayout(1))
        .to.be.revertedWithCustomError(f.fund, "FundChallengePeriodOver")
        .withArgs(1, f.payableAt);
      await expect(f.fund.connect(f.guardian).vetoPayout(99)).to.be.revertedWithCustomError(f.fund, "FundUnknownClaim").withArgs(99);
    });

    it("only an accepted claim can be vetoed or confirmed", async () => {
      const f = await loadFixture(withPendingClaim);
      await expect(f.fund.connect(f.guardian).vetoPayout(1))
        .to.be.revertedWithCustomError(f.fund, "FundClaimNotAccepted")
        .withArgs(1, STATUS.Pending);
      await expect(f.fund.connect(f.admin).confirmPayout(1))
        .to.be.revertedWithCustomError(f.fund, "FundClaimNotAccepted")
        .withArgs(1, STATUS.Pending);
    });
  });

  describe("sliding 24 h limit (25% of the pool)", () => {
    /** Pool of exactly 100K USDC: accepted payouts above 25K per rolling day need the admin. */
    async function smallPool() {
      const f = await withPendingClaim();
      const pool = await f.fund.poolBalance(f.usdcAddress);
      await f.fund.connect(f.admin).withdrawCapital(f.usdcAddress, pool - units(100_000, 6), f.admin.address);
      return f;
    }

    it("a payout within the limit needs no confirmation; the next one that crosses it does", async () => {
      const f = await loadFixture(smallPool);
      await f.fund.connect(f.assessor).assessClaim(1, true, units(10_000, 6)); // 10K of 25K
      expect((await f.fund.getClaim(1)).confirmationRequired).to.equal(false);
      await expect(f.fund.connect(f.admin).confirmPayout(1)).to.be.revertedWithCustomError(f.fund, "FundConfirmationNotRequired").withArgs(1);
      await buyCoverage(f, { amount: units(50_000, 6), beneficiary: f.stranger.address, protocol: PROTOCOLS.curve });
      await mine();
      await f.fund.connect(f.stranger).submitClaim(3, units(20_000, 6), await time.latest(), "", "0x");
      // limit = 25% of the pool before this payout (90K + premium), 10K already accepted today
      const poolBefore = await f.fund.poolBalance(f.usdcAddress);
      const limit = (poolBefore * 2_500n) / 10_000n;
      await expect(f.fund.connect(f.assessor).assessClaim(2, true, units(20_000, 6)))
        .to.emit(f.fund, "PayoutConfirmationRequired")
        .withArgs(2, units(20_000, 6), units(30_000, 6), limit);
      expect((await f.fund.getClaim(2)).confirmationRequired).to.equal(true);
      await time.increase(CHALLENGE);
      await f.fund.settleClaim(1); // the first is payable
      await expect(f.fund.settleClaim(2)).to.be.revertedWithCustomError(f.fund, "FundPayoutNotConfirmed").withArgs(2);
      // unconfirmed, but no longer vetoable once its challenge period is over
      await expect(f.fund.connect(f.guardian).vetoPayout(2)).to.be.revertedWithCustomError(f.fund, "FundChallengePeriodOver");
      await expect(f.fund.connect(f.admin).confirmPayout(2)).to.emit(f.fund, "PayoutConfirmed").withArgs(2, f.admin.address);
      await expect(f.fund.connect(f.admin).confirmPayout(2)).to.be.revertedWithCustomError(f.fund, "FundConfirmationNotRequired").withArgs(2);
      await expect(f.fund.settleClaim(2)).to.emit(f.fund, "ClaimSettled").withArgs(2, STATUS.Paid, units(20_000, 6));
    });

    it("the window rolls over after a day", async () => {
      const f = await loadFixture(smallPool);
      await f.fund.connect(f.assessor).assessClaim(1, true, units(10_000, 6));
      await time.increase(CHALLENGE);
      await f.fund.settleClaim(1);
      await buyCoverage(f, { amount: units(50_000, 6), beneficiary: f.stranger.address, protocol: PROTOCOLS.curve });
      await mine();
      await f.fund.connect(f.stranger).submitClaim(3, units(20_000, 6), await time.latest(), "", "0x");
      await expect(f.fund.connect(f.assessor).assessClaim(2, true, units(20_000, 6))).to.not.emit(f.fund, "PayoutConfirmationRequired");
    });
  });

  describe("withdrawClaim", () => {
    it("the beneficiary or an approved agent withdraws a pending self-insured claim; the coverage is free again", async () => {
      const f = await loadFixture(withPendingClaim);
      await expect(f.fund.connect(f.stranger).withdrawClaim(1))
        .to.be.revertedWithCustomError(f.fund, "FundNotBeneficiaryOrAgent")
        .withArgs(f.stranger.address);
      expect((await f.fund.getAssetBook(f.usdcAddress)).openClaims).to.equal(units(10_000, 6));
      await expect(f.fund.connect(f.beneficiary).withdrawClaim(1)).to.emit(f.fund, "ClaimWithdrawn").withArgs(1, f.beneficiary.address);
      expect((await f.fund.getClaim(1)).status).to.equal(STATUS.Withdrawn);
      expect((await f.fund.getCoverageDetails(1)).openClaimId).to.equal(0n);
      expect((await f.fund.getAssetBook(f.usdcAddress)).openClaims).to.equal(0n);
      await expect(f.fund.connect(f.beneficiary).withdrawClaim(1)).to.be.revertedWithCustomError(f.fund, "FundClaimNotPending").withArgs(1);
      await expect(f.fund.connect(f.assessor).assessClaim(1, true, 1n)).to.be.revertedWithCustomError(f.fund, "FundClaimNotPending").withArgs(1);
      await expect(f.fund.connect(f.beneficiary).withdrawClaim(9)).to.be.revertedWithCustomError(f.fund, "FundUnknownClaim").withArgs(9);
    });

    it("noSingleKeyEndsAClaim: a revoked agent cannot withdraw the claim it filed", async () => {
      const f = await loadFixture(withPendingClaim);
      await f.fund.connect(f.beneficiary).setAgent(f.agent.address, false);
      await expect(f.fund.connect(f.agent).withdrawClaim(1))
        .to.be.revertedWithCustomError(f.fund, "FundNotBeneficiaryOrAgent")
        .withArgs(f.agent.address);
      expect((await f.fund.getClaim(1)).status).to.equal(STATUS.Pending);
    });

    it("noSingleKeyEndsAClaim: nobody withdraws a pending claim once the coverage's claim window closed", async () => {
      const f = await loadFixture(withPendingClaim);
      const deadline = await f.fund.claimDeadline(1);
      await time.increaseTo(deadline + 1n);
      await expect(f.fund.connect(f.agent).withdrawClaim(1))
        .to.be.revertedWithCustomError(f.fund, "FundClaimWindowClosed")
        .withArgs(1, deadline);
      await expect(f.fund.connect(f.beneficiary).withdrawClaim(1))
        .to.be.revertedWithCustomError(f.fund, "FundClaimWindowClosed")
        .withArgs(1, deadline);
      // the assessor still decides it
      await expect(f.fund.connect(f.assessor).assessClaim(1, true, units(10_000, 6))).to.emit(f.fund, "ClaimAssessed");
    });

    it("a hedged claim cannot be withdrawn (it lives upstream)", async () => {
      const f = await loadFixture(withPendingClaim);
      await f.fund.connect(f.beneficiary).submitClaim(2, 1n, await time.latest(), "", "0x", { value: await f.provider.claimDepositWei() });
      await expect(f.fund.connect(f.beneficiary).withdrawClaim(2)).to.be.revertedWithCustomError(f.fund, "FundNotSelfInsured").withArgs(2);
    });

    it("frees a renewal that a slow assessor would block", async () => {
      const f = await loadFixture(withPendingClaim);
      const end = (await f.fund.getCoverageDetails(1)).end;
      await time.increaseTo(end - DAY);
      await expect(f.fund.connect(f.beneficiary).renewCoverage(1, 30n * DAY, AMOUNT, ethers.MaxUint256, "0x"))
        .to.be.revertedWithCustomError(f.fund, "FundClaimOpen")
        .withArgs(1, 1);
      await f.fund.connect(f.agent).withdrawClaim(1);
      await expect(f.fund.connect(f.beneficiary).renewCoverage(1, 30n * DAY, AMOUNT, ethers.MaxUint256, "0x")).to.emit(f.fund, "CoverageRenewed");
    });
  });

  describe("adversarial: a compromised assessor tries to drain the pool", () => {
    it("accepts colluding claims worth the whole pool in two blocks; the guardian vetoes them all in the challenge period", async () => {
      const f = await loadFixture(deployHedgedFund);
      const usdc = await f.usdc.getAddress();
      const pool0 = await f.fund.poolBalance(usdc);
      const signers = await ethers.getSigners();
      const colluders = signers.slice(8, 12);
      // The attacker buys small-premium covers for big amounts and files a claim on each.
      for (const c of colluders) await buyCoverage(f, { amount: units(100_000, 6), beneficiary: c.address, protocol: PROTOCOLS.compound });
      await mine();
      for (const [i, c] of colluders.entries()) await f.fund.connect(c).submitClaim(i + 1, units(100_000, 6), await time.latest(), "", "0x");
      const pool1 = await f.fund.poolBalance(usdc);
      for (const i of colluders.keys()) await f.fund.connect(f.assessor).assessClaim(i + 1, true, units(100_000, 6));
      // Nothing is withdrawable yet: settlement waits, and the ones above the daily limit wait for the admin.
      for (const i of colluders.keys()) {
        await expect(f.fund.settleClaim(i + 1)).to.be.revertedWithCustomError(f.fund, "FundChallengePeriod");
        await expect(f.fund.connect(colluders[i]!).withdrawPayout(usdc, colluders[i]!.address)).to.be.revertedWithCustomError(
          f.fund,
          "FundNothingToWithdraw",
        );
      }
      const flagged = await Promise.all(colluders.map(async (_, i) => (await f.fund.getClaim(i + 1)).confirmationRequired));
      expect(flagged.some((x) => x)).to.equal(true);
      for (const i of colluders.keys()) await f.fund.connect(f.guardian).vetoPayout(i + 1);
      await time.increase(CHALLENGE);
      for (const i of colluders.keys()) {
        await expect(f.fund.settleClaim(i + 1)).to.be.revertedWithCustomError(f.fund, "FundClaimNotSettleable").withArgs(i + 1, STATUS.Disputed);
      }
      // the admin denies the disputes: the payouts return to the pool
      for (const i of colluders.keys()) await f.fund.connect(f.admin).denyClaim(i + 1);
      expect(await f.fund.poolBalance(usdc)).to.equal(pool1);
      expect(pool1).to.be.greaterThan(pool0); // premiums stay, payouts do not leave
      expect((await f.fund.getAssetBook(usdc)).pending).to.equal(0n);
    });
  });
});
