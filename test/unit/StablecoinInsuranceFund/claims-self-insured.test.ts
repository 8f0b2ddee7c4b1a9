import { loadFixture, mine, time } from "@nomicfoundation/hardhat-network-helpers";
import { expect } from "chai";
import { ethers, network } from "hardhat";

import { DAY, PROTOCOLS, buyCoverage, deployFund, deployFundedFund, units, toArray, toObject } from "../../helpers/fundFixture";
import { writeOneRiskStepped } from "../../helpers/riskSteps";

const AMOUNT = units(100_000, 6);
const GRACE = 30n * DAY;
const CHALLENGE = 2n * DAY;
const EVIDENCE = "0xdeadbeef";
const STATUS = { Pending: 1n, Accepted: 2n, Denied: 3n, Paid: 4n };

/** Funded fund, agent approved by the beneficiary, self-insured coverage 1 (aave, 100K USDC, 90 days), one block later. */
async function withCoverage() {
  const f = await deployFundedFund();
  await f.fund.connect(f.beneficiary).setAgent(f.agent.address, true);
  const cover = await buyCoverage(f, { amount: AMOUNT });
  await mine();
  return { ...f, cover };
}

/** Plus claim 1 of 40K USDC filed by the agent. */
async function withClaim() {
  const f = await withCoverage();
  await f.fund.connect(f.agent).submitClaim(1, units(40_000, 6), await time.latest(), "exploit", EVIDENCE);
  return f;
}

/** Plus the assessor's acceptance of 30K, and the end of its challenge period (2 days). */
async function withAcceptedClaim() {
  const f = await withClaim();
  await f.fund.connect(f.assessor).assessClaim(1, true, units(30_000, 6));
  await time.increase(CHALLENGE);
  return f;
}

