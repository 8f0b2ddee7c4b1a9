// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

// Real Dai reverts with these exact strings; callers and tests match on them, so the string
// reverts below are deliberate.
/* solhint-disable gas-custom-errors */
// Test-only mock: ERC-20 names (`name`, `decimals`), unindexed event values and NatSpec follow the
// real token's ABI and docs, not our house rules.
/* solhint-disable const-name-snakecase, gas-indexed-events, use-natspec */

/// @title MockDAI
/// @notice Test-only stand-in for MakerDAO's Dai: 18 decimals and Dai's own revert strings.
/// @dev Behaviour mirrored from Dai.sol (facts only, not code):
/// - `transfer` is `transferFrom(msg.sender, ...)`; the balance is checked before the allowance
///   ("Dai/insufficient-balance", then "Dai/insufficient-allowance");
/// - no allowance is needed (or spent) when `from == msg.sender`;
/// - an allowance of `type(uint256).max` is never decreased;
/// - `approve` has no zero-allowance rule and returns true; no zero-address checks anywhere;
/// - `burn(from, amount)` follows the same balance/allowance rules.
/// Not mirrored: `wards`/`auth` on `mint` (open test helper here), permit, push/pull/move aliases.
contract MockDAI {
    string public constant name = "Dai Stablecoin";
    string public constant symbol = "DAI";
    uint8 public constant decimals = 18;
    uint256 private constant _INFINITE_ALLOWANCE = type(uint256).max; // token units

    uint256 public totalSupply;

    mapping(address account => uint256 amount) public balanceOf;
    mapping(address account => mapping(address spender => uint256 amount)) public allowance;

    event Transfer(address indexed from, address indexed to, uint256 value);
    event Approval(address indexed owner, address indexed spender, uint256 value);

    function transfer(address to, uint256 value) external returns (bool) {
        return transferFrom(msg.sender, to, value);
    }

    function transferFrom(address from, address to, uint256 value) public returns (bool) {
        require(balanceOf[from] >= value, "Dai/insufficient-balance");
        _spendAllowance(from, value);
        balanceOf[from] -= value;
        balanceOf[to] += value;
        emit Transfer(from, to, value);
        return true;
    }

    function approve(address spender, uint256 value) external returns (bool) {
        allowance[msg.sender][spender] = value;
        emit Approval(msg.sender, spender, value);
        return true;
    }

    /// @notice Test-only: credits `amount` to `to` (the real `mint` is restricted to wards).
    function mint(address to, uint256 amount) external {
        balanceOf[to] += amount;
        totalSupply += amount;
        emit Transfer(address(0), to, amount);
    }

    /// @notice Destroys `amount` held by `from`, spending the caller's allowance unless it is `from`.
    function burn(address from, uint256 amount) external {
        require(balanceOf[from] >= amount, "Dai/insufficient-balance");
        _spendAllowance(from, amount);
        balanceOf[from] -= amount;
        totalSupply -= amount;
        emit Transfer(from, address(0), amount);
    }

    function _spendAllowance(address from, uint256 value) private {
        if (from == msg.sender) return;
        uint256 allowed = allowance[from][msg.sender];
        if (allowed == _INFINITE_ALLOWANCE) return;
        require(allowed >= value, "Dai/insufficient-allowance");
        allowance[from][msg.sender] = allowed - value;
    }
}
