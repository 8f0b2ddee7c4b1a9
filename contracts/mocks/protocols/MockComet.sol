// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

// Comet's own custom errors (no domain prefix) and unindexed event values follow the real ABI.
/* solhint-disable gas-indexed-events */

import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";
import {SafeERC20} from "@openzeppelin/contracts/token/ERC20/utils/SafeERC20.sol";

/// @title MockComet
/// @notice Test-only stand-in for a Compound V3 market (e.g. cUSDCv3) without borrowing: base-asset
/// `supply`/`withdraw`, `balanceOf` as the present value of the account's supply principal
/// (`principal × baseSupplyIndex / 1e15`, rounded down as `presentValueSupply`), `totalSupply`,
/// `baseToken`. The market holds the base token itself, so "the USDC Comet holds" is
/// `USDC.balanceOf(comet)`.
/// @dev Mirrored from compound-finance/comet `Comet.sol` (facts only): errors `BadAsset()`,
/// `Paused()`, `NotCollateralized()` (withdrawing more than the supply would borrow, and this mock
/// has no collateral); events `Supply`, `Withdraw` and the base-token `Transfer` mint/burn; a
/// `type(uint256).max` withdrawal takes the whole balance. Not mirrored: collateral assets,
/// borrowing, interest-rate curves, rewards tracking, absorb/buyCollateral. The supply index moves
/// only through the test helpers (`mockAccrue`, `mockExploitDrain`).
contract MockComet {
    using SafeERC20 for IERC20;

    uint256 internal constant BASE_INDEX_SCALE = 1e15; // index unit, as Comet

    address public immutable baseToken;
    address public immutable OWNER;
    uint256 public baseSupplyIndex = BASE_INDEX_SCALE;
    uint256 public totalSupplyBase; // principal
    bool public isPaused;

    mapping(address account => uint256 principal) public userPrincipal;

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
    /// @notice Test helper: an exploit took `amount` of the base token.
    event MockExploitDrained(address indexed to, uint256 amount, uint256 baseSupplyIndex);

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

    /// @notice Test helper: an exploit takes `amount` of the base token; the supply index falls by
    /// the same share of total supply, so every supplier's balance loses that share.
    /// @param to Receiver (the attacker).
    /// @param amount Base units, at most the total supply.
    function mockExploitDrain(address to, uint256 amount) external onlyOwner {
        uint256 supplied = totalSupply();
        if (amount > supplied) revert NotCollateralized();
        baseSupplyIndex = (baseSupplyIndex * (supplied - amount)) / supplied;
        IERC20(baseToken).safeTransfer(to, amount);
        emit MockExploitDrained(to, amount, baseSupplyIndex);
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
