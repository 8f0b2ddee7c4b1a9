import type { HardhatEthersSigner } from "@nomicfoundation/hardhat-ethers/signers";
import { loadFixture, mine, time } from "@nomicfoundation/hardhat-network-helpers";
import { expect } from "chai";
import { ethers } from "hardhat";

import {
  ADMIN_DELAY,
  PROTOCOLS,
  buyCoverage,
  deployHedgedFund,
  units,
  type HedgedFundFixture,
  toArray,
} from "../../helpers/fundFixture";

/** Hedged fixture plus a pending self-insured claim (id 1) on coverage 1. */
async function withPendingClaim() {
  const f = await deployHedgedFund();
  const { coverId } = await buyCoverage(f);
  await mine();
  await f.fund.connect(f.beneficiary).submitClaim(coverId, units(1_000, 6), await time.latest(), "hack", "0x01");
  const spare = await ethers.deployContract("MockDAI");
  return { ...f, spare };
}

type Fixture = Awaited<ReturnType<typeof withPendingClaim>>;

/** Everything a role-gated call could change, read in one go. */
async function snapshot(f: Fixture) {
  const fund = f.fund;
  const usdc = await f.usdc.getAddress();
  return {
    stablecoins: await fund.stablecoins(),
    usdcSupported: await fund.isSupportedStablecoin(usdc),
    providerCount: await fund.providerCount(),
    provider1: await fund.providerAdapter(1),
    parameters: toArray(await fund.parameters()),
    paused: await fund.paused(),
    pool: await fund.poolBalance(usdc),
    usdcHeld: await f.usdc.balanceOf(await fund.getAddress()),
    risk: toArray(await fund.getProtocolRisk(PROTOCOLS.aave)),
    claim: toArray(await fund.getClaim(1)),
    strangerIsOracle: await fund.hasRole(await fund.RISK_ORACLE_ROLE(), f.stranger.address),
    oracleIsOracle: await fund.hasRole(await fund.RISK_ORACLE_ROLE(), f.oracle.address),
    pendingAdmin: toArray(await fund.pendingDefaultAdmin()),
    incident: toArray(await fund.getIncident(PROTOCOLS.aave)),
  };
}

interface GatedCall {
  name: string;
  role: "admin" | "oracle" | "assessor" | "guardian";
  call: (f: Fixture, as: HardhatEthersSigner) => Promise<unknown>;
}

const GATED: GatedCall[] = [
  { name: "addStablecoin", role: "admin", call: async (f, s) => f.fund.connect(s).addStablecoin(await f.spare.getAddress()) },
  { name: "removeStablecoin", role: "admin", call: async (f, s) => f.fund.connect(s).removeStablecoin(await f.usdc.getAddress()) },
  {
    name: "registerProvider",
    role: "admin",
    call: async (f, s) => {
      const other = await ethers.deployContract("MockCapacityLimitedProvider", [await f.fund.getAddress(), 1n, f.admin.address]);
      return f.fund.connect(s).registerProvider(await other.getAddress());
    },
  },
  { name: "setProviderActive", role: "admin", call: (f, s) => f.fund.connect(s).setProviderActive(1, false) },
  {
    name: "setParameters",
    role: "admin",
    call: (f, s) =>
      f.fund.connect(s).setParameters({
        baseRateBps: 300,
        reserveRatioBps: 3_000,
        maxRiskDecreasePerDay: 5,
        renewalWindow: 10 * 86_400,
        claimGracePeriod: 10 * 86_400,
        maxCoveragePerProtocol: units(1_000_000, 18),
        challengePeriod: 2 * 24 * 60 * 60,
        dailyPayoutLimitBps: 2_500,
      }),
  },
  { name: "pause", role: "guardian", call: (f, s) => f.fund.connect(s).pause() },
  { name: "unpause", role: "admin", call: (f, s) => f.fund.connect(s).unpause() },
  {
    name: "withdrawCapital",
    role: "admin",
    call: async (f, s) => f.fund.connect(s).withdrawCapital(await f.usdc.getAddress(), units(1, 6), s.address),
  },
  { name: "updateProtocolRisk", role: "oracle", call: (f, s) => f.fund.connect(s).updateProtocolRisk(PROTOCOLS.aave, 50, 50, 50, 50, 50) },
  {
    name: "updateProtocolRisks",
    role: "oracle",
    call: (f, s) =>
      f.fund.connect(s).updateProtocolRisks([
        { protocol: PROTOCOLS.aave, tvlStability: 50, auditQuality: 50, timeSinceDeployment: 50, exploitHistory: 50, teamReputation: 50 },
      ]),
  },
  { name: "assessClaim", role: "assessor", call: (f, s) => f.fund.connect(s).assessClaim(1, true, units(1, 6)) },
  // Oracle OR guardian: a caller with neither is refused naming the guardian role.
  { name: "reportIncident", role: "guardian", call: async (f, s) => f.fund.connect(s).reportIncident(PROTOCOLS.aave, (await time.latest()) - 60, ethers.id("x")) },
  { name: "clearIncident", role: "admin", call: (f, s) => f.fund.connect(s).clearIncident(PROTOCOLS.aave) },
  // Guardian OR admin.
  { name: "vetoPayout", role: "guardian", call: (f, s) => f.fund.connect(s).vetoPayout(1) },
  { name: "confirmPayout", role: "admin", call: (f, s) => f.fund.connect(s).confirmPayout(1) },
  // Fund v3: the admin ends disputes, voids reports and sets the safeguards.
  { name: "reinstateClaim", role: "admin", call: (f, s) => f.fund.connect(s).reinstateClaim(1) },
  { name: "denyClaim", role: "admin", call: (f, s) => f.fund.connect(s).denyClaim(1) },
  { name: "voidIncident", role: "admin", call: (f, s) => f.fund.connect(s).voidIncident(PROTOCOLS.aave, 0) },
  { name: "setSafeguards", role: "admin", call: (f, s) => f.fund.connect(s).setSafeguards(86_400, 86_400) },
  {
    name: "grantRole",
    role: "admin",
    call: async (f, s) => f.fund.connect(s).grantRole(await f.fund.RISK_ORACLE_ROLE(), f.stranger.address),
  },
  {
    name: "revokeRole",
    role: "admin",
    call: async (f, s) => f.fund.connect(s).revokeRole(await f.fund.RISK_ORACLE_ROLE(), f.oracle.address),
  },
  { name: "beginDefaultAdminTransfer", role: "admin", call: (f, s) => f.fund.connect(s).beginDefaultAdminTransfer(f.stranger.address) },
];

