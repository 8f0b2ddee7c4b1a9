// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {IFundLens} from "./interfaces/IFundLens.sol";
import {IStablecoinInsuranceFund} from "./interfaces/IStablecoinInsuranceFund.sol";

/// @title FundLens
/// @notice See {IFundLens}.
contract FundLens is IFundLens {
    /// @inheritdoc IFundLens
    function getProtocolStates(IStablecoinInsuranceFund fund, address[] calldata protocols)
        external
        view
        returns (ProtocolState[] memory states)
    {
        states = new ProtocolState[](protocols.length);
        for (uint256 i; i < protocols.length; ++i) {
            address protocol = protocols[i];
            states[i] = ProtocolState({
                protocol: protocol,
                risk: fund.getProtocolRisk(protocol),
                riskScore: fund.calculateProtocolRisk(protocol),
                activeCoverage: fund.getProtocolExposure(protocol),
                activeCoverageIds: _activeCoverageIds(fund, protocol)
            });
        }
    }

    /// @inheritdoc IFundLens
    function getCoverages(IStablecoinInsuranceFund fund, uint256[] calldata coverIds)
        external
        view
        returns (IStablecoinInsuranceFund.Coverage[] memory coverages)
    {
        coverages = new IStablecoinInsuranceFund.Coverage[](coverIds.length);
        for (uint256 i; i < coverIds.length; ++i) {
            coverages[i] = fund.getCoverageDetails(coverIds[i]);
        }
    }

    /// @inheritdoc IFundLens
    function getClaims(IStablecoinInsuranceFund fund, uint256[] calldata claimIds)
        external
        view
        returns (IStablecoinInsuranceFund.Claim[] memory claims)
    {
        claims = new IStablecoinInsuranceFund.Claim[](claimIds.length);
        for (uint256 i; i < claimIds.length; ++i) {
            claims[i] = fund.getClaim(claimIds[i]);
        }
    }

    /// @dev Walks the protocol's coverage list (newest first) and keeps the active ones.
    function _activeCoverageIds(IStablecoinInsuranceFund fund, address protocol)
        private
        view
        returns (uint256[] memory ids)
    {
        uint256[] memory all = fund.getProtocolCoverages(protocol);
        ids = new uint256[](all.length);
        uint256 count;
        for (uint256 i; i < all.length; ++i) {
            if (fund.getCoverageDetails(all[i]).status == IStablecoinInsuranceFund.CoverageStatus.Active) {
                ids[count++] = all[i];
            }
        }
        // Shrink the array to the active count.
        assembly ("memory-safe") {
            mstore(ids, count)
        }
    }
}
