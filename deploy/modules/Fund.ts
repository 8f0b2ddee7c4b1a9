import { buildModule } from "@nomicfoundation/hardhat-ignition/modules";
import type { ContractFuture, IgnitionModule } from "@nomicfoundation/ignition-core";
import { id as keccakOfText } from "ethers";

import MockTokens from "./MockTokens";

export type TokensModule = IgnitionModule<string, string, Record<"usdc" | "usdt" | "dai", ContractFuture<string>>>;

export const ROLE = {
  RISK_ORACLE_ROLE: keccakOfText("RISK_ORACLE_ROLE"),
  CLAIMS_ASSESSOR_ROLE: keccakOfText("CLAIMS_ASSESSOR_ROLE"),
  GUARDIAN_ROLE: keccakOfText("GUARDIAN_ROLE"),
} as const;

/**
 * The fund (admin = the deployer, account 0) with the three stablecoins of `tokens`, the lens,
 * governance parameters, and the role grants: `keeper` gets ONLY RISK_ORACLE_ROLE; `assessor`
 * and `guardian` get theirs. Parameters without a default must be in the parameters file.
 */
export function buildFundModule(tokens: TokensModule) {
  return buildModule("Fund", (m) => {
    const { usdc, usdt, dai } = m.useModule(tokens);
    const admin = m.getAccount(0);
    const adminDelay = m.getParameter("adminDelay", 2 * 24 * 60 * 60); // seconds

    // The fund's logic libraries (external, linked at deployment: see docs/fund.md "Structure").
    const claimLogic = m.library("ClaimLogic");
    const coverageLogic = m.library("CoverageLogic");
    const incidentLogic = m.library("IncidentLogic");
    const fund = m.contract("StablecoinInsuranceFund", [adminDelay, admin, [usdc, usdt, dai]], {
      libraries: { ClaimLogic: claimLogic, CoverageLogic: coverageLogic, IncidentLogic: incidentLogic },
    });
    const lens = m.contract("FundLens");

    m.call(fund, "setParameters", [
      {
        baseRateBps: m.getParameter("baseRateBps", 200),
        reserveRatioBps: m.getParameter("reserveRatioBps", 2_000),
        maxRiskDecreasePerDay: m.getParameter("maxRiskDecreasePerDay", 10),
        renewalWindow: m.getParameter("renewalWindow", 30 * 24 * 60 * 60),
        claimGracePeriod: m.getParameter("claimGracePeriod", 30 * 24 * 60 * 60),
        maxCoveragePerProtocol: m.getParameter("maxCoveragePerProtocol", 500_000n * 10n ** 18n),
        challengePeriod: m.getParameter("challengePeriod", 2 * 24 * 60 * 60),
        dailyPayoutLimitBps: m.getParameter("dailyPayoutLimitBps", 2_500),
      },
    ]);
    m.call(fund, "grantRole", [ROLE.RISK_ORACLE_ROLE, m.getParameter<string>("keeper")], { id: "grant_RISK_ORACLE_ROLE" });
    m.call(fund, "grantRole", [ROLE.CLAIMS_ASSESSOR_ROLE, m.getParameter<string>("assessor")], {
      id: "grant_CLAIMS_ASSESSOR_ROLE",
    });
    m.call(fund, "grantRole", [ROLE.GUARDIAN_ROLE, m.getParameter<string>("guardian")], { id: "grant_GUARDIAN_ROLE" });
    m.call(fund, "setSafeguards", [
      m.getParameter("maxIncidentLookback", 7 * 24 * 60 * 60),
      m.getParameter("refileWindow", 30 * 24 * 60 * 60),
    ]);

    return { fund, lens };
  });
}

export type FundModule = ReturnType<typeof buildFundModule>;

/** The fund over the mock tokens (test networks). */
export default buildFundModule(MockTokens);
