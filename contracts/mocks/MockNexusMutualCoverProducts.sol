// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {Ownable} from "@openzeppelin/contracts/access/Ownable.sol";
import {INexusCoverProducts} from "../interfaces/nexus/INexusCoverProducts.sol";

/// @title MockNexusMutualCoverProducts
/// @notice Local stand-in for the Nexus Mutual `CoverProducts` reads: products in an array (an id past
/// the count panics like the real array read), product types with claim method, grace period, assessment
/// cooldown and payout redemption period, per-product `coverAssets` bitmaps.
/// @dev Created by `MockNexusMutualCover`. Ids below the count that a test never set read as a zero
/// product of type 0 marked deprecated (the real contract has no gaps: every id up to the count was set
/// by governance).
contract MockNexusMutualCoverProducts is INexusCoverProducts, Ownable {
    /// @notice The Cover mock that created this contract (allowed to use the test controls).
    address public immutable cover;

    Product[] private _products;
    ProductType[] private _productTypes;

    constructor(address initialOwner, ProductType memory protocolCover) Ownable(initialOwner) {
        cover = msg.sender;
        _productTypes.push(protocolCover);
    }

    modifier onlyController() {
        if (msg.sender != owner() && msg.sender != cover) revert OwnableUnauthorizedAccount(msg.sender);
        _;
    }

    /// @inheritdoc INexusCoverProducts
    function getProduct(uint256 productId) external view returns (Product memory) {
        return _products[productId];
    }

    /// @inheritdoc INexusCoverProducts
    function getProductCount() external view returns (uint256) {
        return _products.length;
    }

    /// @inheritdoc INexusCoverProducts
    function getProductType(uint256 productTypeId) external view returns (ProductType memory) {
        return _productTypes[productTypeId];
    }

    /// @notice Number of product types.
    function getProductTypeCount() external view returns (uint256) {
        return _productTypes.length;
    }

    /// @inheritdoc INexusCoverProducts
    function getProductWithType(uint256 productId)
        external
        view
        returns (Product memory product, ProductType memory productType)
    {
        product = _products[productId];
        productType = _productTypes[product.productType];
    }

    // ---- test-only controls ----

    /// @notice Sets product `productId` (of type `productType`, cover assets `coverAssets`, 0 = all).
    function mockNexusSetProduct(uint256 productId, uint16 productType, uint32 coverAssets, bool isDeprecated)
        external
        onlyController
    {
        if (productType >= _productTypes.length) revert ProductTypeNotFound();
        while (_products.length <= productId) {
            Product memory gap;
            gap.isDeprecated = true;
            _products.push(gap);
        }
        Product storage product = _products[productId];
        product.productType = productType;
        product.coverAssets = coverAssets;
        product.isDeprecated = isDeprecated;
    }

    /// @notice Adds (id == count) or replaces product type `productTypeId`.
    function mockNexusSetProductType(uint256 productTypeId, ProductType calldata productType) external onlyController {
        if (productTypeId > _productTypes.length) revert ProductTypeNotFound();
        if (productTypeId == _productTypes.length) {
            _productTypes.push(productType);
        } else {
            _productTypes[productTypeId] = productType;
        }
    }

    /// @notice Whether product `productId` was ever set (ids past the count panic in the getters).
    function mockNexusProductExists(uint256 productId) external view returns (bool) {
        return productId < _products.length;
    }
}
