// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {Ownable} from "@openzeppelin/contracts/access/Ownable.sol";
import {ECDSA} from "@openzeppelin/contracts/utils/cryptography/ECDSA.sol";
import {MessageHashUtils} from "@openzeppelin/contracts/utils/cryptography/MessageHashUtils.sol";
import {INexusRegistry} from "../interfaces/nexus/INexusRegistry.sol";

/// @title MockNexusMutualRegistry
/// @notice Local stand-in for the membership and pause parts of the Nexus Mutual v3.1 `Registry`:
/// `join(member, signature)` with the exact `JOIN_FEE` forwarded to the Pool and the KYC signer's EIP-712
/// signature over `Join(address member)` (domain "NexusMutualRegistry" / "1.0.0" / chain id / this
/// contract), the same checks and errors in the same order, and the pause bitmap every module reads.
/// @dev Test controls: the owner sets the KYC signer, the Pool (fee receiver; the fee stays here while
/// unset), the pause bitmap, and may grant or revoke membership directly.
contract MockNexusMutualRegistry is INexusRegistry, Ownable {
    /// @inheritdoc INexusRegistry
    uint256 public constant JOIN_FEE = 0.002 ether;
    uint256 private constant PAUSE_GLOBAL = 1;
    uint256 private constant PAUSE_MEMBERSHIP = 1 << 3;
    bytes32 private constant JOIN_TYPEHASH = keccak256("Join(address member)");

    /// @notice EIP-712 domain separator of `join` signatures.
    bytes32 public immutable DOMAIN_SEPARATOR; // solhint-disable-line var-name-mixedcase

    mapping(address member => uint256 memberId) private _memberIds;
    mapping(address member => bool used) private _wasAddressUsedForJoining;
    uint256 private _lastMemberId;
    uint256 private _pauseConfig;
    address private _kycAuthAddress;
    /// @notice Receiver of join fees (the Nexus Pool).
    address public pool;

    constructor(address initialOwner) Ownable(initialOwner) {
        DOMAIN_SEPARATOR = keccak256(
            abi.encode(
                keccak256("EIP712Domain(string name,string version,uint256 chainId,address verifyingContract)"),
                keccak256(bytes("NexusMutualRegistry")),
                keccak256(bytes("1.0.0")),
                block.chainid,
                address(this)
            )
        );
    }

    /// @inheritdoc INexusRegistry
    function join(address member, bytes calldata signature) external payable {
        if (_pauseConfig & (PAUSE_MEMBERSHIP | PAUSE_GLOBAL) != 0) revert Paused(_pauseConfig, PAUSE_MEMBERSHIP);
        if (_memberIds[member] != 0) revert AlreadyMember();
        if (_wasAddressUsedForJoining[member]) revert AddressAlreadyUsedForJoining();
        if (msg.value != JOIN_FEE) revert InvalidJoinFee();

        if (pool != address(0)) {
            // solhint-disable-next-line avoid-low-level-calls
            (bool success,) = pool.call{value: JOIN_FEE}("");
            if (!success) revert FeeTransferFailed();
        }

        bytes32 digest = MessageHashUtils.toTypedDataHash(DOMAIN_SEPARATOR, keccak256(abi.encode(JOIN_TYPEHASH, member)));
        // (the real Registry uses OZ v4 `ECDSA.recover`, which reverts with a string on a malformed signature)
        (address signer, ECDSA.RecoverError error,) = ECDSA.tryRecover(digest, signature);
        if (error != ECDSA.RecoverError.NoError || signer != _kycAuthAddress || signer == address(0)) {
            revert InvalidSignature();
        }
        _wasAddressUsedForJoining[member] = true;
        _addMember(member);
    }

    /// @inheritdoc INexusRegistry
    function isMember(address member) external view returns (bool) {
        return _memberIds[member] != 0;
    }

    /// @inheritdoc INexusRegistry
    function getMemberId(address member) external view returns (uint256) {
        return _memberIds[member];
    }

    /// @inheritdoc INexusRegistry
    function getKycAuthAddress() external view returns (address) {
        return _kycAuthAddress;
    }

    /// @inheritdoc INexusRegistry
    function getPauseConfig() external view returns (uint256) {
        return _pauseConfig;
    }

    /// @notice The last member id handed out.
    function getLastMemberId() external view returns (uint256) {
        return _lastMemberId;
    }

    function _addMember(address member) private {
        uint256 memberId = ++_lastMemberId;
        _memberIds[member] = memberId;
        emit MembershipChanged(memberId, address(0), member);
    }

    // ---- test-only controls ----

    /// @notice Grants (`isMember_`) or revokes membership of `member` without a signature or fee.
    function mockNexusSetMember(address member, bool isMember_) external onlyOwner {
        uint256 previousId = _memberIds[member];
        if (isMember_ && previousId == 0) {
            _addMember(member);
        } else if (!isMember_ && previousId != 0) {
            delete _memberIds[member];
            emit MembershipChanged(previousId, member, address(0));
        }
    }

    /// @notice Sets the KYC signer whose signatures `join` accepts.
    function mockNexusSetKycAuthAddress(address signer) external onlyOwner {
        _kycAuthAddress = signer;
    }

    /// @notice Sets the join-fee receiver (the Pool).
    function mockNexusSetPool(address pool_) external onlyOwner {
        pool = pool_;
    }

    /// @notice Sets the pause bitmap (GLOBAL 1, MEMBERSHIP 8, ASSESSMENTS 16, CLAIMS 32, COVER 64).
    function mockNexusSetPauseConfig(uint256 config) external onlyOwner {
        _pauseConfig = config;
    }
}
