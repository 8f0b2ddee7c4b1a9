// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

/// @title INexusRegistry
/// @notice Membership and pause reads of the Nexus Mutual v3 `Registry`.
/// @dev Verified against `@nexusmutual/deployments@3.4.0` `dist/data/abis/Registry.json` (mainnet
/// 0xcafea2c575550512582090AA06d0a069E7236b9e) and NexusMutual/smart-contracts v3.1.0
/// `contracts/modules/governance/Registry.sol`, `contracts/abstract/EIP712.sol`,
/// `contracts/abstract/RegistryAware.sol`:
/// - `join(member, signature)` is payable, callable by anyone for `member`, needs
///   `msg.value == JOIN_FEE` (0.002 ether, `InvalidJoinFee`), forwards the fee to the Pool, and an EIP-712
///   signature of the Nexus KYC signer (`getKycAuthAddress()`) over `Join(address member)` in the domain
///   `("NexusMutualRegistry", "1.0.0", chainid, verifyingContract)` (`InvalidSignature`); an address joins
///   once (`AlreadyMember`, `AddressAlreadyUsedForJoining`); blocked by the membership pause;
/// - every Nexus module checks `registry.getPauseConfig()` against its pause bit OR the global bit and
///   reverts `Paused(config, mask)`: GLOBAL 1, MEMBERSHIP 8, ASSESSMENTS 16, CLAIMS 32, COVER 64.
///   The adapter contract must be a member before it can buy cover or claim.
interface INexusRegistry {
    /// @notice Emitted when a membership is created, switched or removed.
    event MembershipChanged(uint256 indexed memberId, address indexed previous, address indexed current);

    error AddressAlreadyUsedForJoining();
    error AlreadyMember();
    error FeeTransferFailed();
    error InvalidJoinFee();
    error InvalidSignature();
    error Paused(uint256 currentState, uint256 checks);

    /// @notice Makes `member` a Nexus member; `msg.value` must equal `JOIN_FEE`.
    /// @param member The address joining (need not be the caller).
    /// @param signature The Nexus KYC signer's EIP-712 signature over `Join(address member)`.
    function join(address member, bytes calldata signature) external payable;

    /// @notice The membership fee (0.002 ether on mainnet), sent to the Pool.
    function JOIN_FEE() external view returns (uint256); // solhint-disable-line func-name-mixedcase

    /// @notice Whether `member` is a Nexus Mutual member.
    function isMember(address member) external view returns (bool);

    /// @notice The member id of `member` (0 when not a member).
    function getMemberId(address member) external view returns (uint256);

    /// @notice The address whose EIP-712 signature admits members.
    function getKycAuthAddress() external view returns (address);

    /// @notice The current pause bitmap (0 = nothing paused).
    function getPauseConfig() external view returns (uint256);
}
