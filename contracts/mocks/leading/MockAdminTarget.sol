// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {AccessControl} from "@openzeppelin/contracts/access/AccessControl.sol";
import {Ownable} from "@openzeppelin/contracts/access/Ownable.sol";
import {Pausable} from "@openzeppelin/contracts/utils/Pausable.sol";

/// @title MockAdminTarget
/// @notice Test-only protocol contract built from OpenZeppelin's Ownable, AccessControl and
/// Pausable, so the keeper's exploit watch reads their real `OwnershipTransferred`,
/// `RoleGranted` and `Paused` events. Also serves as a proxy implementation.
contract MockAdminTarget is Ownable, AccessControl, Pausable {
    /// @notice A non-default role (an upgrader), for tests of configured admin roles.
    bytes32 public constant UPGRADER_ROLE = keccak256("UPGRADER_ROLE");

    /// @notice Owned by, and DEFAULT_ADMIN_ROLE granted to, `initialOwner`.
    /// @param initialOwner Owner and DEFAULT_ADMIN_ROLE holder.
    constructor(address initialOwner) Ownable(initialOwner) {
        _grantRole(DEFAULT_ADMIN_ROLE, initialOwner);
    }

    /// @notice Pauses the contract (owner only).
    function pause() external onlyOwner {
        _pause();
    }

    /// @notice Unpauses the contract (owner only).
    function unpause() external onlyOwner {
        _unpause();
    }
}
