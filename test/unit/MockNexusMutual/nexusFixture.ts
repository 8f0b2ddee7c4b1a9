import { ethers } from "hardhat";
import type { AddressLike, BigNumberish } from "ethers";

/** Nexus Pool asset ids: ETH 0, DAI 1 (abandoned in the v3 pool migration: no longer a cover asset), USDC 6, cbBTC 7. */
export const COVER_ASSET = { ETH: 0, DAI: 1, USDC: 6, CBBTC: 7, NXM: 255 } as const;
export const DAY = 24n * 60n * 60n;
export const YEAR = 365n * DAY;
export const AAVE_PRODUCT_ID = 7;
export const DEPRECATED_PRODUCT_ID = 8;
/** A product whose `coverAssets` bitmap only allows ETH. */
export const ETH_ONLY_PRODUCT_ID = 9;
export const POOL_ID = 1;
/** The mock's default NXM price: 60 whole asset units per NXM. */
export const NXM_PRICE_USDC = 60n * 10n ** 6n;
export const ONE_NXM = 10n ** 18n;
export const NXM_PER_ALLOCATION_UNIT = 10n ** 16n;
/** 2.5% a year. */
export const AAVE_PRICE_BPS = 250n;
export const USDC_UNIT = 10n ** 6n;
export const DAI_UNIT = 10n ** 18n;
export const CLAIM_DEPOSIT = ethers.parseEther("0.05");
export const VOTING_PERIOD = 3n * DAY;
export const COOLDOWN = 1n * DAY;
export const REDEMPTION_PERIOD = 30n * DAY;
export const GRACE_PERIOD = 30n * DAY;

export interface PoolAllocation {
  poolId: BigNumberish;
  coverAmountInAsset: BigNumberish;
}

/** `abi.encode(PoolAllocationRequest[])`: the adapter's `coverData` format. */
export function encodeQuote(allocations: PoolAllocation[]): string {
  return ethers.AbiCoder.defaultAbiCoder().encode(
    ["tuple(uint256 poolId, uint256 coverAmountInAsset)[]"],
    [allocations.map((a) => [a.poolId, a.coverAmountInAsset])],
  );
}

const ceilDiv = (a: bigint, b: bigint): bigint => (a + b - 1n) / b;

/** Allocation in NXM as Cover._requestAllocation: asset → NXM rounded up, then up to 0.01 NXM. */
export function allocationInNXM(amountInAsset: bigint, nxmPrice = NXM_PRICE_USDC): bigint {
  return ceilDiv(ceilDiv(amountInAsset * ONE_NXM, nxmPrice), NXM_PER_ALLOCATION_UNIT) * NXM_PER_ALLOCATION_UNIT;
}

/** Cover amount Nexus records for one allocation of `amountInAsset` (NXM back to the asset, rounded down). */
export function allocatedAmount(amountInAsset: bigint, nxmPrice = NXM_PRICE_USDC): bigint {
  return (allocationInNXM(amountInAsset, nxmPrice) * nxmPrice) / ONE_NXM;
}

/** Premium in NXM of one allocation (StakingProducts.calculatePremium at a fixed price, rounded down). */
export function premiumInNXM(amountInAsset: bigint, period: bigint, priceBps = AAVE_PRICE_BPS, nxmPrice = NXM_PRICE_USDC): bigint {
  return ((allocationInNXM(amountInAsset, nxmPrice) * priceBps) / 10_000n) * period / YEAR;
}

/** Premium charged in the asset for a single-pool cover (NXM premium x price, rounded down). */
export function expectedPremium(amount: bigint, period: bigint, priceBps = AAVE_PRICE_BPS, nxmPrice = NXM_PRICE_USDC): bigint {
  return (premiumInNXM(amount, period, priceBps, nxmPrice) * nxmPrice) / ONE_NXM;
}

export interface BuyParamsInput {
  coverId?: BigNumberish;
  owner: AddressLike;
  productId?: number;
  coverAsset?: number;
  amount: bigint;
  period: bigint;
  maxPremiumInAsset: bigint;
  paymentAsset?: number;
  commissionRatio?: number;
  commissionDestination?: AddressLike;
}

