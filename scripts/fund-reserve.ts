/**
 * Deposits pool capital (depositCapital) from signer 0.
 *   ASSET=USDC|USDT|DAI|0x... AMOUNT=250000 (whole tokens) [MINT=yes: mint the mock token first,
 *   local chains only] [FUND_ADDRESS=0x...]
 *   ASSET=USDC AMOUNT=250000 MINT=yes npx hardhat run --network localhost scripts/fund-reserve.ts
 */
import hre from "hardhat";

import { connectFund, resolveToken, runScript } from "./lib/context";
import { ScriptInputError, optional, parseTokenAmount, requireLocalNetwork } from "./lib/inputs";

runScript(async () => {
  const fund = await connectFund(hre, process.env);
  const token = await resolveToken(hre, fund, process.env, "ASSET");
  const amount = parseTokenAmount(process.env, "AMOUNT", token.decimals);
  const [signer] = await hre.ethers.getSigners();
  if (signer === undefined) throw new ScriptInputError(`network "${hre.network.name}" has no signer — set DEPLOYER_PRIVATE_KEY`);
  const erc20 = await hre.ethers.getContractAt("MockUSDC", token.address, signer);

  if (optional(process.env, "MINT") === "yes") {
    requireLocalNetwork(hre.network.name, "MINT=yes");
    await (await erc20.mint(signer.address, amount)).wait();
  }
  const balance = await erc20.balanceOf(signer.address);
  if (balance < amount) {
    throw new ScriptInputError(
      `${signer.address} holds ${hre.ethers.formatUnits(balance, token.decimals)} ${token.symbol}, less than AMOUNT (on a local chain add MINT=yes)`,
    );
  }
  const fundAddress = await fund.getAddress();
  // USDT-style tokens need the allowance reset before a new non-zero value.
  if ((await erc20.allowance(signer.address, fundAddress)) !== 0n) await (await erc20.approve(fundAddress, 0)).wait();
  await (await erc20.approve(fundAddress, amount)).wait();
  const tx = await fund.connect(signer).depositCapital(token.address, amount);
  await tx.wait();
  const pool = await fund.poolBalance(token.address);
  console.log(
    `deposited ${hre.ethers.formatUnits(amount, token.decimals)} ${token.symbol}; pool now ${hre.ethers.formatUnits(pool, token.decimals)} (tx ${tx.hash})`,
  );
});
