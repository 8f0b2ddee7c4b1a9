// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {ERC20} from "@openzeppelin/contracts/token/ERC20/ERC20.sol";

/// @title MockReentrantToken
/// @notice Test-only 6-decimal ERC20 whose `transfer`/`transferFrom` call back into a target (the
/// fund) with preset calldata before moving tokens. The callback's result is recorded, not
/// bubbled, so a test can read what the re-entry got (`lastReentryData`) and show by balances
/// that the outer call moved tokens exactly once.
contract MockReentrantToken is ERC20 {
    address public reentryTarget;
    bytes public reentryCall;
    bool public armed;
    uint256 public reentryAttempts;
    bool public lastReentrySucceeded;
    bytes public lastReentryData;

    constructor() ERC20("Reentrant USD", "rUSD") {}

    function decimals() public pure override returns (uint8) {
        return 6;
    }

    function mint(address to, uint256 amount) external {
        _mint(to, amount);
    }

    /// @notice Test-only: destroys tokens held by anyone.
    function burn(address from, uint256 amount) external {
        _burn(from, amount);
    }

    /// @notice Arms the callback: the next transfer calls `target` with `data` once (then disarms).
    function arm(address target, bytes calldata data) external {
        reentryTarget = target;
        reentryCall = data;
        armed = true;
    }

    function transfer(address to, uint256 value) public override returns (bool) {
        _reenter();
        return super.transfer(to, value);
    }

    function transferFrom(address from, address to, uint256 value) public override returns (bool) {
        _reenter();
        return super.transferFrom(from, to, value);
    }

    function _reenter() private {
        if (!armed) return;
        armed = false;
        ++reentryAttempts;
        (bool ok, bytes memory ret) = reentryTarget.call(reentryCall);
        lastReentrySucceeded = ok;
        lastReentryData = ret;
    }
}
