// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";
import {ERC20} from "@openzeppelin/contracts/token/ERC20/ERC20.sol";
import {ERC4626} from "@openzeppelin/contracts/token/ERC20/extensions/ERC4626.sol";
import {SafeERC20} from "@openzeppelin/contracts/token/ERC20/utils/SafeERC20.sol";

/// @title MockERC4626Vault
/// @notice Test-only stand-in for an ERC-4626 stablecoin vault (Yearn v3, MetaMorpho, sDAI-like):
/// OpenZeppelin's ERC4626 unchanged (`deposit`, `redeem`, `convertToAssets`, virtual-share
/// rounding), `totalAssets` = the asset balance the vault holds. Yield arrives as a plain transfer
/// of assets to the vault; an exploit as `mockExploitDrain`, which takes assets out so every share
/// is worth less.
contract MockERC4626Vault is ERC4626 {
    using SafeERC20 for IERC20;

    address public immutable OWNER;

    error MockVaultOnlyOwner(address caller);

    /// @notice Test helper: an exploit took `amount` of the asset.
    event MockExploitDrained(address indexed to, uint256 amount, uint256 totalAssetsAfter);

    constructor(IERC20 asset_, string memory name_, string memory symbol_) ERC20(name_, symbol_) ERC4626(asset_) {
        OWNER = msg.sender;
    }

    /// @notice Test helper: an exploit moves `amount` of the vault's assets to `to`.
    /// @param to Receiver (the attacker).
    /// @param amount Asset units.
    function mockExploitDrain(address to, uint256 amount) external {
        if (msg.sender != OWNER) revert MockVaultOnlyOwner(msg.sender);
        IERC20(asset()).safeTransfer(to, amount);
        emit MockExploitDrained(to, amount, totalAssets());
    }
}
