import { loadFixture } from "@nomicfoundation/hardhat-network-helpers";
import { expect } from "chai";
import { ethers } from "hardhat";

import { namedSigners } from "../../helpers/signers";

const FEE_BPS = 100n; // 1%
const UNIT = 10n ** 6n;

describe("MockFeeOnTransferToken", () => {
  async function deployFeeToken() {
    const { alice, bob, spender, collector } = await namedSigners("alice", "bob", "spender", "collector");
    const token = await ethers.deployContract("MockFeeOnTransferToken", [
      "Fee USD",
      "fUSD",
      6,
      FEE_BPS,
      collector.address,
    ]);
    await token.mint(alice.address, 1_000n * UNIT);
    return { token, alice, bob, spender, collector };
  }

  it("uses the decimals it was deployed with", async () => {
    const { token } = await loadFixture(deployFeeToken);
    expect(await token.decimals()).to.equal(6n);
    const eighteen = await ethers.deployContract("MockFeeOnTransferToken", ["F", "F", 18, 0, ethers.ZeroAddress]);
    expect(await eighteen.decimals()).to.equal(18n);
  });

  it("delivers amount minus the fee and sends the fee to the collector", async () => {
    const { token, alice, bob, collector } = await loadFixture(deployFeeToken);
    await expect(token.connect(alice).transfer(bob.address, 100n * UNIT)).to.changeTokenBalances(
      token,
      [alice, bob, collector],
      [-100n * UNIT, 99n * UNIT, 1n * UNIT],
    );
    expect(await token.totalSupply()).to.equal(1_000n * UNIT);
  });

  it("burns the fee when the collector is the zero address", async () => {
    const { token, alice, bob } = await loadFixture(deployFeeToken);
    await expect(token.setFee(250n, ethers.ZeroAddress))
      .to.emit(token, "FeeChanged")
      .withArgs(250n, ethers.ZeroAddress);
    await token.connect(alice).transfer(bob.address, 100n * UNIT);
    expect(await token.balanceOf(bob.address)).to.equal(97_500_000n);
    expect(await token.totalSupply()).to.equal(1_000n * UNIT - 2_500_000n);
  });

  it("takes the fee on transferFrom and spends the full amount of allowance", async () => {
    const { token, alice, bob, spender, collector } = await loadFixture(deployFeeToken);
    await token.connect(alice).approve(spender.address, 300n * UNIT);
    await token.connect(spender).transferFrom(alice.address, bob.address, 200n * UNIT);
    expect(await token.balanceOf(bob.address)).to.equal(198n * UNIT);
    expect(await token.balanceOf(collector.address)).to.equal(2n * UNIT);
    expect(await token.allowance(alice.address, spender.address)).to.equal(100n * UNIT);
  });

  it("rounds the fee down", async () => {
    const { token } = await loadFixture(deployFeeToken);
    expect(await token.feeOn(99n)).to.equal(0n);
    expect(await token.feeOn(100n)).to.equal(1n);
    expect(await token.feeOn(12_345n)).to.equal(123n);
  });

  it("charges nothing on mint and burn", async () => {
    const { token, alice, collector } = await loadFixture(deployFeeToken);
    await token.mint(alice.address, 10n * UNIT);
    await token.burn(alice.address, 5n * UNIT);
    expect(await token.balanceOf(alice.address)).to.equal(1_005n * UNIT);
    expect(await token.balanceOf(collector.address)).to.equal(0n);
  });

  it("with a zero fee behaves like a plain ERC-20", async () => {
    const { token, alice, bob } = await loadFixture(deployFeeToken);
    await token.setFee(0n, ethers.ZeroAddress);
    await token.connect(alice).transfer(bob.address, 100n * UNIT);
    expect(await token.balanceOf(bob.address)).to.equal(100n * UNIT);
  });

  it("rejects a fee above 100% in setFee and in the constructor", async () => {
    const { token } = await loadFixture(deployFeeToken);
    await expect(token.setFee(10_001n, ethers.ZeroAddress))
      .to.be.revertedWithCustomError(token, "FeeOnTransferFeeTooHigh")
      .withArgs(10_001n, 10_000n);
    const factory = await ethers.getContractFactory("MockFeeOnTransferToken");
    await expect(factory.deploy("F", "F", 6, 10_001n, ethers.ZeroAddress))
      .to.be.revertedWithCustomError(factory, "FeeOnTransferFeeTooHigh")
      .withArgs(10_001n, 10_000n);
  });

  it("reverts with OpenZeppelin's custom error on insufficient balance", async () => {
    const { token, alice, bob } = await loadFixture(deployFeeToken);
    await expect(token.connect(bob).transfer(alice.address, 1n))
      .to.be.revertedWithCustomError(token, "ERC20InsufficientBalance")
      .withArgs(bob.address, 0n, 1n);
  });
});
