// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

// Chainlink's own names (`decimals`, `version`) and unindexed `updatedAt` follow the real ABI.
/* solhint-disable gas-indexed-events, immutable-vars-naming, const-name-snakecase */

/// @title MockChainlinkAggregator
/// @notice Test-only price feed with Chainlink's AggregatorV3Interface read surface
/// (`decimals`, `description`, `version`, `latestRoundData`) and `AnswerUpdated` as the real
/// aggregators emit it. Each `setAnswer` starts a new round at the given update time.
contract MockChainlinkAggregator {
    /// @notice Emitted on every new round (same shape as Chainlink's AggregatorInterface).
    /// @param current The new answer.
    /// @param roundId The new round.
    /// @param updatedAt The round's update time.
    event AnswerUpdated(int256 indexed current, uint256 indexed roundId, uint256 updatedAt);

    /// @notice Decimals of the answer (8 for the USD feeds).
    uint8 public immutable decimals;
    /// @notice Feed description, e.g. "USDC / USD".
    string public description;
    /// @notice Aggregator interface version.
    uint256 public constant version = 4;

    uint80 private _roundId;
    int256 private _answer;
    uint256 private _updatedAt;

    /// @notice A feed whose first round is `answer`, updated now.
    /// @param decimals_ Decimals of the answer.
    /// @param description_ Feed description.
    /// @param answer Initial answer, updated now.
    constructor(uint8 decimals_, string memory description_, int256 answer) {
        decimals = decimals_;
        description = description_;
        setAnswer(answer, block.timestamp);
    }

    /// @notice Starts a new round with `answer` updated at `updatedAt`.
    /// @param answer The new answer.
    /// @param updatedAt The round's update time (may be in the past, to model a stale feed).
    function setAnswer(int256 answer, uint256 updatedAt) public {
        ++_roundId;
        _answer = answer;
        _updatedAt = updatedAt;
        emit AnswerUpdated(answer, _roundId, updatedAt);
    }

    /// @notice The latest round, in AggregatorV3Interface's order.
    /// @return roundId The round.
    /// @return answer The answer.
    /// @return startedAt When the round started (its update time here).
    /// @return updatedAt When the answer was written.
    /// @return answeredInRound The round the answer was computed in.
    function latestRoundData()
        external
        view
        returns (uint80 roundId, int256 answer, uint256 startedAt, uint256 updatedAt, uint80 answeredInRound)
    {
        return (_roundId, _answer, _updatedAt, _updatedAt, _roundId);
    }
}
