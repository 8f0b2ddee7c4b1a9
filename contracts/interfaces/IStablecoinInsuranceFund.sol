// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

/// @title IStablecoinInsuranceFund
/// @notice Sells coverage for stablecoin positions held in DeFi protocols. Premiums are priced by an
/// on-chain protocol risk score pushed by a risk oracle (the operator's keeper). Coverage is either
/// hedged upstream through a registered cover provider (Nexus Mutual adapter, ...) or self-insured
/// by the fund's pool (provider id 0). Accepted claims are credited to the coverage's beneficiary,
/// who withdraws them (pull payments).
/// @dev Units: `amount`, `premium` and pool figures are in the asset's own units (6 decimals for
/// USDC/USDT, 18 for DAI); the per-protocol cap and exposure are in USD with 18 decimals ("wad"),
/// every registered stablecoin being valued at $1. Times are unix seconds.
/// @dev Warning: trust assumptions.
/// - The admin (the governance multisig, two-step transfer with a delay; also the Nexus adapter's
///   admin) is trusted: it sets bounded parameters, registers providers and stablecoins, grants
///   roles, withdraws capital above the reserve requirement, confirms large payouts, ends disputes
///   (`reinstateClaim` / `denyClaim`), voids or clears incident reports, and may veto any payout in
///   its challenge period. An absent admin delays disputed and unconfirmed payouts (they stay
///   reserved in `pending`, never return to the pool without it); a malicious admin can deny them.
/// - The risk oracle is trusted to push honest scores; a compromised oracle can raise scores at once
///   (making coverage dearer) but can lower each component by at most `maxRiskDecreasePerDay` points
///   per day, so it cannot make risky cover cheap overnight. It can move no funds.
/// - Registered cover providers are trusted to hold the upstream cover they report and to report
///   claim outcomes truthfully (see ICoverProvider). The fund credits only what it receives.
/// - The claims assessor decides self-insured claims; each accepted payout is bounded by the claim
///   amount, the pool and the coverage's insurable amount, and becomes payable only after
///   `challengePeriod`, during which the guardian or the admin can dispute it. A denial opens a
///   `refileWindow`, so the assessor alone cannot end a valid claim for good. A colluding assessor
///   and guardian (or a silent guardian and admin for the whole challenge period) can still pay an
///   unjustified claim.
/// - Accepted payouts above `dailyPayoutLimitBps` of the pool in any 24 h (a sliding window) wait
///   for the admin's `confirmPayout`.
/// - The guardian can pause new business only; pause never blocks a claim, a settlement or a
///   withdrawal. Its veto only disputes a payout in its challenge period (the admin decides), and it
///   cannot veto a claim the admin reinstated.
/// - The risk oracle and the guardian can halt sales of one protocol at once (`reportIncident`),
///   with `occurredAt` at most `maxIncidentLookback` in the past. Only the admin clears (the record
///   stays and keeps excluding cover bought into its window) or voids (a false alarm: it excludes
///   nothing) a report. A halt never blocks a claim. Within the look-back a compromised reporter can
///   exclude self-insured cover bought or increased in that window until the admin voids the report;
///   hedged cover is never excluded by the fund (the upstream assessment decides).
/// - The pool is only required to cover the largest single-protocol self-insured exposure (and the
///   ratio requirement) at each sale, renewal and capital withdrawal; payouts on other protocols in
///   between can leave one protocol's later claims unpaid first come first served
///   (`ReserveShortfall` is emitted).
/// - Registered stablecoins are assumed to be worth $1 each for the cap; fee-on-transfer tokens are
///   rejected at the first transfer.
interface IStablecoinInsuranceFund {
    // ------------------------------------------------------------------ types

    /// @notice The five component risks of a protocol (0-100 each, higher = riskier) and when they
    /// were last written.
    struct ProtocolRisk {
        uint8 tvlStability;
        uint8 auditQuality;
        uint8 timeSinceDeployment;
        uint8 exploitHistory;
        uint8 teamReputation;
        uint40 lastUpdated;
    }

