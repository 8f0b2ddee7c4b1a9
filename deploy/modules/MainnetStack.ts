import { buildModule } from "@nomicfoundation/hardhat-ignition/modules";

import { MAINNET_NEXUS, MAINNET_NEXUS_PRODUCTS, MAINNET_TOKENS } from "../config/mainnet";
import { buildFundModule } from "./Fund";
import { buildNexusAdapterModule } from "./NexusAdapter";

const ERC20 = "@openzeppelin/contracts/token/ERC20/extensions/IERC20Metadata.sol:IERC20Metadata";

/** The real USDC/USDT/DAI (addresses overridable by parameters, defaults in deploy/config/mainnet.ts). */
const MainnetTokens = buildModule("MainnetTokens", (m) => ({
  usdc: m.contractAt(ERC20, m.getParameter("usdc", MAINNET_TOKENS.USDC), { id: "USDC" }),
  usdt: m.contractAt(ERC20, m.getParameter("usdt", MAINNET_TOKENS.USDT), { id: "USDT" }),
  dai: m.contractAt(ERC20, m.getParameter("dai", MAINNET_TOKENS.DAI), { id: "DAI" }),
}));

/** The real Nexus Mutual Cover and Claims (@nexusmutual/deployments 3.4.0). */
const MainnetNexus = buildModule("MainnetNexus", (m) => ({
  cover: m.contractAt("INexusCover", m.getParameter("cover", MAINNET_NEXUS.Cover), { id: "Cover" }),
  claims: m.contractAt("INexusClaims", m.getParameter("claims", MAINNET_NEXUS.Claims), { id: "Claims" }),
}));

const MainnetFund = buildFundModule(MainnetTokens);

/**
 * Mainnet: the fund over the real stablecoins and the Nexus adapter over the real Nexus
 * contracts. No mocks, no second provider, no initial capital. The adapter is not a Nexus member
 * until the admin calls `adapter.joinNexus(kycSignature)` with the join fee (scripts/nexus-join.ts,
 * docs/deploy.md). Run only through
 * the guarded paths (CONFIRM_MAINNET=yes).
 */
export default buildModule("MainnetStack", (m) => {
  const { fund, lens } = m.useModule(MainnetFund);
  const { adapter } = m.useModule(
    buildNexusAdapterModule({ tokens: MainnetTokens, fund: MainnetFund, nexus: MainnetNexus, products: MAINNET_NEXUS_PRODUCTS }),
  );
  return { fund, lens, adapter };
});
