// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {Ownable} from "@openzeppelin/contracts/access/Ownable.sol";
import {INexusClaims} from "../interfaces/nexus/INexusClaims.sol";
import {INexusCover} from "../interfaces/nexus/INexusCover.sol";
import {INexusCoverNFT} from "../interfaces/nexus/INexusCoverNFT.sol";
import {INexusCoverProducts} from "../interfaces/nexus/INexusCoverProducts.sol";
import {INexusRegistry} from "../interfaces/nexus/INexusRegistry.sol";
import {MockNexusMutualAssessments} from "./MockNexusMutualAssessments.sol";
import {MockNexusMutualCover} from "./MockNexusMutualCover.sol";
import {MockNexusMutualPool} from "./MockNexusMutualPool.sol";

/// @title MockNexusMutualClaims
/// @notice Local stand-in for the Nexus Mutual v3.1 `Claims` contract: same signatures, checks in the
/// same order, errors, events and timeline as the real contract (see `INexusClaims`). It creates its
/// `MockNexusMutualAssessments` (voting, which emits `AssessmentStarted`/`VoteCast` from its own
/// address) and pays through the Cover mock's `MockNexusMutualPool` (`sendPayout`), which must hold the
/// cover-asset ERC20 (tests fund it by transfer). Cooldown, redemption period and claim method come
/// from the product type in CoverProducts; the claims pause is read from the Registry.
/// @dev Claim ids continue from `FIRST_CLAIM_ID` (mainnet's Claims was initialized with the legacy
/// claim count, so ids never start at 1); `initialize(lastClaimId)` changes it before the first claim.
contract MockNexusMutualClaims is INexusClaims, Ownable {
    /// @notice `initialize` after the numbering was fixed (the real one: once, by the Governor).
    error AlreadyInitialized();

    /// @notice Claim deposit (wei), as `Claims.CLAIM_DEPOSIT_IN_ETH` on mainnet.
    uint256 public constant CLAIM_DEPOSIT_IN_ETH = 0.05 ether;
    /// @notice The id of the first claim unless `initialize` says otherwise.
    uint256 public constant FIRST_CLAIM_ID = 1001;
    uint256 private constant PAUSE_GLOBAL = 1;
    uint256 private constant PAUSE_CLAIMS = 1 << 5;
    uint8 private constant INDIVIDUAL_CLAIMS = 0;

    INexusRegistry public immutable registry;
    MockNexusMutualCover public immutable cover;
    INexusCoverNFT public immutable coverNFT;
    MockNexusMutualAssessments private immutable _assessments;

    /// @inheritdoc INexusClaims
    mapping(uint256 coverId => uint256 claimId) public lastClaimSubmissionOnCover;

    mapping(uint256 claimId => Claim) private _claims;
    mapping(uint256 claimId => bytes32 ipfsMetadata) private _claimsMetadata;
    mapping(uint256 memberId => uint256[] claimIds) private _memberClaims;
    uint256 private _nextClaimId = FIRST_CLAIM_ID;
    uint256 private _claimCount;

    constructor(address registry_, address cover_, address initialOwner) Ownable(initialOwner) {
        registry = INexusRegistry(registry_);
        cover = MockNexusMutualCover(cover_);
        coverNFT = INexusCoverNFT(cover.coverNFT());
        _assessments = new MockNexusMutualAssessments(registry_, initialOwner);
    }

    /// @notice Sets the next claim id to `lastClaimId + 1` (before any claim; the real one is Governor-only).
    function initialize(uint256 lastClaimId) external onlyOwner {
        if (_claimCount != 0) revert AlreadyInitialized();
        _nextClaimId = lastClaimId + 1;
    }

    /// @inheritdoc INexusClaims
    function submitClaim(uint32 coverId, uint96 requestedAmount, bytes32 ipfsMetadata)
        external
        payable
        returns (Claim memory claim)
    {
        _whenNotPaused();
        uint256 memberId = registry.getMemberId(msg.sender);
        if (memberId == 0) revert OnlyMember();
        if (coverNFT.ownerOf(coverId) != msg.sender) revert NotCoverOwner();

        uint256 claimId = _nextClaimId++;
        ++_claimCount;
        _memberClaims[memberId].push(claimId);

        uint256 previousClaimId = lastClaimSubmissionOnCover[coverId];
        if (previousClaimId > 0) {
            Assessment memory previous = _assessments.getAssessment(previousClaimId);
            if (_status(previous) != AssessmentStatus.FINALIZED) revert ClaimIsBeingAssessed();
            if (_isRedeemable(_claims[previousClaimId], previous)) revert PayoutCanStillBeRedeemed();
        }
        lastClaimSubmissionOnCover[coverId] = claimId;

        INexusCover.CoverData memory coverData = cover.getCoverData(coverId);
        (INexusCoverProducts.Product memory product, INexusCoverProducts.ProductType memory productType) =
            INexusCoverProducts(cover.coverProducts()).getProductWithType(coverData.productId);
        if (productType.claimMethod != INDIVIDUAL_CLAIMS) revert InvalidClaimMethod();
        if (requestedAmount > coverData.amount) revert CoveredAmountExceeded();
        if (block.timestamp <= coverData.start) revert CantBuyCoverAndClaimInTheSameBlock();
        if (uint256(coverData.start) + coverData.period + coverData.gracePeriod <= block.timestamp) {
            revert GracePeriodPassed();
        }

        emit ClaimSubmitted(msg.sender, claimId, coverId, coverData.productId);

        _assessments.startAssessment(claimId, product.productType, productType.assessmentCooldownPeriod);

        claim = Claim({
            coverId: coverId,
            amount: requestedAmount,
            coverAsset: coverData.coverAsset,
            payoutRedemptionPeriod: productType.payoutRedemptionPeriod,
            payoutRedeemed: false,
            depositRetrieved: false
        });
        _claims[claimId] = claim;

        if (ipfsMetadata != bytes32(0)) {
            _claimsMetadata[claimId] = ipfsMetadata;
            emit MetadataSubmitted(claimId, ipfsMetadata);
        }

        if (msg.value != CLAIM_DEPOSIT_IN_ETH) revert AssessmentDepositNotExact();
        // solhint-disable-next-line avoid-low-level-calls
        (bool transferSucceeded,) = cover.pool().call{value: CLAIM_DEPOSIT_IN_ETH}("");
        if (!transferSucceeded) revert AssessmentDepositTransferToPoolFailed();
    }

    /// @inheritdoc INexusClaims
    function redeemClaimPayout(uint256 claimId) external {
        if (!registry.isMember(msg.sender)) revert OnlyMember();
        _whenNotPaused();
        Claim memory claim = _claims[claimId];
        if (claim.coverId == 0) revert InvalidClaimId();
        address coverOwner = coverNFT.ownerOf(claim.coverId);
        if (coverOwner != msg.sender) revert NotCoverOwner();
        if (!_isRedeemable(claim, _assessments.getAssessment(claimId))) revert ClaimNotRedeemable();

        _claims[claimId].payoutRedeemed = true;
        _claims[claimId].depositRetrieved = true;

        cover.burnStake(claim.coverId, claim.amount);
        MockNexusMutualPool(payable(cover.pool())).sendPayout(
            claim.coverAsset, payable(coverOwner), claim.amount, CLAIM_DEPOSIT_IN_ETH
        );

        emit ClaimPayoutRedeemed(coverOwner, claim.amount, claimId, claim.coverId);
        emit ClaimDepositRetrieved(claimId, coverOwner);
    }

    /// @inheritdoc INexusClaims
    function retrieveDeposit(uint256 claimId) external {
        _whenNotPaused();
        Claim memory claim = _claims[claimId];
        if (claim.coverId == 0) revert InvalidClaimId();
        if (_outcome(_assessments.getAssessment(claimId)) != AssessmentOutcome.DRAW) revert ClaimNotADraw();
        if (claim.depositRetrieved) revert DepositAlreadyRetrieved();

        _claims[claimId].depositRetrieved = true;
        address coverOwner = coverNFT.ownerOf(claim.coverId);
        MockNexusMutualPool(payable(cover.pool())).sendPayout(0, payable(coverOwner), 0, CLAIM_DEPOSIT_IN_ETH);

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
        Assessment memory assessment = _assessments.getAssessment(claimId);
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

    /// @inheritdoc INexusClaims
    function pool() external view returns (address) {
        return cover.pool();
    }

    /// @inheritdoc INexusClaims
    function assessments() external view returns (address) {
        return address(_assessments);
    }

    /// @notice The CoverProducts contract.
    function coverProducts() external view returns (address) {
        return cover.coverProducts();
    }

    function _whenNotPaused() private view {
        uint256 config = registry.getPauseConfig();
        if (config & (PAUSE_CLAIMS | PAUSE_GLOBAL) != 0) revert Paused(config, PAUSE_CLAIMS);
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

    // ---- test-only controls ----

    /// @notice Adds an anonymous assessor vote on `claimId` through the Assessments mock (which emits
    /// `VoteCast` from its own address).
    function mockNexusCastVote(uint256 claimId, bool support) external onlyOwner {
        _assessments.mockNexusCastVote(claimId, support);
    }
}