    /// @notice One entry of a batched risk push.
    struct RiskUpdate {
        address protocol;
        uint8 tvlStability;
        uint8 auditQuality;
        uint8 timeSinceDeployment;
        uint8 exploitHistory;
        uint8 teamReputation;
    }

    /// @notice Governance parameters, all bounded (see `setParameters`).
    /// @dev Packing: one slot (16 + 16 + 8 + 40 + 40 + 96 + 24 + 16 = 256 bits).
    struct Parameters {
        uint16 baseRateBps; // annual premium rate at risk 50, in basis points (1..2000)
        uint16 reserveRatioBps; // pool / active self-insured coverage, in basis points (1000..10000)
        uint8 maxRiskDecreasePerDay; // points one component may fall per day (1..100)
        uint40 renewalWindow; // seconds before the end in which a coverage may be renewed
        uint40 claimGracePeriod; // seconds after the end in which a self-insured claim may be filed
        uint96 maxCoveragePerProtocol; // cap on active coverage per protocol, USD wad
        uint24 challengePeriod; // seconds an accepted self-insured payout waits for a veto (1 h..30 days)
        uint16 dailyPayoutLimitBps; // accepted payouts per rolling day above this share of the pool need
            // the admin's confirmation, basis points (1..10000)
    }

    enum CoverageStatus {
        None,
        Active,
        Expired
    }

    enum ClaimStatus {
        None,
        Pending, // awaiting the assessor (self-insured) or the upstream decision (hedged)
        Accepted, // self-insured claim approved by the assessor, awaiting settlement
        Denied, // closed without payout
        Paid, // payout credited to the beneficiary
        Draw, // upstream could not decide; deposit returned
        Expired, // upstream payout not redeemed in its window
        Withdrawn, // withdrawn by the beneficiary or an agent before assessment (self-insured)
        Vetoed, // v2 only: no longer reached (a veto now makes a claim Disputed)
        Disputed // accepted payout vetoed in its challenge period; the admin reinstates or denies it
    }

    /// @notice One incident report in a protocol's history (never overwritten).
    /// @dev Packing: slot 0 occurredAt 40 | reportedAt 40 | clearedAt 40 | voidedAt 40; slot 1 evidenceHash.
    /// Its window is [occurredAt, clearedAt) (open while clearedAt is 0); a voided report has no effect.
    struct IncidentRecord {
        uint40 occurredAt; // when the loss event began (unix seconds)
        uint40 reportedAt; // when it was reported
        uint40 clearedAt; // when the admin ended the halt (0 = still halting)
        uint40 voidedAt; // when the admin voided it as a false alarm (0 = valid)
        bytes32 evidenceHash; // digest of the reporter's evidence
    }

    /// @notice A summary of a protocol's incident history as `getIncident` returns it: the earliest
    /// halting report while sales are halted, else the latest valid (un-voided) report.
    struct Incident {
        uint40 occurredAt; // when the loss event began (unix seconds)
        uint40 reportedAt; // when it was first reported
        bool active; // sales of the protocol are halted while true
        bytes32 evidenceHash; // keccak256 (or any digest) of the reporter's evidence
    }

    /// @notice An asset's books, in asset units.
    struct AssetBook {
        uint256 pool; // self-insurance reserve, excludes pending and credited payouts
        uint256 credited; // payouts credited to beneficiaries, not yet withdrawn
        uint256 pending; // accepted self-insured payouts in their challenge period / awaiting confirmation
        uint256 openClaims; // amounts of pending (unassessed) self-insured claims
        uint256 active; // coverage not yet expired (hedged and self-insured)
        uint256 selfInsured; // self-insured coverage not yet expired (claimable until end + grace)
    }

    /// @notice A coverage as views return it.
    struct Coverage {
        uint256 id;
        address protocol;
        address asset;
        address beneficiary;
        uint256 amount;
        uint256 premium;
        uint256 claimed;
        uint64 start;
        uint64 end;
        uint8 riskScore;
        uint8 providerId;
        CoverageStatus status;
        uint256 providerCoverId;
        uint256 openClaimId;
        uint256 prevCoverageId; // next older live coverage of the same protocol (0 = none)
    }

