import { loadFixture } from "@nomicfoundation/hardhat-network-helpers";
import { expect } from "chai";
import { ethers } from "hardhat";

import { namedSigners } from "../../helpers/signers";

const ONE_DAI = 10n ** 18n;

describe("MockDAI", () => {
  async function deployDai() {
    const { alice, bob, spender } = await namedSigners("alice", "bob", "spender");
    const dai = await ethers.deployContract("MockDAI");
    await dai.mint(alice.address, 1_000n * ONE_DAI);
    return { dai, alice, bob, spender };
  }

  it("has 18 decimals and DAI metadata", async () => {
    const { dai } = await loadFixture(deployDai);
    expect(await dai.decimals()).to.equal(18n);
    expect(await dai.symbol()).to.equal("DAI");
  });

  it("transfers and returns true", async () => {
    const { dai, alice, bob } = await loadFixture(deployDai);
    expect(await dai.connect(alice).transfer.staticCall(bob.address, ONE_DAI)).to.equal(true);
    await expect(dai.connect(alice).transfer(bob.address, ONE_DAI))
      .to.emit(dai, "Transfer")
      .withArgs(alice.address, bob.address, ONE_DAI);
    expect(await dai.balanceOf(bob.address)).to.equal(ONE_DAI);
  });

  it('reverts with "Dai/insufficient-balance" on transfer and transferFrom', async () => {
    const { dai, alice, bob, spender } = await loadFixture(deployDai);
    await expect(dai.connect(bob).transfer(alice.address, 1n)).to.be.revertedWith("Dai/insufficient-balance");
    await dai.connect(alice).approve(spender.address, ethers.MaxUint256);
    await expect(
      dai.connect(spender).transferFrom(alice.address, bob.address, 1_000n * ONE_DAI + 1n),
    ).to.be.revertedWith("Dai/insufficient-balance");
  });

  it('reverts with "Dai/insufficient-allowance" when the spender is short', async () => {
    const { dai, alice, bob, spender } = await loadFixture(deployDai);
    await dai.connect(alice).approve(spender.address, ONE_DAI);
    await expect(
      dai.connect(spender).transferFrom(alice.address, bob.address, ONE_DAI + 1n),
    ).to.be.revertedWith("Dai/insufficient-allowance");
  });

  it("checks the balance before the allowance", async () => {
    const { dai, alice, bob, spender } = await loadFixture(deployDai);
    await expect(
      dai.connect(spender).transferFrom(bob.address, alice.address, 1n),
    ).to.be.revertedWith("Dai/insufficient-balance");
  });

  it("needs no allowance when the holder calls transferFrom itself", async () => {
    const { dai, alice, bob } = await loadFixture(deployDai);
    await dai.connect(alice).transferFrom(alice.address, bob.address, ONE_DAI);
    expect(await dai.balanceOf(bob.address)).to.equal(ONE_DAI);
  });

  it("decreases a finite allowance but never an infinite one", async () => {
    const { dai, alice, bob, spender } = await loadFixture(deployDai);
    await dai.connect(alice).approve(spender.address, 10n * ONE_DAI);
    await dai.connect(spender).transferFrom(alice.address, bob.address, 4n * ONE_DAI);
    expect(await dai.allowance(alice.address, spender.address)).to.equal(6n * ONE_DAI);

    // Unlike USDT, Dai lets a non-zero allowance be overwritten directly.
    await dai.connect(alice).approve(spender.address, ethers.MaxUint256);
    await dai.connect(spender).transferFrom(alice.address, bob.address, 4n * ONE_DAI);
    expect(await dai.allowance(alice.address, spender.address)).to.equal(ethers.MaxUint256);
  });

  it("burn follows the same balance and allowance rules", async () => {
    const { dai, alice, spender } = await loadFixture(deployDai);
    await expect(dai.connect(spender).burn(alice.address, ONE_DAI)).to.be.revertedWith(
      "Dai/insufficient-allowance",
    );
    await expect(dai.connect(alice).burn(alice.address, 1_001n * ONE_DAI)).to.be.revertedWith(
      "Dai/insufficient-balance",
    );
    await dai.connect(alice).approve(spender.address, ONE_DAI);
    await expect(dai.connect(spender).burn(alice.address, ONE_DAI))
      .to.emit(dai, "Transfer")
      .withArgs(alice.address, ethers.ZeroAddress, ONE_DAI);
    expect(await dai.totalSupply()).to.equal(999n * ONE_DAI);
    expect(await dai.allowance(alice.address, spender.address)).to.equal(0n);
  });
});
