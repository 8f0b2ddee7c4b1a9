import { ethers } from "hardhat";
import { COVER_ASSET, USDC_UNIT, DAI_UNIT, AAVE_PRODUCT_ID, deployNexusMocks } from "../MockNexusMutual/nexusFixture";

/** The adapter wired to the Nexus mocks (USDC mapped; DAI is not a Nexus cover asset); an EOA plays the fund. */
/** Delay of the adapter's two-step admin transfer (AccessControlDefaultAdminRules), seconds. */
export const ADAPTER_ADMIN_DELAY = 2n * 24n * 60n * 60n;

export async function deployAdapter() {
  const fx = await deployNexusMocks();
  const [, , , , , admin, aave, compound] = await ethers.getSigners();
  if (!admin || !aave || !compound) throw new Error("not enough signers");

  const adapter = await ethers.deployContract("NexusMutualAdapter", [
    fx.fund.address,
    await fx.cover.getAddress(),
    await fx.claims.getAddress(),
    ADAPTER_ADMIN_DELAY,
    admin.address,
  ]);
  const adapterAddress = await adapter.getAddress();
  await fx.registry.mockNexusSetMember(adapterAddress, true);
  await adapter.connect(admin).setProduct(aave.address, AAVE_PRODUCT_ID);
  await adapter.connect(admin).setCoverAsset(await fx.usdc.getAddress(), COVER_ASSET.USDC);

  await fx.usdc.mint(fx.fund.address, 1_000_000n * USDC_UNIT);
  await fx.dai.mint(fx.fund.address, 1_000_000n * DAI_UNIT);
  await fx.usdt.mint(fx.fund.address, 1_000_000n * USDC_UNIT);
  await fx.usdc.connect(fx.fund).approve(adapterAddress, ethers.MaxUint256);
  await fx.dai.connect(fx.fund).approve(adapterAddress, ethers.MaxUint256);
  await fx.usdt.connect(fx.fund).approve(adapterAddress, ethers.MaxUint256);

  return { ...fx, adapter, admin, aave: aave.address, compound: compound.address };
}