    /// @notice A claim as views return it.
    struct Claim {
        uint256 id;
        uint256 coverageId;
        address claimant;
        uint256 amount;
        uint256 payout;
        uint256 deposit;
        uint256 providerClaimId;
        uint64 submittedAt;
        ClaimStatus status;
        bytes32 evidenceHash;
        uint64 incidentAt; // time of loss named by the claimant
        uint64 payableAt; // end of the challenge period of an accepted self-insured payout (0 = n/a)
        bool confirmationRequired; // accepted above the daily limit and not yet confirmed by the admin
    }

    // ------------------------------------------------------------------ events

    event StablecoinAdded(address indexed asset, uint8 indexed assetId, uint8 decimals);
    event StablecoinRemoved(address indexed asset);
    event ProviderRegistered(uint8 indexed providerId, address indexed adapter);
    event ProviderStatusChanged(uint8 indexed providerId, bool active);
    event ParametersUpdated(Parameters parameters);
    event AgentSet(address indexed beneficiary, address indexed agent, bool approved);

    /// @notice Emitted for every risk write (single or batched).
    /// @param components One byte per component, in order: tvlStability, auditQuality,
    /// timeSinceDeployment, exploitHistory, teamReputation (0x0a0a0f1414 = 10, 10, 15, 20, 20).
    event RiskScoreUpdated(address indexed protocol, bytes5 components);

    event CoveragePurchased(
        uint256 indexed coverId,
        address indexed protocol,
        address indexed beneficiary,
        address asset,
        uint256 amount,
        uint256 premium,
        uint256 upstreamPremium,
        uint64 start,
        uint64 end,
        uint8 riskScore,
        uint8 providerId,
        uint256 providerCoverId
    );

    event CoverageRenewed(
        uint256 indexed coverId,
        uint256 amount,
        uint256 premium,
        uint256 upstreamPremium,
        uint64 end,
        uint8 riskScore,
        uint256 providerCoverId
    );

    event CoverageExpired(uint256 indexed coverId);

    event ClaimSubmitted(
        uint256 indexed claimId,
        uint256 indexed coverId,
        address indexed claimant,
        uint256 amount,
        string reason,
        bytes evidence,
        uint256 providerClaimId
    );

    /// @param payableAt End of the challenge period (0 when denied).
    event ClaimAssessed(uint256 indexed claimId, bool accepted, uint256 payout, uint256 payableAt);
    event ClaimSettled(uint256 indexed claimId, ClaimStatus status, uint256 payout);
    event ClaimWithdrawn(uint256 indexed claimId, address indexed by);
    event PayoutVetoed(uint256 indexed claimId, address indexed by, uint256 payout);
    /// @notice An accepted payout took the rolling day's accepted total above the daily limit.
    event PayoutConfirmationRequired(uint256 indexed claimId, uint256 payout, uint256 acceptedInWindow, uint256 limit);
    event PayoutConfirmed(uint256 indexed claimId, address indexed by);
    /// @notice A payout left the pool below the reserve requirement (pool < required).
    event ReserveShortfall(address indexed asset, uint256 pool, uint256 required);
    event PayoutWithdrawn(address indexed account, address indexed asset, address indexed to, uint256 amount);
    event DepositCredited(address indexed account, uint256 amount);
    event DepositWithdrawn(address indexed account, address indexed to, uint256 amount);
    event IncidentReported(
        address indexed protocol, uint256 occurredAt, bytes32 evidenceHash, address indexed reporter
    );
    event IncidentCleared(address indexed protocol, address indexed by);
    /// @notice The admin voided report `index` of `protocol` (a false alarm): it excludes nothing any more.
    event IncidentVoided(address indexed protocol, uint256 indexed index, address indexed by);
    /// @notice The admin reinstated a disputed claim; it is payable from `payableAt`.
    event ClaimReinstated(uint256 indexed claimId, address indexed by, uint256 payableAt);
    /// @notice The admin denied a disputed claim; the payout returned to the pool. Re-filing is open
    /// until `refileUntil`.
    event ClaimDenied(uint256 indexed claimId, address indexed by, uint256 refileUntil);
    /// @notice Settlement paid less than the accepted payout because a later incident report excludes
    /// part of it; `returned` went back to the pool.
    event PayoutReduced(uint256 indexed claimId, uint256 payout, uint256 returned);
    event SafeguardsUpdated(uint256 maxIncidentLookback, uint256 refileWindow);
    /// @notice The largest single-protocol self-insured exposure of `asset` was recomputed.
    event LargestExposureRefreshed(address indexed asset, uint256 largest);
    event CapitalDeposited(address indexed asset, address indexed from, uint256 amount);
    event CapitalWithdrawn(address indexed asset, address indexed to, uint256 amount);

