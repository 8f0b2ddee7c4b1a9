// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {Ownable} from "@openzeppelin/contracts/access/Ownable.sol";
import {INexusRegistry} from "../interfaces/nexus/INexusRegistry.sol";

/// @title MockNexusMutualRegistry
/// @notice Local stand-in for the membership part of the Nexus Mutual `Registry`.
/// @dev The real `join` needs a KYC signature and a fee; here the owner grants membership directly.
contract MockNexusMutualRegistry is INexusRegistry, Ownable {
    mapping(address member => uint256 memberId) private _memberIds;
    uint256 private _lastMemberId;

    constructor(address initialOwner) Ownable(initialOwner) {}

    /// @inheritdoc INexusRegistry
    function isMember(address member) external view returns (bool) {
        return _memberIds[member] != 0;
    }

    /// @inheritdoc INexusRegistry
    function getMemberId(address member) external view returns (uint256) {
        return _memberIds[member];
    }

    // ---- test-only controls ----

    /// @notice Grants (`isMember_`) or revokes membership of `member`.
    function mockNexusSetMember(address member, bool isMember_) external onlyOwner {
        uint256 previousId = _memberIds[member];
        if (isMember_ && previousId == 0) {
            uint256 memberId = ++_lastMemberId;
            _memberIds[member] = memberId;
            emit MembershipChanged(memberId, address(0), member);
        } else if (!isMember_ && previousId != 0) {
            delete _memberIds[member];
            emit MembershipChanged(previousId, member, address(0));
        }
    }
}
