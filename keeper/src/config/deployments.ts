/**
 * Finds the fund and lens of a chain in the Ignition deployment folder
 * (`deploy/deployments/chain-<id>/deployed_addresses.json`), so the keeper needs only the chain.
 * Env FUND_ADDRESS / LENS_ADDRESS (see ./index) still win when set.
 */
import { readFileSync } from "node:fs";
import path from "node:path";
import { REPO_ROOT } from "../lib/paths";
import { getAddress, isAddress } from "ethers";

/** `deploy/deployments` of this repository. */
export const DEFAULT_DEPLOYMENTS_DIR = path.join(REPO_ROOT, "deploy", "deployments");

/**
 * Where deployments are by default: `$SIF_IGNITION_DIR/deployments` when that is set (the same
 * variable moves Hardhat Ignition's output, see hardhat.config.ts), else deploy/deployments.
 */
export function defaultDeploymentsDir(env: Readonly<Record<string, string | undefined>> = process.env): string {
  const ignition = (env["SIF_IGNITION_DIR"] ?? "").trim();
  return ignition === "" ? DEFAULT_DEPLOYMENTS_DIR : path.resolve(ignition, "deployments");
}

/** Ignition future ids of the fund and the lens (module "Fund" in every stack). */
export const FUND_FUTURE_ID = "Fund#StablecoinInsuranceFund";
export const LENS_FUTURE_ID = "Fund#FundLens";

export class DeploymentLookupError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "DeploymentLookupError";
  }
}

export interface DeployedFund {
  readonly chainId: number;
  readonly fundAddress: string;
  readonly lensAddress: string;
  /** The deployed_addresses.json read. */
  readonly file: string;
}

export function deployedAddressesFile(chainId: number, deploymentsDir = DEFAULT_DEPLOYMENTS_DIR): string {
  return path.join(deploymentsDir, `chain-${chainId}`, "deployed_addresses.json");
}

/** Pure: the fund and lens from the parsed file contents; throws naming the missing entry. */
export function parseDeployedFund(contents: unknown, chainId: number, file: string): DeployedFund {
  if (typeof contents !== "object" || contents === null || Array.isArray(contents)) {
    throw new DeploymentLookupError(`${file}: not an Ignition deployed_addresses object`);
  }
  const entries = contents as Record<string, unknown>;
  const pick = (futureId: string): string => {
    const value = entries[futureId];
    if (typeof value !== "string" || !isAddress(value)) {
      throw new DeploymentLookupError(
        `${file}: no address for "${futureId}" — the deployment is incomplete; re-run the deploy for chain ${chainId}`,
      );
    }
    return getAddress(value);
  };
  return { chainId, fundAddress: pick(FUND_FUTURE_ID), lensAddress: pick(LENS_FUTURE_ID), file };
}

/** Reads the fund and lens deployed on `chainId`; throws a DeploymentLookupError saying what to run. */
export function readDeployedFund(chainId: number, deploymentsDir = DEFAULT_DEPLOYMENTS_DIR): DeployedFund {
  if (!Number.isSafeInteger(chainId) || chainId <= 0) {
    throw new DeploymentLookupError(`chain id must be a positive integer, got ${chainId}`);
  }
  const file = deployedAddressesFile(chainId, deploymentsDir);
  let text: string;
  try {
    text = readFileSync(file, "utf8");
  } catch {
    throw new DeploymentLookupError(
      `no deployment for chain ${chainId} (${file} not found) — deploy first (npm run deploy:local / deploy:sepolia) or set FUND_ADDRESS and LENS_ADDRESS`,
    );
  }
  let contents: unknown;
  try {
    contents = JSON.parse(text);
  } catch (err) {
    throw new DeploymentLookupError(`${file}: not valid JSON (${(err as Error).message})`);
  }
  return parseDeployedFund(contents, chainId, file);
}

/** Ignition future ids of the cover-provider adapters the stacks deploy (provider ids 1 and 2 on test networks). */
export const ADAPTER_FUTURE_IDS = {
  nexusAdapter: "NexusAdapter#NexusMutualAdapter",
  secondProvider: "SecondProvider#MockCapacityLimitedProvider",
} as const;

/** Every address of one deployment the keeper may use, all from ONE deployed_addresses.json. */
export interface Deployment extends DeployedFund {
  /** Adapters found in the file, keyed as in ADAPTER_FUTURE_IDS. */
  readonly adapters: Readonly<Partial<Record<keyof typeof ADAPTER_FUTURE_IDS, string>>>;
  /** Every entry of the file (future id → checksummed address). */
  readonly contracts: Readonly<Record<string, string>>;
}

/** Pure: the whole deployment from the parsed file contents. */
export function parseDeployment(contents: unknown, chainId: number, file: string): Deployment {
  const fund = parseDeployedFund(contents, chainId, file);
  const entries = contents as Record<string, unknown>;
  const contracts: Record<string, string> = {};
  for (const [futureId, value] of Object.entries(entries)) {
    if (typeof value === "string" && isAddress(value)) contracts[futureId] = getAddress(value);
  }
  const adapters: Partial<Record<keyof typeof ADAPTER_FUTURE_IDS, string>> = {};
  for (const [key, futureId] of Object.entries(ADAPTER_FUTURE_IDS) as [keyof typeof ADAPTER_FUTURE_IDS, string][]) {
    const address = contracts[futureId];
    if (address !== undefined) adapters[key] = address;
  }
  return { ...fund, adapters, contracts };
}

