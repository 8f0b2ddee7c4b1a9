import { ethers } from "hardhat";

import { units } from "../helpers/fundFixture";
import { asAccount, HOLDERS, MAINNET, NEXUS_COVER_ASSET, NEXUS_DAI_ASSET_ID, rpc } from "./mainnet";

/**
 * What a mainnet suite needs from its chain: the real fork or the offline replica. The test
 * bodies (mainnetSuite.ts) only talk to this, so the same assertions run in both.
 */
export interface MainnetEnv {
  kind: "fork" | "replica";
  /** Makes `account` a Nexus Mutual member. Returns false when the chain does not allow it. */
  makeNexusMember(account: string): Promise<boolean>;
  /** The ERC20 Nexus pays out for cover asset `coverAsset`; zero when the Pool has it but not as an active cover asset. */
  nexusCoverAssetToken(coverAsset: number): Promise<string>;
  /** (product, staking pool) pairs to try for a USDC cover, most likely first. */
  nexusCandidates(): Promise<{ productId: number; poolId: number }[]>;
  /** Whether the Nexus contracts exist at this block (code at the addresses). */
  nexusDeployed(): Promise<boolean>;
}

const SLOTS_TO_COPY = 16; // plain storage variables of the mocks live in the first slots

/** Replaces every occurrence of each `from` address (as 20 raw bytes) in `code` by its `to`. */
function relink(code: string, links: ReadonlyMap<string, string>): string {
  let out = code.toLowerCase();
  for (const [from, to] of links) out = out.split(from.slice(2).toLowerCase()).join(to.slice(2).toLowerCase());
  return out;
}

/**
 * Copies `source`'s runtime code (relinked) and its first storage slots to `target`. Immutables
 * are baked into the code, so every deployed mock address in `links` is rewritten to the mainnet
 * address it stands for; storage words holding such an address are rewritten the same way.
 */
async function placeAt(source: string, target: string, links: ReadonlyMap<string, string>): Promise<void> {
  const code = (await rpc("eth_getCode", [source, "latest"])) as string;
  await rpc("hardhat_setCode", [target, relink(code, links)]);
  for (let slot = 0; slot < SLOTS_TO_COPY; ++slot) {
    const key = ethers.toQuantity(slot);
    const word = (await rpc("eth_getStorageAt", [source, key, "latest"])) as string;
    if (BigInt(word) === 0n) continue;
    await rpc("hardhat_setStorageAt", [target, ethers.toBeHex(slot, 32), relink(word, links)]);
  }
}

export const REPLICA_PRODUCT = 7; // the product the replica's Cover mock offers
export const REPLICA_POOL = 1;
const REPLICA_PRICE_BPS = 100;

/**
 * Offline "mainnet replica": MockUSDC/MockUSDT/MockDAI and the Nexus mocks placed at the real
 * mainnet addresses with `hardhat_setCode`, relinked to each other by address, configured through
 * their setters (mappings do not carry over), and the HOLDERS funded so tests impersonate them as
 * on a fork. `admin` owns the Nexus mocks and is the USDC blacklister.
 */
