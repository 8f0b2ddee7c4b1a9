// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

/// @title INexusPool
/// @notice The asset reads of the Nexus Mutual v3 `Pool` (capital pool) that the adapter uses.
/// @dev Verified against `@nexusmutual/deployments@3.4.0` `dist/data/abis/Pool.json` (mainnet
/// 0xcafea91714e55756C125B509274eDE9Bc91697CB) and NexusMutual/smart-contracts v3.1.0
/// `contracts/modules/capital/Pool.sol`: asset ids index the `assets` array (ETH 0, DAI 1 abandoned in
/// the v3 pool migration, ..., USDC 6, cbBTC 7); `getAsset` reverts `InvalidAssetId` past the end;
/// `getInternalTokenPriceInAsset(id)` is the NXM price in that asset's units (18-decimal NXM), the
/// price `Cover.buyCover` converts allocations with. Payouts and claim deposits are sent by the Pool
/// (`sendPayout`, Claims only), with a plain ETH `call`.
interface INexusPool {
    /// @notice One Pool asset. Packing: 160 + 8 + 8 = 176 bits.
    struct Asset {
        address assetAddress;
        bool isCoverAsset;
        bool isAbandoned;
    }

    /// @notice Emitted by `sendPayout` for the asset part of a payout.
    event Payout(address indexed to, address indexed assetAddress, uint256 amount);

    error InvalidAssetId();
    error EthTransferFailed(address to, uint256 amount);

    /// @notice The asset with id `assetId`; reverts `InvalidAssetId` for an unknown id.
    function getAsset(uint256 assetId) external view returns (Asset memory);

    /// @notice The NXM price expressed in asset `assetId` (asset units per 1e18 NXM).
    function getInternalTokenPriceInAsset(uint256 assetId) external view returns (uint256 tokenPrice);
}
