import { loadFixture } from "@nomicfoundation/hardhat-network-helpers";
import { expect } from "chai";
import { ethers } from "hardhat";

import { namedSigners } from "../../helpers/signers";

const ONE_USDT = 10n ** 6n;

describe("MockUSDT", () => {
  async function deployUsdt() {
    const { alice, bob, spender } = await namedSigners("alice", "bob", "spender");
    const usdt = await ethers.deployContract("MockUSDT");
    const dai = await ethers.deployContract("MockDAI");
    await usdt.mint(alice.address, 1_000n * ONE_USDT);
    await dai.mint(alice.address, 1_000n * 10n ** 18n);
    return { usdt, dai, alice, bob, spender };
  }

  it("has 6 decimals and USDT metadata", async () => {
    const { usdt } = await loadFixture(deployUsdt);
    expect(await usdt.decimals()).to.equal(6n);
    expect(await usdt.symbol()).to.equal("USDT");
  });

  describe("no return value", () => {
    it("declares no outputs for transfer, transferFrom and approve in its ABI", async () => {
      const { usdt } = await loadFixture(deployUsdt);
      for (const name of ["transfer", "transferFrom", "approve"] as const) {
        expect(usdt.interface.getFunction(name).outputs, name).to.have.length(0);
      }
    });

    it("returns empty returndata from a raw transfer, where a bool-returning token returns 32 bytes", async () => {
      const { usdt, dai, alice, bob } = await loadFixture(deployUsdt);
      const usdtReturn = await ethers.provider.call({
        from: alice.address,
        to: await usdt.getAddress(),
        data: usdt.interface.encodeFunctionData("transfer", [bob.address, ONE_USDT]),
      });
      expect(usdtReturn).to.equal("0x");

      const daiReturn = await ethers.provider.call({
        from: alice.address,
        to: await dai.getAddress(),
        data: dai.interface.encodeFunctionData("transfer", [bob.address, 1n]),
      });
      expect(daiReturn).to.equal(ethers.AbiCoder.defaultAbiCoder().encode(["bool"], [true]));
    });

    it("returns empty returndata from raw transferFrom and approve", async () => {
      const { usdt, alice, bob, spender } = await loadFixture(deployUsdt);
      await usdt.connect(alice).approve(spender.address, ONE_USDT);
      const transferFromReturn = await ethers.provider.call({
        from: spender.address,
        to: await usdt.getAddress(),
        data: usdt.interface.encodeFunctionData("transferFrom", [alice.address, bob.address, ONE_USDT]),
      });
      expect(transferFromReturn).to.equal("0x");
      const approveReturn = await ethers.provider.call({
        from: alice.address,
        to: await usdt.getAddress(),
        data: usdt.interface.encodeFunctionData("approve", [bob.address, ONE_USDT]),
      });
      expect(approveReturn).to.equal("0x");
    });

    it("still moves the tokens", async () => {
      const { usdt, alice, bob } = await loadFixture(deployUsdt);
      await expect(usdt.connect(alice).transfer(bob.address, ONE_USDT))
        .to.emit(usdt, "Transfer")
        .withArgs(alice.address, bob.address, ONE_USDT);
      expect(await usdt.balanceOf(bob.address)).to.equal(ONE_USDT);
    });
  });

  describe("approve rule", () => {
    it("reverts (no reason) when changing a non-zero allowance to another non-zero value", async () => {
      const { usdt, alice, spender } = await loadFixture(deployUsdt);
      await usdt.connect(alice).approve(spender.address, 100n);
      await expect(usdt.connect(alice).approve(spender.address, 200n)).to.be.revertedWithoutReason();
      expect(await usdt.allowance(alice.address, spender.address)).to.equal(100n);
    });

    it("allows 0 -> x, x -> 0 and then 0 -> y", async () => {
      const { usdt, alice, spender } = await loadFixture(deployUsdt);
      await expect(usdt.connect(alice).approve(spender.address, 100n))
        .to.emit(usdt, "Approval")
        .withArgs(alice.address, spender.address, 100n);
      await usdt.connect(alice).approve(spender.address, 0n);
      expect(await usdt.allowance(alice.address, spender.address)).to.equal(0n);
      await usdt.connect(alice).approve(spender.address, 200n);
      expect(await usdt.allowance(alice.address, spender.address)).to.equal(200n);
    });
  });

  describe("failures and allowances", () => {
    it("reverts without a reason on insufficient balance or allowance", async () => {
      const { usdt, alice, bob, spender } = await loadFixture(deployUsdt);
      await expect(usdt.connect(bob).transfer(alice.address, 1n)).to.be.revertedWithoutReason();
      await usdt.connect(alice).approve(spender.address, ONE_USDT);
      await expect(
        usdt.connect(spender).transferFrom(alice.address, bob.address, ONE_USDT + 1n),
      ).to.be.revertedWithoutReason();
      await usdt.connect(bob).approve(spender.address, ONE_USDT);
      await expect(
        usdt.connect(spender).transferFrom(bob.address, alice.address, ONE_USDT),
      ).to.be.revertedWithoutReason();
    });

    it("decreases a finite allowance but never an infinite one", async () => {
      const { usdt, alice, bob, spender } = await loadFixture(deployUsdt);
      await usdt.connect(alice).approve(spender.address, 10n * ONE_USDT);
      await usdt.connect(spender).transferFrom(alice.address, bob.address, 4n * ONE_USDT);
      expect(await usdt.allowance(alice.address, spender.address)).to.equal(6n * ONE_USDT);

      await usdt.connect(alice).approve(spender.address, 0n);
      await usdt.connect(alice).approve(spender.address, ethers.MaxUint256);
      await usdt.connect(spender).transferFrom(alice.address, bob.address, 4n * ONE_USDT);
      expect(await usdt.allowance(alice.address, spender.address)).to.equal(ethers.MaxUint256);
      expect(await usdt.balanceOf(bob.address)).to.equal(8n * ONE_USDT);
    });

    it("burn (test helper) reduces balance and supply", async () => {
      const { usdt, alice } = await loadFixture(deployUsdt);
      await usdt.burn(alice.address, 1n);
      expect(await usdt.totalSupply()).to.equal(1_000n * ONE_USDT - 1n);
      await expect(usdt.burn(alice.address, 1_000n * ONE_USDT)).to.be.revertedWithoutReason();
    });
  });
});
