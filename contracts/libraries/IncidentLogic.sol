// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {IStablecoinInsuranceFund as IFund} from "../interfaces/IStablecoinInsuranceFund.sol";
import {FundTypes} from "./FundTypes.sol";

/// @title IncidentLogic
/// @notice Incident reports of the StablecoinInsuranceFund: a per-protocol history that is never
/// overwritten, the sales halt, clearing and voiding, and the exclusion of self-insured cover bought
/// into a reported incident (judged from each coverage's amount history). An external library running
/// in the fund's context (DELEGATECALL); the fund applies the role checks before calling in. The
/// `internal` helpers are inlined into `ClaimLogic` and `CoverageLogic`.
/// @dev A report's window is [occurredAt, clearedAt) (open-ended while it halts). For a loss at `t`,
/// a self-insured coverage may claim the smallest amount it held over [o - 1, t], where `o` is the
/// earliest `occurredAt` of the valid reports whose window contains `t`: what was bought or added
/// strictly before the incident began and kept until the loss. Without such a report it may claim
/// the amount in force at `t`. Hedged coverage is never restricted here: the upstream assessment
/// decides, and the fund never stands between the holder and the upstream claim.
library IncidentLogic {
    /// @dev Reports that halt one protocol at once (neither cleared nor voided). Bounds the work of a
    /// clear and the history a compromised reporter can add before the admin clears.
    uint256 internal constant MAX_ACTIVE_INCIDENTS = 16;

    /// @notice See {IStablecoinInsuranceFund-reportIncident}.
    function report(FundTypes.FundState storage s, address protocol, uint256 occurredAt, bytes32 evidenceHash)
        external
    {
        if (protocol == address(0)) revert IFund.FundZeroAddress();
        if (occurredAt == 0 || occurredAt > block.timestamp) {
            revert IFund.FundInvalidIncidentTime(occurredAt, block.timestamp);
        }
        uint256 lookback = s.safeguards.maxIncidentLookback;
        uint256 earliest = block.timestamp > lookback ? block.timestamp - lookback : 0;
        if (occurredAt < earliest) revert IFund.FundIncidentTooOld(occurredAt, earliest);
        FundTypes.ProtocolRecord storage p = s.protocols[protocol];
        uint256 active = p.activeIncidents;
        if (active == MAX_ACTIVE_INCIDENTS) revert IFund.FundTooManyIncidents(protocol);
        s.incidents[protocol].push(
            IFund.IncidentRecord({
                occurredAt: uint40(occurredAt),
                reportedAt: uint40(block.timestamp),
                clearedAt: 0,
                voidedAt: 0,
                evidenceHash: evidenceHash
            })
        );
        p.activeIncidents = uint8(active + 1);
        emit IFund.IncidentReported(protocol, occurredAt, evidenceHash, msg.sender);
    }

    /// @notice See {IStablecoinInsuranceFund-clearIncident}.
    function clear(FundTypes.FundState storage s, address protocol) external {
        FundTypes.ProtocolRecord storage p = s.protocols[protocol];
        uint256 active = p.activeIncidents;
        if (active == 0) revert IFund.FundNoActiveIncident(protocol);
        IFund.IncidentRecord[] storage history = s.incidents[protocol];
        // Halting reports are the newest ones: every report older than the last clear is cleared or voided.
        for (uint256 i = history.length; active != 0;) {
            IFund.IncidentRecord storage r = history[--i];
            if (r.clearedAt == 0 && r.voidedAt == 0) {
                r.clearedAt = uint40(block.timestamp);
                --active;
            }
        }
        p.activeIncidents = 0;
        emit IFund.IncidentCleared(protocol, msg.sender);
    }

    /// @notice See {IStablecoinInsuranceFund-voidIncident}.
    function voidReport(FundTypes.FundState storage s, address protocol, uint256 index) external {
        IFund.IncidentRecord[] storage history = s.incidents[protocol];
        if (index >= history.length) revert IFund.FundUnknownIncident(protocol, index);
        IFund.IncidentRecord storage r = history[index];
        if (r.voidedAt != 0) revert IFund.FundIncidentAlreadyVoided(protocol, index);
        r.voidedAt = uint40(block.timestamp);
        if (r.clearedAt == 0) --s.protocols[protocol].activeIncidents;
        emit IFund.IncidentVoided(protocol, index, msg.sender);
    }

    // ================================================================== views

    /// @notice See {IStablecoinInsuranceFund-getIncident}.
    function summary(FundTypes.FundState storage s, address protocol)
        external
        view
        returns (IFund.Incident memory incident)
    {
        IFund.IncidentRecord[] storage history = s.incidents[protocol];
        bool halted = s.protocols[protocol].activeIncidents != 0;
        for (uint256 i = history.length; i != 0;) {
            IFund.IncidentRecord memory r = history[--i];
            if (r.voidedAt != 0) continue;
            if (!halted) {
                return IFund.Incident(r.occurredAt, r.reportedAt, false, r.evidenceHash);
            }
            if (r.clearedAt != 0) break;
            if (incident.occurredAt == 0 || r.occurredAt <= incident.occurredAt) {
                incident = IFund.Incident(r.occurredAt, r.reportedAt, true, r.evidenceHash);
            }
        }
    }

    /// @notice See {IStablecoinInsuranceFund-getIncidentHistory}.
    function history(FundTypes.FundState storage s, address protocol)
        external
        view
        returns (IFund.IncidentRecord[] memory)
    {
        return s.incidents[protocol];
    }

    /// @notice See {IStablecoinInsuranceFund-getClaimIncidents}.
    function claimIncidents(FundTypes.FundState storage s, uint256 claimId)
        external
        view
        returns (uint256[] memory indexes)
    {
        FundTypes.ClaimRecord storage claim = s.claims[claimId];
        if (claim.status == IFund.ClaimStatus.None) revert IFund.FundUnknownClaim(claimId);
        uint256 coverId = claim.coverageId;
        FundTypes.CoverageRecord storage c = s.coverages[coverId];
        IFund.IncidentRecord[] storage records = s.incidents[c.protocol];
        FundTypes.AmountChange[] storage amounts = s.amountHistory[coverId];
        uint256 n = records.length;
        indexes = new uint256[](n);
        uint256 found;
        for (uint256 i; i < n; ++i) {
            IFund.IncidentRecord memory r = records[i];
            if (r.voidedAt != 0) continue;
            bool hit = _contains(r, claim.incidentAt) || _contains(r, c.start);
            // An increase (a renewal to a larger amount) inside the window also falls under it.
            for (uint256 j; !hit && j < amounts.length; ++j) {
                uint256 next = j + 1 < amounts.length ? amounts[j + 1].amount : c.amount;
                hit = next > amounts[j].amount && _contains(r, amounts[j].until);
            }
            if (hit) indexes[found++] = i;
        }
        // Shrink the array to what was filled.
        assembly ("memory-safe") {
            mstore(indexes, found)
        }
    }

    /// @notice See {IStablecoinInsuranceFund-insurableAmount}.
    function insurableAmount(FundTypes.FundState storage s, uint256 coverId, uint256 incidentAt)
        external
        view
        returns (uint256 amount)
    {
        FundTypes.CoverageRecord memory c = s.coverages[coverId];
        if (c.status == IFund.CoverageStatus.None) revert IFund.FundUnknownCoverage(coverId);
        (amount,) = insurable(s, coverId, c, incidentAt);
    }

    // ================================================================== internals (inlined)

    /// @dev What coverage `coverId` may claim for a loss at `t` (see the library's @dev), minus past
    /// payouts; `occurredAt` is the report that restricts it (0 = none).
    function insurable(FundTypes.FundState storage s, uint256 coverId, FundTypes.CoverageRecord memory c, uint256 t)
        internal
        view
        returns (uint256 amount, uint256 occurredAt)
    {
        uint256 held;
        if (c.providerId != 0) {
            held = c.amount;
        } else {
            IFund.IncidentRecord[] storage records = s.incidents[c.protocol];
            uint256 n = records.length;
            for (uint256 i; i < n; ++i) {
                IFund.IncidentRecord memory r = records[i];
                if (r.voidedAt == 0 && _contains(r, t) && (occurredAt == 0 || r.occurredAt < occurredAt)) {
                    occurredAt = r.occurredAt;
                }
            }
            held = occurredAt == 0 ? _minAmount(s, coverId, c, t, t) : _minAmount(s, coverId, c, occurredAt - 1, t);
            if (held > c.amount) held = c.amount;
        }
        amount = held > c.claimed ? held - c.claimed : 0;
    }

    /// @dev Reverts when a hedged coverage has a valid report whose window reaches into its current upstream
    /// segment (since its last upstream change) and no claim was filed for a loss at or after it: a renewal
    /// (a Nexus edit) would cut that segment and shorten the upstream window to claim the loss.
    function checkNoUnclaimedIncident(FundTypes.FundState storage s, uint256 coverId, FundTypes.CoverageRecord memory c)
        internal
        view
    {
        FundTypes.UpstreamCover[] storage upstream = s.upstreamHistory[coverId];
        uint256 segmentStart = upstream.length == 0 ? c.start : upstream[upstream.length - 1].until;
        IFund.IncidentRecord[] storage records = s.incidents[c.protocol];
        for (uint256 i = records.length; i != 0;) {
            IFund.IncidentRecord memory r = records[--i];
            if (r.voidedAt != 0 || (r.clearedAt != 0 && r.clearedAt <= segmentStart)) continue;
            if (c.lastClaimIncidentAt < r.occurredAt) revert IFund.FundUnclaimedIncident(coverId, c.protocol, i);
        }
    }

    /// @dev Whether report `r`'s window [occurredAt, clearedAt) contains `t`.
    function _contains(IFund.IncidentRecord memory r, uint256 t) private pure returns (bool) {
        return r.occurredAt <= t && (r.clearedAt == 0 || t < r.clearedAt);
    }

    /// @dev The smallest amount coverage `coverId` held at any time in [lo, hi] (0 before its start).
    function _minAmount(
        FundTypes.FundState storage s,
        uint256 coverId,
        FundTypes.CoverageRecord memory c,
        uint256 lo,
        uint256 hi
    ) private view returns (uint256 least) {
        if (lo < c.start) return 0;
        least = type(uint256).max;
        FundTypes.AmountChange[] storage changes = s.amountHistory[coverId];
        uint256 n = changes.length;
        uint256 segmentStart = c.start;
        for (uint256 i; i < n; ++i) {
            FundTypes.AmountChange memory h = changes[i];
            // Segment [segmentStart, h.until) held h.amount.
            if (segmentStart <= hi && h.until > lo && h.amount < least) least = h.amount;
            segmentStart = h.until;
        }
        // The current amount, held since the last change.
        if (segmentStart <= hi && c.amount < least) least = c.amount;
    }
}
