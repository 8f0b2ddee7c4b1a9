// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";
import {SafeERC20} from "@openzeppelin/contracts/token/ERC20/utils/SafeERC20.sol";
import {SafeCast} from "@openzeppelin/contracts/utils/math/SafeCast.sol";
import {Pausable} from "@openzeppelin/contracts/utils/Pausable.sol";

import {ICoverProvider} from "../interfaces/ICoverProvider.sol";
import {IStablecoinInsuranceFund as IFund} from "../interfaces/IStablecoinInsuranceFund.sol";
import {FundShared} from "./FundShared.sol";
import {FundTypes} from "./FundTypes.sol";
import {IncidentLogic} from "./IncidentLogic.sol";
import {RiskMath} from "./RiskMath.sol";

/// @title CoverageLogic
/// @notice Renewal, expiry, the live-coverage list (doubly linked: O(1) removal) and the largest-exposure
/// refresh of the StablecoinInsuranceFund. An external
/// library: its functions run in the fund's context (DELEGATECALL) on the fund's `FundState`, so
/// `msg.sender`, balances and events are the fund's. The fund applies `nonReentrant` and role checks
/// before calling in.
library CoverageLogic {
    using SafeCast for uint256;
    using SafeERC20 for IERC20;

    uint256 internal constant MIN_DURATION = 30 days; // seconds
    uint256 internal constant MAX_DURATION = 365 days; // seconds
    uint256 internal constant MAX_PAGE = 1_000; // ids per getProtocolCoverages page
    uint256 internal constant MAX_BASE_RATE_BPS = 2_000; // 20% a year
    uint256 internal constant MIN_RESERVE_RATIO_BPS = 1_000; // 10%
    uint256 internal constant MAX_RENEWAL_WINDOW = 90 days; // seconds
    uint256 internal constant MAX_CLAIM_GRACE_PERIOD = 90 days; // seconds
    uint256 internal constant MIN_CHALLENGE_PERIOD = 1 hours; // seconds
    uint256 internal constant MAX_CHALLENGE_PERIOD = 30 days; // seconds
    uint256 internal constant MIN_INCIDENT_LOOKBACK = 1 hours; // seconds
    uint256 internal constant MAX_INCIDENT_LOOKBACK = 30 days; // seconds
    uint256 internal constant MIN_REFILE_WINDOW = 1 days; // seconds
    uint256 internal constant MAX_REFILE_WINDOW = 90 days; // seconds

    /// @dev Renewal pricing, kept in memory to spare stack slots.
    struct RenewalQuote {
        uint256 premium;
        uint256 risk;
        uint256 exposure; // the protocol's exposure after the renewal, USD wad
        uint256 newEnd;
        uint256 insured; // newAmount minus past payouts: what the renewal really insures
    }

    /// @notice See {IStablecoinInsuranceFund-renewCoverage}. `paused` is the fund's pause flag: while
    /// paused only renewals that do not increase the amount go through.
    function renew(
        FundTypes.FundState storage s,
        uint256 coverId,
        uint256 extraDuration,
        uint256 newAmount,
        uint256 maxPremium,
        bytes calldata coverData,
        bool paused
    ) external returns (uint256 premium) {
        FundTypes.CoverageRecord memory cur = FundShared.existingCoverage(s, coverId);
        IFund.Parameters memory params = s.params;
        address asset = _checkRenewable(s, coverId, cur, extraDuration, newAmount, params.renewalWindow);
        if (paused && newAmount > cur.amount) revert Pausable.EnforcedPause();
        // A hedged renewal (a Nexus edit) cuts the current upstream cover: never before a reported loss
        // inside it was claimed.
        if (cur.providerId != 0) IncidentLogic.checkNoUnclaimedIncident(s, coverId, cur);
        RenewalQuote memory q = _priceRenewal(s, cur, asset, extraDuration, newAmount, params);
        premium = q.premium;
        if (premium > maxPremium) revert IFund.FundPremiumAboveMax(premium, maxPremium);

        FundShared.pullExact(asset, premium);
        uint256 providerCoverId = cur.providerCoverId;
        uint256 upstreamPremium;
        if (cur.providerId != 0) {
            (providerCoverId, upstreamPremium) = FundShared.callUpstream(
                asset,
                address(FundShared.activeAdapter(s, cur.providerId)),
                premium,
                abi.encodeCall(
                    ICoverProvider.renewCover,
                    (
                        cur.providerCoverId,
                        cur.protocol,
                        asset,
                        q.insured,
                        q.newEnd - block.timestamp,
                        premium,
                        coverData
                    )
                )
            );
        }
        FundShared.book(
            s,
            asset,
            cur.protocol,
            cur.assetId,
            cur.providerId,
            int256(newAmount) - int256(uint256(cur.amount)),
            premium - upstreamPremium,
            params.reserveRatioBps
        );

        FundTypes.CoverageRecord storage c = s.coverages[coverId];
        if (newAmount != cur.amount) {
            // The amount history judges which part of the cover was bought before an incident.
            s.amountHistory[coverId].push(
                FundTypes.AmountChange({amount: cur.amount, until: uint40(block.timestamp)})
            );
        }
        c.end = uint40(q.newEnd);
        c.amount = newAmount.toUint96();
        c.premium = (cur.premium + premium).toUint96();
        c.riskScore = uint8(q.risk);
        if (providerCoverId != cur.providerCoverId) {
            // A Nexus edit cuts the old cover now: losses before now still belong to it.
            s.upstreamHistory[coverId].push(
                FundTypes.UpstreamCover({providerCoverId: cur.providerCoverId, until: uint40(block.timestamp)})
            );
            c.providerCoverId = providerCoverId.toUint128();
        }
        s.protocols[cur.protocol].exposure = uint96(q.exposure);

        emit IFund.CoverageRenewed(
            coverId, newAmount, premium, upstreamPremium, uint64(q.newEnd), uint8(q.risk), providerCoverId
        );
    }

    /// @notice See {IStablecoinInsuranceFund-withdrawCapital}. The pool must still cover both the ratio
    /// requirement and the largest single-protocol self-insured exposure afterwards.
    function withdrawCapital(FundTypes.FundState storage s, address asset, uint256 amount, address to) external {
        if (to == address(0)) revert IFund.FundZeroAddress();
        if (amount == 0) revert IFund.FundZeroAmount();
        FundTypes.AssetBook storage b = s.books[asset];
        uint256 pool = b.pool;
        if (amount > pool) revert IFund.FundInsufficientPool(asset, pool, amount);
        uint256 remaining = pool - amount;
        uint256 req = FundShared.required(b, b.selfInsured, s.params.reserveRatioBps);
        if (remaining < req) revert IFund.FundReserveRatioBreached(asset, remaining, req);
        uint256 largest = b.largestProtocol;
        if (remaining < largest) revert IFund.FundProtocolExposureAboveReserve(asset, largest, remaining);
        b.pool = uint128(remaining);
        emit IFund.CapitalWithdrawn(asset, to, amount);
        IERC20(asset).safeTransfer(to, amount);
    }

    /// @notice See {IStablecoinInsuranceFund-setParameters}.
    function setParameters(FundTypes.FundState storage s, IFund.Parameters calldata p) external {
        if (p.baseRateBps == 0 || p.baseRateBps > MAX_BASE_RATE_BPS) revert IFund.FundInvalidParameter("baseRateBps");
        if (p.reserveRatioBps < MIN_RESERVE_RATIO_BPS || p.reserveRatioBps > RiskMath.BPS) {
            revert IFund.FundInvalidParameter("reserveRatioBps");
        }
        if (p.maxRiskDecreasePerDay == 0 || p.maxRiskDecreasePerDay > RiskMath.MAX_RISK) {
            revert IFund.FundInvalidParameter("maxRiskDecreasePerDay");
        }
        if (p.renewalWindow == 0 || p.renewalWindow > MAX_RENEWAL_WINDOW) {
            revert IFund.FundInvalidParameter("renewalWindow");
        }
        if (p.claimGracePeriod > MAX_CLAIM_GRACE_PERIOD) revert IFund.FundInvalidParameter("claimGracePeriod");
        if (p.maxCoveragePerProtocol == 0) revert IFund.FundInvalidParameter("maxCoveragePerProtocol");
        if (p.challengePeriod < MIN_CHALLENGE_PERIOD || p.challengePeriod > MAX_CHALLENGE_PERIOD) {
            revert IFund.FundInvalidParameter("challengePeriod");
        }
        if (p.dailyPayoutLimitBps == 0 || p.dailyPayoutLimitBps > RiskMath.BPS) {
            revert IFund.FundInvalidParameter("dailyPayoutLimitBps");
        }
        if (p.claimGracePeriod != s.params.claimGracePeriod) {
            // Coverage keeps the grace period in force when it was bought: a change applies to coverage
            // bought from the next block on.
            s.graceHistory.push(FundTypes.GraceSetting({since: uint40(block.timestamp + 1), grace: p.claimGracePeriod}));
        }
        s.params = p;
        emit IFund.ParametersUpdated(p);
    }

    /// @notice See {IStablecoinInsuranceFund-setSafeguards}.
    function setSafeguards(FundTypes.FundState storage s, uint256 maxIncidentLookback, uint256 refileWindow) external {
        if (maxIncidentLookback < MIN_INCIDENT_LOOKBACK || maxIncidentLookback > MAX_INCIDENT_LOOKBACK) {
            revert IFund.FundInvalidParameter("maxIncidentLookback");
        }
        if (refileWindow < MIN_REFILE_WINDOW || refileWindow > MAX_REFILE_WINDOW) {
            revert IFund.FundInvalidParameter("refileWindow");
        }
        s.safeguards = FundTypes.Safeguards(uint40(maxIncidentLookback), uint40(refileWindow));
        emit IFund.SafeguardsUpdated(maxIncidentLookback, refileWindow);
    }

    /// @notice See {IStablecoinInsuranceFund-getCoverageDetails}.
    function details(FundTypes.FundState storage s, uint256 coverId) external view returns (IFund.Coverage memory) {
        FundTypes.CoverageRecord storage c = FundShared.existingCoverage(s, coverId);
        return IFund.Coverage({
            id: coverId,
            protocol: c.protocol,
            asset: s.assets[c.assetId],
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

    /// @notice See {IStablecoinInsuranceFund-expireCoverage}.
    function expire(FundTypes.FundState storage s, uint256 coverId) external {
        FundShared.existingCoverage(s, coverId);
        if (!_expire(s, coverId)) revert IFund.FundCoverageNotExpirable(coverId);
    }

    /// @notice See {IStablecoinInsuranceFund-expireCoverages}.
    function expireMany(FundTypes.FundState storage s, uint256[] calldata coverIds)
        external
        returns (uint256 expired)
    {
        for (uint256 i; i < coverIds.length; ++i) {
            if (_expire(s, coverIds[i])) ++expired;
        }
    }

    /// @notice See {IStablecoinInsuranceFund-refreshLargestExposure}.
    function refreshLargest(FundTypes.FundState storage s, address asset, address[] calldata protocols) external {
        FundTypes.AssetConfig memory cfg = s.assetConfigs[asset];
        if (!cfg.registered) revert IFund.FundUnsupportedAsset(asset);
        FundTypes.AssetBook storage b = s.books[asset];
        // Every exposed protocol once (strictly ascending, each exposed): the maximum is then exact.
        if (protocols.length != b.protocols) revert IFund.FundIncompleteProtocolList(asset, protocols.length, b.protocols);
        uint256 largest;
        address previous;
        for (uint256 i; i < protocols.length; ++i) {
            address protocol = protocols[i];
            uint256 exposure = s.selfInsuredOf[protocol][cfg.id];
            if (protocol <= previous || exposure == 0) {
                revert IFund.FundIncompleteProtocolList(asset, protocols.length, b.protocols);
            }
            if (exposure > largest) largest = exposure;
            previous = protocol;
        }
        b.largestProtocol = uint96(largest);
        emit IFund.LargestExposureRefreshed(asset, largest);
    }

    /// @notice See {IStablecoinInsuranceFund-getProtocolCoverages}.
    function protocolCoverages(FundTypes.FundState storage s, address protocol, uint256 cursor, uint256 limit)
        external
        view
        returns (uint256[] memory ids, uint256 nextCursor)
    {
        if (limit > MAX_PAGE) limit = MAX_PAGE;
        uint256 id = cursor == 0 ? s.protocols[protocol].latestCoverageId : cursor;
        if (id != 0) {
            FundTypes.CoverageRecord storage first = s.coverages[id];
            if (first.protocol != protocol) revert IFund.FundUnknownCoverage(id);
            // Only live coverages are linked: a cursor expired since is stale (restart from 0).
            if (first.status != IFund.CoverageStatus.Active) revert IFund.FundStaleCursor(id);
        }
        ids = new uint256[](limit);
        uint256 n;
        while (id != 0 && n < limit) {
            ids[n++] = id;
            id = s.coverages[id].prevCoverageId;
        }
        nextCursor = id;
        // Shrink the array to what was filled.
        assembly ("memory-safe") {
            mstore(ids, n)
        }
    }

    // ================================================================== internals

    /// @dev Expires a coverage whose claim window closed (end + its grace period, or a later re-filing
    /// window) and unlinks it from its protocol's live list in O(1).
    function _expire(FundTypes.FundState storage s, uint256 coverId) private returns (bool) {
        FundTypes.CoverageRecord storage c = s.coverages[coverId];
        if (c.status != IFund.CoverageStatus.Active) return false;
        if (block.timestamp <= FundShared.claimDeadline(s, coverId, c.start, c.end)) return false;
        c.status = IFund.CoverageStatus.Expired;
        address protocol = c.protocol;
        uint256 assetId = c.assetId;
        address asset = s.assets[assetId];
        uint256 amount = c.amount;
        FundTypes.AssetBook storage b = s.books[asset];
        b.active -= uint128(amount);
        if (c.providerId == 0) {
            b.selfInsured -= uint128(amount);
            FundShared.moveSelfInsured(s, b, protocol, assetId, -int256(amount));
        }
        FundTypes.ProtocolRecord storage p = s.protocols[protocol];
        p.exposure -= uint96(RiskMath.toWad(amount, s.assetConfigs[asset].decimals));

        // Unlink: the older neighbour's `next` and the newer neighbour's `prev` (or the head) skip it.
        uint48 prev = c.prevCoverageId;
        uint48 next = c.nextCoverageId;
        if (next == 0) p.latestCoverageId = prev;
        else s.coverages[next].prevCoverageId = prev;
        if (prev != 0) s.coverages[prev].nextCoverageId = next;
        c.prevCoverageId = 0;
        if (next != 0) c.nextCoverageId = 0;
        emit IFund.CoverageExpired(coverId);
        return true;
    }

    /// @dev Checks who renews, when, and with what; returns the coverage's asset.
    function _checkRenewable(
        FundTypes.FundState storage s,
        uint256 coverId,
        FundTypes.CoverageRecord memory cur,
        uint256 extraDuration,
        uint256 newAmount,
        uint256 renewalWindow
    ) private view returns (address asset) {
        FundShared.checkBeneficiaryOrAgent(s, cur.beneficiary);
        if (cur.status != IFund.CoverageStatus.Active) revert IFund.FundCoverageNotActive(coverId);
        if (cur.openClaimId != 0) revert IFund.FundClaimOpen(coverId, cur.openClaimId);
        FundShared.checkNotHalted(s, cur.protocol, s.protocols[cur.protocol].activeIncidents);
        uint256 opensAt = cur.end - renewalWindow;
        if (block.timestamp < opensAt || block.timestamp >= cur.end) {
            revert IFund.FundOutsideRenewalWindow(coverId, opensAt, cur.end);
        }
        asset = s.assets[cur.assetId];
        if (!s.assetConfigs[asset].supported) revert IFund.FundUnsupportedAsset(asset);
        if (extraDuration < MIN_DURATION || extraDuration > MAX_DURATION) {
            revert IFund.FundInvalidDuration(extraDuration);
        }
        uint256 newTerm = cur.end + extraDuration - block.timestamp;
        if (newTerm > MAX_DURATION) revert IFund.FundInvalidDuration(newTerm);
        // The covered amount left after past payouts must stay positive.
        if (newAmount <= cur.claimed) revert IFund.FundZeroAmount();
    }

    /// @dev Renewal price at the current score: what stays insured (the new amount minus past payouts)
    /// over the extra duration, plus any increase over the time left.
    function _priceRenewal(
        FundTypes.FundState storage s,
        FundTypes.CoverageRecord memory cur,
        address asset,
        uint256 extraDuration,
        uint256 newAmount,
        IFund.Parameters memory params
    ) private view returns (RenewalQuote memory q) {
        FundTypes.ProtocolRecord memory p = s.protocols[cur.protocol];
        uint8 decimals = s.assetConfigs[asset].decimals;
        q.newEnd = cur.end + extraDuration;
        q.risk = FundShared.score(p);
        q.insured = newAmount - cur.claimed;
        q.premium = RiskMath.premium(q.insured, extraDuration, q.risk, params.baseRateBps);
        if (newAmount > cur.amount) {
            uint256 increase = newAmount - cur.amount;
            q.exposure = FundShared.checkCap(
                cur.protocol, p.exposure, RiskMath.toWad(increase, decimals), params.maxCoveragePerProtocol
            );
            q.premium += RiskMath.premium(increase, cur.end - block.timestamp, q.risk, params.baseRateBps);
        } else {
            q.exposure = p.exposure - RiskMath.toWad(cur.amount - newAmount, decimals);
        }
    }
}
