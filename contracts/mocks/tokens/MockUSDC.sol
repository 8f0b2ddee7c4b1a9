// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

// Real FiatToken (USDC) reverts with these exact strings; callers and tests match on them, so the
// string reverts below are deliberate.
/* solhint-disable gas-custom-errors, gas-small-strings */
// Test-only mock: ERC-20 names (`name`, `decimals`), unindexed event values and NatSpec follow the
// real token's ABI and docs, not our house rules.
/* solhint-disable const-name-snakecase, gas-indexed-events, use-natspec */

/// @title MockUSDC
/// @notice Test-only stand-in for Circle's FiatToken (USDC): 6 decimals, a blacklister role that
/// blocks accounts, and a pauser role that freezes transfers and approvals.
/// @dev Behaviour mirrored from FiatTokenV2_2 (facts only, not code):
/// - `transfer` checks: not paused, caller and recipient not blacklisted;
/// - `transferFrom` checks: not paused, caller, `from` and `to` not blacklisted, then the allowance;
/// - `approve` checks: not paused, caller and spender not blacklisted;
/// - the allowance is always decreased, even when it is `type(uint256).max`;
/// - revert strings are the real ones ("Pausable: paused", "Blacklistable: account is blacklisted",
///   "ERC20: transfer amount exceeds balance", ...).
/// Not mirrored: minter roles, permits, EIP-3009, rescuer. `mint`/`burn` are open test helpers that
/// ignore pause and blacklist.
contract MockUSDC {
    string public constant name = "USD Coin";
    string public constant symbol = "USDC";
    uint8 public constant decimals = 6;

    address public owner;
    address public pauser;
    address public blacklister;
    bool public paused;
    uint256 public totalSupply;

    mapping(address account => uint256 amount) public balanceOf;
    mapping(address account => mapping(address spender => uint256 amount)) public allowance;
    mapping(address account => bool blocked) public isBlacklisted;

    event Transfer(address indexed from, address indexed to, uint256 value);
    event Approval(address indexed owner, address indexed spender, uint256 value);
    event Blacklisted(address indexed account);
    event UnBlacklisted(address indexed account);
    event Pause();
    event Unpause();
    event BlacklisterChanged(address indexed newBlacklister);
    event PauserChanged(address indexed newPauser);

    /// @dev The deployer holds every role.
    constructor() {
        owner = msg.sender;
        pauser = msg.sender;
        blacklister = msg.sender;
    }

    modifier onlyOwner() {
        require(msg.sender == owner, "Ownable: caller is not the owner");
        _;
    }

    modifier onlyPauser() {
        require(msg.sender == pauser, "Pausable: caller is not the pauser");
        _;
    }

    modifier onlyBlacklister() {
        require(msg.sender == blacklister, "Blacklistable: caller is not the blacklister");
        _;
    }

    modifier whenNotPaused() {
        require(!paused, "Pausable: paused");
        _;
    }

    modifier notBlacklisted(address account) {
        require(!isBlacklisted[account], "Blacklistable: account is blacklisted");
        _;
    }

    // ---------------------------------------------------------------- roles

    function updatePauser(address newPauser) external onlyOwner {
        require(newPauser != address(0), "Pausable: new pauser is the zero address");
        pauser = newPauser;
        emit PauserChanged(newPauser);
    }

    function updateBlacklister(address newBlacklister) external onlyOwner {
        require(newBlacklister != address(0), "Blacklistable: new blacklister is the zero address");
        blacklister = newBlacklister;
        emit BlacklisterChanged(newBlacklister);
    }

    function pause() external onlyPauser {
        paused = true;
        emit Pause();
    }

    function unpause() external onlyPauser {
        paused = false;
        emit Unpause();
    }

    function blacklist(address account) external onlyBlacklister {
        isBlacklisted[account] = true;
        emit Blacklisted(account);
    }

    function unBlacklist(address account) external onlyBlacklister {
        isBlacklisted[account] = false;
        emit UnBlacklisted(account);
    }

    // ---------------------------------------------------------------- ERC-20

    function transfer(address to, uint256 value)
        external
        whenNotPaused
        notBlacklisted(msg.sender)
        notBlacklisted(to)
        returns (bool)
    {
        _transfer(msg.sender, to, value);
        return true;
    }

    function transferFrom(address from, address to, uint256 value)
        external
        whenNotPaused
        notBlacklisted(msg.sender)
        notBlacklisted(from)
        notBlacklisted(to)
        returns (bool)
    {
        uint256 allowed = allowance[from][msg.sender];
        require(value <= allowed, "ERC20: transfer amount exceeds allowance");
        _transfer(from, to, value);
        allowance[from][msg.sender] = allowed - value;
        return true;
    }

    function approve(address spender, uint256 value)
        external
        whenNotPaused
        notBlacklisted(msg.sender)
        notBlacklisted(spender)
        returns (bool)
    {
        require(spender != address(0), "ERC20: approve to the zero address");
        allowance[msg.sender][spender] = value;
        emit Approval(msg.sender, spender, value);
        return true;
    }

    // ---------------------------------------------------------------- test helpers

    /// @notice Test-only: credits `amount` to `to` (no role, pause or blacklist check).
    function mint(address to, uint256 amount) external {
        require(to != address(0), "FiatToken: mint to the zero address");
        totalSupply += amount;
        balanceOf[to] += amount;
        emit Transfer(address(0), to, amount);
    }

    /// @notice Test-only: destroys `amount` held by `from` (no role, pause or blacklist check).
    function burn(address from, uint256 amount) external {
        require(amount <= balanceOf[from], "FiatToken: burn amount exceeds balance");
        balanceOf[from] -= amount;
        totalSupply -= amount;
        emit Transfer(from, address(0), amount);
    }

    function _transfer(address from, address to, uint256 value) private {
        require(to != address(0), "ERC20: transfer to the zero address");
        require(value <= balanceOf[from], "ERC20: transfer amount exceeds balance");
        balanceOf[from] -= value;
        balanceOf[to] += value;
        emit Transfer(from, to, value);
    }
}
