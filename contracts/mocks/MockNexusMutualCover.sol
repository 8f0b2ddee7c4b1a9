// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {Ownable} from "@openzeppelin/contracts/access/Ownable.sol";
import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";
import {IERC20Metadata} from "@openzeppelin/contracts/token/ERC20/extensions/IERC20Metadata.sol";
import {SafeERC20} from "@openzeppelin/contracts/token/ERC20/utils/SafeERC20.sol";
import {SafeCast} from "@openzeppelin/contracts/utils/math/SafeCast.sol";
import {Math} from "@openzeppelin/contracts/utils/math/Math.sol";
import {INexusCover} from "../interfaces/nexus/INexusCover.sol";
import {INexusCoverProducts} from "../interfaces/nexus/INexusCoverProducts.sol";
import {INexusPool} from "../interfaces/nexus/INexusPool.sol";
import {INexusRegistry} from "../interfaces/nexus/INexusRegistry.sol";
import {MockNexusMutualCoverNFT} from "./MockNexusMutualCoverNFT.sol";
import {MockNexusMutualCoverProducts} from "./MockNexusMutualCoverProducts.sol";
import {MockNexusMutualPool} from "./MockNexusMutualPool.sol";

/// @title MockNexusMutualCover
/// @notice Local stand-in for the Nexus Mutual v3.1 `Cover` contract: same `buyCover` signature, checks
/// in the same order, errors, event, edit semantics (a new NFT linked to the original, refund of the
/// replaced cover's unused premium), NXM pricing and allocation rounding (see `INexusCover`).
/// @dev It creates its CoverNFT, CoverProducts and Pool mocks. What is modelled like the real contract:
/// - every allocation request is converted to NXM at the Pool's NXM price, rounded UP to 0.01 NXM
///   (`NXM_PER_ALLOCATION_UNIT`), and taken from THAT staking pool's capacity for the product
///   (`InsufficientCapacity`, the StakingPool error, when short or when the pool does not list it);
/// - premium per pool in NXM = allocation x pool price (bps a year) x period / 365 days (rounded down,
///   StakingProducts.calculatePremium at its base price); charged in the asset at the NXM price, rounded
///   down; an edit refunds `premiumInNXM x remaining / period` per allocation (capped at the new premium)
///   and gives the capacity back;
/// - `CoverData.amount` = total NXM x price (rounded down), so it can exceed the request by < 0.01 NXM
///   per pool;
/// - the product must exist, not be deprecated, and accept the cover asset (product bitmap, 0 = all,
///   and the Pool's cover-asset/abandoned flags); the grace period comes from the product type;
/// - the cover pause (`Registry.getPauseConfig()` bit 64 or global bit 1) blocks purchases and edits.
/// Simplifications (stated): pool prices are fixed per (pool, product) (no price bump, no tranches:
/// capacity is a single NXM amount that expiry does not restore); ETH and NXM payments are not supported.
contract MockNexusMutualCover is INexusCover, Ownable {
    using SafeERC20 for IERC20;
    using SafeCast for uint256;

    /// @notice One staking pool's listing of a product. Packing: 96 + 16 + 8 = 120 bits.
    struct MockPoolProduct {
        uint96 capacityInNXM; // remaining, 18 decimals
        uint16 annualPriceBps;
        bool listed;
    }

    /// @notice Stored allocation (as `Cover.getPoolAllocations`).
    struct PoolAllocation {
        uint40 poolId;
        uint96 coverAmountInNXM;
        uint96 premiumInNXM;
        uint24 allocationId;
    }

    /// @notice `StakingPool.requestAllocation` error when a pool cannot take the allocation.
    error InsufficientCapacity();

    uint256 public constant MIN_COVER_PERIOD = 28 days; // seconds
    uint256 public constant MAX_COVER_PERIOD = 365 days; // seconds
    /// @notice Grace period of the mock protocol-cover product type (seconds); 30 days as in Nexus's
    /// fixtures (the live value is per product type on chain).
    uint32 public constant GRACE_PERIOD = 30 days;
    uint256 public constant MAX_COMMISSION_RATIO = 3000; // bps
    uint256 public constant NXM_PER_ALLOCATION_UNIT = 1e16; // 0.01 NXM
    /// @notice Default NXM price set by `mockNexusSetCoverAsset`, whole asset units per NXM.
    uint256 public constant DEFAULT_NXM_PRICE_IN_UNITS = 60;
    /// @notice The staking pool the single-pool test controls use.
    uint256 public constant DEFAULT_POOL_ID = 1;
    uint16 private constant GLOBAL_REWARDS_RATIO = 5000; // bps
    uint16 private constant GLOBAL_CAPACITY_RATIO = 20000; // bps
    uint256 private constant BPS = 10_000;
    uint256 private constant ONE_YEAR = 365 days; // seconds
    uint256 private constant ONE_NXM = 1e18;
    uint256 private constant NXM_ASSET_ID = type(uint8).max;
    uint256 private constant PAUSE_GLOBAL = 1;
    uint256 private constant PAUSE_COVER = 1 << 6;
    uint32 private constant ASSESSMENT_COOLDOWN_PERIOD = 1 days; // seconds
    uint32 private constant PAYOUT_REDEMPTION_PERIOD = 30 days; // seconds

    INexusRegistry private immutable _registry;
    MockNexusMutualCoverNFT private immutable _coverNFT;
    MockNexusMutualCoverProducts private immutable _coverProducts;
    MockNexusMutualPool private immutable _pool;

    /// @notice The Claims contract (the only `burnStake` caller).
    address public claims;

    mapping(uint256 coverId => CoverData) private _coverData;
    mapping(uint256 coverId => CoverReference) private _coverReference;
    mapping(uint256 coverId => PoolAllocation[]) private _poolAllocations;
    mapping(uint256 poolId => mapping(uint256 productId => MockPoolProduct)) private _poolProducts;
    uint256 private _nextAllocationId;
    /// @notice Test-only misbehaviour: when set, new cover NFTs go here instead of `params.owner`.
    address public mockNexusMintRecipientOverride;

    constructor(address registry_, address initialOwner) Ownable(initialOwner) {
        _registry = INexusRegistry(registry_);
        _coverNFT = new MockNexusMutualCoverNFT(address(this));
        _coverProducts = new MockNexusMutualCoverProducts(
            initialOwner,
            INexusCoverProducts.ProductType({
                claimMethod: 0,
                gracePeriod: GRACE_PERIOD,
                assessmentCooldownPeriod: ASSESSMENT_COOLDOWN_PERIOD,
                payoutRedemptionPeriod: PAYOUT_REDEMPTION_PERIOD
            })
        );
        _pool = new MockNexusMutualPool(initialOwner);
    }

    /// @inheritdoc INexusCover
    function buyCover(BuyCoverParams calldata params, PoolAllocationRequest[] calldata poolAllocationRequests)
        external
        payable
        returns (uint256 coverId)
    {
        if (!_registry.isMember(msg.sender)) revert OnlyMember();
        if (params.coverId != 0 && !_coverNFT.isApprovedOrOwner(msg.sender, params.coverId)) {
            revert OnlyOwnerOrApproved();
        }
        // (the real WrongCoverEditEntrypoint check applies to covers bought with reinsurance: none here)
        uint256 pauseConfig = _registry.getPauseConfig();
        if (pauseConfig & (PAUSE_COVER | PAUSE_GLOBAL) != 0) revert Paused(pauseConfig, PAUSE_COVER);
        if (params.period < MIN_COVER_PERIOD) revert CoverPeriodTooShort();
        if (params.period > MAX_COVER_PERIOD) revert CoverPeriodTooLong();
        if (params.commissionRatio > MAX_COMMISSION_RATIO) revert CommissionRateTooHigh();
        if (params.amount == 0) revert CoverAmountIsZero();
        if (params.paymentAsset != params.coverAsset || params.paymentAsset == NXM_ASSET_ID) {
            revert InvalidPaymentAsset();
        }

        address recipient = mockNexusMintRecipientOverride;
        coverId = _coverNFT.mint(recipient == address(0) ? params.owner : recipient);
        uint256 nxmPrice = _pool.getInternalTokenPriceInAsset(params.coverAsset);
        uint256 amountDueInNXM = _createCover(params, poolAllocationRequests, coverId, nxmPrice);
        _retrievePayment(params, nxmPrice * amountDueInNXM / ONE_NXM);

        emit CoverBought(
            coverId, params.coverId != 0 ? params.coverId : coverId, _registry.getMemberId(msg.sender), params.productId
        );
    }

    function _createCover(
        BuyCoverParams calldata params,
        PoolAllocationRequest[] calldata poolAllocationRequests,
        uint256 coverId,
        uint256 nxmPrice
    ) private returns (uint256 amountDueInNXM) {
        uint256 refundInNXM = params.coverId != 0 ? _replaceLatestCover(params.coverId, coverId, params.coverAsset) : 0;
        uint32 gracePeriod = _checkProduct(params.productId, params.coverAsset);

        uint256 totalCoverAmountInNXM;
        uint256 totalPremiumInNXM;
        for (uint256 i; i < poolAllocationRequests.length; ++i) {
            (uint256 coverAmountInNXM, uint256 premiumInNXM) =
                _requestAllocation(coverId, params.productId, params.period, poolAllocationRequests[i], nxmPrice);
            totalCoverAmountInNXM += coverAmountInNXM;
            totalPremiumInNXM += premiumInNXM;
        }
        uint256 coverAmountInAsset = totalCoverAmountInNXM * nxmPrice / ONE_NXM;
        if (coverAmountInAsset < params.amount) revert InsufficientCoverAmountAllocated();

        _coverData[coverId] = CoverData({
            productId: params.productId,
            coverAsset: params.coverAsset,
            amount: coverAmountInAsset.toUint96(),
            start: block.timestamp.toUint32(),
            period: params.period,
            gracePeriod: gracePeriod,
            rewardsRatio: GLOBAL_REWARDS_RATIO,
            capacityRatio: GLOBAL_CAPACITY_RATIO
        });
        // cap refund at new cover premium
        amountDueInNXM = totalPremiumInNXM > refundInNXM ? totalPremiumInNXM - refundInNXM : 0;
    }

    /// @notice Product checks of `Cover._createCover`; returns the product type's grace period.
    function _checkProduct(uint256 productId, uint256 coverAsset) private view returns (uint32) {
        if (productId >= _coverProducts.getProductCount()) revert ProductNotFound();
        (INexusCoverProducts.Product memory product, INexusCoverProducts.ProductType memory productType) =
            _coverProducts.getProductWithType(productId);
        if (product.isDeprecated) revert ProductDeprecated();
        if (product.coverAssets != 0 && (uint256(product.coverAssets) & (uint256(1) << coverAsset)) == 0) {
            revert CoverAssetNotSupported();
        }
        INexusPool.Asset memory asset = _pool.getAsset(coverAsset);
        if (!asset.isCoverAsset || asset.isAbandoned) revert CoverAssetNotSupported();
        return productType.gracePeriod;
    }

    /// @notice One pool's allocation: NXM rounded up to 0.01 NXM, capacity taken, premium priced.
    function _requestAllocation(
        uint256 coverId,
        uint256 productId,
        uint256 period,
        PoolAllocationRequest calldata request,
        uint256 nxmPrice
    ) private returns (uint256 coverAmountInNXM, uint256 premiumInNXM) {
        coverAmountInNXM = _roundUp(Math.ceilDiv(request.coverAmountInAsset * ONE_NXM, nxmPrice), NXM_PER_ALLOCATION_UNIT);
        MockPoolProduct memory listing = _poolProducts[request.poolId][productId];
        if (!listing.listed || coverAmountInNXM > listing.capacityInNXM) revert InsufficientCapacity();
        unchecked {
            // coverAmountInNXM <= capacityInNXM
            _poolProducts[request.poolId][productId].capacityInNXM = uint96(listing.capacityInNXM - coverAmountInNXM);
        }
        premiumInNXM = coverAmountInNXM * listing.annualPriceBps / BPS * period / ONE_YEAR;
        _poolAllocations[coverId].push(
            PoolAllocation({
                poolId: request.poolId.toUint40(),
                coverAmountInNXM: coverAmountInNXM.toUint96(),
                premiumInNXM: premiumInNXM.toUint96(),
                allocationId: (++_nextAllocationId).toUint24()
            })
        );
    }

    /// @notice Ends the latest cover of `originalCoverId`'s chain now and links `newCoverId` to it.
    /// @return refundInNXM The unused premium of the replaced cover's allocations, in NXM.
    function _replaceLatestCover(uint256 originalCoverId, uint256 newCoverId, uint8 coverAsset)
        private
        returns (uint256 refundInNXM)
    {
        CoverReference memory ref = getCoverReference(originalCoverId);
        if (ref.originalCoverId != originalCoverId) revert MustBeOriginalCoverId(ref.originalCoverId);

        CoverData memory latest = _coverData[ref.latestCoverId];
        uint256 expiration = uint256(latest.start) + latest.period;
        if (block.timestamp >= expiration) revert ExpiredCoversCannotBeEdited();
        if (coverAsset != latest.coverAsset) revert CoverAssetMismatch();

        PoolAllocation[] memory allocations = _poolAllocations[ref.latestCoverId];
        for (uint256 i; i < allocations.length; ++i) {
            refundInNXM += uint256(allocations[i].premiumInNXM) * (expiration - block.timestamp) / latest.period;
            _poolProducts[allocations[i].poolId][latest.productId].capacityInNXM += allocations[i].coverAmountInNXM;
        }

        latest.period = (block.timestamp - latest.start).toUint32();
        _coverData[ref.latestCoverId] = latest;

        _coverReference[newCoverId].originalCoverId = originalCoverId.toUint32();
        _coverReference[originalCoverId].latestCoverId = newCoverId.toUint32();
    }

    /// @notice Pulls exactly the premium (plus grossed-up commission) from the buyer into the Pool.
    function _retrievePayment(BuyCoverParams calldata params, uint256 premium) private {
        uint256 premiumWithCommission = premium * BPS / (BPS - params.commissionRatio);
        if (premiumWithCommission > params.maxPremiumInAsset) revert PriceExceedsMaxPremiumInAsset();
        if (msg.value != 0) revert UnexpectedEthSent();

        IERC20 token = IERC20(_pool.getAsset(params.paymentAsset).assetAddress);
        if (premium > 0) token.safeTransferFrom(msg.sender, address(_pool), premium);
        uint256 commission = premiumWithCommission - premium;
        if (commission > 0) token.safeTransferFrom(msg.sender, params.commissionDestination, commission);
    }

    /// @notice Reduces a cover's amount after a payout (Claims only), like the real `burnStake`.
    function burnStake(uint256 coverId, uint256 payoutAmountInAsset) external {
        if (msg.sender != claims) revert Unauthorized(msg.sender, 0, 1 << 4);
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

    /// @notice The staking pool allocations of `coverId`.
    function getPoolAllocations(uint256 coverId) external view returns (PoolAllocation[] memory) {
        return _poolAllocations[coverId];
    }

    /// @notice Number of covers minted (the real one returns `coverNFT.totalSupply()`).
    function getCoverDataCount() external view returns (uint256) {
        return _coverNFT.totalSupply();
    }

    /// @inheritdoc INexusCover
    function coverNFT() external view returns (address) {
        return address(_coverNFT);
    }

    /// @inheritdoc INexusCover
    function coverProducts() external view returns (address) {
        return address(_coverProducts);
    }

    /// @inheritdoc INexusCover
    function pool() external view returns (address) {
        return address(_pool);
    }

    /// @inheritdoc INexusCover
    function registry() external view returns (address) {
        return address(_registry);
    }

    // ---- test-only controls ----

    /// @notice Sets the Claims mock (`burnStake` caller, `Pool.sendPayout` caller).
    function mockNexusSetClaims(address claims_) external onlyOwner {
        claims = claims_;
        _pool.mockNexusSetClaims(claims_);
    }

    /// @notice Lists product `productId` in staking pool `poolId` at `annualPriceBps` with `capacityInNXM`.
    function mockNexusSetPoolProduct(uint256 poolId, uint24 productId, uint16 annualPriceBps, uint256 capacityInNXM)
        external
        onlyOwner
    {
        _poolProducts[poolId][productId] =
            MockPoolProduct({capacityInNXM: capacityInNXM.toUint96(), annualPriceBps: annualPriceBps, listed: true});
    }

    /// @notice Creates or updates product `productId` (protocol-cover type 0, keeping its cover-asset bitmap)
    /// and lists it in `DEFAULT_POOL_ID` at `annualPriceBps` (keeping that pool's capacity).
    function mockNexusSetProduct(uint24 productId, uint16 annualPriceBps, bool isDeprecated) external onlyOwner {
        uint32 coverAssets;
        if (productId < _coverProducts.getProductCount()) coverAssets = _coverProducts.getProduct(productId).coverAssets;
        _coverProducts.mockNexusSetProduct(productId, 0, coverAssets, isDeprecated);
        MockPoolProduct storage listing = _poolProducts[DEFAULT_POOL_ID][productId];
        listing.annualPriceBps = annualPriceBps;
        listing.listed = true;
    }

    /// @notice Sets `DEFAULT_POOL_ID`'s remaining capacity for `productId` to `amount` of `coverAsset`,
    /// converted to NXM at the current price (rounded down). Capacity is in NXM, shared by all assets.
    function mockNexusSetCapacity(uint24 productId, uint8 coverAsset, uint256 amount) external onlyOwner {
        uint256 inNXM = amount * ONE_NXM / _pool.getInternalTokenPriceInAsset(coverAsset);
        _poolProducts[DEFAULT_POOL_ID][productId].capacityInNXM = inNXM.toUint96();
    }

    /// @notice Registers ERC20 `token` as Pool cover asset `coverAsset` (zero address: no longer a cover
    /// asset) and, if unset, its NXM price at `DEFAULT_NXM_PRICE_IN_UNITS` whole tokens.
    function mockNexusSetCoverAsset(uint8 coverAsset, address token) external onlyOwner {
        _pool.mockNexusSetAsset(coverAsset, token, token != address(0), false);
        if (token != address(0) && _pool.getInternalTokenPriceInAsset(coverAsset) == 0) {
            _pool.mockNexusSetNxmPrice(coverAsset, DEFAULT_NXM_PRICE_IN_UNITS * 10 ** IERC20Metadata(token).decimals());
        }
    }

    /// @notice Makes `buyCover` mint to `recipient` instead of `params.owner` (zero restores the real
    /// behaviour); lets tests check that callers verify the NFT they receive.
    function mockNexusSetMintRecipientOverride(address recipient) external onlyOwner {
        mockNexusMintRecipientOverride = recipient;
    }

    /// @notice The ERC20 of cover asset id `coverAsset` (zero when unsupported).
    function mockNexusCoverAssetToken(uint256 coverAsset) external view returns (address) {
        INexusPool.Asset memory asset = _pool.getAsset(coverAsset);
        return asset.isCoverAsset && !asset.isAbandoned ? asset.assetAddress : address(0);
    }

    /// @notice `poolId`'s listing of `productId`.
    function mockNexusPoolProduct(uint256 poolId, uint24 productId) external view returns (MockPoolProduct memory) {
        return _poolProducts[poolId][productId];
    }

    /// @notice `DEFAULT_POOL_ID`'s remaining capacity for `productId`, in `coverAsset` units (rounded down).
    function mockNexusCapacity(uint24 productId, uint8 coverAsset) external view returns (uint256) {
        return uint256(_poolProducts[DEFAULT_POOL_ID][productId].capacityInNXM)
            * _pool.getInternalTokenPriceInAsset(coverAsset) / ONE_NXM;
    }

    /// @notice What `buyCover` charges for a new cover of `amount` over `period` allocated entirely to
    /// `DEFAULT_POOL_ID` (same rounding), in the cover asset.
    function mockNexusQuote(uint24 productId, uint8 coverAsset, uint256 amount, uint256 period)
        external
        view
        returns (uint256 premiumInAsset, uint256 coverAmountInAsset)
    {
        uint256 nxmPrice = _pool.getInternalTokenPriceInAsset(coverAsset);
        uint256 inNXM = _roundUp(Math.ceilDiv(amount * ONE_NXM, nxmPrice), NXM_PER_ALLOCATION_UNIT);
        uint256 premiumInNXM = inNXM * _poolProducts[DEFAULT_POOL_ID][productId].annualPriceBps / BPS * period / ONE_YEAR;
        premiumInAsset = nxmPrice * premiumInNXM / ONE_NXM;
        coverAmountInAsset = inNXM * nxmPrice / ONE_NXM;
    }

    function _roundUp(uint256 value, uint256 unit) private pure returns (uint256) {
        return Math.ceilDiv(value, unit) * unit;
    }
}
