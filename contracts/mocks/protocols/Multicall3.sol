// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

// Multicall3's revert string is part of its ABI behaviour (callers match on it), so the string
// revert below is deliberate; its function names are the canonical ones.
/* solhint-disable gas-custom-errors */

/// @title Multicall3
/// @notice The read-batching contract every chain has at 0xcA11bde05977b3631167028862bE2a173976CA11,
/// for local chains that lack it. Same external ABI and behaviour as mds1/multicall `Multicall3`
/// (facts only, not code): `aggregate3` runs each call with `call`, returns `(success, returnData)`
/// per call and reverts the whole batch with "Multicall3: call failed" when a call that does not
/// allow failure fails; block views return the executing block's values.
/// @dev Holds no storage and no immutables, so its runtime bytecode can be placed at the canonical
/// address with `hardhat_setCode` (what the embedded chain and the tests do). Only the subset the
/// keeper and tests use is implemented (`aggregate`, `tryAggregate`, `aggregate3`, block views).
contract Multicall3 {
    /// @notice A call of `aggregate`.
    struct Call {
        address target;
        bytes callData;
    }

    /// @notice A call of `aggregate3`.
    struct Call3 {
        address target;
        bool allowFailure;
        bytes callData;
    }

    /// @notice One call's outcome.
    struct Result {
        bool success;
        bytes returnData;
    }

    /// @notice Runs every call; reverts if any fails.
    /// @param calls Targets and calldata.
    /// @return blockNumber The executing block.
    /// @return returnData Each call's return data.
    function aggregate(Call[] calldata calls) external payable returns (uint256 blockNumber, bytes[] memory returnData) {
        blockNumber = block.number;
        returnData = new bytes[](calls.length);
        for (uint256 i = 0; i < calls.length; ++i) {
            bool success;
            (success, returnData[i]) = calls[i].target.call(calls[i].callData);
            require(success, "Multicall3: call failed");
        }
    }

    /// @notice Runs every call; reverts on a failure only when `requireSuccess`.
    /// @param requireSuccess Whether any failure reverts the batch.
    /// @param calls Targets and calldata.
    /// @return returnData Each call's outcome.
    function tryAggregate(bool requireSuccess, Call[] calldata calls) public payable returns (Result[] memory returnData) {
        returnData = new Result[](calls.length);
        for (uint256 i = 0; i < calls.length; ++i) {
            (bool success, bytes memory data) = calls[i].target.call(calls[i].callData);
            if (requireSuccess) require(success, "Multicall3: call failed");
            returnData[i] = Result(success, data);
        }
    }

    /// @notice Runs every call; a failing call reverts the batch unless it allows failure.
    /// @param calls Targets, failure permission and calldata.
    /// @return returnData Each call's outcome.
    function aggregate3(Call3[] calldata calls) external payable returns (Result[] memory returnData) {
        returnData = new Result[](calls.length);
        for (uint256 i = 0; i < calls.length; ++i) {
            Call3 calldata c = calls[i];
            (bool success, bytes memory data) = c.target.call(c.callData);
            require(c.allowFailure || success, "Multicall3: call failed");
            returnData[i] = Result(success, data);
        }
    }

    /// @notice The executing block's number.
    /// @return blockNumber `block.number`.
    function getBlockNumber() external view returns (uint256 blockNumber) {
        blockNumber = block.number;
    }

    /// @notice The executing block's timestamp.
    /// @return timestamp `block.timestamp`.
    function getCurrentBlockTimestamp() external view returns (uint256 timestamp) {
        timestamp = block.timestamp;
    }

    /// @notice A recent block's hash.
    /// @param blockNumber The block.
    /// @return blockHash `blockhash(blockNumber)` (0 beyond the last 256 blocks).
    function getBlockHash(uint256 blockNumber) external view returns (bytes32 blockHash) {
        blockHash = blockhash(blockNumber);
    }

    /// @notice The chain id.
    /// @return chainid `block.chainid`.
    function getChainId() external view returns (uint256 chainid) {
        chainid = block.chainid;
    }

    /// @notice An account's ether balance.
    /// @param addr The account.
    /// @return balance Its balance in wei.
    function getEthBalance(address addr) external view returns (uint256 balance) {
        balance = addr.balance;
    }
}
