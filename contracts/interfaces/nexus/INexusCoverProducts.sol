// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

/// @title INexusCoverProducts
/// @notice The product reads of the Nexus Mutual v3 `CoverProducts` contract that the adapter uses.
/// @dev Verified against `@nexusmutual/deployments@3.4.0` `dist/data/abis/CoverProducts.json` (mainnet
/// 0xcafead81a2c2508e7344155eB0DA67a3a487AA8d) and NexusMutual/smart-contracts v3.1.0
/// `contracts/modules/cover/CoverProducts.sol`, `contracts/interfaces/ICoverProducts.sol`:
/// - products live in an array: `getProduct(id)` with `id >= getProductCount()` panics (array index
///   out of bounds, 0x32), it does not revert with `ProductNotFound`; Cover checks the count first;
/// - `Product.coverAssets` is a bitmap of Pool asset ids (bit `i` = asset `i`); 0 means "every Pool
///   cover asset" (Cover `_isCoverAssetSupported`), and the Pool asset must also be a cover asset that is
///   not abandoned;
/// - `ProductType.claimMethod` 0 = IndividualClaims (the only one `Claims.submitClaim` accepts,
///   `InvalidClaimMethod` otherwise), 1 = DeprecatedYieldTokenIncidents.
interface INexusCoverProducts {
    /// @notice Stored product. Packing: 16 + 16 + 144 + 32 + 16 + 16 + 8 + 8 = 256 bits, one slot.
    struct Product {
        uint16 productType;
        uint16 minPrice;
        uint144 __gap; // solhint-disable-line var-name-mixedcase
        uint32 coverAssets;
        uint16 initialPriceRatio;
        uint16 capacityReductionRatio;
        bool isDeprecated;
        bool useFixedPrice;
    }

    /// @notice Stored product type. Packing: 8 + 32 + 32 + 32 = 104 bits, one slot.
    struct ProductType {
        uint8 claimMethod;
        uint32 gracePeriod;
        uint32 assessmentCooldownPeriod;
        uint32 payoutRedemptionPeriod;
    }

    error ProductDeprecated();
    error ProductNotFound();
    error ProductTypeNotFound();
    error UnsupportedCoverAssets();

    /// @notice The product `productId` (panics for an id past `getProductCount()`).
    function getProduct(uint256 productId) external view returns (Product memory);

    /// @notice Number of products (valid ids are `[0, count)`).
    function getProductCount() external view returns (uint256);

    /// @notice The product type `productTypeId`.
    function getProductType(uint256 productTypeId) external view returns (ProductType memory);

    /// @notice The product and its type in one call.
    function getProductWithType(uint256 productId)
        external
        view
        returns (Product memory product, ProductType memory productType);
}
