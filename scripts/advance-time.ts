/**
 * Local chain only: moves chain time forward (e.g. past a self-insured claim's challenge period).
 *   HOURS=49 npx hardhat run --network localhost scripts/advance-time.ts
 * Env: HOURS (1..8760, default 24).
 */
import hre from "hardhat";

import { runScript } from "./lib/context";
import { parseNumber, requireLocalNetwork } from "./lib/inputs";

runScript(async () => {
  requireLocalNetwork(hre.network.name, "advance-time");
  const hours = parseNumber(process.env, "HOURS", 24, 1, 8760);
  await hre.network.provider.send("evm_increaseTime", [Math.round(hours * 3600)]);
  await hre.network.provider.send("evm_mine", []);
  const block = await hre.ethers.provider.getBlock("latest");
  console.log(`chain time +${hours}h: block ${block?.number}, timestamp ${block?.timestamp} (${new Date((block?.timestamp ?? 0) * 1000).toISOString()})`);
});
