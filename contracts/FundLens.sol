// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {IFundLens} from "./interfaces/IFundLens.sol";
import {IStablecoinInsuranceFund} from "./interfaces/IStablecoinInsuranceFund.sol";

/// @title FundLens
/// @notice See {IFundLens}.
contract FundLens is IFundLens {
    /// @inheritdoc IFundLens
    function getProtocolStates(IStablecoinInsuranceFund fund, address[] calldata protocols, uint256 maxIdsPerProtocol)
        external
        view
        returns (ProtocolState[] memory states)
    {
        states = new ProtocolState[](protocols.length);
        for (uint256 i; i < protocols.length; ++i) {
            address protocol = protocols[i];
            (uint256[] memory ids, uint256 nextCursor) = fund.getProtocolCoverages(protocol, 0, maxIdsPerProtocol);
            states[i] = ProtocolState({
                protocol: protocol,
                risk: fund.getProtocolRisk(protocol),
                riskScore: fund.calculateProtocolRisk(protocol),
                activeCoverage: fund.getProtocolExposure(protocol),
                activeCoverageIds: ids,
                nextCursor: nextCursor,
                incident: fund.getIncident(protocol)
            });
        }
    }

    /// @inheritdoc IFundLens
    function getProtocolCoverages(IStablecoinInsuranceFund fund, address protocol, uint256 cursor, uint256 limit)
        external
        view
        returns (IStablecoinInsuranceFund.Coverage[] memory coverages, uint256 nextCursor)
    {
        uint256[] memory ids;
        (ids, nextCursor) = fund.getProtocolCoverages(protocol, cursor, limit);
        coverages = _coverages(fund, ids);
    }

    /// @inheritdoc IFundLens
    function getCoverages(IStablecoinInsuranceFund fund, uint256[] calldata coverIds)
        external
        view
        returns (IStablecoinInsuranceFund.Coverage[] memory coverages)
    {
        return _coverages(fund, coverIds);
    }

    /// @inheritdoc IFundLens
    function getCoveragesWithDeadlines(IStablecoinInsuranceFund fund, uint256[] calldata coverIds)
        external
        view
        returns (IStablecoinInsuranceFund.Coverage[] memory coverages, uint256[] memory claimDeadlines)
    {
        coverages = _coverages(fund, coverIds);
        claimDeadlines = new uint256[](coverIds.length);
        for (uint256 i; i < coverIds.length; ++i) {
            claimDeadlines[i] = fund.claimDeadline(coverIds[i]);
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

    function _coverages(IStablecoinInsuranceFund fund, uint256[] memory coverIds)
        private
        view
        returns (IStablecoinInsuranceFund.Coverage[] memory coverages)
    {
        coverages = new IStablecoinInsuranceFund.Coverage[](coverIds.length);
        for (uint256 i; i < coverIds.length; ++i) {
            coverages[i] = fund.getCoverageDetails(coverIds[i]);
        }
    }
}
