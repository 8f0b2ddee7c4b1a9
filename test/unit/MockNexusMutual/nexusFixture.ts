import { ethers } from "hardhat";
import type { AddressLike, BigNumberish } from "ethers";

/** Nexus cover asset ids (Pool asset list): ETH 0, DAI 1, USDC 6. */
export const COVER_ASSET = { ETH: 0, DAI: 1, USDC: 6, NXM: 255 } as const;
export const DAY = 24n * 60n * 60n;
export const YEAR = 365n * DAY;
export const AAVE_PRODUCT_ID = 7;
export const DEPRECATED_PRODUCT_ID = 8;
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

/** Premium the mock charges: amount x bps x period / (10000 x 365 days), rounded up. */
export function expectedPremium(amount: bigint, period: bigint, priceBps = AAVE_PRICE_BPS): bigint {
  const numerator = amount * priceBps * period;
  const denominator = 10_000n * YEAR;
  return (numerator + denominator - 1n) / denominator;
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

/** Registry + Cover (+ NFT) + Claims mocks wired together, with USDC/DAI products and funded payouts. */
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

  await cover.mockNexusSetClaims(await claims.getAddress());
  await cover.mockNexusSetCoverAsset(COVER_ASSET.USDC, await usdc.getAddress());
  await cover.mockNexusSetCoverAsset(COVER_ASSET.DAI, await dai.getAddress());
  await cover.mockNexusSetProduct(AAVE_PRODUCT_ID, Number(AAVE_PRICE_BPS), false);
  await cover.mockNexusSetProduct(DEPRECATED_PRODUCT_ID, 100, true);
  await cover.mockNexusSetCapacity(AAVE_PRODUCT_ID, COVER_ASSET.USDC, 1_000_000n * USDC_UNIT);
  await cover.mockNexusSetCapacity(AAVE_PRODUCT_ID, COVER_ASSET.DAI, 1_000_000n * DAI_UNIT);

  // payouts come from the Claims mock (the pool stand-in)
  await usdc.mint(await claims.getAddress(), 10_000_000n * USDC_UNIT);
  await dai.mint(await claims.getAddress(), 10_000_000n * DAI_UNIT);

  await registry.mockNexusSetMember(member.address, true);
  await usdc.mint(member.address, 1_000_000n * USDC_UNIT);
  await usdc.connect(member).approve(await cover.getAddress(), ethers.MaxUint256);
  await dai.mint(member.address, 1_000_000n * DAI_UNIT);
  await dai.connect(member).approve(await cover.getAddress(), ethers.MaxUint256);

  return { deployer, fund, member, outsider, commissionDestination, usdc, dai, usdt, registry, cover, claims, coverNFT };
}
