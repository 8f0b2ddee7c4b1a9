import { buildModule } from "@nomicfoundation/hardhat-ignition/modules";

import MockTokens from "./MockTokens";

/**
 * Test networks only: local stand-ins of the demo portfolio's seven protocols over the mock
 * stablecoins, each with the real ABI the keeper's position readers speak
 * (contracts/mocks/protocols): an Aave v2-style lending pool (Radiant USDT) with its aToken, a
 * Comet (cUSDCv3), three ERC-4626 vaults (Yearn DAI, GMX USDC, a Uniswap V3 USDC LP vault) and a
 * two-coin Curve pool (DAI/USDC). Aave v3 is not a stand-in: the embedded run deploys the real
 * market over the same mock tokens (keeper/src/demo/realAave.ts). Positions and other suppliers'
 * deposits are made by the embedded run (keeper/src/cli/embedded.ts), not here. The deployer owns
 * the test helpers (`mockExploitDrain`, `mockExploitBorrow`, `mockAccrueIncome`).
 */
export default buildModule("DemoProtocols", (m) => {
  const { usdc, usdt, dai } = m.useModule(MockTokens);

  const radiantPool = m.contract("MockAaveV2LendingPool", [], { id: "RadiantPool" });
  const radiantInit = m.call(radiantPool, "mockInitReserve", [usdt, "Radiant interest bearing USDT", "rUSDT", 6], { id: "initReserve_rUSDT" });
  const rUSDT = m.contractAt("MockAaveV3AToken", m.readEventArgument(radiantInit, "MockReserveInitialized", "aToken", { id: "rUSDT_address" }), { id: "rUSDT" });

  const comet = m.contract("MockComet", [usdc], { id: "cUSDCv3" });
  const yearn = m.contract("MockERC4626Vault", [dai, "DAI yVault", "yvDAI"], { id: "YearnDaiVault" });
  const gmx = m.contract("MockERC4626Vault", [usdc, "GMX Market USDC", "GM-USDC"], { id: "GmxUsdcVault" });
  const uniswap = m.contract("MockERC4626Vault", [usdc, "Uniswap V3 USDC range vault", "UNIV3-USDC"], { id: "UniswapV3LpVault" });
  // Curve's default stable-pool fee: 0.04% (4e6 in 1e10 units); int128 coin index.
  const curve = m.contract("MockCurveStableSwapPool", ["Curve.fi DAI/USDC", "DAIUSDC-f", [dai, usdc], [18, 6], 4_000_000n, false], {
    id: "CurveDaiUsdcPool",
  });

  return { radiantPool, rUSDT, comet, yearn, gmx, uniswap, curve };
});