export function buyParams(input: BuyParamsInput) {
  const coverAsset = input.coverAsset ?? COVER_ASSET.USDC;
  return {
    coverId: input.coverId ?? 0,
    owner: input.owner,
    productId: input.productId ?? AAVE_PRODUCT_ID,
    coverAsset,
    amount: input.amount,
    period: input.period,
    maxPremiumInAsset: input.maxPremiumInAsset,
    paymentAsset: input.paymentAsset ?? coverAsset,
    commissionRatio: input.commissionRatio ?? 0,
    commissionDestination: input.commissionDestination ?? ethers.ZeroAddress,
    ipfsData: "",
  };
}

/**
 * Registry + Cover (+ NFT, CoverProducts, Pool) + Claims (+ Assessments) mocks wired together: USDC a
 * cover asset, DAI listed in the Pool but abandoned (as on mainnet), an Aave product in pool 1, a
 * deprecated product, an ETH-only product, and the Pool funded for payouts.
 */
export async function deployNexusMocks() {
  const [deployer, fund, member, outsider, commissionDestination] = await ethers.getSigners();
  if (!deployer || !fund || !member || !outsider || !commissionDestination) throw new Error("not enough signers");

  const tokenFactory = await ethers.getContractFactory("MockProviderTestToken");
  const usdc = await tokenFactory.deploy("USD Coin", "USDC", 6);
  const dai = await tokenFactory.deploy("Dai", "DAI", 18);
  const usdt = await tokenFactory.deploy("Tether", "USDT", 6);

  const registry = await ethers.deployContract("MockNexusMutualRegistry", [deployer.address]);
  const cover = await ethers.deployContract("MockNexusMutualCover", [await registry.getAddress(), deployer.address]);
  const claims = await ethers.deployContract("MockNexusMutualClaims", [
    await registry.getAddress(),
    await cover.getAddress(),
    deployer.address,
  ]);
  const coverNFT = await ethers.getContractAt("MockNexusMutualCoverNFT", await cover.coverNFT());
  const pool = await ethers.getContractAt("MockNexusMutualPool", await cover.pool());
  const coverProducts = await ethers.getContractAt("MockNexusMutualCoverProducts", await cover.coverProducts());
  const assessments = await ethers.getContractAt("MockNexusMutualAssessments", await claims.assessments());

  await cover.mockNexusSetClaims(await claims.getAddress());
  await registry.mockNexusSetPool(await pool.getAddress());
  await cover.mockNexusSetCoverAsset(COVER_ASSET.USDC, await usdc.getAddress());
  await pool.mockNexusSetAsset(COVER_ASSET.DAI, await dai.getAddress(), true, true); // abandoned
  await pool.mockNexusSetNxmPrice(COVER_ASSET.DAI, 60n * DAI_UNIT);
  await cover.mockNexusSetProduct(AAVE_PRODUCT_ID, Number(AAVE_PRICE_BPS), false);
  await cover.mockNexusSetProduct(DEPRECATED_PRODUCT_ID, 100, true);
  await cover.mockNexusSetProduct(ETH_ONLY_PRODUCT_ID, 100, false);
  await coverProducts.mockNexusSetProduct(ETH_ONLY_PRODUCT_ID, 0, 1 << COVER_ASSET.ETH, false);
  await cover.mockNexusSetCapacity(AAVE_PRODUCT_ID, COVER_ASSET.USDC, 1_000_000n * USDC_UNIT);
  await cover.mockNexusSetCapacity(ETH_ONLY_PRODUCT_ID, COVER_ASSET.USDC, 1_000_000n * USDC_UNIT);

  // payouts come from the Nexus Pool
  await usdc.mint(await pool.getAddress(), 10_000_000n * USDC_UNIT);

  await registry.mockNexusSetMember(member.address, true);
  await usdc.mint(member.address, 1_000_000n * USDC_UNIT);
  await usdc.connect(member).approve(await cover.getAddress(), ethers.MaxUint256);
  await dai.mint(member.address, 1_000_000n * DAI_UNIT);
  await dai.connect(member).approve(await cover.getAddress(), ethers.MaxUint256);

  return {
    deployer, fund, member, outsider, commissionDestination, usdc, dai, usdt,
    registry, cover, claims, coverNFT, pool, coverProducts, assessments,
  };
}
