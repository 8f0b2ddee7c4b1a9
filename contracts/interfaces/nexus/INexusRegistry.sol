// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

/// @title INexusRegistry
/// @notice Membership reads of the Nexus Mutual `Registry`.
/// @dev Verified against `@nexusmutual/deployments@3.4.0` `dist/data/abis/Registry.json` (mainnet
/// 0xcafea2c575550512582090AA06d0a069E7236b9e) and the NexusMutual/smart-contracts Registry source
/// (file path not confirmed by the search index): `join(member, signature)` is payable, may be called by
/// anyone for `member`, needs the exact `JOIN_FEE` and a KYC signature over `member`. The adapter
/// contract itself must be joined this way before it can buy cover or claim (Cover and Claims check
/// `registry.getMemberId(msg.sender) != 0`).
interface INexusRegistry {
    /// @notice Emitted when a membership is created, switched or removed.
    event MembershipChanged(uint256 indexed memberId, address indexed previous, address indexed current);

    /// @notice Whether `member` is a Nexus Mutual member.
    function isMember(address member) external view returns (bool);

    /// @notice The member id of `member` (0 when not a member).
    function getMemberId(address member) external view returns (uint256);
}
