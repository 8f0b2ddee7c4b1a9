// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

// Comet's own custom errors (no domain prefix) and unindexed event values follow the real ABI.
/* solhint-disable gas-indexed-events */

import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";
import {SafeERC20} from "@openzeppelin/contracts/token/ERC20/utils/SafeERC20.sol";

/// @title MockComet
/// @notice Test-only stand-in for a Compound V3 market (e.g. cUSDCv3): base-asset `supply`/`withdraw`,
/// `balanceOf` as the present value of the account's supply principal (`principal ×
/// baseSupplyIndex / 1e15`, rounded down as `presentValueSupply`), `totalSupply`, `baseToken`, and
/// the borrow side's reads (`borrowBalanceOf`, `totalBorrow`, `getReserves`). The market holds the
/// base token itself, so "the USDC Comet holds" is `USDC.balanceOf(comet)`.
/// @dev Mirrored from compound-finance/comet `Comet.sol` (facts only): errors `BadAsset()`,
/// `Paused()`, `NotCollateralized()` (withdrawing more than the supply would borrow, and this mock
/// has no collateral); events `Supply`, `Withdraw` and the base-token `Transfer` mint/burn; a
/// `type(uint256).max` withdrawal takes the whole balance; `getReserves() = base held − totalSupply +
/// totalBorrow` (signed). A theft is what a real Comet exploit is: `mockExploitDrain` records a
/// borrow of the cash against collateral that turns out worthless (the attacker's
/// `borrowBalanceOf` and `totalBorrow` rise, a `Withdraw` is emitted as Comet does for a borrow).
/// Every supplier's `balanceOf` and the supply index stay where they were: the loss shows as cash
/// that left against unbacked debt, never as a lower balance.
/// Simplifies: no collateral assets or prices (the exploit's borrow is recorded, not checked), no
/// ordinary borrowing entry point, no interest-rate curves (the borrow index stays 1e15; the supply
/// index rises only through `mockAccrue`), no rewards tracking, no absorb/buyCollateral (so bad
/// debt is never written off and `getReserves` does not move in a theft).
contract MockComet {
    using SafeERC20 for IERC20;

    uint256 internal constant BASE_INDEX_SCALE = 1e15; // index unit, as Comet

    address public immutable baseToken;
    address public immutable OWNER;
    uint256 public baseSupplyIndex = BASE_INDEX_SCALE;
    uint256 public totalSupplyBase; // principal
    uint256 public totalBorrowBase; // principal (the borrow index stays BASE_INDEX_SCALE)
    bool public isPaused;

    mapping(address account => uint256 principal) public userPrincipal;
    mapping(address account => uint256 principal) internal _borrowPrincipal;

    error BadAsset();
    error Paused();
    error NotCollateralized();
    error MockCometOnlyOwner(address caller);
    error MockCometIndexDecrease(uint256 current, uint256 requested);

    event Supply(address indexed from, address indexed dst, uint256 amount);
    event Withdraw(address indexed src, address indexed to, uint256 amount);
    event Transfer(address indexed from, address indexed to, uint256 amount);
    /// @notice Test helper: the supply index moved.
    event MockSupplyIndexSet(uint256 baseSupplyIndex);
    /// @notice Test helper: an exploit borrowed `amount` of the base token it will never repay.
    event MockExploitDrained(address indexed to, uint256 amount, uint256 totalBorrow);

    constructor(address baseToken_) {
        baseToken = baseToken_;
        OWNER = msg.sender;
    }

    modifier onlyOwner() {
        if (msg.sender != OWNER) revert MockCometOnlyOwner(msg.sender);
        _;
    }

    /// @notice Supplies `amount` of the base token for the caller.
    /// @param asset Must be the base token.
    /// @param amount Base units.
    function supply(address asset, uint256 amount) external {
        if (isPaused) revert Paused();
        if (asset != baseToken) revert BadAsset();
        IERC20(asset).safeTransferFrom(msg.sender, address(this), amount);
        uint256 principal = (amount * BASE_INDEX_SCALE) / baseSupplyIndex;
        userPrincipal[msg.sender] += principal;
        totalSupplyBase += principal;
        emit Supply(msg.sender, msg.sender, amount);
        emit Transfer(address(0), msg.sender, amount);
    }

    /// @notice Withdraws `amount` (type(uint256).max = everything) of the caller's base supply.
    /// @param asset Must be the base token.
    /// @param amount Base units.
    function withdraw(address asset, uint256 amount) external {
        if (isPaused) revert Paused();
        if (asset != baseToken) revert BadAsset();
        uint256 balance = balanceOf(msg.sender);
        if (amount == type(uint256).max) amount = balance;
        if (amount > balance) revert NotCollateralized();
        uint256 principal = _principalUp(amount);
        uint256 held = userPrincipal[msg.sender];
        if (principal > held) principal = held;
        userPrincipal[msg.sender] = held - principal;
        totalSupplyBase -= principal;
        IERC20(asset).safeTransfer(msg.sender, amount);
        emit Transfer(msg.sender, address(0), amount);
        emit Withdraw(msg.sender, msg.sender, amount);
    }

    /// @notice Present value of the account's base supply.
    /// @param account The account.
    /// @return Base units.
    function balanceOf(address account) public view returns (uint256) {
        return (userPrincipal[account] * baseSupplyIndex) / BASE_INDEX_SCALE;
    }

    /// @notice Present value of all base supply.
    /// @return Base units.
    function totalSupply() public view returns (uint256) {
        return (totalSupplyBase * baseSupplyIndex) / BASE_INDEX_SCALE;
    }

    /// @notice Present value of the account's base borrow.
    /// @param account The account.
    /// @return Base units.
    function borrowBalanceOf(address account) external view returns (uint256) {
        return _borrowPrincipal[account];
    }

    /// @notice Present value of all base borrows.
    /// @return Base units.
    function totalBorrow() public view returns (uint256) {
        return totalBorrowBase;
    }

    /// @notice The protocol's reserves: base held − total supply + total borrow (Comet's formula).
    /// @return Signed base units.
    function getReserves() external view returns (int256) {
        return int256(IERC20(baseToken).balanceOf(address(this))) - int256(totalSupply()) + int256(totalBorrow());
    }

    /// @notice Decimals of the base token (Comet reports its base token's).
    /// @return The decimals.
    function decimals() external view returns (uint8) {
        return IERC20Decimals(baseToken).decimals();
    }

    /// @notice Test helper: interest accrues — the supply index rises.
    /// @param newIndex The new index (1e15 scale), at least the current one.
    function mockAccrue(uint256 newIndex) external onlyOwner {
        if (newIndex < baseSupplyIndex) revert MockCometIndexDecrease(baseSupplyIndex, newIndex);
        baseSupplyIndex = newIndex;
        emit MockSupplyIndexSet(newIndex);
    }

    /// @notice Test helper: pauses supply and withdraw.
    /// @param paused The new state.
    function mockSetPaused(bool paused) external onlyOwner {
        isPaused = paused;
    }

    /// @notice Test helper: an exploit borrows `amount` of the base token against collateral that
    /// is worthless (a manipulated price); the debt is recorded and never repaid. Balances and the
    /// supply index do not move; the cash is gone.
    /// @param to The attacker (the borrower and receiver).
    /// @param amount Base units, at most the cash held.
    function mockExploitDrain(address to, uint256 amount) external onlyOwner {
        _borrowPrincipal[to] += amount;
        totalBorrowBase += amount;
        IERC20(baseToken).safeTransfer(to, amount);
        emit Withdraw(to, to, amount);
        emit MockExploitDrained(to, amount, totalBorrowBase);
    }

    function _principalUp(uint256 amount) internal view returns (uint256) {
        return (amount * BASE_INDEX_SCALE + baseSupplyIndex - 1) / baseSupplyIndex;
    }
}

/// @title IERC20Decimals
/// @notice The ERC-20 metadata view Comet forwards.
interface IERC20Decimals {
    /// @notice Token decimals.
    /// @return The decimals.
    function decimals() external view returns (uint8);
}
