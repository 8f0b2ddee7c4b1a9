import { buildModule } from "@nomicfoundation/hardhat-ignition/modules";

import { DEMO_PORTFOLIO, NEXUS_COVER_ASSET, TOKEN_DECIMALS, wholeTokens } from "../../keeper/src/demo/portfolio";
import MockTokens from "./MockTokens";

/** Capacity per product and cover asset, whole tokens. */
const CAPACITY = 5_000_000;
/** Tokens held by the Claims mock to pay claims (it stands in for the Nexus capital pool), whole tokens. */
const CLAIMS_FUNDING = 10_000_000;

/**
 * Nexus Mutual mocks with the mainnet ABI: registry, cover (with its CoverNFT), claims; the demo
 * products listed with capacity in USDC and DAI; the claims mock funded. Owned by the deployer.
 */
export default buildModule("MockNexus", (m) => {
  const { usdc, dai } = m.useModule(MockTokens);
  const owner = m.getAccount(0);
  const annualPriceBps = m.getParameter("annualPriceBps", 100);

  const registry = m.contract("MockNexusMutualRegistry", [owner]);
  const cover = m.contract("MockNexusMutualCover", [registry, owner]);
  const claims = m.contract("MockNexusMutualClaims", [registry, cover, owner]);
  m.call(cover, "mockNexusSetClaims", [claims]);
  m.call(cover, "mockNexusSetCoverAsset", [NEXUS_COVER_ASSET.USDC, usdc], { id: "coverAsset_USDC" });
  m.call(cover, "mockNexusSetCoverAsset", [NEXUS_COVER_ASSET.DAI, dai], { id: "coverAsset_DAI" });

  for (const position of DEMO_PORTFOLIO) {
    const product = position.nexusProductId;
    if (product === undefined) continue;
    m.call(cover, "mockNexusSetProduct", [product, annualPriceBps, false], { id: `product_${product}` });
    m.call(cover, "mockNexusSetCapacity", [product, NEXUS_COVER_ASSET.USDC, wholeTokens(CAPACITY, TOKEN_DECIMALS.USDC)], {
      id: `capacity_${product}_USDC`,
    });
    m.call(cover, "mockNexusSetCapacity", [product, NEXUS_COVER_ASSET.DAI, wholeTokens(CAPACITY, TOKEN_DECIMALS.DAI)], {
      id: `capacity_${product}_DAI`,
    });
  }
  m.call(usdc, "mint", [claims, wholeTokens(CLAIMS_FUNDING, TOKEN_DECIMALS.USDC)], { id: "fundClaims_USDC" });
  m.call(dai, "mint", [claims, wholeTokens(CLAIMS_FUNDING, TOKEN_DECIMALS.DAI)], { id: "fundClaims_DAI" });

  return { registry, cover, claims };
});
