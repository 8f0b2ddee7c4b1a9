// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {Ownable} from "@openzeppelin/contracts/access/Ownable.sol";
import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";
import {SafeERC20} from "@openzeppelin/contracts/token/ERC20/utils/SafeERC20.sol";
import {ReentrancyGuard} from "@openzeppelin/contracts/utils/ReentrancyGuard.sol";
import {Math} from "@openzeppelin/contracts/utils/math/Math.sol";
import {ICoverProvider} from "../interfaces/ICoverProvider.sol";

/// @title MockCapacityLimitedProvider
/// @notice A second, simple upstream cover market (InsurAce-like) implementing `ICoverProvider` directly:
/// limited capacity per (protocol, asset), a flat annual price, claim decisions taken through test-only
/// controls. Used to exercise the fund's failover when the primary provider lacks capacity.
/// @dev Holds the payout tokens itself (tests fund it by transfer). Premiums are pulled exactly (no
/// refund). Renewals keep the cover id. Claim window: [start, end + CLAIM_GRACE_PERIOD].
contract MockCapacityLimitedProvider is ICoverProvider, Ownable, ReentrancyGuard {
    using SafeERC20 for IERC20;

    /// @notice A test decision on a pending claim.
    enum MockDecision {
        Accept,
        Deny,
        Draw
    }

    /// @notice Market of one (protocol, asset). Packing: bool + uint248 = 256 bits.
    struct Market {
        bool isSupported;
        uint248 capacity; // remaining, in asset units
    }

    /// @notice Packing: slot 0 = protocol (160) + start (40) + end (40); slot 1 = asset; slot 2 = amount.
    struct Cover {
        address protocol;
        uint40 start;
        uint40 end;
        address asset;
        uint256 amount;
    }

    /// @notice Packing: four full slots, then status (8) + redeemableUntil (40) + depositRetrieved (8).
    struct Claim {
        uint256 coverId;
        uint256 amount;
        uint256 payout;
        uint256 deposit;
        ClaimStatus status;
        uint40 redeemableUntil;
        bool depositRetrieved;
    }

    error MockProviderUnsupported(address protocol, address asset);
    error MockProviderPremiumTooHigh(uint256 premium, uint256 maxPremium);
    error MockProviderUnknownCover(uint256 coverId);
    error MockProviderUnknownClaim(uint256 claimId);
    error MockProviderWrongDeposit(uint256 sent, uint256 required);
    error MockProviderOutsideClaimWindow(uint256 timestamp, uint256 earliest, uint256 latest);
    error MockProviderAmountExceedsCover(uint256 amount, uint256 covered);
    error MockProviderClaimNotPending(uint256 claimId);
    error MockProviderClaimNotRedeemable(uint256 claimId, ClaimStatus status);
    error MockProviderDepositNotRetrievable(uint256 claimId);
    error MockProviderEthTransferFailed(address to, uint256 amount);

    event MockProviderCoverBought(uint256 indexed coverId, address indexed protocol, uint256 amount, uint256 premium);
    event MockProviderCoverRenewed(uint256 indexed coverId, uint256 amount, uint256 premium);
    event MockProviderClaimSubmitted(uint256 indexed claimId, uint256 indexed coverId, uint256 amount);
    event MockProviderClaimDecided(uint256 indexed claimId, MockDecision decision, uint256 payout);
    event MockProviderPayoutRedeemed(uint256 indexed claimId, uint256 payout, uint256 depositReturned);
    event MockProviderDepositRetrieved(uint256 indexed claimId, uint256 depositReturned);

    uint256 public constant CLAIM_GRACE_PERIOD = 30 days; // seconds
    uint256 public constant REDEMPTION_WINDOW = 30 days; // seconds
    uint256 private constant BPS = 10_000;
    uint256 private constant ONE_YEAR = 365 days; // seconds

    /// @inheritdoc ICoverProvider
    address public immutable fund;

    /// @notice Annual price in bps of the covered amount.
    uint256 public annualPriceBps;
    /// @notice ETH deposit required by `submitClaim`.
    uint256 public claimDepositWei;

    mapping(address protocol => mapping(address asset => Market)) public markets;
    mapping(uint256 coverId => Cover) public covers;
    mapping(uint256 claimId => Claim) public claims;
    uint256 public lastCoverId;
    uint256 public lastClaimId;

    modifier onlyFund() {
        if (msg.sender != fund) revert CoverProviderOnlyFund(msg.sender);
        _;
    }

    constructor(address fund_, uint256 annualPriceBps_, address initialOwner) Ownable(initialOwner) {
        fund = fund_;
        annualPriceBps = annualPriceBps_;
    }

    /// @notice Accepts ETH top-ups (deposits are normally held from `submitClaim`).
    receive() external payable {}

    /// @inheritdoc ICoverProvider
    function buyCover(
        address protocol,
        address asset,
        uint256 amount,
        uint256 period,
        uint256 maxPremium,
        bytes calldata
    ) external onlyFund nonReentrant returns (uint256 providerCoverId, uint256 premiumPaid) {
        _takeCapacity(protocol, asset, amount);
        premiumPaid = _collectPremium(asset, quote(amount, period), maxPremium);
        providerCoverId = ++lastCoverId;
        covers[providerCoverId] = Cover({
            protocol: protocol,
            start: uint40(block.timestamp),
            end: uint40(block.timestamp + period),
            asset: asset,
            amount: amount
        });
        emit MockProviderCoverBought(providerCoverId, protocol, amount, premiumPaid);
    }

    /// @inheritdoc ICoverProvider
    function renewCover(
        uint256 providerCoverId,
        address,
        address,
        uint256 amount,
        uint256 period,
        uint256 maxPremium,
        bytes calldata
    ) external onlyFund nonReentrant returns (uint256 newProviderCoverId, uint256 premiumPaid) {
        Cover storage cover = _cover(providerCoverId);
        markets[cover.protocol][cover.asset].capacity += uint248(cover.amount);
        _takeCapacity(cover.protocol, cover.asset, amount);
        premiumPaid = _collectPremium(cover.asset, renewalQuote(providerCoverId, amount, period), maxPremium);
        cover.amount = amount;
        cover.start = uint40(block.timestamp);
        cover.end = uint40(block.timestamp + period);
        newProviderCoverId = providerCoverId;
        emit MockProviderCoverRenewed(providerCoverId, amount, premiumPaid);
    }

    /// @inheritdoc ICoverProvider
    function submitClaim(uint256 providerCoverId, uint256 amount, bytes calldata)
        external
        payable
        onlyFund
        nonReentrant
        returns (uint256 providerClaimId)
    {
        Cover storage cover = _cover(providerCoverId);
        if (msg.value != claimDepositWei) revert MockProviderWrongDeposit(msg.value, claimDepositWei);
        uint256 latest = uint256(cover.end) + CLAIM_GRACE_PERIOD;
        if (block.timestamp < cover.start || block.timestamp > latest) {
            revert MockProviderOutsideClaimWindow(block.timestamp, cover.start, latest);
        }
        if (amount > cover.amount) revert MockProviderAmountExceedsCover(amount, cover.amount);

        providerClaimId = ++lastClaimId;
        claims[providerClaimId] = Claim({
            coverId: providerCoverId,
            amount: amount,
            payout: 0,
            deposit: msg.value,
            status: ClaimStatus.Pending,
            redeemableUntil: 0,
            depositRetrieved: false
        });
        emit MockProviderClaimSubmitted(providerClaimId, providerCoverId, amount);
    }

    /// @inheritdoc ICoverProvider
    function redeemPayout(uint256 providerClaimId)
        external
        onlyFund
        nonReentrant
        returns (uint256 payout, uint256 depositReturned)
    {
        Claim storage claim = _claim(providerClaimId);
        ClaimStatus status = _statusOf(claim);
        if (status != ClaimStatus.Accepted) revert MockProviderClaimNotRedeemable(providerClaimId, status);
        claim.status = ClaimStatus.Redeemed;
        claim.depositRetrieved = true;
        payout = claim.payout;
        depositReturned = claim.deposit;

        IERC20(covers[claim.coverId].asset).safeTransfer(fund, payout);
        _sendEth(fund, depositReturned);
        emit MockProviderPayoutRedeemed(providerClaimId, payout, depositReturned);
    }

    /// @inheritdoc ICoverProvider
    function retrieveDeposit(uint256 providerClaimId) external onlyFund nonReentrant returns (uint256 depositReturned) {
        Claim storage claim = _claim(providerClaimId);
        if (claim.status != ClaimStatus.Draw || claim.depositRetrieved) {
            revert MockProviderDepositNotRetrievable(providerClaimId);
        }
        claim.depositRetrieved = true;
        depositReturned = claim.deposit;
        _sendEth(fund, depositReturned);
        emit MockProviderDepositRetrieved(providerClaimId, depositReturned);
    }

    /// @inheritdoc ICoverProvider
    function isSupported(address protocol, address asset) external view returns (bool) {
        return markets[protocol][asset].isSupported;
    }

    /// @inheritdoc ICoverProvider
    function claimDeposit(uint256, uint256) external view returns (uint256) {
        return claimDepositWei;
    }

    /// @inheritdoc ICoverProvider
    function claimWindow(uint256 providerCoverId) external view returns (uint256 earliest, uint256 latest) {
        Cover storage cover = _cover(providerCoverId);
        return (cover.start, uint256(cover.end) + CLAIM_GRACE_PERIOD);
    }

    /// @inheritdoc ICoverProvider
    function claimStatus(uint256 providerClaimId)
        external
        view
        returns (ClaimStatus status, uint256 payout, uint256 redeemableUntil)
    {
        Claim storage claim = claims[providerClaimId];
        status = _statusOf(claim);
        if (status == ClaimStatus.Accepted || status == ClaimStatus.Redeemed) payout = claim.payout;
        if (status == ClaimStatus.Accepted) redeemableUntil = claim.redeemableUntil;
    }

    /// @notice The premium charged for `amount` over `period` seconds.
    function quote(uint256 amount, uint256 period) public view returns (uint256) {
        return Math.mulDiv(amount * annualPriceBps, period, BPS * ONE_YEAR, Math.Rounding.Ceil);
    }

    /// @notice What renewing `providerCoverId` to `amount` for `period` from now costs. Like a Nexus
    /// edit, the time already paid for is credited: a live cover pays for the extension past its end
    /// plus any increase over the time it has left; an ended cover pays for the whole new period.
    function renewalQuote(uint256 providerCoverId, uint256 amount, uint256 period) public view returns (uint256) {
        Cover storage cover = _cover(providerCoverId);
        uint256 end = cover.end;
        uint256 newEnd = block.timestamp + period;
        if (end <= block.timestamp) return quote(amount, period);
        uint256 premium = newEnd > end ? quote(amount, newEnd - end) : 0;
        if (amount > cover.amount) premium += quote(amount - cover.amount, end - block.timestamp);
        return premium;
    }

    function _takeCapacity(address protocol, address asset, uint256 amount) private {
        Market storage market = markets[protocol][asset];
        if (!market.isSupported) revert MockProviderUnsupported(protocol, asset);
        if (amount > market.capacity) revert CoverProviderInsufficientCapacity(amount, market.capacity);
        market.capacity -= uint248(amount);
    }

    function _collectPremium(address asset, uint256 premium, uint256 maxPremium) private returns (uint256) {
        if (premium > maxPremium) revert MockProviderPremiumTooHigh(premium, maxPremium);
        IERC20(asset).safeTransferFrom(fund, address(this), premium);
        return premium;
    }

    function _statusOf(Claim storage claim) private view returns (ClaimStatus) {
        ClaimStatus status = claim.status;
        if (status == ClaimStatus.Accepted && block.timestamp > claim.redeemableUntil) return ClaimStatus.Expired;
        return status;
    }

    function _cover(uint256 coverId) private view returns (Cover storage cover) {
        cover = covers[coverId];
        if (cover.start == 0) revert MockProviderUnknownCover(coverId);
    }

    function _claim(uint256 claimId) private view returns (Claim storage claim) {
        claim = claims[claimId];
        if (claim.status == ClaimStatus.None) revert MockProviderUnknownClaim(claimId);
    }

    function _sendEth(address to, uint256 amount) private {
        if (amount == 0) return;
        // solhint-disable-next-line avoid-low-level-calls
        (bool ok,) = to.call{value: amount}("");
        if (!ok) revert MockProviderEthTransferFailed(to, amount);
    }

    // ---- test-only controls ----

    /// @notice Opens or closes the market of (`protocol`, `asset`) with `capacity` remaining.
    function mockSetMarket(address protocol, address asset, bool supported, uint248 capacity) external onlyOwner {
        markets[protocol][asset] = Market({isSupported: supported, capacity: capacity});
    }

    /// @notice Sets the annual price in bps.
    function mockSetPrice(uint256 annualPriceBps_) external onlyOwner {
        annualPriceBps = annualPriceBps_;
    }

    /// @notice Sets the ETH deposit a claim requires.
    function mockSetClaimDeposit(uint256 depositWei) external onlyOwner {
        claimDepositWei = depositWei;
    }

    /// @notice Decides a pending claim: accept with `payout` (redeemable for REDEMPTION_WINDOW), deny
    /// (deposit kept) or draw (deposit retrievable).
    function mockDecideClaim(uint256 claimId, MockDecision decision, uint256 payout) external onlyOwner {
        Claim storage claim = _claim(claimId);
        if (claim.status != ClaimStatus.Pending) revert MockProviderClaimNotPending(claimId);
        if (decision == MockDecision.Accept) {
            claim.status = ClaimStatus.Accepted;
            claim.payout = payout;
            claim.redeemableUntil = uint40(block.timestamp + REDEMPTION_WINDOW);
        } else {
            claim.status = decision == MockDecision.Deny ? ClaimStatus.Denied : ClaimStatus.Draw;
        }
        emit MockProviderClaimDecided(claimId, decision, decision == MockDecision.Accept ? payout : 0);
    }
}
