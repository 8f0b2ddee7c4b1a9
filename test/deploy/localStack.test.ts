import { expect } from "chai";
import { ethers, ignition } from "hardhat";
import { loadFixture, time } from "@nomicfoundation/hardhat-network-helpers";
import path from "node:path";

import { DEMO_PORTFOLIO, NEXUS_COVER_ASSET, PROVIDER_ID, demoProtocol } from "../../keeper/src/demo/portfolio";
import { ROLE } from "../../deploy/modules/Fund";
import { writeRiskStepped } from "../helpers/riskSteps";
import Handover from "../../deploy/modules/Handover";
import LocalStack from "../../deploy/modules/LocalStack";
import localhostParameters from "../../deploy/parameters/localhost.json";
import type {
  FundLens,
  MockCapacityLimitedProvider,
  MockNexusMutualRegistry,
  MockUSDC,
  NexusMutualAdapter,
  StablecoinInsuranceFund,
} from "../../typechain-types";

const PARAMETERS_FILE = path.join(__dirname, "..", "..", "deploy", "parameters", "localhost.json");
const DAY = 24 * 60 * 60;

async function deployLocalStack() {
  const deployed = await ignition.deploy(LocalStack, { parameters: PARAMETERS_FILE });
  const at = async <T>(name: string, contract: { getAddress(): Promise<string> }): Promise<T> =>
    (await ethers.getContractAt(name, await contract.getAddress())) as unknown as T;
  return {
    fund: await at<StablecoinInsuranceFund>("StablecoinInsuranceFund", deployed.fund),
    lens: await at<FundLens>("FundLens", deployed.lens),
    usdc: await at<MockUSDC>("MockUSDC", deployed.usdc),
    adapter: await at<NexusMutualAdapter>("NexusMutualAdapter", deployed.adapter),
    registry: await at<MockNexusMutualRegistry>("MockNexusMutualRegistry", deployed.nexusRegistry),
    second: await at<MockCapacityLimitedProvider>("MockCapacityLimitedProvider", deployed.secondProvider),
  };
}

