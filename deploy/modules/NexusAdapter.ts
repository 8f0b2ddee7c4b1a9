import { buildModule } from "@nomicfoundation/hardhat-ignition/modules";
import type { CallableContractFuture, ContractFuture, Future, IgnitionModule } from "@nomicfoundation/ignition-core";

import { DEMO_PORTFOLIO, NEXUS_COVER_ASSET, demoProtocol } from "../../keeper/src/demo/portfolio";
import Fund, { type FundModule, type TokensModule } from "./Fund";
import MockNexus from "./MockNexus";
import MockTokens from "./MockTokens";

export type NexusModule = IgnitionModule<string, string, Record<"cover" | "claims", ContractFuture<string>>>;

export interface NexusAdapterOptions {
  readonly tokens: TokensModule;
  readonly fund: FundModule;
  readonly nexus: NexusModule;
  /** Protocol key → Nexus product id. */
  readonly products: readonly { readonly protocol: string; readonly productId: number }[];
  /**
   * On the mocks, the adapter is made a Nexus member by the mock registry. On mainnet the admin calls
   * `adapter.joinNexus(kycSignature)` with the 0.002 ETH join fee (`npx hardhat run
   * scripts/nexus-join.ts`, see docs/deploy.md): Nexus signs the adapter's address after KYC.
   */
  readonly mockRegistry?: IgnitionModule<string, string, Record<"registry", CallableContractFuture<string>>>;
}

/** The Nexus Mutual adapter with product and cover-asset mappings, registered as provider 1. */
export function buildNexusAdapterModule(options: NexusAdapterOptions) {
  return buildModule("NexusAdapter", (m) => {
    const { usdc } = m.useModule(options.tokens);
    const { fund } = m.useModule(options.fund);
    const { cover, claims } = m.useModule(options.nexus);
    const admin = m.getAccount(0);
    // Same admin and the same transfer delay as the fund: the handover (docs/deploy.md) moves both.
    const adminDelay = m.getParameter("adminDelay", 2 * 24 * 60 * 60); // seconds

    const adapter = m.contract("NexusMutualAdapter", [fund, cover, claims, adminDelay, admin]);
    const mappings: Future[] = [
      // USDC only: Nexus covers ETH 0, USDC 6, cbBTC 7; DAI and USDT positions stay self-insured.
      m.call(adapter, "setCoverAsset", [usdc, NEXUS_COVER_ASSET.USDC], { id: "coverAsset_USDC" }),
      ...options.products.map(({ protocol, productId }) =>
        m.call(adapter, "setProduct", [protocol, productId], { id: `product_${productId}_${protocol.slice(2, 10)}` }),
      ),
    ];
    if (options.mockRegistry !== undefined) {
      const { registry } = m.useModule(options.mockRegistry);
      mappings.push(m.call(registry, "mockNexusSetMember", [adapter, true], { id: "mockMembership" }));
    }
    m.call(fund, "registerProvider", [adapter], { id: "registerNexusAdapter", after: mappings });
    return { adapter };
  });
}

/** Demo portfolio protocols that the mock Nexus lists. */
export const DEMO_NEXUS_PRODUCTS = DEMO_PORTFOLIO.flatMap((position) =>
  position.nexusProductId === undefined ? [] : [{ protocol: demoProtocol(position), productId: position.nexusProductId }],
);

/** The adapter over the Nexus mocks (test networks). */
export default buildNexusAdapterModule({
  tokens: MockTokens,
  fund: Fund,
  nexus: MockNexus,
  products: DEMO_NEXUS_PRODUCTS,
  mockRegistry: MockNexus,
});
