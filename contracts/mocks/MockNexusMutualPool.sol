// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {Ownable} from "@openzeppelin/contracts/access/Ownable.sol";
import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";
import {SafeERC20} from "@openzeppelin/contracts/token/ERC20/utils/SafeERC20.sol";
import {INexusPool} from "../interfaces/nexus/INexusPool.sol";

/// @title MockNexusMutualPool
/// @notice Local stand-in for the Nexus Mutual capital `Pool`: the asset list (ids, cover-asset and
/// abandoned flags), the NXM price per asset, premium receiver, and the payout sender (`sendPayout`,
/// Claims only, ERC20 payout then ETH deposit with a plain `call`, as the real Pool).
/// @dev Created by `MockNexusMutualCover`, which may set assets and prices for its owner (test
/// controls). The NXM price is a fixed test value per asset, not the RAMM/TWAP price.
contract MockNexusMutualPool is INexusPool, Ownable {
    using SafeERC20 for IERC20;

    /// @notice Registry-style access error (the real one carries the caller's contract index).
    error Unauthorized(address caller, uint256 callerIndex, uint256 authorizedBitmap);

    /// @notice The Pool's ETH pseudo-address (`Pool.ETH()`).
    address public constant ETH = 0xEeeeeEeeeEeEeeEeEeEeeEEEeeeeEeeeeeeeEEeE;
    uint256 private constant C_CLAIMS = 1 << 4; // RegistryAware contract index bit of Claims (any bit: mock)

    /// @notice The Cover mock that created this pool (allowed to use the test controls).
    address public immutable cover;
    /// @notice The Claims contract, the only `sendPayout` caller.
    address public claims;

    Asset[] private _assets;
    mapping(uint256 assetId => uint256 price) private _nxmPrice;

    constructor(address initialOwner) Ownable(initialOwner) {
        cover = msg.sender;
        _assets.push(Asset({assetAddress: ETH, isCoverAsset: true, isAbandoned: false}));
    }

    modifier onlyController() {
        if (msg.sender != owner() && msg.sender != cover) revert OwnableUnauthorizedAccount(msg.sender);
        _;
    }

    /// @notice Accepts ETH (claim deposits, join fees, test top-ups).
    receive() external payable {}

    /// @inheritdoc INexusPool
    function getAsset(uint256 assetId) external view returns (Asset memory) {
        if (assetId >= _assets.length) revert InvalidAssetId();
        return _assets[assetId];
    }

    /// @notice Every asset, by id.
    function getAssets() external view returns (Asset[] memory) {
        return _assets;
    }

    /// @inheritdoc INexusPool
    function getInternalTokenPriceInAsset(uint256 assetId) public view returns (uint256 tokenPrice) {
        if (assetId >= _assets.length) revert InvalidAssetId();
        return _nxmPrice[assetId];
    }

    /// @notice As the real one (which also updates the RAMM TWAP); the mock price is fixed.
    function getInternalTokenPriceInAssetAndUpdateTwap(uint256 assetId) external view returns (uint256) {
        return getInternalTokenPriceInAsset(assetId);
    }

    /// @notice Sends `amount` of asset `assetId` and `depositInETH` wei to `payoutAddress` (Claims only).
    function sendPayout(uint256 assetId, address payable payoutAddress, uint256 amount, uint256 depositInETH)
        external
    {
        if (msg.sender != claims) revert Unauthorized(msg.sender, 0, C_CLAIMS);
        if (assetId >= _assets.length) revert InvalidAssetId();
        Asset memory asset = _assets[assetId];
        if (amount > 0) {
            if (asset.assetAddress == ETH) {
                _sendEth(payoutAddress, amount);
            } else {
                IERC20(asset.assetAddress).safeTransfer(payoutAddress, amount);
            }
            emit Payout(payoutAddress, asset.assetAddress, amount);
        }
        if (depositInETH > 0) _sendEth(payoutAddress, depositInETH);
    }

    function _sendEth(address to, uint256 amount) private {
        // solhint-disable-next-line avoid-low-level-calls
        (bool ok,) = to.call{value: amount}("");
        if (!ok) revert EthTransferFailed(to, amount);
    }

    // ---- test-only controls ----

    /// @notice Sets the Claims contract allowed to call `sendPayout`.
    function mockNexusSetClaims(address claims_) external onlyController {
        claims = claims_;
    }

    /// @notice Sets asset `assetId` (ids in between are filled with empty, non-cover entries).
    function mockNexusSetAsset(uint256 assetId, address assetAddress, bool isCoverAsset, bool isAbandoned)
        external
        onlyController
    {
        while (_assets.length <= assetId) _assets.push(Asset({assetAddress: address(0), isCoverAsset: false, isAbandoned: false}));
        _assets[assetId] = Asset({assetAddress: assetAddress, isCoverAsset: isCoverAsset, isAbandoned: isAbandoned});
    }

    /// @notice Sets the NXM price in asset `assetId` units (per 1e18 NXM).
    function mockNexusSetNxmPrice(uint256 assetId, uint256 price) external onlyController {
        if (assetId >= _assets.length) revert InvalidAssetId();
        _nxmPrice[assetId] = price;
    }
}
