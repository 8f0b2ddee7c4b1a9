// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {ERC20} from "@openzeppelin/contracts/token/ERC20/ERC20.sol";

/// @title MockFeeOnTransferToken
/// @notice Test-only ERC-20 that skims a fee from every transfer, so the receiver gets less than
/// `amount` (STA/PAXG-style, or USDT if Tether ever switched its fee on). Contracts that trust
/// `amount` instead of measuring their balance delta get the accounting wrong.
/// @dev The fee is taken on `transfer` and `transferFrom` (not on mint/burn). The sender is debited
/// the full `amount`; the fee is burned when `feeCollector` is the zero address, otherwise sent to
/// it. `transferFrom` spends the full `amount` of allowance. Reverts are OpenZeppelin's ERC-6093
/// custom errors.
contract MockFeeOnTransferToken is ERC20 {
    /// @notice The largest fee: the whole amount.
    uint256 public constant MAX_FEE_BPS = 10_000; // basis points (100%)

    uint8 private immutable _DECIMALS;

    /// @notice The fee taken from each transfer.
    uint256 public feeBps; // basis points of the transferred amount

    /// @notice Where fees go; the zero address burns them.
    address public feeCollector;

    /// @notice The fee exceeds 100%.
    error FeeOnTransferFeeTooHigh(uint256 requestedFeeBps, uint256 maxFeeBps);

    /// @notice The fee or its destination changed.
    /// @param newFeeBps The fee in basis points.
    /// @param newFeeCollector Where fees go (zero address: burned).
    event FeeChanged(uint256 indexed newFeeBps, address indexed newFeeCollector);

    /// @notice Deploys the token with its decimals and initial fee; no supply is minted.
    /// @param name_ The token name.
    /// @param symbol_ The token symbol.
    /// @param decimals_ The token decimals.
    /// @param feeBps_ The initial fee in basis points.
    /// @param feeCollector_ Where fees go (zero address: burned).
    constructor(string memory name_, string memory symbol_, uint8 decimals_, uint256 feeBps_, address feeCollector_)
        ERC20(name_, symbol_)
    {
        _DECIMALS = decimals_;
        _setFee(feeBps_, feeCollector_);
    }

    /// @notice Test-only: changes the fee and where it goes.
    /// @param newFeeBps The fee in basis points, at most `MAX_FEE_BPS`.
    /// @param newFeeCollector Where fees go (zero address: burned).
    function setFee(uint256 newFeeBps, address newFeeCollector) external {
        _setFee(newFeeBps, newFeeCollector);
    }

    /// @notice Test-only: credits `amount` to `to`, fee-free.
    /// @param to The receiver.
    /// @param amount The amount in token units.
    function mint(address to, uint256 amount) external {
        _mint(to, amount);
    }

    /// @notice Test-only: destroys `amount` held by `from`, fee-free.
    /// @param from The holder.
    /// @param amount The amount in token units.
    function burn(address from, uint256 amount) external {
        _burn(from, amount);
    }

    /// @notice The fee taken from a transfer of `amount` (rounded down).
    /// @param amount The transferred amount in token units.
    /// @return The fee in token units.
    function feeOn(uint256 amount) public view returns (uint256) {
        return (amount * feeBps) / MAX_FEE_BPS;
    }

    /// @inheritdoc ERC20
    function decimals() public view override returns (uint8) {
        return _DECIMALS;
    }

    /// @dev Splits every holder-to-holder move into `value - fee` to the receiver and `fee` to the
    /// collector (or burned); mints and burns pass through untouched.
    function _update(address from, address to, uint256 value) internal override {
        if (from == address(0) || to == address(0)) {
            super._update(from, to, value);
            return;
        }
        uint256 fee = feeOn(value);
        super._update(from, to, value - fee);
        if (fee != 0) super._update(from, feeCollector, fee);
    }

    function _setFee(uint256 newFeeBps, address newFeeCollector) private {
        if (newFeeBps > MAX_FEE_BPS) revert FeeOnTransferFeeTooHigh(newFeeBps, MAX_FEE_BPS);
        feeBps = newFeeBps;
        feeCollector = newFeeCollector;
        emit FeeChanged(newFeeBps, newFeeCollector);
    }
}
