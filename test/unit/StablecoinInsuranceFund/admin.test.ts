import { loadFixture } from "@nomicfoundation/hardhat-network-helpers";
import { expect } from "chai";
import { ethers, network } from "hardhat";

import { DAY, deployFund, deployHedgedFund, units, toArray } from "../../helpers/fundFixture";
import type { IStablecoinInsuranceFund } from "../../../typechain-types";
import { deployFundLibraries } from "../../helpers/fundDeploy";

const DEFAULT_PARAMETERS: IStablecoinInsuranceFund.ParametersStruct = {
  baseRateBps: 200,
  reserveRatioBps: 2_000,
  maxRiskDecreasePerDay: 10,
  renewalWindow: 30n * DAY,
  claimGracePeriod: 30n * DAY,
  maxCoveragePerProtocol: units(500_000, 18),
  challengePeriod: 2n * DAY,
  dailyPayoutLimitBps: 2_500,
};

describe("StablecoinInsuranceFund admin", () => {
  describe("deployment", () => {
    it("registers the initial stablecoins and the default parameters", async () => {
      const f = await loadFixture(deployFund);
      const assets = [await f.usdc.getAddress(), await f.usdt.getAddress(), await f.dai.getAddress()];
      expect(await f.fund.stablecoins()).to.deep.equal(assets);
      for (const asset of assets) expect(await f.fund.isSupportedStablecoin(asset)).to.equal(true);
      expect(toArray(await f.fund.parameters())).to.deep.equal([200n, 2_000n, 10n, 30n * DAY, 30n * DAY, units(500_000, 18), 2n * DAY, 2_500n]);
      expect(await f.fund.defaultAdmin()).to.equal(f.admin.address);
      expect(await f.fund.providerCount()).to.equal(0n);
    });
  });

  describe("addStablecoin / removeStablecoin", () => {
    it("adds with the next id and the token's decimals", async () => {
      const f = await loadFixture(deployFund);
      const token = await ethers.deployContract("MockFeeOnTransferToken", ["Eight", "EIGHT", 8, 0, ethers.ZeroAddress]);
      await expect(f.fund.connect(f.admin).addStablecoin(await token.getAddress()))
        .to.emit(f.fund, "StablecoinAdded")
        .withArgs(await token.getAddress(), 3, 8);
      expect(await f.fund.isSupportedStablecoin(await token.getAddress())).to.equal(true);
    });

    it("adding a supported stablecoin again is a no-op", async () => {
      const f = await loadFixture(deployFund);
      await expect(f.fund.connect(f.admin).addStablecoin(await f.usdc.getAddress())).not.to.emit(f.fund, "StablecoinAdded");
      expect((await f.fund.stablecoins()).length).to.equal(3);
    });

    it("removing stops it; re-adding restores the former id without a new entry", async () => {
      const f = await loadFixture(deployFund);
      const usdt = await f.usdt.getAddress();
      await expect(f.fund.connect(f.admin).removeStablecoin(usdt)).to.emit(f.fund, "StablecoinRemoved").withArgs(usdt);
      expect(await f.fund.isSupportedStablecoin(usdt)).to.equal(false);
      await expect(f.fund.connect(f.admin).removeStablecoin(usdt))
        .to.be.revertedWithCustomError(f.fund, "FundUnsupportedAsset")
        .withArgs(usdt);
      await expect(f.fund.connect(f.admin).addStablecoin(usdt)).to.emit(f.fund, "StablecoinAdded").withArgs(usdt, 1, 6);
      expect((await f.fund.stablecoins()).length).to.equal(3);
    });

    it("rejects the zero address", async () => {
      const f = await loadFixture(deployFund);
      await expect(f.fund.connect(f.admin).addStablecoin(ethers.ZeroAddress)).to.be.revertedWithCustomError(f.fund, "FundZeroAddress");
    });

    it("rejects more than 18 decimals", async () => {
      const f = await loadFixture(deployFund);
      const token = await ethers.deployContract("MockFeeOnTransferToken", ["Nineteen", "N19", 19, 0, ethers.ZeroAddress]);
      await expect(f.fund.connect(f.admin).addStablecoin(await token.getAddress()))
        .to.be.revertedWithCustomError(f.fund, "FundInvalidDecimals")
        .withArgs(await token.getAddress());
    });

    it("rejects a contract without decimals()", async () => {
      const f = await loadFixture(deployFund);
      const lens = await f.lens.getAddress();
      await expect(f.fund.connect(f.admin).addStablecoin(lens))
        .to.be.revertedWithCustomError(f.fund, "FundInvalidDecimals")
        .withArgs(lens);
    });

    it("caps the registry at 255 stablecoins", async () => {
      const f = await loadFixture(deployFund);
      const daiCode = await ethers.provider.getCode(await f.dai.getAddress());
      const clones: string[] = [];
      for (let i = 1; i <= 256; i++) {
        const address = ethers.getAddress(ethers.toBeHex(0x5000n + BigInt(i), 20));
        await network.provider.send("hardhat_setCode", [address, daiCode]);
        clones.push(address);
      }
      const factory = await ethers.getContractFactory("StablecoinInsuranceFund", { libraries: await deployFundLibraries() });
      // Half at deployment, the rest one by one (each registration also marks its book slot non-zero,
      // which would take 255 registrations in one constructor above the block gas limit under coverage).
      const full = await factory.deploy(DAY, f.admin.address, clones.slice(0, 128), { gasLimit: 29_000_000 });
      for (const clone of clones.slice(128, 255)) await full.connect(f.admin).addStablecoin(clone);
      expect((await full.stablecoins()).length).to.equal(255);
      await expect(full.connect(f.admin).addStablecoin(clones[255]!)).to.be.revertedWithCustomError(full, "FundTooManyStablecoins");
    });
  });

  describe("registerProvider / setProviderActive", () => {
    it("registers with sequential ids and an event", async () => {
      const f = await loadFixture(deployHedgedFund);
      expect(await f.fund.providerCount()).to.equal(1n);
      expect(await f.fund.providerAdapter(1)).to.deep.equal([await f.provider.getAddress(), true]);
      const second = await ethers.deployContract("MockCapacityLimitedProvider", [await f.fund.getAddress(), 1n, f.admin.address]);
      await expect(f.fund.connect(f.admin).registerProvider(await second.getAddress()))
        .to.emit(f.fund, "ProviderRegistered")
        .withArgs(2, await second.getAddress());
      expect(await f.fund.providerCount()).to.equal(2n);
    });

    it("rejects zero, an adapter of another fund and a duplicate", async () => {
      const f = await loadFixture(deployHedgedFund);
      await expect(f.fund.connect(f.admin).registerProvider(ethers.ZeroAddress)).to.be.revertedWithCustomError(f.fund, "FundZeroAddress");
      const foreign = await ethers.deployContract("MockCapacityLimitedProvider", [f.stranger.address, 1n, f.admin.address]);
      await expect(f.fund.connect(f.admin).registerProvider(await foreign.getAddress()))
        .to.be.revertedWithCustomError(f.fund, "FundProviderMismatch")
        .withArgs(await foreign.getAddress());
      await expect(f.fund.connect(f.admin).registerProvider(await f.provider.getAddress()))
        .to.be.revertedWithCustomError(f.fund, "FundProviderMismatch")
        .withArgs(await f.provider.getAddress());
    });

    it("caps the registry at 255 providers", async () => {
      const f = await loadFixture(deployHedgedFund);
      const code = await ethers.provider.getCode(await f.provider.getAddress());
      for (let i = 1; i <= 255; i++) {
        const address = ethers.getAddress(ethers.toBeHex(0x7000n + BigInt(i), 20));
        await network.provider.send("hardhat_setCode", [address, code]);
        if (i < 255) await f.fund.connect(f.admin).registerProvider(address);
        else {
          expect(await f.fund.providerCount()).to.equal(255n);
          await expect(f.fund.connect(f.admin).registerProvider(address)).to.be.revertedWithCustomError(f.fund, "FundTooManyProviders");
        }
      }
    });

    it("toggles a provider; unknown ids revert", async () => {
      const f = await loadFixture(deployHedgedFund);
      await expect(f.fund.connect(f.admin).setProviderActive(1, false)).to.emit(f.fund, "ProviderStatusChanged").withArgs(1, false);
      expect((await f.fund.providerAdapter(1))[1]).to.equal(false);
      await expect(f.fund.connect(f.admin).setProviderActive(2, true))
        .to.be.revertedWithCustomError(f.fund, "FundUnknownProvider")
        .withArgs(2);
    });
  });

  describe("setParameters", () => {
    it("stores and emits valid parameters (bounds inclusive)", async () => {
      const f = await loadFixture(deployFund);
      const high = { ...DEFAULT_PARAMETERS, baseRateBps: 2_000, reserveRatioBps: 10_000, maxRiskDecreasePerDay: 100, renewalWindow: 90n * DAY, claimGracePeriod: 90n * DAY, challengePeriod: 30n * DAY, dailyPayoutLimitBps: 10_000 };
      await expect(f.fund.connect(f.admin).setParameters(high)).to.emit(f.fund, "ParametersUpdated");
      expect(toArray(await f.fund.parameters())).to.deep.equal([2_000n, 10_000n, 100n, 90n * DAY, 90n * DAY, units(500_000, 18), 30n * DAY, 10_000n]);
      const low = { ...DEFAULT_PARAMETERS, baseRateBps: 1, reserveRatioBps: 1_000, maxRiskDecreasePerDay: 1, renewalWindow: 1, claimGracePeriod: 0, maxCoveragePerProtocol: 1, challengePeriod: 3_600, dailyPayoutLimitBps: 1 };
      await f.fund.connect(f.admin).setParameters(low);
      expect(toArray(await f.fund.parameters())).to.deep.equal([1n, 1_000n, 1n, 1n, 0n, 1n, 3_600n, 1n]);
    });

    const invalid: [string, Partial<IStablecoinInsuranceFund.ParametersStruct>][] = [
      ["baseRateBps", { baseRateBps: 0 }],
      ["baseRateBps", { baseRateBps: 2_001 }],
      ["reserveRatioBps", { reserveRatioBps: 999 }],
      ["reserveRatioBps", { reserveRatioBps: 10_001 }],
      ["maxRiskDecreasePerDay", { maxRiskDecreasePerDay: 0 }],
      ["maxRiskDecreasePerDay", { maxRiskDecreasePerDay: 101 }],
      ["renewalWindow", { renewalWindow: 0 }],
      ["renewalWindow", { renewalWindow: 90n * DAY + 1n }],
      ["claimGracePeriod", { claimGracePeriod: 90n * DAY + 1n }],
      ["maxCoveragePerProtocol", { maxCoveragePerProtocol: 0 }],
      ["challengePeriod", { challengePeriod: 3_599 }],
      ["challengePeriod", { challengePeriod: 30n * DAY + 1n }],
      ["dailyPayoutLimitBps", { dailyPayoutLimitBps: 0 }],
      ["dailyPayoutLimitBps", { dailyPayoutLimitBps: 10_001 }],
    ];
    for (const [name, patch] of invalid) {
      it(`rejects ${name} = ${Object.values(patch)[0]}`, async () => {
        const f = await loadFixture(deployFund);
        await expect(f.fund.connect(f.admin).setParameters({ ...DEFAULT_PARAMETERS, ...patch }))
          .to.be.revertedWithCustomError(f.fund, "FundInvalidParameter")
          .withArgs(name);
      });
    }
  });

  describe("setAgent", () => {
    it("approves and revokes an agent; zero address reverts", async () => {
      const f = await loadFixture(deployFund);
      await expect(f.fund.connect(f.beneficiary).setAgent(f.agent.address, true))
        .to.emit(f.fund, "AgentSet")
        .withArgs(f.beneficiary.address, f.agent.address, true);
      expect(await f.fund.isAgent(f.beneficiary.address, f.agent.address)).to.equal(true);
      await f.fund.connect(f.beneficiary).setAgent(f.agent.address, false);
      expect(await f.fund.isAgent(f.beneficiary.address, f.agent.address)).to.equal(false);
      await expect(f.fund.connect(f.beneficiary).setAgent(ethers.ZeroAddress, true)).to.be.revertedWithCustomError(f.fund, "FundZeroAddress");
    });
  });

  describe("pause", () => {
    it("guardian pauses, only admin unpauses; double pause/unpause revert", async () => {
      const f = await loadFixture(deployFund);
      await expect(f.fund.connect(f.guardian).pause()).to.emit(f.fund, "Paused").withArgs(f.guardian.address);
      await expect(f.fund.connect(f.guardian).pause()).to.be.revertedWithCustomError(f.fund, "EnforcedPause");
      await expect(f.fund.connect(f.admin).unpause()).to.emit(f.fund, "Unpaused").withArgs(f.admin.address);
      await expect(f.fund.connect(f.admin).unpause()).to.be.revertedWithCustomError(f.fund, "ExpectedPause");
    });
  });

  describe("receive", () => {
    it("rejects ETH from anyone but a registered adapter", async () => {
      const f = await loadFixture(deployHedgedFund);
      await expect(f.stranger.sendTransaction({ to: await f.fund.getAddress(), value: 1n }))
        .to.be.revertedWithCustomError(f.fund, "FundUnexpectedEth")
        .withArgs(f.stranger.address);
    });
  });
});