export async function installReplica(admin: string): Promise<MainnetEnv> {
  const adminSigner = await ethers.getSigner(admin);
  const links = new Map<string, string>();

  const tokens = [
    ["MockUSDC", MAINNET.USDC],
    ["MockUSDT", MAINNET.USDT],
    ["MockDAI", MAINNET.DAI],
  ] as const;
  for (const [name, target] of tokens) {
    const mock = await ethers.deployContract(name, adminSigner);
    links.set(await mock.getAddress(), target);
    await placeAt(await mock.getAddress(), target, links);
  }

  // Cover NFT: its operator (immutable) must be the mainnet Cover address.
  const nft = await ethers.deployContract("MockNexusMutualCoverNFT", [MAINNET.nexus.cover], adminSigner);
  const registry = await ethers.deployContract("MockNexusMutualRegistry", [admin], adminSigner);
  links.set(await registry.getAddress(), MAINNET.nexus.registry);
  await placeAt(await registry.getAddress(), MAINNET.nexus.registry, links);
  // Cover creates its own NFT; relinking maps that NFT's address to the mainnet CoverNFT.
  // Cover creates its NFT, CoverProducts and Pool; relinking maps each to its mainnet address (their
  // `cover` immutables are rewritten to the mainnet Cover the same way).
  const cover = await ethers.deployContract("MockNexusMutualCover", [MAINNET.nexus.registry, admin], adminSigner);
  const coverProductsAt = await cover.coverProducts();
  const poolAt = await cover.pool();
  links.set(await cover.coverNFT(), MAINNET.nexus.coverNFT);
  links.set(coverProductsAt, MAINNET.nexus.coverProducts);
  links.set(poolAt, MAINNET.nexus.pool);
  links.set(await cover.getAddress(), MAINNET.nexus.cover);
  await placeAt(await nft.getAddress(), MAINNET.nexus.coverNFT, links);
  await placeAt(coverProductsAt, MAINNET.nexus.coverProducts, links);
  await placeAt(poolAt, MAINNET.nexus.pool, links);
  await placeAt(await cover.getAddress(), MAINNET.nexus.cover, links);
  // Claims reads cover.coverNFT() in its constructor: deployed after the Cover is in place; it creates Assessments.
  const claims = await ethers.deployContract("MockNexusMutualClaims", [MAINNET.nexus.registry, MAINNET.nexus.cover, admin], adminSigner);
  links.set(await claims.assessments(), MAINNET.nexus.assessments);
  links.set(await claims.getAddress(), MAINNET.nexus.claims);
  await placeAt(await claims.assessments(), MAINNET.nexus.assessments, links);
  await placeAt(await claims.getAddress(), MAINNET.nexus.claims, links);

  const coverAtMainnet = await ethers.getContractAt("MockNexusMutualCover", MAINNET.nexus.cover, adminSigner);
  // Arrays live outside the copied slots: the protocol-cover product type and the Pool's assets are set again.
  const productsAtMainnet = await ethers.getContractAt("MockNexusMutualCoverProducts", MAINNET.nexus.coverProducts, adminSigner);
  await productsAtMainnet.mockNexusSetProductType(0, {
    claimMethod: 0,
    gracePeriod: 30 * 86_400,
    assessmentCooldownPeriod: 86_400,
    payoutRedemptionPeriod: 30 * 86_400,
  });
  const poolAtMainnet = await ethers.getContractAt("MockNexusMutualPool", MAINNET.nexus.pool, adminSigner);
  await poolAtMainnet.mockNexusSetAsset(0, await poolAtMainnet.ETH(), true, false);
  await coverAtMainnet.mockNexusSetClaims(MAINNET.nexus.claims);
  await coverAtMainnet.mockNexusSetCoverAsset(NEXUS_COVER_ASSET.USDC, MAINNET.USDC);
  await poolAtMainnet.mockNexusSetAsset(NEXUS_DAI_ASSET_ID, MAINNET.DAI, true, true); // abandoned, as on mainnet
  await coverAtMainnet.mockNexusSetProduct(REPLICA_PRODUCT, REPLICA_PRICE_BPS, false);
  await coverAtMainnet.mockNexusSetCapacity(REPLICA_PRODUCT, NEXUS_COVER_ASSET.USDC, units(5_000_000, 6));

  // Balances: the first holder of each token, like a whale on mainnet; Nexus pays claims from Claims.
  const usdc = await ethers.getContractAt("MockUSDC", MAINNET.USDC);
  const usdt = await ethers.getContractAt("MockUSDT", MAINNET.USDT);
  const dai = await ethers.getContractAt("MockDAI", MAINNET.DAI);
  await usdc.mint(HOLDERS.USDC[0]!, units(50_000_000, 6));
  await usdt.mint(HOLDERS.USDT[0]!, units(50_000_000, 6));
  await dai.mint(HOLDERS.DAI[0]!, units(50_000_000, 18));
  await usdc.mint(MAINNET.nexus.pool, units(10_000_000, 6));

  const registryAtMainnet = await ethers.getContractAt("MockNexusMutualRegistry", MAINNET.nexus.registry, adminSigner);
  return {
    kind: "replica",
    async makeNexusMember(account) {
      await registryAtMainnet.mockNexusSetMember(account, true);
      return true;
    },
    async nexusCoverAssetToken(coverAsset) {
      return coverAtMainnet.mockNexusCoverAssetToken(coverAsset);
    },
    async nexusCandidates() {
      return [{ productId: REPLICA_PRODUCT, poolId: REPLICA_POOL }];
    },
    async nexusDeployed() {
      return true;
    },
  };
}

// ------------------------------------------------------------------ the real fork

const REGISTRY_ABI = [
  "function getMemberAddress(uint256) view returns (address)",
  "function getMemberId(address) view returns (uint256)",
  "function getMemberCount() view returns (uint256)",
  "function isMember(address) view returns (bool)",
];
const POOL_ABI = ["function getAsset(uint256) view returns ((address assetAddress, bool isCoverAsset, bool isAbandoned))"];
const PRODUCTS_ABI = [
  "function getProductCount() view returns (uint256)",
  "function getProduct(uint256) view returns ((uint16 productType, uint16 minPrice, uint144 __gap, uint32 coverAssets, uint16 initialPriceRatio, uint16 capacityReductionRatio, bool isDeprecated, bool useFixedPrice))",
];

