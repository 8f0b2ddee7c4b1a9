import { impersonateAccount, loadFixture, mine, setBalance, stopImpersonatingAccount, time } from "@nomicfoundation/hardhat-network-helpers";
import { expect } from "chai";
import { ethers } from "hardhat";

import {
  DAY,
  PROTOCOLS,
  PROVIDER_CLAIM_DEPOSIT,
  buyCoverage,
  deployHedgedFund,
  premiumReference,
  units,
} from "../../helpers/fundFixture";

const AMOUNT = units(100_000, 6);
const DEPOSIT = PROVIDER_CLAIM_DEPOSIT;
const PROVIDER_GRACE = 30n * DAY;
const REDEMPTION_WINDOW = 30n * DAY;
/** The fund's ClaimStatus. */
const STATUS = { Pending: 1n, Denied: 3n, Paid: 4n, Draw: 5n, Expired: 6n };
/** MockCapacityLimitedProvider.MockDecision. */
const DECISION = { Accept: 0, Deny: 1, Draw: 2 };

/** Hedged coverage 1 (aave, 100K USDC, 90 days, provider 1), agent approved, one block later. */
async function withCoverage() {
  const f = await deployHedgedFund();
  await f.fund.connect(f.beneficiary).setAgent(f.agent.address, true);
  const cover = await buyCoverage(f, { amount: AMOUNT, providerId: 1 });
  await mine();
  return { ...f, cover };
}

/** Plus claim 1 (40K) filed upstream by the agent with the exact deposit. */
async function withClaim() {
  const f = await withCoverage();
  await f.fund.connect(f.agent).submitClaim(1, units(40_000, 6), await time.latest(), "depeg", "0x1234", { value: DEPOSIT });
  return f;
}

