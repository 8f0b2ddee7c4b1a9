// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {INexusCover} from "./INexusCover.sol";

/// @title INexusClaims
/// @notice The subset of the Nexus Mutual v3 `Claims` contract (the one that replaced IndividualClaims)
/// and of the `Assessments` types that the fund's adapter uses.
/// @dev Verified against `@nexusmutual/deployments@3.4.0` (`dist/data/abis/Claims.json`, mainnet
/// `Claims` = 0xcafeac11196a5CC352938aEEd545b32d5b9646fa; `Assessments.json`, mainnet
/// 0xcafea55aE10FB1bf21F7aF7a285488C42B59a24A) and NexusMutual/smart-contracts
/// `contracts/modules/assessment/Claims.sol`, `contracts/interfaces/IAssessments.sol`,
/// `contracts/modules/assessment/AssessmentLib.sol`, `contracts/modules/assessment/Assessments.sol`.
///
/// Verified behaviour:
/// - `submitClaim(uint32 coverId, uint96 requestedAmount, bytes32 ipfsMetadata) payable` RETURNS THE
///   `Claim` STRUCT, NOT THE CLAIM ID. The id is read afterwards from `lastClaimSubmissionOnCover(coverId)`.
///   Checks in order: claims pause (`Paused(config, 32)`), member (`OnlyMember`), cover NFT owner
///   (`NotCoverOwner`), the previous claim on the cover is FINALIZED (`ClaimIsBeingAssessed`) and not
///   still redeemable (`PayoutCanStillBeRedeemed`), the product type's claim method is IndividualClaims
///   (`InvalidClaimMethod`), `requestedAmount <= cover.amount` (`CoveredAmountExceeded`),
///   `block.timestamp > cover.start` (`CantBuyCoverAndClaimInTheSameBlock`),
///   `cover.start + period + gracePeriod > block.timestamp` (`GracePeriodPassed`),
///   `msg.value == CLAIM_DEPOSIT_IN_ETH` (`AssessmentDepositNotExact`). The deposit (0.05 ETH) goes to the
///   Pool. `ipfsMetadata` is the sha2-256 digest of the CIDv0 of the claim proof JSON (the CID's
///   multihash without its 0x1220 prefix); Nexus's UI and assessors read the proof from IPFS.
/// - Claim ids continue the legacy numbering: `initialize(lastClaimId)` sets the next id to
///   `lastClaimId + 1`, so ids on mainnet do not start at 1.
/// - Voting lasts `VOTING_PERIOD = 3 days` from submission (Assessments.sol) unless closed early or
///   extended (see `INexusAssessments`); status is VOTING while
///   `now < votingEnd`, COOLDOWN while `now <= votingEnd + cooldownPeriod`, then FINALIZED. The outcome is
///   PENDING until then, then ACCEPTED (accept > deny), DENIED (deny > accept) or DRAW (equal).
/// - `redeemClaimPayout(claimId)`: member + cover NFT owner; redeemable iff ACCEPTED and
///   `now < votingEnd + cooldownPeriod + claim.payoutRedemptionPeriod` and not redeemed
///   (`ClaimNotRedeemable`). The Pool sends the payout in the cover asset AND the ETH deposit to the cover
///   NFT owner in the same call (`pool.sendPayout(asset, owner, amount, CLAIM_DEPOSIT_IN_ETH)`).
/// - `retrieveDeposit(claimId)`: anyone; only for a DRAW (`ClaimNotADraw`), once
///   (`DepositAlreadyRetrieved`); the Pool sends the ETH deposit to the current cover NFT owner.
///   A DENIED claim keeps the deposit.
/// - ETH is sent by the POOL (`Claims.pool()`), with a plain `call` (all gas), never by Claims itself.
/// - The cooldown and the redemption period come from the product type (`assessmentCooldownPeriod`,
///   `payoutRedemptionPeriod`). NexusMutual/smart-contracts fork tests set them to 1 day and 30 days on
///   upgrade; the live per-product-type values were NOT verified against chain state.
/// - Enum order `AssessmentOutcome { PENDING, ACCEPTED, DENIED, DRAW }` is taken from `IAssessments.sol`
///   at the version whose `Assessment` struct matches the deployed ABI (no `payoutRedemptionPeriod` field
///   in `Assessment`); an unreleased branch of the repo reorders it (DRAW before DENIED) and moves the
///   redemption period into `Assessment` — re-check on the next Nexus release.
interface INexusClaims {
    /// @notice Assessment status (AssessmentLib.getStatus).
    enum AssessmentStatus {
        VOTING,
        COOLDOWN,
        FINALIZED
    }

