// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

/// @title INexusCover
/// @notice The subset of the Nexus Mutual v3 `Cover` contract that the fund's adapter uses.
/// @dev Verified against the deployed ABI shipped in `@nexusmutual/deployments@3.4.0`
/// (`dist/data/abis/Cover.json`, mainnet `Cover` = 0xcafeac0fF5dA0A2777d915531bfA6B29d282Ee62) and
/// against the source in NexusMutual/smart-contracts `contracts/modules/cover/Cover.sol` and
/// `contracts/interfaces/ICover.sol`. Struct field order and widths below match the ABI tuples exactly;
/// the structs are declared inside the interface (a naming choice only: the ABI encoding is identical).
///
/// Verified behaviour (Cover.sol, current version with `RegistryAware` and `CoverReference`):
/// - `buyCover` is `onlyMember`; `params.period` must be within [28 days, 365 days]
///   (`CoverPeriodTooShort` / `CoverPeriodTooLong`); `params.amount != 0` (`CoverAmountIsZero`);
///   `paymentAsset` must equal `coverAsset` or be NXM (255) (`InvalidPaymentAsset`);
///   `commissionRatio <= 3000` (`CommissionRateTooHigh`).
/// - EVERY call mints a new cover NFT to `params.owner` (`coverNFT.mint`) and returns its id.
///   An edit passes the ORIGINAL cover id in `params.coverId` (`MustBeOriginalCoverId(original)`
///   otherwise), requires the caller to be owner/approved of that original NFT (`OnlyOwnerOrApproved`),
///   requires the latest cover of the chain not to be expired (`ExpiredCoversCannotBeEdited`) and to
///   have the same cover asset (`CoverAssetMismatch`). The latest cover's period is cut to "now", the
///   unused premium of its allocations is refunded pro rata against the new premium, and the new id is
///   linked: `getCoverReference(new).originalCoverId == original`,
///   `getCoverReference(original).latestCoverId == new`.
/// - The new cover starts at `block.timestamp` (`CoverData.start`), its grace period is copied from the
///   product type, and `CoverData.amount` is the ALLOCATED amount (>= `params.amount`, else
///   `InsufficientCoverAmountAllocated`).
/// - Premium protection is only `maxPremiumInAsset`: premium (+ commission, grossed up as
///   premium * 10000 / (10000 - commissionRatio)) must be <= it, else `PriceExceedsMaxPremiumInAsset`.
///   For an ERC20 cover asset the Cover contract pulls exactly the premium from `msg.sender` straight to
///   the Pool with `safeTransferFrom`; nothing is refunded because nothing extra is pulled.
/// - Sending ETH with a non-ETH payment asset reverts with `UnexpectedEthSent`.
/// - Cover asset ids (Pool asset list): ETH 0, USDC 6, cbBTC 7; NXM as payment asset is 255. DAI (id 1)
///   was abandoned in the v3 pool migration and USDT never was a cover asset. Each product narrows the
///   Pool's cover assets with its own `coverAssets` bitmap (CoverProducts; 0 = all), checked in
///   `_createCover` (`CoverAssetNotSupported`).
/// - Every purchase or edit is blocked by the cover pause (`Paused(config, 64)`); an edit of a cover
///   bought with reinsurance must use `buyCoverWithRi` (`WrongCoverEditEntrypoint`).
/// - Allocations are converted to NXM at `Pool.getInternalTokenPriceInAsset(coverAsset)` and rounded UP
///   to 0.01 NXM per staking pool (`NXM_PER_ALLOCATION_UNIT`); `CoverData.amount` is the NXM total
///   converted back (rounded down); the premium is priced per pool in NXM and charged in the asset at
///   the same price (rounded down). An edit refunds `premiumInNXM * remaining / period` per allocation,
///   capped at the new premium.
/// Not verified here (needs chain state): the per-product grace periods and the live product list.
interface INexusCover {
    /// @notice Input of `buyCover` (ABI tuple order: coverId, owner, productId, coverAsset, amount,
    /// period, maxPremiumInAsset, paymentAsset, commissionRatio, commissionDestination, ipfsData).
    struct BuyCoverParams {
        uint256 coverId; // 0 for a new cover, the ORIGINAL cover id for an edit
        address owner; // receives the newly minted cover NFT
        uint24 productId;
        uint8 coverAsset; // Pool asset id
        uint96 amount; // in cover asset units
        uint32 period; // seconds
        uint256 maxPremiumInAsset; // slippage guard, in payment asset units
        uint8 paymentAsset; // must equal coverAsset (or 255 = NXM)
        uint16 commissionRatio; // bps of the gross price, max 3000
        address commissionDestination;
        string ipfsData;
    }

