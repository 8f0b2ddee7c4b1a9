// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

/// @title INexusCoverNFT
/// @notice The subset of the Nexus Mutual `CoverNFT` (a solmate-style ERC721) the adapter uses.
/// @dev Verified against `@nexusmutual/deployments@3.4.0` `dist/data/abis/CoverNFT.json` (mainnet
/// 0xcafeaCa76be547F14D0220482667B42D8E7Bc3eb) and NexusMutual/smart-contracts
/// `contracts/modules/cover/CoverNFT.sol`: ids start at 1 (`++_totalSupply`), `mint` is operator-only
/// (the Cover contract) and does NOT call `onERC721Received`, `ownerOf` reverts `NotMinted()` for an
/// unknown id.
interface INexusCoverNFT {
    error NotMinted();
    error NotOperator();
    error NotAuthorized();
    error InvalidRecipient();
    error WrongFrom();

    /// @notice The owner of cover NFT `id`; reverts `NotMinted` for an unknown id.
    function ownerOf(uint256 id) external view returns (address owner);

    /// @notice Whether `spender` owns `tokenId` or is approved for it.
    function isApprovedOrOwner(address spender, uint256 tokenId) external view returns (bool);

    /// @notice Number of cover NFTs ever minted (= the last cover id).
    function totalSupply() external view returns (uint256);
}