    /// @notice Assessment outcome (AssessmentLib.getOutcome).
    enum AssessmentOutcome {
        PENDING,
        ACCEPTED,
        DENIED,
        DRAW
    }

    /// @notice Stored claim. Packing: 32 + 96 + 8 + 32 + 8 + 8 = 184 bits, one slot.
    struct Claim {
        uint32 coverId;
        uint96 amount;
        uint8 coverAsset;
        uint32 payoutRedemptionPeriod;
        bool payoutRedeemed;
        bool depositRetrieved;
    }

    /// @notice Stored assessment. Packing: 16 + 32 + 32 + 32 + 8 + 8 = 128 bits, one slot.
    struct Assessment {
        uint16 assessingGroupId;
        uint32 cooldownPeriod;
        uint32 start;
        uint32 votingEnd;
        uint8 acceptVotes;
        uint8 denyVotes;
    }

    /// @notice Aggregated view returned by `getClaimDetails`.
    struct ClaimDetails {
        uint256 claimId;
        Claim claim;
        INexusCover.CoverData cover;
        Assessment assessment;
        AssessmentStatus status;
        AssessmentOutcome outcome;
        bool redeemable;
        bytes32 ipfsMetadata;
    }

    event ClaimSubmitted(address indexed user, uint256 claimId, uint256 indexed coverId, uint256 productId);
    event MetadataSubmitted(uint256 indexed claimId, bytes32 ipfsMetadata);
    event ClaimPayoutRedeemed(address indexed user, uint256 amount, uint256 claimId, uint256 coverId);
    event ClaimDepositRetrieved(uint256 indexed claimId, address indexed user);

    error AssessmentDepositNotExact();
    error CantBuyCoverAndClaimInTheSameBlock();
    error ClaimIsBeingAssessed();
    error ClaimNotADraw();
    error ClaimNotRedeemable();
    error CoveredAmountExceeded();
    error DepositAlreadyRetrieved();
    error GracePeriodPassed();
    error AssessmentDepositTransferToPoolFailed();
    error InvalidClaimId();
    error InvalidClaimMethod();
    error Paused(uint256 currentState, uint256 checks);
    error NotCoverOwner();
    error OnlyMember();
    error PayoutCanStillBeRedeemed();

    /// @notice Files a claim on `coverId`; `msg.value` must equal `CLAIM_DEPOSIT_IN_ETH`.
    /// @param coverId The cover to claim on (the caller must own its NFT).
    /// @param requestedAmount The payout asked for, in the cover asset.
    /// @param ipfsMetadata Proof-of-loss reference (emitted in `MetadataSubmitted` when non-zero).
    /// @return claim The stored claim (NOT its id; see `lastClaimSubmissionOnCover`).
    function submitClaim(uint32 coverId, uint96 requestedAmount, bytes32 ipfsMetadata)
        external
        payable
        returns (Claim memory claim);

    /// @notice Redeems an accepted claim: payout and ETH deposit go to the cover NFT owner.
    function redeemClaimPayout(uint256 claimId) external;

    /// @notice Returns the ETH deposit of a DRAW claim to the cover NFT owner.
    function retrieveDeposit(uint256 claimId) external;

    /// @notice The ETH deposit a claim needs (0.05 ether on mainnet).
    function CLAIM_DEPOSIT_IN_ETH() external view returns (uint256);

    /// @notice The stored claim (all zero for an unknown id).
    function getClaim(uint256 claimId) external view returns (Claim memory);

    /// @notice Claim, cover, assessment, status, outcome and redeemability; reverts `InvalidClaimId`.
    function getClaimDetails(uint256 claimId) external view returns (ClaimDetails memory);

    /// @notice The id the next claim will get (the real contract returns `_nextClaimId`).
    function getClaimsCount() external view returns (uint256);

    /// @notice The last claim filed on `coverId` (0 if none).
    function lastClaimSubmissionOnCover(uint256 coverId) external view returns (uint256 claimId);

    /// @notice The Pool, which sends payouts and returns deposits.
    function pool() external view returns (address);

    /// @notice The Assessments contract (voting; emits `AssessmentStarted`, `VoteCast`).
    function assessments() external view returns (address);
}
