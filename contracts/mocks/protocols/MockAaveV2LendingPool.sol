// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

// Aave v2 reverts with numeric string codes (protocol-v2 `Errors.sol`); callers match on them, so
// the string reverts below are deliberate. Function names follow the real ABI.
/* solhint-disable gas-custom-errors, func-name-mixedcase */

import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";
import {SafeERC20} from "@openzeppelin/contracts/token/ERC20/utils/SafeERC20.sol";
import {MockAaveV3AToken} from "./MockAaveV3AToken.sol";

/// @title MockAaveV2LendingPool
/// @notice Test-only stand-in for the Aave v2 `LendingPool` (and forks such as Radiant v1/v2):
/// `deposit(asset, amount, onBehalfOf, referralCode)`, `withdraw(asset, amount, to)`,
/// `getReserveNormalizedIncome`, and `getReserveData` returning the real v2 `DataTypes.ReserveData`
/// layout (configuration, liquidityIndex, variableBorrowIndex, currentLiquidityRate,
/// currentVariableBorrowRate, currentStableBorrowRate, lastUpdateTimestamp, aTokenAddress,
/// stableDebtTokenAddress, variableDebtTokenAddress, interestRateStrategyAddress, uint8 id).
/// @dev The aToken is the v3 stand-in (`MockAaveV3AToken`): an Aave v2 aToken has the same reads —
/// `balanceOf` = scaled balance × the pool's `getReserveNormalizedIncome`, `scaledBalanceOf`,
/// `totalSupply`, `scaledTotalSupply`, `POOL()`, `UNDERLYING_ASSET_ADDRESS()` — and differs only in
/// pool-only entry points (v2's mint/burn revert codes 56/57 read 39/40 here).
/// Simplifies: no interest-rate strategy, no collateral or health factor, no debt tokens (their
/// addresses read 0), no flash loans. The index only rises (`mockAccrueIncome`). A theft
/// (`mockExploitBorrow`: a borrow against worthless collateral) takes underlying out of the aToken
/// and leaves every balance and the index untouched — as the real pool does; the loss shows as
/// missing cash, not as a lower aToken balance.
contract MockAaveV2LendingPool {
    using SafeERC20 for IERC20;

    uint256 internal constant RAY = 1e27; // index unit

    struct ReserveConfigurationMap {
        uint256 data;
    }

    /// @notice Aave v2 `DataTypes.ReserveData`, field for field.
    struct ReserveData {
        ReserveConfigurationMap configuration;
        uint128 liquidityIndex;
        uint128 variableBorrowIndex;
        uint128 currentLiquidityRate;
        uint128 currentVariableBorrowRate;
        uint128 currentStableBorrowRate;
        uint40 lastUpdateTimestamp;
        address aTokenAddress;
        address stableDebtTokenAddress;
        address variableDebtTokenAddress;
        address interestRateStrategyAddress;
        uint8 id;
    }

    mapping(address asset => ReserveData data) internal _reserves;
    uint8 internal _reservesCount;
    address public immutable OWNER;

    /// @notice As Aave v2 `Deposit`.
    event Deposit(address indexed reserve, address user, address indexed onBehalfOf, uint256 amount, uint16 indexed referral);
    /// @notice As Aave v2 `Withdraw`.
    event Withdraw(address indexed reserve, address indexed user, address indexed to, uint256 amount);
    /// @notice Test helper: an exploit borrowed `amount` it will never repay.
    event MockExploitBorrowed(address indexed asset, address indexed to, uint256 amount);
    /// @notice Test helper: a reserve was listed.
    event MockReserveInitialized(address indexed asset, address indexed aToken);
    /// @notice Test helper: the liquidity index rose.
    event MockLiquidityIndexSet(address indexed asset, uint256 liquidityIndex);

    constructor() {
        OWNER = msg.sender;
    }

    /// @notice Test helper: lists `asset` with a new aToken at index 1 ray.
    function mockInitReserve(address asset, string calldata name, string calldata symbol, uint8 decimals) external returns (address aToken) {
        require(msg.sender == OWNER, "33"); // CALLER_NOT_POOL_ADMIN
        require(_reserves[asset].aTokenAddress == address(0), "32"); // RL_RESERVE_ALREADY_INITIALIZED
        aToken = address(new MockAaveV3AToken(address(this), asset, name, symbol, decimals));
        ReserveData storage r = _reserves[asset];
        r.liquidityIndex = uint128(RAY);
        r.variableBorrowIndex = uint128(RAY);
        r.lastUpdateTimestamp = uint40(block.timestamp);
        r.aTokenAddress = aToken;
        r.id = _reservesCount++;
        emit MockReserveInitialized(asset, aToken);
    }

    function deposit(address asset, uint256 amount, address onBehalfOf, uint16 referralCode) external {
        ReserveData storage r = _reserves[asset];
        require(r.aTokenAddress != address(0), "2"); // VL_NO_ACTIVE_RESERVE
        require(amount != 0, "1"); // VL_INVALID_AMOUNT
        // As the real pool (`SafeERC20.safeTransferFrom`): USDT returns no bool.
        IERC20(asset).safeTransferFrom(msg.sender, r.aTokenAddress, amount);
        MockAaveV3AToken(r.aTokenAddress).mint(onBehalfOf, amount, r.liquidityIndex);
        emit Deposit(asset, msg.sender, onBehalfOf, amount, referralCode);
    }

    function withdraw(address asset, uint256 amount, address to) external returns (uint256) {
        ReserveData storage r = _reserves[asset];
        MockAaveV3AToken aToken = MockAaveV3AToken(r.aTokenAddress);
        uint256 balance = aToken.balanceOf(msg.sender);
        uint256 amountToWithdraw = amount == type(uint256).max ? balance : amount;
        require(amountToWithdraw != 0 && amountToWithdraw <= balance, "5"); // VL_NOT_ENOUGH_AVAILABLE_USER_BALANCE
        aToken.burn(msg.sender, to, amountToWithdraw, r.liquidityIndex);
        emit Withdraw(asset, msg.sender, to, amountToWithdraw);
        return amountToWithdraw;
    }

    function getReserveNormalizedIncome(address asset) external view returns (uint256) {
        return _reserves[asset].liquidityIndex;
    }

    function getReserveData(address asset) external view returns (ReserveData memory) {
        return _reserves[asset];
    }

    /// @notice Test helper: interest accrues — the index rises to `liquidityIndex` (ray).
    /// @dev The caller funds the aToken with the matching underlying for withdrawals to work.
    function mockAccrueIncome(address asset, uint256 liquidityIndex) external {
        require(msg.sender == OWNER, "33");
        ReserveData storage r = _reserves[asset];
        require(liquidityIndex >= r.liquidityIndex, "index only rises");
        r.liquidityIndex = uint128(liquidityIndex);
        r.lastUpdateTimestamp = uint40(block.timestamp);
        emit MockLiquidityIndexSet(asset, liquidityIndex);
    }

    /// @notice Test helper: an attacker borrows `amount` against worthless collateral (never repaid).
    function mockExploitBorrow(address asset, address to, uint256 amount) external {
        require(msg.sender == OWNER, "33");
        MockAaveV3AToken(_reserves[asset].aTokenAddress).transferUnderlyingTo(to, amount);
        emit MockExploitBorrowed(asset, to, amount);
    }
}
