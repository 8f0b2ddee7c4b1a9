import { expect } from "chai";
import { ethers, network } from "hardhat";
import { loadFixture, time, impersonateAccount, setBalance } from "@nomicfoundation/hardhat-network-helpers";
import {
  CLAIM_DEPOSIT,
  COOLDOWN,
  DAY,
  GRACE_PERIOD,
  REDEMPTION_PERIOD,
  USDC_UNIT,
  VOTING_PERIOD,
  buyParams,
  deployNexusMocks,
} from "./nexusFixture";

const AMOUNT = 100_000n * USDC_UNIT;
const PERIOD = 90n * DAY;
const EVIDENCE = ethers.id("evidence pack");

/** AssessmentStatus / AssessmentOutcome as in Nexus's IAssessments. */
const STATUS = { VOTING: 0n, COOLDOWN: 1n, FINALIZED: 2n };
const OUTCOME = { PENDING: 0n, ACCEPTED: 1n, DENIED: 2n, DRAW: 3n };

async function withCover() {
  const fx = await deployNexusMocks();
  const params = buyParams({ owner: fx.member.address, amount: AMOUNT, period: PERIOD, maxPremiumInAsset: 10n ** 12n });
  await fx.cover.connect(fx.member).buyCover(params, [{ poolId: 1n, coverAmountInAsset: AMOUNT }]);
  const start = BigInt((await fx.cover.getCoverData(1n)).start);
  return { ...fx, start };
}

async function withClaim() {
  const fx = await withCover();
  await fx.claims.connect(fx.member).submitClaim(1n, AMOUNT / 2n, EVIDENCE, { value: CLAIM_DEPOSIT });
  const votingEnd = BigInt((await fx.claims.getAssessment(1n)).votingEnd);
  return { ...fx, claimId: 1n, votingEnd };
}

