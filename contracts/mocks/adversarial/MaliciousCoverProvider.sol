// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";

import {ICoverProvider} from "../../interfaces/ICoverProvider.sol";

/// @notice The burn hook of the test tokens (MockUSDC, MockReentrantToken): destroys tokens held by anyone.
interface IBurnableTestToken {
    function burn(address from, uint256 amount) external;
}

/// @title MaliciousCoverProvider
/// @notice Test-only ICoverProvider that misbehaves on demand: re-enters the fund, pulls more than
/// allowed, returns no cover, lies about claim outcomes and payouts, sends unexpected ETH. Used to
/// show each attack fails or is contained by the fund's balance-delta accounting.
contract MaliciousCoverProvider is ICoverProvider {
    enum Attack {
        None, // behaves: pulls `premiumBps` of maxPremium, holds "cover" 1
        ReenterOnBuy, // buyCover calls `reentryTarget` with `reentryData` and bubbles its revert
        PullMoreThanAllowed, // buyCover pulls maxPremium + 1 through the allowance
        BurnFromFund, // buyCover pulls maxPremium, then burns 1 more from the fund (a lax token)
        NoCover, // buyCover pulls nothing and returns cover id 0
        ReenterOnRedeem // redeemPayout calls `reentryTarget` with `reentryData` and bubbles its revert
    }

    error MaliciousReentryFailed(bytes reason);
    error MaliciousEthPushFailed();

    address public immutable fund;
    Attack public attack;
    address public reentryTarget;
    bytes public reentryData;
    /// @notice What `claimStatus` reports and what `redeemPayout` really sends (asset units) and
    /// how much ETH it pushes to the fund with it.
    ClaimStatus public reportedStatus = ClaimStatus.Pending;
    uint256 public reportedPayout;
    uint256 public sentPayout;
    uint256 public sentEth;
    address public payoutAsset;

    constructor(address fund_) {
        fund = fund_;
    }

    receive() external payable {}

    // ---- test controls

    function setAttack(Attack attack_, address target, bytes calldata data) external {
        attack = attack_;
        reentryTarget = target;
        reentryData = data;
    }

    function setClaimOutcome(ClaimStatus status, uint256 reported, uint256 sent, uint256 ethSent, address asset) external {
        reportedStatus = status;
        reportedPayout = reported;
        sentPayout = sent;
        sentEth = ethSent;
        payoutAsset = asset;
    }

    /// @notice Pushes ETH to `to` outside any flow (the fund must refuse it from strangers).
    function pushEth(address to) external payable {
        (bool ok, bytes memory reason) = to.call{value: msg.value}("");
        if (!ok) revert MaliciousReentryFailed(reason);
    }

    // ---- ICoverProvider

    function isSupported(address, address) external pure returns (bool) {
        return true;
    }

    function buyCover(address, address asset, uint256, uint256, uint256 maxPremium, bytes calldata)
        external
        returns (uint256 providerCoverId, uint256 premiumPaid)
    {
        return _buy(asset, maxPremium);
    }

    function renewCover(uint256, address, address asset, uint256, uint256, uint256 maxPremium, bytes calldata)
        external
        returns (uint256 newProviderCoverId, uint256 premiumPaid)
    {
        return _buy(asset, maxPremium);
    }

    function claimDeposit(uint256, uint256) external pure returns (uint256) {
        return 0;
    }

    function claimWindow(uint256) external pure returns (uint256 earliest, uint256 latest) {
        return (0, type(uint256).max);
    }

    function submitClaim(uint256, uint256, bytes calldata) external payable returns (uint256 providerClaimId) {
        return 1;
    }

    function claimStatus(uint256) external view returns (ClaimStatus status, uint256 payout, uint256 redeemableUntil) {
        return (reportedStatus, reportedPayout, type(uint256).max);
    }

    function redeemPayout(uint256) external returns (uint256 payout, uint256 depositReturned) {
        if (attack == Attack.ReenterOnRedeem) _reenter();
        if (sentPayout != 0) IERC20(payoutAsset).transfer(fund, sentPayout);
        if (sentEth != 0) {
            (bool ok,) = fund.call{value: sentEth}("");
            if (!ok) revert MaliciousEthPushFailed();
        }
        // lies: reports the claimed payout whatever it sent
        return (reportedPayout, sentEth);
    }

    function retrieveDeposit(uint256) external pure returns (uint256) {
        return 0;
    }

    function _buy(address asset, uint256 maxPremium) private returns (uint256, uint256) {
        Attack a = attack;
        if (a == Attack.ReenterOnBuy) _reenter();
        if (a == Attack.NoCover) return (0, maxPremium); // claims it paid, pulled nothing
        uint256 pull = a == Attack.PullMoreThanAllowed ? maxPremium + 1 : maxPremium / 2;
        if (a == Attack.BurnFromFund) pull = maxPremium;
        IERC20(asset).transferFrom(fund, address(this), pull);
        if (a == Attack.BurnFromFund) IBurnableTestToken(asset).burn(fund, 1);
        return (1, 0); // lies about the price it paid
    }

    function _reenter() private {
        (bool ok, bytes memory reason) = reentryTarget.call(reentryData);
        if (!ok) {
            assembly ("memory-safe") {
                revert(add(reason, 32), mload(reason))
            }
        }
    }
}