    // ------------------------------------------------------------------ errors

    error FundZeroAddress();
    error FundZeroAmount();
    error FundInvalidParameter(string name);
    error FundUnsupportedAsset(address asset);
    error FundInvalidDecimals(address asset);
    error FundTooManyStablecoins();
    error FundUnknownProvider(uint8 providerId);
    error FundProviderInactive(uint8 providerId);
    error FundProviderMismatch(address adapter);
    error FundProviderUnsupported(uint8 providerId, address protocol, address asset);
    error FundTooManyProviders();
    error FundInvalidRiskScore(uint256 value);
    error FundRiskDecreaseTooFast(address protocol, uint8 current, uint8 requested, uint256 allowedDecrease);
    error FundInvalidDuration(uint256 duration);
    error FundProtocolCapExceeded(address protocol, uint256 requested, uint256 available);
    error FundPremiumAboveMax(uint256 premium, uint256 maxPremium);
    error FundFeeOnTransfer(address asset, uint256 expected, uint256 received);
    error FundUpstreamOverpaid(uint256 paid, uint256 maxPremium);
    error FundReserveRatioBreached(address asset, uint256 pool, uint256 required);
    error FundUnknownCoverage(uint256 coverId);
    error FundNotBeneficiaryOrAgent(address caller);
    error FundCoverageNotActive(uint256 coverId);
    error FundOutsideRenewalWindow(uint256 coverId, uint256 opensAt, uint256 end);
    error FundClaimOpen(uint256 coverId, uint256 claimId);
    error FundCoverageNotExpirable(uint256 coverId);
    error FundClaimTooEarly(uint256 coverId, uint256 earliest);
    error FundClaimWindowClosed(uint256 coverId, uint256 latest);
    error FundClaimExceedsRemaining(uint256 requested, uint256 remaining);
    error FundWrongDeposit(uint256 expected, uint256 sent);
    error FundUnknownClaim(uint256 claimId);
    error FundClaimNotPending(uint256 claimId);
    error FundNotSelfInsured(uint256 claimId);
    error FundClaimNotSettleable(uint256 claimId, uint8 upstreamStatus);
    error FundPayoutExceedsClaim(uint256 payout, uint256 amount);
    error FundInsufficientPool(address asset, uint256 available, uint256 needed);
    error FundNothingToWithdraw();
    error FundEthTransferFailed();
    error FundUnexpectedEth(address sender);
    error FundProtocolHalted(address protocol, uint256 occurredAt);
    error FundInvalidIncidentTime(uint256 occurredAt, uint256 latest);
    error FundNoActiveIncident(address protocol);
    error FundIncidentOutsideTerm(uint256 coverId, uint256 incidentAt, uint256 start, uint256 end);
    /// @notice Only `insurable` of the coverage was bought before the incident (`occurredAt`) whose
    /// window contains the time of loss.
    error FundCoverageAfterIncident(uint256 coverId, uint256 requested, uint256 insurable, uint256 occurredAt);
    error FundIncidentTooOld(uint256 occurredAt, uint256 earliest);
    error FundUnknownIncident(address protocol, uint256 index);
    error FundIncidentAlreadyVoided(address protocol, uint256 index);
    error FundTooManyIncidents(address protocol);
    error FundClaimNotDisputed(uint256 claimId, uint8 status);
    error FundClaimReinstated(uint256 claimId);
    error FundProtocolExposureAboveReserve(address asset, uint256 exposure, uint256 pool);
    error FundUnclaimedIncident(uint256 coverId, address protocol, uint256 index);
    error FundStaleCursor(uint256 cursor);
    error FundIncompleteProtocolList(address asset, uint256 given, uint256 expected);
    error FundChallengePeriod(uint256 claimId, uint256 payableAt);
    error FundChallengePeriodOver(uint256 claimId, uint256 payableAt);
    error FundClaimNotAccepted(uint256 claimId, uint8 status);
    error FundPayoutNotConfirmed(uint256 claimId);
    error FundConfirmationNotRequired(uint256 claimId);
    error FundUpstreamShortfall(uint256 claimId, uint256 expected, uint256 received);

