import type { Signer } from "ethers";
import { ethers } from "hardhat";

import type { StablecoinInsuranceFund } from "../../typechain-types";

/** The external logic libraries the fund is linked against (see docs/fund.md, "Structure"). */
export const FUND_LIBRARIES = ["ClaimLogic", "CoverageLogic", "IncidentLogic"] as const;

/** Deploys the fund's logic libraries; returns their addresses keyed by library name. */
export async function deployFundLibraries(signer?: Signer): Promise<Record<(typeof FUND_LIBRARIES)[number], string>> {
  const out: Partial<Record<(typeof FUND_LIBRARIES)[number], string>> = {};
  for (const name of FUND_LIBRARIES) {
    const lib = await ethers.deployContract(name, [], signer === undefined ? {} : { signer });
    out[name] = await lib.getAddress();
  }
  return out as Record<(typeof FUND_LIBRARIES)[number], string>;
}

/** Deploys the libraries and the fund linked to them. */
export async function deployInsuranceFund(
  adminDelay: bigint | number,
  admin: string,
  stablecoins: string[],
  signer?: Signer,
): Promise<StablecoinInsuranceFund> {
  const libraries = await deployFundLibraries(signer);
  const factory = await ethers.getContractFactory("StablecoinInsuranceFund", { libraries, ...(signer === undefined ? {} : { signer }) });
  const fund = await factory.deploy(adminDelay, admin, stablecoins);
  await fund.waitForDeployment();
  return fund as unknown as StablecoinInsuranceFund;
}
