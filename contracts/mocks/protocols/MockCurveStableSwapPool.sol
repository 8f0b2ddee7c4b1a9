// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

// Curve pools are Vyper: snake_case names and their revert strings are part of the real ABI, so
// the names and string reverts below are deliberate.
/* solhint-disable func-name-mixedcase, gas-custom-errors, gas-indexed-events, var-name-mixedcase */

import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";
import {ERC20} from "@openzeppelin/contracts/token/ERC20/ERC20.sol";
import {SafeERC20} from "@openzeppelin/contracts/token/ERC20/utils/SafeERC20.sol";

/// @title MockCurveStableSwapPool
/// @notice Test-only stand-in for a two-coin Curve stable pool that is its own LP token (the
/// factory / stableswap-ng layout): `add_liquidity(uint256[2],uint256)`,
/// `calc_withdraw_one_coin`, `remove_liquidity_one_coin`, `coins`, `balances`, `fee`,
/// `get_virtual_price`, with Curve's revert strings ("Slippage screwup", "Not enough coins removed").
/// Coin-index type follows the pool generation: stable pools take `int128 i`, crypto/tricrypto
/// pools `uint256 i`; the constructor picks one and the other selector reverts with no data, as a
/// Vyper contract does for a function it lacks.
/// @dev Not the StableSwap invariant: every coin is valued at $1 (balances normalised to 18
/// decimals and summed), and a one-coin withdrawal pays that value minus the flat `fee`
/// (1e10 = 100%). Enough to value an LP position in one coin and to see a drain; not for pricing
/// imbalanced pools (simplified: no amplification, no admin fees, no oracle).
/// A theft is what a real Curve exploit is (e.g. the 2023 Vyper re-entrancy): coins leave the
/// pool and its stored `balances` with them, while no LP balance moves — every LP token is worth
/// less (`calc_withdraw_one_coin`, `get_virtual_price` fall). `mockExploitDrain` does exactly that.
contract MockCurveStableSwapPool is ERC20 {
    using SafeERC20 for IERC20;

    uint256 internal constant N_COINS = 2;
    uint256 internal constant FEE_DENOMINATOR = 1e10;
    uint256 internal constant PRECISION = 1e18;

    address public immutable OWNER;
    /// @notice Whether the coin index is `uint256` (crypto pools) instead of `int128` (stable pools).
    bool public immutable UINT256_INDEX;
    /// @notice One-coin withdrawal fee, 1e10 = 100% (Curve's unit; 4e6 = 0.04%).
    uint256 public immutable fee;

    address[N_COINS] internal _coins;
    uint256[N_COINS] internal _rates; // 10 ** (18 - decimals)
    uint256[N_COINS] public balances;

    event AddLiquidity(address indexed provider, uint256[N_COINS] token_amounts, uint256[N_COINS] fees, uint256 invariant, uint256 token_supply);
    event RemoveLiquidityOne(address indexed provider, uint256 token_amount, uint256 coin_amount, uint256 token_supply);
    /// @notice Test helper: an exploit took `amount` of coin `i`.
    event MockExploitDrained(uint256 indexed i, address indexed to, uint256 amount);

    constructor(
        string memory name_,
        string memory symbol_,
        address[N_COINS] memory coins_,
        uint8[N_COINS] memory decimals_,
        uint256 fee_,
        bool uint256Index
    ) ERC20(name_, symbol_) {
        OWNER = msg.sender;
        UINT256_INDEX = uint256Index;
        fee = fee_;
        for (uint256 k = 0; k < N_COINS; ++k) {
            _coins[k] = coins_[k];
            _rates[k] = 10 ** (18 - decimals_[k]);
        }
    }

    /// @notice Coin `i` of the pool.
    /// @param i Index.
    /// @return The coin.
    function coins(uint256 i) external view returns (address) {
        return _coins[i];
    }

    /// @notice Deposits `amounts` of each coin, minting at least `min_mint_amount` LP tokens.
    /// @param amounts Coin units per coin.
    /// @param min_mint_amount Slippage bound.
    /// @return minted LP tokens minted.
    function add_liquidity(uint256[N_COINS] calldata amounts, uint256 min_mint_amount) external returns (uint256 minted) {
        uint256 d0 = _value();
        uint256 added = 0;
        for (uint256 k = 0; k < N_COINS; ++k) {
            if (amounts[k] == 0) continue;
            IERC20(_coins[k]).safeTransferFrom(msg.sender, address(this), amounts[k]);
            balances[k] += amounts[k];
            added += amounts[k] * _rates[k];
        }
        uint256 supply = totalSupply();
        minted = supply == 0 ? added : (added * supply) / d0;
        require(minted >= min_mint_amount, "Slippage screwup");
        _mint(msg.sender, minted);
        uint256[N_COINS] memory fees;
        emit AddLiquidity(msg.sender, amounts, fees, d0 + added, supply + minted);
    }

    /// @notice Coin `i` received for burning `_token_amount` LP tokens (stable pools: `int128 i`).
    /// @param _token_amount LP tokens.
    /// @param i Coin index.
    /// @return Coin units.
    function calc_withdraw_one_coin(uint256 _token_amount, int128 i) external view returns (uint256) {
        if (UINT256_INDEX) _noSuchFunction();
        return _calcWithdrawOneCoin(_token_amount, _index(i));
    }

    /// @notice Coin `i` received for burning `token_amount` LP tokens (crypto pools: `uint256 i`).
    /// @param token_amount LP tokens.
    /// @param i Coin index.
    /// @return Coin units.
    function calc_withdraw_one_coin(uint256 token_amount, uint256 i) external view returns (uint256) {
        if (!UINT256_INDEX) _noSuchFunction();
        return _calcWithdrawOneCoin(token_amount, i);
    }

    /// @notice Burns `_token_amount` LP tokens for coin `i` (stable pools: `int128 i`).
    /// @param _token_amount LP tokens.
    /// @param i Coin index.
    /// @param _min_amount Slippage bound.
    /// @return Coin units received.
    function remove_liquidity_one_coin(uint256 _token_amount, int128 i, uint256 _min_amount) external returns (uint256) {
        if (UINT256_INDEX) _noSuchFunction();
        return _removeOne(_token_amount, _index(i), _min_amount);
    }

    /// @notice Burns `token_amount` LP tokens for coin `i` (crypto pools: `uint256 i`).
    /// @param token_amount LP tokens.
    /// @param i Coin index.
    /// @param min_amount Slippage bound.
    /// @return Coin units received.
    function remove_liquidity_one_coin(uint256 token_amount, uint256 i, uint256 min_amount) external returns (uint256) {
        if (!UINT256_INDEX) _noSuchFunction();
        return _removeOne(token_amount, i, min_amount);
    }

    /// @notice Value of one LP token in $ (18 decimals).
    /// @return The virtual price.
    function get_virtual_price() external view returns (uint256) {
        uint256 supply = totalSupply();
        return supply == 0 ? 0 : (_value() * PRECISION) / supply;
    }

    /// @notice Test helper: an exploit moves `amount` of coin `i` out of the pool to `to`.
    /// @param i Coin index.
    /// @param to Receiver (the attacker).
    /// @param amount Coin units.
    function mockExploitDrain(uint256 i, address to, uint256 amount) external {
        require(msg.sender == OWNER, "only owner");
        balances[i] -= amount;
        IERC20(_coins[i]).safeTransfer(to, amount);
        emit MockExploitDrained(i, to, amount);
    }

    function _removeOne(uint256 tokenAmount, uint256 i, uint256 minAmount) internal returns (uint256 dy) {
        dy = _calcWithdrawOneCoin(tokenAmount, i);
        require(dy >= minAmount, "Not enough coins removed");
        balances[i] -= dy;
        _burn(msg.sender, tokenAmount);
        IERC20(_coins[i]).safeTransfer(msg.sender, dy);
        emit RemoveLiquidityOne(msg.sender, tokenAmount, dy, totalSupply());
    }

    function _calcWithdrawOneCoin(uint256 tokenAmount, uint256 i) internal view returns (uint256 dy) {
        if (i >= N_COINS) _noSuchFunction();
        uint256 supply = totalSupply();
        if (tokenAmount > supply || supply == 0) _noSuchFunction();
        uint256 value = (tokenAmount * _value()) / supply; // 18 decimals
        value -= (value * fee) / FEE_DENOMINATOR;
        dy = value / _rates[i];
        // Curve's math reverts when the pool cannot pay out in that coin.
        if (dy > balances[i]) _noSuchFunction();
    }

    function _value() internal view returns (uint256 total) {
        for (uint256 k = 0; k < N_COINS; ++k) total += balances[k] * _rates[k];
    }

    function _index(int128 i) internal pure returns (uint256) {
        if (i < 0) _noSuchFunction();
        return uint256(uint128(i));
    }

    /// @dev A bare revert with empty data, as Vyper's failed asserts and missing selectors give.
    function _noSuchFunction() internal pure {
        // solhint-disable-next-line reason-string
        revert();
    }
}
