/** What the operator scripts share: the fund of the current chain, its tokens, error reporting. */
import type { HardhatRuntimeEnvironment } from "hardhat/types";
import path from "node:path";
import { getAddress, isAddress } from "ethers";

import { DeploymentLookupError, readDeployedFund } from "../../keeper/src/config/deployments";
import type { StablecoinInsuranceFund } from "../../typechain-types";
import { ScriptInputError, optional, type Env } from "./inputs";

/**
 * Runs a script body; input and lookup errors end the process with exit code 1 and one clear
 * line (no stack trace).
 */
export function runScript(main: () => Promise<void>): void {
  main().catch((err: unknown) => {
    if (err instanceof ScriptInputError || err instanceof DeploymentLookupError) {
      console.error(`error: ${err.message}`);
    } else {
      console.error(err);
    }
    process.exitCode = 1;
  });
}

/** Where Ignition writes deployments for this Hardhat config. */
export function deploymentsDir(hre: HardhatRuntimeEnvironment): string {
  return path.join(hre.config.paths.ignition, "deployments");
}

/** The fund: env FUND_ADDRESS, else the Ignition deployment of the current chain. */
export async function connectFund(hre: HardhatRuntimeEnvironment, env: Env): Promise<StablecoinInsuranceFund> {
  const explicit = optional(env, "FUND_ADDRESS");
  let address: string;
  if (explicit !== undefined) {
    if (!isAddress(explicit)) throw new ScriptInputError(`FUND_ADDRESS=${explicit} is not an address`);
    address = getAddress(explicit);
  } else {
    const chainId = Number((await hre.ethers.provider.getNetwork()).chainId);
    address = readDeployedFund(chainId, deploymentsDir(hre)).fundAddress;
  }
  if ((await hre.ethers.provider.getCode(address)) === "0x") {
    throw new ScriptInputError(`no contract at fund address ${address} on network "${hre.network.name}"`);
  }
  return (await hre.ethers.getContractAt("StablecoinInsuranceFund", address)) as unknown as StablecoinInsuranceFund;
}

export interface FundToken {
  readonly address: string;
  readonly symbol: string;
  readonly decimals: number;
}

/** The fund's stablecoins by symbol (USDC, USDT, DAI). */
export async function fundTokens(hre: HardhatRuntimeEnvironment, fund: StablecoinInsuranceFund): Promise<Map<string, FundToken>> {
  const tokens = new Map<string, FundToken>();
  for (const address of await fund.stablecoins()) {
    const token = await hre.ethers.getContractAt("@openzeppelin/contracts/token/ERC20/extensions/IERC20Metadata.sol:IERC20Metadata", address);
    const symbol = String(await token.getFunction("symbol")()).toUpperCase();
    tokens.set(symbol, { address, symbol, decimals: Number(await token.getFunction("decimals")()) });
  }
  return tokens;
}

/** A fund stablecoin by symbol or address from env `name`. */
export async function resolveToken(
  hre: HardhatRuntimeEnvironment,
  fund: StablecoinInsuranceFund,
  env: Env,
  name: string,
): Promise<FundToken> {
  const tokens = await fundTokens(hre, fund);
  const raw = optional(env, name);
  const known = [...tokens.keys()].join(", ");
  if (raw === undefined) throw new ScriptInputError(`${name} is not set — one of ${known} or a token address`);
  const bySymbol = tokens.get(raw.toUpperCase());
  if (bySymbol !== undefined) return bySymbol;
  const byAddress = [...tokens.values()].find((t) => isAddress(raw) && t.address === getAddress(raw));
  if (byAddress === undefined) throw new ScriptInputError(`${name}=${raw} is not a stablecoin of the fund — use one of ${known}`);
  return byAddress;
}
