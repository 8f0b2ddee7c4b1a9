// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {Ownable} from "@openzeppelin/contracts/access/Ownable.sol";
import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";
import {SafeERC20} from "@openzeppelin/contracts/token/ERC20/utils/SafeERC20.sol";
import {SafeCast} from "@openzeppelin/contracts/utils/math/SafeCast.sol";
import {Math} from "@openzeppelin/contracts/utils/math/Math.sol";
import {INexusCover} from "../interfaces/nexus/INexusCover.sol";
import {INexusRegistry} from "../interfaces/nexus/INexusRegistry.sol";
import {MockNexusMutualCoverNFT} from "./MockNexusMutualCoverNFT.sol";

/// @title MockNexusMutualCover
/// @notice Local stand-in for the Nexus Mutual v3 `Cover` contract: same `buyCover` signature, errors,
/// event, edit semantics (a new NFT linked to the original) and cover data as the real one (see
/// `INexusCover` for the verified behaviour it copies).
/// @dev Simplifications, all stated:
/// - pricing: premium = allocated amount x annual price (bps) x period / 365 days, rounded up, in the
///   cover asset (the real price comes from staking pools in NXM);
/// - capacity: one counter per (product, cover asset), decreased on purchase, restored for the replaced
///   cover on an edit; expiry does not restore it (tests reset it);
/// - the pool (premium receiver, payout source) is the Claims mock set with `mockNexusSetClaims`;
/// - ETH and NXM payments are not supported (ERC20 cover assets only).
contract MockNexusMutualCover is INexusCover, Ownable {
    using SafeERC20 for IERC20;
    using SafeCast for uint256;

    /// @notice A test product. Packing: 16 + 8 + 8 = 32 bits.
    struct MockProduct {
        uint16 annualPriceBps;
        bool exists;
        bool isDeprecated;
    }

    /// @notice `StakingPool.requestAllocation` error when a pool cannot take the allocation.
    error InsufficientCapacity();
    /// @notice Registry-style access error (the real one carries the caller's contract index).
    error Unauthorized(address caller, uint256 callerIndex, uint256 authorizedBitmap);

    uint256 public constant MIN_COVER_PERIOD = 28 days; // seconds
    uint256 public constant MAX_COVER_PERIOD = 365 days; // seconds
    /// @notice Grace period of the protocol-cover product type (seconds). Nexus sets it per product type;
    /// 30 days is the protocol-cover value in NexusMutual/smart-contracts test fixtures.
    uint32 public constant GRACE_PERIOD = 30 days;
    uint256 public constant MAX_COMMISSION_RATIO = 3000; // bps
    uint16 private constant GLOBAL_REWARDS_RATIO = 5000; // bps
    uint16 private constant GLOBAL_CAPACITY_RATIO = 20000; // bps
    uint256 private constant BPS = 10_000;
    uint256 private constant ONE_YEAR = 365 days; // seconds
    uint256 private constant NXM_ASSET_ID = type(uint8).max;

    INexusRegistry public immutable registry;
    MockNexusMutualCoverNFT private immutable _coverNFT;

    /// @notice The Claims contract (the only `burnStake` caller) and pool stand-in.
    address public claims;

    mapping(uint256 coverId => CoverData) private _coverData;
    mapping(uint256 coverId => CoverReference) private _coverReference;
    mapping(uint256 coverId => uint256 premium) private _premiumInAsset;
    mapping(uint256 productId => MockProduct) private _products;
    mapping(uint256 productId => mapping(uint256 coverAsset => uint256 amount)) private _capacity;
    mapping(uint256 coverAsset => address token) private _coverAssetTokens;
    /// @notice Test-only misbehaviour: when set, new cover NFTs go here instead of `params.owner`.
    address public mockNexusMintRecipientOverride;

    constructor(address registry_, address initialOwner) Ownable(initialOwner) {
        registry = INexusRegistry(registry_);
        _coverNFT = new MockNexusMutualCoverNFT(address(this));
    }

    /// @inheritdoc INexusCover
    function buyCover(BuyCoverParams calldata params, PoolAllocationRequest[] calldata poolAllocationRequests)
        external
        payable
        returns (uint256 coverId)
    {
        uint256 memberId = registry.getMemberId(msg.sender);
        if (memberId == 0) revert OnlyMember();
        if (params.coverId != 0 && !_coverNFT.isApprovedOrOwner(msg.sender, params.coverId)) {
            revert OnlyOwnerOrApproved();
        }
        if (params.period < MIN_COVER_PERIOD) revert CoverPeriodTooShort();
        if (params.period > MAX_COVER_PERIOD) revert CoverPeriodTooLong();
        if (params.commissionRatio > MAX_COMMISSION_RATIO) revert CommissionRateTooHigh();
        if (params.amount == 0) revert CoverAmountIsZero();
        if (params.paymentAsset != params.coverAsset || params.paymentAsset == NXM_ASSET_ID) {
            revert InvalidPaymentAsset();
        }

        address recipient = mockNexusMintRecipientOverride;
        coverId = _coverNFT.mint(recipient == address(0) ? params.owner : recipient);
        uint256 refund = params.coverId != 0 ? _replaceLatestCover(params.coverId, coverId, params.coverAsset) : 0;
        uint256 premium = _createCover(params, poolAllocationRequests, coverId);
        _retrievePayment(params, premium > refund ? premium - refund : 0);

        emit CoverBought(coverId, params.coverId != 0 ? params.coverId : coverId, memberId, params.productId);
    }

    /// @notice Ends the latest cover of `originalCoverId`'s chain now and links `newCoverId` to it.
    /// @return refund The unused premium of the replaced cover, in the cover asset.
    function _replaceLatestCover(uint256 originalCoverId, uint256 newCoverId, uint8 coverAsset)
        private
        returns (uint256 refund)
    {
        CoverReference memory ref = getCoverReference(originalCoverId);
        if (ref.originalCoverId != originalCoverId) revert MustBeOriginalCoverId(ref.originalCoverId);

        CoverData memory latest = _coverData[ref.latestCoverId];
        uint256 expiration = uint256(latest.start) + latest.period;
        if (block.timestamp >= expiration) revert ExpiredCoversCannotBeEdited();
        if (coverAsset != latest.coverAsset) revert CoverAssetMismatch();

        refund = _premiumInAsset[ref.latestCoverId] * (expiration - block.timestamp) / latest.period;
        _capacity[latest.productId][latest.coverAsset] += latest.amount;

        latest.period = (block.timestamp - latest.start).toUint32();
        _coverData[ref.latestCoverId] = latest;

        _coverReference[newCoverId].originalCoverId = originalCoverId.toUint32();
        _coverReference[originalCoverId].latestCoverId = newCoverId.toUint32();
    }

    /// @notice Validates the product, takes capacity and stores the new cover.
    /// @return premium The full premium of the new cover, in the cover asset.
    function _createCover(
        BuyCoverParams calldata params,
        PoolAllocationRequest[] calldata poolAllocationRequests,
        uint256 coverId
    ) private returns (uint256 premium) {
        MockProduct memory product = _products[params.productId];
        if (!product.exists) revert ProductNotFound();
        if (product.isDeprecated) revert ProductDeprecated();
        if (_coverAssetTokens[params.coverAsset] == address(0)) revert CoverAssetNotSupported();

        uint256 allocated;
        for (uint256 i; i < poolAllocationRequests.length; ++i) {
            allocated += poolAllocationRequests[i].coverAmountInAsset;
        }
        if (allocated < params.amount) revert InsufficientCoverAmountAllocated();

        uint256 available = _capacity[params.productId][params.coverAsset];
        if (allocated > available) revert InsufficientCapacity();
        unchecked {
            // allocated <= available
            _capacity[params.productId][params.coverAsset] = available - allocated;
        }

        premium = Math.mulDiv(allocated * product.annualPriceBps, params.period, BPS * ONE_YEAR, Math.Rounding.Ceil);
        _premiumInAsset[coverId] = premium;
        _coverData[coverId] = CoverData({
            productId: params.productId,
            coverAsset: params.coverAsset,
            amount: allocated.toUint96(),
            start: block.timestamp.toUint32(),
            period: params.period,
            gracePeriod: GRACE_PERIOD,
            rewardsRatio: GLOBAL_REWARDS_RATIO,
            capacityRatio: GLOBAL_CAPACITY_RATIO
        });
    }

    /// @notice Pulls exactly the premium (plus grossed-up commission) from the buyer.
    function _retrievePayment(BuyCoverParams calldata params, uint256 premium) private {
        uint256 premiumWithCommission = premium * BPS / (BPS - params.commissionRatio);
        if (premiumWithCommission > params.maxPremiumInAsset) revert PriceExceedsMaxPremiumInAsset();
        if (msg.value != 0) revert UnexpectedEthSent();

        IERC20 token = IERC20(_coverAssetTokens[params.coverAsset]);
        if (premium > 0) token.safeTransferFrom(msg.sender, claims, premium);
        uint256 commission = premiumWithCommission - premium;
        if (commission > 0) token.safeTransferFrom(msg.sender, params.commissionDestination, commission);
    }

    /// @notice Reduces a cover's amount after a payout (Claims only), like the real `burnStake`.
    function burnStake(uint256 coverId, uint256 payoutAmountInAsset) external {
        if (msg.sender != claims) revert Unauthorized(msg.sender, 0, 0);
        _coverData[coverId].amount -= payoutAmountInAsset.toUint96();
    }

    /// @inheritdoc INexusCover
    function getCoverData(uint256 coverId) external view returns (CoverData memory) {
        return _coverData[coverId];
    }

    /// @inheritdoc INexusCover
    function getCoverReference(uint256 coverId) public view returns (CoverReference memory coverReference) {
        coverReference = _coverReference[coverId];
        if (coverReference.originalCoverId == 0) coverReference.originalCoverId = coverId.toUint32();
        if (coverReference.latestCoverId == 0) coverReference.latestCoverId = coverId.toUint32();
    }

    /// @inheritdoc INexusCover
    function getCoverDataWithReference(uint256 coverId)
        external
        view
        returns (CoverData memory, CoverReference memory)
    {
        return (_coverData[coverId], getCoverReference(coverId));
    }

    /// @inheritdoc INexusCover
    function getLatestEditCoverData(uint256 coverId) external view returns (CoverData memory) {
        return _coverData[getCoverReference(coverId).latestCoverId];
    }

    /// @notice Number of covers minted (the real one returns `coverNFT.totalSupply()`).
    function getCoverDataCount() external view returns (uint256) {
        return _coverNFT.totalSupply();
    }

    /// @inheritdoc INexusCover
    function coverNFT() external view returns (address) {
        return address(_coverNFT);
    }

    /// @notice The pool stand-in (premiums are paid to it, payouts come from it).
    function pool() external view returns (address) {
        return claims;
    }

    // ---- test-only controls ----

    /// @notice Sets the Claims mock (pool stand-in and `burnStake` caller).
    function mockNexusSetClaims(address claims_) external onlyOwner {
        claims = claims_;
    }

    /// @notice Creates or updates product `productId`.
    function mockNexusSetProduct(uint24 productId, uint16 annualPriceBps, bool isDeprecated) external onlyOwner {
        _products[productId] = MockProduct({annualPriceBps: annualPriceBps, exists: true, isDeprecated: isDeprecated});
    }

    /// @notice Sets the remaining capacity of `productId` in `coverAsset` units.
    function mockNexusSetCapacity(uint24 productId, uint8 coverAsset, uint256 amount) external onlyOwner {
        _capacity[productId][coverAsset] = amount;
    }

    /// @notice Registers the ERC20 of cover asset id `coverAsset` (zero address removes it).
    function mockNexusSetCoverAsset(uint8 coverAsset, address token) external onlyOwner {
        _coverAssetTokens[coverAsset] = token;
    }

    /// @notice Makes `buyCover` mint to `recipient` instead of `params.owner` (zero restores the real
    /// behaviour); lets tests check that callers verify the NFT they receive.
    function mockNexusSetMintRecipientOverride(address recipient) external onlyOwner {
        mockNexusMintRecipientOverride = recipient;
    }

    /// @notice The ERC20 of cover asset id `coverAsset` (zero when unsupported).
    function mockNexusCoverAssetToken(uint256 coverAsset) external view returns (address) {
        return _coverAssetTokens[coverAsset];
    }

    /// @notice The remaining capacity of `productId` in `coverAsset` units.
    function mockNexusCapacity(uint24 productId, uint8 coverAsset) external view returns (uint256) {
        return _capacity[productId][coverAsset];
    }

    /// @notice The premium the mock charges for `amount` over `period` on `productId` (before refunds).
    function mockNexusQuote(uint24 productId, uint256 amount, uint256 period) external view returns (uint256) {
        return Math.mulDiv(amount * _products[productId].annualPriceBps, period, BPS * ONE_YEAR, Math.Rounding.Ceil);
    }
}