describe("StablecoinInsuranceFund self-insured claims", () => {
  describe("submitClaim", () => {
    it("records the claim and emits ClaimSubmitted (agent files, evidence hashed)", async () => {
      const f = await loadFixture(withCoverage);
      const at = BigInt(await time.latest()) + 5n;
      await time.setNextBlockTimestamp(at);
      await expect(f.fund.connect(f.agent).submitClaim(1, units(40_000, 6), await time.latest(), "exploit", EVIDENCE))
        .to.emit(f.fund, "ClaimSubmitted")
        .withArgs(1, 1, f.agent.address, units(40_000, 6), "exploit", EVIDENCE, 0);
      const claim = await f.fund.getClaim(1);
      expect(toObject(claim)).to.deep.include({
        id: 1n,
        coverageId: 1n,
        claimant: f.agent.address,
        amount: units(40_000, 6),
        payout: 0n,
        deposit: 0n,
        providerClaimId: 0n,
        submittedAt: at,
        status: STATUS.Pending,
        evidenceHash: ethers.keccak256(EVIDENCE),
      });
      expect((await f.fund.getCoverageDetails(1)).openClaimId).to.equal(1n);
      expect(await f.fund.claimCount()).to.equal(1n);
    });

    it("only the beneficiary or an approved agent may file", async () => {
      const f = await loadFixture(withCoverage);
      for (const who of [f.stranger, f.buyer]) {
        await expect(f.fund.connect(who).submitClaim(1, 1n, await time.latest(), "", "0x"))
          .to.be.revertedWithCustomError(f.fund, "FundNotBeneficiaryOrAgent")
          .withArgs(who.address);
      }
      await f.fund.connect(f.beneficiary).submitClaim(1, 1n, await time.latest(), "", "0x");
    });

    it("rejects an unknown coverage, a zero amount, more than the remaining and ETH", async () => {
      const f = await loadFixture(withCoverage);
      await expect(f.fund.connect(f.beneficiary).submitClaim(2, 1n, await time.latest(), "", "0x")).to.be.revertedWithCustomError(f.fund, "FundUnknownCoverage").withArgs(2);
      await expect(f.fund.connect(f.beneficiary).submitClaim(1, 0n, await time.latest(), "", "0x")).to.be.revertedWithCustomError(f.fund, "FundZeroAmount");
      await expect(f.fund.connect(f.beneficiary).submitClaim(1, AMOUNT + 1n, await time.latest(), "", "0x"))
        .to.be.revertedWithCustomError(f.fund, "FundClaimExceedsRemaining")
        .withArgs(AMOUNT + 1n, AMOUNT);
      await expect(f.fund.connect(f.beneficiary).submitClaim(1, AMOUNT, await time.latest(), "", "0x", { value: 1n }))
        .to.be.revertedWithCustomError(f.fund, "FundWrongDeposit")
        .withArgs(0n, 1n);
    });

    it("allows one open claim at a time", async () => {
      const f = await loadFixture(withClaim);
      await expect(f.fund.connect(f.beneficiary).submitClaim(1, 1n, await time.latest(), "", "0x"))
        .to.be.revertedWithCustomError(f.fund, "FundClaimOpen")
        .withArgs(1, 1);
    });

    it("is impossible in the purchase block", async () => {
      const f = await loadFixture(deployFundedFund);
      const usdc = await f.usdc.getAddress();
      await network.provider.send("evm_setAutomine", [false]);
      let claimTx;
      try {
        await f.fund
          .connect(f.buyer)
          .purchaseProtocolCoverage(PROTOCOLS.aave, usdc, AMOUNT, 90n * DAY, ethers.MaxUint256, f.buyer.address, 0, "0x", { gasLimit: 1_000_000 });
        claimTx = await f.fund.connect(f.buyer).submitClaim(1, 1n, await time.latest(), "", "0x", { gasLimit: 1_000_000 });
        await network.provider.send("evm_mine", []);
      } finally {
        await network.provider.send("evm_setAutomine", [true]);
      }
      const start = (await f.fund.getCoverageDetails(1)).start;
      const receipt = await ethers.provider.getTransactionReceipt(claimTx!.hash);
      const purchaseBlock = (await ethers.provider.getBlock(receipt!.blockNumber))!;
      expect([receipt?.status, BigInt(purchaseBlock.timestamp)]).to.deep.equal([0, start]);
      // A mined revert carries no data in its receipt: read it from the trace.
      const trace = (await network.provider.send("debug_traceTransaction", [
        claimTx!.hash,
        { disableMemory: true, disableStack: true, disableStorage: true },
      ])) as { failed: boolean; returnValue: string };
      const error = f.fund.interface.parseError(ethers.hexlify("0x" + trace.returnValue.replace(/^0x/, "")));
      expect(error?.name).to.equal("FundClaimTooEarly");
      expect(error?.args.toArray()).to.deep.equal([1n, start + 1n]);
      expect(await f.fund.claimCount()).to.equal(0n);
      await f.fund.connect(f.buyer).submitClaim(1, 1n, await time.latest(), "", "0x");
    });

    it("is possible up to end + claimGracePeriod inclusive; the coverage cannot be expired before that", async () => {
      const f = await loadFixture(withCoverage);
      const latest = f.cover.end + GRACE;
      await time.increaseTo(f.cover.end + 1n);
      await expect(f.fund.expireCoverage(1)).to.be.revertedWithCustomError(f.fund, "FundCoverageNotExpirable").withArgs(1);
      await time.setNextBlockTimestamp(latest - 1n);
      await f.fund.connect(f.beneficiary).submitClaim(1, 1n, f.cover.end, "", "0x");
      await f.fund.connect(f.beneficiary).withdrawClaim(1); // the last second of the window
      await expect(f.fund.connect(f.beneficiary).submitClaim(1, 1n, f.cover.end, "", "0x"))
        .to.be.revertedWithCustomError(f.fund, "FundClaimWindowClosed")
        .withArgs(1, latest);
      await expect(f.fund.expireCoverage(1)).to.emit(f.fund, "CoverageExpired").withArgs(1);
    });

    it("is not stopped by the pause (a guardian cannot run out a claim window)", async () => {
      const f = await loadFixture(withCoverage);
      await f.fund.connect(f.guardian).pause();
      await expect(f.fund.connect(f.beneficiary).submitClaim(1, 1n, await time.latest(), "", "0x")).to.emit(f.fund, "ClaimSubmitted");
    });
  });

  describe("assessClaim", () => {
    it("accepts with a payout up to the claimed amount", async () => {
      const f = await loadFixture(withClaim);
      await expect(f.fund.connect(f.assessor).assessClaim(1, true, units(40_000, 6) + 1n))
        .to.be.revertedWithCustomError(f.fund, "FundPayoutExceedsClaim")
        .withArgs(units(40_000, 6) + 1n, units(40_000, 6));
      await expect(f.fund.connect(f.assessor).assessClaim(1, true, 0n)).to.be.revertedWithCustomError(f.fund, "FundZeroAmount");
      const at = BigInt(await time.latest()) + 10n;
      await time.setNextBlockTimestamp(at);
      await expect(f.fund.connect(f.assessor).assessClaim(1, true, units(40_000, 6)))
        .to.emit(f.fund, "ClaimAssessed")
        .withArgs(1, true, units(40_000, 6), at + CHALLENGE);
      const claim = await f.fund.getClaim(1);
      expect([claim.status, claim.payout, claim.payableAt, claim.confirmationRequired]).to.deep.equal([
        STATUS.Accepted,
        units(40_000, 6),
        at + CHALLENGE,
        false,
      ]);
      expect((await f.fund.getCoverageDetails(1)).openClaimId).to.equal(1n);
    });

    it("denies: closes the claim without payout and frees the coverage", async () => {
      const f = await loadFixture(withClaim);
      await expect(f.fund.connect(f.assessor).assessClaim(1, false, units(5, 6)))
        .to.emit(f.fund, "ClaimAssessed")
        .withArgs(1, false, 0n, 0n);
      expect((await f.fund.getClaim(1)).status).to.equal(STATUS.Denied);
      expect((await f.fund.getCoverageDetails(1)).openClaimId).to.equal(0n);
      await expect(f.fund.settleClaim(1)).to.be.revertedWithCustomError(f.fund, "FundClaimNotSettleable").withArgs(1, STATUS.Denied);
      await f.fund.connect(f.beneficiary).submitClaim(1, AMOUNT, await time.latest(), "", "0x");
    });

    it("decides only pending, existing claims", async () => {
      const f = await loadFixture(withAcceptedClaim);
      await expect(f.fund.connect(f.assessor).assessClaim(1, false, 0n)).to.be.revertedWithCustomError(f.fund, "FundClaimNotPending").withArgs(1);
      await expect(f.fund.connect(f.assessor).assessClaim(2, true, 1n)).to.be.revertedWithCustomError(f.fund, "FundUnknownClaim").withArgs(2);
      await expect(f.fund.getClaim(2)).to.be.revertedWithCustomError(f.fund, "FundUnknownClaim").withArgs(2);
      await expect(f.fund.settleClaim(2)).to.be.revertedWithCustomError(f.fund, "FundUnknownClaim").withArgs(2);
    });
  });

  describe("settleClaim and withdrawPayout", () => {
    it("a pending claim cannot be settled", async () => {
      const f = await loadFixture(withClaim);
      await expect(f.fund.settleClaim(1)).to.be.revertedWithCustomError(f.fund, "FundClaimNotSettleable").withArgs(1, STATUS.Pending);
    });

    it("credits the beneficiary (not the agent claimant) from the pool; the beneficiary pulls it", async () => {
      const f = await loadFixture(withAcceptedClaim);
      const usdc = await f.usdc.getAddress();
      const payout = units(30_000, 6);
      // The payout left the pool when it was accepted (pending); settlement credits it to the beneficiary.
      const pool = await f.fund.poolBalance(usdc);
      expect(await f.fund.totalCredited(usdc)).to.equal(0n);
      expect((await f.fund.getAssetBook(usdc)).pending).to.equal(payout);
      await expect(f.fund.connect(f.stranger).settleClaim(1)).to.emit(f.fund, "ClaimSettled").withArgs(1, STATUS.Paid, payout);
      expect(await f.fund.poolBalance(usdc)).to.equal(pool);
      expect(await f.fund.creditedPayout(f.beneficiary.address, usdc)).to.equal(payout);
      expect(await f.fund.creditedPayout(f.agent.address, usdc)).to.equal(0n);
      expect(await f.fund.totalCredited(usdc)).to.equal(payout);
      const c = await f.fund.getCoverageDetails(1);
      expect([c.claimed, c.openClaimId]).to.deep.equal([payout, 0n]);
      expect((await f.fund.getClaim(1)).status).to.equal(STATUS.Paid);
      await expect(f.fund.settleClaim(1)).to.be.revertedWithCustomError(f.fund, "FundClaimNotSettleable").withArgs(1, STATUS.Paid);

      await expect(f.fund.connect(f.agent).withdrawPayout(usdc, f.agent.address)).to.be.revertedWithCustomError(f.fund, "FundNothingToWithdraw");
      const before = await f.usdc.balanceOf(f.beneficiary.address);
      await expect(f.fund.connect(f.beneficiary).withdrawPayout(usdc, f.beneficiary.address))
        .to.emit(f.fund, "PayoutWithdrawn")
        .withArgs(f.beneficiary.address, usdc, f.beneficiary.address, payout);
      expect((await f.usdc.balanceOf(f.beneficiary.address)) - before).to.equal(payout);
      expect(await f.fund.totalCredited(usdc)).to.equal(0n);
      expect(await f.fund.creditedPayout(f.beneficiary.address, usdc)).to.equal(0n);
      await expect(f.fund.connect(f.beneficiary).withdrawPayout(usdc, f.beneficiary.address)).to.be.revertedWithCustomError(f.fund, "FundNothingToWithdraw");
    });

    it("the paid amount reduces what a later claim may ask", async () => {
      const f = await loadFixture(withAcceptedClaim);
      await f.fund.settleClaim(1);
      const remaining = AMOUNT - units(30_000, 6);
      await expect(f.fund.connect(f.beneficiary).submitClaim(1, remaining + 1n, await time.latest(), "", "0x"))
        .to.be.revertedWithCustomError(f.fund, "FundClaimExceedsRemaining")
        .withArgs(remaining + 1n, remaining);
      await f.fund.connect(f.beneficiary).submitClaim(1, remaining, await time.latest(), "", "0x");
    });

    it("cannot accept a payout the pool cannot cover; accepted payouts are safe from capital withdrawal", async () => {
      const f = await loadFixture(deployFund);
      const usdc = await f.usdc.getAddress();
      await writeOneRiskStepped(f.fund, f.oracle, PROTOCOLS.aave, 10, 10, 15, 20, 20);
      await writeOneRiskStepped(f.fund, f.oracle, PROTOCOLS.compound, 10, 10, 15, 20, 20);
      // The pool covers each protocol's whole exposure at the sale; a payout on another protocol lowers it.
      await f.fund.connect(f.admin).depositCapital(usdc, AMOUNT);
      await buyCoverage(f, { amount: AMOUNT });
      await buyCoverage(f, { amount: AMOUNT, protocol: PROTOCOLS.compound });
      await f.fund.connect(f.beneficiary).submitClaim(2, units(60_000, 6), await time.latest(), "", "0x");
      await f.fund.connect(f.assessor).assessClaim(1, true, units(60_000, 6));
      await f.fund.connect(f.beneficiary).submitClaim(1, units(50_000, 6), await time.latest(), "", "0x");
      const pool = await f.fund.poolBalance(usdc);
      await expect(f.fund.connect(f.assessor).assessClaim(2, true, units(50_000, 6)))
        .to.be.revertedWithCustomError(f.fund, "FundInsufficientPool")
        .withArgs(usdc, pool, units(50_000, 6));
      await f.fund.connect(f.admin).depositCapital(usdc, units(50_000, 6) - pool);
      await f.fund.connect(f.assessor).assessClaim(2, true, units(50_000, 6));
      expect(await f.fund.poolBalance(usdc)).to.equal(0n);
      await expect(f.fund.connect(f.admin).withdrawCapital(usdc, 1n, f.admin.address))
        .to.be.revertedWithCustomError(f.fund, "FundInsufficientPool")
        .withArgs(usdc, 0n, 1n);
      // Both are above the daily limit (25%): the admin confirms them.
      await f.fund.connect(f.admin).confirmPayout(1);
      await f.fund.connect(f.admin).confirmPayout(2);
      await time.increase(CHALLENGE);
      await f.fund.settleClaim(2);
      await expect(f.fund.connect(f.beneficiary).withdrawPayout(usdc, f.beneficiary.address)).to.changeTokenBalance(f.usdc, f.beneficiary, units(50_000, 6));
    });

    it("claims and payouts keep working after the asset is removed", async () => {
      const f = await loadFixture(withAcceptedClaim);
      const usdc = await f.usdc.getAddress();
      await f.fund.connect(f.admin).removeStablecoin(usdc);
      await f.fund.settleClaim(1);
      await expect(f.fund.connect(f.beneficiary).withdrawPayout(usdc, f.beneficiary.address)).to.changeTokenBalance(f.usdc, f.beneficiary, units(30_000, 6));
      await expect(f.fund.connect(f.beneficiary).submitClaim(1, units(1_000, 6), await time.latest(), "", "0x")).to.emit(f.fund, "ClaimSubmitted");
    });

    it("a blocklisted beneficiary cannot withdraw to itself but can to another address; another beneficiary still can", async () => {
      const f = await loadFixture(withAcceptedClaim);
      const usdc = await f.usdc.getAddress();
      await buyCoverage(f, { amount: AMOUNT, beneficiary: f.stranger.address });
      await f.fund.connect(f.stranger).submitClaim(2, units(10_000, 6), await time.latest(), "", "0x");
      await f.fund.connect(f.assessor).assessClaim(2, true, units(10_000, 6));
      await time.increase(CHALLENGE);
      await f.fund.settleClaim(1);
      await f.fund.settleClaim(2);
      await f.usdc.connect(f.admin).blacklist(f.beneficiary.address);
      await expect(f.fund.connect(f.beneficiary).withdrawPayout(usdc, f.beneficiary.address)).to.be.revertedWith("Blacklistable: account is blacklisted");
      expect(await f.fund.creditedPayout(f.beneficiary.address, usdc)).to.equal(units(30_000, 6));
      await expect(f.fund.connect(f.stranger).withdrawPayout(usdc, f.stranger.address))
        .to.emit(f.fund, "PayoutWithdrawn")
        .withArgs(f.stranger.address, usdc, f.stranger.address, units(10_000, 6));
      expect(await f.usdc.balanceOf(f.stranger.address)).to.equal(units(10_000, 6));
      expect(await f.fund.totalCredited(usdc)).to.equal(units(30_000, 6));
      // The beneficiary alone chooses where its payout goes.
      await expect(f.fund.connect(f.beneficiary).withdrawPayout(usdc, f.buyer.address))
        .to.emit(f.fund, "PayoutWithdrawn")
        .withArgs(f.beneficiary.address, usdc, f.buyer.address, units(30_000, 6));
      expect(await f.fund.totalCredited(usdc)).to.equal(0n);
      await expect(f.fund.connect(f.beneficiary).withdrawPayout(usdc, ethers.ZeroAddress)).to.be.revertedWithCustomError(f.fund, "FundZeroAddress");
    });
  });
});