/**
 * Reads one deployment. `location` is a deployed_addresses.json file, a `chain-<id>` folder or a
 * deployments folder holding `chain-<id>/` (default: this repository's deploy/deployments).
 */
export function readDeployment(chainId: number, location: string = DEFAULT_DEPLOYMENTS_DIR): Deployment {
  const file = deploymentFileFor(chainId, location);
  let text: string;
  try {
    text = readFileSync(file, "utf8");
  } catch {
    throw new DeploymentLookupError(
      `no deployment for chain ${chainId} (${file} not found) — deploy first (npm run deploy:local / deploy:sepolia), set chain.deployment to the deployed_addresses.json, or set FUND_ADDRESS and LENS_ADDRESS`,
    );
  }
  let contents: unknown;
  try {
    contents = JSON.parse(text);
  } catch (err) {
    throw new DeploymentLookupError(`${file}: not valid JSON (${(err as Error).message})`);
  }
  return parseDeployment(contents, chainId, file);
}

/** The deployed_addresses.json a location means for `chainId`. */
export function deploymentFileFor(chainId: number, location: string): string {
  if (!Number.isSafeInteger(chainId) || chainId <= 0) {
    throw new DeploymentLookupError(`chain id must be a positive integer, got ${chainId}`);
  }
  const resolved = path.resolve(location);
  if (resolved.endsWith(".json")) return resolved;
  if (path.basename(resolved) === `chain-${chainId}`) return path.join(resolved, "deployed_addresses.json");
  if (/^chain-\d+$/.test(path.basename(resolved))) {
    throw new DeploymentLookupError(`${resolved} is the deployment of another chain than ${chainId} — point chain.deployment at chain-${chainId}`);
  }
  return deployedAddressesFile(chainId, resolved);
}

/** Where the fund and lens of a resolved config came from. */
export type AddressOrigin =
  | { readonly kind: "explicit" }
  | { readonly kind: "deployment"; readonly file: string; readonly deployment: Deployment };

/**
 * Pure decision over explicit addresses (env / config) and a deployment: either both addresses are
 * explicit, or both come from the one file. An explicit fund that is not the file's fund, with the
 * lens left to the file, is refused: that would pair the lens of one deployment with the fund of
 * another. Returns the addresses or the problems (one line each, naming the fix).
 */
export function chooseAddresses(
  explicit: { readonly fundAddress?: string | undefined; readonly lensAddress?: string | undefined },
  deployment: Deployment | undefined,
): { fundAddress: string; lensAddress: string; origin: AddressOrigin } | { problems: string[] } {
  const { fundAddress, lensAddress } = explicit;
  if (fundAddress !== undefined && lensAddress !== undefined) {
    if (deployment !== undefined) {
      const problems: string[] = [];
      if (getAddress(fundAddress) !== deployment.fundAddress) {
        problems.push(`FUND_ADDRESS / chain.fundAddress ${fundAddress} is not the fund of ${deployment.file} (${deployment.fundAddress}) — drop chain.deployment or the explicit addresses; never mix two deployments`);
      }
      if (getAddress(lensAddress) !== deployment.lensAddress) {
        problems.push(`LENS_ADDRESS / chain.lensAddress ${lensAddress} is not the lens of ${deployment.file} (${deployment.lensAddress}) — drop chain.deployment or the explicit addresses; never mix two deployments`);
      }
      if (problems.length > 0) return { problems };
      return { fundAddress: deployment.fundAddress, lensAddress: deployment.lensAddress, origin: { kind: "deployment", file: deployment.file, deployment } };
    }
    return { fundAddress: getAddress(fundAddress), lensAddress: getAddress(lensAddress), origin: { kind: "explicit" } };
  }
  if (deployment === undefined) {
    return { problems: ["FUND_ADDRESS / LENS_ADDRESS: no deployment found and not both set — deploy first, set chain.deployment, or set both"] };
  }
  const problems: string[] = [];
  if (fundAddress !== undefined && getAddress(fundAddress) !== deployment.fundAddress) {
    problems.push(`FUND_ADDRESS ${fundAddress} is not the fund of ${deployment.file} (${deployment.fundAddress}), whose lens would be used — set LENS_ADDRESS too, or unset FUND_ADDRESS; never mix two deployments`);
  }
  if (lensAddress !== undefined && getAddress(lensAddress) !== deployment.lensAddress) {
    problems.push(`LENS_ADDRESS ${lensAddress} is not the lens of ${deployment.file} (${deployment.lensAddress}), whose fund would be used — set FUND_ADDRESS too, or unset LENS_ADDRESS; never mix two deployments`);
  }
  if (problems.length > 0) return { problems };
  return { fundAddress: deployment.fundAddress, lensAddress: deployment.lensAddress, origin: { kind: "deployment", file: deployment.file, deployment } };
}
