import { loadFixture } from "@nomicfoundation/hardhat-network-helpers";
import { expect } from "chai";
import { ethers } from "hardhat";

import { namedSigners } from "../../helpers/signers";

const UNIT = 10n ** 6n;

/** OpenZeppelin SafeERC20 against the quirky token mocks, next to a plain bool-decoding call. */
describe("SafeERC20Caller with the token mocks", () => {
  async function deployCallerAndTokens() {
    const { holder, receiver } = await namedSigners("holder", "receiver");
    const caller = await ethers.deployContract("SafeERC20Caller");
    const usdt = await ethers.deployContract("MockUSDT");
    const usdc = await ethers.deployContract("MockUSDC");
    const dai = await ethers.deployContract("MockDAI");
    const callerAddress = await caller.getAddress();
    for (const token of [usdt, usdc, dai]) {
      await token.mint(callerAddress, 100n * UNIT);
      await token.mint(holder.address, 100n * UNIT);
    }
    return { caller, callerAddress, usdt, usdc, dai, holder, receiver };
  }

  describe("MockUSDT (no return values)", () => {
    it("safeTransfer succeeds", async () => {
      const { caller, usdt, receiver } = await loadFixture(deployCallerAndTokens);
      await caller.safeTransfer(await usdt.getAddress(), receiver.address, 10n * UNIT);
      expect(await usdt.balanceOf(receiver.address)).to.equal(10n * UNIT);
    });

    it("safeTransferFrom succeeds", async () => {
      const { caller, callerAddress, usdt, holder, receiver } = await loadFixture(deployCallerAndTokens);
      await usdt.connect(holder).approve(callerAddress, 10n * UNIT);
      await caller.safeTransferFrom(await usdt.getAddress(), holder.address, receiver.address, 10n * UNIT);
      expect(await usdt.balanceOf(receiver.address)).to.equal(10n * UNIT);
      expect(await usdt.allowance(holder.address, callerAddress)).to.equal(0n);
    });

    it("safeTransfer bubbles the token's (empty) revert on insufficient balance", async () => {
      const { caller, usdt, receiver } = await loadFixture(deployCallerAndTokens);
      await expect(
        caller.safeTransfer(await usdt.getAddress(), receiver.address, 101n * UNIT),
      ).to.be.revertedWithoutReason();
    });

    it("forceApprove changes a non-zero allowance where a plain approve reverts", async () => {
      const { caller, callerAddress, usdt, receiver } = await loadFixture(deployCallerAndTokens);
      const usdtAddress = await usdt.getAddress();
      await caller.forceApprove(usdtAddress, receiver.address, 5n * UNIT);
      expect(await usdt.allowance(callerAddress, receiver.address)).to.equal(5n * UNIT);

      await expect(caller.plainApprove(usdtAddress, receiver.address, 7n * UNIT)).to.be.revertedWithoutReason();

      await caller.forceApprove(usdtAddress, receiver.address, 7n * UNIT);
      expect(await usdt.allowance(callerAddress, receiver.address)).to.equal(7n * UNIT);
    });

    it("a plain IERC20.transfer expecting a bool reverts and moves nothing", async () => {
      const { caller, callerAddress, usdt, receiver } = await loadFixture(deployCallerAndTokens);
      await expect(
        caller.plainTransfer(await usdt.getAddress(), receiver.address, 10n * UNIT),
      ).to.be.revertedWithoutReason();
      expect(await usdt.balanceOf(receiver.address)).to.equal(0n);
      expect(await usdt.balanceOf(callerAddress)).to.equal(100n * UNIT);
    });
  });

  describe("bool-returning tokens (controls)", () => {
    it("a plain IERC20.transfer works with MockDAI and MockUSDC", async () => {
      const { caller, dai, usdc, receiver } = await loadFixture(deployCallerAndTokens);
      await caller.plainTransfer(await dai.getAddress(), receiver.address, 10n * UNIT);
      await caller.plainTransfer(await usdc.getAddress(), receiver.address, 10n * UNIT);
      expect(await dai.balanceOf(receiver.address)).to.equal(10n * UNIT);
      expect(await usdc.balanceOf(receiver.address)).to.equal(10n * UNIT);
    });

    it("safeTransfer bubbles USDC's blocklist reason", async () => {
      const { caller, usdc, receiver } = await loadFixture(deployCallerAndTokens);
      await usdc.blacklist(receiver.address);
      await expect(
        caller.safeTransfer(await usdc.getAddress(), receiver.address, 10n * UNIT),
      ).to.be.revertedWith("Blacklistable: account is blacklisted");
    });

    it("safeTransferFrom bubbles Dai's allowance reason", async () => {
      const { caller, dai, holder, receiver } = await loadFixture(deployCallerAndTokens);
      await expect(
        caller.safeTransferFrom(await dai.getAddress(), holder.address, receiver.address, 1n),
      ).to.be.revertedWith("Dai/insufficient-allowance");
    });
  });
});
