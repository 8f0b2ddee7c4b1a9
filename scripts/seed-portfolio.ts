/**
 * Local chain only: the original investor's portfolio (Aave V3 $45,000, Compound V3 $35,000,
 * Uniswap V3 $40,000, Curve $38,000, Yearn $42,000, GMX $25,000, Radiant $15,000) on the
 * LocalStack deployment: the keeper account pushes risk scores (stepped down from 90 as the fund
 * allows, moving the local chain's clock), then the investor buys coverage
 * for every position (Nexus-hedged where the mock Nexus lists the product, GMX through the second
 * provider, Radiant/USDT self-insured).
 *   npx hardhat run --network localhost scripts/seed-portfolio.ts
 * Env: BUYER_INDEX (local account index, default 4), DURATION_DAYS (30..365, default 90), FUND_ADDRESS.
 * The keeper account also gets KEEPER_FLOAT (default 100000) of each stablecoin for premiums. The
 * buyer is the beneficiary: it approves the keeper as its agent with `npm run keeper -- set-agent`
 * (docs/operator-local.md), the step a real beneficiary (a Safe) takes with its own key.
 */
import hre from "hardhat";

import { DEMO_PORTFOLIO, PROVIDER_ID, demoProtocol, providerFor, type DemoPosition } from "../keeper/src/demo/portfolio";
import { ROLE } from "../deploy/modules/Fund";
import { connectFund, fundTokens, runScript } from "./lib/context";
import { ScriptInputError, parseNumber, requireLocalNetwork } from "./lib/inputs";
import { formatToken, formatUsd } from "../keeper/src/lib/format";
import { writeRiskStepped, type RiskTarget } from "../test/helpers/riskSteps";

/** Illustrative risk components (0 best .. 100 worst) per demo protocol. */
const RISK_COMPONENTS: Readonly<Record<string, readonly [number, number, number, number, number]>> = {
  "aave-v3": [10, 10, 15, 20, 20],
  "compound-v3": [20, 25, 15, 20, 25],
  "uniswap-v3": [15, 15, 15, 15, 20],
  curve: [30, 40, 15, 55, 30],
  yearn: [25, 30, 20, 50, 30],
  gmx: [35, 35, 30, 40, 35],
  radiant: [60, 55, 60, 80, 60],
};

function riskUpdate(position: DemoPosition): RiskTarget {
  const components = RISK_COMPONENTS[position.id];
  if (components === undefined) throw new Error(`no risk components for ${position.id}`);
  const [tvlStability, auditQuality, timeSinceDeployment, exploitHistory, teamReputation] = components;
  return { protocol: demoProtocol(position), tvlStability, auditQuality, timeSinceDeployment, exploitHistory, teamReputation };
}

runScript(async () => {
  requireLocalNetwork(hre.network.name, "seed-portfolio");
  const durationDays = parseNumber(process.env, "DURATION_DAYS", 90, 30, 365);
  const buyerIndex = parseNumber(process.env, "BUYER_INDEX", 4, 0, 19);
  const fund = await connectFund(hre, process.env);
  const tokens = await fundTokens(hre, fund);
  const signers = await hre.ethers.getSigners();
  const buyer = signers[buyerIndex];
  if (buyer === undefined) throw new ScriptInputError(`BUYER_INDEX=${buyerIndex}: the node has only ${signers.length} accounts`);

  let keeper;
  for (const signer of signers) {
    if (await fund.hasRole(ROLE.RISK_ORACLE_ROLE, signer.address)) {
      keeper = signer;
      break;
    }
  }
  if (keeper === undefined) throw new ScriptInputError("no local account holds RISK_ORACLE_ROLE — grant it first (scripts/grant-role.ts)");

  const keeperFloat = parseNumber(process.env, "KEEPER_FLOAT", 100_000, 0, 1_000_000_000);
  for (const token of tokens.values()) {
    const erc20 = await hre.ethers.getContractAt("MockUSDC", token.address, keeper);
    await (await erc20.mint(keeper.address, BigInt(keeperFloat) * 10n ** BigInt(token.decimals))).wait();
  }
  console.log(`keeper ${keeper.address}: ${keeperFloat.toLocaleString("en-US")} of ${[...tokens.keys()].join(", ")} minted for premiums`);

  // The fund lowers a score by at most maxRiskDecreasePerDay a day and counts a first score as a
  // fall from 90: the first push is what the fund allows now, then (local chain) the clock moves the
  // days needed and the scores are pushed as assessed.
  const startedAt = (await hre.ethers.provider.getBlock("latest"))!.timestamp;
  await writeRiskStepped(fund, keeper, DEMO_PORTFOLIO.map(riskUpdate));
  const days = Math.round(((await hre.ethers.provider.getBlock("latest"))!.timestamp - startedAt) / 86_400);
  console.log(`risk scores pushed by ${keeper.address} for ${DEMO_PORTFOLIO.length} protocols (stepped down from 90, chain time +${days} d)`);

  const duration = BigInt(Math.round(durationDays * 24 * 60 * 60));
  const fundAddress = await fund.getAddress();
  for (const position of DEMO_PORTFOLIO) {
    const token = tokens.get(position.stablecoin);
    if (token === undefined) throw new ScriptInputError(`the fund has no ${position.stablecoin}`);
    const protocol = demoProtocol(position);
    const amount = BigInt(position.usd) * 10n ** BigInt(token.decimals);
    const premium = await fund.quotePremium(protocol, token.address, amount, duration);
    const erc20 = await hre.ethers.getContractAt("MockUSDC", token.address, buyer);
    await (await erc20.mint(buyer.address, premium)).wait();
    if ((await erc20.allowance(buyer.address, fundAddress)) !== 0n) await (await erc20.approve(fundAddress, 0)).wait();
    await (await erc20.approve(fundAddress, premium)).wait();
    const providerId = providerFor(position);
    const coverData =
      providerId === PROVIDER_ID.nexus
        ? hre.ethers.AbiCoder.defaultAbiCoder().encode(["tuple(uint256 poolId, uint256 coverAmountInAsset)[]"], [[[1, amount]]])
        : "0x";
    await (
      await fund
        .connect(buyer)
        .purchaseProtocolCoverage(protocol, token.address, amount, duration, premium, buyer.address, providerId, coverData)
    ).wait();
    const coverId = await fund.coverageCount();
    console.log(
      `${position.name}: ${formatToken(amount, token.decimals, position.stablecoin)} (${formatUsd(position.usd)}), cover #${coverId}, provider ${providerId}, premium ${formatToken(premium, token.decimals, position.stablecoin)}`,
    );
  }
  console.log(`beneficiary ${buyer.address}: next, write the keeper config: npm run keeper -- init --beneficiary ${buyer.address}`);
  if (!(await fund.isAgent(buyer.address, keeper.address))) {
    console.log(`then the beneficiary approves the keeper: BENEFICIARY_PRIVATE_KEY=<key of ${buyer.address}> npm run keeper -- set-agent ${keeper.address}`);
  }
});