    // ------------------------------------------------------------------ admin

    /// @notice Registers a stablecoin; its decimals are read from the token (at most 18).
    /// Re-adding a removed stablecoin restores it with its former id.
    function addStablecoin(address asset) external;

    /// @notice Stops new coverage and renewals in `asset`; existing coverages, claims and payouts
    /// keep working.
    function removeStablecoin(address asset) external;

    /// @notice Registers a cover provider adapter whose `fund()` is this contract.
    /// @return providerId The id (1..255) to pass to `purchaseProtocolCoverage`.
    function registerProvider(address adapter) external returns (uint8 providerId);

    /// @notice Enables or disables new coverage through a provider; claims on existing coverage
    /// keep working.
    function setProviderActive(uint8 providerId, bool active) external;

    /// @notice Sets every governance parameter at once; reverts with `FundInvalidParameter(name)`
    /// when one is out of bounds.
    function setParameters(Parameters calldata parameters) external;

    /// @notice Pauses new coverage and amount increases (guardian). Claims, settlement, expiry,
    /// withdrawals and renewals that do not increase the amount keep working.
    function pause() external;

    /// @notice Lifts the pause (admin).
    function unpause() external;

    /// @notice Withdraws pool capital; only while the pool still covers `reserveStatus(asset).required`
    /// afterwards.
    function withdrawCapital(address asset, uint256 amount, address to) external;

    /// @notice Confirms an accepted self-insured payout that exceeded the sliding 24 h limit (admin).
    /// It still waits for the end of its challenge period.
    function confirmPayout(uint256 claimId) external;

    /// @notice Reinstates a disputed claim (admin): it is accepted again for the same payout, counts as
    /// confirmed, and becomes payable after a new challenge period, during which only the admin can
    /// veto it (the guardian cannot veto a reinstated claim).
    function reinstateClaim(uint256 claimId) external;

    /// @notice Denies a disputed claim (admin): the payout returns to the pool, and the claim may be
    /// re-filed for `refileWindow`, whatever the coverage's claim window.
    function denyClaim(uint256 claimId) external;

    /// @notice Sets the v3 safeguards (admin): `maxIncidentLookback` (1 hour..30 days), how far before
    /// its report an incident may have begun; `refileWindow` (1..90 days), how long a denied
    /// self-insured claim may be re-filed.
    function setSafeguards(uint256 maxIncidentLookback, uint256 refileWindow) external;

    /// @notice Recomputes the largest single-protocol self-insured exposure of `asset` (a high-water
    /// mark that only sales raise) from `protocols`: every protocol with self-insured exposure in
    /// `asset`, strictly ascending. Anyone may call; it can only lower the mark to the true maximum.
    function refreshLargestExposure(address asset, address[] calldata protocols) external;

    // ------------------------------------------------------------------ incidents

