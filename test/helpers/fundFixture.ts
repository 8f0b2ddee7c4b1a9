import type { HardhatEthersSigner } from "@nomicfoundation/hardhat-ethers/signers";
import { ethers } from "hardhat";

import type {
  FundLens,
  MockDAI,
  MockUSDC,
  MockUSDT,
  StablecoinInsuranceFund,
} from "../../typechain-types";
import { namedSigners } from "./signers";

export const DAY = 24n * 60n * 60n;
export const YEAR = 365n * DAY;
export const ADMIN_DELAY = 2n * DAY;

/** Protocol keys used across tests (any non-zero address works as a protocol key). */
export const PROTOCOLS = {
  aave: "0x87870Bca3F3fD6335C3F4ce8392D69350B4fA4E2",
  compound: "0xc3d688B66703497DAA19211EEdff47f25384cdc3",
  curve: "0xD51a44d3FaE010294C616388b506AcdA1bfAAE46",
} as const;

export interface FundFixture {
  fund: StablecoinInsuranceFund;
  lens: FundLens;
  usdc: MockUSDC;
  usdt: MockUSDT;
  dai: MockDAI;
  admin: HardhatEthersSigner;
  oracle: HardhatEthersSigner;
  assessor: HardhatEthersSigner;
  guardian: HardhatEthersSigner;
  buyer: HardhatEthersSigner;
  beneficiary: HardhatEthersSigner;
  agent: HardhatEthersSigner;
  stranger: HardhatEthersSigner;
}

/** 1 unit of a token with `decimals` times `n`. */
export function units(n: number | bigint, decimals: number): bigint {
  return ethers.parseUnits(n.toString(), decimals);
}

/**
 * The fund with USDC/USDT/DAI-like tokens registered, roles granted to named signers, the buyer
 * funded and approved in every token. No pool capital and no risk scores yet.
 */
export async function deployFund(): Promise<FundFixture> {
  const s = await namedSigners(
    "admin",
    "oracle",
    "assessor",
    "guardian",
    "buyer",
    "beneficiary",
    "agent",
    "stranger",
  );
  const usdc = await ethers.deployContract("MockUSDC");
  const usdt = await ethers.deployContract("MockUSDT");
  const dai = await ethers.deployContract("MockDAI");
  const fund = await ethers.deployContract("StablecoinInsuranceFund", [
    ADMIN_DELAY,
    s.admin.address,
    [await usdc.getAddress(), await usdt.getAddress(), await dai.getAddress()],
  ]);
  const lens = await ethers.deployContract("FundLens");
  await fund.connect(s.admin).grantRole(await fund.RISK_ORACLE_ROLE(), s.oracle.address);
  await fund.connect(s.admin).grantRole(await fund.CLAIMS_ASSESSOR_ROLE(), s.assessor.address);
  await fund.connect(s.admin).grantRole(await fund.GUARDIAN_ROLE(), s.guardian.address);
  const fundAddress = await fund.getAddress();
  for (const [token, decimals] of [
    [usdc, 6],
    [usdt, 6],
    [dai, 18],
  ] as const) {
    for (const who of [s.buyer, s.admin, s.beneficiary, s.agent]) {
      await token.mint(who.address, units(10_000_000, decimals));
      await token.connect(who).approve(fundAddress, ethers.MaxUint256);
    }
  }
  return { fund, lens, usdc, usdt, dai, ...s };
}

/** `deployFund` plus pool capital in each asset and fresh scores for the test protocols. */
export async function deployFundedFund(): Promise<FundFixture> {
  const f = await deployFund();
  await f.fund.connect(f.admin).depositCapital(await f.usdc.getAddress(), units(1_000_000, 6));
  await f.fund.connect(f.admin).depositCapital(await f.usdt.getAddress(), units(1_000_000, 6));
  await f.fund.connect(f.admin).depositCapital(await f.dai.getAddress(), units(1_000_000, 18));
  await f.fund.connect(f.oracle).updateProtocolRisks([
    { protocol: PROTOCOLS.aave, tvlStability: 10, auditQuality: 10, timeSinceDeployment: 15, exploitHistory: 20, teamReputation: 20 },
    { protocol: PROTOCOLS.compound, tvlStability: 20, auditQuality: 25, timeSinceDeployment: 15, exploitHistory: 20, teamReputation: 25 },
    { protocol: PROTOCOLS.curve, tvlStability: 30, auditQuality: 40, timeSinceDeployment: 15, exploitHistory: 55, teamReputation: 30 },
  ]);
  return f;
}
