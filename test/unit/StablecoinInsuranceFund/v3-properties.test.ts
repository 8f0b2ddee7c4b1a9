/**
 * Fund v3 (issue 17) regression tests. Each scenario of the security review is a test named for the
 * property it guards (the Properties table in docs/fund.md lists them):
 * - noSingleKeyEndsAClaim: no single non-admin key makes a valid self-insured claim unpayable;
 * - exclusionBindsClaimants: cover bought or added into a reported incident cannot claim it;
 * - exclusionSparesHonestHolders: a report cannot exclude cover bought before it, nor hedged cover;
 * - solvency: the pool covers the largest single-protocol self-insured exposure;
 * - slidingDailyLimit, hedgedRenewalKeepsLossClaimable, gracePeriodFixedAtPurchase, expiryIsO1.
 */
import { loadFixture, mine, time } from "@nomicfoundation/hardhat-network-helpers";
import { expect } from "chai";
import { ethers } from "hardhat";

import { DAY, PROTOCOLS, buyCoverage, deployFund, deployHedgedFund, toObject, units } from "../../helpers/fundFixture";
import { writeOneRiskStepped } from "../../helpers/riskSteps";
import type { IStablecoinInsuranceFund } from "../../../typechain-types";

const AMOUNT = units(100_000, 6);
const CHALLENGE = 2n * DAY;
const GRACE = 30n * DAY;
const REFILE = 30n * DAY;
const LOOKBACK = 7n * DAY;
const EVIDENCE = ethers.id("drain");
const STATUS = { Pending: 1n, Accepted: 2n, Denied: 3n, Paid: 4n, Disputed: 9n };
const MOCK_DECISION = { Accept: 0, Deny: 1, Draw: 2 };

/** Hedged fixture (1M pools), agent approved; self-insured 1 (aave, 100K, 90 d), hedged 2 (aave, 100K, 90 d). */
async function withCoverages() {
  const f = await deployHedgedFund();
  await f.fund.connect(f.beneficiary).setAgent(f.agent.address, true);
  const self = await buyCoverage(f, { amount: AMOUNT });
  const hedged = await buyCoverage(f, { amount: AMOUNT, providerId: 1 });
  await mine();
  return { ...f, self, hedged, usdcAddress: await f.usdc.getAddress() };
}

/** Claim 1 (10K on coverage 1) accepted by the assessor. */
async function withAcceptedClaim() {
  const f = await withCoverages();
  await f.fund.connect(f.beneficiary).submitClaim(1, units(10_000, 6), await time.latest(), "exploit", "0x");
  await f.fund.connect(f.assessor).assessClaim(1, true, units(10_000, 6));
  return { ...f, payableAt: (await f.fund.getClaim(1)).payableAt };
}

