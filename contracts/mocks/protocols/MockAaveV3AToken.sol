// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

// Aave V3 reverts with numeric string codes (aave-v3-core `Errors.sol`), so the string reverts
// below are deliberate. ERC-20 and aToken names (`UNDERLYING_ASSET_ADDRESS`, `POOL`) follow the real ABI.
/* solhint-disable gas-custom-errors, func-name-mixedcase, gas-indexed-events */

import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";
import {SafeERC20} from "@openzeppelin/contracts/token/ERC20/utils/SafeERC20.sol";
import {MockScaledBalanceToken} from "./MockScaledBalanceToken.sol";

/// @title MockAaveV3AToken
/// @notice Test-only stand-in for an Aave aToken, used by the Aave v2 lending-pool stand-in
/// (`MockAaveV2LendingPool`, Radiant-style; Aave v3 itself runs on the real Aave core v3
/// bytecode in the tests and the demo): balances are stored scaled and read as `scaled ×
/// liquidityIndex` (ray, rounded half up like `WadRayMath.rayMul`), so they grow with the pool's
/// index, which never goes down — as on the real pools, a theft leaves every balance where it
/// was. Holds the reserve's underlying. Only the pool mints, burns and moves the underlying (error "11").
/// @dev Mirrored from aave-v3-core `AToken`/`ScaledBalanceTokenBase` (facts only): mint scales with
/// `rayDiv` (half up) and reverts "39" on a zero scaled amount, burn likewise "40"; transfers move
/// scaled amounts. Not mirrored: permit, incentives controller, treasury minting, delegation.
contract MockAaveV3AToken is MockScaledBalanceToken {
    using SafeERC20 for IERC20;

    string public name;
    string public symbol;

    mapping(address owner => mapping(address spender => uint256 amount)) public allowance;

    event Approval(address indexed owner, address indexed spender, uint256 value);
    /// @notice As Aave V3 `IScaledBalanceToken.Mint`.
    event Mint(address indexed caller, address indexed onBehalfOf, uint256 value, uint256 balanceIncrease, uint256 index);
    /// @notice As Aave V3 `IScaledBalanceToken.Burn`.
    event Burn(address indexed from, address indexed target, uint256 value, uint256 balanceIncrease, uint256 index);

    constructor(address pool, address underlying, string memory name_, string memory symbol_, uint8 decimals_) MockScaledBalanceToken(pool, underlying, decimals_) {
        name = name_;
        symbol = symbol_;
    }

    modifier onlyPool() {
        require(msg.sender == POOL, "11"); // CALLER_MUST_BE_POOL
        _;
    }

    /// @notice ERC-20 approve.
    /// @param spender The spender.
    /// @param amount Underlying units.
    /// @return Always true.
    function approve(address spender, uint256 amount) external returns (bool) {
        allowance[msg.sender][spender] = amount;
        emit Approval(msg.sender, spender, amount);
        return true;
    }

    /// @notice ERC-20 transfer of `amount` underlying units (moved as scaled units).
    /// @param to The receiver.
    /// @param amount Underlying units.
    /// @return Always true.
    function transfer(address to, uint256 amount) external returns (bool) {
        _transfer(msg.sender, to, amount);
        return true;
    }

    /// @notice ERC-20 transferFrom.
    /// @param from The owner.
    /// @param to The receiver.
    /// @param amount Underlying units.
    /// @return Always true.
    function transferFrom(address from, address to, uint256 amount) external returns (bool) {
        uint256 allowed = allowance[from][msg.sender];
        require(allowed >= amount, "ERC20: transfer amount exceeds allowance");
        if (allowed != type(uint256).max) allowance[from][msg.sender] = allowed - amount;
        _transfer(from, to, amount);
        return true;
    }

    /// @notice Pool only: mints `amount` at `index` to `onBehalfOf`.
    /// @param onBehalfOf The receiver.
    /// @param amount Underlying units.
    /// @param index The liquidity index, ray.
    function mint(address onBehalfOf, uint256 amount, uint256 index) external onlyPool {
        uint256 scaled = _rayDiv(amount, index);
        require(scaled != 0, "39"); // INVALID_MINT_AMOUNT
        _scaledBalances[onBehalfOf] += scaled;
        _scaledTotalSupply += scaled;
        emit Transfer(address(0), onBehalfOf, amount);
        emit Mint(msg.sender, onBehalfOf, amount, 0, index);
    }

    /// @notice Pool only: burns `amount` at `index` from `from` and sends the underlying to `target`.
    /// @param from The holder.
    /// @param target The receiver of the underlying.
    /// @param amount Underlying units.
    /// @param index The liquidity index, ray.
    function burn(address from, address target, uint256 amount, uint256 index) external onlyPool {
        uint256 scaled = _rayDiv(amount, index);
        require(scaled != 0, "40"); // INVALID_BURN_AMOUNT
        uint256 balance = _scaledBalances[from];
        // A full withdrawal can round one scaled unit above the balance: cap it.
        if (scaled > balance) scaled = balance;
        _scaledBalances[from] = balance - scaled;
        _scaledTotalSupply -= scaled;
        IERC20(UNDERLYING_ASSET_ADDRESS).safeTransfer(target, amount);
        emit Transfer(from, address(0), amount);
        emit Burn(from, target, amount, 0, index);
    }

    /// @notice Pool only: sends underlying held by this token to `target`.
    /// @param target The receiver.
    /// @param amount Underlying units.
    function transferUnderlyingTo(address target, uint256 amount) external onlyPool {
        IERC20(UNDERLYING_ASSET_ADDRESS).safeTransfer(target, amount);
    }

    function _transfer(address from, address to, uint256 amount) internal {
        uint256 scaled = _rayDiv(amount, _index());
        uint256 balance = _scaledBalances[from];
        require(balance >= scaled, "ERC20: transfer amount exceeds balance");
        _scaledBalances[from] = balance - scaled;
        _scaledBalances[to] += scaled;
        emit Transfer(from, to, amount);
    }

    function _index() internal view override returns (uint256) {
        return MockAaveV3PoolIncome(POOL).getReserveNormalizedIncome(UNDERLYING_ASSET_ADDRESS);
    }
}

/// @title MockAaveV3PoolIncome
/// @notice The one pool view the aToken reads.
interface MockAaveV3PoolIncome {
    /// @notice The reserve's liquidity index, ray.
    /// @param asset The underlying.
    /// @return The index.
    function getReserveNormalizedIncome(address asset) external view returns (uint256);
}
