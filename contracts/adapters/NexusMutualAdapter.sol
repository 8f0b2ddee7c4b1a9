// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {AccessControlDefaultAdminRules} from
    "@openzeppelin/contracts/access/extensions/AccessControlDefaultAdminRules.sol";
import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";
import {SafeERC20} from "@openzeppelin/contracts/token/ERC20/utils/SafeERC20.sol";
import {ReentrancyGuard} from "@openzeppelin/contracts/utils/ReentrancyGuard.sol";
import {SafeCast} from "@openzeppelin/contracts/utils/math/SafeCast.sol";
import {ICoverProvider} from "../interfaces/ICoverProvider.sol";
import {INexusClaims} from "../interfaces/nexus/INexusClaims.sol";
import {INexusCover} from "../interfaces/nexus/INexusCover.sol";
import {INexusCoverNFT} from "../interfaces/nexus/INexusCoverNFT.sol";
import {INexusCoverProducts} from "../interfaces/nexus/INexusCoverProducts.sol";
import {INexusPool} from "../interfaces/nexus/INexusPool.sol";
import {INexusRegistry} from "../interfaces/nexus/INexusRegistry.sol";

/// @title NexusMutualAdapter
/// @notice `ICoverProvider` for Nexus Mutual v3: buys, edits and claims Nexus covers held in the
/// adapter's own name on behalf of the fund, and forwards payouts and returned deposits to the fund.
/// @dev `coverData` of `buyCover`/`renewCover` is `abi.encode(INexusCover.PoolAllocationRequest[])`, the
/// pool allocations of a Nexus off-chain quote (quote API `poolAllocationRequests`, amounts in cover-asset
/// units). The only on-chain price guard is `maxPremiumInAsset` = the fund's `maxPremium`.
/// @dev Warning: this contract must be a Nexus Mutual member before it can buy, claim or redeem (every
/// Nexus call checks membership of `msg.sender`). The admin calls `joinNexus(kycSignature)` with the join
/// fee; the signature is Nexus's EIP-712 KYC approval of THIS contract's address (see docs/deploy.md).
/// @dev Cover assets: Nexus covers ETH 0, USDC 6 and cbBTC 7 (DAI 1 was abandoned in the v3 pool
/// migration, USDT never was one). `isSupported` asks Nexus whether the mapped product accepts the
/// mapped asset (the product's `coverAssets` bitmap and the Pool's asset flags), so a product that only
/// covers ETH is reported unsupported for USDC even though both are mapped here.
/// @dev Warning: Nexus `Claims.retrieveDeposit` is open to ANYONE and always pays the cover NFT owner
/// (this adapter), so an outsider can pull a DRAW claim's deposit into this contract before the fund asks.
/// @dev Warning: Nexus payouts and deposit refunds are sent by the Nexus POOL (`Claims.pool()`), not by the
/// Claims contract, so `receive` accepts ETH from the address `nexusClaims.pool()` returns at that moment
/// (Nexus may migrate its Pool).
/// @dev Warning: an edit mints a NEW Nexus cover id; `renewCover` returns it and the fund must use it from
/// then on. Claims on the replaced cover stay possible upstream (its period is cut to the edit time) but
/// this adapter reports windows for whichever id the fund passes.
/// @dev Admin: the fund's admin (the governance multisig after the deploy handover), with the same
/// two-step, delayed transfer (`AccessControlDefaultAdminRules`). It maps products and cover assets and
/// can never unmap or remap one while a cover bought through it may still be claimed upstream.
contract NexusMutualAdapter is ICoverProvider, AccessControlDefaultAdminRules, ReentrancyGuard {
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
    /// @notice `msg.value` of `joinNexus` is not the Registry's `JOIN_FEE`.
    error NexusAdapterWrongJoinFee(uint256 sent, uint256 required);
    /// @notice The Registry accepted `join` but this adapter is still not a member.
    error NexusAdapterNotMember();
    /// @notice A cover bought through this mapping may still be claimed upstream until `inForceUntil`.
    error NexusAdapterMappingInUse(uint256 inForceUntil);

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
    /// @notice Emitted after the adapter joined Nexus Mutual as member `memberId`, paying `fee` wei.
    event NexusMembershipJoined(uint256 indexed memberId, uint256 fee);
    /// @notice Emitted after a stray balance was sent to the fund (`token` 0 = ETH).
    event NexusSwept(address indexed token, uint256 amount);
    /// @notice Emitted after a draw claim's deposit was forwarded to the fund.
    event NexusDepositRetrieved(uint256 indexed claimId, uint256 depositReturned);

    uint8 private constant ETH_COVER_ASSET = 0;
    uint8 private constant NXM_ASSET = type(uint8).max;
    uint8 private constant INDIVIDUAL_CLAIMS = 0; // CoverProducts ClaimMethod.IndividualClaims

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
    /// @dev The last second a cover bought for the protocol / in the asset can be claimed upstream.
    mapping(address protocol => uint256 until) private _productInForceUntil;
    mapping(address asset => uint256 until) private _assetInForceUntil;

    modifier onlyFund() {
        if (msg.sender != fund) revert CoverProviderOnlyFund(msg.sender);
        _;
    }

    /// @param fund_ The only caller allowed to change state.
    /// @param nexusCover_ The Nexus Mutual Cover contract.
    /// @param nexusClaims_ The Nexus Mutual Claims contract.
    /// @param initialAdminDelay Delay of the two-step admin transfer, seconds (the fund's).
    /// @param admin Receives `DEFAULT_ADMIN_ROLE` (product and asset mappings); hand it over to the fund's
    /// admin with `beginDefaultAdminTransfer` (docs/deploy.md).
    constructor(address fund_, address nexusCover_, address nexusClaims_, uint48 initialAdminDelay, address admin)
        AccessControlDefaultAdminRules(initialAdminDelay, admin)
    {
        // A zero `admin` is refused by AccessControlDefaultAdminRules.
        if (fund_ == address(0) || nexusCover_ == address(0) || nexusClaims_ == address(0)) {
            revert NexusAdapterZeroAddress();
        }
        fund = fund_;
        nexusCover = INexusCover(nexusCover_);
        nexusClaims = INexusClaims(nexusClaims_);
        nexusCoverNFT = INexusCoverNFT(INexusCover(nexusCover_).coverNFT());
    }

    /// @notice Accepts the ETH deposit refunds of the Nexus pool only.
    receive() external payable {
        if (msg.sender != nexusClaims.pool()) revert NexusAdapterUnexpectedEthSender(msg.sender);
    }

    // ---- admin ----

    /// @notice Maps `protocol` to Nexus product `productId`.
    /// Remapping a mapped protocol to another product waits until its covers can no longer be claimed.
    function setProduct(address protocol, uint24 productId) external onlyRole(DEFAULT_ADMIN_ROLE) {
        ProductMapping memory previous = _products[protocol];
        if (previous.isMapped && previous.productId != productId) _checkUnused(_productInForceUntil[protocol]);
        _products[protocol] = ProductMapping({productId: productId, isMapped: true});
        emit NexusProductMapped(protocol, productId);
    }

    /// @notice Removes `protocol`'s product mapping, once no cover bought for it can be claimed upstream.
    function removeProduct(address protocol) external onlyRole(DEFAULT_ADMIN_ROLE) {
        if (!_products[protocol].isMapped) revert NexusAdapterProtocolNotMapped(protocol);
        _checkUnused(_productInForceUntil[protocol]);
        delete _products[protocol];
        emit NexusProductUnmapped(protocol);
    }

    /// @notice Joins Nexus Mutual: forwards exactly the Registry's `JOIN_FEE` (`msg.value`) with Nexus's
    /// KYC `signature` over this contract's address. Nexus checks the signature and the fee.
    /// @param signature Nexus's EIP-712 `Join(address member)` signature for `member = address(this)`.
    function joinNexus(bytes calldata signature) external payable onlyRole(DEFAULT_ADMIN_ROLE) nonReentrant {
        INexusRegistry registry = _registry();
        uint256 fee = registry.JOIN_FEE();
        if (msg.value != fee) revert NexusAdapterWrongJoinFee(msg.value, fee);
        registry.join{value: fee}(address(this), signature);
        uint256 memberId = registry.getMemberId(address(this));
        if (memberId == 0) revert NexusAdapterNotMember();
        emit NexusMembershipJoined(memberId, fee);
    }

    /// @notice Maps ERC20 `asset` to Nexus cover asset id `coverAsset` (USDC 6; cbBTC 7). Whether a
    /// product accepts it is read from Nexus in `isSupported`.
    function setCoverAsset(address asset, uint8 coverAsset) external onlyRole(DEFAULT_ADMIN_ROLE) {
        if (coverAsset == ETH_COVER_ASSET || coverAsset == NXM_ASSET) revert NexusAdapterInvalidCoverAsset(coverAsset);
        address holder = _assetOfCoverAsset[coverAsset];
        if (holder != address(0) && holder != asset) revert NexusAdapterCoverAssetTaken(coverAsset, holder);
        AssetMapping memory previous = _assets[asset];
        if (previous.isMapped) {
            if (previous.coverAsset != coverAsset) _checkUnused(_assetInForceUntil[asset]);
            delete _assetOfCoverAsset[previous.coverAsset];
        }
        _assets[asset] = AssetMapping({coverAsset: coverAsset, isMapped: true});
        _assetOfCoverAsset[coverAsset] = asset;
        emit NexusCoverAssetMapped(asset, coverAsset);
    }

    /// @notice Removes `asset`'s cover asset mapping, once no cover in it can be claimed upstream (a hedged
    /// claim needs the mapping to route the payout).
    function removeCoverAsset(address asset) external onlyRole(DEFAULT_ADMIN_ROLE) {
        AssetMapping memory previous = _assets[asset];
        if (!previous.isMapped) revert NexusAdapterAssetNotSupported(asset);
        _checkUnused(_assetInForceUntil[asset]);
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
        _recordInForce(providerCoverId, protocol, asset);
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
        uint256 editedCoverId = editedCoverIdOf(providerCoverId);
        (newProviderCoverId, premiumPaid) = _buy(editedCoverId, protocol, asset, amount, period, maxPremium, coverData);
        _recordInForce(newProviderCoverId, protocol, asset);
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
    /// @dev True only when both mappings exist AND Nexus's product accepts the asset: the product exists,
    /// is not deprecated, its type files individual claims, its `coverAssets` bitmap is 0 (all Pool cover
    /// assets) or has the asset's bit, and the Pool lists the asset as a cover asset that is not abandoned
    /// (mirrors `Cover._isCoverAssetSupported` and the `Claims.submitClaim` claim-method check).
    function isSupported(address protocol, address asset) external view returns (bool) {
        ProductMapping memory product = _products[protocol];
        AssetMapping memory assetMapping = _assets[asset];
        if (!product.isMapped || !assetMapping.isMapped) return false;
        return _productAcceptsAsset(product.productId, assetMapping.coverAsset);
    }

    /// @notice The cover id a Nexus quote for renewing `providerCoverId` must pass as `coverEditId`: the
    /// ORIGINAL id of its edit chain while the chain's latest cover is in force, 0 once it expired (then
    /// `renewCover` buys a fresh cover). Reverts `NexusAdapterCoverNotFound` for an unknown cover.
    function editedCoverIdOf(uint256 providerCoverId) public view returns (uint256) {
        (INexusCover.CoverData memory latest, INexusCover.CoverReference memory ref) = _latestCover(providerCoverId);
        return block.timestamp < uint256(latest.start) + latest.period ? ref.originalCoverId : 0;
    }

    /// @notice Whether this adapter is a Nexus Mutual member (needed to buy, claim and redeem).
    function isNexusMember() external view returns (bool) {
        return _registry().isMember(address(this));
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
        // From the time, not from Nexus's `redeemable` flag (FINALIZED already means the cooldown is over).
        status = block.timestamp <= redeemableUntil ? ClaimStatus.Accepted : ClaimStatus.Expired;
        if (status == ClaimStatus.Expired) payout = 0;
    }

    /// @notice The last second a cover bought for `protocol` or in `asset` can be claimed upstream; the
    /// mappings cannot be removed or changed before then.
    function inForceUntil(address protocol, address asset) external view returns (uint256 product, uint256 coverAsset) {
        return (_productInForceUntil[protocol], _assetInForceUntil[asset]);
    }

    // ---- internals ----

    /// @notice Remembers until when cover `coverId` can be claimed upstream (start + period + grace).
    function _recordInForce(uint256 coverId, address protocol, address asset) private {
        INexusCover.CoverData memory data = nexusCover.getCoverData(coverId);
        uint256 until = uint256(data.start) + data.period + data.gracePeriod;
        if (until > _productInForceUntil[protocol]) _productInForceUntil[protocol] = until;
        if (until > _assetInForceUntil[asset]) _assetInForceUntil[asset] = until;
    }

    function _checkUnused(uint256 until) private view {
        if (block.timestamp <= until) revert NexusAdapterMappingInUse(until);
    }

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

    function _productAcceptsAsset(uint24 productId, uint8 coverAsset) private view returns (bool) {
        INexusCoverProducts coverProducts = INexusCoverProducts(nexusCover.coverProducts());
        if (productId >= coverProducts.getProductCount()) return false;
        (INexusCoverProducts.Product memory product, INexusCoverProducts.ProductType memory productType) =
            coverProducts.getProductWithType(productId);
        if (product.isDeprecated || productType.claimMethod != INDIVIDUAL_CLAIMS) return false;
        if (product.coverAssets != 0 && (uint256(product.coverAssets) & (uint256(1) << coverAsset)) == 0) return false;
        try INexusPool(nexusCover.pool()).getAsset(coverAsset) returns (INexusPool.Asset memory poolAsset) {
            return poolAsset.isCoverAsset && !poolAsset.isAbandoned;
        } catch {
            return false; // InvalidAssetId: the Pool has no such asset
        }
    }

    function _registry() private view returns (INexusRegistry) {
        return INexusRegistry(nexusCover.registry());
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
