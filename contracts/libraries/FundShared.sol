// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";
import {SafeERC20} from "@openzeppelin/contracts/token/ERC20/utils/SafeERC20.sol";
import {SafeCast} from "@openzeppelin/contracts/utils/math/SafeCast.sol";

import {ICoverProvider} from "../interfaces/ICoverProvider.sol";
import {IStablecoinInsuranceFund as IFund} from "../interfaces/IStablecoinInsuranceFund.sol";
import {FundTypes} from "./FundTypes.sol";
import {RiskMath} from "./RiskMath.sol";

/// @title FundShared
/// @notice Internal helpers used by the fund and by its logic libraries (inlined into each user).
library FundShared {
    using SafeERC20 for IERC20;
    using SafeCast for uint256;

    /// @dev Pulls exactly `amount` of `asset` from the caller; rejects fee-on-transfer by balance delta.
    function pullExact(address asset, uint256 amount) internal {
        IERC20 token = IERC20(asset);
        uint256 before = token.balanceOf(address(this));
        token.safeTransferFrom(msg.sender, address(this), amount);
        uint256 received = token.balanceOf(address(this)) - before;
        if (received != amount) revert IFund.FundFeeOnTransfer(asset, amount, received);
    }

    /// @dev Lets `adapter` pull at most `maxPremium` for the encoded buy/renew call and measures what it
    /// really took by balance delta. Both calls return (providerCoverId, premiumPaid).
    function callUpstream(address asset, address adapter, uint256 maxPremium, bytes memory call)
        internal
        returns (uint256 providerCoverId, uint256 paid)
    {
        IERC20 token = IERC20(asset);
        uint256 before = token.balanceOf(address(this));
        token.forceApprove(adapter, maxPremium);
        // solhint-disable-next-line avoid-low-level-calls
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
        if (paid > maxPremium) revert IFund.FundUpstreamOverpaid(paid, maxPremium);
    }

    /// @dev The ratio part of the reserve requirement: ceil(selfInsured × ratio) + open self-insured claims.
    function required(FundTypes.AssetBook storage b, uint256 selfInsured, uint256 ratioBps)
        internal
        view
        returns (uint256)
    {
        return RiskMath.requiredReserve(selfInsured, ratioBps) + b.openClaims;
    }

    /// @dev The full reserve requirement of a book: the ratio part, or the largest single-protocol
    /// self-insured exposure when that is higher.
    function requirement(FundTypes.AssetBook storage b, uint256 ratioBps) internal view returns (uint256 req) {
        req = required(b, b.selfInsured, ratioBps);
        uint256 largest = b.largestProtocol;
        if (largest > req) req = largest;
    }

    /// @dev A sale (purchase or renewal) of coverage `amountDelta` on `protocol` in `asset`: applies the
    /// amount change and the pool inflow to the asset's book and, for self-insured coverage, to the
    /// protocol's self-insured exposure. Self-insured sales (every renewal extends the term, so every
    /// self-insured renewal too) must leave the pool at or above the ratio requirement and at or above
    /// the protocol's whole self-insured exposure in `asset`, so one exploit never outruns the pool.
    function book(
        FundTypes.FundState storage s,
        address asset,
        address protocol,
        uint256 assetId,
        uint8 providerId,
        int256 amountDelta,
        uint256 poolInflow,
        uint256 ratioBps
    ) internal {
        FundTypes.AssetBook storage b = s.books[asset];
        uint256 pool = b.pool + poolInflow;
        b.active = uint256(int256(uint256(b.active)) + amountDelta).toUint128();
        if (providerId == 0) {
            uint256 selfInsured = uint256(int256(uint256(b.selfInsured)) + amountDelta);
            uint256 req = required(b, selfInsured, ratioBps);
            if (pool < req) revert IFund.FundReserveRatioBreached(asset, pool, req);
            uint256 exposure = moveSelfInsured(s, b, protocol, assetId, amountDelta);
            if (pool < exposure) revert IFund.FundProtocolExposureAboveReserve(asset, exposure, pool);
            b.selfInsured = uint128(selfInsured);
        }
        b.pool = pool.toUint128();
    }

    /// @dev Applies `delta` to the self-insured exposure of (`protocol`, `assetId`), keeps the asset's count of
    /// exposed protocols and raises its high-water mark; returns the new exposure.
    function moveSelfInsured(
        FundTypes.FundState storage s,
        FundTypes.AssetBook storage b,
        address protocol,
        uint256 assetId,
        int256 delta
    ) internal returns (uint256 exposure) {
        uint256 before = s.selfInsuredOf[protocol][assetId];
        exposure = uint256(int256(before) + delta);
        s.selfInsuredOf[protocol][assetId] = exposure;
        if (before == 0 && exposure != 0) ++b.protocols;
        else if (before != 0 && exposure == 0) --b.protocols;
        if (exposure > b.largestProtocol) b.largestProtocol = exposure.toUint96();
    }

    /// @dev The grace period coverage bought at `start` keeps: the last setting in force at `start`.
    function graceOf(FundTypes.FundState storage s, uint256 start) internal view returns (uint256) {
        FundTypes.GraceSetting[] storage settings = s.graceHistory;
        uint256 i = settings.length;
        while (--i != 0 && settings[i].since > start) {}
        return settings[i].grace;
    }

    /// @dev The last second a claim may be filed on self-insured coverage `coverId`: end + its grace period,
    /// or later while a denied claim may be re-filed.
    function claimDeadline(FundTypes.FundState storage s, uint256 coverId, uint256 start, uint256 end)
        internal
        view
        returns (uint256 deadline)
    {
        deadline = end + graceOf(s, start);
        uint256 refile = s.refileUntil[coverId];
        if (refile > deadline) deadline = refile;
    }

    /// @dev Returns the protocol's exposure after adding `addWad`, reverting above the cap.
    function checkCap(address protocol, uint256 exposure, uint256 addWad, uint256 cap) internal pure returns (uint256) {
        uint256 available = exposure >= cap ? 0 : cap - exposure;
        if (addWad > available) revert IFund.FundProtocolCapExceeded(protocol, addWad, available);
        return exposure + addWad;
    }

    function score(FundTypes.ProtocolRecord memory p) internal view returns (uint256) {
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

    function activeAdapter(FundTypes.FundState storage s, uint8 providerId) internal view returns (ICoverProvider) {
        FundTypes.ProviderRecord memory provider = s.providers[providerId];
        if (provider.adapter == address(0)) revert IFund.FundUnknownProvider(providerId);
        if (!provider.active) revert IFund.FundProviderInactive(providerId);
        return ICoverProvider(provider.adapter);
    }

    /// @dev Reverts while `protocol` is halted by an incident report (names the latest report's occurredAt).
    function checkNotHalted(FundTypes.FundState storage s, address protocol, uint256 activeIncidents) internal view {
        if (activeIncidents != 0) {
            IFund.IncidentRecord[] storage history = s.incidents[protocol];
            revert IFund.FundProtocolHalted(protocol, history[history.length - 1].occurredAt);
        }
    }

    function checkBeneficiaryOrAgent(FundTypes.FundState storage s, address beneficiary) internal view {
        if (msg.sender != beneficiary && !s.agents[beneficiary][msg.sender]) {
            revert IFund.FundNotBeneficiaryOrAgent(msg.sender);
        }
    }

    function existingCoverage(FundTypes.FundState storage s, uint256 coverId)
        internal
        view
        returns (FundTypes.CoverageRecord storage c)
    {
        c = s.coverages[coverId];
        if (c.status == IFund.CoverageStatus.None) revert IFund.FundUnknownCoverage(coverId);
    }

    function existingClaim(FundTypes.FundState storage s, uint256 claimId)
        internal
        view
        returns (FundTypes.ClaimRecord storage claim)
    {
        claim = s.claims[claimId];
        if (claim.status == IFund.ClaimStatus.None) revert IFund.FundUnknownClaim(claimId);
    }

    /// @dev The upstream cover of `coverId` in force at `timestamp`: the first superseded cover cut
    /// after `timestamp`, else the current one.
    function upstreamCoverAt(FundTypes.FundState storage s, uint256 coverId, uint256 timestamp)
        internal
        view
        returns (uint256)
    {
        FundTypes.UpstreamCover[] storage history = s.upstreamHistory[coverId];
        uint256 n = history.length;
        for (uint256 i; i < n; ++i) {
            FundTypes.UpstreamCover memory h = history[i];
            if (timestamp < h.until) return h.providerCoverId;
        }
        return s.coverages[coverId].providerCoverId;
    }
}
