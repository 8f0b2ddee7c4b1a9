import { buildModule } from "@nomicfoundation/hardhat-ignition/modules";

/** USDC/USDT/DAI stand-ins with their quirks (test networks only); anyone may mint. */
export default buildModule("MockTokens", (m) => {
  const usdc = m.contract("MockUSDC");
  const usdt = m.contract("MockUSDT");
  const dai = m.contract("MockDAI");
  return { usdc, usdt, dai };
});
