import { buildModule } from "@nomicfoundation/hardhat-ignition/modules";

import DemoProtocols from "./DemoProtocols";
import Fund from "./Fund";
import MockNexus from "./MockNexus";
import MockTokens from "./MockTokens";
import NexusAdapter from "./NexusAdapter";
import SecondProvider from "./SecondProvider";

/**
 * Everything on a test network (localhost, Sepolia): mock tokens, mock Nexus, the fund and lens,
 * the Nexus adapter (provider 1), the second provider (2), the stand-ins of the demo protocols
 * (DemoProtocols), and the deployer's initial pool capital per stablecoin (base units; 0 skips
 * the deposit). Multicall3 is not deployed here: Sepolia has the canonical one, and local chains
 * get its bytecode at the canonical address with `hardhat_setCode` (keeper/src/cli/localMulticall.ts).
 */
export default buildModule("LocalStack", (m) => {
  const { usdc, usdt, dai } = m.useModule(MockTokens);
  const { registry, cover, claims } = m.useModule(MockNexus);
  const { fund, lens } = m.useModule(Fund);
  const { adapter } = m.useModule(NexusAdapter);
  const { provider } = m.useModule(SecondProvider);
  const protocols = m.useModule(DemoProtocols);

  const deployer = m.getAccount(0);
  for (const [symbol, token, fallback] of [
    ["USDC", usdc, 1_000_000n * 10n ** 6n],
    ["USDT", usdt, 1_000_000n * 10n ** 6n],
    ["DAI", dai, 1_000_000n * 10n ** 18n],
  ] as const) {
    const amount = m.getParameter(`initialCapital${symbol}`, fallback);
    const minted = m.call(token, "mint", [deployer, amount], { id: `mintCapital_${symbol}` });
    const approved = m.call(token, "approve", [fund, amount], { id: `approveCapital_${symbol}`, after: [minted] });
    m.call(fund, "depositCapital", [token, amount], { id: `depositCapital_${symbol}`, after: [approved] });
  }

  return { fund, lens, usdc, usdt, dai, nexusRegistry: registry, nexusCover: cover, nexusClaims: claims, adapter, secondProvider: provider, ...protocols };
});