    /// @notice One staking pool allocation of the off-chain quote.
    struct PoolAllocationRequest {
        uint256 poolId;
        uint256 coverAmountInAsset;
    }

    /// @notice Stored cover. Packing: 24 + 8 + 96 + 32 + 32 + 32 + 16 + 16 = 256 bits, one slot.
    struct CoverData {
        uint24 productId;
        uint8 coverAsset;
        uint96 amount;
        uint32 start;
        uint32 period;
        uint32 gracePeriod;
        uint16 rewardsRatio;
        uint16 capacityRatio;
    }

    /// @notice Link between the covers of one edit chain. Packing: 2 x 32 bits.
    struct CoverReference {
        uint32 originalCoverId;
        uint32 latestCoverId;
    }

    /// @notice Emitted on every purchase and edit; `originalCoverId == coverId` for a new cover.
    event CoverBought(
        uint256 indexed coverId, uint256 indexed originalCoverId, uint256 indexed buyerMemberId, uint256 productId
    );

    error CoverAmountIsZero();
    error EditNotSupported();
    error Paused(uint256 currentState, uint256 checks);
    error Unauthorized(address caller, uint256 callerIndex, uint256 authorizedBitmap);
    error WrongCoverEditEntrypoint();
    error CoverAssetMismatch();
    error CoverAssetNotSupported();
    error CoverPeriodTooLong();
    error CoverPeriodTooShort();
    error CommissionRateTooHigh();
    error ExpiredCoversCannotBeEdited();
    error InsufficientCoverAmountAllocated();
    error InvalidPaymentAsset();
    error MustBeOriginalCoverId(uint256 originalCoverId);
    error OnlyMember();
    error OnlyOwnerOrApproved();
    error PriceExceedsMaxPremiumInAsset();
    error ProductDeprecated();
    error ProductNotFound();
    error UnexpectedEthSent();

    /// @notice Buys (coverId 0) or edits (coverId = original id) a cover; always mints a new cover NFT.
    /// @param params The purchase parameters.
    /// @param poolAllocationRequests The staking pool allocations from the off-chain quote.
    /// @return coverId The newly minted cover id.
    function buyCover(BuyCoverParams calldata params, PoolAllocationRequest[] calldata poolAllocationRequests)
        external
        payable
        returns (uint256 coverId);

    /// @notice The stored data of one cover (all zero for an unknown id).
    function getCoverData(uint256 coverId) external view returns (CoverData memory);

    /// @notice The edit chain of a cover; ids default to `coverId` itself when unset.
    function getCoverReference(uint256 coverId) external view returns (CoverReference memory coverReference);

    /// @notice `getCoverData` and `getCoverReference` in one call.
    function getCoverDataWithReference(uint256 coverId)
        external
        view
        returns (CoverData memory, CoverReference memory);

    /// @notice The data of the latest cover in `coverId`'s edit chain.
    function getLatestEditCoverData(uint256 coverId) external view returns (CoverData memory);

    /// @notice The cover NFT contract.
    function coverNFT() external view returns (address);

    /// @notice The CoverProducts contract (products, product types, cover-asset bitmaps).
    function coverProducts() external view returns (address);

    /// @notice The Nexus Registry (membership, pause configuration).
    function registry() external view returns (address);

    /// @notice The capital Pool (premium receiver, asset list, NXM price).
    function pool() external view returns (address);
}
