// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {INexusCoverNFT} from "../interfaces/nexus/INexusCoverNFT.sol";

/// @title MockNexusMutualCoverNFT
/// @notice Minimal stand-in for the Nexus Mutual cover NFT: ids from 1, operator-only mint without a
/// receiver check, `ownerOf` reverting `NotMinted`, owner/approved transfers.
contract MockNexusMutualCoverNFT is INexusCoverNFT {
    /// @notice The Cover contract, the only minter.
    address public immutable operator;

    mapping(uint256 id => address owner) private _ownerOf;
    mapping(address owner => uint256 count) private _balanceOf;
    mapping(uint256 id => address spender) public getApproved;
    mapping(address owner => mapping(address operator => bool approved)) public isApprovedForAll;
    uint256 private _totalSupply;

    event Transfer(address indexed from, address indexed to, uint256 indexed id);
    event Approval(address indexed owner, address indexed spender, uint256 indexed id);
    event ApprovalForAll(address indexed owner, address indexed operator, bool approved);

    constructor(address operator_) {
        operator = operator_;
    }

    /// @notice Mints the next id to `to` (operator only).
    function mint(address to) external returns (uint256 id) {
        if (msg.sender != operator) revert NotOperator();
        if (to == address(0)) revert InvalidRecipient();
        unchecked {
            // ids and balances cannot realistically overflow
            id = ++_totalSupply;
            _balanceOf[to]++;
        }
        _ownerOf[id] = to;
        emit Transfer(address(0), to, id);
    }

    /// @notice Approves `spender` for `id`.
    function approve(address spender, uint256 id) external {
        address owner = ownerOf(id);
        if (msg.sender != owner && !isApprovedForAll[owner][msg.sender]) revert NotAuthorized();
        getApproved[id] = spender;
        emit Approval(owner, spender, id);
    }

    /// @notice Approves or revokes `spender` for all of the caller's NFTs.
    function setApprovalForAll(address spender, bool approved) external {
        isApprovedForAll[msg.sender][spender] = approved;
        emit ApprovalForAll(msg.sender, spender, approved);
    }

    /// @notice Moves `id` from `from` to `to`.
    function transferFrom(address from, address to, uint256 id) external {
        if (from != ownerOf(id)) revert WrongFrom();
        if (to == address(0)) revert InvalidRecipient();
        if (msg.sender != from && !isApprovedForAll[from][msg.sender] && msg.sender != getApproved[id]) {
            revert NotAuthorized();
        }
        unchecked {
            // `from` owns `id`, so its balance is at least 1
            _balanceOf[from]--;
            _balanceOf[to]++;
        }
        _ownerOf[id] = to;
        delete getApproved[id];
        emit Transfer(from, to, id);
    }

    /// @inheritdoc INexusCoverNFT
    function ownerOf(uint256 id) public view returns (address owner) {
        owner = _ownerOf[id];
        if (owner == address(0)) revert NotMinted();
    }

    /// @notice Number of NFTs held by `owner`.
    function balanceOf(address owner) external view returns (uint256) {
        return _balanceOf[owner];
    }

    /// @inheritdoc INexusCoverNFT
    function isApprovedOrOwner(address spender, uint256 tokenId) external view returns (bool) {
        address owner = ownerOf(tokenId);
        return spender == owner || isApprovedForAll[owner][spender] || spender == getApproved[tokenId];
    }

    /// @inheritdoc INexusCoverNFT
    function totalSupply() external view returns (uint256) {
        return _totalSupply;
    }
}
