// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

// Aave v2 reverts with numeric string codes (protocol-v2 `Errors.sol`); callers match on them, so
// the string reverts below are deliberate. Function names follow the real ABI.
/* solhint-disable gas-custom-errors, func-name-mixedcase */

import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";

/// @notice What the aToken needs of its pool.
interface IMockAaveV2IncomeSource {
    /// @notice The reserve's liquidity index, ray.
    /// @param asset The underlying.
    /// @return The index.
    function getReserveNormalizedIncome(address asset) external view returns (uint256);
}

/// @title MockAaveV2AToken
/// @notice Test-only stand-in for an Aave v2 (Radiant and other forks) aToken: scaled balances,
/// `balanceOf` = scaled × the pool's normalized income (rayMul, half up), `scaledBalanceOf`,
/// `totalSupply`, `scaledTotalSupply`, `transfer`, `POOL()`, `UNDERLYING_ASSET_ADDRESS()`. The
/// aToken holds the reserve's underlying, as on mainnet.
contract MockAaveV2AToken {
    uint256 internal constant RAY = 1e27; // index unit
    IMockAaveV2IncomeSource public immutable POOL;
    address public immutable UNDERLYING_ASSET_ADDRESS;
    uint8 public immutable decimals;
    string public name;
    string public symbol;
    uint256 public scaledTotalSupply;
    mapping(address user => uint256 scaled) public scaledBalanceOf;

    event Transfer(address indexed from, address indexed to, uint256 value);

    constructor(IMockAaveV2IncomeSource pool, address underlying, string memory name_, string memory symbol_, uint8 decimals_) {
        POOL = pool;
        UNDERLYING_ASSET_ADDRESS = underlying;
        name = name_;
        symbol = symbol_;
        decimals = decimals_;
    }

    modifier onlyPool() {
        require(msg.sender == address(POOL), "29"); // CT_CALLER_MUST_BE_LENDING_POOL
        _;
    }

    function balanceOf(address user) public view returns (uint256) {
        return _rayMul(scaledBalanceOf[user], POOL.getReserveNormalizedIncome(UNDERLYING_ASSET_ADDRESS));
    }

    function totalSupply() external view returns (uint256) {
        return _rayMul(scaledTotalSupply, POOL.getReserveNormalizedIncome(UNDERLYING_ASSET_ADDRESS));
    }

    function transfer(address to, uint256 amount) external returns (bool) {
        uint256 scaled = _rayDiv(amount, POOL.getReserveNormalizedIncome(UNDERLYING_ASSET_ADDRESS));
        scaledBalanceOf[msg.sender] -= scaled;
        scaledBalanceOf[to] += scaled;
        emit Transfer(msg.sender, to, amount);
        return true;
    }

    /// @notice Pool only: mints `amount` at `index`.
    function mint(address user, uint256 amount, uint256 index) external onlyPool {
        uint256 scaled = _rayDiv(amount, index);
        require(scaled != 0, "56"); // CT_INVALID_MINT_AMOUNT
        scaledBalanceOf[user] += scaled;
        scaledTotalSupply += scaled;
        emit Transfer(address(0), user, amount);
    }

    /// @notice Pool only: burns `amount` of `user` at `index` and sends the underlying to `to`.
    function burn(address user, address to, uint256 amount, uint256 index) external onlyPool {
        uint256 scaled = _rayDiv(amount, index);
        require(scaled != 0, "57"); // CT_INVALID_BURN_AMOUNT
        scaledBalanceOf[user] -= scaled;
        scaledTotalSupply -= scaled;
        require(IERC20(UNDERLYING_ASSET_ADDRESS).transfer(to, amount), "transfer");
        emit Transfer(user, address(0), amount);
    }

    /// @notice Pool only: sends underlying out (a borrow).
    function transferUnderlyingTo(address target, uint256 amount) external onlyPool returns (uint256) {
        require(IERC20(UNDERLYING_ASSET_ADDRESS).transfer(target, amount), "transfer");
        return amount;
    }

    function _rayMul(uint256 a, uint256 b) internal pure returns (uint256) {
        return (a * b + RAY / 2) / RAY;
    }

    function _rayDiv(uint256 a, uint256 b) internal pure returns (uint256) {
        return (a * RAY + b / 2) / b;
    }
}

