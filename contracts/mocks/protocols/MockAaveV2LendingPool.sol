// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

// Aave v2 reverts with numeric string codes (protocol-v2 `Errors.sol`); callers match on them, so
// the string reverts below are deliberate. Function names follow the real ABI.
/* solhint-disable gas-custom-errors, func-name-mixedcase */

import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";
import {SafeERC20} from "@openzeppelin/contracts/token/ERC20/utils/SafeERC20.sol";
import {MockAaveV3AToken} from "./MockAaveV3AToken.sol";
import {MockAaveV2VariableDebtToken} from "./MockAaveV2VariableDebtToken.sol";

/// @title MockAaveV2LendingPool
/// @notice Test-only stand-in for the Aave v2 `LendingPool` (and forks such as Radiant v1/v2):
/// `deposit(asset, amount, onBehalfOf, referralCode)`, `withdraw(asset, amount, to)`,
/// `borrow(asset, amount, interestRateMode, referralCode, onBehalfOf)`, `repay`,
/// `getUserAccountData(user)` (totalCollateralETH, totalDebtETH, availableBorrowsETH,
/// currentLiquidationThreshold, ltv, healthFactor), `getReserveNormalizedIncome`,
/// `getReserveNormalizedVariableDebt`, `getReservesList`, and `getReserveData` returning the real v2
/// `DataTypes.ReserveData` layout (configuration, liquidityIndex, variableBorrowIndex,
/// currentLiquidityRate, currentVariableBorrowRate, currentStableBorrowRate, lastUpdateTimestamp,
/// aTokenAddress, stableDebtTokenAddress, variableDebtTokenAddress, interestRateStrategyAddress,
/// uint8 id) with the configuration bitmap as v2 packs it (LTV bits 0-15, liquidation threshold
/// 16-31, bonus 32-47, decimals 48-55, active 56, borrowing enabled 58). Events `Deposit`,
/// `Withdraw`, `Borrow` (v2's `uint256 borrowRateMode`), `Repay`, as protocol-v2 `ILendingPool`.
/// @dev The aToken is the v3 stand-in (`MockAaveV3AToken`): an Aave v2 aToken has the same reads —
/// `balanceOf` = scaled balance × the pool's `getReserveNormalizedIncome`, `scaledBalanceOf`,
/// `totalSupply`, `scaledTotalSupply`, `POOL()`, `UNDERLYING_ASSET_ADDRESS()` — and differs only in
/// pool-only entry points (v2's mint/burn revert codes 56/57 read 39/40 here). Debt is a
/// `MockAaveV2VariableDebtToken`.
/// Simplifies: prices come from the pool itself (`mockSetAssetPrice`, ETH wei per whole token, 1
/// ETH until set) instead of the addresses provider's price oracle; every reserve is collateral at
/// LTV 80%, threshold 85%, bonus 105%; variable-rate borrowing only (no stable debt token: its
/// address reads 0), no credit delegation (`onBehalfOf` must be the caller), no interest-rate
/// strategy (the indexes only move through `mockAccrueIncome` / `mockAccrueDebt`), no liquidations,
/// no flash loans. As on the real pool, indexes never go down and a theft — `mockExploitBorrow`, a
/// borrow against collateral that is worthless, or a real `borrow` against a collateral whose price
/// was pushed up — moves cash out of the aToken against debt nothing backs, and leaves every
/// supplier's balance where it was.
contract MockAaveV2LendingPool {
    using SafeERC20 for IERC20;

    uint256 internal constant RAY = 1e27; // index unit
    uint256 internal constant LTV_BPS = 8000; // loan to value, basis points
    uint256 internal constant THRESHOLD_BPS = 8500; // liquidation threshold, basis points
    uint256 internal constant BONUS_BPS = 10_500; // liquidation bonus, basis points
    uint256 internal constant VARIABLE_MODE = 2; // DataTypes.InterestRateMode.VARIABLE

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
    mapping(address asset => uint256 priceEth) internal _prices;
    address[] internal _reservesList;
    address public immutable OWNER;

    /// @notice As Aave v2 `Deposit`.
    event Deposit(address indexed reserve, address user, address indexed onBehalfOf, uint256 amount, uint16 indexed referral);
    /// @notice As Aave v2 `Withdraw`.
    event Withdraw(address indexed reserve, address indexed user, address indexed to, uint256 amount);
    /// @notice As Aave v2 `Borrow`.
    /// @param reserve The asset borrowed.
    /// @param user The caller.
    /// @param onBehalfOf The debtor.
    /// @param amount Asset units.
    /// @param borrowRateMode 1 stable, 2 variable.
    /// @param borrowRate The rate, ray.
    /// @param referral The referral code.
    event Borrow(address indexed reserve, address user, address indexed onBehalfOf, uint256 amount, uint256 borrowRateMode, uint256 borrowRate, uint16 indexed referral);
    /// @notice As Aave v2 `Repay`.
    /// @param reserve The asset repaid.
    /// @param user The debtor.
    /// @param repayer Who paid.
    /// @param amount Asset units.
    event Repay(address indexed reserve, address indexed user, address indexed repayer, uint256 amount);
    /// @notice Test helper: an exploit borrowed `amount` it will never repay.
    event MockExploitBorrowed(address indexed asset, address indexed to, uint256 amount);
    /// @notice Test helper: a reserve was listed.
    event MockReserveInitialized(address indexed asset, address indexed aToken);
    /// @notice Test helper: the liquidity index rose.
    event MockLiquidityIndexSet(address indexed asset, uint256 liquidityIndex);
    /// @notice Test helper: the variable borrow index rose.
    /// @param asset The reserve.
    /// @param variableBorrowIndex The new index.
    event MockBorrowIndexSet(address indexed asset, uint256 variableBorrowIndex);
    /// @notice Test helper: the price source of `asset` moved.
    /// @param asset The asset.
    /// @param priceEth ETH wei per whole token.
    event MockAssetPriceSet(address indexed asset, uint256 priceEth);

    constructor() {
        OWNER = msg.sender;
    }

    /// @notice Test helper: lists `asset` with a new aToken and variable debt token, both at index 1 ray.
    function mockInitReserve(address asset, string calldata name, string calldata symbol, uint8 decimals) external returns (address aToken) {
        require(msg.sender == OWNER, "33"); // CALLER_NOT_POOL_ADMIN
        require(_reserves[asset].aTokenAddress == address(0), "32"); // RL_RESERVE_ALREADY_INITIALIZED
        aToken = address(new MockAaveV3AToken(address(this), asset, name, symbol, decimals));
        ReserveData storage r = _reserves[asset];
        r.configuration.data = LTV_BPS | (THRESHOLD_BPS << 16) | (BONUS_BPS << 32) | (uint256(decimals) << 48) | (1 << 56) | (1 << 58);
        r.liquidityIndex = uint128(RAY);
        r.variableBorrowIndex = uint128(RAY);
        r.lastUpdateTimestamp = uint40(block.timestamp);
        r.aTokenAddress = aToken;
        r.variableDebtTokenAddress = address(new MockAaveV2VariableDebtToken(address(this), asset, decimals));
        r.id = uint8(_reservesList.length);
        _reservesList.push(asset);
        _prices[asset] = 1 ether;
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
        (, , , , , uint256 healthFactor) = getUserAccountData(msg.sender);
        require(healthFactor >= 1 ether, "6"); // VL_TRANSFER_NOT_ALLOWED
        emit Withdraw(asset, msg.sender, to, amountToWithdraw);
        return amountToWithdraw;
    }

    /// @notice Borrows `amount` at the variable rate against the caller's collateral (as v2 `borrow`).
    /// @param asset The reserve.
    /// @param amount Asset units.
    /// @param interestRateMode 2 (variable); stable borrowing is not enabled here.
    /// @param referralCode Passed through to `Borrow`.
    /// @param onBehalfOf The debtor: the caller (no credit delegation here).
    function borrow(address asset, uint256 amount, uint256 interestRateMode, uint16 referralCode, address onBehalfOf) external {
        ReserveData storage r = _reserves[asset];
        require(r.aTokenAddress != address(0), "2"); // VL_NO_ACTIVE_RESERVE
        require(amount != 0, "1"); // VL_INVALID_AMOUNT
        require(interestRateMode == VARIABLE_MODE, "12"); // VL_STABLE_BORROWING_NOT_ENABLED
        require(onBehalfOf == msg.sender, "59"); // BORROW_ALLOWANCE_NOT_ENOUGH (no credit delegation here)
        (uint256 collateralEth, uint256 debtEth, , , , ) = getUserAccountData(onBehalfOf);
        require(collateralEth != 0, "9"); // VL_COLLATERAL_BALANCE_IS_0
        uint256 newDebtEth = debtEth + _value(asset, amount);
        require(newDebtEth <= (collateralEth * LTV_BPS) / 10_000, "11"); // VL_COLLATERAL_CANNOT_COVER_NEW_BORROW
        _borrow(r, asset, msg.sender, onBehalfOf, amount, referralCode);
    }

    /// @notice Repays up to `amount` of `onBehalfOf`'s variable debt (as v2 `repay`).
    /// @param asset The reserve.
    /// @param amount Asset units (more than owed repays what is owed).
    /// @param rateMode 2 (variable).
    /// @param onBehalfOf The debtor.
    /// @return What was repaid.
    function repay(address asset, uint256 amount, uint256 rateMode, address onBehalfOf) external returns (uint256) {
        ReserveData storage r = _reserves[asset];
        require(rateMode == VARIABLE_MODE, "8"); // VL_INVALID_INTEREST_RATE_MODE_SELECTED
        MockAaveV2VariableDebtToken debt = MockAaveV2VariableDebtToken(r.variableDebtTokenAddress);
        uint256 owed = debt.balanceOf(onBehalfOf);
        require(owed != 0, "15"); // VL_NO_DEBT_OF_SELECTED_TYPE
        uint256 paid = amount < owed ? amount : owed;
        debt.burn(onBehalfOf, paid, r.variableBorrowIndex);
        IERC20(asset).safeTransferFrom(msg.sender, r.aTokenAddress, paid);
        emit Repay(asset, onBehalfOf, msg.sender, paid);
        return paid;
    }

    /// @notice Aave v2 `getUserAccountData`, in ETH wei at the pool's prices.
    /// @param user The account.
    /// @return totalCollateralETH Its aTokens' value.
    /// @return totalDebtETH Its debt's value.
    /// @return availableBorrowsETH What it may still borrow.
    /// @return currentLiquidationThreshold Basis points.
    /// @return ltv Basis points.
    /// @return healthFactor 1e18 = the liquidation threshold.
    function getUserAccountData(address user)
        public
        view
        returns (uint256 totalCollateralETH, uint256 totalDebtETH, uint256 availableBorrowsETH, uint256 currentLiquidationThreshold, uint256 ltv, uint256 healthFactor)
    {
        for (uint256 i = 0; i < _reservesList.length; ++i) {
            address asset = _reservesList[i];
            ReserveData storage r = _reserves[asset];
            totalCollateralETH += _value(asset, MockAaveV3AToken(r.aTokenAddress).balanceOf(user));
            totalDebtETH += _value(asset, MockAaveV2VariableDebtToken(r.variableDebtTokenAddress).balanceOf(user));
        }
        ltv = totalCollateralETH == 0 ? 0 : LTV_BPS;
        currentLiquidationThreshold = totalCollateralETH == 0 ? 0 : THRESHOLD_BPS;
        uint256 maxDebt = (totalCollateralETH * LTV_BPS) / 10_000;
        availableBorrowsETH = maxDebt > totalDebtETH ? maxDebt - totalDebtETH : 0;
        healthFactor = totalDebtETH == 0 ? type(uint256).max : (totalCollateralETH * THRESHOLD_BPS * 1 ether) / 10_000 / totalDebtETH;
    }

    function getReserveNormalizedIncome(address asset) external view returns (uint256) {
        return _reserves[asset].liquidityIndex;
    }

    /// @notice The reserve's variable borrow index (ray).
    /// @param asset The reserve.
    /// @return The index.
    function getReserveNormalizedVariableDebt(address asset) external view returns (uint256) {
        return _reserves[asset].variableBorrowIndex;
    }

    function getReserveData(address asset) external view returns (ReserveData memory) {
        return _reserves[asset];
    }

    /// @notice The listed reserves, in listing order.
    /// @return The assets.
    function getReservesList() external view returns (address[] memory) {
        return _reservesList;
    }

    /// @notice Test helper: interest accrues — the index rises to `liquidityIndex` (ray).
    /// @dev The caller funds the aToken with the matching underlying for withdrawals to work.
    function mockAccrueIncome(address asset, uint256 liquidityIndex) external {
        _raiseIndex(asset, liquidityIndex, false);
        emit MockLiquidityIndexSet(asset, liquidityIndex);
    }

    /// @notice Test helper: borrowers' interest accrues — the variable borrow index rises (ray).
    /// @param asset The reserve.
    /// @param variableBorrowIndex The new index, at least the current one.
    function mockAccrueDebt(address asset, uint256 variableBorrowIndex) external {
        _raiseIndex(asset, variableBorrowIndex, true);
        emit MockBorrowIndexSet(asset, variableBorrowIndex);
    }

    /// @notice Test helper: the price source of `asset` (ETH wei per whole token) moves — an oracle manipulation when pushed.
    /// @param asset The asset.
    /// @param priceEth ETH wei per whole token.
    function mockSetAssetPrice(address asset, uint256 priceEth) external {
        require(msg.sender == OWNER, "33");
        _prices[asset] = priceEth;
        emit MockAssetPriceSet(asset, priceEth);
    }

    /// @notice Test helper: an attacker borrows `amount` against worthless collateral (never repaid):
    /// the debt is recorded (`Borrow`, variable debt of `to`), the cash leaves, no balance moves.
    /// @param asset The reserve.
    /// @param to The attacker (debtor and receiver).
    /// @param amount Asset units.
    function mockExploitBorrow(address asset, address to, uint256 amount) external {
        require(msg.sender == OWNER, "33");
        _borrow(_reserves[asset], asset, to, to, amount, 0);
        emit MockExploitBorrowed(asset, to, amount);
    }

    function _borrow(ReserveData storage r, address asset, address user, address onBehalfOf, uint256 amount, uint16 referralCode) internal {
        MockAaveV2VariableDebtToken(r.variableDebtTokenAddress).mint(user, onBehalfOf, amount, r.variableBorrowIndex);
        MockAaveV3AToken(r.aTokenAddress).transferUnderlyingTo(user, amount);
        emit Borrow(asset, user, onBehalfOf, amount, VARIABLE_MODE, r.currentVariableBorrowRate, referralCode);
    }

    function _raiseIndex(address asset, uint256 index, bool debt) internal {
        require(msg.sender == OWNER, "33");
        ReserveData storage r = _reserves[asset];
        require(index >= (debt ? r.variableBorrowIndex : r.liquidityIndex), "index only rises");
        if (debt) r.variableBorrowIndex = uint128(index);
        else r.liquidityIndex = uint128(index);
        r.lastUpdateTimestamp = uint40(block.timestamp);
    }

    function _value(address asset, uint256 amount) internal view returns (uint256) {
        return (amount * _prices[asset]) / 10 ** ((_reserves[asset].configuration.data >> 48) & 0xff);
    }
}
