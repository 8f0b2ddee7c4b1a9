// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {INexusClaims} from "./INexusClaims.sol";

/// @title INexusAssessments
/// @notice The Nexus Mutual v3 `Assessments` contract: voting on claims filed through `Claims`.
/// @dev Verified against `@nexusmutual/deployments@3.4.0` `dist/data/abis/Assessments.json` (mainnet
/// 0xcafea55aE10FB1bf21F7aF7a285488C42B59a24A) and NexusMutual/smart-contracts v3.1.0
/// `contracts/modules/assessment/Assessments.sol`:
/// - `startAssessment` (Claims only) sets `votingEnd = now + 3 days` and emits `AssessmentStarted`;
/// - assessors of the product type's group vote while `now < votingEnd` (`VotingPeriodEnded`);
/// - anyone may `closeVotingEarly` once every assessor of the group voted (`votingEnd = now`);
/// - the Governor may `extendVotingPeriod` at ANY time, even during the cooldown (`votingEnd = now +
///   3 days`), and `undoVotes` of a bad assessor, so an outcome can change until it is FINALIZED: read
///   `votingEnd` again on every poll, never cache it;
/// - these events come from the Assessments address, not from Claims.
interface INexusAssessments {
    event AssessmentStarted(uint256 indexed claimId, uint256 assessorGroupId, uint256 start, uint256 end);
    event VoteCast(
        uint256 indexed claimId, address indexed assessor, uint256 indexed assessorMemberId, bool support, bytes32 ipfsHash
    );
    event VotingEndChanged(uint256 indexed claimId, uint256 newEnd);
    event VoteUndone(uint256 indexed claimId, uint256 indexed assessorMemberId);

    error AlreadyVoted();
    error AssessmentAlreadyExists();
    error HasNotVoted(uint256 claimId);
    error InvalidAssessor();
    error InvalidClaimId();
    error NotEverybodyVoted();
    error OnlyMember();
    error Paused(uint256 currentState, uint256 checks);
    error VotingAlreadyClosed();
    error VotingPeriodEnded();

    /// @notice The assessment of `claimId` (all zero when none).
    function getAssessment(uint256 claimId) external view returns (INexusClaims.Assessment memory assessment);

    /// @notice Ends voting now once every assessor of the claim's group voted.
    function closeVotingEarly(uint256 claimId) external;
}
