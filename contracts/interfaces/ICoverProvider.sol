// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

/// @title ICoverProvider
/// @notice The seam between the StablecoinInsuranceFund and one upstream cover market (Nexus Mutual,
/// a secondary provider, ...). An adapter holds the upstream cover in its own name and forwards
/// payouts to the fund.
/// @dev Token flow: before `buyCover`/`renewCover` the fund approves the adapter for `maxPremium` of
/// `asset`; the adapter pulls what it needs (at most `maxPremium`), pays upstream, and sends back any
/// unused amount before returning. The fund measures its own balance delta and never trusts the
/// returned `premiumPaid` alone. Payouts and returned claim deposits are pushed to the fund.
/// @dev Warning: the fund trusts a registered adapter to:
/// - actually hold the upstream cover it reports (the fund cannot verify an off-chain quote);
/// - report claim outcomes truthfully through `claimStatus` (the fund only credits what it receives);
/// - forward every payout and returned deposit to the fund, never to a third party.
/// @dev Warning: only the fund may call the state-changing functions; an adapter MUST revert with
/// `CoverProviderOnlyFund` for any other caller.
interface ICoverProvider {
    /// @notice Lifecycle of an upstream claim as the fund sees it.
    enum ClaimStatus {
        None, // unknown claim id
        Pending, // submitted, being assessed (voting, cooldown)
        Accepted, // payout approved and redeemable now
        Denied, // rejected; the deposit (if any) is lost
        Draw, // no decision; the deposit can be retrieved
        Redeemed, // payout already redeemed
        Expired // accepted, but the redemption window passed
    }

    /// @notice The caller is not the fund this adapter serves.
    error CoverProviderOnlyFund(address caller);

    /// @notice The upstream market cannot cover `amount` for this protocol right now.
    error CoverProviderInsufficientCapacity(uint256 requested, uint256 available);

    /// @notice The fund this adapter serves; the only caller allowed to change state.
    function fund() external view returns (address);

    /// @notice Whether this provider can cover `asset` for `protocol` at all (mapping configured).
    function isSupported(address protocol, address asset) external view returns (bool);

    /// @notice Buys upstream cover held by the adapter on the fund's behalf.
    /// @param protocol The covered protocol (mapped by the adapter to an upstream product).
    /// @param asset The stablecoin the cover pays out in.
    /// @param amount The covered amount, in `asset` units.
    /// @param period The cover period in seconds.
    /// @param maxPremium The most the adapter may pull from the fund, in `asset` units.
    /// @param coverData Provider-specific data (for Nexus: the off-chain quote's pool allocations).
    /// @return providerCoverId The upstream cover id.
    /// @return premiumPaid The premium actually paid upstream, in `asset` units.
    function buyCover(
        address protocol,
        address asset,
        uint256 amount,
        uint256 period,
        uint256 maxPremium,
        bytes calldata coverData
    ) external returns (uint256 providerCoverId, uint256 premiumPaid);

    /// @notice Extends (and possibly resizes) an upstream cover. May return a new upstream id
    /// (Nexus edits mint a new cover linked to the original).
    /// @param providerCoverId The upstream cover to renew.
    /// @param amount The new covered amount, in `asset` units.
    /// @param period The new period in seconds, counted from now.
    /// @param maxPremium The most the adapter may pull from the fund, in `asset` units.
    /// @param coverData Provider-specific data (a fresh quote).
    /// @return newProviderCoverId The upstream id to use from now on.
    /// @return premiumPaid The premium actually paid upstream, in `asset` units.
    function renewCover(
        uint256 providerCoverId,
        address protocol,
        address asset,
        uint256 amount,
        uint256 period,
        uint256 maxPremium,
        bytes calldata coverData
    ) external returns (uint256 newProviderCoverId, uint256 premiumPaid);

    /// @notice The ETH deposit `submitClaim` needs for a claim of `amount` on `providerCoverId`.
    function claimDeposit(uint256 providerCoverId, uint256 amount) external view returns (uint256);

    /// @notice The window in which a claim on `providerCoverId` may be filed (unix seconds, inclusive).
    function claimWindow(uint256 providerCoverId) external view returns (uint256 earliest, uint256 latest);

    /// @notice Files an upstream claim. `msg.value` must equal `claimDeposit(providerCoverId, amount)`.
    /// @param evidence The claimant's evidence bytes as passed to the fund. A provider may require a
    /// format (Nexus: a 34-byte CIDv0 multihash of the claim proof first) and ignore the rest.
    /// @return providerClaimId The upstream claim id.
    function submitClaim(uint256 providerCoverId, uint256 amount, bytes calldata evidence)
        external
        payable
        returns (uint256 providerClaimId);

    /// @notice The current outcome of an upstream claim.
    /// @return status The claim status.
    /// @return payout The approved payout in the cover asset (0 unless Accepted or Redeemed).
    /// @return redeemableUntil End of the redemption window (0 when not applicable).
    function claimStatus(uint256 providerClaimId)
        external
        view
        returns (ClaimStatus status, uint256 payout, uint256 redeemableUntil);

    /// @notice Redeems an accepted claim; sends the payout (in the cover asset) and the returned
    /// deposit (in ETH) to the fund.
    /// @return payout The amount of the cover asset sent to the fund.
    /// @return depositReturned The ETH sent back to the fund.
    function redeemPayout(uint256 providerClaimId) external returns (uint256 payout, uint256 depositReturned);

    /// @notice Retrieves the deposit of a claim that ended in a draw; sends the ETH to the fund. MUST
    /// succeed once per draw claim even if someone else already retrieved the deposit upstream (the
    /// adapter then forwards the deposit it received), so a draw can always be settled.
    /// @return depositReturned The ETH sent back to the fund.
    function retrieveDeposit(uint256 providerClaimId) external returns (uint256 depositReturned);
}
