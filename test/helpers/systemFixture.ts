import { ethers } from "hardhat";

import type {
  MockCapacityLimitedProvider,
  MockNexusMutualClaims,
  MockNexusMutualCover,
  MockNexusMutualPool,
  MockNexusMutualRegistry,
  NexusMutualAdapter,
} from "../../typechain-types";
import { ADMIN_DELAY, deployFundedFund, type FundFixture, PROTOCOLS, units } from "./fundFixture";

/** Nexus cover asset ids: ETH 0, USDC 6, cbBTC 7 (DAI and USDT are not Nexus cover assets). */
export const NEXUS_COVER_ASSET = { USDC: 6 } as const;
/** DAI's id in the Nexus Pool asset list (abandoned in the v3 pool migration). */
export const NEXUS_DAI_ASSET_ID = 1;
export const NEXUS_AAVE_PRODUCT = 7;
export const NEXUS_COMPOUND_PRODUCT = 11;
export const NEXUS_PRICE_BPS = 100; // 1% a year: below the fund's price for the test protocols
export const NEXUS_POOL_ID = 1;

export interface SystemFixture extends FundFixture {
  nexusRegistry: MockNexusMutualRegistry;
  nexusCover: MockNexusMutualCover;
  nexusClaims: MockNexusMutualClaims;
  nexusPool: MockNexusMutualPool;
  adapter: NexusMutualAdapter;
  secondProvider: MockCapacityLimitedProvider;
  /** Provider ids in the fund. */
  NEXUS: 1;
  SECOND: 2;
}

/** `abi.encode(PoolAllocationRequest[])` for a single pool: the Nexus adapter's `coverData`. */
export function nexusQuote(amount: bigint, poolId = NEXUS_POOL_ID): string {
  return ethers.AbiCoder.defaultAbiCoder().encode(
    ["tuple(uint256 poolId, uint256 coverAmountInAsset)[]"],
    [[[poolId, amount]]],
  );
}

/**
 * The funded fund plus the Nexus Mutual mocks (same ABI as mainnet Cover/Claims) behind a
 * NexusMutualAdapter registered as provider 1, and the capacity-limited second provider as 2.
 */
export async function deploySystem(): Promise<SystemFixture> {
  const f = await deployFundedFund();
  const fundAddress = await f.fund.getAddress();
  const usdc = await f.usdc.getAddress();
  const dai = await f.dai.getAddress();
  const admin = f.admin;

  const nexusRegistry = await ethers.deployContract("MockNexusMutualRegistry", [admin.address]);
  const nexusCover = await ethers.deployContract("MockNexusMutualCover", [await nexusRegistry.getAddress(), admin.address]);
  const nexusClaims = await ethers.deployContract("MockNexusMutualClaims", [
    await nexusRegistry.getAddress(),
    await nexusCover.getAddress(),
    admin.address,
  ]);
  await nexusCover.connect(admin).mockNexusSetClaims(await nexusClaims.getAddress());
  const nexusPool = await ethers.getContractAt("MockNexusMutualPool", await nexusCover.pool());
  await nexusRegistry.connect(admin).mockNexusSetPool(await nexusPool.getAddress());
  await nexusCover.connect(admin).mockNexusSetCoverAsset(NEXUS_COVER_ASSET.USDC, usdc);
  // DAI stays in the Pool's asset list but was abandoned in the v3 pool migration: not a cover asset.
  await nexusPool.connect(admin).mockNexusSetAsset(NEXUS_DAI_ASSET_ID, dai, true, true);
  for (const product of [NEXUS_AAVE_PRODUCT, NEXUS_COMPOUND_PRODUCT]) {
    await nexusCover.connect(admin).mockNexusSetProduct(product, NEXUS_PRICE_BPS, false);
    await nexusCover.connect(admin).mockNexusSetCapacity(product, NEXUS_COVER_ASSET.USDC, units(5_000_000, 6));
  }
  // Nexus pays claims from its capital Pool.
  await f.usdc.mint(await nexusPool.getAddress(), units(10_000_000, 6));

  const adapter = await ethers.deployContract("NexusMutualAdapter", [
    fundAddress,
    await nexusCover.getAddress(),
    await nexusClaims.getAddress(),
    ADMIN_DELAY,
    admin.address,
  ]);
  await nexusRegistry.connect(admin).mockNexusSetMember(await adapter.getAddress(), true);
  await adapter.connect(admin).setProduct(PROTOCOLS.aave, NEXUS_AAVE_PRODUCT);
  await adapter.connect(admin).setProduct(PROTOCOLS.compound, NEXUS_COMPOUND_PRODUCT);
  await adapter.connect(admin).setCoverAsset(usdc, NEXUS_COVER_ASSET.USDC);
  await f.fund.connect(admin).registerProvider(await adapter.getAddress());

  const secondProvider = await ethers.deployContract("MockCapacityLimitedProvider", [fundAddress, 300, admin.address]);
  await f.fund.connect(admin).registerProvider(await secondProvider.getAddress());

  return { ...f, nexusRegistry, nexusCover, nexusClaims, nexusPool, adapter, secondProvider, NEXUS: 1, SECOND: 2 };
}
