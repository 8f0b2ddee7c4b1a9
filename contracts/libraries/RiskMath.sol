// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {Math} from "@openzeppelin/contracts/utils/math/Math.sol";

/// @title RiskMath
/// @notice Pure pricing and scoring math of the StablecoinInsuranceFund, kept apart so the keeper's
/// TypeScript mirror and the property tests have one definition to match.
library RiskMath {
    uint256 internal constant WEIGHT_TVL = 25; // percent
    uint256 internal constant WEIGHT_AUDIT = 20; // percent
    uint256 internal constant WEIGHT_TIME = 15; // percent
    uint256 internal constant WEIGHT_EXPLOIT = 25; // percent
    uint256 internal constant WEIGHT_TEAM = 15; // percent
    uint256 internal constant MAX_RISK = 100; // points
    uint256 internal constant UNSCORED_RISK = 90; // points, for a protocol never scored
    uint256 internal constant STALE_AFTER = 7 days; // seconds
    uint256 internal constant STALE_PENALTY = 10; // points
    uint256 internal constant BPS = 10_000; // basis points in 100%
    uint256 internal constant YEAR = 365 days; // seconds
    uint256 internal constant RISK_OFFSET = 50; // premium multiplier is (50 + risk) / 100

    /// @notice The original design's score: weighted sum / 100 (floor), 90 when never scored,
    /// +10 when older than 7 days (strictly), capped at 100.
    function riskScore(
        uint256 tvl,
        uint256 audit,
        uint256 time,
        uint256 exploit,
        uint256 team,
        uint256 lastUpdated,
        uint256 timestamp
    ) internal pure returns (uint256 score) {
        if (lastUpdated == 0) return UNSCORED_RISK;
        score = (tvl * WEIGHT_TVL + audit * WEIGHT_AUDIT + time * WEIGHT_TIME + exploit * WEIGHT_EXPLOIT
            + team * WEIGHT_TEAM) / 100;
        if (timestamp > lastUpdated + STALE_AFTER) score += STALE_PENALTY;
        if (score > MAX_RISK) score = MAX_RISK;
    }

    /// @notice amount × baseRate × duration / year × (50 + risk) / 100, rounded up.
    function premium(uint256 amount, uint256 duration, uint256 risk, uint256 baseRateBps)
        internal
        pure
        returns (uint256)
    {
        return Math.mulDiv(
            amount * baseRateBps, duration * (RISK_OFFSET + risk), BPS * YEAR * 100, Math.Rounding.Ceil
        );
    }

    /// @notice How many points one component may fall after `elapsed` seconds (floor).
    function allowedDecrease(uint256 maxPerDay, uint256 elapsed) internal pure returns (uint256) {
        return (maxPerDay * elapsed) / 1 days;
    }

    /// @notice Converts an amount of a token with `decimals` (≤ 18) to USD wad at $1 per token.
    function toWad(uint256 amount, uint8 decimals) internal pure returns (uint256) {
        return amount * 10 ** (18 - decimals);
    }

    /// @notice The pool needed to back `selfInsured` at `ratioBps`, rounded up.
    function requiredReserve(uint256 selfInsured, uint256 ratioBps) internal pure returns (uint256) {
        return Math.mulDiv(selfInsured, ratioBps, BPS, Math.Rounding.Ceil);
    }
}