async function roleId(f: HedgedFundFixture, role: GatedCall["role"]): Promise<string> {
  switch (role) {
    case "admin":
      return f.fund.DEFAULT_ADMIN_ROLE();
    case "oracle":
      return f.fund.RISK_ORACLE_ROLE();
    case "assessor":
      return f.fund.CLAIMS_ASSESSOR_ROLE();
    case "guardian":
      return f.fund.GUARDIAN_ROLE();
  }
}

describe("StablecoinInsuranceFund access control", () => {
  describe("every role-gated function rejects a caller without the role and changes nothing", () => {
    for (const gated of GATED) {
      it(`${gated.name} (${gated.role}) from a stranger`, async () => {
        const f = await loadFixture(withPendingClaim);
        if (gated.name === "unpause") await f.fund.connect(f.guardian).pause();
        const before = await snapshot(f);
        await expect(gated.call(f, f.stranger))
          .to.be.revertedWithCustomError(f.fund, "AccessControlUnauthorizedAccount")
          .withArgs(f.stranger.address, await roleId(f, gated.role));
        expect(await snapshot(f)).to.deep.equal(before);
      });
    }

    it("a holder of one role cannot use another role's functions", async () => {
      const f = await loadFixture(withPendingClaim);
      const adminRole = await f.fund.DEFAULT_ADMIN_ROLE();
      await expect(f.fund.connect(f.guardian).unpause())
        .to.be.revertedWithCustomError(f.fund, "AccessControlUnauthorizedAccount")
        .withArgs(f.guardian.address, adminRole);
      await expect(f.fund.connect(f.admin).pause())
        .to.be.revertedWithCustomError(f.fund, "AccessControlUnauthorizedAccount")
        .withArgs(f.admin.address, await f.fund.GUARDIAN_ROLE());
      await expect(f.fund.connect(f.assessor).updateProtocolRisk(PROTOCOLS.aave, 1, 1, 1, 1, 1))
        .to.be.revertedWithCustomError(f.fund, "AccessControlUnauthorizedAccount")
        .withArgs(f.assessor.address, await f.fund.RISK_ORACLE_ROLE());
      // The assessor can neither veto nor confirm its own payouts; the guardian cannot confirm or clear.
      await expect(f.fund.connect(f.assessor).vetoPayout(1))
        .to.be.revertedWithCustomError(f.fund, "AccessControlUnauthorizedAccount")
        .withArgs(f.assessor.address, await f.fund.GUARDIAN_ROLE());
      await expect(f.fund.connect(f.assessor).confirmPayout(1))
        .to.be.revertedWithCustomError(f.fund, "AccessControlUnauthorizedAccount")
        .withArgs(f.assessor.address, adminRole);
      await expect(f.fund.connect(f.guardian).confirmPayout(1))
        .to.be.revertedWithCustomError(f.fund, "AccessControlUnauthorizedAccount")
        .withArgs(f.guardian.address, adminRole);
      await expect(f.fund.connect(f.guardian).clearIncident(PROTOCOLS.aave))
        .to.be.revertedWithCustomError(f.fund, "AccessControlUnauthorizedAccount")
        .withArgs(f.guardian.address, adminRole);
      // The admin may not report incidents (oracle or guardian only), the oracle and guardian may.
      const at = (await time.latest()) - 60;
      await expect(f.fund.connect(f.admin).reportIncident(PROTOCOLS.aave, at, ethers.ZeroHash))
        .to.be.revertedWithCustomError(f.fund, "AccessControlUnauthorizedAccount")
        .withArgs(f.admin.address, await f.fund.GUARDIAN_ROLE());
      await expect(f.fund.connect(f.oracle).reportIncident(PROTOCOLS.aave, at, ethers.ZeroHash)).to.emit(f.fund, "IncidentReported");
      await expect(f.fund.connect(f.guardian).reportIncident(PROTOCOLS.curve, at, ethers.ZeroHash)).to.emit(f.fund, "IncidentReported");
    });
  });

  describe("the risk oracle cannot move funds", () => {
    it("withdrawCapital and assessClaim revert for the oracle; balances unchanged", async () => {
      const f = await loadFixture(withPendingClaim);
      const before = await snapshot(f);
      await expect(f.fund.connect(f.oracle).withdrawCapital(await f.usdc.getAddress(), 1n, f.oracle.address))
        .to.be.revertedWithCustomError(f.fund, "AccessControlUnauthorizedAccount")
        .withArgs(f.oracle.address, await f.fund.DEFAULT_ADMIN_ROLE());
      await expect(f.fund.connect(f.oracle).assessClaim(1, true, units(1_000, 6)))
        .to.be.revertedWithCustomError(f.fund, "AccessControlUnauthorizedAccount")
        .withArgs(f.oracle.address, await f.fund.CLAIMS_ASSESSOR_ROLE());
      expect(await snapshot(f)).to.deep.equal(before);
    });
  });

  describe("two-step default admin transfer", () => {
    it("accepting before the delay fails, after it succeeds and moves the role", async () => {
      const f = await loadFixture(withPendingClaim);
      const adminRole = await f.fund.DEFAULT_ADMIN_ROLE();
      expect(await f.fund.defaultAdminDelay()).to.equal(ADMIN_DELAY);
      await f.fund.connect(f.admin).beginDefaultAdminTransfer(f.stranger.address);
      const [pending, schedule] = await f.fund.pendingDefaultAdmin();
      expect(pending).to.equal(f.stranger.address);
      expect(schedule).to.equal(BigInt(await time.latest()) + ADMIN_DELAY);

      await expect(f.fund.connect(f.buyer).acceptDefaultAdminTransfer())
        .to.be.revertedWithCustomError(f.fund, "AccessControlInvalidDefaultAdmin")
        .withArgs(f.buyer.address);
      await time.setNextBlockTimestamp(schedule);
      await expect(f.fund.connect(f.stranger).acceptDefaultAdminTransfer())
        .to.be.revertedWithCustomError(f.fund, "AccessControlEnforcedDefaultAdminDelay")
        .withArgs(schedule);
      expect(await f.fund.defaultAdmin()).to.equal(f.admin.address);

      await time.setNextBlockTimestamp(schedule + 1n);
      await f.fund.connect(f.stranger).acceptDefaultAdminTransfer();
      expect(await f.fund.defaultAdmin()).to.equal(f.stranger.address);
      expect(await f.fund.hasRole(adminRole, f.admin.address)).to.equal(false);
      await expect(f.fund.connect(f.admin).setProviderActive(1, false))
        .to.be.revertedWithCustomError(f.fund, "AccessControlUnauthorizedAccount")
        .withArgs(f.admin.address, adminRole);
      await expect(f.fund.connect(f.stranger).setProviderActive(1, false))
        .to.emit(f.fund, "ProviderStatusChanged")
        .withArgs(1, false);
    });

    it("the admin role cannot be granted directly", async () => {
      const f = await loadFixture(withPendingClaim);
      await expect(
        f.fund.connect(f.admin).grantRole(await f.fund.DEFAULT_ADMIN_ROLE(), f.stranger.address),
      ).to.be.revertedWithCustomError(f.fund, "AccessControlEnforcedDefaultAdminRules");
    });

    it("roles are granted and revoked by the admin", async () => {
      const f = await loadFixture(withPendingClaim);
      const oracleRole = await f.fund.RISK_ORACLE_ROLE();
      await f.fund.connect(f.admin).grantRole(oracleRole, f.stranger.address);
      const fresh = ethers.getAddress("0x" + "11".repeat(20));
      await f.fund.connect(f.stranger).updateProtocolRisk(fresh, 80, 80, 80, 80, 80);
      await f.fund.connect(f.admin).revokeRole(oracleRole, f.stranger.address);
      await expect(f.fund.connect(f.stranger).updateProtocolRisk(fresh, 85, 85, 85, 85, 85))
        .to.be.revertedWithCustomError(f.fund, "AccessControlUnauthorizedAccount")
        .withArgs(f.stranger.address, oracleRole);
    });
  });
});
