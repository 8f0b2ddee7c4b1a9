// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {IStablecoinInsuranceFund} from "../interfaces/IStablecoinInsuranceFund.sol";

/// @title FundTypes
/// @notice The storage layout of the StablecoinInsuranceFund, shared by the fund and its logic
/// libraries (`CoverageLogic`, `ClaimLogic`), which receive `FundState storage` and run in the fund's
/// context (DELEGATECALL), like Aave v3's `DataTypes` + `*Logic`.
library FundTypes {
    /// @dev Packing: one slot. Risk components 5 × 8 + lastUpdated 40 + exposure 96 + latestCoverageId 48
    /// + activeIncidents 8 = 232 bits. One SLOAD serves the score, the cap, the halt and the live-list head
    /// of a purchase. `_writeRisk` rewrites only the low 80 bits.
    struct ProtocolRecord {
        uint8 tvlStability;
        uint8 auditQuality;
        uint8 timeSinceDeployment;
        uint8 exploitHistory;
        uint8 teamReputation;
        uint40 lastUpdated;
        uint96 exposure; // live coverage, USD wad
        uint48 latestCoverageId; // head of this protocol's live coverage list (newest first)
        uint8 activeIncidents; // reports neither cleared nor voided; sales are halted while non-zero
    }

    /// @dev Packing: slot 0 protocol 160 | start 40 | end 40 | riskScore 8 | providerId 8 = 256;
    /// slot 1 beneficiary 160 | amount 96 = 256; slot 2 premium 96 | claimed 96 | prevCoverageId 48 |
    /// assetId 8 | status 8 = 256; slot 3 providerCoverId 128 | openClaimId 48 | nextCoverageId 48 |
    /// lastClaimIncidentAt 32 = 256 (written for hedged coverage, claims, and once a newer coverage of the
    /// same protocol is linked). A self-insured purchase writes three slots.
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
        uint48 nextCoverageId; // next newer live coverage of the same protocol (doubly linked list)
        uint32 lastClaimIncidentAt; // incidentAt of the latest claim filed on this coverage
    }

    /// @dev Packing: slot 0 coverageId 48 | amount 96 | payout 96 | status 8 = 248; slot 1 claimant 160 |
    /// submittedAt 40 | incidentAt 40 | confirmationRequired 8 | reinstated 8 = 256; slot 2 providerClaimId 96 |
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
        bool reinstated; // the admin reinstated it after a veto: the guardian cannot veto it again
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
    /// slot 1 active 128 | largestProtocol 96 | protocols 24 | initialized 8 = 256 (written by every sale;
    /// `initialized` is set when the asset is registered so the first sale never writes a zero slot);
    /// slot 2 credited 128 | pending 128; slot 3 openClaims 128. Asset units.
    struct AssetBook {
        uint128 pool; // self-insurance reserve, excludes pending and credited payouts
        uint128 selfInsured; // self-insured coverage not yet expired (claimable until end + grace)
        uint128 active; // coverage not yet expired (hedged and self-insured)
        uint96 largestProtocol; // high-water mark of one protocol's self-insured exposure (see refreshLargestExposure)
        uint24 protocols; // protocols with non-zero self-insured exposure in this asset
        bool initialized;
        uint128 credited; // payouts credited to beneficiaries, not yet withdrawn
        uint128 pending; // accepted self-insured payouts not yet settled, or disputed
        uint128 openClaims; // amounts of self-insured claims awaiting the assessor
    }

    /// @dev Packing: head 64 | accepted 128. The sliding 24 h window of accepted self-insured payouts of
    /// an asset: `accepted` is the sum of `acceptances[head..]`, entries older than 24 h are dropped from
    /// the head as new ones arrive (each entry is pushed and popped once: amortised O(1)).
    struct PayoutWindow {
        uint64 head;
        uint128 accepted;
    }

    /// @dev One counted acceptance. Packing: at 40 | amount 128.
    struct Acceptance {
        uint40 at;
        uint128 amount;
    }

    /// @dev One superseded amount of a coverage. Packing: amount 96 | until 40.
    struct AmountChange {
        uint96 amount; // the amount in force before `until`
        uint40 until; // the renewal time that replaced it
    }

    /// @dev One `claimGracePeriod` setting. Packing: since 40 | grace 40. A coverage keeps the grace period
    /// in force when it was bought (the last entry with `since <= start`).
    struct GraceSetting {
        uint40 since;
        uint40 grace;
    }

    /// @dev Parameters added by fund v3. Packing: maxIncidentLookback 40 | refileWindow 40.
    struct Safeguards {
        uint40 maxIncidentLookback; // seconds an incident's occurredAt may lie before its report
        uint40 refileWindow; // seconds after a denial in which a self-insured claim may be re-filed
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

    /// @dev Packing: one slot, 48 + 48 + 8 + 8 bits. `initialized` is set at deployment so the first sale
    /// never writes a zero slot.
    struct Counters {
        uint48 coverages;
        uint48 claims;
        uint8 providers;
        bool initialized;
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
        mapping(address protocol => IStablecoinInsuranceFund.IncidentRecord[]) incidents; // oldest first, kept
        mapping(uint256 coverId => UpstreamCover[]) upstreamHistory; // oldest first
        mapping(address asset => PayoutWindow) payoutWindows;
        mapping(address asset => Acceptance[]) acceptances;
        mapping(uint256 coverId => AmountChange[]) amountHistory; // oldest first
        mapping(address protocol => mapping(uint256 assetId => uint256 amount)) selfInsuredOf;
        mapping(uint256 coverId => uint256 until) refileUntil;
        GraceSetting[] graceHistory; // oldest first
        Safeguards safeguards;
    }
}