    /// @notice Reports an incident on `protocol` (risk oracle or guardian): appends a record to the
    /// protocol's history (never overwriting one) and halts its purchases, amount increases and
    /// renewals at once. Self-insured cover bought or increased at or after `occurredAt` cannot claim a
    /// loss inside the report's window [occurredAt, clearedAt).
    /// @param occurredAt When the loss event began; at most `maxIncidentLookback` before now, not in
    /// the future.
    /// @param evidenceHash A digest of the reporter's evidence (stored, emitted).
    function reportIncident(address protocol, uint256 occurredAt, bytes32 evidenceHash) external;

    /// @notice Ends the halt of `protocol` (admin): every halting report gets `clearedAt = now`, which
    /// closes its window. The records stay and keep excluding cover bought into them for losses
    /// before the clear.
    function clearIncident(address protocol) external;

    /// @notice Voids report `index` of `protocol` (admin), a false alarm: it excludes nothing any more
    /// and, if it was the last halting report, the halt ends. The record stays, marked voided.
    function voidIncident(address protocol, uint256 index) external;

    // ------------------------------------------------------------------ guardian

    /// @notice Disputes an accepted self-insured payout during its challenge period (guardian or admin):
    /// the claim becomes `Disputed`, its payout stays reserved, and only the admin ends it
    /// (`reinstateClaim` or `denyClaim`). The guardian cannot veto a reinstated claim.
    function vetoPayout(uint256 claimId) external;

    // ------------------------------------------------------------------ risk oracle

    /// @notice Writes the five component risks of `protocol` (each 0-100). A component may rise at
    /// once but may fall by at most `maxRiskDecreasePerDay` points per day since the last update.
    /// A protocol's first write is bounded the same way, as if every component had been 90 (the
    /// price of an unscored protocol) one day earlier: with the default 10/day each component must be
    /// at least 80, then it steps down 10 a day. Reverts with `FundRiskDecreaseTooFast`.
    function updateProtocolRisk(
        address protocol,
        uint8 tvlStability,
        uint8 auditQuality,
        uint8 timeSinceDeployment,
        uint8 exploitHistory,
        uint8 teamReputation
    ) external;

    /// @notice Batched `updateProtocolRisk`; the whole batch reverts if one entry is invalid.
    function updateProtocolRisks(RiskUpdate[] calldata updates) external;

    // ------------------------------------------------------------------ claims assessor

    /// @notice Decides a pending self-insured claim. `payout` (asset units) must not exceed the
    /// claim amount, the pool, or what the coverage may claim for its time of loss under the
    /// protocol's incident history (`insurableAmount`); an accepted payout leaves the pool at once (so
    /// capital withdrawals cannot take it), becomes payable after `challengePeriod`, and needs
    /// `confirmPayout` when the payouts accepted in the last 24 h exceed `dailyPayoutLimitBps` of the
    /// pool. A denied claim may be re-filed for `refileWindow`.
    function assessClaim(uint256 claimId, bool accepted, uint256 payout) external;

    // ------------------------------------------------------------------ users

    /// @notice Approves or revokes `agent` to renew and claim on coverages whose beneficiary is the
    /// caller. Payouts always go to the beneficiary.
    function setAgent(address agent, bool approved) external;

    /// @notice Adds capital to the self-insurance pool of `asset` (no shares are minted).
    function depositCapital(address asset, uint256 amount) external;

    /// @notice Buys coverage. Pulls the risk-adjusted premium from the caller, buys upstream cover
    /// through `providerId` (0 = self-insured by the pool) paying at most that premium, and keeps
    /// the margin in the pool.
    /// @param protocol The covered protocol (its risk key).
    /// @param asset A registered stablecoin.
    /// @param amount Covered amount in `asset` units.
    /// @param duration Seconds, 30 to 365 days.
    /// @param maxPremium Slippage guard: reverts if the premium is higher.
    /// @param beneficiary Who may claim and receives payouts.
    /// @param providerId 0 for self-insured, else a registered provider.
    /// @param coverData Provider-specific data (for Nexus: the quote's pool allocations).
    /// @return coverId The new coverage id (sequential from 1).
    function purchaseProtocolCoverage(
        address protocol,
        address asset,
        uint256 amount,
        uint256 duration,
        uint256 maxPremium,
        address beneficiary,
        uint8 providerId,
        bytes calldata coverData
    ) external returns (uint256 coverId);

