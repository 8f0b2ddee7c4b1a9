// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

// Aave V3 reverts with numeric string codes (aave-v3-core `Errors.sol`); callers match on them, so
// the string reverts below are deliberate. Function names follow the real ABI.
/* solhint-disable gas-custom-errors, func-name-mixedcase */

import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";
import {SafeERC20} from "@openzeppelin/contracts/token/ERC20/utils/SafeERC20.sol";
import {MockAaveV3AToken} from "./MockAaveV3AToken.sol";

/// @title MockAaveV3Pool
/// @notice Test-only stand-in for the Aave V3 `Pool` of one or more reserves: `supply`, `withdraw`
/// and `getReserveNormalizedIncome` with the real signatures, events and error codes
/// (aave-v3-core: INVALID_AMOUNT "26", NOT_ENOUGH_AVAILABLE_USER_BALANCE "32", RESERVE_PAUSED "29").
/// Each reserve's underlying is held by its aToken, as on mainnet, so "the USDC the pool holds" is
/// `USDC.balanceOf(aToken)`.
/// @dev Not mirrored: borrowing, interest-rate strategies, collateral, flash loans, isolation mode.
/// The liquidity index only moves through the test helpers: `mockAccrueIncome` raises it (yield)
/// and `mockExploitDrain` takes underlying out of the aToken and writes the index down pro rata,
/// the way a drained reserve's loss lands on its suppliers.
contract MockAaveV3Pool {
    using SafeERC20 for IERC20;

    uint256 internal constant RAY = 1e27; // index unit

    /// @notice Per-reserve state. Packing: aToken (160) + paused (8) in slot 0; index in slot 1.
    struct Reserve {
        MockAaveV3AToken aToken;
        bool paused;
        uint256 liquidityIndex; // ray
    }

    mapping(address asset => Reserve reserve) internal _reserves;
    address public immutable OWNER;

    /// @notice As Aave V3 `SupplyLogic.Supply`.
    event Supply(address indexed reserve, address user, address indexed onBehalfOf, uint256 amount, uint16 indexed referralCode);
    /// @notice As Aave V3 `SupplyLogic.Withdraw`.
    event Withdraw(address indexed reserve, address indexed user, address indexed to, uint256 amount);
    /// @notice Test helper: a reserve was initialised.
    event MockReserveInitialized(address indexed asset, address indexed aToken);
    /// @notice Test helper: the liquidity index moved.
    event MockLiquidityIndexSet(address indexed asset, uint256 liquidityIndex);
    /// @notice Test helper: an exploit took `amount` of the underlying.
    event MockExploitDrained(address indexed asset, address indexed to, uint256 amount, uint256 liquidityIndex);

    constructor() {
        OWNER = msg.sender;
    }

    modifier onlyOwner() {
        require(msg.sender == OWNER, "1"); // CALLER_NOT_POOL_ADMIN
        _;
    }

    /// @notice Test helper: deploys the reserve's aToken at index 1 ray.
    /// @param asset The underlying.
    /// @param name The aToken name (e.g. "Aave Ethereum USDC").
    /// @param symbol The aToken symbol (e.g. "aEthUSDC").
    /// @param decimals The underlying's decimals.
    /// @return aToken The new aToken.
    function mockInitReserve(address asset, string calldata name, string calldata symbol, uint8 decimals)
        external
        onlyOwner
        returns (address aToken)
    {
        require(address(_reserves[asset].aToken) == address(0), "27"); // RESERVE_ALREADY_INITIALIZED
        MockAaveV3AToken token = new MockAaveV3AToken(address(this), asset, name, symbol, decimals);
        _reserves[asset] = Reserve({aToken: token, paused: false, liquidityIndex: RAY});
        aToken = address(token);
        emit MockReserveInitialized(asset, aToken);
    }

    /// @notice Supplies `amount` of `asset`; `onBehalfOf` receives the aTokens.
    /// @param asset The underlying.
    /// @param amount Underlying units.
    /// @param onBehalfOf Receiver of the aTokens.
    /// @param referralCode Ignored (kept for the ABI).
    function supply(address asset, uint256 amount, address onBehalfOf, uint16 referralCode) external {
        Reserve storage reserve = _activeReserve(asset);
        require(amount != 0, "26"); // INVALID_AMOUNT
        IERC20(asset).safeTransferFrom(msg.sender, address(reserve.aToken), amount);
        reserve.aToken.mint(onBehalfOf, amount, reserve.liquidityIndex);
        emit Supply(asset, msg.sender, onBehalfOf, amount, referralCode);
    }

    /// @notice Withdraws `amount` (type(uint256).max = the whole balance) of the caller's supply to `to`.
    /// @param asset The underlying.
    /// @param amount Underlying units.
    /// @param to Receiver of the underlying.
    /// @return withdrawn The amount withdrawn.
    function withdraw(address asset, uint256 amount, address to) external returns (uint256 withdrawn) {
        Reserve storage reserve = _activeReserve(asset);
        uint256 balance = reserve.aToken.balanceOf(msg.sender);
        withdrawn = amount == type(uint256).max ? balance : amount;
        require(withdrawn != 0, "26"); // INVALID_AMOUNT
        require(withdrawn <= balance, "32"); // NOT_ENOUGH_AVAILABLE_USER_BALANCE
        reserve.aToken.burn(msg.sender, to, withdrawn, reserve.liquidityIndex);
        emit Withdraw(asset, msg.sender, to, withdrawn);
    }

    /// @notice The reserve's normalized income (its liquidity index), ray.
    /// @param asset The underlying.
    /// @return The index.
    function getReserveNormalizedIncome(address asset) external view returns (uint256) {
        return _reserves[asset].liquidityIndex;
    }

    /// @notice The reserve's aToken (0 if not initialised).
    /// @param asset The underlying.
    /// @return The aToken address.
    function mockATokenOf(address asset) external view returns (address) {
        return address(_reserves[asset].aToken);
    }

    /// @notice Test helper: interest accrues — the index rises to `liquidityIndex` (ray).
    /// @dev The caller must also fund the aToken with the matching underlying for withdrawals to work.
    /// @param asset The underlying.
    /// @param liquidityIndex The new index, at least the current one.
    function mockAccrueIncome(address asset, uint256 liquidityIndex) external onlyOwner {
        Reserve storage reserve = _reserves[asset];
        require(liquidityIndex >= reserve.liquidityIndex, "26");
        reserve.liquidityIndex = liquidityIndex;
        emit MockLiquidityIndexSet(asset, liquidityIndex);
    }

    /// @notice Test helper: pauses or unpauses the reserve (supply and withdraw revert "29").
    /// @param asset The underlying.
    /// @param paused The new state.
    function mockSetPaused(address asset, bool paused) external onlyOwner {
        _reserves[asset].paused = paused;
    }

    /// @notice Test helper: an exploit moves `amount` of the underlying out of the aToken to `to`;
    /// the liquidity index falls by the same share of the reserve's supply, so every supplier's
    /// aToken balance loses `amount / totalSupply` of its value.
    /// @param asset The underlying.
    /// @param to Receiver (the attacker).
    /// @param amount Underlying units, at most the aToken's total supply.
    function mockExploitDrain(address asset, address to, uint256 amount) external onlyOwner {
        Reserve storage reserve = _reserves[asset];
        uint256 supplied = reserve.aToken.totalSupply();
        require(amount <= supplied, "32");
        reserve.liquidityIndex = (reserve.liquidityIndex * (supplied - amount)) / supplied;
        reserve.aToken.transferUnderlyingTo(to, amount);
        emit MockExploitDrained(asset, to, amount, reserve.liquidityIndex);
    }

    function _activeReserve(address asset) internal view returns (Reserve storage reserve) {
        reserve = _reserves[asset];
        require(address(reserve.aToken) != address(0), "2"); // reserve not active
        require(!reserve.paused, "29"); // RESERVE_PAUSED
    }
}
