// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {AccessControlDefaultAdminRules} from
    "@openzeppelin/contracts/access/extensions/AccessControlDefaultAdminRules.sol";
import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";
import {IERC20Metadata} from "@openzeppelin/contracts/token/ERC20/extensions/IERC20Metadata.sol";
import {SafeERC20} from "@openzeppelin/contracts/token/ERC20/utils/SafeERC20.sol";
import {SafeCast} from "@openzeppelin/contracts/utils/math/SafeCast.sol";
import {Pausable} from "@openzeppelin/contracts/utils/Pausable.sol";
import {ReentrancyGuardTransient} from "@openzeppelin/contracts/utils/ReentrancyGuardTransient.sol";

import {ICoverProvider} from "./interfaces/ICoverProvider.sol";
import {IStablecoinInsuranceFund} from "./interfaces/IStablecoinInsuranceFund.sol";
import {ClaimLogic} from "./libraries/ClaimLogic.sol";
import {CoverageLogic} from "./libraries/CoverageLogic.sol";
import {FundShared} from "./libraries/FundShared.sol";
import {FundTypes} from "./libraries/FundTypes.sol";
import {IncidentLogic} from "./libraries/IncidentLogic.sol";
import {RiskMath} from "./libraries/RiskMath.sol";

/// @title StablecoinInsuranceFund
/// @notice See {IStablecoinInsuranceFund}.
/// @dev Structure (Aave v3 style): this contract keeps the storage (`FundTypes.FundState`), the entry
/// points, the role and reentrancy checks, and the hot paths (risk writes, purchases, withdrawals).
/// Renewal/expiry (`CoverageLogic`), the claim lifecycle (`ClaimLogic`) and incident reports
/// (`IncidentLogic`) are external libraries
/// linked at deployment and run on this contract's storage by DELEGATECALL.
/// @dev Warning: the linked library addresses are fixed at deployment; deploy them from this
/// repository's sources (the deploy modules do) - a malicious library would own the storage.
contract StablecoinInsuranceFund is
    IStablecoinInsuranceFund,
    AccessControlDefaultAdminRules,
    Pausable,
    ReentrancyGuardTransient
{
    using SafeERC20 for IERC20;
    using SafeCast for uint256;

    // ================================================================== constants

    /// @notice Pushes protocol risk scores and reports incidents; can move no funds.
    bytes32 public constant RISK_ORACLE_ROLE = keccak256("RISK_ORACLE_ROLE");
    /// @notice Decides self-insured claims.
    bytes32 public constant CLAIMS_ASSESSOR_ROLE = keccak256("CLAIMS_ASSESSOR_ROLE");
    /// @notice May pause new business, report incidents and veto payouts in their challenge period.
    bytes32 public constant GUARDIAN_ROLE = keccak256("GUARDIAN_ROLE");

    uint256 public constant MIN_DURATION = 30 days; // seconds
    uint256 public constant MAX_DURATION = 365 days; // seconds
    uint256 public constant MAX_BASE_RATE_BPS = 2_000; // 20% a year
    uint256 public constant MIN_RESERVE_RATIO_BPS = 1_000; // 10%
    uint256 public constant MAX_RENEWAL_WINDOW = 90 days; // seconds
    uint256 public constant MAX_CLAIM_GRACE_PERIOD = 90 days; // seconds
    uint256 public constant MIN_CHALLENGE_PERIOD = 1 hours; // seconds
    uint256 public constant MAX_CHALLENGE_PERIOD = 30 days; // seconds
    uint256 private constant MAX_STABLECOINS = 255; // asset ids are uint8
    uint256 private constant MAX_PROVIDERS = 255; // provider ids are uint8, 0 = self-insured

    // ================================================================== storage

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

    FundTypes.FundState private _s;

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
            maxCoveragePerProtocol: 500_000e18,
            challengePeriod: 2 days,
            dailyPayoutLimitBps: 2_500
        });
        _s.params = defaults;
        emit ParametersUpdated(defaults);
        _s.graceHistory.push(FundTypes.GraceSetting({since: 0, grace: defaults.claimGracePeriod}));
        _s.safeguards = FundTypes.Safeguards({maxIncidentLookback: 7 days, refileWindow: 30 days});
        emit SafeguardsUpdated(7 days, 30 days);
        // A non-zero counters slot: the first sale updates it instead of writing a zero slot.
        _s.counters.initialized = true;
        for (uint256 i; i < initialStablecoins.length; ++i) {
            _addStablecoin(initialStablecoins[i]);
        }
    }

    /// @dev Only registered adapters send ETH (returned claim deposits).
    receive() external payable {
        if (_s.providerIds[msg.sender] == 0) revert FundUnexpectedEth(msg.sender);
    }

    // ================================================================== admin

    /// @inheritdoc IStablecoinInsuranceFund
    function addStablecoin(address asset) external onlyRole(DEFAULT_ADMIN_ROLE) {
        _addStablecoin(asset);
    }

    /// @inheritdoc IStablecoinInsuranceFund
    function removeStablecoin(address asset) external onlyRole(DEFAULT_ADMIN_ROLE) {
        FundTypes.AssetConfig storage cfg = _s.assetConfigs[asset];
        if (!cfg.supported) revert FundUnsupportedAsset(asset);
        cfg.supported = false;
        emit StablecoinRemoved(asset);
    }

    /// @inheritdoc IStablecoinInsuranceFund
    function registerProvider(address adapter) external onlyRole(DEFAULT_ADMIN_ROLE) returns (uint8 providerId) {
        if (adapter == address(0)) revert FundZeroAddress();
        if (_s.providerIds[adapter] != 0 || ICoverProvider(adapter).fund() != address(this)) {
            revert FundProviderMismatch(adapter);
        }
        uint256 count = _s.counters.providers;
        if (count == MAX_PROVIDERS) revert FundTooManyProviders();
        providerId = uint8(count + 1);
        _s.counters.providers = providerId;
        _s.providers[providerId] = FundTypes.ProviderRecord({adapter: adapter, active: true});
        _s.providerIds[adapter] = providerId;
        emit ProviderRegistered(providerId, adapter);
    }

    /// @inheritdoc IStablecoinInsuranceFund
    function setProviderActive(uint8 providerId, bool active) external onlyRole(DEFAULT_ADMIN_ROLE) {
        FundTypes.ProviderRecord storage provider = _s.providers[providerId];
        if (provider.adapter == address(0)) revert FundUnknownProvider(providerId);
        provider.active = active;
        emit ProviderStatusChanged(providerId, active);
    }

    /// @inheritdoc IStablecoinInsuranceFund
    function setParameters(Parameters calldata p) external onlyRole(DEFAULT_ADMIN_ROLE) {
        CoverageLogic.setParameters(_s, p);
    }

    /// @inheritdoc IStablecoinInsuranceFund
    function setSafeguards(uint256 maxIncidentLookback, uint256 refileWindow) external onlyRole(DEFAULT_ADMIN_ROLE) {
        CoverageLogic.setSafeguards(_s, maxIncidentLookback, refileWindow);
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
        CoverageLogic.withdrawCapital(_s, asset, amount, to);
    }

    /// @inheritdoc IStablecoinInsuranceFund
    function confirmPayout(uint256 claimId) external onlyRole(DEFAULT_ADMIN_ROLE) {
        ClaimLogic.confirm(_s, claimId);
    }

    /// @inheritdoc IStablecoinInsuranceFund
    function reinstateClaim(uint256 claimId) external onlyRole(DEFAULT_ADMIN_ROLE) {
        ClaimLogic.reinstate(_s, claimId);
    }

    /// @inheritdoc IStablecoinInsuranceFund
    function denyClaim(uint256 claimId) external onlyRole(DEFAULT_ADMIN_ROLE) {
        ClaimLogic.deny(_s, claimId);
    }

    /// @inheritdoc IStablecoinInsuranceFund
    function refreshLargestExposure(address asset, address[] calldata protocols) external {
        CoverageLogic.refreshLargest(_s, asset, protocols);
    }

    // ================================================================== incidents

    /// @inheritdoc IStablecoinInsuranceFund
    function reportIncident(address protocol, uint256 occurredAt, bytes32 evidenceHash) external {
        if (!hasRole(RISK_ORACLE_ROLE, msg.sender)) _checkRole(GUARDIAN_ROLE);
        IncidentLogic.report(_s, protocol, occurredAt, evidenceHash);
    }

    /// @inheritdoc IStablecoinInsuranceFund
    function clearIncident(address protocol) external onlyRole(DEFAULT_ADMIN_ROLE) {
        IncidentLogic.clear(_s, protocol);
    }

    /// @inheritdoc IStablecoinInsuranceFund
    function voidIncident(address protocol, uint256 index) external onlyRole(DEFAULT_ADMIN_ROLE) {
        IncidentLogic.voidReport(_s, protocol, index);
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

    // ================================================================== claims assessor and guardian

    /// @inheritdoc IStablecoinInsuranceFund
    function assessClaim(uint256 claimId, bool accepted, uint256 payout) external onlyRole(CLAIMS_ASSESSOR_ROLE) {
        ClaimLogic.assess(_s, claimId, accepted, payout);
    }

    /// @inheritdoc IStablecoinInsuranceFund
    function vetoPayout(uint256 claimId) external {
        bool byAdmin = hasRole(DEFAULT_ADMIN_ROLE, msg.sender);
        if (!byAdmin) _checkRole(GUARDIAN_ROLE);
        ClaimLogic.veto(_s, claimId, byAdmin);
    }

    // ================================================================== users

    /// @inheritdoc IStablecoinInsuranceFund
    function setAgent(address agent, bool approved) external {
        if (agent == address(0)) revert FundZeroAddress();
        _s.agents[msg.sender][agent] = approved;
        emit AgentSet(msg.sender, agent, approved);
    }

    /// @inheritdoc IStablecoinInsuranceFund
    function depositCapital(address asset, uint256 amount) external nonReentrant {
        if (!_s.assetConfigs[asset].supported) revert FundUnsupportedAsset(asset);
        if (amount == 0) revert FundZeroAmount();
        FundShared.pullExact(asset, amount);
        FundTypes.AssetBook storage book = _s.books[asset];
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
            adapter = FundShared.activeAdapter(_s, providerId);
            if (!adapter.isSupported(protocol, asset)) revert FundProviderUnsupported(providerId, protocol, asset);
        }
        FundShared.pullExact(asset, q.premium);
        if (providerId != 0) {
            (q.providerCoverId, q.upstreamPremium) = FundShared.callUpstream(
                asset,
                address(adapter),
                q.premium,
                abi.encodeCall(ICoverProvider.buyCover, (protocol, asset, amount, duration, q.premium, coverData))
            );
        }
        FundShared.book(
            _s, asset, protocol, q.assetId, providerId, int256(amount), q.premium - q.upstreamPremium, q.reserveRatioBps
        );
        coverId = _storeCoverage(protocol, asset, amount, duration, beneficiary, providerId, q);
    }

    /// @inheritdoc IStablecoinInsuranceFund
    function renewCoverage(
        uint256 coverId,
        uint256 extraDuration,
        uint256 newAmount,
        uint256 maxPremium,
        bytes calldata coverData
    ) external nonReentrant returns (uint256 premium) {
        return CoverageLogic.renew(_s, coverId, extraDuration, newAmount, maxPremium, coverData, paused());
    }

    /// @inheritdoc IStablecoinInsuranceFund
    function expireCoverage(uint256 coverId) external nonReentrant {
        CoverageLogic.expire(_s, coverId);
    }

    /// @inheritdoc IStablecoinInsuranceFund
    function expireCoverages(uint256[] calldata coverIds) external nonReentrant returns (uint256 expired) {
        return CoverageLogic.expireMany(_s, coverIds);
    }

    /// @inheritdoc IStablecoinInsuranceFund
    function submitClaim(
        uint256 coverId,
        uint256 amount,
        uint256 incidentAt,
        string calldata reason,
        bytes calldata evidence
    ) external payable nonReentrant returns (uint256 claimId) {
        return ClaimLogic.submit(_s, coverId, amount, incidentAt, reason, evidence, msg.value);
    }

    /// @inheritdoc IStablecoinInsuranceFund
    function withdrawClaim(uint256 claimId) external nonReentrant {
        ClaimLogic.withdraw(_s, claimId);
    }

    /// @inheritdoc IStablecoinInsuranceFund
    function settleClaim(uint256 claimId) external nonReentrant {
        ClaimLogic.settle(_s, claimId);
    }

    /// @inheritdoc IStablecoinInsuranceFund
    function withdrawPayout(address asset, address to) external nonReentrant returns (uint256 amount) {
        if (to == address(0)) revert FundZeroAddress();
        amount = _s.creditedPayouts[msg.sender][asset];
        if (amount == 0) revert FundNothingToWithdraw();
        _s.creditedPayouts[msg.sender][asset] = 0;
        _s.books[asset].credited -= uint128(amount);
        emit PayoutWithdrawn(msg.sender, asset, to, amount);
        IERC20(asset).safeTransfer(to, amount);
    }

    /// @inheritdoc IStablecoinInsuranceFund
    function withdrawDeposit(address to) external nonReentrant returns (uint256 amount) {
        if (to == address(0)) revert FundZeroAddress();
        amount = _s.creditedDeposits[msg.sender];
        if (amount == 0) revert FundNothingToWithdraw();
        _s.creditedDeposits[msg.sender] = 0;
        emit DepositWithdrawn(msg.sender, to, amount);
        // solhint-disable-next-line avoid-low-level-calls
        (bool ok,) = to.call{value: amount}("");
        if (!ok) revert FundEthTransferFailed();
    }

    // ================================================================== views

    /// @inheritdoc IStablecoinInsuranceFund
    function calculateProtocolRisk(address protocol) external view returns (uint256) {
        return FundShared.score(_s.protocols[protocol]);
    }

    /// @inheritdoc IStablecoinInsuranceFund
    function calculatePremium(uint256 amount, uint256 duration, uint256 riskScore) external view returns (uint256) {
        if (riskScore > RiskMath.MAX_RISK) revert FundInvalidRiskScore(riskScore);
        return RiskMath.premium(amount, duration, riskScore, _s.params.baseRateBps);
    }

    /// @inheritdoc IStablecoinInsuranceFund
    function quotePremium(address protocol, address asset, uint256 amount, uint256 duration)
        external
        view
        returns (uint256)
    {
        if (!_s.assetConfigs[asset].supported) revert FundUnsupportedAsset(asset);
        if (duration < MIN_DURATION || duration > MAX_DURATION) revert FundInvalidDuration(duration);
        return RiskMath.premium(amount, duration, FundShared.score(_s.protocols[protocol]), _s.params.baseRateBps);
    }

    /// @inheritdoc IStablecoinInsuranceFund
    function getProtocolCoverages(address protocol, uint256 cursor, uint256 limit)
        external
        view
        returns (uint256[] memory ids, uint256 nextCursor)
    {
        return CoverageLogic.protocolCoverages(_s, protocol, cursor, limit);
    }

    /// @inheritdoc IStablecoinInsuranceFund
    function upstreamCoverAt(uint256 coverId, uint256 timestamp) external view returns (uint256) {
        FundShared.existingCoverage(_s, coverId);
        return FundShared.upstreamCoverAt(_s, coverId, timestamp);
    }

    /// @inheritdoc IStablecoinInsuranceFund
    function reserveStatus(address asset)
        external
        view
        returns (uint256 pool, uint256 required, uint256 shortfall)
    {
        FundTypes.AssetBook storage book = _s.books[asset];
        pool = book.pool;
        required = FundShared.requirement(book, _s.params.reserveRatioBps);
        shortfall = required > pool ? required - pool : 0;
    }

    /// @inheritdoc IStablecoinInsuranceFund
    function getAssetBook(address asset) external view returns (AssetBook memory) {
        FundTypes.AssetBook memory b = _s.books[asset];
        return AssetBook({
            pool: b.pool,
            credited: b.credited,
            pending: b.pending,
            openClaims: b.openClaims,
            active: b.active,
            selfInsured: b.selfInsured
        });
    }

    /// @inheritdoc IStablecoinInsuranceFund
    function getIncident(address protocol) external view returns (Incident memory) {
        return IncidentLogic.summary(_s, protocol);
    }

    /// @inheritdoc IStablecoinInsuranceFund
    function getIncidentHistory(address protocol) external view returns (IncidentRecord[] memory) {
        return IncidentLogic.history(_s, protocol);
    }

    /// @inheritdoc IStablecoinInsuranceFund
    function getClaimIncidents(uint256 claimId) external view returns (uint256[] memory) {
        return IncidentLogic.claimIncidents(_s, claimId);
    }

    /// @inheritdoc IStablecoinInsuranceFund
    function insurableAmount(uint256 coverId, uint256 incidentAt) external view returns (uint256 amount) {
        return IncidentLogic.insurableAmount(_s, coverId, incidentAt);
    }

    /// @inheritdoc IStablecoinInsuranceFund
    function safeguards() external view returns (uint256, uint256) {
        FundTypes.Safeguards memory g = _s.safeguards;
        return (g.maxIncidentLookback, g.refileWindow);
    }

    /// @inheritdoc IStablecoinInsuranceFund
    function claimDeadline(uint256 coverId) external view returns (uint256) {
        FundTypes.CoverageRecord storage c = FundShared.existingCoverage(_s, coverId);
        return FundShared.claimDeadline(_s, coverId, c.start, c.end);
    }

    /// @inheritdoc IStablecoinInsuranceFund
    function selfInsuredExposure(address protocol, address asset) external view returns (uint256, uint256) {
        return (_s.selfInsuredOf[protocol][_s.assetConfigs[asset].id], _s.books[asset].largestProtocol);
    }

    /// @inheritdoc IStablecoinInsuranceFund
    function getCoverageDetails(uint256 coverId) external view returns (Coverage memory) {
        return CoverageLogic.details(_s, coverId);
    }

    /// @inheritdoc IStablecoinInsuranceFund
    function getClaim(uint256 claimId) external view returns (Claim memory) {
        return ClaimLogic.details(_s, claimId);
    }

    /// @inheritdoc IStablecoinInsuranceFund
    function getTotalCoverage(address asset) external view returns (uint256) {
        return _s.books[asset].active;
    }

    /// @inheritdoc IStablecoinInsuranceFund
    function getSelfInsuredCoverage(address asset) external view returns (uint256) {
        return _s.books[asset].selfInsured;
    }

    /// @inheritdoc IStablecoinInsuranceFund
    function poolBalance(address asset) external view returns (uint256) {
        return _s.books[asset].pool;
    }

    /// @inheritdoc IStablecoinInsuranceFund
    function creditedPayout(address account, address asset) external view returns (uint256) {
        return _s.creditedPayouts[account][asset];
    }

    /// @inheritdoc IStablecoinInsuranceFund
    function totalCredited(address asset) external view returns (uint256) {
        return _s.books[asset].credited;
    }

    /// @inheritdoc IStablecoinInsuranceFund
    function creditedDeposit(address account) external view returns (uint256) {
        return _s.creditedDeposits[account];
    }

    /// @inheritdoc IStablecoinInsuranceFund
    function getProtocolExposure(address protocol) external view returns (uint256) {
        return _s.protocols[protocol].exposure;
    }

    /// @inheritdoc IStablecoinInsuranceFund
    function latestProtocolCoverage(address protocol) external view returns (uint256) {
        return _s.protocols[protocol].latestCoverageId;
    }

    /// @inheritdoc IStablecoinInsuranceFund
    function getProtocolRisk(address protocol) external view returns (ProtocolRisk memory) {
        FundTypes.ProtocolRecord storage p = _s.protocols[protocol];
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
        return _s.params;
    }

    /// @inheritdoc IStablecoinInsuranceFund
    function providerAdapter(uint8 providerId) external view returns (address adapter, bool active) {
        FundTypes.ProviderRecord memory provider = _s.providers[providerId];
        return (provider.adapter, provider.active);
    }

    /// @inheritdoc IStablecoinInsuranceFund
    function providerCount() external view returns (uint8) {
        return _s.counters.providers;
    }

    /// @inheritdoc IStablecoinInsuranceFund
    function stablecoins() external view returns (address[] memory) {
        return _s.assets;
    }

    /// @inheritdoc IStablecoinInsuranceFund
    function isSupportedStablecoin(address asset) external view returns (bool) {
        return _s.assetConfigs[asset].supported;
    }

    /// @inheritdoc IStablecoinInsuranceFund
    function isAgent(address beneficiary, address agent) external view returns (bool) {
        return _s.agents[beneficiary][agent];
    }

    /// @inheritdoc IStablecoinInsuranceFund
    function coverageCount() external view returns (uint256) {
        return _s.counters.coverages;
    }

    /// @inheritdoc IStablecoinInsuranceFund
    function claimCount() external view returns (uint256) {
        return _s.counters.claims;
    }

    // ================================================================== internals

    function _addStablecoin(address asset) private {
        if (asset == address(0)) revert FundZeroAddress();
        FundTypes.AssetConfig storage cfg = _s.assetConfigs[asset];
        if (cfg.supported) return;
        if (!cfg.registered) {
            if (_s.assets.length == MAX_STABLECOINS) revert FundTooManyStablecoins();
            uint8 decimals;
            try IERC20Metadata(asset).decimals() returns (uint8 d) {
                decimals = d;
            } catch {
                revert FundInvalidDecimals(asset);
            }
            if (decimals > 18) revert FundInvalidDecimals(asset);
            cfg.registered = true;
            cfg.id = uint8(_s.assets.length);
            cfg.decimals = decimals;
            _s.assets.push(asset);
            // A non-zero book slot: the first sale in this asset updates it instead of writing a zero slot.
            _s.books[asset].initialized = true;
        }
        cfg.supported = true;
        emit StablecoinAdded(asset, cfg.id, cfg.decimals);
    }

    function _writeRisk(address protocol, uint8 tvl, uint8 audit, uint8 time, uint8 exploit, uint8 team) private {
        if (protocol == address(0)) revert FundZeroAddress();
        // The five components as they are stored: one byte each, tvl lowest (see ProtocolRecord).
        uint256 packed = uint256(tvl) | (uint256(audit) << 8) | (uint256(time) << 16) | (uint256(exploit) << 24)
            | (uint256(team) << 32);
        // All five ≤ 100 at once: no byte has bit 7 set, and none does after adding 27 to each byte
        // (a byte ≥ 128 is caught by the first term, so the addition never carries between bytes).
        if ((packed | (packed + 0x1b1b1b1b1b)) & 0x8080808080 != 0) _revertInvalidRisk(tvl, audit, time, exploit, team);
        FundTypes.ProtocolRecord storage stored = _s.protocols[protocol];
        uint256 word;
        assembly ("memory-safe") {
            word := sload(stored.slot)
        }
        // Bits 40..79 of the slot hold `lastUpdated` (see ProtocolRecord's packing).
        uint256 lastUpdated = uint40(word >> 40);
        if (lastUpdated == 0) {
            // A first write is bounded as if it came from the unscored price (UNSCORED_RISK = 90 = 0x5a per
            // component, stored as zeros) one day ago: it may lower each component by one day's allowance.
            // Only the local copy changes; the SSTORE below replaces these bits.
            word |= 0x5a5a5a5a5a;
            unchecked {
                // Any chain this runs on is past its first day; `block.timestamp - lastUpdated` below is checked.
                lastUpdated = block.timestamp - 1 days;
            }
        }
        // The decrease allowance is read only when some component falls. Per byte, (new + 128) - old
        // keeps bit 7 exactly when new ≥ old (all bytes ≤ 100, so no borrow crosses a byte).
        uint256 gauge;
        unchecked {
            // Cannot underflow: every byte of packed | 0x80.. is ≥ 128 > every stored byte (≤ 100).
            gauge = (packed | 0x8080808080) - (word & 0xffffffffff);
        }
        if (gauge & 0x8080808080 != 0x8080808080) {
            uint256 allowed = RiskMath.allowedDecrease(_s.params.maxRiskDecreasePerDay, block.timestamp - lastUpdated);
            _checkDecrease(protocol, uint8(word), tvl, allowed);
            _checkDecrease(protocol, uint8(word >> 8), audit, allowed);
            _checkDecrease(protocol, uint8(word >> 16), time, allowed);
            _checkDecrease(protocol, uint8(word >> 24), exploit, allowed);
            _checkDecrease(protocol, uint8(word >> 32), team, allowed);
        }
        // One SSTORE: replace the low 80 bits (five components and lastUpdated), keep exposure, the
        // live-list head and the halt bit above them.
        word = (word & ~uint256(type(uint80).max)) | packed | (uint256(uint40(block.timestamp)) << 40);
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

    /// @dev Names the first component above 100 (only reached when one is).
    function _revertInvalidRisk(uint8 tvl, uint8 audit, uint8 time, uint8 exploit, uint8 team) private pure {
        if (tvl > RiskMath.MAX_RISK) revert FundInvalidRiskScore(tvl);
        if (audit > RiskMath.MAX_RISK) revert FundInvalidRiskScore(audit);
        if (time > RiskMath.MAX_RISK) revert FundInvalidRiskScore(time);
        if (exploit > RiskMath.MAX_RISK) revert FundInvalidRiskScore(exploit);
        revert FundInvalidRiskScore(team);
    }

    function _checkDecrease(address protocol, uint8 current, uint8 requested, uint256 allowed) private pure {
        if (requested < current && current - requested > allowed) {
            revert FundRiskDecreaseTooFast(protocol, current, requested, allowed);
        }
    }

    /// @dev Prices a purchase at the current score and checks the asset, the halt and the protocol cap.
    function _pricePurchase(address protocol, address asset, uint256 amount, uint256 duration)
        private
        view
        returns (PurchaseQuote memory q)
    {
        FundTypes.AssetConfig memory cfg = _s.assetConfigs[asset];
        if (!cfg.supported) revert FundUnsupportedAsset(asset);
        Parameters memory params = _s.params;
        FundTypes.ProtocolRecord memory p = _s.protocols[protocol];
        FundShared.checkNotHalted(_s, protocol, p.activeIncidents);
        q.exposure = FundShared.checkCap(
            protocol, p.exposure, RiskMath.toWad(amount, cfg.decimals), params.maxCoveragePerProtocol
        );
        q.risk = FundShared.score(p);
        q.premium = RiskMath.premium(amount, duration, q.risk, params.baseRateBps);
        q.prevCoverageId = p.latestCoverageId;
        q.reserveRatioBps = params.reserveRatioBps;
        q.assetId = cfg.id;
    }

    /// @dev Writes a new coverage (three slots, four when hedged) and links it at the head of its
    /// protocol's live list.
    function _storeCoverage(
        address protocol,
        address asset,
        uint256 amount,
        uint256 duration,
        address beneficiary,
        uint8 providerId,
        PurchaseQuote memory q
    ) private returns (uint256 coverId) {
        coverId = ++_s.counters.coverages;
        FundTypes.CoverageRecord storage c = _s.coverages[coverId];
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

        FundTypes.ProtocolRecord storage p = _s.protocols[protocol];
        p.exposure = uint96(q.exposure);
        p.latestCoverageId = uint48(coverId);
        // Doubly linked live list: the previous head points forward to the new one.
        if (q.prevCoverageId != 0) _s.coverages[q.prevCoverageId].nextCoverageId = uint48(coverId);

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
}
