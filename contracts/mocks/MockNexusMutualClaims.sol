// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {Ownable} from "@openzeppelin/contracts/access/Ownable.sol";
import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";
import {SafeERC20} from "@openzeppelin/contracts/token/ERC20/utils/SafeERC20.sol";
import {INexusClaims} from "../interfaces/nexus/INexusClaims.sol";
import {INexusCover} from "../interfaces/nexus/INexusCover.sol";
import {INexusCoverNFT} from "../interfaces/nexus/INexusCoverNFT.sol";
import {INexusRegistry} from "../interfaces/nexus/INexusRegistry.sol";
import {MockNexusMutualCover} from "./MockNexusMutualCover.sol";

/// @title MockNexusMutualClaims
/// @notice Local stand-in for the Nexus Mutual v3 `Claims` contract, with the `Assessments` voting
/// timeline and the Pool's payout role folded in. Same signatures, errors, events and timeline as the real
/// contracts (see `INexusClaims` for the verified behaviour it copies): voting 3 days, then the product
/// type's cooldown, then the payout redemption window.
/// @dev This contract is the pool: it receives premiums (from the Cover mock) and claim deposits, and must
/// hold the cover-asset ERC20 for payouts (tests fund it by transfer). Votes are cast through the
/// test-only controls instead of assessor groups.
contract MockNexusMutualClaims is INexusClaims, Ownable {
    using SafeERC20 for IERC20;

    /// @notice Assessments error: voting is closed for this claim.
    error VotingPeriodEnded();
    /// @notice The pool stand-in could not send ETH.
    error MockNexusEthTransferFailed(address to, uint256 amount);

    /// @notice Assessments event, emitted when a claim's assessment starts.
    event AssessmentStarted(uint256 indexed claimId, uint256 assessorGroupId, uint256 start, uint256 end);
    /// @notice Assessments event, emitted for every vote (member id 0 for test votes).
    event VoteCast(
        uint256 indexed claimId, address indexed assessor, uint256 indexed assessorMemberId, bool support, bytes32 ipfsHash
    );

    /// @notice Claim deposit (wei), as `Claims.CLAIM_DEPOSIT_IN_ETH` on mainnet.
    uint256 public constant CLAIM_DEPOSIT_IN_ETH = 0.05 ether;
    /// @notice Voting period (seconds), as `Assessments.VOTING_PERIOD`.
    uint256 public constant VOTING_PERIOD = 3 days;
    /// @notice Product type `assessmentCooldownPeriod` (seconds); 1 day in Nexus's upgrade fork tests.
    uint32 public constant ASSESSMENT_COOLDOWN_PERIOD = 1 days;
    /// @notice Product type `payoutRedemptionPeriod` (seconds); 30 days in Nexus's upgrade fork tests.
    uint32 public constant PAYOUT_REDEMPTION_PERIOD = 30 days;
    uint16 private constant ASSESSING_GROUP_ID = 1;

    INexusRegistry public immutable registry;
    MockNexusMutualCover public immutable cover;
    INexusCoverNFT public immutable coverNFT;

    /// @inheritdoc INexusClaims
    mapping(uint256 coverId => uint256 claimId) public lastClaimSubmissionOnCover;

    mapping(uint256 claimId => Claim) private _claims;
    mapping(uint256 claimId => Assessment) private _assessments;
    mapping(uint256 claimId => bytes32 ipfsMetadata) private _claimsMetadata;
    mapping(uint256 memberId => uint256[] claimIds) private _memberClaims;
    uint256 private _nextClaimId = 1;

    constructor(address registry_, address cover_, address initialOwner) Ownable(initialOwner) {
        registry = INexusRegistry(registry_);
        cover = MockNexusMutualCover(cover_);
        coverNFT = INexusCoverNFT(cover.coverNFT());
    }

    /// @notice Accepts ETH (premium-free top-ups of the pool stand-in).
    receive() external payable {}

    /// @inheritdoc INexusClaims
    function submitClaim(uint32 coverId, uint96 requestedAmount, bytes32 ipfsMetadata)
        external
        payable
        returns (Claim memory claim)
    {
        uint256 memberId = registry.getMemberId(msg.sender);
        if (memberId == 0) revert OnlyMember();
        if (coverNFT.ownerOf(coverId) != msg.sender) revert NotCoverOwner();

        uint256 claimId = _nextClaimId++;
        _memberClaims[memberId].push(claimId);

        uint256 previousClaimId = lastClaimSubmissionOnCover[coverId];
        if (previousClaimId > 0) {
            Assessment memory previous = _assessments[previousClaimId];
            if (_status(previous) != AssessmentStatus.FINALIZED) revert ClaimIsBeingAssessed();
            if (_isRedeemable(_claims[previousClaimId], previous)) revert PayoutCanStillBeRedeemed();
        }
        lastClaimSubmissionOnCover[coverId] = claimId;

        INexusCover.CoverData memory coverData = cover.getCoverData(coverId);
        if (requestedAmount > coverData.amount) revert CoveredAmountExceeded();
        if (block.timestamp <= coverData.start) revert CantBuyCoverAndClaimInTheSameBlock();
        if (uint256(coverData.start) + coverData.period + coverData.gracePeriod <= block.timestamp) {
            revert GracePeriodPassed();
        }

        emit ClaimSubmitted(msg.sender, claimId, coverId, coverData.productId);

        uint32 votingEnd = uint32(block.timestamp + VOTING_PERIOD);
        _assessments[claimId] = Assessment({
            assessingGroupId: ASSESSING_GROUP_ID,
            cooldownPeriod: ASSESSMENT_COOLDOWN_PERIOD,
            start: uint32(block.timestamp),
            votingEnd: votingEnd,
            acceptVotes: 0,
            denyVotes: 0
        });
        emit AssessmentStarted(claimId, ASSESSING_GROUP_ID, block.timestamp, votingEnd);

        claim = Claim({
            coverId: coverId,
            amount: requestedAmount,
            coverAsset: coverData.coverAsset,
            payoutRedemptionPeriod: PAYOUT_REDEMPTION_PERIOD,
            payoutRedeemed: false,
            depositRetrieved: false
        });
        _claims[claimId] = claim;

        if (ipfsMetadata != bytes32(0)) {
            _claimsMetadata[claimId] = ipfsMetadata;
            emit MetadataSubmitted(claimId, ipfsMetadata);
        }

        if (msg.value != CLAIM_DEPOSIT_IN_ETH) revert AssessmentDepositNotExact();
    }

    /// @inheritdoc INexusClaims
    function redeemClaimPayout(uint256 claimId) external {
        if (registry.getMemberId(msg.sender) == 0) revert OnlyMember();
        Claim memory claim = _claims[claimId];
        if (claim.coverId == 0) revert InvalidClaimId();
        address coverOwner = coverNFT.ownerOf(claim.coverId);
        if (coverOwner != msg.sender) revert NotCoverOwner();
        if (!_isRedeemable(claim, _assessments[claimId])) revert ClaimNotRedeemable();

        _claims[claimId].payoutRedeemed = true;
        _claims[claimId].depositRetrieved = true;

        cover.burnStake(claim.coverId, claim.amount);
        IERC20(cover.mockNexusCoverAssetToken(claim.coverAsset)).safeTransfer(coverOwner, claim.amount);
        _sendEth(coverOwner, CLAIM_DEPOSIT_IN_ETH);

        emit ClaimPayoutRedeemed(coverOwner, claim.amount, claimId, claim.coverId);
        emit ClaimDepositRetrieved(claimId, coverOwner);
    }

    /// @inheritdoc INexusClaims
    function retrieveDeposit(uint256 claimId) external {
        Claim memory claim = _claims[claimId];
        if (claim.coverId == 0) revert InvalidClaimId();
        if (_outcome(_assessments[claimId]) != AssessmentOutcome.DRAW) revert ClaimNotADraw();
        if (claim.depositRetrieved) revert DepositAlreadyRetrieved();

        _claims[claimId].depositRetrieved = true;
        address coverOwner = coverNFT.ownerOf(claim.coverId);
        _sendEth(coverOwner, CLAIM_DEPOSIT_IN_ETH);

        emit ClaimDepositRetrieved(claimId, coverOwner);
    }

    /// @inheritdoc INexusClaims
    function getClaim(uint256 claimId) external view returns (Claim memory) {
        return _claims[claimId];
    }

    /// @inheritdoc INexusClaims
    function getClaimDetails(uint256 claimId) external view returns (ClaimDetails memory) {
        Claim memory claim = _claims[claimId];
        if (claim.coverId == 0) revert InvalidClaimId();
        Assessment memory assessment = _assessments[claimId];
        return ClaimDetails({
            claimId: claimId,
            claim: claim,
            cover: cover.getCoverData(claim.coverId),
            assessment: assessment,
            status: _status(assessment),
            outcome: _outcome(assessment),
            redeemable: _isRedeemable(claim, assessment),
            ipfsMetadata: _claimsMetadata[claimId]
        });
    }

    /// @inheritdoc INexusClaims
    function getClaimsCount() external view returns (uint256) {
        return _nextClaimId;
    }

    /// @notice The claim ids filed by member `memberId`.
    function getMemberClaims(uint256 memberId) external view returns (uint256[] memory) {
        return _memberClaims[memberId];
    }

    /// @notice The assessment of `claimId` (as `Assessments.getAssessment`).
    function getAssessment(uint256 claimId) external view returns (Assessment memory) {
        return _assessments[claimId];
    }

    /// @notice The voting period (as `Assessments.minVotingPeriod`).
    function minVotingPeriod() external pure returns (uint256) {
        return VOTING_PERIOD;
    }

    /// @inheritdoc INexusClaims
    function pool() external view returns (address) {
        return address(this);
    }

    /// @notice The assessments contract (folded into this mock).
    function assessments() external view returns (address) {
        return address(this);
    }

    function _status(Assessment memory assessment) private view returns (AssessmentStatus) {
        if (block.timestamp < assessment.votingEnd) return AssessmentStatus.VOTING;
        if (block.timestamp <= uint256(assessment.votingEnd) + assessment.cooldownPeriod) {
            return AssessmentStatus.COOLDOWN;
        }
        return AssessmentStatus.FINALIZED;
    }

    function _outcome(Assessment memory assessment) private view returns (AssessmentOutcome) {
        if (block.timestamp <= uint256(assessment.votingEnd) + assessment.cooldownPeriod) {
            return AssessmentOutcome.PENDING;
        }
        if (assessment.acceptVotes > assessment.denyVotes) return AssessmentOutcome.ACCEPTED;
        if (assessment.acceptVotes < assessment.denyVotes) return AssessmentOutcome.DENIED;
        return AssessmentOutcome.DRAW;
    }

    function _isRedeemable(Claim memory claim, Assessment memory assessment) private view returns (bool) {
        return _outcome(assessment) == AssessmentOutcome.ACCEPTED
            && block.timestamp
                < uint256(assessment.votingEnd) + assessment.cooldownPeriod + claim.payoutRedemptionPeriod
            && !claim.payoutRedeemed;
    }

    function _sendEth(address to, uint256 amount) private {
        // solhint-disable-next-line avoid-low-level-calls
        (bool ok,) = to.call{value: amount}("");
        if (!ok) revert MockNexusEthTransferFailed(to, amount);
    }

    // ---- test-only controls ----

    /// @notice Casts one assessor vote on `claimId` (the real vote comes from an assessor group member).
    function mockNexusCastVote(uint256 claimId, bool support) external onlyOwner {
        Assessment memory assessment = _assessments[claimId];
        if (assessment.start == 0) revert InvalidClaimId();
        if (block.timestamp >= assessment.votingEnd) revert VotingPeriodEnded();
        if (support) {
            ++_assessments[claimId].acceptVotes;
        } else {
            ++_assessments[claimId].denyVotes;
        }
        emit VoteCast(claimId, msg.sender, 0, support, bytes32(0));
    }
}
