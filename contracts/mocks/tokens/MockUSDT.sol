// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

// Real TetherToken reverts with no data at all (bare `require`, SafeMath `assert`); the bare
// reverts below reproduce that on purpose.
/* solhint-disable gas-custom-errors */
// Test-only mock: ERC-20 names (`name`, `decimals`), unindexed event values and NatSpec follow the
// real token's ABI and docs, not our house rules.
/* solhint-disable const-name-snakecase, gas-indexed-events, use-natspec */

/// @title MockUSDT
/// @notice Test-only stand-in for Tether's TetherToken (USDT) on Ethereum: 6 decimals, and the two
/// ERC-20 deviations integrators trip over.
/// @dev Behaviour mirrored from TetherToken (facts only, not code):
/// - `transfer`, `transferFrom` and `approve` return NOTHING; a caller decoding a `bool` reverts;
/// - `approve` from a non-zero allowance to another non-zero value reverts (set it to 0 first);
/// - failures revert with empty returndata (the real token hits a bare `require` or SafeMath's
///   `assert`; the latter also burns all gas, the mock does not);
/// - an allowance of `type(uint256).max` is never decreased;
/// - `transferFrom` checks the allowance before the balance.
/// Not mirrored: transfer fees (0 on mainnet), pause, blacklist, deprecation/upgrade, payload-size
/// check. `mint`/`burn` are open test helpers.
contract MockUSDT {
    string public constant name = "Tether USD";
    string public constant symbol = "USDT";
    uint8 public constant decimals = 6;
    uint256 private constant _INFINITE_ALLOWANCE = type(uint256).max; // token units

    uint256 public totalSupply;

    mapping(address account => uint256 amount) public balanceOf;
    mapping(address account => mapping(address spender => uint256 amount)) public allowance;

    event Transfer(address indexed from, address indexed to, uint256 value);
    event Approval(address indexed owner, address indexed spender, uint256 value);

    function transfer(address to, uint256 value) external {
        _transfer(msg.sender, to, value);
    }

    function transferFrom(address from, address to, uint256 value) external {
        uint256 allowed = allowance[from][msg.sender];
        if (allowed != _INFINITE_ALLOWANCE) {
            if (value > allowed) revert();
            allowance[from][msg.sender] = allowed - value;
        }
        _transfer(from, to, value);
    }

    function approve(address spender, uint256 value) external {
        // The TetherToken rule: only 0 -> x or x -> 0 changes are allowed.
        if (value != 0 && allowance[msg.sender][spender] != 0) revert();
        allowance[msg.sender][spender] = value;
        emit Approval(msg.sender, spender, value);
    }

    /// @notice Test-only: credits `amount` to `to`.
    function mint(address to, uint256 amount) external {
        totalSupply += amount;
        balanceOf[to] += amount;
        emit Transfer(address(0), to, amount);
    }

    /// @notice Test-only: destroys `amount` held by `from`.
    function burn(address from, uint256 amount) external {
        if (amount > balanceOf[from]) revert();
        balanceOf[from] -= amount;
        totalSupply -= amount;
        emit Transfer(from, address(0), amount);
    }

    function _transfer(address from, address to, uint256 value) private {
        if (value > balanceOf[from]) revert();
        balanceOf[from] -= value;
        balanceOf[to] += value;
        emit Transfer(from, to, value);
    }
}
