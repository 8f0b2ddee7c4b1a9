// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {AccessControlDefaultAdminRules} from
    "@openzeppelin/contracts/access/extensions/AccessControlDefaultAdminRules.sol";
import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";
import {IERC20Metadata} from "@openzeppelin/contracts/token/ERC20/extensions/IERC20Metadata.sol";
import {SafeERC20} from "@openzeppelin/contracts/token/ERC20/utils/SafeERC20.sol";
import {SafeCast} from "@openzeppelin/contracts/utils/math/SafeCast.sol";
import {Pausable} from "@openzeppelin/contracts/utils/Pausable.sol";
import {ReentrancyGuard} from "@openzeppelin/contracts/utils/ReentrancyGuard.sol";

import {ICoverProvider} from "./interfaces/ICoverProvider.sol";
import {IStablecoinInsuranceFund} from "./interfaces/IStablecoinInsuranceFund.sol";
import {RiskMath} from "./libraries/RiskMath.sol";

/// @title StablecoinInsuranceFund
/// @notice See {IStablecoinInsuranceFund}.
contract StablecoinInsuranceFund is
    IStablecoinInsuranceFund,
    AccessControlDefaultAdminRules,
    Pausable,
    ReentrancyGuard
{
    using SafeERC20 for IERC20;
    using SafeCast for uint256;

    // ================================================================== constants

    /// @notice Pushes protocol risk scores; can move no funds.
    bytes32 public constant RISK_ORACLE_ROLE = keccak256("RISK_ORACLE_ROLE");
    /// @notice Decides self-insured claims.
    bytes32 public constant CLAIMS_ASSESSOR_ROLE = keccak256("CLAIMS_ASSESSOR_ROLE");
    /// @notice May pause.
    bytes32 public constant GUARDIAN_ROLE = keccak256("GUARDIAN_ROLE");

    uint256 public constant MIN_DURATION = 30 days; // seconds
    uint256 public constant MAX_DURATION = 365 days; // seconds
    uint256 public constant MAX_BASE_RATE_BPS = 2_000; // 20% a year
    uint256 public constant MIN_RESERVE_RATIO_BPS = 1_000; // 10%
    uint256 public constant MAX_RENEWAL_WINDOW = 90 days; // seconds
    uint256 public constant MAX_CLAIM_GRACE_PERIOD = 90 days; // seconds
    uint256 private constant MAX_STABLECOINS = 255; // asset ids are uint8
    uint256 private constant MAX_PROVIDERS = 255; // provider ids are uint8, 0 = self-insured

    // ================================================================== storage

    /// @dev Packing: one slot. Risk components 5 × 8 + lastUpdated 40 + exposure 96 + latestCoverageId 48
    /// = 224 bits. One SLOAD serves the score, the cap and the coverage list head of a purchase.
    struct ProtocolRecord {
        uint8 tvlStability;
        uint8 auditQuality;
        uint8 timeSinceDeployment;
        uint8 exploitHistory;
        uint8 teamReputation;
        uint40 lastUpdated;
        uint96 exposure; // active coverage, USD wad
        uint48 latestCoverageId; // head of this protocol's coverage list (newest first)
    }

    /// @dev Packing: slot 0 protocol 160 | start 40 | end 40 | riskScore 8 | providerId 8 = 256;
    /// slot 1 beneficiary 160 | amount 96 = 256; slot 2 premium 96 | claimed 96 | prevCoverageId 48 |
    /// assetId 8 | status 8 = 256; slot 3 providerCoverId 128 | openClaimId 48 (written only for
    /// hedged coverage and claims). A self-insured purchase writes three slots.
    struct CoverageRecord {
        address protocol;
        uint40 start;
        uint40 end;
        uint8 riskScore;
        uint8 providerId;
        address beneficiary;
        uint96 amount;
        uint96 premium;
        uint96 claimed;
        uint48 prevCoverageId; // previous coverage of the same protocol (linked list)
        uint8 assetId;
        CoverageStatus status;
        uint128 providerCoverId;
        uint48 openClaimId;
    }

    /// @dev Packing: slot 0 coverageId 48 | amount 96 | payout 96 | status 8 = 248; slot 1 claimant 160 |
    /// submittedAt 40 = 200; slot 2 providerClaimId 128 | deposit 128; slot 3 evidenceHash.
    struct ClaimRecord {
        uint48 coverageId;
        uint96 amount;
        uint96 payout;
        ClaimStatus status;
        address claimant;
        uint40 submittedAt;
        uint128 providerClaimId;
        uint128 deposit;
        bytes32 evidenceHash;
    }

    /// @dev Packing: supported 8 | registered 8 | id 8 | decimals 8.
    struct AssetConfig {
        bool supported;
        bool registered;
        uint8 id;
        uint8 decimals;
    }

    /// @dev Packing: slot 0 pool 128 | credited 128; slot 1 active 128 | selfInsured 128. Asset units.
    struct AssetBook {
        uint128 pool; // self-insurance reserve, excludes credited payouts
        uint128 credited; // payouts credited to beneficiaries, not yet withdrawn
        uint128 active; // active coverage (hedged and self-insured)
        uint128 selfInsured; // active self-insured coverage
    }

    /// @dev Packing: adapter 160 | active 8.
    struct ProviderRecord {
        address adapter;
        bool active;
    }

    /// @dev Packing: one slot, 48 + 48 + 8 bits.
    struct Counters {
        uint48 coverages;
        uint48 claims;
        uint8 providers;
    }

    /// @dev Purchase pricing and bookkeeping inputs, kept in memory to spare stack slots.
    struct PurchaseQuote {
        uint256 premium;
        uint256 risk;
        uint256 exposure; // the protocol's exposure after the purchase, USD wad
        uint256 prevCoverageId;
        uint256 reserveRatioBps;
        uint256 assetId;
        uint256 providerCoverId;
        uint256 upstreamPremium;
    }

    /// @dev Renewal pricing, kept in memory to spare stack slots.
    struct RenewalQuote {
        uint256 premium;
        uint256 risk;
        uint256 exposure; // the protocol's exposure after the renewal, USD wad
        uint256 newEnd;
    }

    Parameters private _params;
    Counters private _counters;
    address[] private _assets; // index = asset id

    mapping(address protocol => ProtocolRecord) private _protocols;
    mapping(uint256 coverId => CoverageRecord) private _coverages;
    mapping(uint256 claimId => ClaimRecord) private _claims;
    mapping(address asset => AssetConfig) private _assetConfigs;
    mapping(address asset => AssetBook) private _books;
    mapping(uint8 providerId => ProviderRecord) private _providers;
    mapping(address adapter => uint8 providerId) private _providerIds;
    mapping(address account => mapping(address asset => uint256 amount)) private _creditedPayouts;
    mapping(address account => uint256 amount) private _creditedDeposits;
    mapping(address beneficiary => mapping(address agent => bool approved)) private _agents;

    /// @param initialAdminDelay Delay of the two-step admin transfer, seconds.
    /// @param admin Governance (a multisig).
    /// @param initialStablecoins Stablecoins registered at deployment.
    constructor(uint48 initialAdminDelay, address admin, address[] memory initialStablecoins)
        AccessControlDefaultAdminRules(initialAdminDelay, admin)
    {
        Parameters memory defaults = Parameters({
            baseRateBps: 200,
            reserveRatioBps: 2_000,
            maxRiskDecreasePerDay: 10,
            renewalWindow: 30 days,
            claimGracePeriod: 30 days,
            maxCoveragePerProtocol: 500_000e18
        });
        _params = defaults;
        emit ParametersUpdated(defaults);
        for (uint256 i; i < initialStablecoins.length; ++i) {
            _addStablecoin(initialStablecoins[i]);
        }
    }

    /// @dev Only registered adapters send ETH (returned claim deposits).
    receive() external payable {
        if (_providerIds[msg.sender] == 0) revert FundUnexpectedEth(msg.sender);
    }

    // ================================================================== admin

    /// @inheritdoc IStablecoinInsuranceFund
    function addStablecoin(address asset) external onlyRole(DEFAULT_ADMIN_ROLE) {
        _addStablecoin(asset);
    }

    /// @inheritdoc IStablecoinInsuranceFund
    function removeStablecoin(address asset) external onlyRole(DEFAULT_ADMIN_ROLE) {
        AssetConfig storage cfg = _assetConfigs[asset];
        if (!cfg.supported) revert FundUnsupportedAsset(asset);
        cfg.supported = false;
        emit StablecoinRemoved(asset);
    }

    /// @inheritdoc IStablecoinInsuranceFund
    function registerProvider(address adapter) external onlyRole(DEFAULT_ADMIN_ROLE) returns (uint8 providerId) {
        if (adapter == address(0)) revert FundZeroAddress();
        if (_providerIds[adapter] != 0 || ICoverProvider(adapter).fund() != address(this)) {
            revert FundProviderMismatch(adapter);
        }
        uint256 count = _counters.providers;
        if (count == MAX_PROVIDERS) revert FundTooManyProviders();
        providerId = uint8(count + 1);
        _counters.providers = providerId;
        _providers[providerId] = ProviderRecord({adapter: adapter, active: true});
        _providerIds[adapter] = providerId;
        emit ProviderRegistered(providerId, adapter);
    }

    /// @inheritdoc IStablecoinInsuranceFund
    function setProviderActive(uint8 providerId, bool active) external onlyRole(DEFAULT_ADMIN_ROLE) {
        ProviderRecord storage provider = _providers[providerId];
        if (provider.adapter == address(0)) revert FundUnknownProvider(providerId);
        provider.active = active;
        emit ProviderStatusChanged(providerId, active);
    }

    /// @inheritdoc IStablecoinInsuranceFund
    function setParameters(Parameters calldata p) external onlyRole(DEFAULT_ADMIN_ROLE) {
        if (p.baseRateBps == 0 || p.baseRateBps > MAX_BASE_RATE_BPS) revert FundInvalidParameter("baseRateBps");
        if (p.reserveRatioBps < MIN_RESERVE_RATIO_BPS || p.reserveRatioBps > RiskMath.BPS) {
            revert FundInvalidParameter("reserveRatioBps");
        }
        if (p.maxRiskDecreasePerDay == 0 || p.maxRiskDecreasePerDay > RiskMath.MAX_RISK) {
            revert FundInvalidParameter("maxRiskDecreasePerDay");
        }
        if (p.renewalWindow == 0 || p.renewalWindow > MAX_RENEWAL_WINDOW) revert FundInvalidParameter("renewalWindow");
        if (p.claimGracePeriod > MAX_CLAIM_GRACE_PERIOD) revert FundInvalidParameter("claimGracePeriod");
        if (p.maxCoveragePerProtocol == 0) revert FundInvalidParameter("maxCoveragePerProtocol");
        _params = p;
        emit ParametersUpdated(p);
    }

    /// @inheritdoc IStablecoinInsuranceFund
    function pause() external onlyRole(GUARDIAN_ROLE) {
        _pause();
    }

    /// @inheritdoc IStablecoinInsuranceFund
    function unpause() external onlyRole(DEFAULT_ADMIN_ROLE) {
        _unpause();
    }

    /// @inheritdoc IStablecoinInsuranceFund
    function withdrawCapital(address asset, uint256 amount, address to)
        external
        onlyRole(DEFAULT_ADMIN_ROLE)
        nonReentrant
    {
        if (to == address(0)) revert FundZeroAddress();
        if (amount == 0) revert FundZeroAmount();
        AssetBook storage book = _books[asset];
        uint256 pool = book.pool;
        if (amount > pool) revert FundInsufficientPool(asset, pool, amount);
        uint256 remaining = pool - amount;
        uint256 required = RiskMath.requiredReserve(book.selfInsured, _params.reserveRatioBps);
        if (remaining < required) revert FundReserveRatioBreached(asset, remaining, required);
        book.pool = uint128(remaining);
        emit CapitalWithdrawn(asset, to, amount);
        IERC20(asset).safeTransfer(to, amount);
    }

    // ================================================================== risk oracle

    /// @inheritdoc IStablecoinInsuranceFund
    function updateProtocolRisk(
        address protocol,
        uint8 tvlStability,
        uint8 auditQuality,
        uint8 timeSinceDeployment,
        uint8 exploitHistory,
        uint8 teamReputation
    ) external onlyRole(RISK_ORACLE_ROLE) {
        _writeRisk(protocol, tvlStability, auditQuality, timeSinceDeployment, exploitHistory, teamReputation);
    }

    /// @inheritdoc IStablecoinInsuranceFund
    function updateProtocolRisks(RiskUpdate[] calldata updates) external onlyRole(RISK_ORACLE_ROLE) {
        for (uint256 i; i < updates.length; ++i) {
            RiskUpdate calldata u = updates[i];
            _writeRisk(
                u.protocol, u.tvlStability, u.auditQuality, u.timeSinceDeployment, u.exploitHistory, u.teamReputation
            );
        }
    }

    // ================================================================== claims assessor

    /// @inheritdoc IStablecoinInsuranceFund
    function assessClaim(uint256 claimId, bool accepted, uint256 payout) external onlyRole(CLAIMS_ASSESSOR_ROLE) {
        ClaimRecord storage claim = _existingClaim(claimId);
        if (claim.status != ClaimStatus.Pending) revert FundClaimNotPending(claimId);
        CoverageRecord storage coverage = _coverages[claim.coverageId];
        if (coverage.providerId != 0) revert FundNotSelfInsured(claimId);
        if (accepted) {
            if (payout == 0) revert FundZeroAmount();
            if (payout > claim.amount) revert FundPayoutExceedsClaim(payout, claim.amount);
            // Reserve the payout now: it leaves the pool (so capital withdrawals cannot take it) and
            // joins the credited total; settlement assigns it to the beneficiary.
            address asset = _assets[coverage.assetId];
            AssetBook storage book = _books[asset];
            uint256 pool = book.pool;
            if (payout > pool) revert FundInsufficientPool(asset, pool, payout);
            book.pool = uint128(pool - payout);
            book.credited += uint128(payout);
            claim.status = ClaimStatus.Accepted;
            claim.payout = uint96(payout);
        } else {
            claim.status = ClaimStatus.Denied;
            coverage.openClaimId = 0;
            payout = 0;
        }
        emit ClaimAssessed(claimId, accepted, payout);
    }

    // ================================================================== users

    /// @inheritdoc IStablecoinInsuranceFund
    function setAgent(address agent, bool approved) external {
        if (agent == address(0)) revert FundZeroAddress();
        _agents[msg.sender][agent] = approved;
        emit AgentSet(msg.sender, agent, approved);
    }

    /// @inheritdoc IStablecoinInsuranceFund
    function depositCapital(address asset, uint256 amount) external nonReentrant {
        if (!_assetConfigs[asset].supported) revert FundUnsupportedAsset(asset);
        if (amount == 0) revert FundZeroAmount();
        _pullExact(asset, amount);
        AssetBook storage book = _books[asset];
        book.pool = (book.pool + amount).toUint128();
        emit CapitalDeposited(asset, msg.sender, amount);
    }

    /// @inheritdoc IStablecoinInsuranceFund
    function purchaseProtocolCoverage(
        address protocol,
        address asset,
        uint256 amount,
        uint256 duration,
        uint256 maxPremium,
        address beneficiary,
        uint8 providerId,
        bytes calldata coverData
    ) external nonReentrant whenNotPaused returns (uint256 coverId) {
        if (protocol == address(0) || beneficiary == address(0)) revert FundZeroAddress();
        if (amount == 0) revert FundZeroAmount();
        if (duration < MIN_DURATION || duration > MAX_DURATION) revert FundInvalidDuration(duration);
        PurchaseQuote memory q = _pricePurchase(protocol, asset, amount, duration);
        if (q.premium > maxPremium) revert FundPremiumAboveMax(q.premium, maxPremium);

        ICoverProvider adapter;
        if (providerId != 0) {
            adapter = _activeAdapter(providerId);
            if (!adapter.isSupported(protocol, asset)) revert FundProviderUnsupported(providerId, protocol, asset);
        }
        _pullExact(asset, q.premium);
        if (providerId != 0) {
            (q.providerCoverId, q.upstreamPremium) = _callUpstream(
                asset,
                address(adapter),
                q.premium,
                abi.encodeCall(ICoverProvider.buyCover, (protocol, asset, amount, duration, q.premium, coverData))
            );
        }
        _book(asset, providerId, int256(amount), q.premium - q.upstreamPremium, q.reserveRatioBps);
        coverId = _storeCoverage(protocol, asset, amount, duration, beneficiary, providerId, q);
    }

    /// @inheritdoc IStablecoinInsuranceFund
    function renewCoverage(
        uint256 coverId,
        uint256 extraDuration,
        uint256 newAmount,
        uint256 maxPremium,
        bytes calldata coverData
    ) external nonReentrant whenNotPaused returns (uint256 premium) {
        CoverageRecord memory cur = _existingCoverage(coverId);
        Parameters memory params = _params;
        address asset = _checkRenewable(coverId, cur, extraDuration, newAmount, params.renewalWindow);
        RenewalQuote memory q = _priceRenewal(cur, asset, extraDuration, newAmount, params);
        premium = q.premium;
        if (premium > maxPremium) revert FundPremiumAboveMax(premium, maxPremium);

        _pullExact(asset, premium);
        uint256 providerCoverId = cur.providerCoverId;
        uint256 upstreamPremium;
        if (cur.providerId != 0) {
            (providerCoverId, upstreamPremium) = _renewUpstream(cur, asset, newAmount, q.newEnd, premium, coverData);
        }
        _book(
            asset,
            cur.providerId,
            int256(newAmount) - int256(uint256(cur.amount)),
            premium - upstreamPremium,
            params.reserveRatioBps
        );

        CoverageRecord storage c = _coverages[coverId];
        c.end = uint40(q.newEnd);
        c.amount = newAmount.toUint96();
        c.premium = (cur.premium + premium).toUint96();
        c.riskScore = uint8(q.risk);
        if (providerCoverId != cur.providerCoverId) c.providerCoverId = providerCoverId.toUint128();
        _protocols[cur.protocol].exposure = uint96(q.exposure);

        emit CoverageRenewed(
            coverId, newAmount, premium, upstreamPremium, uint64(q.newEnd), uint8(q.risk), providerCoverId
        );
    }

    /// @inheritdoc IStablecoinInsuranceFund
    function expireCoverage(uint256 coverId) external {
        _existingCoverage(coverId);
        if (!_expire(coverId)) revert FundCoverageNotExpirable(coverId);
    }

    /// @inheritdoc IStablecoinInsuranceFund
    function expireCoverages(uint256[] calldata coverIds) external returns (uint256 expired) {
        for (uint256 i; i < coverIds.length; ++i) {
            if (_expire(coverIds[i])) ++expired;
        }
    }

    /// @inheritdoc IStablecoinInsuranceFund
    function submitClaim(uint256 coverId, uint256 amount, string calldata reason, bytes calldata evidence)
        external
        payable
        nonReentrant
        whenNotPaused
        returns (uint256 claimId)
    {
        CoverageRecord storage c = _existingCoverage(coverId);
        CoverageRecord memory cur = c;
        _checkBeneficiaryOrAgent(cur.beneficiary);
        if (cur.openClaimId != 0) revert FundClaimOpen(coverId, cur.openClaimId);
        if (amount == 0) revert FundZeroAmount();
        uint256 remaining = cur.amount - cur.claimed;
        if (amount > remaining) revert FundClaimExceedsRemaining(amount, remaining);
        // Never in the purchase block: block timestamps strictly increase, so "later than start" is
        // "a later block".
        if (block.timestamp <= cur.start) revert FundClaimTooEarly(coverId, uint256(cur.start) + 1);

        bytes32 evidenceHash = keccak256(evidence);
        uint256 providerClaimId;
        if (cur.providerId == 0) {
            uint256 latest = uint256(cur.end) + _params.claimGracePeriod;
            if (block.timestamp > latest) revert FundClaimWindowClosed(coverId, latest);
            if (msg.value != 0) revert FundWrongDeposit(0, msg.value);
        } else {
            providerClaimId = _submitUpstreamClaim(coverId, cur.providerId, cur.providerCoverId, amount, evidenceHash);
        }

        claimId = ++_counters.claims;
        _claims[claimId] = ClaimRecord({
            coverageId: uint48(coverId),
            amount: uint96(amount),
            payout: 0,
            status: ClaimStatus.Pending,
            claimant: msg.sender,
            submittedAt: uint40(block.timestamp),
            providerClaimId: providerClaimId.toUint128(),
            deposit: uint128(msg.value),
            evidenceHash: evidenceHash
        });
        c.openClaimId = uint48(claimId);
        emit ClaimSubmitted(claimId, coverId, msg.sender, amount, reason, evidence, providerClaimId);
    }

    /// @inheritdoc IStablecoinInsuranceFund
    function settleClaim(uint256 claimId) external nonReentrant {
        ClaimRecord storage claim = _existingClaim(claimId);
        CoverageRecord storage c = _coverages[claim.coverageId];
        address asset = _assets[c.assetId];
        ClaimStatus outcome;
        uint256 payout;
        if (c.providerId == 0) {
            if (claim.status != ClaimStatus.Accepted) revert FundClaimNotSettleable(claimId, uint8(claim.status));
            // Reserved out of the pool and into the credited total by `assessClaim`.
            payout = claim.payout;
            outcome = ClaimStatus.Paid;
        } else {
            if (claim.status != ClaimStatus.Pending) revert FundClaimNotSettleable(claimId, uint8(claim.status));
            (outcome, payout) = _settleUpstream(claimId, claim, c.providerId, asset);
            if (payout != 0) {
                claim.payout = uint96(payout);
                AssetBook storage book = _books[asset];
                book.credited = (book.credited + payout).toUint128();
            }
        }

        claim.status = outcome;
        c.openClaimId = 0;
        if (payout != 0) {
            c.claimed += uint96(payout);
            _creditedPayouts[c.beneficiary][asset] += payout;
        }
        emit ClaimSettled(claimId, outcome, payout);
    }

    /// @inheritdoc IStablecoinInsuranceFund
    function withdrawPayout(address asset) external nonReentrant returns (uint256 amount) {
        amount = _creditedPayouts[msg.sender][asset];
        if (amount == 0) revert FundNothingToWithdraw();
        _creditedPayouts[msg.sender][asset] = 0;
        _books[asset].credited -= uint128(amount);
        emit PayoutWithdrawn(msg.sender, asset, amount);
        IERC20(asset).safeTransfer(msg.sender, amount);
    }

    /// @inheritdoc IStablecoinInsuranceFund
    function withdrawDeposit() external nonReentrant returns (uint256 amount) {
        amount = _creditedDeposits[msg.sender];
        if (amount == 0) revert FundNothingToWithdraw();
        _creditedDeposits[msg.sender] = 0;
        emit DepositWithdrawn(msg.sender, amount);
        (bool ok,) = msg.sender.call{value: amount}("");
        if (!ok) revert FundEthTransferFailed();
    }

    // ================================================================== views

    /// @inheritdoc IStablecoinInsuranceFund
    function calculateProtocolRisk(address protocol) external view returns (uint256) {
        return _score(_protocols[protocol]);
    }

    /// @inheritdoc IStablecoinInsuranceFund
    function calculatePremium(uint256 amount, uint256 duration, uint256 riskScore) external view returns (uint256) {
        if (riskScore > RiskMath.MAX_RISK) revert FundInvalidRiskScore(riskScore);
        return RiskMath.premium(amount, duration, riskScore, _params.baseRateBps);
    }

    /// @inheritdoc IStablecoinInsuranceFund
    function quotePremium(address protocol, address asset, uint256 amount, uint256 duration)
        external
        view
        returns (uint256)
    {
        if (!_assetConfigs[asset].supported) revert FundUnsupportedAsset(asset);
        if (duration < MIN_DURATION || duration > MAX_DURATION) revert FundInvalidDuration(duration);
        return RiskMath.premium(amount, duration, _score(_protocols[protocol]), _params.baseRateBps);
    }

    /// @inheritdoc IStablecoinInsuranceFund
    function getProtocolCoverages(address protocol) external view returns (uint256[] memory ids) {
        return _protocolCoverageIds(protocol);
    }

    /// @inheritdoc IStablecoinInsuranceFund
    function getCoverageDetails(uint256 coverId) public view returns (Coverage memory) {
        CoverageRecord storage c = _existingCoverage(coverId);
        return Coverage({
            id: coverId,
            protocol: c.protocol,
            asset: _assets[c.assetId],
            beneficiary: c.beneficiary,
            amount: c.amount,
            premium: c.premium,
            claimed: c.claimed,
            start: c.start,
            end: c.end,
            riskScore: c.riskScore,
            providerId: c.providerId,
            status: c.status,
            providerCoverId: c.providerCoverId,
            openClaimId: c.openClaimId,
            prevCoverageId: c.prevCoverageId
        });
    }

    /// @inheritdoc IStablecoinInsuranceFund
    function getClaim(uint256 claimId) external view returns (Claim memory) {
        ClaimRecord storage claim = _existingClaim(claimId);
        return Claim({
            id: claimId,
            coverageId: claim.coverageId,
            claimant: claim.claimant,
            amount: claim.amount,
            payout: claim.payout,
            deposit: claim.deposit,
            providerClaimId: claim.providerClaimId,
            submittedAt: claim.submittedAt,
            status: claim.status,
            evidenceHash: claim.evidenceHash
        });
    }

    /// @inheritdoc IStablecoinInsuranceFund
    function getTotalCoverage(address asset) external view returns (uint256) {
        return _books[asset].active;
    }

    /// @inheritdoc IStablecoinInsuranceFund
    function getSelfInsuredCoverage(address asset) external view returns (uint256) {
        return _books[asset].selfInsured;
    }

    /// @inheritdoc IStablecoinInsuranceFund
    function poolBalance(address asset) external view returns (uint256) {
        return _books[asset].pool;
    }

    /// @inheritdoc IStablecoinInsuranceFund
    function creditedPayout(address account, address asset) external view returns (uint256) {
        return _creditedPayouts[account][asset];
    }

    /// @inheritdoc IStablecoinInsuranceFund
    function totalCredited(address asset) external view returns (uint256) {
        return _books[asset].credited;
    }

    /// @inheritdoc IStablecoinInsuranceFund
    function creditedDeposit(address account) external view returns (uint256) {
        return _creditedDeposits[account];
    }

    /// @inheritdoc IStablecoinInsuranceFund
    function getProtocolExposure(address protocol) external view returns (uint256) {
        return _protocols[protocol].exposure;
    }

    /// @inheritdoc IStablecoinInsuranceFund
    function latestProtocolCoverage(address protocol) external view returns (uint256) {
        return _protocols[protocol].latestCoverageId;
    }

    /// @inheritdoc IStablecoinInsuranceFund
    function getProtocolRisk(address protocol) public view returns (ProtocolRisk memory) {
        ProtocolRecord storage p = _protocols[protocol];
        return ProtocolRisk({
            tvlStability: p.tvlStability,
            auditQuality: p.auditQuality,
            timeSinceDeployment: p.timeSinceDeployment,
            exploitHistory: p.exploitHistory,
            teamReputation: p.teamReputation,
            lastUpdated: p.lastUpdated
        });
    }

    /// @inheritdoc IStablecoinInsuranceFund
    function parameters() external view returns (Parameters memory) {
        return _params;
    }

    /// @inheritdoc IStablecoinInsuranceFund
    function providerAdapter(uint8 providerId) external view returns (address adapter, bool active) {
        ProviderRecord memory provider = _providers[providerId];
        return (provider.adapter, provider.active);
    }

    /// @inheritdoc IStablecoinInsuranceFund
    function providerCount() external view returns (uint8) {
        return _counters.providers;
    }

    /// @inheritdoc IStablecoinInsuranceFund
    function stablecoins() external view returns (address[] memory) {
        return _assets;
    }

    /// @inheritdoc IStablecoinInsuranceFund
    function isSupportedStablecoin(address asset) external view returns (bool) {
        return _assetConfigs[asset].supported;
    }

    /// @inheritdoc IStablecoinInsuranceFund
    function isAgent(address beneficiary, address agent) external view returns (bool) {
        return _agents[beneficiary][agent];
    }

    /// @inheritdoc IStablecoinInsuranceFund
    function coverageCount() external view returns (uint256) {
        return _counters.coverages;
    }

    /// @inheritdoc IStablecoinInsuranceFund
    function claimCount() external view returns (uint256) {
        return _counters.claims;
    }

    // ================================================================== internals

    function _addStablecoin(address asset) private {
        if (asset == address(0)) revert FundZeroAddress();
        AssetConfig storage cfg = _assetConfigs[asset];
        if (cfg.supported) return;
        if (!cfg.registered) {
            if (_assets.length == MAX_STABLECOINS) revert FundTooManyStablecoins();
            uint8 decimals;
            try IERC20Metadata(asset).decimals() returns (uint8 d) {
                decimals = d;
            } catch {
                revert FundInvalidDecimals(asset);
            }
            if (decimals > 18) revert FundInvalidDecimals(asset);
            cfg.registered = true;
            cfg.id = uint8(_assets.length);
            cfg.decimals = decimals;
            _assets.push(asset);
        }
        cfg.supported = true;
        emit StablecoinAdded(asset, cfg.id, cfg.decimals);
    }

    function _writeRisk(address protocol, uint8 tvl, uint8 audit, uint8 time, uint8 exploit, uint8 team) private {
        if (protocol == address(0)) revert FundZeroAddress();
        if (tvl > RiskMath.MAX_RISK) revert FundInvalidRiskScore(tvl);
        if (audit > RiskMath.MAX_RISK) revert FundInvalidRiskScore(audit);
        if (time > RiskMath.MAX_RISK) revert FundInvalidRiskScore(time);
        if (exploit > RiskMath.MAX_RISK) revert FundInvalidRiskScore(exploit);
        if (team > RiskMath.MAX_RISK) revert FundInvalidRiskScore(team);
        ProtocolRecord storage stored = _protocols[protocol];
        uint256 word;
        assembly ("memory-safe") {
            word := sload(stored.slot)
        }
        // Bits 40..79 of the slot hold `lastUpdated` (see ProtocolRecord's packing).
        uint256 lastUpdated = uint40(word >> 40);
        if (lastUpdated != 0) {
            // The decrease allowance is read only when some component falls.
            if (
                tvl < uint8(word) || audit < uint8(word >> 8) || time < uint8(word >> 16)
                    || exploit < uint8(word >> 24) || team < uint8(word >> 32)
            ) {
                uint256 allowed = RiskMath.allowedDecrease(_params.maxRiskDecreasePerDay, block.timestamp - lastUpdated);
                _checkDecrease(protocol, uint8(word), tvl, allowed);
                _checkDecrease(protocol, uint8(word >> 8), audit, allowed);
                _checkDecrease(protocol, uint8(word >> 16), time, allowed);
                _checkDecrease(protocol, uint8(word >> 24), exploit, allowed);
                _checkDecrease(protocol, uint8(word >> 32), team, allowed);
            }
        }
        // One SSTORE: replace the low 80 bits (five components and lastUpdated), keep exposure and
        // the coverage list head above them.
        word = (word & ~uint256(type(uint80).max)) | uint256(tvl) | (uint256(audit) << 8) | (uint256(time) << 16)
            | (uint256(exploit) << 24) | (uint256(team) << 32) | (uint256(uint40(block.timestamp)) << 40);
        assembly ("memory-safe") {
            sstore(stored.slot, word)
        }
        emit RiskScoreUpdated(
            protocol,
            bytes5(
                (uint40(tvl) << 32) | (uint40(audit) << 24) | (uint40(time) << 16) | (uint40(exploit) << 8)
                    | uint40(team)
            )
        );
    }

    function _checkDecrease(address protocol, uint8 current, uint8 requested, uint256 allowed) private pure {
        if (requested < current && current - requested > allowed) {
            revert FundRiskDecreaseTooFast(protocol, current, requested, allowed);
        }
    }

    function _score(ProtocolRecord memory p) private view returns (uint256) {
        return RiskMath.riskScore(
            p.tvlStability,
            p.auditQuality,
            p.timeSinceDeployment,
            p.exploitHistory,
            p.teamReputation,
            p.lastUpdated,
            block.timestamp
        );
    }

    /// @dev Returns the protocol's exposure after adding `addWad`, reverting above the cap.
    function _checkCap(address protocol, uint256 exposure, uint256 addWad, Parameters memory params)
        private
        pure
        returns (uint256)
    {
        uint256 cap = params.maxCoveragePerProtocol;
        uint256 available = exposure >= cap ? 0 : cap - exposure;
        if (addWad > available) revert FundProtocolCapExceeded(protocol, addWad, available);
        return exposure + addWad;
    }

    /// @dev Pulls exactly `amount` of `asset` from the caller; rejects fee-on-transfer by balance delta.
    function _pullExact(address asset, uint256 amount) private {
        IERC20 token = IERC20(asset);
        uint256 before = token.balanceOf(address(this));
        token.safeTransferFrom(msg.sender, address(this), amount);
        uint256 received = token.balanceOf(address(this)) - before;
        if (received != amount) revert FundFeeOnTransfer(asset, amount, received);
    }

    function _activeAdapter(uint8 providerId) private view returns (ICoverProvider) {
        ProviderRecord memory provider = _providers[providerId];
        if (provider.adapter == address(0)) revert FundUnknownProvider(providerId);
        if (!provider.active) revert FundProviderInactive(providerId);
        return ICoverProvider(provider.adapter);
    }

    /// @dev Lets `adapter` pull at most `maxPremium` for the encoded buy/renew call and measures what it
    /// really took by balance delta. Both calls return (providerCoverId, premiumPaid).
    function _callUpstream(address asset, address adapter, uint256 maxPremium, bytes memory call)
        private
        returns (uint256 providerCoverId, uint256 paid)
    {
        IERC20 token = IERC20(asset);
        uint256 before = token.balanceOf(address(this));
        token.forceApprove(adapter, maxPremium);
        (bool ok, bytes memory ret) = adapter.call(call);
        if (!ok) {
            assembly ("memory-safe") {
                revert(add(ret, 32), mload(ret))
            }
        }
        (providerCoverId,) = abi.decode(ret, (uint256, uint256));
        token.forceApprove(adapter, 0);
        uint256 afterBalance = token.balanceOf(address(this));
        paid = before > afterBalance ? before - afterBalance : 0;
        if (paid > maxPremium) revert FundUpstreamOverpaid(paid, maxPremium);
    }

    /// @dev Applies a coverage amount change and a pool inflow to the asset's book, then enforces the
    /// reserve ratio for self-insured coverage.
    function _book(address asset, uint8 providerId, int256 amountDelta, uint256 poolInflow, uint256 reserveRatioBps)
        private
    {
        AssetBook storage book = _books[asset];
        AssetBook memory b = book;
        uint256 pool = b.pool + poolInflow;
        uint256 active = uint256(int256(uint256(b.active)) + amountDelta);
        uint256 selfInsured = b.selfInsured;
        if (providerId == 0) {
            selfInsured = uint256(int256(selfInsured) + amountDelta);
            // New or extended self-insured coverage needs the reserve; a reduction only helps it.
            uint256 required = RiskMath.requiredReserve(selfInsured, reserveRatioBps);
            if (amountDelta >= 0 && pool < required) revert FundReserveRatioBreached(asset, pool, required);
        }
        book.pool = pool.toUint128();
        book.active = active.toUint128();
        book.selfInsured = uint128(selfInsured);
    }

    function _expire(uint256 coverId) private returns (bool) {
        CoverageRecord storage c = _coverages[coverId];
        if (c.status != CoverageStatus.Active || block.timestamp <= c.end) return false;
        c.status = CoverageStatus.Expired;
        address asset = _assets[c.assetId];
        uint256 amount = c.amount;
        AssetBook storage book = _books[asset];
        book.active -= uint128(amount);
        if (c.providerId == 0) book.selfInsured -= uint128(amount);
        _protocols[c.protocol].exposure -= uint96(RiskMath.toWad(amount, _assetConfigs[asset].decimals));
        emit CoverageExpired(coverId);
        return true;
    }

    /// @dev Prices a purchase at the current score and checks the asset and the protocol cap.
    function _pricePurchase(address protocol, address asset, uint256 amount, uint256 duration)
        private
        view
        returns (PurchaseQuote memory q)
    {
        AssetConfig memory cfg = _assetConfigs[asset];
        if (!cfg.supported) revert FundUnsupportedAsset(asset);
        Parameters memory params = _params;
        ProtocolRecord memory p = _protocols[protocol];
        q.exposure = _checkCap(protocol, p.exposure, RiskMath.toWad(amount, cfg.decimals), params);
        q.risk = _score(p);
        q.premium = RiskMath.premium(amount, duration, q.risk, params.baseRateBps);
        q.prevCoverageId = p.latestCoverageId;
        q.reserveRatioBps = params.reserveRatioBps;
        q.assetId = cfg.id;
    }

    /// @dev Writes a new coverage (three slots, four when hedged) and links it into its protocol's list.
    function _storeCoverage(
        address protocol,
        address asset,
        uint256 amount,
        uint256 duration,
        address beneficiary,
        uint8 providerId,
        PurchaseQuote memory q
    ) private returns (uint256 coverId) {
        coverId = ++_counters.coverages;
        CoverageRecord storage c = _coverages[coverId];
        c.protocol = protocol;
        c.start = uint40(block.timestamp);
        c.end = uint40(block.timestamp + duration);
        c.riskScore = uint8(q.risk);
        c.providerId = providerId;
        c.beneficiary = beneficiary;
        c.amount = amount.toUint96();
        c.premium = uint96(q.premium);
        c.prevCoverageId = uint48(q.prevCoverageId);
        c.assetId = uint8(q.assetId);
        c.status = CoverageStatus.Active;
        if (q.providerCoverId != 0) c.providerCoverId = q.providerCoverId.toUint128();

        _protocols[protocol].exposure = uint96(q.exposure);
        _protocols[protocol].latestCoverageId = uint48(coverId);

        emit CoveragePurchased(
            coverId,
            protocol,
            beneficiary,
            asset,
            amount,
            q.premium,
            q.upstreamPremium,
            uint64(block.timestamp),
            uint64(block.timestamp + duration),
            uint8(q.risk),
            providerId,
            q.providerCoverId
        );
    }

    /// @dev Checks who renews, when, and with what; returns the coverage's asset.
    function _checkRenewable(
        uint256 coverId,
        CoverageRecord memory cur,
        uint256 extraDuration,
        uint256 newAmount,
        uint256 renewalWindow
    ) private view returns (address asset) {
        _checkBeneficiaryOrAgent(cur.beneficiary);
        if (cur.status != CoverageStatus.Active) revert FundCoverageNotActive(coverId);
        if (cur.openClaimId != 0) revert FundClaimOpen(coverId, cur.openClaimId);
        uint256 opensAt = cur.end - renewalWindow;
        if (block.timestamp < opensAt || block.timestamp >= cur.end) {
            revert FundOutsideRenewalWindow(coverId, opensAt, cur.end);
        }
        asset = _assets[cur.assetId];
        if (!_assetConfigs[asset].supported) revert FundUnsupportedAsset(asset);
        if (extraDuration < MIN_DURATION || extraDuration > MAX_DURATION) revert FundInvalidDuration(extraDuration);
        uint256 newTerm = cur.end + extraDuration - block.timestamp;
        if (newTerm > MAX_DURATION) revert FundInvalidDuration(newTerm);
        // The covered amount left after past payouts must stay positive.
        if (newAmount <= cur.claimed) revert FundZeroAmount();
    }

    /// @dev Renewal price at the current score: the new amount over the extra duration, plus any
    /// increase over the time left. Also returns the score and the protocol's new exposure.
    function _priceRenewal(
        CoverageRecord memory cur,
        address asset,
        uint256 extraDuration,
        uint256 newAmount,
        Parameters memory params
    ) private view returns (RenewalQuote memory q) {
        ProtocolRecord memory p = _protocols[cur.protocol];
        uint8 decimals = _assetConfigs[asset].decimals;
        q.newEnd = cur.end + extraDuration;
        q.risk = _score(p);
        q.premium = RiskMath.premium(newAmount, extraDuration, q.risk, params.baseRateBps);
        if (newAmount > cur.amount) {
            uint256 increase = newAmount - cur.amount;
            q.exposure = _checkCap(cur.protocol, p.exposure, RiskMath.toWad(increase, decimals), params);
            q.premium += RiskMath.premium(increase, cur.end - block.timestamp, q.risk, params.baseRateBps);
        } else {
            q.exposure = p.exposure - RiskMath.toWad(cur.amount - newAmount, decimals);
        }
    }

    function _renewUpstream(
        CoverageRecord memory cur,
        address asset,
        uint256 newAmount,
        uint256 newEnd,
        uint256 premium,
        bytes calldata coverData
    ) private returns (uint256 providerCoverId, uint256 upstreamPremium) {
        return _callUpstream(
            asset,
            address(_activeAdapter(cur.providerId)),
            premium,
            abi.encodeCall(
                ICoverProvider.renewCover,
                (cur.providerCoverId, cur.protocol, asset, newAmount, newEnd - block.timestamp, premium, coverData)
            )
        );
    }

    /// @dev Files a hedged claim upstream inside the provider's window with its exact ETH deposit.
    function _submitUpstreamClaim(
        uint256 coverId,
        uint8 providerId,
        uint256 providerCoverId,
        uint256 amount,
        bytes32 evidenceHash
    ) private returns (uint256) {
        ICoverProvider adapter = ICoverProvider(_providers[providerId].adapter);
        (uint256 earliest, uint256 latest) = adapter.claimWindow(providerCoverId);
        if (block.timestamp < earliest) revert FundClaimTooEarly(coverId, earliest);
        if (block.timestamp > latest) revert FundClaimWindowClosed(coverId, latest);
        uint256 deposit = adapter.claimDeposit(providerCoverId, amount);
        if (msg.value != deposit) revert FundWrongDeposit(deposit, msg.value);
        return adapter.submitClaim{value: msg.value}(providerCoverId, amount, evidenceHash);
    }

    /// @dev Reads the upstream outcome of a hedged claim and collects what it yields.
    function _settleUpstream(uint256 claimId, ClaimRecord storage claim, uint8 providerId, address asset)
        private
        returns (ClaimStatus outcome, uint256 payout)
    {
        ICoverProvider adapter = ICoverProvider(_providers[providerId].adapter);
        uint256 providerClaimId = claim.providerClaimId;
        (ICoverProvider.ClaimStatus upstream,,) = adapter.claimStatus(providerClaimId);
        uint256 ethBefore = address(this).balance;
        if (upstream == ICoverProvider.ClaimStatus.Accepted) {
            IERC20 token = IERC20(asset);
            uint256 before = token.balanceOf(address(this));
            adapter.redeemPayout(providerClaimId);
            uint256 received = token.balanceOf(address(this)) - before;
            // Never credit more than was claimed; anything extra stays in the pool.
            uint256 requested = claim.amount;
            payout = received > requested ? requested : received;
            if (received > payout) {
                AssetBook storage book = _books[asset];
                book.pool = (book.pool + (received - payout)).toUint128();
            }
            outcome = ClaimStatus.Paid;
        } else if (upstream == ICoverProvider.ClaimStatus.Draw) {
            adapter.retrieveDeposit(providerClaimId);
            outcome = ClaimStatus.Draw;
        } else if (upstream == ICoverProvider.ClaimStatus.Denied) {
            outcome = ClaimStatus.Denied;
        } else if (upstream == ICoverProvider.ClaimStatus.Expired) {
            outcome = ClaimStatus.Expired;
        } else {
            revert FundClaimNotSettleable(claimId, uint8(upstream));
        }
        uint256 returned = address(this).balance - ethBefore;
        if (returned != 0) {
            _creditedDeposits[claim.claimant] += returned;
            emit DepositCredited(claim.claimant, returned);
        }
    }

    function _checkBeneficiaryOrAgent(address beneficiary) private view {
        if (msg.sender != beneficiary && !_agents[beneficiary][msg.sender]) {
            revert FundNotBeneficiaryOrAgent(msg.sender);
        }
    }

    function _existingCoverage(uint256 coverId) private view returns (CoverageRecord storage c) {
        c = _coverages[coverId];
        if (c.status == CoverageStatus.None) revert FundUnknownCoverage(coverId);
    }

    function _existingClaim(uint256 claimId) private view returns (ClaimRecord storage claim) {
        claim = _claims[claimId];
        if (claim.status == ClaimStatus.None) revert FundUnknownClaim(claimId);
    }

    /// @dev Walks the protocol's coverage list, newest first.
    function _protocolCoverageIds(address protocol) private view returns (uint256[] memory ids) {
        uint256 count;
        for (uint256 id = _protocols[protocol].latestCoverageId; id != 0; id = _coverages[id].prevCoverageId) {
            ++count;
        }
        ids = new uint256[](count);
        uint256 i;
        for (uint256 id = _protocols[protocol].latestCoverageId; id != 0; id = _coverages[id].prevCoverageId) {
            ids[i++] = id;
        }
    }
}
