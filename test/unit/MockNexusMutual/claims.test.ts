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
  allocatedAmount,
  buyParams,
  deployNexusMocks,
} from "./nexusFixture";

const AMOUNT = 100_000n * USDC_UNIT;
const PERIOD = 90n * DAY;
const EVIDENCE = ethers.id("evidence pack");

/** Mainnet's Claims continues the legacy numbering; the mock's first id. */
const FIRST_CLAIM_ID = 1001n;
const PAUSE = { GLOBAL: 1n, ASSESSMENTS: 16n, CLAIMS: 32n, COVER: 64n };

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
  const votingEnd = BigInt((await fx.assessments.getAssessment(FIRST_CLAIM_ID)).votingEnd);
  return { ...fx, claimId: FIRST_CLAIM_ID, votingEnd };
}

describe("MockNexusMutualClaims", () => {
  describe("submitClaim", () => {
    it("files a claim, starts the assessment and keeps the exact deposit", async () => {
      const fx = await loadFixture(withCover);
      const memberId = await fx.registry.getMemberId(fx.member.address);
      const tx = fx.claims.connect(fx.member).submitClaim(1n, AMOUNT, EVIDENCE, { value: CLAIM_DEPOSIT });
      const id = FIRST_CLAIM_ID;
      await expect(tx).to.emit(fx.claims, "ClaimSubmitted").withArgs(fx.member.address, id, 1n, 7n);
      await expect(tx).to.emit(fx.claims, "MetadataSubmitted").withArgs(id, EVIDENCE);
      const started = await (await tx).wait();
      const startLog = started!.logs.find((l) => l.address === fx.assessments.target);
      expect(fx.assessments.interface.parseLog(startLog!)!.name).to.equal("AssessmentStarted"); // from Assessments
      await expect(tx).to.changeEtherBalances([fx.claims, fx.pool], [0n, CLAIM_DEPOSIT]); // the Pool keeps it

      expect(await fx.claims.lastClaimSubmissionOnCover(1n)).to.equal(id);
      expect(await fx.claims.getClaimsCount()).to.equal(id + 1n); // like Nexus: the next claim id
      expect(await fx.claims.getMemberClaims(memberId)).to.deep.equal([id]);
      const details = await fx.claims.getClaimDetails(id);
      expect(details.claim.amount).to.equal(AMOUNT);
      expect(details.claim.payoutRedemptionPeriod).to.equal(REDEMPTION_PERIOD);
      expect(details.cover.amount).to.equal(allocatedAmount(AMOUNT)); // NXM-rounded allocation
      expect(details.cover.amount).to.be.greaterThan(AMOUNT);
      expect(details.status).to.equal(STATUS.VOTING);
      expect(details.outcome).to.equal(OUTCOME.PENDING);
      expect(details.redeemable).to.equal(false);
      expect(details.ipfsMetadata).to.equal(EVIDENCE);
      const assessment = await fx.assessments.getAssessment(id);
      expect(BigInt(assessment.votingEnd) - BigInt(assessment.start)).to.equal(VOTING_PERIOD);
      expect(assessment.cooldownPeriod).to.equal(COOLDOWN);
      expect(await fx.assessments.minVotingPeriod()).to.equal(VOTING_PERIOD);
      expect(await fx.claims.pool()).to.equal(await fx.pool.getAddress());
      expect(await fx.claims.assessments()).to.not.equal(await fx.claims.getAddress());
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
      const covered = (await fx.cover.getCoverData(1n)).amount;
      await expect(asMember.submitClaim(1n, covered + 1n, EVIDENCE, { value: CLAIM_DEPOSIT })).to.be.revertedWithCustomError(
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
        .to.emit(fx.assessments, "VoteCast")
        .withArgs(fx.claimId, await fx.claims.getAddress(), 0n, true, ethers.ZeroHash);
      await fx.claims.mockNexusCastVote(fx.claimId, true);
      await fx.claims.mockNexusCastVote(fx.claimId, false);

      await time.increaseTo(fx.votingEnd);
      await expect(fx.claims.mockNexusCastVote(fx.claimId, true)).to.be.revertedWithCustomError(
        fx.assessments,
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
      await expect(tx).to.changeTokenBalances(fx.usdc, [fx.member, fx.pool], [payout, -payout]);
      await expect(tx).to.changeEtherBalance(fx.pool, -CLAIM_DEPOSIT);
      await expect(tx).to.emit(fx.pool, "Payout").withArgs(fx.member.address, await fx.usdc.getAddress(), payout);

      details = await fx.claims.getClaimDetails(fx.claimId);
      expect(details.claim.payoutRedeemed).to.equal(true);
      expect(details.claim.depositRetrieved).to.equal(true);
      expect(details.redeemable).to.equal(false);
      expect(details.cover.amount).to.equal(allocatedAmount(AMOUNT) - payout); // burnStake
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
      await expect(tx).to.changeEtherBalances([fx.member, fx.pool], [CLAIM_DEPOSIT, -CLAIM_DEPOSIT]);
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
      expect(await ethers.provider.getBalance(await fx.pool.getAddress())).to.equal(CLAIM_DEPOSIT);
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
      await expect(fx.claims.mockNexusCastVote(9n, true)).to.be.revertedWithCustomError(fx.assessments, "InvalidClaimId");
      expect((await fx.claims.getClaim(9n)).coverId).to.equal(0n);
    });

    it("reverts the Pool's EthTransferFailed when the NFT owner rejects ETH", async () => {
      const fx = await loadFixture(withClaim);
      await time.increaseTo(fx.votingEnd + COOLDOWN + 1n); // draw
      const rejecting = await fx.usdt.getAddress(); // an ERC20 has no receive()
      await fx.coverNFT.connect(fx.member).transferFrom(fx.member.address, rejecting, 1n);
      await expect(fx.claims.retrieveDeposit(fx.claimId))
        .to.be.revertedWithCustomError(fx.pool, "EthTransferFailed")
        .withArgs(rejecting, CLAIM_DEPOSIT);
    });

    it("votes are owner-only", async () => {
      const fx = await loadFixture(withClaim);
      await expect(fx.claims.connect(fx.outsider).mockNexusCastVote(fx.claimId, true)).to.be.revertedWithCustomError(
        fx.claims,
        "OwnableUnauthorizedAccount",
      );
    });

    it("the Pool accepts ETH top-ups; only Claims may make it pay", async () => {
      const fx = await loadFixture(withCover);
      await impersonateAccount(fx.outsider.address);
      await setBalance(fx.outsider.address, 10n ** 18n);
      await expect(fx.outsider.sendTransaction({ to: await fx.pool.getAddress(), value: 1n })).to.changeEtherBalance(
        fx.pool,
        1n,
      );
      await expect(fx.pool.connect(fx.outsider).sendPayout(6, fx.outsider.address, 1n, 0n))
        .to.be.revertedWithCustomError(fx.pool, "Unauthorized")
        .withArgs(fx.outsider.address, 0n, 16n);
    });
  });
  describe("claim numbering, pause and claim method", () => {
    it("claim ids continue a legacy numbering; initialize is possible only before the first claim", async () => {
      const fx = await loadFixture(withCover);
      expect(await fx.claims.getClaimsCount()).to.equal(FIRST_CLAIM_ID);
      await expect(fx.claims.connect(fx.outsider).initialize(4000n)).to.be.revertedWithCustomError(
        fx.claims,
        "OwnableUnauthorizedAccount",
      );
      await fx.claims.initialize(4000n);
      await fx.claims.connect(fx.member).submitClaim(1n, 1n, EVIDENCE, { value: CLAIM_DEPOSIT });
      expect(await fx.claims.lastClaimSubmissionOnCover(1n)).to.equal(4001n);
      await expect(fx.claims.initialize(1n)).to.be.revertedWithCustomError(fx.claims, "AlreadyInitialized");
    });

    it("the claims pause (or the global one) blocks submit, redeem and retrieve with Paused(config, 32)", async () => {
      const fx = await loadFixture(withClaim);
      await time.increaseTo(fx.votingEnd + COOLDOWN + 1n); // draw
      for (const config of [PAUSE.CLAIMS, PAUSE.GLOBAL, PAUSE.CLAIMS | PAUSE.COVER]) {
        await fx.registry.mockNexusSetPauseConfig(config);
        await expect(fx.claims.connect(fx.member).submitClaim(1n, 1n, EVIDENCE, { value: CLAIM_DEPOSIT }))
          .to.be.revertedWithCustomError(fx.claims, "Paused")
          .withArgs(config, PAUSE.CLAIMS);
        await expect(fx.claims.connect(fx.member).redeemClaimPayout(fx.claimId))
          .to.be.revertedWithCustomError(fx.claims, "Paused")
          .withArgs(config, PAUSE.CLAIMS);
        await expect(fx.claims.retrieveDeposit(fx.claimId))
          .to.be.revertedWithCustomError(fx.claims, "Paused")
          .withArgs(config, PAUSE.CLAIMS);
      }
      await fx.registry.mockNexusSetPauseConfig(PAUSE.COVER); // cover pause does not block claims
      await expect(fx.claims.retrieveDeposit(fx.claimId)).to.emit(fx.claims, "ClaimDepositRetrieved");
    });

    it("a product type without individual claims reverts InvalidClaimMethod", async () => {
      const fx = await loadFixture(withCover);
      await fx.coverProducts.mockNexusSetProductType(0, {
        claimMethod: 1, // DeprecatedYieldTokenIncidents
        gracePeriod: GRACE_PERIOD,
        assessmentCooldownPeriod: COOLDOWN,
        payoutRedemptionPeriod: REDEMPTION_PERIOD,
      });
      await expect(
        fx.claims.connect(fx.member).submitClaim(1n, 1n, EVIDENCE, { value: CLAIM_DEPOSIT }),
      ).to.be.revertedWithCustomError(fx.claims, "InvalidClaimMethod");
    });

    it("cooldown and redemption period come from the product type", async () => {
      const fx = await loadFixture(withCover);
      await fx.coverProducts.mockNexusSetProductType(0, {
        claimMethod: 0,
        gracePeriod: GRACE_PERIOD,
        assessmentCooldownPeriod: 2n * DAY,
        payoutRedemptionPeriod: 14n * DAY,
      });
      await fx.claims.connect(fx.member).submitClaim(1n, 1n, EVIDENCE, { value: CLAIM_DEPOSIT });
      const details = await fx.claims.getClaimDetails(FIRST_CLAIM_ID);
      expect(details.assessment.cooldownPeriod).to.equal(2n * DAY);
      expect(details.claim.payoutRedemptionPeriod).to.equal(14n * DAY);
    });
  });

  describe("Assessments: group votes, early close, extension, undone votes", () => {
    async function withAssessors() {
      const fx = await withClaim();
      const [, , , , , a1, a2] = await ethers.getSigners();
      for (const a of [a1!, a2!]) {
        await fx.registry.mockNexusSetMember(a.address, true);
        await fx.assessments.mockNexusAddAssessor(await fx.registry.getMemberId(a.address));
      }
      return { ...fx, a1: a1!, a2: a2! };
    }

    it("assessors of the group vote once each; others cannot", async () => {
      const fx = await loadFixture(withAssessors);
      const a1Id = await fx.registry.getMemberId(fx.a1.address);
      await expect(fx.assessments.connect(fx.a1).castVote(fx.claimId, true, EVIDENCE))
        .to.emit(fx.assessments, "VoteCast")
        .withArgs(fx.claimId, fx.a1.address, a1Id, true, EVIDENCE);
      await expect(fx.assessments.connect(fx.a1).castVote(fx.claimId, false, EVIDENCE)).to.be.revertedWithCustomError(
        fx.assessments,
        "AlreadyVoted",
      );
      await expect(fx.assessments.connect(fx.member).castVote(fx.claimId, true, EVIDENCE)).to.be.revertedWithCustomError(
        fx.assessments,
        "InvalidAssessor",
      );
      await expect(fx.assessments.connect(fx.outsider).castVote(fx.claimId, true, EVIDENCE)).to.be.revertedWithCustomError(
        fx.assessments,
        "OnlyMember",
      );
      await fx.registry.mockNexusSetPauseConfig(PAUSE.ASSESSMENTS);
      await expect(fx.assessments.connect(fx.a2).castVote(fx.claimId, true, EVIDENCE))
        .to.be.revertedWithCustomError(fx.assessments, "Paused")
        .withArgs(PAUSE.ASSESSMENTS, PAUSE.ASSESSMENTS);
    });

    it("voting closes early once everybody voted: votingEnd moves to now", async () => {
      const fx = await loadFixture(withAssessors);
      await fx.assessments.connect(fx.a1).castVote(fx.claimId, true, EVIDENCE);
      await expect(fx.assessments.closeVotingEarly(fx.claimId)).to.be.revertedWithCustomError(
        fx.assessments,
        "NotEverybodyVoted",
      );
      await fx.assessments.connect(fx.a2).castVote(fx.claimId, true, EVIDENCE);
      const tx = await fx.assessments.connect(fx.outsider).closeVotingEarly(fx.claimId);
      const closedAt = BigInt((await tx.getBlock())!.timestamp);
      await expect(tx).to.emit(fx.assessments, "VotingEndChanged").withArgs(fx.claimId, closedAt);
      expect((await fx.assessments.getAssessment(fx.claimId)).votingEnd).to.equal(closedAt);
      expect(closedAt).to.be.lessThan(fx.votingEnd);
      expect((await fx.claims.getClaimDetails(fx.claimId)).status).to.equal(STATUS.COOLDOWN);
      await expect(fx.assessments.closeVotingEarly(fx.claimId)).to.be.revertedWithCustomError(
        fx.assessments,
        "VotingAlreadyClosed",
      );
      await time.increaseTo(closedAt + COOLDOWN + 1n); // finalized days before the original votingEnd
      expect((await fx.claims.getClaimDetails(fx.claimId)).outcome).to.equal(OUTCOME.ACCEPTED);
    });

    it("an extension during the cooldown reopens voting for a full period", async () => {
      const fx = await loadFixture(withAssessors);
      await fx.claims.mockNexusCastVote(fx.claimId, true);
      await time.increaseTo(fx.votingEnd + COOLDOWN / 2n);
      expect((await fx.claims.getClaimDetails(fx.claimId)).status).to.equal(STATUS.COOLDOWN);
      await expect(fx.assessments.connect(fx.outsider).extendVotingPeriod(fx.claimId)).to.be.revertedWithCustomError(
        fx.assessments,
        "OwnableUnauthorizedAccount",
      );
      const tx = await fx.assessments.extendVotingPeriod(fx.claimId);
      const newEnd = BigInt((await tx.getBlock())!.timestamp) + VOTING_PERIOD;
      await expect(tx).to.emit(fx.assessments, "VotingEndChanged").withArgs(fx.claimId, newEnd);
      expect((await fx.claims.getClaimDetails(fx.claimId)).status).to.equal(STATUS.VOTING);
      await fx.assessments.connect(fx.a1).castVote(fx.claimId, false, EVIDENCE);
      await fx.assessments.connect(fx.a2).castVote(fx.claimId, false, EVIDENCE);
      await time.increaseTo(fx.votingEnd + COOLDOWN + 1n); // the OLD end: not final any more
      expect((await fx.claims.getClaimDetails(fx.claimId)).outcome).to.equal(OUTCOME.PENDING);
      await time.increaseTo(newEnd + COOLDOWN + 1n);
      expect((await fx.claims.getClaimDetails(fx.claimId)).outcome).to.equal(OUTCOME.DENIED);
    });

    it("undone votes flip the outcome during the cooldown", async () => {
      const fx = await loadFixture(withAssessors);
      await fx.assessments.connect(fx.a1).castVote(fx.claimId, true, EVIDENCE);
      await fx.claims.mockNexusCastVote(fx.claimId, false);
      await fx.assessments.connect(fx.a2).castVote(fx.claimId, true, EVIDENCE);
      await time.increaseTo(fx.votingEnd + 1n); // cooldown: would be ACCEPTED (2 vs 1)
      const a1Id = await fx.registry.getMemberId(fx.a1.address);
      const a2Id = await fx.registry.getMemberId(fx.a2.address);
      await expect(fx.assessments.undoVotes(a1Id, [fx.claimId]))
        .to.emit(fx.assessments, "VoteUndone")
        .withArgs(fx.claimId, a1Id);
      await fx.assessments.undoVotes(a2Id, [fx.claimId]);
      await expect(fx.assessments.undoVotes(a2Id, [fx.claimId]))
        .to.be.revertedWithCustomError(fx.assessments, "HasNotVoted")
        .withArgs(fx.claimId);
      await time.increaseTo(fx.votingEnd + COOLDOWN + 1n);
      expect((await fx.claims.getClaimDetails(fx.claimId)).outcome).to.equal(OUTCOME.DENIED);
    });

    it("only Claims starts assessments", async () => {
      const fx = await loadFixture(withAssessors);
      await expect(fx.assessments.startAssessment(1n, 0n, 0n))
        .to.be.revertedWithCustomError(fx.assessments, "Unauthorized")
        .withArgs(fx.deployer.address, 0n, 16n);
    });
  });
});
