// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {IStablecoinInsuranceFund} from "./IStablecoinInsuranceFund.sol";

/// @title IFundLens
/// @notice Read-only batch views over a StablecoinInsuranceFund, so a keeper cycle needs one
/// `eth_call` whatever the number of protocols. Stateless; kept apart from the fund to keep the
/// fund under the EIP-170 code size limit. Like the fund's `getProtocolCoverages`, every coverage
/// list is live coverages only (not yet expired: active, or ended but inside the claim window) and
/// paginated, so a read stays O(live coverages) however many were ever sold.
interface IFundLens {
    /// @notice What the keeper reads for one protocol.
    struct ProtocolState {
        address protocol;
        IStablecoinInsuranceFund.ProtocolRisk risk;
        uint256 riskScore; // calculateProtocolRisk now
        uint256 activeCoverage; // USD wad (live coverage)
        uint256[] activeCoverageIds; // live coverage ids, newest first, at most `maxIdsPerProtocol`
        uint256 nextCursor; // pass to `getProtocolCoverages` for the rest; 0 = complete
        IStablecoinInsuranceFund.Incident incident; // the protocol's incident record (active = halted)
    }

    /// @notice Risk components, score, exposure, incident and the first page of live coverage ids
    /// for each protocol.
    function getProtocolStates(IStablecoinInsuranceFund fund, address[] calldata protocols, uint256 maxIdsPerProtocol)
        external
        view
        returns (ProtocolState[] memory states);

    /// @notice One page of a protocol's live coverages with their details, newest first.
    /// @param cursor 0 for the newest, else a `nextCursor` from a previous page.
    /// @return coverages The page. @return nextCursor 0 when done.
    function getProtocolCoverages(IStablecoinInsuranceFund fund, address protocol, uint256 cursor, uint256 limit)
        external
        view
        returns (IStablecoinInsuranceFund.Coverage[] memory coverages, uint256 nextCursor);

    /// @notice Details of each coverage id (reverts on an unknown id, like the fund).
    function getCoverages(IStablecoinInsuranceFund fund, uint256[] calldata coverIds)
        external
        view
        returns (IStablecoinInsuranceFund.Coverage[] memory coverages);

    /// @notice Details of each coverage id with its `claimDeadline` (the last second a claim may be
    /// filed: end + the grace period fixed at purchase, or a later re-filing deadline), in one call.
    /// Reverts on an unknown id, like the fund.
    function getCoveragesWithDeadlines(IStablecoinInsuranceFund fund, uint256[] calldata coverIds)
        external
        view
        returns (IStablecoinInsuranceFund.Coverage[] memory coverages, uint256[] memory claimDeadlines);

    /// @notice Details of each claim id.
    function getClaims(IStablecoinInsuranceFund fund, uint256[] calldata claimIds)
        external
        view
        returns (IStablecoinInsuranceFund.Claim[] memory claims);
}
