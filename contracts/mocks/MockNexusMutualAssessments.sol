// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {Ownable} from "@openzeppelin/contracts/access/Ownable.sol";
import {SafeCast} from "@openzeppelin/contracts/utils/math/SafeCast.sol";
import {INexusAssessments} from "../interfaces/nexus/INexusAssessments.sol";
import {INexusClaims} from "../interfaces/nexus/INexusClaims.sol";
import {INexusRegistry} from "../interfaces/nexus/INexusRegistry.sol";

/// @title MockNexusMutualAssessments
/// @notice Local stand-in for the Nexus Mutual v3.1 `Assessments` contract: the assessment timeline
/// (`startAssessment` by Claims, 3-day voting), one assessor group whose members vote once each with
/// `castVote`, `closeVotingEarly` once every group member voted, and the Governor's `extendVotingPeriod`
/// and `undoVotes` (here: the owner), which can reopen voting or flip an outcome during the cooldown.
/// Events are emitted from this contract's address, as on mainnet.
/// @dev Created by `MockNexusMutualClaims` (the only `startAssessment` caller). Test shortcut:
/// `mockNexusCastVote` adds an anonymous vote (assessor member id 0, not a group member) for the owner or
/// the Claims mock; such votes never count towards `closeVotingEarly`.
contract MockNexusMutualAssessments is INexusAssessments, Ownable {
    using SafeCast for uint256;

    /// @notice A cast vote (as `Assessments.ballotOf`).
    struct Ballot {
        uint32 timestamp;
        bool support;
    }

    /// @notice Registry-style access error (the real one carries the caller's contract index).
    error Unauthorized(address caller, uint256 callerIndex, uint256 authorizedBitmap);

    /// @notice Voting period (seconds), as `Assessments.VOTING_PERIOD`.
    uint256 public constant VOTING_PERIOD = 3 days;
    uint16 private constant ASSESSING_GROUP_ID = 1;
    uint256 private constant PAUSE_GLOBAL = 1;
    uint256 private constant PAUSE_ASSESSMENTS = 1 << 4;

    /// @notice The Claims contract (the only `startAssessment` caller).
    address public immutable claims;
    INexusRegistry public immutable registry;

    mapping(uint256 claimId => INexusClaims.Assessment) private _assessments;
    mapping(uint256 assessorMemberId => mapping(uint256 claimId => Ballot)) private _ballots;
    uint256[] private _groupAssessors;
    mapping(uint256 assessorMemberId => bool) private _inGroup;

    constructor(address registry_, address initialOwner) Ownable(initialOwner) {
        claims = msg.sender;
        registry = INexusRegistry(registry_);
    }

    /// @notice Starts the assessment of `claimId` (Claims only).
    function startAssessment(uint256 claimId, uint256, uint256 cooldownPeriod) external {
        if (msg.sender != claims) revert Unauthorized(msg.sender, 0, 1 << 4);
        if (_assessments[claimId].start != 0) revert AssessmentAlreadyExists();
        uint32 startTime = block.timestamp.toUint32();
        uint32 votingEndTime = (startTime + VOTING_PERIOD).toUint32();
        _assessments[claimId] = INexusClaims.Assessment({
            assessingGroupId: ASSESSING_GROUP_ID,
            cooldownPeriod: cooldownPeriod.toUint32(),
            start: startTime,
            votingEnd: votingEndTime,
            acceptVotes: 0,
            denyVotes: 0
        });
        emit AssessmentStarted(claimId, ASSESSING_GROUP_ID, startTime, votingEndTime);
    }

    /// @notice Casts the caller's vote (the caller must be a member in the assessor group).
    function castVote(uint256 claimId, bool voteSupport, bytes32 ipfsHash) external {
        uint256 config = registry.getPauseConfig();
        if (config & (PAUSE_ASSESSMENTS | PAUSE_GLOBAL) != 0) revert Paused(config, PAUSE_ASSESSMENTS);
        uint256 assessorMemberId = registry.getMemberId(msg.sender);
        if (assessorMemberId == 0) revert OnlyMember();
        INexusClaims.Assessment memory assessment = _assessments[claimId];
        if (assessment.start == 0) revert InvalidClaimId();
        if (!_inGroup[assessorMemberId]) revert InvalidAssessor();
        if (block.timestamp >= assessment.votingEnd) revert VotingPeriodEnded();
        if (_ballots[assessorMemberId][claimId].timestamp != 0) revert AlreadyVoted();
        _count(claimId, voteSupport);
        _ballots[assessorMemberId][claimId] = Ballot({timestamp: uint32(block.timestamp), support: voteSupport});
        emit VoteCast(claimId, msg.sender, assessorMemberId, voteSupport, ipfsHash);
    }

    /// @inheritdoc INexusAssessments
    function closeVotingEarly(uint256 claimId) external {
        INexusClaims.Assessment memory assessment = _assessments[claimId];
        if (assessment.start == 0) revert InvalidClaimId();
        if (block.timestamp >= assessment.votingEnd) revert VotingAlreadyClosed();
        for (uint256 i; i < _groupAssessors.length; ++i) {
            if (_ballots[_groupAssessors[i]][claimId].timestamp == 0) revert NotEverybodyVoted();
        }
        _assessments[claimId].votingEnd = block.timestamp.toUint32();
        emit VotingEndChanged(claimId, block.timestamp);
    }

    /// @notice Starts a new full voting window from now (the Governor's power; here the owner's), even
    /// during the cooldown.
    function extendVotingPeriod(uint256 claimId) external onlyOwner {
        if (_assessments[claimId].start == 0) revert InvalidClaimId();
        uint32 votingEnd = (block.timestamp + VOTING_PERIOD).toUint32();
        _assessments[claimId].votingEnd = votingEnd;
        emit VotingEndChanged(claimId, votingEnd);
    }

    /// @notice Removes `assessorMemberId`'s votes on `claimIds` (the Governor's power; here the owner's).
    function undoVotes(uint256 assessorMemberId, uint256[] calldata claimIds) external onlyOwner {
        for (uint256 i; i < claimIds.length; ++i) {
            uint256 claimId = claimIds[i];
            Ballot memory ballot = _ballots[assessorMemberId][claimId];
            if (ballot.timestamp == 0) revert HasNotVoted(claimId);
            if (ballot.support) {
                --_assessments[claimId].acceptVotes;
            } else {
                --_assessments[claimId].denyVotes;
            }
            delete _ballots[assessorMemberId][claimId];
            emit VoteUndone(claimId, assessorMemberId);
        }
    }

    /// @inheritdoc INexusAssessments
    function getAssessment(uint256 claimId) external view returns (INexusClaims.Assessment memory assessment) {
        return _assessments[claimId];
    }

    /// @notice The vote of `assessorMemberId` on `claimId` (timestamp 0 = none).
    function ballotOf(uint256 claimId, uint256 assessorMemberId) external view returns (Ballot memory) {
        return _ballots[assessorMemberId][claimId];
    }

    /// @notice The minimum voting period.
    function minVotingPeriod() external pure returns (uint256) {
        return VOTING_PERIOD;
    }

    /// @notice The member ids of the assessor group.
    function getGroupAssessors(uint256) external view returns (uint256[] memory) {
        return _groupAssessors;
    }

    function _count(uint256 claimId, bool support) private {
        if (support) {
            ++_assessments[claimId].acceptVotes;
        } else {
            ++_assessments[claimId].denyVotes;
        }
    }

    // ---- test-only controls ----

    /// @notice Adds member `assessorMemberId` to the (single) assessor group.
    function mockNexusAddAssessor(uint256 assessorMemberId) external onlyOwner {
        if (assessorMemberId == 0) revert OnlyMember();
        if (_inGroup[assessorMemberId]) return;
        _inGroup[assessorMemberId] = true;
        _groupAssessors.push(assessorMemberId);
    }

    /// @notice Adds an anonymous vote (member id 0) while voting is open; owner or Claims mock only.
    function mockNexusCastVote(uint256 claimId, bool support) external {
        if (msg.sender != owner() && msg.sender != claims) revert OwnableUnauthorizedAccount(msg.sender);
        INexusClaims.Assessment memory assessment = _assessments[claimId];
        if (assessment.start == 0) revert InvalidClaimId();
        if (block.timestamp >= assessment.votingEnd) revert VotingPeriodEnded();
        _count(claimId, support);
        emit VoteCast(claimId, msg.sender, 0, support, bytes32(0));
    }
}