    /// @notice Extends a coverage by `extraDuration` and sets its amount to `newAmount`, inside the
    /// renewal window and never while a claim is open or its protocol is halted. Priced at the current
    /// risk score: what stays insured (`newAmount` minus past payouts) over the extra duration, plus
    /// any increase over the time left. The caller pays. While paused only non-increasing renewals work.
    function renewCoverage(
        uint256 coverId,
        uint256 extraDuration,
        uint256 newAmount,
        uint256 maxPremium,
        bytes calldata coverData
    ) external returns (uint256 premium);

    /// @notice Marks a coverage expired once its claim window closed (`end + claimGracePeriod`) and
    /// releases its exposure and reserve. Anyone may call.
    function expireCoverage(uint256 coverId) external;

    /// @notice Expires every id that is active and past its claim window; skips the others.
    /// @return expired How many coverages were expired.
    function expireCoverages(uint256[] calldata coverIds) external returns (uint256 expired);

    /// @notice Files a claim on a coverage, by its beneficiary or an approved agent; works while
    /// paused. Hedged coverage forwards the claim to the upstream cover in force at `incidentAt` with
    /// `msg.value` as the provider's deposit; self-insured claims wait for the assessor and take no ETH.
    /// @param incidentAt Time of loss (unix seconds), within the coverage's term and not in the future.
    /// @param evidence Evidence (or a pointer to it); its keccak256 is stored, the bytes are forwarded
    /// upstream (see ICoverProvider.submitClaim for the format a provider needs).
    function submitClaim(
        uint256 coverId,
        uint256 amount,
        uint256 incidentAt,
        string calldata reason,
        bytes calldata evidence
    ) external payable returns (uint256 claimId);

    /// @notice Withdraws a pending (unassessed) self-insured claim, by the beneficiary or an agent the
    /// beneficiary approves now, freeing the coverage for a renewal or a new claim; never once the
    /// coverage's claim window (and any re-filing window) has closed.
    function withdrawClaim(uint256 claimId) external;

    /// @notice Applies a claim's outcome: credits an accepted payout to the beneficiary (self-insured:
    /// after the challenge period and, if required, the admin's confirmation), returns a draw deposit
    /// to the claimant, or closes a denied/expired claim. Anyone may call; works while paused.
    function settleClaim(uint256 claimId) external;

    /// @notice Sends the caller's credited payouts in `asset` to `to` (the caller alone chooses).
    function withdrawPayout(address asset, address to) external returns (uint256 amount);

    /// @notice Sends the caller's returned claim deposits (ETH) to `to`.
    function withdrawDeposit(address to) external returns (uint256 amount);

    // ------------------------------------------------------------------ views

    /// @notice Risk score 1-100 of `protocol` now: weights 25/20/15/25/15 (integer division by
    /// 100), 90 when never scored, +10 when the data is older than 7 days, capped at 100.
    function calculateProtocolRisk(address protocol) external view returns (uint256);

    /// @notice Premium, rounded up, for `amount` over `duration` seconds at `riskScore`:
    /// amount × baseRate × duration / 365 days × (50 + riskScore) / 100.
    function calculatePremium(uint256 amount, uint256 duration, uint256 riskScore) external view returns (uint256);

    /// @notice The premium `purchaseProtocolCoverage` would charge now.
    function quotePremium(address protocol, address asset, uint256 amount, uint256 duration)
        external
        view
        returns (uint256);

    /// @notice Live coverage ids of `protocol` (not yet expired: active, or ended but still inside
    /// the claim window), newest first, at most `limit` (capped at 1,000) from `cursor` (0 = the
    /// newest). Expired coverages are unlinked in O(1), so a full read is O(live coverages). A cursor
    /// that is no longer live (expired since) reverts `FundStaleCursor`: restart from 0.
    /// @return ids The page.
    /// @return nextCursor The id to pass as `cursor` for the next page; 0 when done.
    function getProtocolCoverages(address protocol, uint256 cursor, uint256 limit)
        external
        view
        returns (uint256[] memory ids, uint256 nextCursor);

