// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

// Aave names its token views in capitals (`POOL`, `UNDERLYING_ASSET_ADDRESS`); the mocks follow the real ABI.
/* solhint-disable func-name-mixedcase */

/// @title MockScaledBalanceToken
/// @notice Test-only base of the Aave token stand-ins (aToken, variable debt token), as Aave's own
/// `ScaledBalanceTokenBase`: balances stored scaled and read as `scaled × index` (ray, rounded half
/// up like `WadRayMath.rayMul`), the index coming from the pool (`_index`), which never goes down.
abstract contract MockScaledBalanceToken {
    uint256 internal constant RAY = 1e27; // index unit
    uint256 internal constant HALF_RAY = RAY / 2;

    /// @notice The pool that mints and burns.
    address public immutable POOL;
    /// @notice The reserve's asset.
    address public immutable UNDERLYING_ASSET_ADDRESS;
    /// @notice The asset's decimals.
    uint8 public immutable decimals;

    mapping(address user => uint256 scaled) internal _scaledBalances;
    uint256 internal _scaledTotalSupply;

    /// @notice ERC-20 `Transfer` (mint, burn, move), in underlying units.
    /// @param from The sender (0 on a mint).
    /// @param to The receiver (0 on a burn).
    /// @param value Underlying units.
    event Transfer(address indexed from, address indexed to, uint256 value);

    constructor(address pool, address underlying, uint8 decimals_) {
        POOL = pool;
        UNDERLYING_ASSET_ADDRESS = underlying;
        decimals = decimals_;
    }

    /// @notice The holder's balance in underlying units at the current index.
    /// @param user The holder.
    /// @return The balance.
    function balanceOf(address user) public view returns (uint256) {
        return _rayMul(_scaledBalances[user], _index());
    }

    /// @notice The holder's scaled balance.
    /// @param user The holder.
    /// @return The scaled balance.
    function scaledBalanceOf(address user) external view returns (uint256) {
        return _scaledBalances[user];
    }

    /// @notice Total supply in underlying units at the current index.
    /// @return The total supply.
    function totalSupply() public view returns (uint256) {
        return _rayMul(_scaledTotalSupply, _index());
    }

    /// @notice Total scaled supply.
    /// @return The scaled total.
    function scaledTotalSupply() external view returns (uint256) {
        return _scaledTotalSupply;
    }

    /// @dev The pool's index of this token (liquidity index for an aToken, variable borrow index for debt).
    function _index() internal view virtual returns (uint256);

    function _rayMul(uint256 a, uint256 b) internal pure returns (uint256) {
        return (a * b + HALF_RAY) / RAY;
    }

    function _rayDiv(uint256 a, uint256 b) internal pure returns (uint256) {
        return (a * RAY + b / 2) / b;
    }
}
