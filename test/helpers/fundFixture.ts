import type { HardhatEthersSigner } from "@nomicfoundation/hardhat-ethers/signers";
import type { Result, Signer } from "ethers";
import { ethers } from "hardhat";

import type {
  FundLens,
  MockCapacityLimitedProvider,
  MockDAI,
  MockUSDC,
  MockUSDT,
  StablecoinInsuranceFund,
} from "../../typechain-types";
import { deployInsuranceFund } from "./fundDeploy";
import { writeRiskStepped } from "./riskSteps";
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
  const fund = await deployInsuranceFund(ADMIN_DELAY, s.admin.address, [
    await usdc.getAddress(),
    await usdt.getAddress(),
    await dai.getAddress(),
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
  // The fund lowers a score by at most 10/day (a first write as if from 90): stepped, one clock jump.
  await writeRiskStepped(f.fund, f.oracle, [
    { protocol: PROTOCOLS.aave, tvlStability: 10, auditQuality: 10, timeSinceDeployment: 15, exploitHistory: 20, teamReputation: 20 },
    { protocol: PROTOCOLS.compound, tvlStability: 20, auditQuality: 25, timeSinceDeployment: 15, exploitHistory: 20, teamReputation: 25 },
    { protocol: PROTOCOLS.curve, tvlStability: 30, auditQuality: 40, timeSinceDeployment: 15, exploitHistory: 55, teamReputation: 30 },
  ]);
  return f;
}

/** Annual price of the second provider in the hedged fixture, bps (below the fund's own rate). */
export const PROVIDER_PRICE_BPS = 100n;
/** ETH deposit the second provider asks for each claim in the hedged fixture. */
export const PROVIDER_CLAIM_DEPOSIT = ethers.parseEther("0.05");
/** Capacity opened per (protocol, asset) market in the hedged fixture, in whole tokens. */
export const PROVIDER_CAPACITY = 1_000_000;

export interface HedgedFundFixture extends FundFixture {
  provider: MockCapacityLimitedProvider;
}

/**
 * `deployFundedFund` plus a MockCapacityLimitedProvider registered as provider 1 (owned by admin):
 * markets open for aave and compound in USDC, USDT and DAI, payout tokens held by the provider,
 * and a claim deposit of `PROVIDER_CLAIM_DEPOSIT`.
 */
export async function deployHedgedFund(): Promise<HedgedFundFixture> {
  const f = await deployFundedFund();
  const fundAddress = await f.fund.getAddress();
  const provider = await ethers.deployContract("MockCapacityLimitedProvider", [
    fundAddress,
    PROVIDER_PRICE_BPS,
    f.admin.address,
  ]);
  await f.fund.connect(f.admin).registerProvider(await provider.getAddress());
  await provider.connect(f.admin).mockSetClaimDeposit(PROVIDER_CLAIM_DEPOSIT);
  for (const [token, decimals] of [
    [f.usdc, 6],
    [f.usdt, 6],
    [f.dai, 18],
  ] as const) {
    const asset = await token.getAddress();
    for (const protocol of [PROTOCOLS.aave, PROTOCOLS.compound]) {
      await provider.connect(f.admin).mockSetMarket(protocol, asset, true, units(PROVIDER_CAPACITY, decimals));
    }
    await token.mint(await provider.getAddress(), units(10_000_000, decimals));
  }
  return { ...f, provider };
}

/** Reference risk score: weights 25/20/15/25/15 floor /100, +10 when stale, capped at 100. */
export function riskReference(components: readonly [number, number, number, number, number], stale = false): bigint {
  const [tvl, audit, time, exploit, team] = components.map(BigInt) as [bigint, bigint, bigint, bigint, bigint];
  let score = (tvl * 25n + audit * 20n + time * 15n + exploit * 25n + team * 15n) / 100n;
  if (stale) score += 10n;
  return score > 100n ? 100n : score;
}

/** Reference premium: amount × baseRate × duration × (50 + risk) / (10000 × 365 days × 100), rounded up. */
export function premiumReference(amount: bigint, duration: bigint, risk: bigint, baseRateBps = 200n): bigint {
  const numerator = amount * baseRateBps * duration * (50n + risk);
  const denominator = 10_000n * YEAR * 100n;
  return (numerator + denominator - 1n) / denominator;
}

export interface PurchaseOptions {
  protocol?: string;
  asset?: string; // defaults to USDC
  amount?: bigint; // defaults to 100K USDC units
  duration?: bigint; // defaults to 90 days
  beneficiary?: string; // defaults to f.beneficiary
  providerId?: number; // defaults to 0 (self-insured)
  buyer?: HardhatEthersSigner; // defaults to f.buyer
}

export interface PurchasedCoverage {
  coverId: bigint;
  start: bigint;
  end: bigint;
  premium: bigint;
}

/** Buys coverage with sensible defaults (aave, 100K USDC, 90 days, self-insured) and returns its id and term. */
export async function buyCoverage(f: FundFixture, options: PurchaseOptions = {}): Promise<PurchasedCoverage> {
  await f.fund
    .connect(options.buyer ?? f.buyer)
    .purchaseProtocolCoverage(
      options.protocol ?? PROTOCOLS.aave,
      options.asset ?? (await f.usdc.getAddress()),
      options.amount ?? units(100_000, 6),
      options.duration ?? 90n * DAY,
      ethers.MaxUint256,
      options.beneficiary ?? f.beneficiary.address,
      options.providerId ?? 0,
      "0x",
    );
  const coverId = await f.fund.coverageCount();
  const c = await f.fund.getCoverageDetails(coverId);
  return { coverId, start: c.start, end: c.end, premium: c.premium };
}

/** A struct or tuple returned by a contract call, as a plain array (TypeChain types omit ethers' Result methods). */
export function toArray(value: object): unknown[] {
  return (value as Result).toArray();
}

/** A struct returned by a contract call, as a plain object keyed by field name. */
export function toObject(value: object): Record<string, unknown> {
  return (value as Result).toObject();
}

/** Sets the fund's parameters to their current values with `patch` applied (as the admin). */
export async function setParametersWith(
  fund: StablecoinInsuranceFund,
  admin: Signer,
  patch: Partial<{ baseRateBps: bigint | number; reserveRatioBps: bigint | number; maxRiskDecreasePerDay: bigint | number; renewalWindow: bigint | number; claimGracePeriod: bigint | number; maxCoveragePerProtocol: bigint | number; challengePeriod: bigint | number; dailyPayoutLimitBps: bigint | number }>,
): Promise<void> {
  const p = await fund.parameters();
  await (
    await fund.connect(admin).setParameters({
      baseRateBps: p.baseRateBps,
      reserveRatioBps: p.reserveRatioBps,
      maxRiskDecreasePerDay: p.maxRiskDecreasePerDay,
      renewalWindow: p.renewalWindow,
      claimGracePeriod: p.claimGracePeriod,
      maxCoveragePerProtocol: p.maxCoveragePerProtocol,
      challengePeriod: p.challengePeriod,
      dailyPayoutLimitBps: p.dailyPayoutLimitBps,
      ...patch,
    })
  ).wait();
}
