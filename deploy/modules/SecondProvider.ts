import { buildModule } from "@nomicfoundation/hardhat-ignition/modules";

import { DEMO_PORTFOLIO, TOKEN_DECIMALS, demoProtocol, wholeTokens } from "../../keeper/src/demo/portfolio";
import Fund from "./Fund";
import MockTokens from "./MockTokens";
import NexusAdapter from "./NexusAdapter";

/** Capacity of the second provider per protocol and asset, whole tokens. */
const CAPACITY = 1_000_000;
/** Tokens held by the provider to pay claims, whole tokens. */
const CLAIMS_FUNDING = 2_000_000;

/**
 * Test networks only: the capacity-limited mock provider, registered as provider 2 (after the
 * Nexus adapter), with a market for every demo protocol in its stablecoin.
 */
export default buildModule("SecondProvider", (m) => {
  const tokens = m.useModule(MockTokens);
  const { fund } = m.useModule(Fund);
  const annualPriceBps = m.getParameter("annualPriceBps", 150);

  const provider = m.contract("MockCapacityLimitedProvider", [fund, annualPriceBps, m.getAccount(0)]);
  const byToken = { USDC: tokens.usdc, USDT: tokens.usdt, DAI: tokens.dai } as const;
  const markets = DEMO_PORTFOLIO.map((position) =>
    m.call(
      provider,
      "mockSetMarket",
      [demoProtocol(position), byToken[position.stablecoin], true, wholeTokens(CAPACITY, TOKEN_DECIMALS[position.stablecoin])],
      { id: `market_${position.id.replace(/[^A-Za-z0-9]/g, "_")}` },
    ),
  );
  for (const [symbol, token] of Object.entries(byToken)) {
    const decimals = TOKEN_DECIMALS[symbol as keyof typeof byToken];
    m.call(token, "mint", [provider, wholeTokens(CLAIMS_FUNDING, decimals)], { id: `fundProvider_${symbol}` });
  }
  m.call(fund, "registerProvider", [provider], { id: "registerSecondProvider", after: [NexusAdapter, ...markets] });
  return { provider };
});