describe("MockNexusMutualClaims", () => {
  describe("submitClaim", () => {
    it("files a claim, starts the assessment and keeps the exact deposit", async () => {
      const fx = await loadFixture(withCover);
      const memberId = await fx.registry.getMemberId(fx.member.address);
      const tx = fx.claims.connect(fx.member).submitClaim(1n, AMOUNT, EVIDENCE, { value: CLAIM_DEPOSIT });
      await expect(tx).to.emit(fx.claims, "ClaimSubmitted").withArgs(fx.member.address, 1n, 1n, 7n);
      await expect(tx).to.emit(fx.claims, "MetadataSubmitted").withArgs(1n, EVIDENCE);
      await expect(tx).to.emit(fx.claims, "AssessmentStarted");
      await expect(tx).to.changeEtherBalance(fx.claims, CLAIM_DEPOSIT);

      expect(await fx.claims.lastClaimSubmissionOnCover(1n)).to.equal(1n);
      expect(await fx.claims.getClaimsCount()).to.equal(2n); // like Nexus: the next claim id
      expect(await fx.claims.getMemberClaims(memberId)).to.deep.equal([1n]);
      const details = await fx.claims.getClaimDetails(1n);
      expect(details.claim.amount).to.equal(AMOUNT);
      expect(details.claim.payoutRedemptionPeriod).to.equal(REDEMPTION_PERIOD);
      expect(details.cover.amount).to.equal(AMOUNT);
      expect(details.status).to.equal(STATUS.VOTING);
      expect(details.outcome).to.equal(OUTCOME.PENDING);
      expect(details.redeemable).to.equal(false);
      expect(details.ipfsMetadata).to.equal(EVIDENCE);
      const assessment = await fx.claims.getAssessment(1n);
      expect(BigInt(assessment.votingEnd) - BigInt(assessment.start)).to.equal(VOTING_PERIOD);
      expect(assessment.cooldownPeriod).to.equal(COOLDOWN);
      expect(await fx.claims.minVotingPeriod()).to.equal(VOTING_PERIOD);
      expect(await fx.claims.pool()).to.equal(await fx.claims.getAddress());
      expect(await fx.claims.assessments()).to.equal(await fx.claims.getAddress());
    });

    it("emits no metadata event for empty metadata", async () => {
      const fx = await loadFixture(withCover);
      await expect(
        fx.claims.connect(fx.member).submitClaim(1n, AMOUNT, ethers.ZeroHash, { value: CLAIM_DEPOSIT }),
      ).to.not.emit(fx.claims, "MetadataSubmitted");
    });

    it("rejects a wrong deposit, non-members, non-owners and amounts above the cover", async () => {
      const fx = await loadFixture(withCover);
      const asMember = fx.claims.connect(fx.member);
      await expect(asMember.submitClaim(1n, AMOUNT, EVIDENCE, { value: CLAIM_DEPOSIT - 1n })).to.be.revertedWithCustomError(
        fx.claims,
        "AssessmentDepositNotExact",
      );
      await expect(asMember.submitClaim(1n, AMOUNT, EVIDENCE, { value: CLAIM_DEPOSIT + 1n })).to.be.revertedWithCustomError(
        fx.claims,
        "AssessmentDepositNotExact",
      );
      await expect(
        fx.claims.connect(fx.outsider).submitClaim(1n, AMOUNT, EVIDENCE, { value: CLAIM_DEPOSIT }),
      ).to.be.revertedWithCustomError(fx.claims, "OnlyMember");
      await fx.registry.mockNexusSetMember(fx.outsider.address, true);
      await expect(
        fx.claims.connect(fx.outsider).submitClaim(1n, AMOUNT, EVIDENCE, { value: CLAIM_DEPOSIT }),
      ).to.be.revertedWithCustomError(fx.claims, "NotCoverOwner");
      await expect(asMember.submitClaim(1n, AMOUNT + 1n, EVIDENCE, { value: CLAIM_DEPOSIT })).to.be.revertedWithCustomError(
        fx.claims,
        "CoveredAmountExceeded",
      );
      await expect(asMember.submitClaim(2n, AMOUNT, EVIDENCE, { value: CLAIM_DEPOSIT })).to.be.revertedWithCustomError(
        fx.coverNFT,
        "NotMinted",
      );
    });

    it("rejects a claim in the purchase block", async () => {
      const fx = await loadFixture(deployNexusMocks);
      const params = buyParams({ owner: fx.member.address, amount: AMOUNT, period: PERIOD, maxPremiumInAsset: 10n ** 12n });
      await network.provider.send("evm_setAutomine", [false]);
      try {
        await fx.cover.connect(fx.member).buyCover(params, [{ poolId: 1n, coverAmountInAsset: AMOUNT }], { gasLimit: 1_000_000 });
        await fx.claims
          .connect(fx.member)
          .submitClaim(1n, AMOUNT, EVIDENCE, { value: CLAIM_DEPOSIT, gasLimit: 1_000_000 });
        await network.provider.send("evm_mine", []);
      } finally {
        await network.provider.send("evm_setAutomine", [true]);
      }
      const block = await ethers.provider.getBlock("latest", true);
      expect(block!.transactions.length).to.equal(2);
      const claimReceipt = await ethers.provider.getTransactionReceipt(block!.transactions[1]!);
      expect(claimReceipt!.status).to.equal(0);
      // replaying the claim against the purchase block's state and timestamp names the error
      await expect(
        fx.claims
          .connect(fx.member)
          .submitClaim.staticCall(1n, AMOUNT, EVIDENCE, { value: CLAIM_DEPOSIT, blockTag: block!.number }),
      ).to.be.revertedWithCustomError(fx.claims, "CantBuyCoverAndClaimInTheSameBlock");
      // one second later the same claim is accepted
      await expect(
        fx.claims.connect(fx.member).submitClaim(1n, AMOUNT, EVIDENCE, { value: CLAIM_DEPOSIT }),
      ).to.emit(fx.claims, "ClaimSubmitted");
    });

    it("accepts claims until start + period + grace - 1, not at start + period + grace", async () => {
      const fx = await loadFixture(withCover);
      const end = fx.start + PERIOD + GRACE_PERIOD;
      await time.setNextBlockTimestamp(end - 1n);
      await expect(
        fx.claims.connect(fx.member).submitClaim(1n, AMOUNT, EVIDENCE, { value: CLAIM_DEPOSIT }),
      ).to.emit(fx.claims, "ClaimSubmitted");

      const late = await loadFixture(withCover);
      await time.setNextBlockTimestamp(late.start + PERIOD + GRACE_PERIOD);
      await expect(
        late.claims.connect(late.member).submitClaim(1n, AMOUNT, EVIDENCE, { value: CLAIM_DEPOSIT }),
      ).to.be.revertedWithCustomError(late.claims, "GracePeriodPassed");
    });

    it("allows one open claim per cover", async () => {
      const fx = await loadFixture(withClaim);
      const asMember = fx.claims.connect(fx.member);
      await expect(asMember.submitClaim(1n, 1n, EVIDENCE, { value: CLAIM_DEPOSIT })).to.be.revertedWithCustomError(
        fx.claims,
        "ClaimIsBeingAssessed",
      );
      await fx.claims.mockNexusCastVote(fx.claimId, true);
      await time.setNextBlockTimestamp(fx.votingEnd + COOLDOWN); // last cooldown second (<=)
      await expect(asMember.submitClaim(1n, 1n, EVIDENCE, { value: CLAIM_DEPOSIT })).to.be.revertedWithCustomError(
        fx.claims,
        "ClaimIsBeingAssessed",
      );
      await time.setNextBlockTimestamp(fx.votingEnd + COOLDOWN + 1n);
      await expect(asMember.submitClaim(1n, 1n, EVIDENCE, { value: CLAIM_DEPOSIT })).to.be.revertedWithCustomError(
        fx.claims,
        "PayoutCanStillBeRedeemed",
      );
      await asMember.redeemClaimPayout(fx.claimId);
      await expect(asMember.submitClaim(1n, 1n, EVIDENCE, { value: CLAIM_DEPOSIT })).to.emit(fx.claims, "ClaimSubmitted");
    });
  });

  describe("assessment timeline", () => {
    it("votes -> cooldown -> accepted -> redeem pays the cover asset and returns the deposit", async () => {
      const fx = await loadFixture(withClaim);
      await expect(fx.claims.mockNexusCastVote(fx.claimId, true))
        .to.emit(fx.claims, "VoteCast")
        .withArgs(fx.claimId, fx.deployer.address, 0n, true, ethers.ZeroHash);
      await fx.claims.mockNexusCastVote(fx.claimId, true);
      await fx.claims.mockNexusCastVote(fx.claimId, false);

      await time.increaseTo(fx.votingEnd);
      await expect(fx.claims.mockNexusCastVote(fx.claimId, true)).to.be.revertedWithCustomError(
        fx.claims,
        "VotingPeriodEnded",
      );
      let details = await fx.claims.getClaimDetails(fx.claimId);
      expect(details.status).to.equal(STATUS.COOLDOWN);
      expect(details.outcome).to.equal(OUTCOME.PENDING);
      await expect(fx.claims.connect(fx.member).redeemClaimPayout(fx.claimId)).to.be.revertedWithCustomError(
        fx.claims,
        "ClaimNotRedeemable",
      );

      await time.increaseTo(fx.votingEnd + COOLDOWN + 1n);
      details = await fx.claims.getClaimDetails(fx.claimId);
      expect(details.status).to.equal(STATUS.FINALIZED);
      expect(details.outcome).to.equal(OUTCOME.ACCEPTED);
      expect(details.redeemable).to.equal(true);

      const payout = AMOUNT / 2n;
      const tx = fx.claims.connect(fx.member).redeemClaimPayout(fx.claimId);
      await expect(tx).to.emit(fx.claims, "ClaimPayoutRedeemed").withArgs(fx.member.address, payout, fx.claimId, 1n);
      await expect(tx).to.emit(fx.claims, "ClaimDepositRetrieved").withArgs(fx.claimId, fx.member.address);
      await expect(tx).to.changeTokenBalances(fx.usdc, [fx.member, fx.claims], [payout, -payout]);
      await expect(tx).to.changeEtherBalance(fx.claims, -CLAIM_DEPOSIT);

      details = await fx.claims.getClaimDetails(fx.claimId);
      expect(details.claim.payoutRedeemed).to.equal(true);
      expect(details.claim.depositRetrieved).to.equal(true);
      expect(details.redeemable).to.equal(false);
      expect(details.cover.amount).to.equal(AMOUNT - payout); // burnStake
      await expect(fx.claims.connect(fx.member).redeemClaimPayout(fx.claimId)).to.be.revertedWithCustomError(
        fx.claims,
        "ClaimNotRedeemable",
      );
    });

    it("redeems until the last second of the redemption window, not after", async () => {
      const fx = await loadFixture(withClaim);
      await fx.claims.mockNexusCastVote(fx.claimId, true);
      const redemptionEnd = fx.votingEnd + COOLDOWN + REDEMPTION_PERIOD;
      await time.setNextBlockTimestamp(redemptionEnd - 1n);
      await expect(fx.claims.connect(fx.member).redeemClaimPayout(fx.claimId)).to.emit(fx.claims, "ClaimPayoutRedeemed");

      const late = await loadFixture(withClaim);
      await late.claims.mockNexusCastVote(late.claimId, true);
      await time.setNextBlockTimestamp(late.votingEnd + COOLDOWN + REDEMPTION_PERIOD);
      await expect(late.claims.connect(late.member).redeemClaimPayout(late.claimId)).to.be.revertedWithCustomError(
        late.claims,
        "ClaimNotRedeemable",
      );
      // an expired accepted claim no longer blocks a new claim on the cover (still within grace)
      await expect(
        late.claims.connect(late.member).submitClaim(1n, 1n, EVIDENCE, { value: CLAIM_DEPOSIT }),
      ).to.emit(late.claims, "ClaimSubmitted");
    });

    it("redeem requires a member who owns the cover NFT", async () => {
      const fx = await loadFixture(withClaim);
      await fx.claims.mockNexusCastVote(fx.claimId, true);
      await time.increaseTo(fx.votingEnd + COOLDOWN + 1n);
      await expect(fx.claims.connect(fx.outsider).redeemClaimPayout(fx.claimId)).to.be.revertedWithCustomError(
        fx.claims,
        "OnlyMember",
      );
      await fx.registry.mockNexusSetMember(fx.outsider.address, true);
      await expect(fx.claims.connect(fx.outsider).redeemClaimPayout(fx.claimId)).to.be.revertedWithCustomError(
        fx.claims,
        "NotCoverOwner",
      );
    });

    it("draw: anyone retrieves the deposit for the NFT owner, once", async () => {
      const fx = await loadFixture(withClaim);
      await fx.claims.mockNexusCastVote(fx.claimId, true);
      await fx.claims.mockNexusCastVote(fx.claimId, false);
      await expect(fx.claims.retrieveDeposit(fx.claimId)).to.be.revertedWithCustomError(fx.claims, "ClaimNotADraw");
      await time.increaseTo(fx.votingEnd + COOLDOWN + 1n);
      expect((await fx.claims.getClaimDetails(fx.claimId)).outcome).to.equal(OUTCOME.DRAW);

      const tx = fx.claims.connect(fx.outsider).retrieveDeposit(fx.claimId);
      await expect(tx).to.emit(fx.claims, "ClaimDepositRetrieved").withArgs(fx.claimId, fx.member.address);
      await expect(tx).to.changeEtherBalances([fx.member, fx.claims], [CLAIM_DEPOSIT, -CLAIM_DEPOSIT]);
      await expect(fx.claims.retrieveDeposit(fx.claimId)).to.be.revertedWithCustomError(
        fx.claims,
        "DepositAlreadyRetrieved",
      );
      await expect(fx.claims.connect(fx.member).redeemClaimPayout(fx.claimId)).to.be.revertedWithCustomError(
        fx.claims,
        "ClaimNotRedeemable",
      );
    });

    it("no votes at all ends in a draw", async () => {
      const fx = await loadFixture(withClaim);
      await time.increaseTo(fx.votingEnd + COOLDOWN + 1n);
      expect((await fx.claims.getClaimDetails(fx.claimId)).outcome).to.equal(OUTCOME.DRAW);
    });

    it("denied: the deposit is kept and a new claim may be filed", async () => {
      const fx = await loadFixture(withClaim);
      await fx.claims.mockNexusCastVote(fx.claimId, false);
      await time.increaseTo(fx.votingEnd + COOLDOWN + 1n);
      expect((await fx.claims.getClaimDetails(fx.claimId)).outcome).to.equal(OUTCOME.DENIED);
      await expect(fx.claims.retrieveDeposit(fx.claimId)).to.be.revertedWithCustomError(fx.claims, "ClaimNotADraw");
      await expect(fx.claims.connect(fx.member).redeemClaimPayout(fx.claimId)).to.be.revertedWithCustomError(
        fx.claims,
        "ClaimNotRedeemable",
      );
      expect(await ethers.provider.getBalance(await fx.claims.getAddress())).to.equal(CLAIM_DEPOSIT);
      await expect(
        fx.claims.connect(fx.member).submitClaim(1n, 1n, EVIDENCE, { value: CLAIM_DEPOSIT }),
      ).to.emit(fx.claims, "ClaimSubmitted");
    });

    it("unknown claim ids revert InvalidClaimId", async () => {
      const fx = await loadFixture(withCover);
      await expect(fx.claims.getClaimDetails(9n)).to.be.revertedWithCustomError(fx.claims, "InvalidClaimId");
      await expect(fx.claims.connect(fx.member).redeemClaimPayout(9n)).to.be.revertedWithCustomError(
        fx.claims,
        "InvalidClaimId",
      );
      await expect(fx.claims.retrieveDeposit(9n)).to.be.revertedWithCustomError(fx.claims, "InvalidClaimId");
      await expect(fx.claims.mockNexusCastVote(9n, true)).to.be.revertedWithCustomError(fx.claims, "InvalidClaimId");
      expect((await fx.claims.getClaim(9n)).coverId).to.equal(0n);
    });

    it("reverts MockNexusEthTransferFailed when the NFT owner rejects ETH", async () => {
      const fx = await loadFixture(withClaim);
      await time.increaseTo(fx.votingEnd + COOLDOWN + 1n); // draw
      const rejecting = await fx.usdt.getAddress(); // an ERC20 has no receive()
      await fx.coverNFT.connect(fx.member).transferFrom(fx.member.address, rejecting, 1n);
      await expect(fx.claims.retrieveDeposit(fx.claimId))
        .to.be.revertedWithCustomError(fx.claims, "MockNexusEthTransferFailed")
        .withArgs(rejecting, CLAIM_DEPOSIT);
    });

    it("votes are owner-only", async () => {
      const fx = await loadFixture(withClaim);
      await expect(fx.claims.connect(fx.outsider).mockNexusCastVote(fx.claimId, true)).to.be.revertedWithCustomError(
        fx.claims,
        "OwnableUnauthorizedAccount",
      );
    });

    it("the pool stand-in accepts ETH top-ups", async () => {
      const fx = await loadFixture(withCover);
      await impersonateAccount(fx.outsider.address);
      await setBalance(fx.outsider.address, 10n ** 18n);
      await expect(fx.outsider.sendTransaction({ to: await fx.claims.getAddress(), value: 1n })).to.changeEtherBalance(
        fx.claims,
        1n,
      );
    });
  });
});
