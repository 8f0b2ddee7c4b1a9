// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

// Names follow the real Yearn v2 `Vault.vy` ABI (yearn/yearn-vaults): lower-case immutables
// (`token`, `decimals` are Vyper publics), reasoned reverts where the Vyper vault asserts.
/* solhint-disable gas-custom-errors, immutable-vars-naming */

import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";

/// @title MockYearnV2Vault
/// @notice Test-only stand-in for a Yearn v2 vault (`Vault.vy` 0.4.x): `token()`, `decimals()`
/// (uint256, as the Vyper public), `balanceOf`, `totalSupply`, `transfer`, `totalAssets`,
/// `pricePerShare()` = 10**decimals × freeFunds / totalSupply (10**decimals when empty),
/// `deposit(_amount, recipient)` and `withdraw(maxShares, recipient, maxLoss)` with the real
/// signatures. Shares are issued as `_issueSharesForAmount` does: amount × totalSupply / freeFunds.
/// @dev Simplifies: no strategies, no locked profit (freeFunds = totalAssets), no fees, no deposit
/// limit, no guest list. A strategy's loss (a hack in a strategy, reported by `report`) is
/// `mockStrategyLoss`: assets leave the vault; share balances never move, `pricePerShare` falls —
/// as on mainnet, a theft never lowers a holder's share balance.
contract MockYearnV2Vault {
    IERC20 public immutable token;
    uint256 public immutable decimals;
    address public immutable OWNER;
    string public name;
    string public symbol;
    uint256 public totalSupply;
    mapping(address account => uint256 shares) public balanceOf;

    /// @notice As `Vault.vy` `Transfer`.
    event Transfer(address indexed sender, address indexed receiver, uint256 value);
    /// @notice Test helper: a strategy lost `amount` of the vault's assets to `to`.
    event MockStrategyLoss(address indexed to, uint256 amount, uint256 pricePerShare);

    constructor(IERC20 token_, uint8 decimals_, string memory name_, string memory symbol_) {
        token = token_;
        decimals = decimals_;
        name = name_;
        symbol = symbol_;
        OWNER = msg.sender;
    }

    /// @notice The vault's assets (all idle here).
    function totalAssets() public view returns (uint256) {
        return token.balanceOf(address(this));
    }

    /// @notice The value of 10**decimals shares in the token.
    function pricePerShare() external view returns (uint256) {
        return _shareValue(10 ** decimals);
    }

    /// @notice Deposits `_amount` of the token for `recipient`; returns the shares issued.
    function deposit(uint256 _amount, address recipient) external returns (uint256 shares) {
        require(_amount > 0, "amount");
        uint256 assets = totalAssets();
        shares = totalSupply == 0 || assets == 0 ? _amount : (_amount * totalSupply) / assets;
        require(shares != 0, "shares");
        require(token.transferFrom(msg.sender, address(this), _amount), "transfer");
        totalSupply += shares;
        balanceOf[recipient] += shares;
        emit Transfer(address(0), recipient, shares);
    }

    /// @notice Burns up to `maxShares` of the caller's shares for their value to `recipient`.
    /// @param maxLoss Ignored (no strategies to withdraw from here).
    function withdraw(uint256 maxShares, address recipient, uint256 maxLoss) external returns (uint256 value) {
        maxLoss;
        uint256 shares = maxShares > balanceOf[msg.sender] ? balanceOf[msg.sender] : maxShares;
        require(shares > 0, "shares");
        value = _shareValue(shares);
        balanceOf[msg.sender] -= shares;
        totalSupply -= shares;
        emit Transfer(msg.sender, address(0), shares);
        require(token.transfer(recipient, value), "transfer");
    }

    /// @notice Moves shares, as `Vault.vy` `transfer`.
    function transfer(address receiver, uint256 amount) external returns (bool) {
        require(receiver != address(0) && receiver != address(this), "receiver");
        balanceOf[msg.sender] -= amount;
        balanceOf[receiver] += amount;
        emit Transfer(msg.sender, receiver, amount);
        return true;
    }

    /// @notice Test helper: a strategy loses `amount` of the vault's assets to `to` (the attacker).
    function mockStrategyLoss(address to, uint256 amount) external {
        require(msg.sender == OWNER, "owner");
        require(token.transfer(to, amount), "transfer");
        emit MockStrategyLoss(to, amount, _shareValue(10 ** decimals));
    }

    function _shareValue(uint256 shares) internal view returns (uint256) {
        if (totalSupply == 0) return shares;
        return (shares * totalAssets()) / totalSupply;
    }
}