describe("StablecoinInsuranceFund v3 properties (issue 17 regressions)", () => {
  describe("noSingleKeyEndsAClaim", () => {
    it("noSingleKeyEndsAClaim: a guardian veto only disputes a claim; the admin reinstates it and it is paid after a new challenge period", async () => {
      const f = await loadFixture(withAcceptedClaim);
      await f.fund.connect(f.guardian).vetoPayout(1);
      expect((await f.fund.getClaim(1)).status).to.equal(STATUS.Disputed);
      const at = BigInt(await time.latest()) + 1n;
      await time.setNextBlockTimestamp(at);
      await expect(f.fund.connect(f.admin).reinstateClaim(1))
        .to.emit(f.fund, "ClaimReinstated")
        .withArgs(1, f.admin.address, at + CHALLENGE);
      const claim = await f.fund.getClaim(1);
      expect([claim.status, claim.payableAt, claim.confirmationRequired]).to.deep.equal([STATUS.Accepted, at + CHALLENGE, false]);
      // the guardian cannot veto a reinstated claim again (no veto loop)
      await expect(f.fund.connect(f.guardian).vetoPayout(1)).to.be.revertedWithCustomError(f.fund, "FundClaimReinstated").withArgs(1);
      await expect(f.fund.settleClaim(1)).to.be.revertedWithCustomError(f.fund, "FundChallengePeriod").withArgs(1, at + CHALLENGE);
      await time.increaseTo(at + CHALLENGE);
      await expect(f.fund.settleClaim(1)).to.emit(f.fund, "ClaimSettled").withArgs(1, STATUS.Paid, units(10_000, 6));
    });

    it("noSingleKeyEndsAClaim: the admin may still veto a reinstated claim in its new challenge period and deny it", async () => {
      const f = await loadFixture(withAcceptedClaim);
      await f.fund.connect(f.guardian).vetoPayout(1);
      await f.fund.connect(f.admin).reinstateClaim(1);
      await expect(f.fund.connect(f.admin).vetoPayout(1)).to.emit(f.fund, "PayoutVetoed");
      await expect(f.fund.connect(f.admin).denyClaim(1)).to.emit(f.fund, "ClaimDenied");
      expect((await f.fund.getClaim(1)).status).to.equal(STATUS.Denied);
    });

    it("noSingleKeyEndsAClaim: a vetoed-then-denied claim can be re-filed for refileWindow after the decision, even after the coverage's window closed", async () => {
      const f = await loadFixture(withAcceptedClaim);
      await f.fund.connect(f.guardian).vetoPayout(1);
      // the admin decides long after the coverage's own claim window (end + grace) closed
      await time.increaseTo(f.self.end + GRACE + 10n * DAY);
      const at = BigInt(await time.latest()) + 1n;
      await time.setNextBlockTimestamp(at);
      await expect(f.fund.connect(f.admin).denyClaim(1)).to.emit(f.fund, "ClaimDenied").withArgs(1, f.admin.address, at + REFILE);
      expect(await f.fund.claimDeadline(1)).to.equal(at + REFILE);
      // not expirable while it may be re-filed
      await expect(f.fund.expireCoverage(1)).to.be.revertedWithCustomError(f.fund, "FundCoverageNotExpirable");
      await expect(f.fund.connect(f.beneficiary).submitClaim(1, units(10_000, 6), f.self.start + 1n, "refile", "0x")).to.emit(
        f.fund,
        "ClaimSubmitted",
      );
    });

    it("noSingleKeyEndsAClaim: an assessor's denial can be re-filed for refileWindow, not after", async () => {
      const f = await loadFixture(withCoverages);
      await time.increaseTo(f.self.end + GRACE - 10n);
      await f.fund.connect(f.beneficiary).submitClaim(1, units(10_000, 6), f.self.end, "", "0x");
      await f.fund.connect(f.assessor).assessClaim(1, false, 0n);
      const deadline = await f.fund.claimDeadline(1);
      await time.increaseTo(deadline - 1n);
      await f.fund.connect(f.beneficiary).submitClaim(1, units(10_000, 6), f.self.end, "", "0x");
      await f.fund.connect(f.assessor).assessClaim(2, false, 0n);
      const second = await f.fund.claimDeadline(1);
      await time.increaseTo(second + 1n);
      await expect(f.fund.connect(f.beneficiary).submitClaim(1, units(10_000, 6), f.self.end, "", "0x"))
        .to.be.revertedWithCustomError(f.fund, "FundClaimWindowClosed")
        .withArgs(1, second);
    });

    it("noSingleKeyEndsAClaim: a claim awaiting the admin's confirmation can be vetoed only inside its challenge period", async () => {
      const f = await loadFixture(withCoverages);
      await f.fund.connect(f.beneficiary).submitClaim(1, AMOUNT, await time.latest(), "", "0x");
      await f.fund.connect(f.assessor).assessClaim(1, true, AMOUNT); // 100K of a 1M pool: above 25%? no
      const c1 = await f.fund.getClaim(1);
      // push a second large acceptance over the limit
      await buyCoverage(f, { amount: units(300_000, 6), protocol: PROTOCOLS.compound });
      await mine();
      await f.fund.connect(f.beneficiary).submitClaim(3, units(300_000, 6), await time.latest(), "", "0x");
      await f.fund.connect(f.assessor).assessClaim(2, true, units(300_000, 6));
      const c2 = await f.fund.getClaim(2);
      expect([c1.confirmationRequired, c2.confirmationRequired]).to.deep.equal([false, true]);
      await time.increaseTo(c2.payableAt);
      await expect(f.fund.connect(f.guardian).vetoPayout(2))
        .to.be.revertedWithCustomError(f.fund, "FundChallengePeriodOver")
        .withArgs(2, c2.payableAt);
    });

    it("noSingleKeyEndsAClaim: the guardian's pause blocks no claim step", async () => {
      const f = await loadFixture(withAcceptedClaim);
      await f.fund.connect(f.guardian).pause();
      await f.fund.connect(f.guardian).vetoPayout(1);
      await f.fund.connect(f.admin).reinstateClaim(1);
      await time.increase(CHALLENGE);
      await expect(f.fund.settleClaim(1)).to.emit(f.fund, "ClaimSettled");
      await expect(f.fund.connect(f.beneficiary).withdrawPayout(f.usdcAddress, f.beneficiary.address)).to.emit(f.fund, "PayoutWithdrawn");
    });
  });

  describe("exclusionSparesHonestHolders", () => {
    it("exclusionSparesHonestHolders: an occurredAt older than maxIncidentLookback is refused (no 'occurredAt = 1')", async () => {
      const f = await loadFixture(withCoverages);
      const next = BigInt(await time.latest()) + 1n;
      await time.setNextBlockTimestamp(next);
      await expect(f.fund.connect(f.oracle).reportIncident(PROTOCOLS.aave, 1n, EVIDENCE))
        .to.be.revertedWithCustomError(f.fund, "FundIncidentTooOld")
        .withArgs(1n, next - LOOKBACK);
      await time.setNextBlockTimestamp(next + 1n);
      await expect(f.fund.connect(f.guardian).reportIncident(PROTOCOLS.aave, next + 1n - LOOKBACK, EVIDENCE)).to.emit(f.fund, "IncidentReported");
    });

    it("exclusionSparesHonestHolders: the lookback is an admin parameter with bounds", async () => {
      const f = await loadFixture(withCoverages);
      expect(await f.fund.safeguards()).to.deep.equal([LOOKBACK, REFILE]);
      await expect(f.fund.connect(f.oracle).setSafeguards(DAY, DAY)).to.be.revertedWithCustomError(f.fund, "AccessControlUnauthorizedAccount");
      for (const [lookback, refile, name] of [
        [3599n, DAY, "maxIncidentLookback"],
        [30n * DAY + 1n, DAY, "maxIncidentLookback"],
        [DAY, DAY - 1n, "refileWindow"],
        [DAY, 90n * DAY + 1n, "refileWindow"],
      ] as const) {
        await expect(f.fund.connect(f.admin).setSafeguards(lookback, refile))
          .to.be.revertedWithCustomError(f.fund, "FundInvalidParameter")
          .withArgs(name);
      }
      await expect(f.fund.connect(f.admin).setSafeguards(3600n, 90n * DAY)).to.emit(f.fund, "SafeguardsUpdated").withArgs(3600n, 90n * DAY);
    });

    it("exclusionSparesHonestHolders: cover bought before the incident claims it in full; hedged cover bought into it is never refused by the fund", async () => {
      const f = await loadFixture(withCoverages);
      await time.increase(600);
      const occurredAt = BigInt(await time.latest());
      const hedgedLate = await buyCoverage(f, { amount: AMOUNT, protocol: PROTOCOLS.aave, providerId: 1 });
      await mine();
      await f.fund.connect(f.oracle).reportIncident(PROTOCOLS.aave, occurredAt, EVIDENCE);
      expect(await f.fund.insurableAmount(1, occurredAt)).to.equal(AMOUNT);
      await f.fund.connect(f.beneficiary).submitClaim(1, AMOUNT, occurredAt, "", "0x");
      expect(await f.fund.insurableAmount(hedgedLate.coverId, occurredAt + 1n)).to.equal(AMOUNT);
      const deposit = await f.provider.claimDepositWei();
      await expect(
        f.fund.connect(f.beneficiary).submitClaim(hedgedLate.coverId, AMOUNT, occurredAt + 1n, "", "0x", { value: deposit }),
      ).to.emit(f.fund, "ClaimSubmitted");
    });

    it("exclusionSparesHonestHolders: voiding a false report removes its exclusion and its halt; clearing keeps the record", async () => {
      const f = await loadFixture(withCoverages);
      const occurredAt = BigInt(await time.latest());
      const late = await buyCoverage(f, { amount: units(10_000, 6), protocol: PROTOCOLS.aave });
      await mine();
      await f.fund.connect(f.oracle).reportIncident(PROTOCOLS.aave, occurredAt, EVIDENCE);
      await expect(f.fund.connect(f.beneficiary).submitClaim(late.coverId, 1n, late.start, "", "0x")).to.be.revertedWithCustomError(
        f.fund,
        "FundCoverageAfterIncident",
      );
      await expect(f.fund.connect(f.oracle).voidIncident(PROTOCOLS.aave, 0)).to.be.revertedWithCustomError(
        f.fund,
        "AccessControlUnauthorizedAccount",
      );
      await expect(f.fund.connect(f.admin).voidIncident(PROTOCOLS.aave, 1))
        .to.be.revertedWithCustomError(f.fund, "FundUnknownIncident")
        .withArgs(PROTOCOLS.aave, 1);
      await expect(f.fund.connect(f.admin).voidIncident(PROTOCOLS.aave, 0))
        .to.emit(f.fund, "IncidentVoided")
        .withArgs(PROTOCOLS.aave, 0, f.admin.address);
      await expect(f.fund.connect(f.admin).voidIncident(PROTOCOLS.aave, 0))
        .to.be.revertedWithCustomError(f.fund, "FundIncidentAlreadyVoided")
        .withArgs(PROTOCOLS.aave, 0);
      // the halt ended with the last halting report, and the exclusion is gone
      expect((await f.fund.getIncident(PROTOCOLS.aave)).active).to.equal(false);
      await expect(f.fund.connect(f.admin).clearIncident(PROTOCOLS.aave)).to.be.revertedWithCustomError(f.fund, "FundNoActiveIncident");
      await buyCoverage(f, { amount: 1n });
      await expect(f.fund.connect(f.beneficiary).submitClaim(late.coverId, 1n, late.start, "", "0x")).to.emit(f.fund, "ClaimSubmitted");
      expect((await f.fund.getIncidentHistory(PROTOCOLS.aave))[0]!.voidedAt).to.not.equal(0n);
      // an empty summary once every report is voided; a cleared report stays in the history
      await f.fund.connect(f.oracle).reportIncident(PROTOCOLS.compound, BigInt(await time.latest()), EVIDENCE);
      await f.fund.connect(f.admin).clearIncident(PROTOCOLS.compound);
      const cleared = await f.fund.getIncident(PROTOCOLS.compound);
      expect([cleared.active, cleared.evidenceHash]).to.deep.equal([false, EVIDENCE]);
      expect((await f.fund.getIncidentHistory(PROTOCOLS.compound))[0]!.clearedAt).to.not.equal(0n);
      await f.fund.connect(f.admin).voidIncident(PROTOCOLS.compound, 0); // a cleared report can be voided too
      expect((await f.fund.getIncident(PROTOCOLS.compound)).occurredAt).to.equal(0n);
    });

    it("exclusionSparesHonestHolders: a compromised reporter cannot halt a protocol with unbounded reports", async () => {
      const f = await loadFixture(withCoverages);
      const now = BigInt(await time.latest());
      for (let i = 0; i < 16; i++) await f.fund.connect(f.oracle).reportIncident(PROTOCOLS.curve, now, EVIDENCE);
      await expect(f.fund.connect(f.oracle).reportIncident(PROTOCOLS.curve, now, EVIDENCE))
        .to.be.revertedWithCustomError(f.fund, "FundTooManyIncidents")
        .withArgs(PROTOCOLS.curve);
      await f.fund.connect(f.admin).voidIncident(PROTOCOLS.curve, 3);
      await f.fund.connect(f.admin).clearIncident(PROTOCOLS.curve);
      const history = await f.fund.getIncidentHistory(PROTOCOLS.curve);
      expect(history.filter((r) => r.clearedAt === 0n && r.voidedAt === 0n)).to.have.length(0);
    });
  });

  describe("exclusionBindsClaimants", () => {
    it("exclusionBindsClaimants: cover bought in the exploit's own block (start == occurredAt) is excluded", async () => {
      const f = await loadFixture(withCoverages);
      const late = await buyCoverage(f, { amount: units(10_000, 6) });
      await mine();
      await f.fund.connect(f.oracle).reportIncident(PROTOCOLS.aave, late.start, EVIDENCE);
      await expect(f.fund.connect(f.beneficiary).submitClaim(late.coverId, 1n, late.start, "", "0x"))
        .to.be.revertedWithCustomError(f.fund, "FundCoverageAfterIncident")
        .withArgs(late.coverId, 1n, 0n, late.start);
    });

    it("exclusionBindsClaimants: a renewal increase after the exploit but before the report claims only the pre-incident amount", async () => {
      const f = await loadFixture(withCoverages);
      await time.increaseTo(f.self.end - 10n * DAY);
      const occurredAt = BigInt(await time.latest());
      await f.fund.connect(f.beneficiary).renewCoverage(1, 30n * DAY, AMOUNT * 2n, ethers.MaxUint256, "0x");
      await mine();
      await f.fund.connect(f.oracle).reportIncident(PROTOCOLS.aave, occurredAt, EVIDENCE);
      const t = BigInt(await time.latest());
      expect(await f.fund.insurableAmount(1, t)).to.equal(AMOUNT);
      await expect(f.fund.connect(f.beneficiary).submitClaim(1, AMOUNT + 1n, t, "", "0x"))
        .to.be.revertedWithCustomError(f.fund, "FundCoverageAfterIncident")
        .withArgs(1, AMOUNT + 1n, AMOUNT, occurredAt);
      await f.fund.connect(f.beneficiary).submitClaim(1, AMOUNT, t, "", "0x");
      // the assessor sees the report the increase fell into
      expect(await f.fund.getClaimIncidents(1)).to.deep.equal([0n]);
    });

    it("exclusionBindsClaimants: a claim filed before the report is re-checked at assessment and at settlement", async () => {
      const f = await loadFixture(withCoverages);
      const occurredAt = BigInt(await time.latest());
      const late = await buyCoverage(f, { amount: units(10_000, 6) });
      await mine();
      // two claims on cover bought in the (not yet reported) exploit window
      await f.fund.connect(f.beneficiary).submitClaim(late.coverId, units(5_000, 6), late.start, "", "0x");
      const late2 = await buyCoverage(f, { amount: units(10_000, 6) });
      await mine();
      await f.fund.connect(f.beneficiary).submitClaim(late2.coverId, units(5_000, 6), late2.start, "", "0x");
      await f.fund.connect(f.assessor).assessClaim(2, true, units(5_000, 6)); // accepted before the report
      await f.fund.connect(f.oracle).reportIncident(PROTOCOLS.aave, occurredAt, EVIDENCE);
      await expect(f.fund.connect(f.assessor).assessClaim(1, true, units(5_000, 6)))
        .to.be.revertedWithCustomError(f.fund, "FundCoverageAfterIncident")
        .withArgs(late.coverId, units(5_000, 6), 0n, occurredAt);
      await f.fund.connect(f.assessor).assessClaim(1, false, 0n);
      const pool = await f.fund.poolBalance(f.usdcAddress);
      await time.increase(CHALLENGE);
      await expect(f.fund.settleClaim(2)).to.emit(f.fund, "PayoutReduced").withArgs(2, 0n, units(5_000, 6));
      expect((await f.fund.getClaim(2)).status).to.equal(STATUS.Denied);
      expect(await f.fund.poolBalance(f.usdcAddress)).to.equal(pool + units(5_000, 6));
      expect((await f.fund.getAssetBook(f.usdcAddress)).credited).to.equal(0n);
    });

    it("exclusionBindsClaimants: a later report never reopens claims on cover bought into an earlier one", async () => {
      const f = await loadFixture(withCoverages);
      const first = BigInt(await time.latest());
      const late = await buyCoverage(f, { amount: units(10_000, 6) });
      await mine();
      await f.fund.connect(f.oracle).reportIncident(PROTOCOLS.aave, first, EVIDENCE);
      await f.fund.connect(f.oracle).reportIncident(PROTOCOLS.aave, BigInt(await time.latest()), ethers.id("second"));
      await expect(f.fund.connect(f.beneficiary).submitClaim(late.coverId, 1n, late.start, "", "0x"))
        .to.be.revertedWithCustomError(f.fund, "FundCoverageAfterIncident")
        .withArgs(late.coverId, 1n, 0n, first);
      expect((await f.fund.getIncidentHistory(PROTOCOLS.aave))[0]!.occurredAt).to.equal(first);
    });
  });

  describe("solvency", () => {
    it("solvency: a 100K pool cannot back 500K on one protocol; a capital withdrawal cannot break it either", async () => {
      const f = await loadFixture(deployFund);
      const usdc = await f.usdc.getAddress();
      await writeOneRiskStepped(f.fund, f.oracle, PROTOCOLS.aave, 10, 10, 15, 20, 20);
      await f.fund.connect(f.admin).depositCapital(usdc, AMOUNT);
      await buyCoverage(f, { amount: units(90_000, 6) });
      await expect(buyCoverage(f, { amount: units(410_000, 6) })).to.be.revertedWithCustomError(f.fund, "FundProtocolExposureAboveReserve");
      const pool = await f.fund.poolBalance(usdc);
      await expect(f.fund.connect(f.admin).withdrawCapital(usdc, pool - units(90_000, 6) + 1n, f.admin.address))
        .to.be.revertedWithCustomError(f.fund, "FundProtocolExposureAboveReserve")
        .withArgs(usdc, units(90_000, 6), units(90_000, 6) - 1n);
      await f.fund.connect(f.admin).withdrawCapital(usdc, pool - units(90_000, 6), f.admin.address);
    });

    it("solvency: accepted claims of one incident never race — the pool pays every holder of the exploited protocol in full", async () => {
      const f = await loadFixture(deployFund);
      const usdc = await f.usdc.getAddress();
      const signers = await ethers.getSigners();
      const holders = signers.slice(8, 13);
      await writeOneRiskStepped(f.fund, f.oracle, PROTOCOLS.aave, 10, 10, 15, 20, 20);
      await f.fund.connect(f.admin).depositCapital(usdc, units(500_000, 6));
      for (const h of holders) await buyCoverage(f, { amount: AMOUNT, beneficiary: h.address });
      await mine();
      const occurredAt = BigInt(await time.latest());
      await f.fund.connect(f.oracle).reportIncident(PROTOCOLS.aave, occurredAt, EVIDENCE);
      for (const [i, h] of holders.entries()) await f.fund.connect(h).submitClaim(i + 1, AMOUNT, occurredAt, "", "0x");
      for (const i of holders.keys()) await f.fund.connect(f.assessor).assessClaim(i + 1, true, AMOUNT);
      for (const i of holders.keys()) {
        if ((await f.fund.getClaim(i + 1)).confirmationRequired) await f.fund.connect(f.admin).confirmPayout(i + 1);
      }
      await time.increase(CHALLENGE);
      for (const i of holders.keys()) await f.fund.settleClaim(i + 1);
      for (const h of holders) expect(await f.fund.creditedPayout(h.address, usdc)).to.equal(AMOUNT);
    });
  });

  describe("slidingDailyLimit", () => {
    it("slidingDailyLimit: acceptances just before and just after a fixed-window boundary still count together", async () => {
      const f = await loadFixture(withCoverages);
      const pool0 = await f.fund.poolBalance(f.usdcAddress);
      await buyCoverage(f, { amount: units(300_000, 6), protocol: PROTOCOLS.compound });
      await mine();
      await f.fund.connect(f.beneficiary).submitClaim(1, units(100_000, 6), await time.latest(), "", "0x");
      await f.fund.connect(f.beneficiary).submitClaim(3, units(200_000, 6), await time.latest(), "", "0x");
      await f.fund.connect(f.assessor).assessClaim(1, true, units(100_000, 6)); // within 25%
      expect((await f.fund.getClaim(1)).confirmationRequired).to.equal(false);
      // 24 h minus one second later: the first acceptance is still in the window
      const first = (await f.fund.getClaim(1)).payableAt - CHALLENGE;
      await time.setNextBlockTimestamp(first + DAY - 1n);
      await f.fund.connect(f.assessor).assessClaim(2, true, units(200_000, 6));
      expect((await f.fund.getClaim(2)).confirmationRequired).to.equal(true);
      expect(pool0).to.be.greaterThan(0n);
    });

    it("slidingDailyLimit: an acceptance drops out of the window exactly 24 h later", async () => {
      const f = await loadFixture(withCoverages);
      await buyCoverage(f, { amount: units(300_000, 6), protocol: PROTOCOLS.compound });
      await mine();
      await f.fund.connect(f.beneficiary).submitClaim(1, units(100_000, 6), await time.latest(), "", "0x");
      await f.fund.connect(f.beneficiary).submitClaim(3, units(200_000, 6), await time.latest(), "", "0x");
      await f.fund.connect(f.assessor).assessClaim(1, true, units(100_000, 6));
      const first = (await f.fund.getClaim(1)).payableAt - CHALLENGE;
      await time.setNextBlockTimestamp(first + DAY);
      await f.fund.connect(f.assessor).assessClaim(2, true, units(200_000, 6));
      expect((await f.fund.getClaim(2)).confirmationRequired).to.equal(false);
    });
  });

  describe("hedgedRenewalKeepsLossClaimable", () => {
    it("hedgedRenewalKeepsLossClaimable: no renewal of a hedged coverage while a report in its segment has no claim filed", async () => {
      const f = await loadFixture(withCoverages);
      const occurredAt = BigInt(await time.latest());
      await f.fund.connect(f.oracle).reportIncident(PROTOCOLS.aave, occurredAt, EVIDENCE);
      await f.fund.connect(f.admin).clearIncident(PROTOCOLS.aave);
      await time.increaseTo(f.hedged.end - 10n * DAY);
      await expect(f.fund.connect(f.beneficiary).renewCoverage(2, 30n * DAY, AMOUNT, ethers.MaxUint256, "0x"))
        .to.be.revertedWithCustomError(f.fund, "FundUnclaimedIncident")
        .withArgs(2, PROTOCOLS.aave, 0);
      // a self-insured coverage is not concerned (no upstream cut)
      await expect(f.fund.connect(f.beneficiary).renewCoverage(1, 30n * DAY, AMOUNT, ethers.MaxUint256, "0x")).to.emit(f.fund, "CoverageRenewed");
      // once a claim is filed for it (here decided upstream), the renewal goes through
      const deposit = await f.provider.claimDepositWei();
      await f.fund.connect(f.beneficiary).submitClaim(2, units(1_000, 6), occurredAt, "", "0x", { value: deposit });
      const claimId = await f.fund.claimCount();
      await f.provider.connect(f.admin).mockDecideClaim((await f.fund.getClaim(claimId)).providerClaimId, MOCK_DECISION.Deny, 0n);
      await f.fund.settleClaim(claimId);
      await expect(f.fund.connect(f.beneficiary).renewCoverage(2, 30n * DAY, AMOUNT, ethers.MaxUint256, "0x")).to.emit(f.fund, "CoverageRenewed");
    });

    it("hedgedRenewalKeepsLossClaimable: a voided report does not block the renewal", async () => {
      const f = await loadFixture(withCoverages);
      await f.fund.connect(f.oracle).reportIncident(PROTOCOLS.aave, BigInt(await time.latest()), EVIDENCE);
      await f.fund.connect(f.admin).voidIncident(PROTOCOLS.aave, 0);
      await time.increaseTo(f.hedged.end - 10n * DAY);
      await expect(f.fund.connect(f.beneficiary).renewCoverage(2, 30n * DAY, AMOUNT, ethers.MaxUint256, "0x")).to.emit(f.fund, "CoverageRenewed");
    });
  });

  describe("gracePeriodFixedAtPurchase", () => {
    it("gracePeriodFixedAtPurchase: shortening claimGracePeriod does not shorten the window of coverage already sold", async () => {
      const f = await loadFixture(withCoverages);
      const params = toObject(await f.fund.parameters());
      await f.fund.connect(f.admin).setParameters({ ...params, claimGracePeriod: 0n } as IStablecoinInsuranceFund.ParametersStruct);
      expect(await f.fund.claimDeadline(1)).to.equal(f.self.end + GRACE);
      const fresh = await buyCoverage(f, { amount: units(1_000, 6) });
      expect(await f.fund.claimDeadline(fresh.coverId)).to.equal(fresh.end);
      await time.increaseTo(f.self.end + GRACE - 1n);
      await expect(f.fund.connect(f.beneficiary).submitClaim(1, 1n, f.self.end, "", "0x")).to.emit(f.fund, "ClaimSubmitted");
    });
  });

  describe("expiryIsO1", () => {
    it("expiryIsO1: expiring the oldest of 60 live coverages costs what it costs with 2", async () => {
      const f = await loadFixture(withCoverages);
      const usdc = f.usdcAddress;
      const few = ethers.Wallet.createRandom().address;
      const many = ethers.Wallet.createRandom().address;
      const fewIds: bigint[] = [];
      const manyIds: bigint[] = [];
      for (let i = 0; i < 2; i++) fewIds.push((await buyCoverage(f, { protocol: few, asset: usdc, amount: 1n, duration: 30n * DAY })).coverId);
      for (let i = 0; i < 60; i++) manyIds.push((await buyCoverage(f, { protocol: many, asset: usdc, amount: 1n, duration: 30n * DAY })).coverId);
      await time.increase(30n * DAY + GRACE + 1n);
      const a = await (await f.fund.expireCoverage(fewIds[0]!)).wait();
      const b = await (await f.fund.expireCoverage(manyIds[0]!)).wait();
      expect(Number(b!.gasUsed)).to.be.at.most(Number(a!.gasUsed) * 1.05);
      expect((await f.fund.getProtocolCoverages(many, 0, 100))[0]).to.have.length(59);
      await expect(f.fund.getProtocolCoverages(many, manyIds[0]!, 10)).to.be.revertedWithCustomError(f.fund, "FundStaleCursor");
    });
  });
});
