// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";
import {SafeCast} from "@openzeppelin/contracts/utils/math/SafeCast.sol";

import {ICoverProvider} from "../interfaces/ICoverProvider.sol";
import {IStablecoinInsuranceFund as IFund} from "../interfaces/IStablecoinInsuranceFund.sol";
import {FundShared} from "./FundShared.sol";
import {FundTypes} from "./FundTypes.sol";
import {IncidentLogic} from "./IncidentLogic.sol";
import {RiskMath} from "./RiskMath.sol";

/// @title ClaimLogic
/// @notice The claim lifecycle of the StablecoinInsuranceFund: submission (routed to the upstream
/// cover in force at the time of loss), withdrawal, assessment with a challenge period and a sliding
/// 24 h limit, veto (a dispute the admin ends), reinstatement, denial, confirmation and settlement. An external library running in the fund's context
/// (DELEGATECALL); the fund applies `nonReentrant` and role checks before calling in.
library ClaimLogic {
    using SafeCast for uint256;

    uint256 internal constant PAYOUT_WINDOW = 1 days; // seconds, the daily limit's window

    /// @notice See {IStablecoinInsuranceFund-submitClaim}. `value` is the fund call's `msg.value`.
    function submit(
        FundTypes.FundState storage s,
        uint256 coverId,
        uint256 amount,
        uint256 incidentAt,
        string calldata reason,
        bytes calldata evidence,
        uint256 value
    ) external returns (uint256 claimId) {
        FundTypes.CoverageRecord storage c = FundShared.existingCoverage(s, coverId);
        FundTypes.CoverageRecord memory cur = c;
        FundShared.checkBeneficiaryOrAgent(s, cur.beneficiary);
        if (cur.openClaimId != 0) revert IFund.FundClaimOpen(coverId, cur.openClaimId);
        if (amount == 0) revert IFund.FundZeroAmount();
        uint256 remaining = cur.amount - cur.claimed;
        if (amount > remaining) revert IFund.FundClaimExceedsRemaining(amount, remaining);
        // Never in the purchase block: block timestamps strictly increase, so "later than start" is
        // "a later block".
        if (block.timestamp <= cur.start) revert IFund.FundClaimTooEarly(coverId, uint256(cur.start) + 1);
        uint256 termEnd = cur.end < block.timestamp ? cur.end : block.timestamp;
        if (incidentAt < cur.start || incidentAt > termEnd) {
            revert IFund.FundIncidentOutsideTerm(coverId, incidentAt, cur.start, termEnd);
        }

        uint256 providerClaimId;
        if (cur.providerId == 0) {
            uint256 latest = FundShared.claimDeadline(s, coverId, cur.start, cur.end);
            if (block.timestamp > latest) revert IFund.FundClaimWindowClosed(coverId, latest);
            _checkInsurable(s, coverId, cur, incidentAt, amount);
            if (value != 0) revert IFund.FundWrongDeposit(0, value);
            FundTypes.AssetBook storage b = s.books[s.assets[cur.assetId]];
            b.openClaims += uint128(amount);
        } else {
            providerClaimId = _submitUpstream(
                s, coverId, cur.providerId, FundShared.upstreamCoverAt(s, coverId, incidentAt), amount, evidence, value
            );
        }

        claimId = ++s.counters.claims;
        s.claims[claimId] = FundTypes.ClaimRecord({
            coverageId: uint48(coverId),
            amount: uint96(amount),
            payout: 0,
            status: IFund.ClaimStatus.Pending,
            claimant: msg.sender,
            submittedAt: uint40(block.timestamp),
            incidentAt: uint40(incidentAt),
            confirmationRequired: false,
            reinstated: false,
            providerClaimId: providerClaimId.toUint96(),
            deposit: value.toUint96(),
            payableAt: 0,
            evidenceHash: keccak256(evidence)
        });
        c.openClaimId = uint48(claimId);
        c.lastClaimIncidentAt = uint32(incidentAt);
        emit IFund.ClaimSubmitted(claimId, coverId, msg.sender, amount, reason, evidence, providerClaimId);
    }

    /// @notice See {IStablecoinInsuranceFund-withdrawClaim}.
    function withdraw(FundTypes.FundState storage s, uint256 claimId) external {
        FundTypes.ClaimRecord storage claim = FundShared.existingClaim(s, claimId);
        if (claim.status != IFund.ClaimStatus.Pending) revert IFund.FundClaimNotPending(claimId);
        uint256 coverId = claim.coverageId;
        FundTypes.CoverageRecord storage c = s.coverages[coverId];
        if (c.providerId != 0) revert IFund.FundNotSelfInsured(claimId);
        // Only the beneficiary or an agent it approves NOW (a revoked agent that filed the claim cannot),
        // and only while a claim could still be filed again.
        FundShared.checkBeneficiaryOrAgent(s, c.beneficiary);
        uint256 latest = FundShared.claimDeadline(s, coverId, c.start, c.end);
        if (block.timestamp > latest) revert IFund.FundClaimWindowClosed(coverId, latest);
        claim.status = IFund.ClaimStatus.Withdrawn;
        c.openClaimId = 0;
        s.books[s.assets[c.assetId]].openClaims -= claim.amount;
        emit IFund.ClaimWithdrawn(claimId, msg.sender);
    }

    /// @notice See {IStablecoinInsuranceFund-assessClaim}.
    function assess(FundTypes.FundState storage s, uint256 claimId, bool accepted, uint256 payout) external {
        FundTypes.ClaimRecord storage claim = FundShared.existingClaim(s, claimId);
        if (claim.status != IFund.ClaimStatus.Pending) revert IFund.FundClaimNotPending(claimId);
        FundTypes.CoverageRecord storage c = s.coverages[claim.coverageId];
        if (c.providerId != 0) revert IFund.FundNotSelfInsured(claimId);
        address asset = s.assets[c.assetId];
        FundTypes.AssetBook storage b = s.books[asset];
        uint256 amount = claim.amount;
        uint256 payableAt;
        if (accepted) {
            if (payout == 0) revert IFund.FundZeroAmount();
            if (payout > amount) revert IFund.FundPayoutExceedsClaim(payout, amount);
            // Re-checked against the incident history as it stands now (a report may have come after
            // the claim was filed).
            _checkInsurable(s, claim.coverageId, c, claim.incidentAt, payout);
            uint256 pool = b.pool;
            if (payout > pool) revert IFund.FundInsufficientPool(asset, pool, payout);
            // Reserve the payout now: it leaves the pool (so capital withdrawals cannot take it) and
            // waits in `pending` until settled after the challenge period, or vetoed back.
            b.pool = uint128(pool - payout);
            b.pending += uint128(payout);
            b.openClaims -= uint128(amount);
            IFund.Parameters memory params = s.params;
            payableAt = block.timestamp + params.challengePeriod;
            claim.status = IFund.ClaimStatus.Accepted;
            claim.payout = uint96(payout);
            claim.payableAt = uint40(payableAt);
            _applyDailyLimit(s, claimId, claim, asset, pool, payout, params.dailyPayoutLimitBps);
            uint256 req = FundShared.requirement(b, params.reserveRatioBps);
            if (pool - payout < req) emit IFund.ReserveShortfall(asset, pool - payout, req);
        } else {
            b.openClaims -= uint128(amount);
            claim.status = IFund.ClaimStatus.Denied;
            c.openClaimId = 0;
            _openRefile(s, claim.coverageId);
            payout = 0;
        }
        emit IFund.ClaimAssessed(claimId, accepted, payout, payableAt);
    }

    /// @notice See {IStablecoinInsuranceFund-vetoPayout}. `byAdmin`: the caller holds the admin role.
    function veto(FundTypes.FundState storage s, uint256 claimId, bool byAdmin) external {
        FundTypes.ClaimRecord storage claim = FundShared.existingClaim(s, claimId);
        IFund.ClaimStatus status = claim.status;
        if (status != IFund.ClaimStatus.Accepted) revert IFund.FundClaimNotAccepted(claimId, uint8(status));
        uint256 payableAt = claim.payableAt;
        // Only inside the challenge period, whether or not the payout also awaits confirmation.
        if (block.timestamp >= payableAt) revert IFund.FundChallengePeriodOver(claimId, payableAt);
        if (claim.reinstated && !byAdmin) revert IFund.FundClaimReinstated(claimId);
        // The payout stays reserved in `pending`: only the admin ends a dispute.
        claim.status = IFund.ClaimStatus.Disputed;
        emit IFund.PayoutVetoed(claimId, msg.sender, claim.payout);
    }

    /// @notice See {IStablecoinInsuranceFund-reinstateClaim}.
    function reinstate(FundTypes.FundState storage s, uint256 claimId) external {
        FundTypes.ClaimRecord storage claim = _disputed(s, claimId);
        uint256 payableAt = block.timestamp + s.params.challengePeriod;
        claim.status = IFund.ClaimStatus.Accepted;
        claim.payableAt = uint40(payableAt);
        claim.confirmationRequired = false;
        claim.reinstated = true;
        emit IFund.ClaimReinstated(claimId, msg.sender, payableAt);
    }

    /// @notice See {IStablecoinInsuranceFund-denyClaim}.
    function deny(FundTypes.FundState storage s, uint256 claimId) external {
        FundTypes.ClaimRecord storage claim = _disputed(s, claimId);
        uint256 coverId = claim.coverageId;
        FundTypes.CoverageRecord storage c = s.coverages[coverId];
        uint256 payout = claim.payout;
        claim.status = IFund.ClaimStatus.Denied;
        claim.confirmationRequired = false;
        c.openClaimId = 0;
        FundTypes.AssetBook storage b = s.books[s.assets[c.assetId]];
        b.pending -= uint128(payout);
        b.pool += uint128(payout);
        emit IFund.ClaimDenied(claimId, msg.sender, _openRefile(s, coverId));
    }

    /// @notice See {IStablecoinInsuranceFund-confirmPayout}.
    function confirm(FundTypes.FundState storage s, uint256 claimId) external {
        FundTypes.ClaimRecord storage claim = FundShared.existingClaim(s, claimId);
        IFund.ClaimStatus status = claim.status;
        if (status != IFund.ClaimStatus.Accepted) revert IFund.FundClaimNotAccepted(claimId, uint8(status));
        if (!claim.confirmationRequired) revert IFund.FundConfirmationNotRequired(claimId);
        claim.confirmationRequired = false;
        emit IFund.PayoutConfirmed(claimId, msg.sender);
    }

    /// @notice See {IStablecoinInsuranceFund-settleClaim}.
    function settle(FundTypes.FundState storage s, uint256 claimId) external {
        FundTypes.ClaimRecord storage claim = FundShared.existingClaim(s, claimId);
        FundTypes.CoverageRecord storage c = s.coverages[claim.coverageId];
        address asset = s.assets[c.assetId];
        FundTypes.AssetBook storage b = s.books[asset];
        IFund.ClaimStatus outcome;
        uint256 payout;
        if (c.providerId == 0) {
            if (claim.status != IFund.ClaimStatus.Accepted) {
                revert IFund.FundClaimNotSettleable(claimId, uint8(claim.status));
            }
            uint256 payableAt = claim.payableAt;
            if (block.timestamp < payableAt) revert IFund.FundChallengePeriod(claimId, payableAt);
            if (claim.confirmationRequired) revert IFund.FundPayoutNotConfirmed(claimId);
            payout = claim.payout;
            b.pending -= uint128(payout);
            // Re-checked at settlement: a report made after the acceptance still binds the claimant.
            (uint256 insurable,) = IncidentLogic.insurable(s, claim.coverageId, c, claim.incidentAt);
            if (payout > insurable) {
                uint256 returned = payout - insurable;
                payout = insurable;
                claim.payout = uint96(payout);
                b.pool += uint128(returned);
                emit IFund.PayoutReduced(claimId, payout, returned);
            }
            outcome = payout == 0 ? IFund.ClaimStatus.Denied : IFund.ClaimStatus.Paid;
        } else {
            if (claim.status != IFund.ClaimStatus.Pending) {
                revert IFund.FundClaimNotSettleable(claimId, uint8(claim.status));
            }
            (outcome, payout) = _settleUpstream(s, claimId, claim, c.providerId, asset);
            claim.payout = uint96(payout);
        }

        claim.status = outcome;
        c.openClaimId = 0;
        if (payout != 0) {
            b.credited = (b.credited + payout).toUint128();
            c.claimed += uint96(payout);
            s.creditedPayouts[c.beneficiary][asset] += payout;
        }
        emit IFund.ClaimSettled(claimId, outcome, payout);
    }

    /// @notice See {IStablecoinInsuranceFund-getClaim}.
    function details(FundTypes.FundState storage s, uint256 claimId) external view returns (IFund.Claim memory) {
        FundTypes.ClaimRecord storage claim = FundShared.existingClaim(s, claimId);
        return IFund.Claim({
            id: claimId,
            coverageId: claim.coverageId,
            claimant: claim.claimant,
            amount: claim.amount,
            payout: claim.payout,
            deposit: claim.deposit,
            providerClaimId: claim.providerClaimId,
            submittedAt: claim.submittedAt,
            status: claim.status,
            evidenceHash: claim.evidenceHash,
            incidentAt: claim.incidentAt,
            payableAt: claim.payableAt,
            confirmationRequired: claim.confirmationRequired
        });
    }

    // ================================================================== internals

    /// @dev Reverts when coverage `coverId` may claim less than `amount` for a loss at `incidentAt` (see
    /// IncidentLogic): cover bought or added into a reported incident's window cannot claim it.
    function _checkInsurable(
        FundTypes.FundState storage s,
        uint256 coverId,
        FundTypes.CoverageRecord memory c,
        uint256 incidentAt,
        uint256 amount
    ) private view {
        (uint256 insurable, uint256 occurredAt) = IncidentLogic.insurable(s, coverId, c, incidentAt);
        if (amount > insurable) {
            if (occurredAt != 0) revert IFund.FundCoverageAfterIncident(coverId, amount, insurable, occurredAt);
            revert IFund.FundClaimExceedsRemaining(amount, insurable);
        }
    }

    /// @dev A denied self-insured claim may be re-filed until now + refileWindow; returns that time.
    function _openRefile(FundTypes.FundState storage s, uint256 coverId) private returns (uint256 until) {
        until = block.timestamp + s.safeguards.refileWindow;
        s.refileUntil[coverId] = until;
    }

    function _disputed(FundTypes.FundState storage s, uint256 claimId)
        private
        view
        returns (FundTypes.ClaimRecord storage claim)
    {
        claim = FundShared.existingClaim(s, claimId);
        IFund.ClaimStatus status = claim.status;
        if (status != IFund.ClaimStatus.Disputed) revert IFund.FundClaimNotDisputed(claimId, uint8(status));
    }

    /// @dev Counts an accepted payout against the asset's sliding 24 h window (acceptances older than 24 h
    /// drop out as new ones arrive); above the limit the payout needs the admin's confirmation (and is not
    /// counted).
    function _applyDailyLimit(
        FundTypes.FundState storage s,
        uint256 claimId,
        FundTypes.ClaimRecord storage claim,
        address asset,
        uint256 poolBefore,
        uint256 payout,
        uint256 limitBps
    ) private {
        FundTypes.PayoutWindow memory w = s.payoutWindows[asset];
        FundTypes.Acceptance[] storage queue = s.acceptances[asset];
        uint256 n = queue.length;
        while (w.head < n) {
            FundTypes.Acceptance memory oldest = queue[w.head];
            if (uint256(oldest.at) + PAYOUT_WINDOW > block.timestamp) break;
            w.accepted -= oldest.amount;
            ++w.head;
        }
        uint256 limit = (poolBefore * limitBps) / RiskMath.BPS;
        uint256 acceptedInWindow = uint256(w.accepted) + payout;
        if (acceptedInWindow > limit) {
            claim.confirmationRequired = true;
            emit IFund.PayoutConfirmationRequired(claimId, payout, acceptedInWindow, limit);
        } else {
            w.accepted = uint128(acceptedInWindow);
            queue.push(FundTypes.Acceptance({at: uint40(block.timestamp), amount: uint128(payout)}));
        }
        s.payoutWindows[asset] = w;
    }

    /// @dev Files a hedged claim on `providerCoverId` inside the provider's window with its exact deposit.
    function _submitUpstream(
        FundTypes.FundState storage s,
        uint256 coverId,
        uint8 providerId,
        uint256 providerCoverId,
        uint256 amount,
        bytes calldata evidence,
        uint256 value
    ) private returns (uint256) {
        ICoverProvider adapter = ICoverProvider(s.providers[providerId].adapter);
        (uint256 earliest, uint256 latest) = adapter.claimWindow(providerCoverId);
        if (block.timestamp < earliest) revert IFund.FundClaimTooEarly(coverId, earliest);
        if (block.timestamp > latest) revert IFund.FundClaimWindowClosed(coverId, latest);
        uint256 deposit = adapter.claimDeposit(providerCoverId, amount);
        if (value != deposit) revert IFund.FundWrongDeposit(deposit, value);
        return adapter.submitClaim{value: value}(providerCoverId, amount, evidence);
    }

    /// @dev Reads the upstream outcome of a hedged claim and collects what it yields. An accepted claim
    /// must yield at least min(upstream payout, claim amount); anything above the claim amount stays in
    /// the pool. Returned deposits are credited to the claimant.
    function _settleUpstream(
        FundTypes.FundState storage s,
        uint256 claimId,
        FundTypes.ClaimRecord storage claim,
        uint8 providerId,
        address asset
    ) private returns (IFund.ClaimStatus outcome, uint256 payout) {
        ICoverProvider adapter = ICoverProvider(s.providers[providerId].adapter);
        uint256 providerClaimId = claim.providerClaimId;
        (ICoverProvider.ClaimStatus upstream, uint256 upstreamPayout,) = adapter.claimStatus(providerClaimId);
        uint256 ethBefore = address(this).balance;
        if (upstream == ICoverProvider.ClaimStatus.Accepted) {
            IERC20 token = IERC20(asset);
            uint256 before = token.balanceOf(address(this));
            adapter.redeemPayout(providerClaimId);
            uint256 received = token.balanceOf(address(this)) - before;
            uint256 requested = claim.amount;
            uint256 expected = upstreamPayout < requested ? upstreamPayout : requested;
            if (received < expected) revert IFund.FundUpstreamShortfall(claimId, expected, received);
            payout = received > requested ? requested : received;
            if (received > payout) {
                FundTypes.AssetBook storage b = s.books[asset];
                b.pool = (b.pool + (received - payout)).toUint128();
            }
            outcome = IFund.ClaimStatus.Paid;
        } else if (upstream == ICoverProvider.ClaimStatus.Draw) {
            adapter.retrieveDeposit(providerClaimId);
            outcome = IFund.ClaimStatus.Draw;
        } else if (upstream == ICoverProvider.ClaimStatus.Denied) {
            outcome = IFund.ClaimStatus.Denied;
        } else if (upstream == ICoverProvider.ClaimStatus.Expired) {
            outcome = IFund.ClaimStatus.Expired;
        } else {
            revert IFund.FundClaimNotSettleable(claimId, uint8(upstream));
        }
        uint256 returned = address(this).balance - ethBefore;
        if (returned != 0) {
            s.creditedDeposits[claim.claimant] += returned;
            emit IFund.DepositCredited(claim.claimant, returned);
        }
    }
}