/**
 * The real fork. Membership: the Registry's member-id mapping slot is found by probing
 * `keccak(member, slot)` for a known member, then the adapter is given that member's id with
 * `hardhat_setStorageAt` (the KYC-signed `join` cannot be done on a fork: Nexus's KYC signer signs
 * `Join(member)` off-chain; see docs/deploy.md and `adapter.joinNexus`).
 */
export function forkEnv(): MainnetEnv {
  const registry = new ethers.Contract(MAINNET.nexus.registry, REGISTRY_ABI, ethers.provider);
  const pool = new ethers.Contract(MAINNET.nexus.pool, POOL_ABI, ethers.provider);
  const products = new ethers.Contract(MAINNET.nexus.coverProducts, PRODUCTS_ABI, ethers.provider);
  return {
    kind: "fork",
    async makeNexusMember(account) {
      const count = (await registry.getFunction("getMemberCount")()) as bigint;
      for (let id = 1n; id <= count && id <= 20n; ++id) {
        const member = (await registry.getFunction("getMemberAddress")(id)) as string;
        if (member === ethers.ZeroAddress) continue;
        const memberId = (await registry.getFunction("getMemberId")(member)) as bigint;
        for (let slot = 0; slot < 64; ++slot) {
          const key = ethers.keccak256(ethers.AbiCoder.defaultAbiCoder().encode(["address", "uint256"], [member, slot]));
          const word = BigInt((await rpc("eth_getStorageAt", [MAINNET.nexus.registry, key, "latest"])) as string);
          if (word !== memberId) continue;
          const target = ethers.keccak256(ethers.AbiCoder.defaultAbiCoder().encode(["address", "uint256"], [account, slot]));
          await rpc("hardhat_setStorageAt", [MAINNET.nexus.registry, target, ethers.zeroPadValue(ethers.toBeHex(memberId), 32)]);
          if ((await registry.getFunction("isMember")(account)) as boolean) return true;
        }
      }
      return false;
    },
    async nexusCoverAssetToken(coverAsset) {
      const asset = (await pool.getFunction("getAsset")(coverAsset)) as { assetAddress: string; isCoverAsset: boolean; isAbandoned: boolean };
      return asset.isCoverAsset && !asset.isAbandoned ? asset.assetAddress : ethers.ZeroAddress;
    },
    async nexusCandidates() {
      const envProduct = process.env.FORK_NEXUS_PRODUCT;
      const envPool = process.env.FORK_NEXUS_POOL;
      if (envProduct !== undefined && envPool !== undefined) return [{ productId: Number(envProduct), poolId: Number(envPool) }];
      const count = Number((await products.getFunction("getProductCount")()) as bigint);
      const out: { productId: number; poolId: number }[] = [];
      for (let productId = 0; productId < count && out.length < 60; ++productId) {
        const p = (await products.getFunction("getProduct")(productId)) as { isDeprecated: boolean; coverAssets: bigint; productType: bigint };
        const usdcAllowed = p.coverAssets === 0n || (p.coverAssets & (1n << BigInt(NEXUS_COVER_ASSET.USDC))) !== 0n;
        if (p.isDeprecated || !usdcAllowed || p.productType !== 0n) continue; // type 0: protocol cover
        for (let poolId = 1; poolId <= 6; ++poolId) out.push({ productId, poolId });
      }
      return out;
    },
    async nexusDeployed() {
      const codes = await Promise.all([MAINNET.nexus.cover, MAINNET.nexus.claims, MAINNET.nexus.registry].map((a) => ethers.provider.getCode(a)));
      return codes.every((c) => c !== "0x");
    },
  };
}

/** Impersonates `blacklister()` of the USDC at MAINNET.USDC and (un)blocks `account`. */
export async function setUsdcBlocked(account: string, blocked: boolean): Promise<void> {
  const usdc = new ethers.Contract(MAINNET.USDC, ["function blacklister() view returns (address)", "function blacklist(address)", "function unBlacklist(address)"], ethers.provider);
  const blacklister = (await usdc.getFunction("blacklister")()) as string;
  await asAccount(blacklister, async (signer) => {
    const connected = usdc.connect(signer);
    await (await connected.getFunction(blocked ? "blacklist" : "unBlacklist")(account)).wait();
  });
}
