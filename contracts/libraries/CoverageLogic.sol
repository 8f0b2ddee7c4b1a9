// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {SafeCast} from "@openzeppelin/contracts/utils/math/SafeCast.sol";
import {Pausable} from "@openzeppelin/contracts/utils/Pausable.sol";

import {ICoverProvider} from "../interfaces/ICoverProvider.sol";
import {IStablecoinInsuranceFund as IFund} from "../interfaces/IStablecoinInsuranceFund.sol";
import {FundShared} from "./FundShared.sol";
import {FundTypes} from "./FundTypes.sol";
import {RiskMath} from "./RiskMath.sol";

/// @title CoverageLogic
/// @notice Renewal, expiry and the live-coverage list of the StablecoinInsuranceFund. An external
/// library: its functions run in the fund's context (DELEGATECALL) on the fund's `FundState`, so
/// `msg.sender`, balances and events are the fund's. The fund applies `nonReentrant` and role checks
/// before calling in.
library CoverageLogic {
    using SafeCast for uint256;

    uint256 internal constant MIN_DURATION = 30 days; // seconds
    uint256 internal constant MAX_DURATION = 365 days; // seconds
    uint256 internal constant MAX_PAGE = 1_000; // ids per getProtocolCoverages page

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
            cur.providerId,
            int256(newAmount) - int256(uint256(cur.amount)),
            premium - upstreamPremium,
            params.reserveRatioBps
        );

        FundTypes.CoverageRecord storage c = s.coverages[coverId];
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

    /// @notice See {IStablecoinInsuranceFund-expireCoverage}.
    function expire(FundTypes.FundState storage s, uint256 coverId) external {
        FundShared.existingCoverage(s, coverId);
        if (!_expire(s, coverId)) revert IFund.FundCoverageNotExpirable(coverId);
        _unlinkExpired(s, s.coverages[coverId].protocol, 1);
    }

    /// @notice See {IStablecoinInsuranceFund-expireCoverages}.
    function expireMany(FundTypes.FundState storage s, uint256[] calldata coverIds)
        external
        returns (uint256 expired)
    {
        // Expire first, then unlink with one walk per protocol touched (not one per coverage).
        address[] memory protocols = new address[](coverIds.length);
        uint256[] memory counts = new uint256[](coverIds.length);
        uint256 distinct;
        for (uint256 i; i < coverIds.length; ++i) {
            if (!_expire(s, coverIds[i])) continue;
            ++expired;
            address protocol = s.coverages[coverIds[i]].protocol;
            uint256 j;
            while (j < distinct && protocols[j] != protocol) ++j;
            if (j == distinct) protocols[distinct++] = protocol;
            ++counts[j];
        }
        for (uint256 j; j < distinct; ++j) {
            _unlinkExpired(s, protocols[j], counts[j]);
        }
    }

    /// @notice See {IStablecoinInsuranceFund-getProtocolCoverages}.
    function protocolCoverages(FundTypes.FundState storage s, address protocol, uint256 cursor, uint256 limit)
        external
        view
        returns (uint256[] memory ids, uint256 nextCursor)
    {
        if (limit > MAX_PAGE) limit = MAX_PAGE;
        uint256 id = cursor == 0 ? s.protocols[protocol].latestCoverageId : cursor;
        if (id != 0 && s.coverages[id].protocol != protocol) revert IFund.FundUnknownCoverage(id);
        ids = new uint256[](limit);
        uint256 n;
        while (id != 0 && n < limit) {
            FundTypes.CoverageRecord storage c = s.coverages[id];
            // Only live coverages are linked; a stale cursor (expired since) ends the page.
            if (c.status != IFund.CoverageStatus.Active) {
                id = 0;
                break;
            }
            ids[n++] = id;
            id = c.prevCoverageId;
        }
        nextCursor = id;
        // Shrink the array to what was filled.
        assembly ("memory-safe") {
            mstore(ids, n)
        }
    }

    // ================================================================== internals

    /// @dev Expires a coverage whose claim window closed (end + claimGracePeriod); the caller unlinks it
    /// from its protocol's live list with `_unlinkExpired`.
    function _expire(FundTypes.FundState storage s, uint256 coverId) private returns (bool) {
        FundTypes.CoverageRecord storage c = s.coverages[coverId];
        if (c.status != IFund.CoverageStatus.Active) return false;
        if (block.timestamp <= uint256(c.end) + s.params.claimGracePeriod) return false;
        c.status = IFund.CoverageStatus.Expired;
        address asset = s.assets[c.assetId];
        uint256 amount = c.amount;
        FundTypes.AssetBook storage b = s.books[asset];
        b.active -= uint128(amount);
        if (c.providerId == 0) b.selfInsured -= uint128(amount);

        s.protocols[c.protocol].exposure -= uint96(RiskMath.toWad(amount, s.assetConfigs[asset].decimals));
        emit IFund.CoverageExpired(coverId);
        return true;
    }

    /// @dev Unlinks the `count` coverages of `protocol` just expired from its live list: one walk from
    /// the head over live coverages, stopping after the last one. Only live coverages (and the ones
    /// expired in this call) are ever linked, so the walk is O(live coverages of the protocol).
    function _unlinkExpired(FundTypes.FundState storage s, address protocol, uint256 count) private {
        FundTypes.ProtocolRecord storage p = s.protocols[protocol];
        uint256 kept; // last live coverage seen (0 = the head pointer)
        uint256 id = p.latestCoverageId;
        while (count != 0) {
            FundTypes.CoverageRecord storage c = s.coverages[id];
            uint48 next = c.prevCoverageId;
            if (c.status == IFund.CoverageStatus.Active) {
                kept = id;
            } else {
                if (kept == 0) p.latestCoverageId = next;
                else s.coverages[kept].prevCoverageId = next;
                c.prevCoverageId = 0;
                --count;
            }
            id = next;
        }
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
        FundShared.checkNotHalted(s, cur.protocol, s.protocols[cur.protocol].halted);
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
