// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";
import {SafeERC20} from "@openzeppelin/contracts/token/ERC20/utils/SafeERC20.sol";

/// @title SafeERC20Caller
/// @notice Test-only contract that moves tokens it holds or is approved for, once through
/// OpenZeppelin's SafeERC20 and once through a plain `IERC20` call that decodes a `bool`, to show
/// which path survives non-standard tokens such as USDT.
contract SafeERC20Caller {
    using SafeERC20 for IERC20;

    /// @notice Sends `amount` of this contract's `token` to `to` with `SafeERC20.safeTransfer`.
    /// @param token The token.
    /// @param to The receiver.
    /// @param amount The amount in token units.
    function safeTransfer(IERC20 token, address to, uint256 amount) external {
        token.safeTransfer(to, amount);
    }

    /// @notice Moves `amount` from `from` to `to` with `SafeERC20.safeTransferFrom`.
    /// @param token The token.
    /// @param from The holder, who approved this contract.
    /// @param to The receiver.
    /// @param amount The amount in token units.
    function safeTransferFrom(IERC20 token, address from, address to, uint256 amount) external {
        token.safeTransferFrom(from, to, amount);
    }

    /// @notice Sets this contract's allowance for `spender` with `SafeERC20.forceApprove`.
    /// @param token The token.
    /// @param spender The spender.
    /// @param amount The new allowance in token units.
    function forceApprove(IERC20 token, address spender, uint256 amount) external {
        token.forceApprove(spender, amount);
    }

    /// @notice Sends `amount` through a plain `IERC20.transfer`, decoding its `bool`.
    /// @dev Reverts (no data) on a token that returns nothing: the ABI decoder expects 32 bytes.
    /// @param token The token.
    /// @param to The receiver.
    /// @param amount The amount in token units.
    /// @return The token's answer.
    function plainTransfer(IERC20 token, address to, uint256 amount) external returns (bool) {
        return token.transfer(to, amount);
    }

    /// @notice Sets an allowance through a plain `IERC20.approve`, decoding its `bool`.
    /// @param token The token.
    /// @param spender The spender.
    /// @param amount The new allowance in token units.
    /// @return The token's answer.
    function plainApprove(IERC20 token, address spender, uint256 amount) external returns (bool) {
        return token.approve(spender, amount);
    }
}
