// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {IStablecoinInsuranceFund} from "./IStablecoinInsuranceFund.sol";

/// @title IFundLens
/// @notice Read-only batch views over a StablecoinInsuranceFund, so a keeper cycle needs one
/// `eth_call` whatever the number of protocols. Stateless; kept apart from the fund to keep the
/// fund under the EIP-170 code size limit.
interface IFundLens {
    /// @notice What the keeper reads for one protocol.
    struct ProtocolState {
        address protocol;
        IStablecoinInsuranceFund.ProtocolRisk risk;
        uint256 riskScore; // calculateProtocolRisk now
        uint256 activeCoverage; // USD wad
        uint256[] activeCoverageIds; // newest first
    }

    /// @notice Risk components, score, exposure and active coverage ids for each protocol.
    function getProtocolStates(IStablecoinInsuranceFund fund, address[] calldata protocols)
        external
        view
        returns (ProtocolState[] memory states);

    /// @notice Details of each coverage id (reverts on an unknown id, like the fund).
    function getCoverages(IStablecoinInsuranceFund fund, uint256[] calldata coverIds)
        external
        view
        returns (IStablecoinInsuranceFund.Coverage[] memory coverages);

    /// @notice Details of each claim id.
    function getClaims(IStablecoinInsuranceFund fund, uint256[] calldata claimIds)
        external
        view
        returns (IStablecoinInsuranceFund.Claim[] memory claims);
}