describe("StablecoinInsuranceFund hedged claims (MockCapacityLimitedProvider)", () => {
  describe("purchase through the provider", () => {
    it("pays the provider its premium and keeps the margin in the pool", async () => {
      const f = await loadFixture(deployHedgedFund);
      const usdc = await f.usdc.getAddress();
      const duration = 90n * DAY;
      const premium = premiumReference(AMOUNT, duration, 14n);
      const upstream = await f.provider.quote(AMOUNT, duration);
      expect(upstream).to.be.lessThan(premium);
      const pool = await f.fund.poolBalance(usdc);
      const providerBalance = await f.usdc.balanceOf(await f.provider.getAddress());
      const start = BigInt(await time.latest()) + 1n;
      await time.setNextBlockTimestamp(start);
      await expect(
        f.fund.connect(f.buyer).purchaseProtocolCoverage(PROTOCOLS.aave, usdc, AMOUNT, duration, premium, f.beneficiary.address, 1, "0x"),
      )
        .to.emit(f.fund, "CoveragePurchased")
        .withArgs(1, PROTOCOLS.aave, f.beneficiary.address, usdc, AMOUNT, premium, upstream, start, start + duration, 14, 1, 1);
      expect(await f.fund.poolBalance(usdc)).to.equal(pool + premium - upstream);
      expect((await f.usdc.balanceOf(await f.provider.getAddress())) - providerBalance).to.equal(upstream);
      expect(await f.usdc.allowance(await f.fund.getAddress(), await f.provider.getAddress())).to.equal(0n);
      const c = await f.fund.getCoverageDetails(1);
      expect([c.providerId, c.providerCoverId]).to.deep.equal([1n, 1n]);
      expect(await f.fund.getSelfInsuredCoverage(usdc)).to.equal(0n);
      expect(await f.fund.getTotalCoverage(usdc)).to.equal(AMOUNT);
    });

    it("works with a USDT-like token (approve-to-zero semantics)", async () => {
      const f = await loadFixture(deployHedgedFund);
      const usdt = await f.usdt.getAddress();
      await buyCoverage(f, { asset: usdt, amount: AMOUNT, providerId: 1 });
      await buyCoverage(f, { asset: usdt, amount: AMOUNT, providerId: 1 });
      expect(await f.fund.getTotalCoverage(usdt)).to.equal(2n * AMOUNT);
    });

    it("reverts with the provider's error when it lacks capacity", async () => {
      const f = await loadFixture(deployHedgedFund);
      const usdc = await f.usdc.getAddress();
      await f.provider.connect(f.admin).mockSetMarket(PROTOCOLS.aave, usdc, true, units(1_000, 6));
      await expect(buyCoverage(f, { amount: AMOUNT, providerId: 1 }))
        .to.be.revertedWithCustomError(f.provider, "CoverProviderInsufficientCapacity")
        .withArgs(AMOUNT, units(1_000, 6));
    });

    it("refuses a market the provider does not cover before paying anything", async () => {
      const f = await loadFixture(deployHedgedFund);
      await expect(buyCoverage(f, { amount: AMOUNT, providerId: 1, protocol: PROTOCOLS.curve }))
        .to.be.revertedWithCustomError(f.fund, "FundProviderUnsupported")
        .withArgs(1, PROTOCOLS.curve, await f.usdc.getAddress());
    });
  });

  describe("submitClaim", () => {
    it("forwards the claim upstream with the exact deposit", async () => {
      const f = await loadFixture(withCoverage);
      await expect(f.fund.connect(f.agent).submitClaim(1, units(40_000, 6), await time.latest(), "depeg", "0x1234", { value: DEPOSIT }))
        .to.emit(f.fund, "ClaimSubmitted")
        .withArgs(1, 1, f.agent.address, units(40_000, 6), "depeg", "0x1234", 1)
        .and.to.emit(f.provider, "MockProviderClaimSubmitted")
        .withArgs(1, 1, units(40_000, 6));
      const claim = await f.fund.getClaim(1);
      expect([claim.deposit, claim.providerClaimId, claim.status]).to.deep.equal([DEPOSIT, 1n, STATUS.Pending]);
      expect(await ethers.provider.getBalance(await f.provider.getAddress())).to.equal(DEPOSIT);
    });

    it("rejects a missing or excess deposit", async () => {
      const f = await loadFixture(withCoverage);
      for (const value of [0n, DEPOSIT - 1n, DEPOSIT + 1n]) {
        await expect(f.fund.connect(f.beneficiary).submitClaim(1, 1n, await time.latest(), "", "0x", { value }))
          .to.be.revertedWithCustomError(f.fund, "FundWrongDeposit")
          .withArgs(DEPOSIT, value);
      }
    });

    it("follows the provider's claim window (end + 30 days inclusive)", async () => {
      const f = await loadFixture(withCoverage);
      const latest = f.cover.end + PROVIDER_GRACE;
      expect(await f.provider.claimWindow(1)).to.deep.equal([f.cover.start, latest]);
      await time.setNextBlockTimestamp(latest);
      await f.fund.connect(f.beneficiary).submitClaim(1, 1n, f.cover.end, "", "0x", { value: DEPOSIT });
      await f.provider.connect(f.admin).mockDecideClaim(1, DECISION.Deny, 0n);
      await f.fund.settleClaim(1);
      await expect(f.fund.connect(f.beneficiary).submitClaim(1, 1n, f.cover.end, "", "0x", { value: DEPOSIT }))
        .to.be.revertedWithCustomError(f.fund, "FundClaimWindowClosed")
        .withArgs(1, latest);
    });

    it("is not stopped by the pause (a guardian cannot run out a claim window)", async () => {
      const f = await loadFixture(withCoverage);
      await f.fund.connect(f.guardian).pause();
      await expect(f.fund.connect(f.beneficiary).submitClaim(1, 1n, await time.latest(), "", "0x", { value: DEPOSIT })).to.emit(
        f.fund,
        "ClaimSubmitted",
      );
    });

    it("claims on existing coverage keep working after the provider is deactivated", async () => {
      const f = await loadFixture(withCoverage);
      await f.fund.connect(f.admin).setProviderActive(1, false);
      await f.fund.connect(f.beneficiary).submitClaim(1, units(1_000, 6), await time.latest(), "", "0x", { value: DEPOSIT });
      await f.provider.connect(f.admin).mockDecideClaim(1, DECISION.Accept, units(1_000, 6));
      await expect(f.fund.settleClaim(1)).to.emit(f.fund, "ClaimSettled").withArgs(1, STATUS.Paid, units(1_000, 6));
    });

    it("the assessor cannot decide a hedged claim", async () => {
      const f = await loadFixture(withClaim);
      await expect(f.fund.connect(f.assessor).assessClaim(1, true, 1n)).to.be.revertedWithCustomError(f.fund, "FundNotSelfInsured").withArgs(1);
    });
  });

  describe("settleClaim", () => {
    it("a still-pending upstream claim is not settleable", async () => {
      const f = await loadFixture(withClaim);
      await expect(f.fund.settleClaim(1)).to.be.revertedWithCustomError(f.fund, "FundClaimNotSettleable").withArgs(1, 1);
    });

    it("accepted: redeems, credits the payout to the beneficiary and the deposit to the claimant", async () => {
      const f = await loadFixture(withClaim);
      const usdc = await f.usdc.getAddress();
      const payout = units(35_000, 6);
      await f.provider.connect(f.admin).mockDecideClaim(1, DECISION.Accept, payout);
      const pool = await f.fund.poolBalance(usdc);
      const tx = f.fund.connect(f.stranger).settleClaim(1);
      await expect(tx).to.emit(f.fund, "ClaimSettled").withArgs(1, STATUS.Paid, payout);
      await expect(tx).to.emit(f.fund, "DepositCredited").withArgs(f.agent.address, DEPOSIT);
      expect(await f.fund.creditedPayout(f.beneficiary.address, usdc)).to.equal(payout);
      expect(await f.fund.creditedDeposit(f.agent.address)).to.equal(DEPOSIT);
      expect(await f.fund.poolBalance(usdc)).to.equal(pool);
      const c = await f.fund.getCoverageDetails(1);
      expect([c.claimed, c.openClaimId]).to.deep.equal([payout, 0n]);
      await expect(f.fund.settleClaim(1)).to.be.revertedWithCustomError(f.fund, "FundClaimNotSettleable").withArgs(1, STATUS.Paid);

      await expect(f.fund.connect(f.agent).withdrawDeposit(f.agent.address)).to.changeEtherBalances([f.agent, f.fund], [DEPOSIT, -DEPOSIT]);
      await expect(f.fund.connect(f.agent).withdrawDeposit(f.agent.address)).to.be.revertedWithCustomError(f.fund, "FundNothingToWithdraw");
      await expect(f.fund.connect(f.beneficiary).withdrawPayout(usdc, f.beneficiary.address)).to.changeTokenBalance(f.usdc, f.beneficiary, payout);
    });

    it("an upstream payout above the claim is capped; the excess stays in the pool", async () => {
      const f = await loadFixture(withClaim);
      const usdc = await f.usdc.getAddress();
      await f.provider.connect(f.admin).mockDecideClaim(1, DECISION.Accept, units(45_000, 6));
      const pool = await f.fund.poolBalance(usdc);
      await expect(f.fund.settleClaim(1)).to.emit(f.fund, "ClaimSettled").withArgs(1, STATUS.Paid, units(40_000, 6));
      expect(await f.fund.creditedPayout(f.beneficiary.address, usdc)).to.equal(units(40_000, 6));
      expect(await f.fund.poolBalance(usdc)).to.equal(pool + units(5_000, 6));
    });

    it("draw: the deposit is credited back, no payout", async () => {
      const f = await loadFixture(withClaim);
      await f.provider.connect(f.admin).mockDecideClaim(1, DECISION.Draw, 0n);
      const tx = f.fund.settleClaim(1);
      await expect(tx).to.emit(f.fund, "ClaimSettled").withArgs(1, STATUS.Draw, 0n);
      await expect(tx).to.emit(f.fund, "DepositCredited").withArgs(f.agent.address, DEPOSIT);
      expect(await f.fund.creditedPayout(f.beneficiary.address, await f.usdc.getAddress())).to.equal(0n);
      expect((await f.fund.getCoverageDetails(1)).openClaimId).to.equal(0n);
      await expect(f.fund.connect(f.agent).withdrawDeposit(f.agent.address))
        .to.emit(f.fund, "DepositWithdrawn")
        .withArgs(f.agent.address, f.agent.address, DEPOSIT);
    });

    it("denied: closed without payout or deposit", async () => {
      const f = await loadFixture(withClaim);
      await f.provider.connect(f.admin).mockDecideClaim(1, DECISION.Deny, 0n);
      await expect(f.fund.settleClaim(1)).to.emit(f.fund, "ClaimSettled").withArgs(1, STATUS.Denied, 0n).and.not.to.emit(f.fund, "DepositCredited");
      expect((await f.fund.getClaim(1)).status).to.equal(STATUS.Denied);
      expect((await f.fund.getCoverageDetails(1)).openClaimId).to.equal(0n);
      expect(await f.fund.creditedDeposit(f.agent.address)).to.equal(0n);
    });

    it("an accepted payout not redeemed in its window settles as expired", async () => {
      const f = await loadFixture(withClaim);
      await f.provider.connect(f.admin).mockDecideClaim(1, DECISION.Accept, units(40_000, 6));
      await time.increase(REDEMPTION_WINDOW + 1n);
      await expect(f.fund.settleClaim(1)).to.emit(f.fund, "ClaimSettled").withArgs(1, STATUS.Expired, 0n);
    });

    it("settlement and withdrawals keep working while paused", async () => {
      const f = await loadFixture(withClaim);
      await f.provider.connect(f.admin).mockDecideClaim(1, DECISION.Accept, units(40_000, 6));
      await f.fund.connect(f.guardian).pause();
      await f.fund.settleClaim(1);
      await f.fund.connect(f.agent).withdrawDeposit(f.agent.address);
      await f.fund.connect(f.beneficiary).withdrawPayout(await f.usdc.getAddress(), f.beneficiary.address);
      expect(await f.fund.paused()).to.equal(true);
    });

    it("a claimant that rejects ETH cannot withdraw its deposit", async () => {
      const f = await loadFixture(deployHedgedFund);
      // A contract without receive/fallback (MockDAI) acts as beneficiary and claimant.
      const claimantAddress = await f.dai.getAddress();
      await buyCoverage(f, { amount: AMOUNT, providerId: 1, beneficiary: claimantAddress });
      await impersonateAccount(claimantAddress);
      await setBalance(claimantAddress, ethers.parseEther("1"));
      const claimant = await ethers.getSigner(claimantAddress);
      await f.fund.connect(claimant).submitClaim(1, 1n, await time.latest(), "", "0x", { value: DEPOSIT });
      await f.provider.connect(f.admin).mockDecideClaim(1, DECISION.Draw, 0n);
      await f.fund.settleClaim(1);
      await expect(f.fund.connect(claimant).withdrawDeposit(claimant.address)).to.be.revertedWithCustomError(f.fund, "FundEthTransferFailed");
      expect(await f.fund.creditedDeposit(claimantAddress)).to.equal(DEPOSIT);
      await stopImpersonatingAccount(claimantAddress);
    });
  });
});
