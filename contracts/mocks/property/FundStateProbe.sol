// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";

import {IStablecoinInsuranceFund} from "../../interfaces/IStablecoinInsuranceFund.sol";

/// @title FundStateProbe
/// @notice Test-only: reads everything the property tests check after a step in one `eth_call`,
/// recomputes the active-coverage sums from the coverage records themselves, and hashes the
/// whole observable state into a digest (equal digests = no observable change).
contract FundStateProbe {
    /// @notice Per asset: the fund's token balance, its books, and the sums recomputed from the
    /// coverage records (`summedActive`, `summedSelfInsured`).
    struct AssetState {
        uint256 balance;
        uint256 pool;
        uint256 credited;
        uint256 pending; // accepted self-insured payouts not yet settled or vetoed
        uint256 openClaims; // pending self-insured claim amounts
        uint256 required; // reserveStatus(asset).required
        uint256 active;
        uint256 selfInsured;
        uint256 summedActive;
        uint256 summedSelfInsured;
    }

    /// @notice Per protocol: tracked exposure (USD wad) and the sum recomputed from the records.
    struct ProtocolState {
        uint256 exposure;
        uint256 summedExposure;
    }

    struct Snapshot {
        AssetState[] assets;
        ProtocolState[] protocols;
        uint256[] accountBalances; // account-major: accounts[i] × assets[j] at i * assets.length + j
        uint256[] creditedPayouts; // same layout
        uint256[] creditedDeposits; // per account
        uint256 coverageCount;
        uint256 claimCount;
        uint256 ethBalance;
        bool paused;
        bytes32 digest;
    }

    /// @notice Reads a snapshot; `decimals[j]` are the decimals of `assets[j]`.
    function read(
        IStablecoinInsuranceFund fund,
        address[] calldata assets,
        uint8[] calldata decimals,
        address[] calldata protocols,
        address[] calldata accounts
    ) external view returns (Snapshot memory s) {
        s.assets = new AssetState[](assets.length);
        s.protocols = new ProtocolState[](protocols.length);
        s.coverageCount = fund.coverageCount();
        s.claimCount = fund.claimCount();
        bytes32 digest;
        for (uint256 id = 1; id <= s.coverageCount; ++id) {
            IStablecoinInsuranceFund.Coverage memory c = fund.getCoverageDetails(id);
            digest = keccak256(abi.encode(digest, c));
            if (c.status != IStablecoinInsuranceFund.CoverageStatus.Active) continue;
            for (uint256 j; j < assets.length; ++j) {
                if (assets[j] != c.asset) continue;
                s.assets[j].summedActive += c.amount;
                if (c.providerId == 0) s.assets[j].summedSelfInsured += c.amount;
                for (uint256 p; p < protocols.length; ++p) {
                    if (protocols[p] == c.protocol) s.protocols[p].summedExposure += c.amount * 10 ** (18 - decimals[j]);
                }
            }
        }
        for (uint256 id = 1; id <= s.claimCount; ++id) {
            digest = keccak256(abi.encode(digest, fund.getClaim(id)));
        }
        for (uint256 j; j < assets.length; ++j) {
            AssetState memory a = s.assets[j];
            a.balance = IERC20(assets[j]).balanceOf(address(fund));
            a.pool = fund.poolBalance(assets[j]);
            a.credited = fund.totalCredited(assets[j]);
            a.active = fund.getTotalCoverage(assets[j]);
            a.selfInsured = fund.getSelfInsuredCoverage(assets[j]);
            IStablecoinInsuranceFund.AssetBook memory book = fund.getAssetBook(assets[j]);
            a.pending = book.pending;
            a.openClaims = book.openClaims;
            (, a.required,) = fund.reserveStatus(assets[j]);
        }
        for (uint256 p; p < protocols.length; ++p) {
            s.protocols[p].exposure = fund.getProtocolExposure(protocols[p]);
            digest = keccak256(abi.encode(digest, fund.getProtocolRisk(protocols[p]), fund.getIncident(protocols[p])));
        }
        s.accountBalances = new uint256[](accounts.length * assets.length);
        s.creditedPayouts = new uint256[](accounts.length * assets.length);
        s.creditedDeposits = new uint256[](accounts.length);
        for (uint256 i; i < accounts.length; ++i) {
            for (uint256 j; j < assets.length; ++j) {
                s.accountBalances[i * assets.length + j] = IERC20(assets[j]).balanceOf(accounts[i]);
                s.creditedPayouts[i * assets.length + j] = fund.creditedPayout(accounts[i], assets[j]);
            }
            s.creditedDeposits[i] = fund.creditedDeposit(accounts[i]);
        }
        s.ethBalance = address(fund).balance;
        (bool ok, bytes memory ret) = address(fund).staticcall(abi.encodeWithSignature("paused()"));
        s.paused = ok && abi.decode(ret, (bool));
        s.digest = keccak256(
            abi.encode(
                digest,
                s.assets,
                s.protocols,
                s.accountBalances,
                s.creditedPayouts,
                s.creditedDeposits,
                s.ethBalance,
                s.paused,
                fund.parameters()
            )
        );
    }
}
