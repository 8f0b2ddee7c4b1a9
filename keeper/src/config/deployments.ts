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