describe("deploy: LocalStack on the in-process network (localhost parameters)", function () {
  const { keeper, assessor, guardian } = localhostParameters.Fund;

  it("grants each role to its holder and the keeper nothing but RISK_ORACLE_ROLE", async function () {
    const { fund } = await loadFixture(deployLocalStack);
    const [deployer] = await ethers.getSigners();
    expect(await fund.defaultAdmin()).to.equal(deployer!.address);
    expect(await fund.hasRole(ROLE.RISK_ORACLE_ROLE, keeper)).to.equal(true);
    expect(await fund.hasRole(ROLE.CLAIMS_ASSESSOR_ROLE, assessor)).to.equal(true);
    expect(await fund.hasRole(ROLE.GUARDIAN_ROLE, guardian)).to.equal(true);
    for (const role of [await fund.DEFAULT_ADMIN_ROLE(), ROLE.CLAIMS_ASSESSOR_ROLE, ROLE.GUARDIAN_ROLE]) {
      expect(await fund.hasRole(role, keeper), role).to.equal(false);
    }
    expect(await fund.hasRole(ROLE.RISK_ORACLE_ROLE, assessor)).to.equal(false);
    expect(await fund.hasRole(ROLE.RISK_ORACLE_ROLE, deployer!.address)).to.equal(false);
  });

  it("hands the fund AND the Nexus adapter over to the multisig, both two-step with the same delay (Handover module)", async function () {
    const { fund, adapter } = await loadFixture(deployLocalStack);
    const signers = await ethers.getSigners();
    const [deployer] = signers;
    const governance = signers[9]!;
    expect(await adapter.defaultAdmin()).to.equal(deployer!.address);
    expect(await adapter.defaultAdminDelay()).to.equal(await fund.defaultAdminDelay());
    await ignition.deploy(Handover, {
      parameters: { Handover: { fund: await fund.getAddress(), adapter: await adapter.getAddress(), governance: governance.address } },
    });
    let latest = 0n;
    for (const c of [fund, adapter]) {
      const [pending, schedule] = await c.pendingDefaultAdmin();
      expect(pending).to.equal(governance.address);
      if (schedule > latest) latest = schedule;
    }
    // not before the delay
    await expect(fund.connect(governance).acceptDefaultAdminTransfer()).to.be.revertedWithCustomError(fund, "AccessControlEnforcedDefaultAdminDelay");
    await time.increaseTo(latest + 1n);
    await fund.connect(governance).acceptDefaultAdminTransfer();
    await adapter.connect(governance).acceptDefaultAdminTransfer();
    expect(await fund.defaultAdmin()).to.equal(governance.address);
    expect(await adapter.defaultAdmin()).to.equal(governance.address);
  });

  it("registers the Nexus adapter as provider 1 (a mock member, demo products mapped) and the second provider as 2", async function () {
    const { fund, adapter, registry, second, usdc } = await loadFixture(deployLocalStack);
    expect(await fund.providerCount()).to.equal(2);
    expect((await fund.providerAdapter(PROVIDER_ID.nexus))[0]).to.equal(await adapter.getAddress());
    expect((await fund.providerAdapter(PROVIDER_ID.second))[0]).to.equal(await second.getAddress());
    expect(await registry.isMember(await adapter.getAddress())).to.equal(true);
    const aave = DEMO_PORTFOLIO.find((p) => p.id === "aave-v3")!;
    expect(await adapter.productOf(demoProtocol(aave))).to.deep.equal([true, BigInt(aave.nexusProductId!)]);
    expect(await adapter.coverAssetOf(await usdc.getAddress())).to.deep.equal([true, BigInt(NEXUS_COVER_ASSET.USDC)]);
    expect(await adapter.isSupported(demoProtocol(aave), await usdc.getAddress())).to.equal(true);
    // DAI is not a Nexus cover asset: not mapped, and DAI positions (Curve, Yearn) are self-insured
    const [, , dai] = await fund.stablecoins();
    expect(await adapter.coverAssetOf(dai!)).to.deep.equal([false, 0n]);
    expect(await adapter.isSupported(demoProtocol(DEMO_PORTFOLIO.find((p) => p.id === "curve")!), dai!)).to.equal(false);
    expect(await fund.stablecoins()).to.have.length(3);
  });

  it("sets the parameters from the file and deposits the initial capital", async function () {
    const { fund, usdc } = await loadFixture(deployLocalStack);
    const params = await fund.parameters();
    expect(params.baseRateBps).to.equal(localhostParameters.Fund.baseRateBps);
    expect(params.maxCoveragePerProtocol).to.equal(500_000n * 10n ** 18n);
    expect(await fund.poolBalance(await usdc.getAddress())).to.equal(1_000_000n * 10n ** 6n);
  });

  it("produces a working fund: the keeper pushes a score, a buyer purchases hedged coverage through Nexus", async function () {
    const { fund, lens, usdc, adapter } = await loadFixture(deployLocalStack);
    const keeperSigner = await ethers.getSigner(keeper);
    const [, , , , buyer] = await ethers.getSigners();
    const aave = demoProtocol(DEMO_PORTFOLIO[0]!);
    await writeRiskStepped(fund, keeperSigner, [
      { protocol: aave, tvlStability: 10, auditQuality: 10, timeSinceDeployment: 15, exploitHistory: 20, teamReputation: 20 },
    ]);
    const amount = 45_000n * 10n ** 6n;
    const duration = 90 * DAY;
    const premium = await fund.quotePremium(aave, await usdc.getAddress(), amount, duration);
    await usdc.mint(buyer!.address, premium);
    await usdc.connect(buyer!).approve(await fund.getAddress(), premium);
    const coverData = ethers.AbiCoder.defaultAbiCoder().encode(
      ["tuple(uint256 poolId, uint256 coverAmountInAsset)[]"],
      [[[1, amount]]],
    );
    await expect(
      fund
        .connect(buyer!)
        .purchaseProtocolCoverage(aave, await usdc.getAddress(), amount, duration, premium, buyer!.address, PROVIDER_ID.nexus, coverData),
    ).to.emit(adapter, "NexusCoverBought");
    expect(await fund.getProtocolExposure(aave)).to.be.greaterThan(0n);
    const [state] = await lens.getProtocolStates(await fund.getAddress(), [aave], 10);
    expect(state!.activeCoverageIds).to.deep.equal([1n]);
  });

  it("leaves the keeper unable to assess claims or pause", async function () {
    const { fund } = await loadFixture(deployLocalStack);
    const keeperSigner = await ethers.getSigner(keeper);
    await expect(fund.connect(keeperSigner).assessClaim(1, true, 1))
      .to.be.revertedWithCustomError(fund, "AccessControlUnauthorizedAccount")
      .withArgs(keeper, ROLE.CLAIMS_ASSESSOR_ROLE);
    await expect(fund.connect(keeperSigner).pause())
      .to.be.revertedWithCustomError(fund, "AccessControlUnauthorizedAccount")
      .withArgs(keeper, ROLE.GUARDIAN_ROLE);
  });
});
