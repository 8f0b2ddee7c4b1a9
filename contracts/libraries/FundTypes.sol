// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {IStablecoinInsuranceFund} from "../interfaces/IStablecoinInsuranceFund.sol";

/// @title FundTypes
/// @notice The storage layout of the StablecoinInsuranceFund, shared by the fund and its logic
/// libraries (`CoverageLogic`, `ClaimLogic`), which receive `FundState storage` and run in the fund's
/// context (DELEGATECALL), like Aave v3's `DataTypes` + `*Logic`.
library FundTypes {
    /// @dev Packing: one slot. Risk components 5 × 8 + lastUpdated 40 + exposure 96 + latestCoverageId 48
    /// + halted 8 = 232 bits. One SLOAD serves the score, the cap, the halt flag and the live-list head of
    /// a purchase. `_writeRisk` rewrites only the low 80 bits.
    struct ProtocolRecord {
        uint8 tvlStability;
        uint8 auditQuality;
        uint8 timeSinceDeployment;
        uint8 exploitHistory;
        uint8 teamReputation;
        uint40 lastUpdated;
        uint96 exposure; // live coverage, USD wad
        uint48 latestCoverageId; // head of this protocol's live coverage list (newest first)
        bool halted; // an incident is active (see `incidents`)
    }

    /// @dev Packing: slot 0 protocol 160 | start 40 | end 40 | riskScore 8 | providerId 8 = 256;
    /// slot 1 beneficiary 160 | amount 96 = 256; slot 2 premium 96 | claimed 96 | prevCoverageId 48 |
    /// assetId 8 | status 8 = 256; slot 3 providerCoverId 128 | openClaimId 48 (written only for
    /// hedged coverage and claims). A self-insured purchase writes three slots.
    struct CoverageRecord {
        address protocol;
        uint40 start;
        uint40 end;
        uint8 riskScore;
        uint8 providerId;
        address beneficiary;
        uint96 amount;
        uint96 premium;
        uint96 claimed;
        uint48 prevCoverageId; // next older live coverage of the same protocol (linked list)
        uint8 assetId;
        IStablecoinInsuranceFund.CoverageStatus status;
        uint128 providerCoverId;
        uint48 openClaimId;
    }

    /// @dev Packing: slot 0 coverageId 48 | amount 96 | payout 96 | status 8 = 248; slot 1 claimant 160 |
    /// submittedAt 40 | incidentAt 40 | confirmationRequired 8 = 248; slot 2 providerClaimId 96 |
    /// deposit 96 | payableAt 40 = 232; slot 3 evidenceHash.
    struct ClaimRecord {
        uint48 coverageId;
        uint96 amount;
        uint96 payout;
        IStablecoinInsuranceFund.ClaimStatus status;
        address claimant;
        uint40 submittedAt;
        uint40 incidentAt;
        bool confirmationRequired;
        uint96 providerClaimId;
        uint96 deposit;
        uint40 payableAt;
        bytes32 evidenceHash;
    }

    /// @dev Packing: supported 8 | registered 8 | id 8 | decimals 8.
    struct AssetConfig {
        bool supported;
        bool registered;
        uint8 id;
        uint8 decimals;
    }

    /// @dev Packing: slot 0 pool 128 | selfInsured 128 (one SLOAD for a self-insured sale's reserve check);
    /// slot 1 credited 128 | active 128; slot 2 pending 128 | openClaims 128. Asset units.
    struct AssetBook {
        uint128 pool; // self-insurance reserve, excludes pending and credited payouts
        uint128 selfInsured; // self-insured coverage not yet expired (claimable until end + grace)
        uint128 credited; // payouts credited to beneficiaries, not yet withdrawn
        uint128 active; // coverage not yet expired (hedged and self-insured)
        uint128 pending; // accepted self-insured payouts not yet settled or vetoed
        uint128 openClaims; // amounts of self-insured claims awaiting the assessor
    }

    /// @dev Packing: windowStart 40 | accepted 128. Accepted self-insured payouts of the current
    /// one-day window of an asset (the window restarts with the first acceptance after it ends).
    struct PayoutWindow {
        uint40 windowStart;
        uint128 accepted;
    }

    /// @dev One superseded upstream cover of a hedged coverage. Packing: providerCoverId 128 | until 40.
    struct UpstreamCover {
        uint128 providerCoverId;
        uint40 until; // the renewal (edit) time that cut it; losses strictly before belong to it
    }

    /// @dev Packing: adapter 160 | active 8.
    struct ProviderRecord {
        address adapter;
        bool active;
    }

    /// @dev Packing: one slot, 48 + 48 + 8 bits.
    struct Counters {
        uint48 coverages;
        uint48 claims;
        uint8 providers;
    }

    /// @dev Everything the fund stores besides its OpenZeppelin bases.
    struct FundState {
        IStablecoinInsuranceFund.Parameters params;
        Counters counters;
        address[] assets; // index = asset id
        mapping(address protocol => ProtocolRecord) protocols;
        mapping(uint256 coverId => CoverageRecord) coverages;
        mapping(uint256 claimId => ClaimRecord) claims;
        mapping(address asset => AssetConfig) assetConfigs;
        mapping(address asset => AssetBook) books;
        mapping(uint8 providerId => ProviderRecord) providers;
        mapping(address adapter => uint8 providerId) providerIds;
        mapping(address account => mapping(address asset => uint256 amount)) creditedPayouts;
        mapping(address account => uint256 amount) creditedDeposits;
        mapping(address beneficiary => mapping(address agent => bool approved)) agents;
        mapping(address protocol => IStablecoinInsuranceFund.Incident) incidents;
        mapping(uint256 coverId => UpstreamCover[]) upstreamHistory; // oldest first
        mapping(address asset => PayoutWindow) payoutWindows;
    }
}
