// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

// Comet's own custom errors (no domain prefix) and unindexed event values follow the real ABI.
/* solhint-disable gas-indexed-events */

import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";
import {SafeERC20} from "@openzeppelin/contracts/token/ERC20/utils/SafeERC20.sol";
import {MockChainlinkAggregator} from "../leading/MockChainlinkAggregator.sol";

/// @title MockComet
/// @notice Test-only stand-in for a Compound V3 market (e.g. cUSDCv3). One signed base principal
/// per account (`userBasic(account).principal`: positive = supply, negative = borrow, as Comet's
/// `int104`), present values through the supply and borrow indexes (1e15 scale, `presentValueSupply`
/// rounds down, `principalValueBorrow` up), collateral assets with Chainlink price feeds (8
/// decimals) and the real `AssetInfo` (offset, asset, priceFeed, scale, borrowCollateralFactor,
/// liquidateCollateralFactor, liquidationFactor, supplyCap).
/// @dev Mirrored from compound-finance/comet (`Comet.sol`, `CometExt.sol`, `CometStorage.sol`; facts
/// only): `supply(asset, amount)` for the base token (repays a borrow first) and for collateral;
/// `withdraw(asset, amount)` of base (beyond the supply it borrows, if `isBorrowCollateralized`,
/// else `NotCollateralized`) or of collateral; `type(uint256).max` withdraws the whole supply;
/// views `balanceOf`, `borrowBalanceOf`, `totalSupply`, `totalBorrow`, `getReserves() = base held −
/// totalSupply + totalBorrow` (signed), `totalsBasic()`, `userBasic`, `userCollateral`,
/// `totalsCollateral`, `numAssets`, `getAssetInfo(i)`, `getAssetInfoByAddress`, `getPrice(feed)`
/// (`latestRoundData`, `BadPrice` when ≤ 0), `baseToken`, `baseTokenPriceFeed`, `baseScale`,
/// `isBorrowCollateralized`; errors `BadAsset`, `BadPrice`, `Paused`, `NotCollateralized`; events
/// `Supply`, `Withdraw` (also for a borrow), `Transfer` (base mint/burn), `SupplyCollateral`,
/// `WithdrawCollateral`. As on the real market, a theft never lowers a balance or an index: the loss
/// is cash that left against debt no collateral backs (`mockExploitDrain`: a borrow against
/// collateral that is worthless; or a real `withdraw` against a collateral whose feed was pushed up).
/// Simplifies: the base price feed is a $1 feed the market deploys itself; collateral is listed by
/// `mockAddAsset` (immutable in the real market); the indexes move only through `mockAccrue` /
/// `mockAccrueBorrow` (no rate curves, no `accrueInternal` by time); no `baseBorrowMin`, supply
/// caps, rewards tracking, allowances/`*From`/`*To` entry points, `absorb` or `buyCollateral`
/// (bad debt is never written off, so `getReserves` does not move in a theft); one pause flag.
contract MockComet {
    using SafeERC20 for IERC20;

    uint64 internal constant BASE_INDEX_SCALE = 1e15; // index unit, as Comet
    uint64 internal constant FACTOR_SCALE = 1e18; // collateral factors, as Comet
    uint8 internal constant MAX_ASSETS = 15; // as Comet

    /// @notice Comet `CometCore.AssetInfo`.
    struct AssetInfo {
        uint8 offset;
        address asset;
        address priceFeed;
        uint64 scale;
        uint64 borrowCollateralFactor;
        uint64 liquidateCollateralFactor;
        uint64 liquidationFactor;
        uint128 supplyCap;
    }

    /// @notice Comet `CometStorage.TotalsBasic`.
    struct TotalsBasic {
        uint64 baseSupplyIndex;
        uint64 baseBorrowIndex;
        uint64 trackingSupplyIndex;
        uint64 trackingBorrowIndex;
        uint104 totalSupplyBase;
        uint104 totalBorrowBase;
        uint40 lastAccrualTime;
        uint8 pauseFlags;
    }

    /// @notice Comet `CometStorage.UserBasic`.
    struct UserBasic {
        int104 principal;
        uint64 baseTrackingIndex;
        uint64 baseTrackingAccrued;
        uint16 assetsIn;
        uint8 _reserved;
    }

    /// @notice Comet `CometStorage.UserCollateral`.
    struct UserCollateral {
        uint128 balance;
        uint128 _reserved;
    }

    /// @notice Comet `CometStorage.TotalsCollateral`.
    struct TotalsCollateral {
        uint128 totalSupplyAsset;
        uint128 _reserved;
    }

    /// @notice The base asset (e.g. USDC).
    address public immutable baseToken;
    /// @notice The base asset's USD feed (8 decimals); a $1 feed this mock deploys.
    address public immutable baseTokenPriceFeed;
    /// @notice 10 ** the base token's decimals.
    uint256 public immutable baseScale;
    /// @notice Who may call the test helpers.
    address public immutable OWNER;
    /// @notice Whether supply and withdraw are paused.
    bool public isPaused;

    TotalsBasic internal _totals;
    AssetInfo[] internal _assets;
    /// @notice Per account: the signed base principal (and Comet's tracking fields, unused here).
    mapping(address account => UserBasic basic) public userBasic;
    /// @notice Per account and collateral asset: the balance supplied.
    mapping(address account => mapping(address asset => UserCollateral collateral)) public userCollateral;
    /// @notice Per collateral asset: the total supplied.
    mapping(address asset => TotalsCollateral totals) public totalsCollateral;

    error BadAsset();
    error BadPrice();
    error Paused();
    error NotCollateralized();
    error TooManyAssets();
    error MockCometOnlyOwner(address caller);
    error MockCometIndexDecrease(uint256 current, uint256 requested);

    /// @notice Base supplied (or repaid), as Comet.
    /// @param from The payer.
    /// @param dst The account credited.
    /// @param amount Base units.
    event Supply(address indexed from, address indexed dst, uint256 amount);
    /// @notice Base supply balance minted or burnt, as Comet.
    /// @param from The sender (0 on a mint).
    /// @param to The receiver (0 on a burn).
    /// @param amount Base units.
    event Transfer(address indexed from, address indexed to, uint256 amount);
    /// @notice Base withdrawn or borrowed, as Comet.
    /// @param src The account debited.
    /// @param to The receiver.
    /// @param amount Base units.
    event Withdraw(address indexed src, address indexed to, uint256 amount);
    /// @notice Collateral supplied, as Comet.
    /// @param from The payer.
    /// @param dst The account credited.
    /// @param asset The collateral.
    /// @param amount Asset units.
    event SupplyCollateral(address indexed from, address indexed dst, address indexed asset, uint256 amount);
    /// @notice Collateral withdrawn, as Comet.
    /// @param src The account debited.
    /// @param to The receiver.
    /// @param asset The collateral.
    /// @param amount Asset units.
    event WithdrawCollateral(address indexed src, address indexed to, address indexed asset, uint256 amount);
    /// @notice Test helper: the supply index moved.
    /// @param baseSupplyIndex The new index.
    event MockSupplyIndexSet(uint256 baseSupplyIndex);
    /// @notice Test helper: the borrow index moved.
    /// @param baseBorrowIndex The new index.
    event MockBorrowIndexSet(uint256 baseBorrowIndex);
    /// @notice Test helper: a collateral asset was listed.
    /// @param asset The collateral.
    /// @param priceFeed Its USD feed.
    event MockAssetAdded(address indexed asset, address indexed priceFeed);
    /// @notice Test helper: an exploit borrowed `amount` of the base token it will never repay.
    /// @param to The attacker.
    /// @param amount Base units.
    /// @param totalBorrow The market's total borrow after it.
    event MockExploitDrained(address indexed to, uint256 amount, uint256 totalBorrow);

    constructor(address baseToken_) {
        baseToken = baseToken_;
        baseScale = 10 ** IERC20Decimals(baseToken_).decimals();
        baseTokenPriceFeed = address(new MockChainlinkAggregator(8, "base / USD", 1e8));
        OWNER = msg.sender;
        _totals.baseSupplyIndex = BASE_INDEX_SCALE;
        _totals.baseBorrowIndex = BASE_INDEX_SCALE;
        _totals.lastAccrualTime = uint40(block.timestamp);
    }

    modifier onlyOwner() {
        if (msg.sender != OWNER) revert MockCometOnlyOwner(msg.sender);
        _;
    }

    /// @notice Supplies `amount` of the base token (repaying the caller's borrow first) or of a collateral asset.
    /// @param asset The base token or a listed collateral.
    /// @param amount Asset units.
    function supply(address asset, uint256 amount) external {
        if (isPaused) revert Paused();
        if (asset == baseToken) {
            IERC20(asset).safeTransferFrom(msg.sender, address(this), amount);
            int256 balance = _presentValue(userBasic[msg.sender].principal) + int256(amount);
            _setPrincipal(msg.sender, balance);
            emit Supply(msg.sender, msg.sender, amount);
            if (balance > 0) emit Transfer(address(0), msg.sender, uint256(balance) < amount ? uint256(balance) : amount);
            return;
        }
        _assetInfo(asset); // BadAsset when not listed
        IERC20(asset).safeTransferFrom(msg.sender, address(this), amount);
        userCollateral[msg.sender][asset].balance += uint128(amount);
        totalsCollateral[asset].totalSupplyAsset += uint128(amount);
        emit SupplyCollateral(msg.sender, msg.sender, asset, amount);
    }

    /// @notice Withdraws `amount` of the base token (beyond the supply: a borrow) or of a collateral asset.
    /// @param asset The base token or a listed collateral.
    /// @param amount Asset units; `type(uint256).max` = the whole base supply.
    function withdraw(address asset, uint256 amount) external {
        if (isPaused) revert Paused();
        if (asset == baseToken) {
            int256 before = _presentValue(userBasic[msg.sender].principal);
            if (amount == type(uint256).max) amount = before > 0 ? uint256(before) : 0;
            int256 balance = before - int256(amount);
            _setPrincipal(msg.sender, balance);
            if (balance < 0 && !isBorrowCollateralized(msg.sender)) revert NotCollateralized();
            IERC20(asset).safeTransfer(msg.sender, amount);
            if (before > 0) emit Transfer(msg.sender, address(0), uint256(before) < amount ? uint256(before) : amount);
            emit Withdraw(msg.sender, msg.sender, amount);
            return;
        }
        _assetInfo(asset);
        userCollateral[msg.sender][asset].balance -= uint128(amount);
        totalsCollateral[asset].totalSupplyAsset -= uint128(amount);
        if (!isBorrowCollateralized(msg.sender)) revert NotCollateralized();
        IERC20(asset).safeTransfer(msg.sender, amount);
        emit WithdrawCollateral(msg.sender, msg.sender, asset, amount);
    }

    /// @notice Whether the account's borrow is within its collateral × borrowCollateralFactor at the feeds' prices.
    /// @param account The account.
    /// @return True when collateralised (or not borrowing).
    function isBorrowCollateralized(address account) public view returns (bool) {
        int104 principal = userBasic[account].principal;
        if (principal >= 0) return true;
        int256 liquidity = -int256((_presentValueBorrow(uint256(int256(-principal))) * getPrice(baseTokenPriceFeed)) / baseScale);
        for (uint256 i = 0; i < _assets.length; ++i) {
            AssetInfo memory info = _assets[i];
            uint256 held = userCollateral[account][info.asset].balance;
            if (held == 0) continue;
            uint256 value = (held * getPrice(info.priceFeed)) / info.scale;
            liquidity += int256((value * info.borrowCollateralFactor) / FACTOR_SCALE);
        }
        return liquidity >= 0;
    }

    /// @notice Present value of the account's base supply (0 when borrowing).
    /// @param account The account.
    /// @return Base units.
    function balanceOf(address account) public view returns (uint256) {
        int104 principal = userBasic[account].principal;
        return principal > 0 ? _presentValueSupply(uint256(int256(principal))) : 0;
    }

    /// @notice Present value of the account's base borrow (0 when supplying).
    /// @param account The account.
    /// @return Base units.
    function borrowBalanceOf(address account) public view returns (uint256) {
        int104 principal = userBasic[account].principal;
        return principal < 0 ? _presentValueBorrow(uint256(int256(-principal))) : 0;
    }

    /// @notice Present value of all base supply.
    /// @return Base units.
    function totalSupply() public view returns (uint256) {
        return _presentValueSupply(_totals.totalSupplyBase);
    }

    /// @notice Present value of all base borrows.
    /// @return Base units.
    function totalBorrow() public view returns (uint256) {
        return _presentValueBorrow(_totals.totalBorrowBase);
    }

    /// @notice The protocol's reserves: base held − total supply + total borrow (Comet's formula).
    /// @return Signed base units.
    function getReserves() external view returns (int256) {
        return int256(IERC20(baseToken).balanceOf(address(this))) - int256(totalSupply()) + int256(totalBorrow());
    }

    /// @notice The market's totals (CometExt `totalsBasic`).
    /// @return The totals.
    function totalsBasic() external view returns (TotalsBasic memory) {
        return _totals;
    }

    /// @notice Number of collateral assets.
    /// @return The count.
    function numAssets() external view returns (uint8) {
        return uint8(_assets.length);
    }

    /// @notice The `i`th collateral asset.
    /// @param i Its offset.
    /// @return Its info.
    function getAssetInfo(uint8 i) external view returns (AssetInfo memory) {
        if (i >= _assets.length) revert BadAsset();
        return _assets[i];
    }

    /// @notice The collateral asset `asset`.
    /// @param asset The collateral.
    /// @return Its info.
    function getAssetInfoByAddress(address asset) external view returns (AssetInfo memory) {
        return _assetInfo(asset);
    }

    /// @notice A price feed's answer (8 decimals, USD).
    /// @param priceFeed The feed.
    /// @return The price.
    function getPrice(address priceFeed) public view returns (uint256) {
        (, int256 price, , , ) = MockChainlinkAggregator(priceFeed).latestRoundData();
        if (price <= 0) revert BadPrice();
        return uint256(price);
    }

    /// @notice Decimals of the base token (Comet reports its base token's).
    /// @return The decimals.
    function decimals() external view returns (uint8) {
        return IERC20Decimals(baseToken).decimals();
    }

    /// @notice Test helper: lists a collateral asset (Comet's configurator fixes them at deployment).
    /// @param asset The collateral token.
    /// @param priceFeed Its USD feed (8 decimals).
    /// @param borrowCollateralFactor Of 1e18.
    /// @param liquidateCollateralFactor Of 1e18.
    /// @param liquidationFactor Of 1e18: the share of the collateral's value `absorb` credits.
    function mockAddAsset(address asset, address priceFeed, uint64 borrowCollateralFactor, uint64 liquidateCollateralFactor, uint64 liquidationFactor) external onlyOwner {
        if (_assets.length >= MAX_ASSETS) revert TooManyAssets();
        uint64 scale = uint64(10 ** IERC20Decimals(asset).decimals());
        _assets.push(AssetInfo(uint8(_assets.length), asset, priceFeed, scale, borrowCollateralFactor, liquidateCollateralFactor, liquidationFactor, type(uint128).max));
        emit MockAssetAdded(asset, priceFeed);
    }

    /// @notice Test helper: supply interest accrues — the supply index rises.
    /// @param newIndex The new index (1e15 scale), at least the current one.
    function mockAccrue(uint256 newIndex) external onlyOwner {
        if (newIndex < _totals.baseSupplyIndex) revert MockCometIndexDecrease(_totals.baseSupplyIndex, newIndex);
        _totals.baseSupplyIndex = uint64(newIndex);
        _totals.lastAccrualTime = uint40(block.timestamp);
        emit MockSupplyIndexSet(newIndex);
    }

    /// @notice Test helper: borrow interest accrues — the borrow index rises.
    /// @param newIndex The new index (1e15 scale), at least the current one.
    function mockAccrueBorrow(uint256 newIndex) external onlyOwner {
        if (newIndex < _totals.baseBorrowIndex) revert MockCometIndexDecrease(_totals.baseBorrowIndex, newIndex);
        _totals.baseBorrowIndex = uint64(newIndex);
        _totals.lastAccrualTime = uint40(block.timestamp);
        emit MockBorrowIndexSet(newIndex);
    }

    /// @notice Test helper: pauses supply and withdraw.
    /// @param paused The new state.
    function mockSetPaused(bool paused) external onlyOwner {
        isPaused = paused;
    }

    /// @notice Test helper: an exploit borrows `amount` of the base token against collateral that
    /// is worthless (a manipulated price); the debt is recorded (`borrowBalanceOf(to)`, a `Withdraw`
    /// as Comet emits for a borrow) and never repaid. Balances and indexes do not move; the cash is gone.
    /// @param to The attacker (the borrower and receiver).
    /// @param amount Base units, at most the cash held.
    function mockExploitDrain(address to, uint256 amount) external onlyOwner {
        _setPrincipal(to, _presentValue(userBasic[to].principal) - int256(amount));
        IERC20(baseToken).safeTransfer(to, amount);
        emit Withdraw(to, to, amount);
        emit MockExploitDrained(to, amount, totalBorrow());
    }

    /// @dev Moves the account to the present value `balance`, updating the totals as Comet's
    /// `updateBasePrincipal` / `repayAndSupplyAmount` / `withdrawAndBorrowAmount` do.
    function _setPrincipal(address account, int256 balance) internal {
        int104 oldPrincipal = userBasic[account].principal;
        int104 newPrincipal = balance >= 0
            ? int104(int256((uint256(balance) * BASE_INDEX_SCALE) / _totals.baseSupplyIndex))
            : -int104(int256((uint256(-balance) * BASE_INDEX_SCALE + _totals.baseBorrowIndex - 1) / _totals.baseBorrowIndex));
        if (oldPrincipal > 0) _totals.totalSupplyBase -= uint104(oldPrincipal);
        else _totals.totalBorrowBase -= uint104(-oldPrincipal);
        if (newPrincipal > 0) _totals.totalSupplyBase += uint104(newPrincipal);
        else _totals.totalBorrowBase += uint104(-newPrincipal);
        userBasic[account].principal = newPrincipal;
    }

    function _presentValue(int104 principal) internal view returns (int256) {
        return principal >= 0 ? int256(_presentValueSupply(uint256(int256(principal)))) : -int256(_presentValueBorrow(uint256(int256(-principal))));
    }

    function _presentValueSupply(uint256 principal) internal view returns (uint256) {
        return (principal * _totals.baseSupplyIndex) / BASE_INDEX_SCALE;
    }

    function _presentValueBorrow(uint256 principal) internal view returns (uint256) {
        return (principal * _totals.baseBorrowIndex) / BASE_INDEX_SCALE;
    }

    function _assetInfo(address asset) internal view returns (AssetInfo memory) {
        for (uint256 i = 0; i < _assets.length; ++i) if (_assets[i].asset == asset) return _assets[i];
        revert BadAsset();
    }
}

/// @title IERC20Decimals
/// @notice The ERC-20 metadata view Comet forwards.
interface IERC20Decimals {
    /// @notice Token decimals.
    /// @return The decimals.
    function decimals() external view returns (uint8);
}
