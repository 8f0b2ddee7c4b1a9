import { buildModule } from "@nomicfoundation/hardhat-ignition/modules";

import { DEMO_PORTFOLIO, NEXUS_COVER_ASSET, NEXUS_DAI_ASSET_ID, TOKEN_DECIMALS, wholeTokens } from "../../keeper/src/demo/portfolio";
import MockTokens from "./MockTokens";

/** Capacity of staking pool 1 per product, in whole USDC (held as NXM at the mock's NXM price). */
const CAPACITY = 5_000_000;
/** USDC held by the Nexus Pool mock to pay claims, whole tokens. */
const POOL_FUNDING = 10_000_000;

/**
 * Nexus Mutual mocks with the mainnet v3.1 ABI: Registry, Cover (with its CoverNFT, CoverProducts and
 * Pool), Claims (with its Assessments); USDC a cover asset, DAI listed in the Pool as abandoned (as on
 * mainnet), the demo products listed in staking pool 1, the Pool funded. Owned by the deployer.
 */
export default buildModule("MockNexus", (m) => {
  const { usdc, dai } = m.useModule(MockTokens);
  const owner = m.getAccount(0);
  const annualPriceBps = m.getParameter("annualPriceBps", 100);

  const registry = m.contract("MockNexusMutualRegistry", [owner]);
  const cover = m.contract("MockNexusMutualCover", [registry, owner]);
  const claims = m.contract("MockNexusMutualClaims", [registry, cover, owner]);
  m.call(cover, "mockNexusSetClaims", [claims]);
  const poolAddress = m.staticCall(cover, "pool", [], 0, { id: "poolAddress" });
  const pool = m.contractAt("MockNexusMutualPool", poolAddress, { id: "NexusPool" });
  m.call(registry, "mockNexusSetPool", [pool]);
  const usdcAsset = m.call(cover, "mockNexusSetCoverAsset", [NEXUS_COVER_ASSET.USDC, usdc], { id: "coverAsset_USDC" });
  m.call(pool, "mockNexusSetAsset", [NEXUS_DAI_ASSET_ID, dai, true, true], { id: "abandonedAsset_DAI" });

  for (const position of DEMO_PORTFOLIO) {
    const product = position.nexusProductId;
    if (product === undefined) continue;
    m.call(cover, "mockNexusSetProduct", [product, annualPriceBps, false], { id: `product_${product}` });
    m.call(cover, "mockNexusSetCapacity", [product, NEXUS_COVER_ASSET.USDC, wholeTokens(CAPACITY, TOKEN_DECIMALS.USDC)], {
      id: `capacity_${product}_USDC`,
      after: [usdcAsset],
    });
  }
  m.call(usdc, "mint", [pool, wholeTokens(POOL_FUNDING, TOKEN_DECIMALS.USDC)], { id: "fundPool_USDC" });

  return { registry, cover, claims, pool };
});
