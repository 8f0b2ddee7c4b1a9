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

    /// @dev The reserve requirement of a book: ceil(selfInsured × ratio) + open self-insured claims.
    function required(FundTypes.AssetBook storage b, uint256 selfInsured, uint256 ratioBps)
        internal
        view
        returns (uint256)
    {
        return RiskMath.requiredReserve(selfInsured, ratioBps) + b.openClaims;
    }

    /// @dev Applies a coverage amount change and a pool inflow to the asset's book; new or extended
    /// self-insured coverage must leave the pool at or above the reserve requirement.
    function book(
        FundTypes.FundState storage s,
        address asset,
        uint8 providerId,
        int256 amountDelta,
        uint256 poolInflow,
        uint256 ratioBps
    ) internal {
        FundTypes.AssetBook storage b = s.books[asset];
        uint256 pool = b.pool + poolInflow;
        uint256 active = uint256(int256(uint256(b.active)) + amountDelta);
        uint256 selfInsured = b.selfInsured;
        if (providerId == 0) {
            selfInsured = uint256(int256(selfInsured) + amountDelta);
            // A reduction only helps the reserve.
            if (amountDelta >= 0) {
                uint256 req = required(b, selfInsured, ratioBps);
                if (pool < req) revert IFund.FundReserveRatioBreached(asset, pool, req);
            }
        }
        b.pool = pool.toUint128();
        b.selfInsured = uint128(selfInsured);
        b.active = active.toUint128();
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

    /// @dev Reverts while `protocol` is halted by an active incident.
    function checkNotHalted(FundTypes.FundState storage s, address protocol, bool halted) internal view {
        if (halted) revert IFund.FundProtocolHalted(protocol, s.incidents[protocol].occurredAt);
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
