// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {AccessControl} from "@openzeppelin/contracts/access/AccessControl.sol";
import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";
import {SafeERC20} from "@openzeppelin/contracts/token/ERC20/utils/SafeERC20.sol";
import {ReentrancyGuard} from "@openzeppelin/contracts/utils/ReentrancyGuard.sol";
import {SafeCast} from "@openzeppelin/contracts/utils/math/SafeCast.sol";
import {ICoverProvider} from "../interfaces/ICoverProvider.sol";
import {INexusClaims} from "../interfaces/nexus/INexusClaims.sol";
import {INexusCover} from "../interfaces/nexus/INexusCover.sol";
import {INexusCoverNFT} from "../interfaces/nexus/INexusCoverNFT.sol";

/// @title NexusMutualAdapter
/// @notice `ICoverProvider` for Nexus Mutual v3: buys, edits and claims Nexus covers held in the
/// adapter's own name on behalf of the fund, and forwards payouts and returned deposits to the fund.
/// @dev `coverData` of `buyCover`/`renewCover` is `abi.encode(INexusCover.PoolAllocationRequest[])`, the
/// pool allocations of a Nexus off-chain quote (quote API `poolAllocationRequests`, amounts in cover-asset
/// units). The only on-chain price guard is `maxPremiumInAsset` = the fund's `maxPremium`.
/// @dev Warning: this contract must be a Nexus Mutual member (Registry `join(adapter, kycSignature)` with
/// the join fee) before it can buy or claim; every Nexus call is `onlyMember` for `msg.sender`.
/// @dev Warning: Nexus payouts and deposit refunds are sent by the Nexus POOL (`Claims.pool()`), not by the
/// Claims contract, so `receive` accepts ETH from the address `nexusClaims.pool()` returns at that moment
/// (Nexus may migrate its Pool).
/// @dev Warning: an edit mints a NEW Nexus cover id; `renewCover` returns it and the fund must use it from
/// then on. Claims on the replaced cover stay possible upstream (its period is cut to the edit time) but
/// this adapter reports windows for whichever id the fund passes.
contract NexusMutualAdapter is ICoverProvider, AccessControl, ReentrancyGuard {
    using SafeERC20 for IERC20;
    using SafeCast for uint256;

    /// @notice Protocol mapping. Packing: 24 + 8 = 32 bits.
    struct ProductMapping {
        uint24 productId;
        bool isMapped;
    }

    /// @notice Token mapping. Packing: 8 + 8 = 16 bits.
    struct AssetMapping {
        uint8 coverAsset;
        bool isMapped;
    }

    /// @notice A constructor address is zero.
    error NexusAdapterZeroAddress();
    /// @notice `protocol` has no Nexus product configured.
    error NexusAdapterProtocolNotMapped(address protocol);
    /// @notice `asset` is not a configured Nexus cover asset (e.g. USDT, which Nexus does not cover).
    error NexusAdapterAssetNotSupported(address asset);
    /// @notice Nexus cover asset id `coverAsset` has no token configured.
    error NexusAdapterCoverAssetNotMapped(uint256 coverAsset);
    /// @notice `coverAsset` cannot be used by this adapter (ETH 0 and NXM 255 need non-ERC20 payment).
    error NexusAdapterInvalidCoverAsset(uint256 coverAsset);
    /// @notice Nexus cover asset id `coverAsset` is already mapped to `asset`.
    error NexusAdapterCoverAssetTaken(uint256 coverAsset, address asset);
    /// @notice `coverData` holds no pool allocation.
    error NexusAdapterEmptyQuote();
    /// @notice The cover NFT `coverId` is owned by `owner`, not by this adapter.
    error NexusAdapterCoverNotReceived(uint256 coverId, address owner);
    /// @notice Nexus has no cover `coverId`.
    error NexusAdapterCoverNotFound(uint256 coverId);
    /// @notice `msg.value` is not the Nexus claim deposit.
    error NexusAdapterWrongDeposit(uint256 sent, uint256 required);
    /// @notice `claimId` was not filed by this adapter.
    error NexusAdapterUnknownClaim(uint256 claimId);
    /// @notice The draw deposit of `claimId` was already forwarded to the fund.
    error NexusAdapterDepositForwarded(uint256 claimId);
    /// @notice The claim evidence does not start with a CIDv0 multihash (0x1220 ‖ 32-byte digest).
    error NexusAdapterInvalidClaimProof();
    /// @notice ETH came from `sender`, not from the Nexus pool.
    error NexusAdapterUnexpectedEthSender(address sender);
    /// @notice Sending `amount` wei to `to` failed.
    error NexusAdapterEthTransferFailed(address to, uint256 amount);

    /// @notice Emitted when `protocol` is mapped to Nexus product `productId`.
    event NexusProductMapped(address indexed protocol, uint256 productId);
    /// @notice Emitted when `protocol`'s product mapping is removed.
    event NexusProductUnmapped(address indexed protocol);
    /// @notice Emitted when `asset` is mapped to Nexus cover asset id `coverAsset`.
    event NexusCoverAssetMapped(address indexed asset, uint256 coverAsset);
    /// @notice Emitted when `asset`'s cover asset mapping is removed.
    event NexusCoverAssetUnmapped(address indexed asset, uint256 coverAsset);
    /// @notice Emitted after a Nexus cover purchase or edit. `originalCoverId == coverId` for a purchase.
    event NexusCoverBought(
        uint256 indexed coverId, uint256 indexed originalCoverId, address indexed protocol, uint256 amount, uint256 premiumPaid
    );
    /// @notice Emitted after a claim is filed upstream.
    event NexusClaimSubmitted(uint256 indexed claimId, uint256 indexed coverId, uint256 amount, bytes32 evidenceHash);
    /// @notice Emitted after an accepted claim's payout and deposit were forwarded to the fund.
    event NexusPayoutRedeemed(uint256 indexed claimId, address indexed asset, uint256 payout, uint256 depositReturned);
    /// @notice Emitted after a stray balance was sent to the fund (`token` 0 = ETH).
    event NexusSwept(address indexed token, uint256 amount);
    /// @notice Emitted after a draw claim's deposit was forwarded to the fund.
    event NexusDepositRetrieved(uint256 indexed claimId, uint256 depositReturned);

    uint8 private constant ETH_COVER_ASSET = 0;
    uint8 private constant NXM_ASSET = type(uint8).max;

    /// @inheritdoc ICoverProvider
    address public immutable fund;
    /// @notice The Nexus Mutual Cover contract.
    INexusCover public immutable nexusCover;
    /// @notice The Nexus Mutual Claims contract.
    INexusClaims public immutable nexusClaims;
    /// @notice The Nexus Mutual cover NFT (read from `nexusCover.coverNFT()` at deployment).
    INexusCoverNFT public immutable nexusCoverNFT;

    mapping(address protocol => ProductMapping) private _products;
    mapping(address asset => AssetMapping) private _assets;
    mapping(uint256 coverAsset => address asset) private _assetOfCoverAsset;
    mapping(uint256 claimId => address asset) private _claimAsset;
    mapping(uint256 claimId => bool forwarded) private _depositForwarded;

    modifier onlyFund() {
        if (msg.sender != fund) revert CoverProviderOnlyFund(msg.sender);
        _;
    }

    /// @param fund_ The only caller allowed to change state.
    /// @param nexusCover_ The Nexus Mutual Cover contract.
    /// @param nexusClaims_ The Nexus Mutual Claims contract.
    /// @param admin Receives `DEFAULT_ADMIN_ROLE` (product and asset mappings).
    constructor(address fund_, address nexusCover_, address nexusClaims_, address admin) {
        if (fund_ == address(0) || nexusCover_ == address(0) || nexusClaims_ == address(0) || admin == address(0)) {
            revert NexusAdapterZeroAddress();
        }
        fund = fund_;
        nexusCover = INexusCover(nexusCover_);
        nexusClaims = INexusClaims(nexusClaims_);
        nexusCoverNFT = INexusCoverNFT(INexusCover(nexusCover_).coverNFT());
        _grantRole(DEFAULT_ADMIN_ROLE, admin);
    }

    /// @notice Accepts the ETH deposit refunds of the Nexus pool only.
    receive() external payable {
        if (msg.sender != nexusClaims.pool()) revert NexusAdapterUnexpectedEthSender(msg.sender);
    }

    // ---- admin ----

    /// @notice Maps `protocol` to Nexus product `productId`.
    function setProduct(address protocol, uint24 productId) external onlyRole(DEFAULT_ADMIN_ROLE) {
        _products[protocol] = ProductMapping({productId: productId, isMapped: true});
        emit NexusProductMapped(protocol, productId);
    }

    /// @notice Removes `protocol`'s product mapping (existing covers are unaffected).
    function removeProduct(address protocol) external onlyRole(DEFAULT_ADMIN_ROLE) {
        if (!_products[protocol].isMapped) revert NexusAdapterProtocolNotMapped(protocol);
        delete _products[protocol];
        emit NexusProductUnmapped(protocol);
    }

    /// @notice Maps ERC20 `asset` to Nexus cover asset id `coverAsset` (USDC 6, DAI 1).
    function setCoverAsset(address asset, uint8 coverAsset) external onlyRole(DEFAULT_ADMIN_ROLE) {
        if (coverAsset == ETH_COVER_ASSET || coverAsset == NXM_ASSET) revert NexusAdapterInvalidCoverAsset(coverAsset);
        address holder = _assetOfCoverAsset[coverAsset];
        if (holder != address(0) && holder != asset) revert NexusAdapterCoverAssetTaken(coverAsset, holder);
        AssetMapping memory previous = _assets[asset];
        if (previous.isMapped) delete _assetOfCoverAsset[previous.coverAsset];
        _assets[asset] = AssetMapping({coverAsset: coverAsset, isMapped: true});
        _assetOfCoverAsset[coverAsset] = asset;
        emit NexusCoverAssetMapped(asset, coverAsset);
    }

    /// @notice Removes `asset`'s cover asset mapping.
    function removeCoverAsset(address asset) external onlyRole(DEFAULT_ADMIN_ROLE) {
        AssetMapping memory previous = _assets[asset];
        if (!previous.isMapped) revert NexusAdapterAssetNotSupported(asset);
        delete _assets[asset];
        delete _assetOfCoverAsset[previous.coverAsset];
        emit NexusCoverAssetUnmapped(asset, previous.coverAsset);
    }

    // ---- fund ----

    /// @inheritdoc ICoverProvider
    function buyCover(
        address protocol,
        address asset,
        uint256 amount,
        uint256 period,
        uint256 maxPremium,
        bytes calldata coverData
    ) external onlyFund nonReentrant returns (uint256 providerCoverId, uint256 premiumPaid) {
        (providerCoverId, premiumPaid) = _buy(0, protocol, asset, amount, period, maxPremium, coverData);
        emit NexusCoverBought(providerCoverId, providerCoverId, protocol, amount, premiumPaid);
    }

    /// @inheritdoc ICoverProvider
    /// @dev A Nexus edit of the chain `providerCoverId` belongs to (the ORIGINAL id is passed upstream, a
    /// new cover id is minted and returned). If the chain's latest cover has already expired, Nexus refuses
    /// edits (`ExpiredCoversCannotBeEdited`), so a fresh cover is bought instead.
    function renewCover(
        uint256 providerCoverId,
        address protocol,
        address asset,
        uint256 amount,
        uint256 period,
        uint256 maxPremium,
        bytes calldata coverData
    ) external onlyFund nonReentrant returns (uint256 newProviderCoverId, uint256 premiumPaid) {
        (INexusCover.CoverData memory latest, INexusCover.CoverReference memory ref) =
            _latestCover(providerCoverId);
        uint256 editedCoverId = block.timestamp < uint256(latest.start) + latest.period ? ref.originalCoverId : 0;
        (newProviderCoverId, premiumPaid) = _buy(editedCoverId, protocol, asset, amount, period, maxPremium, coverData);
        emit NexusCoverBought(
            newProviderCoverId, editedCoverId == 0 ? newProviderCoverId : editedCoverId, protocol, amount, premiumPaid
        );
    }

    /// @inheritdoc ICoverProvider
    /// @dev `evidence` must start with the 34-byte CIDv0 multihash (0x12 0x20 ‖ sha2-256 digest) of the
    /// Nexus claim proof JSON; the 32-byte digest becomes the claim's `ipfsMetadata`.
    function submitClaim(uint256 providerCoverId, uint256 amount, bytes calldata evidence)
        external
        payable
        onlyFund
        nonReentrant
        returns (uint256 providerClaimId)
    {
        if (evidence.length < 34 || evidence[0] != 0x12 || evidence[1] != 0x20) {
            revert NexusAdapterInvalidClaimProof();
        }
        bytes32 evidenceHash = bytes32(evidence[2:34]);
        uint256 deposit = nexusClaims.CLAIM_DEPOSIT_IN_ETH();
        if (msg.value != deposit) revert NexusAdapterWrongDeposit(msg.value, deposit);

        INexusClaims.Claim memory claim =
            nexusClaims.submitClaim{value: deposit}(providerCoverId.toUint32(), amount.toUint96(), evidenceHash);
        // Nexus returns the Claim struct, not its id; the id is the cover's last submission.
        providerClaimId = nexusClaims.lastClaimSubmissionOnCover(providerCoverId);

        address asset = _assetOfCoverAsset[claim.coverAsset];
        if (asset == address(0)) revert NexusAdapterCoverAssetNotMapped(claim.coverAsset);
        _claimAsset[providerClaimId] = asset;
        emit NexusClaimSubmitted(providerClaimId, providerCoverId, amount, evidenceHash);
    }

    /// @inheritdoc ICoverProvider
    function redeemPayout(uint256 providerClaimId)
        external
        onlyFund
        nonReentrant
        returns (uint256 payout, uint256 depositReturned)
    {
        IERC20 token = IERC20(_claimAssetOf(providerClaimId));
        uint256 tokenBefore = token.balanceOf(address(this));
        uint256 ethBefore = address(this).balance;

        nexusClaims.redeemClaimPayout(providerClaimId);

        payout = token.balanceOf(address(this)) - tokenBefore;
        depositReturned = address(this).balance - ethBefore;
        if (payout > 0) token.safeTransfer(fund, payout);
        _sendEthToFund(depositReturned);
        emit NexusPayoutRedeemed(providerClaimId, address(token), payout, depositReturned);
    }

    /// @inheritdoc ICoverProvider
    /// @dev Anyone may call Nexus `retrieveDeposit` for a draw; Nexus then pays the cover NFT owner, this
    /// adapter. If that already happened, the deposit this adapter received is forwarded instead, so the
    /// fund's settlement never fails on it.
    function retrieveDeposit(uint256 providerClaimId) external onlyFund nonReentrant returns (uint256 depositReturned) {
        _claimAssetOf(providerClaimId);
        if (_depositForwarded[providerClaimId]) revert NexusAdapterDepositForwarded(providerClaimId);
        _depositForwarded[providerClaimId] = true;
        if (nexusClaims.getClaim(providerClaimId).depositRetrieved) {
            uint256 deposit = nexusClaims.CLAIM_DEPOSIT_IN_ETH();
            depositReturned = deposit < address(this).balance ? deposit : address(this).balance;
        } else {
            uint256 ethBefore = address(this).balance;
            nexusClaims.retrieveDeposit(providerClaimId);
            depositReturned = address(this).balance - ethBefore;
        }
        _sendEthToFund(depositReturned);
        emit NexusDepositRetrieved(providerClaimId, depositReturned);
    }

    /// @notice Sends a stray balance (`token` = address(0) for ETH) to the fund, never elsewhere.
    /// @dev Warning: an ETH sweep can take a draw deposit that an outsider retrieved upstream before the
    /// fund settled that claim; the claimant's deposit is then short by that amount. Sweep ETH only
    /// when no draw claim of this adapter is unsettled.
    function sweep(address token, uint256 amount) external onlyRole(DEFAULT_ADMIN_ROLE) nonReentrant {
        if (token == address(0)) {
            _sendEthToFund(amount);
        } else {
            IERC20(token).safeTransfer(fund, amount);
        }
        emit NexusSwept(token, amount);
    }

    // ---- views ----

    /// @inheritdoc ICoverProvider
    function isSupported(address protocol, address asset) external view returns (bool) {
        return _products[protocol].isMapped && _assets[asset].isMapped;
    }

    /// @notice The Nexus product mapped to `protocol`.
    function productOf(address protocol) external view returns (bool isMapped, uint24 productId) {
        ProductMapping memory mapping_ = _products[protocol];
        return (mapping_.isMapped, mapping_.productId);
    }

    /// @notice The Nexus cover asset id mapped to `asset`.
    function coverAssetOf(address asset) external view returns (bool isMapped, uint8 coverAsset) {
        AssetMapping memory mapping_ = _assets[asset];
        return (mapping_.isMapped, mapping_.coverAsset);
    }

    /// @inheritdoc ICoverProvider
    /// @dev Independent of the cover and amount: Nexus charges a flat `CLAIM_DEPOSIT_IN_ETH`.
    function claimDeposit(uint256, uint256) external view returns (uint256) {
        return nexusClaims.CLAIM_DEPOSIT_IN_ETH();
    }

    /// @inheritdoc ICoverProvider
    /// @dev Nexus accepts a claim when `start < now < start + period + gracePeriod`, so the inclusive window
    /// is [start + 1, start + period + gracePeriod - 1].
    function claimWindow(uint256 providerCoverId) external view returns (uint256 earliest, uint256 latest) {
        INexusCover.CoverData memory data = nexusCover.getCoverData(providerCoverId);
        if (data.start == 0) revert NexusAdapterCoverNotFound(providerCoverId);
        earliest = uint256(data.start) + 1;
        latest = uint256(data.start) + data.period + data.gracePeriod - 1;
    }

    /// @inheritdoc ICoverProvider
    /// @dev `redeemableUntil` is the last second at which `redeemPayout` still succeeds
    /// (Nexus: `now < votingEnd + cooldownPeriod + payoutRedemptionPeriod`). Claims not filed through this
    /// adapter report `None`.
    function claimStatus(uint256 providerClaimId)
        external
        view
        returns (ClaimStatus status, uint256 payout, uint256 redeemableUntil)
    {
        if (_claimAsset[providerClaimId] == address(0)) return (ClaimStatus.None, 0, 0);
        INexusClaims.ClaimDetails memory details = nexusClaims.getClaimDetails(providerClaimId);

        if (details.status != INexusClaims.AssessmentStatus.FINALIZED) return (ClaimStatus.Pending, 0, 0);
        if (details.outcome == INexusClaims.AssessmentOutcome.DENIED) return (ClaimStatus.Denied, 0, 0);
        if (details.outcome == INexusClaims.AssessmentOutcome.DRAW) return (ClaimStatus.Draw, 0, 0);
        if (details.outcome != INexusClaims.AssessmentOutcome.ACCEPTED) return (ClaimStatus.Pending, 0, 0);

        payout = details.claim.amount;
        if (details.claim.payoutRedeemed) return (ClaimStatus.Redeemed, payout, 0);
        redeemableUntil = uint256(details.assessment.votingEnd) + details.assessment.cooldownPeriod
            + details.claim.payoutRedemptionPeriod - 1;
        status = details.redeemable ? ClaimStatus.Accepted : ClaimStatus.Expired;
        if (status == ClaimStatus.Expired) payout = 0;
    }

    // ---- internals ----

    /// @notice Pulls `maxPremium` from the fund, buys or edits upstream, refunds the unused part.
    function _buy(
        uint256 editedCoverId,
        address protocol,
        address asset,
        uint256 amount,
        uint256 period,
        uint256 maxPremium,
        bytes calldata coverData
    ) private returns (uint256 coverId, uint256 premiumPaid) {
        INexusCover.BuyCoverParams memory params = _buyParams(editedCoverId, protocol, asset, amount, period);
        if (coverData.length == 0) revert NexusAdapterEmptyQuote();
        INexusCover.PoolAllocationRequest[] memory allocations =
            abi.decode(coverData, (INexusCover.PoolAllocationRequest[]));
        if (allocations.length == 0) revert NexusAdapterEmptyQuote();
        return _payAndBuy(IERC20(asset), params, allocations, maxPremium);
    }

    function _buyParams(uint256 editedCoverId, address protocol, address asset, uint256 amount, uint256 period)
        private
        view
        returns (INexusCover.BuyCoverParams memory params)
    {
        ProductMapping memory product = _products[protocol];
        if (!product.isMapped) revert NexusAdapterProtocolNotMapped(protocol);
        AssetMapping memory assetMapping = _assets[asset];
        if (!assetMapping.isMapped) revert NexusAdapterAssetNotSupported(asset);
        params.coverId = editedCoverId;
        params.owner = address(this);
        params.productId = product.productId;
        params.coverAsset = assetMapping.coverAsset;
        params.amount = amount.toUint96();
        params.period = period.toUint32();
        params.paymentAsset = assetMapping.coverAsset;
        // commissionRatio 0, commissionDestination 0, ipfsData "": no distributor commission, no metadata
    }

    function _payAndBuy(
        IERC20 token,
        INexusCover.BuyCoverParams memory params,
        INexusCover.PoolAllocationRequest[] memory allocations,
        uint256 maxPremium
    ) private returns (uint256 coverId, uint256 premiumPaid) {
        uint256 balanceBefore = token.balanceOf(address(this));
        token.safeTransferFrom(fund, address(this), maxPremium);
        uint256 pulled = token.balanceOf(address(this)) - balanceBefore;
        params.maxPremiumInAsset = pulled;

        token.forceApprove(address(nexusCover), pulled);
        coverId = nexusCover.buyCover(params, allocations);
        token.forceApprove(address(nexusCover), 0);

        address owner = nexusCoverNFT.ownerOf(coverId);
        if (owner != address(this)) revert NexusAdapterCoverNotReceived(coverId, owner);

        uint256 unused = token.balanceOf(address(this)) - balanceBefore;
        premiumPaid = pulled - unused;
        if (unused > 0) token.safeTransfer(fund, unused);
    }

    function _latestCover(uint256 coverId)
        private
        view
        returns (INexusCover.CoverData memory latest, INexusCover.CoverReference memory ref)
    {
        ref = nexusCover.getCoverReference(coverId);
        latest = nexusCover.getCoverData(ref.latestCoverId);
        if (latest.start == 0) revert NexusAdapterCoverNotFound(coverId);
    }

    function _claimAssetOf(uint256 claimId) private view returns (address asset) {
        asset = _claimAsset[claimId];
        if (asset == address(0)) revert NexusAdapterUnknownClaim(claimId);
    }

    function _sendEthToFund(uint256 amount) private {
        if (amount == 0) return;
        // solhint-disable-next-line avoid-low-level-calls
        (bool ok,) = fund.call{value: amount}("");
        if (!ok) revert NexusAdapterEthTransferFailed(fund, amount);
    }
}
