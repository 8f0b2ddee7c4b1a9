// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

// Aave v2 reverts with numeric string codes (protocol-v2 `Errors.sol`) and names its token views
// in capitals (`POOL`, `UNDERLYING_ASSET_ADDRESS`); the mock follows the real ABI.
/* solhint-disable gas-custom-errors, gas-indexed-events */

import {MockScaledBalanceToken} from "./MockScaledBalanceToken.sol";

/// @title MockAaveV2VariableDebtToken
/// @notice Test-only stand-in for an Aave v2 `VariableDebtToken`: the borrowers' debt, stored
/// scaled and read as `scaled × getReserveNormalizedVariableDebt(asset)` (ray), non-transferable.
/// @dev Mirrored from protocol-v2 `VariableDebtToken` (facts only): `balanceOf`, `scaledBalanceOf`,
/// `totalSupply`, `scaledTotalSupply`, `POOL()`, `UNDERLYING_ASSET_ADDRESS()`, the `Mint`/`Burn`
/// events; mint/burn pool-only (error "29" CT_CALLER_MUST_BE_LENDING_POOL); transfers revert.
/// Simplifies: no credit delegation (`approveDelegation`), no incentives controller.
contract MockAaveV2VariableDebtToken is MockScaledBalanceToken {
    /// @notice As Aave v2 `IVariableDebtToken.Mint`.
    event Mint(address indexed from, address indexed onBehalfOf, uint256 value, uint256 index);
    /// @notice As Aave v2 `IVariableDebtToken.Burn`.
    event Burn(address indexed user, uint256 amount, uint256 index);

    constructor(address pool, address underlying, uint8 decimals_) MockScaledBalanceToken(pool, underlying, decimals_) {}

    modifier onlyPool() {
        require(msg.sender == POOL, "29"); // CT_CALLER_MUST_BE_LENDING_POOL
        _;
    }

    /// @notice Debt tokens do not move (as v2: "TRANSFER_NOT_SUPPORTED").
    function transfer(address, uint256) external pure returns (bool) {
        revert("TRANSFER_NOT_SUPPORTED");
    }

    /// @notice Pool only: `amount` of new debt for `onBehalfOf` at `index`.
    /// @param user The caller of the borrow.
    /// @param onBehalfOf The debtor.
    /// @param amount Underlying units.
    /// @param index The variable borrow index, ray.
    function mint(address user, address onBehalfOf, uint256 amount, uint256 index) external onlyPool {
        uint256 scaled = _rayDiv(amount, index);
        require(scaled != 0, "56"); // CT_INVALID_MINT_AMOUNT
        _scaledBalances[onBehalfOf] += scaled;
        _scaledTotalSupply += scaled;
        emit Transfer(address(0), onBehalfOf, amount);
        emit Mint(user, onBehalfOf, amount, index);
    }

    /// @notice Pool only: `amount` of `user`'s debt repaid at `index`.
    /// @param user The debtor.
    /// @param amount Underlying units.
    /// @param index The variable borrow index, ray.
    function burn(address user, uint256 amount, uint256 index) external onlyPool {
        uint256 scaled = _rayDiv(amount, index);
        require(scaled != 0, "57"); // CT_INVALID_BURN_AMOUNT
        uint256 held = _scaledBalances[user];
        if (scaled > held) scaled = held;
        _scaledBalances[user] = held - scaled;
        _scaledTotalSupply -= scaled;
        emit Transfer(user, address(0), amount);
        emit Burn(user, amount, index);
    }

    function _index() internal view override returns (uint256) {
        return MockAaveV2PoolDebtIndex(POOL).getReserveNormalizedVariableDebt(UNDERLYING_ASSET_ADDRESS);
    }
}

/// @title MockAaveV2PoolDebtIndex
/// @notice The one pool view the debt token reads.
interface MockAaveV2PoolDebtIndex {
    /// @notice The reserve's variable borrow index, ray.
    /// @param asset The underlying.
    /// @return The index.
    function getReserveNormalizedVariableDebt(address asset) external view returns (uint256);
}