    /// @notice The upstream cover id of a hedged coverage that was in force at `timestamp` (a renewal
    /// may have replaced it). 0 for self-insured coverage.
    function upstreamCoverAt(uint256 coverId, uint256 timestamp) external view returns (uint256 providerCoverId);

    /// @notice The reserve of `asset`: `required` = max(ceil(selfInsured × reserveRatio) + open
    /// self-insured claims, the largest single-protocol self-insured exposure), where self-insured
    /// coverage counts until it is expired (never before end + grace).
    /// @return pool The pool. @return required The requirement. @return shortfall required - pool, or 0.
    function reserveStatus(address asset) external view returns (uint256 pool, uint256 required, uint256 shortfall);

    function getAssetBook(address asset) external view returns (AssetBook memory);

    function getIncident(address protocol) external view returns (Incident memory);

    /// @notice Every incident report of `protocol`, oldest first (index = position).
    function getIncidentHistory(address protocol) external view returns (IncidentRecord[] memory);

    /// @notice Indexes of the valid incident reports a claim falls under: those whose window contains
    /// its time of loss, or the purchase or an increase of its coverage.
    function getClaimIncidents(uint256 claimId) external view returns (uint256[] memory indexes);

    /// @notice What a coverage may claim for a loss at `incidentAt`: for self-insured coverage, the
    /// amount in force at `incidentAt` that was bought before the `occurredAt` of every valid report
    /// whose window contains `incidentAt`, minus past payouts; for hedged coverage, amount minus past
    /// payouts (the upstream assessment decides).
    function insurableAmount(uint256 coverId, uint256 incidentAt) external view returns (uint256);

    /// @notice The v3 safeguards (see `setSafeguards`).
    function safeguards() external view returns (uint256 maxIncidentLookback, uint256 refileWindow);

    /// @notice The last second a claim may be filed on `coverId`: end + its claimGracePeriod (fixed at
    /// purchase) for self-insured coverage, or later while a denied claim may be re-filed.
    function claimDeadline(uint256 coverId) external view returns (uint256);

    /// @notice Self-insured exposure of `protocol` in `asset` (asset units), and the asset's largest one.
    function selfInsuredExposure(address protocol, address asset) external view returns (uint256 exposure, uint256 largest);

    function getCoverageDetails(uint256 coverId) external view returns (Coverage memory);

    function getClaim(uint256 claimId) external view returns (Claim memory);

    /// @notice Active coverage in `asset`, in asset units.
    function getTotalCoverage(address asset) external view returns (uint256);

    /// @notice Active self-insured coverage in `asset`, in asset units.
    function getSelfInsuredCoverage(address asset) external view returns (uint256);

    /// @notice The self-insurance pool of `asset` (excludes credited, unpaid payouts).
    function poolBalance(address asset) external view returns (uint256);

    /// @notice Payouts credited and not yet withdrawn: per account, and in total per asset.
    function creditedPayout(address account, address asset) external view returns (uint256);

    function totalCredited(address asset) external view returns (uint256);

    function creditedDeposit(address account) external view returns (uint256);

    /// @notice Active coverage of `protocol` in USD wad.
    function getProtocolExposure(address protocol) external view returns (uint256);

    function getProtocolRisk(address protocol) external view returns (ProtocolRisk memory);

    /// @notice The newest live coverage id of `protocol` (head of its live list; follow `prevCoverageId`).
    function latestProtocolCoverage(address protocol) external view returns (uint256);

    function parameters() external view returns (Parameters memory);

    function providerAdapter(uint8 providerId) external view returns (address adapter, bool active);

    function providerCount() external view returns (uint8);

    function stablecoins() external view returns (address[] memory);

    function isSupportedStablecoin(address asset) external view returns (bool);

    function isAgent(address beneficiary, address agent) external view returns (bool);

    function coverageCount() external view returns (uint256);

    function claimCount() external view returns (uint256);
}
