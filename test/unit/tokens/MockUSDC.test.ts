import { loadFixture } from "@nomicfoundation/hardhat-network-helpers";
import { expect } from "chai";
import { ethers } from "hardhat";

import { namedSigners } from "../../helpers/signers";

const BLACKLISTED = "Blacklistable: account is blacklisted";
const PAUSED = "Pausable: paused";
const ONE_USDC = 10n ** 6n;

describe("MockUSDC", () => {
  async function deployUsdc() {
    const { admin, alice, bob, spender, other } = await namedSigners("admin", "alice", "bob", "spender", "other");
    const usdc = await ethers.deployContract("MockUSDC");
    await usdc.mint(alice.address, 1_000n * ONE_USDC);
    await usdc.connect(alice).approve(spender.address, 500n * ONE_USDC);
    return { usdc, admin, alice, bob, spender, other };
  }

  describe("metadata and plain ERC-20 behaviour", () => {
    it("has 6 decimals and USDC metadata", async () => {
      const { usdc } = await loadFixture(deployUsdc);
      expect(await usdc.decimals()).to.equal(6n);
      expect(await usdc.symbol()).to.equal("USDC");
      expect(await usdc.name()).to.equal("USD Coin");
    });

    it("transfers, returns true and emits Transfer", async () => {
      const { usdc, alice, bob } = await loadFixture(deployUsdc);
      expect(await usdc.connect(alice).transfer.staticCall(bob.address, ONE_USDC)).to.equal(true);
      await expect(usdc.connect(alice).transfer(bob.address, ONE_USDC))
        .to.emit(usdc, "Transfer")
        .withArgs(alice.address, bob.address, ONE_USDC);
      expect(await usdc.balanceOf(bob.address)).to.equal(ONE_USDC);
      expect(await usdc.balanceOf(alice.address)).to.equal(999n * ONE_USDC);
    });

    it("transferFrom spends the allowance, even an infinite one", async () => {
      const { usdc, alice, bob, spender } = await loadFixture(deployUsdc);
      await usdc.connect(spender).transferFrom(alice.address, bob.address, 200n * ONE_USDC);
      expect(await usdc.allowance(alice.address, spender.address)).to.equal(300n * ONE_USDC);

      await usdc.connect(alice).approve(spender.address, ethers.MaxUint256);
      await usdc.connect(spender).transferFrom(alice.address, bob.address, ONE_USDC);
      expect(await usdc.allowance(alice.address, spender.address)).to.equal(ethers.MaxUint256 - ONE_USDC);
    });

    it("reverts with FiatToken's strings on insufficient balance, allowance, zero addresses", async () => {
      const { usdc, alice, bob, spender } = await loadFixture(deployUsdc);
      await expect(usdc.connect(bob).transfer(alice.address, 1n)).to.be.revertedWith(
        "ERC20: transfer amount exceeds balance",
      );
      await expect(
        usdc.connect(spender).transferFrom(alice.address, bob.address, 501n * ONE_USDC),
      ).to.be.revertedWith("ERC20: transfer amount exceeds allowance");
      await expect(usdc.connect(alice).transfer(ethers.ZeroAddress, 1n)).to.be.revertedWith(
        "ERC20: transfer to the zero address",
      );
      await expect(usdc.connect(alice).approve(ethers.ZeroAddress, 1n)).to.be.revertedWith(
        "ERC20: approve to the zero address",
      );
    });
  });

  describe("blocklist", () => {
    it("only the blacklister can block and unblock; both emit", async () => {
      const { usdc, admin, alice, other } = await loadFixture(deployUsdc);
      await expect(usdc.connect(other).blacklist(alice.address)).to.be.revertedWith(
        "Blacklistable: caller is not the blacklister",
      );
      await expect(usdc.connect(other).unBlacklist(alice.address)).to.be.revertedWith(
        "Blacklistable: caller is not the blacklister",
      );
      await expect(usdc.connect(admin).blacklist(alice.address)).to.emit(usdc, "Blacklisted").withArgs(alice.address);
      expect(await usdc.isBlacklisted(alice.address)).to.equal(true);
      await expect(usdc.connect(admin).unBlacklist(alice.address))
        .to.emit(usdc, "UnBlacklisted")
        .withArgs(alice.address);
      expect(await usdc.isBlacklisted(alice.address)).to.equal(false);
    });

    it("the owner can hand the blacklister role to another account", async () => {
      const { usdc, admin, alice, other } = await loadFixture(deployUsdc);
      await expect(usdc.connect(other).updateBlacklister(other.address)).to.be.revertedWith(
        "Ownable: caller is not the owner",
      );
      await expect(usdc.connect(admin).updateBlacklister(ethers.ZeroAddress)).to.be.revertedWith(
        "Blacklistable: new blacklister is the zero address",
      );
      await expect(usdc.connect(admin).updateBlacklister(other.address))
        .to.emit(usdc, "BlacklisterChanged")
        .withArgs(other.address);
      await usdc.connect(other).blacklist(alice.address);
      expect(await usdc.isBlacklisted(alice.address)).to.equal(true);
      await expect(usdc.connect(admin).blacklist(alice.address)).to.be.revertedWith(
        "Blacklistable: caller is not the blacklister",
      );
    });

    it("blocks transfers FROM a blacklisted account", async () => {
      const { usdc, admin, alice, bob } = await loadFixture(deployUsdc);
      await usdc.connect(admin).blacklist(alice.address);
      await expect(usdc.connect(alice).transfer(bob.address, ONE_USDC)).to.be.revertedWith(BLACKLISTED);
    });

    it("blocks transfers TO a blacklisted account", async () => {
      const { usdc, admin, alice, bob } = await loadFixture(deployUsdc);
      await usdc.connect(admin).blacklist(bob.address);
      await expect(usdc.connect(alice).transfer(bob.address, ONE_USDC)).to.be.revertedWith(BLACKLISTED);
    });

    it("blocks transferFrom when the holder, the receiver or the spender is blacklisted", async () => {
      const { usdc, admin, alice, bob, spender } = await loadFixture(deployUsdc);
      for (const blocked of [alice, bob, spender]) {
        await usdc.connect(admin).blacklist(blocked.address);
        await expect(
          usdc.connect(spender).transferFrom(alice.address, bob.address, ONE_USDC),
        ).to.be.revertedWith(BLACKLISTED);
        await usdc.connect(admin).unBlacklist(blocked.address);
      }
      await usdc.connect(spender).transferFrom(alice.address, bob.address, ONE_USDC);
      expect(await usdc.balanceOf(bob.address)).to.equal(ONE_USDC);
    });

    it("blocks approve by or to a blacklisted account", async () => {
      const { usdc, admin, alice, spender } = await loadFixture(deployUsdc);
      await usdc.connect(admin).blacklist(alice.address);
      await expect(usdc.connect(alice).approve(spender.address, 1n)).to.be.revertedWith(BLACKLISTED);
      await usdc.connect(admin).unBlacklist(alice.address);
      await usdc.connect(admin).blacklist(spender.address);
      await expect(usdc.connect(alice).approve(spender.address, 1n)).to.be.revertedWith(BLACKLISTED);
    });

    it("unblocking restores transfers", async () => {
      const { usdc, admin, alice, bob } = await loadFixture(deployUsdc);
      await usdc.connect(admin).blacklist(bob.address);
      await usdc.connect(admin).unBlacklist(bob.address);
      await usdc.connect(alice).transfer(bob.address, ONE_USDC);
      expect(await usdc.balanceOf(bob.address)).to.equal(ONE_USDC);
    });
  });

  describe("pause", () => {
    it("only the pauser can pause and unpause; both emit", async () => {
      const { usdc, admin, other } = await loadFixture(deployUsdc);
      await expect(usdc.connect(other).pause()).to.be.revertedWith("Pausable: caller is not the pauser");
      await expect(usdc.connect(other).unpause()).to.be.revertedWith("Pausable: caller is not the pauser");
      await expect(usdc.connect(admin).pause()).to.emit(usdc, "Pause");
      expect(await usdc.paused()).to.equal(true);
      await expect(usdc.connect(admin).unpause()).to.emit(usdc, "Unpause");
      expect(await usdc.paused()).to.equal(false);
    });

    it("the owner can hand the pauser role to another account", async () => {
      const { usdc, admin, other } = await loadFixture(deployUsdc);
      await expect(usdc.connect(other).updatePauser(other.address)).to.be.revertedWith(
        "Ownable: caller is not the owner",
      );
      await expect(usdc.connect(admin).updatePauser(ethers.ZeroAddress)).to.be.revertedWith(
        "Pausable: new pauser is the zero address",
      );
      await expect(usdc.connect(admin).updatePauser(other.address))
        .to.emit(usdc, "PauserChanged")
        .withArgs(other.address);
      await usdc.connect(other).pause();
      expect(await usdc.paused()).to.equal(true);
    });

    it("freezes transfer, transferFrom and approve until unpaused", async () => {
      const { usdc, admin, alice, bob, spender } = await loadFixture(deployUsdc);
      await usdc.connect(admin).pause();
      await expect(usdc.connect(alice).transfer(bob.address, ONE_USDC)).to.be.revertedWith(PAUSED);
      await expect(
        usdc.connect(spender).transferFrom(alice.address, bob.address, ONE_USDC),
      ).to.be.revertedWith(PAUSED);
      await expect(usdc.connect(alice).approve(bob.address, ONE_USDC)).to.be.revertedWith(PAUSED);

      await usdc.connect(admin).unpause();
      await usdc.connect(alice).transfer(bob.address, ONE_USDC);
      expect(await usdc.balanceOf(bob.address)).to.equal(ONE_USDC);
    });
  });

  describe("test helpers", () => {
    it("mint and burn move the supply", async () => {
      const { usdc, alice } = await loadFixture(deployUsdc);
      await usdc.burn(alice.address, 400n * ONE_USDC);
      expect(await usdc.balanceOf(alice.address)).to.equal(600n * ONE_USDC);
      expect(await usdc.totalSupply()).to.equal(600n * ONE_USDC);
      await expect(usdc.burn(alice.address, 601n * ONE_USDC)).to.be.revertedWith(
        "FiatToken: burn amount exceeds balance",
      );
      await expect(usdc.mint(ethers.ZeroAddress, 1n)).to.be.revertedWith("FiatToken: mint to the zero address");
    });
  });
});
