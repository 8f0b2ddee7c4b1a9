/**
 * Deploys the stack for the selected network through Ignition:
 *   npm run deploy:local     (LocalStack on `npx hardhat node`, deploy/parameters/localhost.json)
 *   npm run deploy:sepolia   (LocalStack with mocks, deploy/parameters/sepolia.json)
 *   CONFIRM_MAINNET=yes npx hardhat run --network mainnet scripts/deploy.ts   (MainnetStack)
 * DEPLOY_PARAMETERS overrides the parameters file. Addresses land in
 * deploy/deployments/chain-<id>/deployed_addresses.json, where the keeper looks them up.
 */
import fs from "node:fs";
import path from "node:path";
import hre from "hardhat";

import { mainnetConfirmationProblem } from "../deploy/lib/networkEnv";
import { rolePlaceholderProblems } from "../deploy/lib/parameters";
import LocalStack from "../deploy/modules/LocalStack";
import MainnetStack from "../deploy/modules/MainnetStack";
import { deployedAddressesFile, readDeployedFund } from "../keeper/src/config/deployments";
import { deploymentsDir, runScript } from "./lib/context";
import { ScriptInputError, optional } from "./lib/inputs";

const PARAMETERS_DIR = path.join(__dirname, "..", "deploy", "parameters");
const REAL_NETWORKS = new Set(["sepolia", "mainnet"]);

runScript(async () => {
  const network = hre.network.name;
  const isMainnet = network === "mainnet" || hre.network.config.chainId === 1;
  if (isMainnet) {
    const refusal = mainnetConfirmationProblem(process.env);
    if (refusal !== null) throw new ScriptInputError(refusal);
  }
  if (network === "hardhat") {
    throw new ScriptInputError(
      "the in-process network forgets the deployment on exit — start `npx hardhat node` and use --network localhost (npm run deploy:local)",
    );
  }
  const defaultFile = path.join(PARAMETERS_DIR, `${isMainnet ? "mainnet" : network === "sepolia" ? "sepolia" : "localhost"}.json`);
  const parametersFile = path.resolve(optional(process.env, "DEPLOY_PARAMETERS") ?? defaultFile);
  if (!fs.existsSync(parametersFile)) throw new ScriptInputError(`parameters file ${parametersFile} not found (DEPLOY_PARAMETERS)`);
  if (REAL_NETWORKS.has(network)) {
    const problems = rolePlaceholderProblems(JSON.parse(fs.readFileSync(parametersFile, "utf8")));
    if (problems.length > 0) throw new ScriptInputError(`${parametersFile}:\n  ${problems.join("\n  ")}`);
  }

  const chainId = Number((await hre.ethers.provider.getNetwork()).chainId);
  console.log(`deploying ${isMainnet ? "MainnetStack" : "LocalStack"} to ${network} (chain ${chainId}) with ${parametersFile}`);
  await hre.ignition.deploy(isMainnet ? MainnetStack : LocalStack, { parameters: parametersFile, displayUi: true });

  const deployed = readDeployedFund(chainId, deploymentsDir(hre));
  console.log(`fund ${deployed.fundAddress}`);
  console.log(`lens ${deployed.lensAddress}`);
  console.log(`addresses: ${path.relative(process.cwd(), deployedAddressesFile(chainId, deploymentsDir(hre)))}`);
  if (isMainnet) {
    console.log("next: make the NexusMutualAdapter a Nexus member (Registry.join with Nexus' KYC signature) before hedged purchases");
  }
});
