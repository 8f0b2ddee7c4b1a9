import { loadFixture, time } from "@nomicfoundation/hardhat-network-helpers";
import { expect } from "chai";
import { ethers } from "hardhat";

import { DAY, PROTOCOLS, deployFund, riskReference, toArray } from "../../helpers/fundFixture";
import { writeOneRiskStepped } from "../../helpers/riskSteps";

type Components = [number, number, number, number, number];
const PROTOCOL = ethers.getAddress("0x" + "ab".repeat(20));

/** The fixture's parameters with another `maxRiskDecreasePerDay`. */
function withDecreasePerDay(maxRiskDecreasePerDay: number) {
  return {
    baseRateBps: 200,
    reserveRatioBps: 2_000,
    maxRiskDecreasePerDay,
    renewalWindow: 30n * DAY,
    claimGracePeriod: 30n * DAY,
    maxCoveragePerProtocol: 10n ** 24n,
    challengePeriod: 2 * 24 * 60 * 60,
    dailyPayoutLimitBps: 2_500,
  };
}

/** deployFund plus PROTOCOL scored (50 × 5, stepped down from 90) at a known timestamp. */
async function scored() {
  const f = await deployFund();
  await writeOneRiskStepped(f.fund, f.oracle, PROTOCOL, 50, 50, 50, 50, 50);
  const scoredAt = BigInt(await time.latest());
  return { ...f, scoredAt };
}

describe("StablecoinInsuranceFund risk", () => {
  describe("calculateProtocolRisk", () => {
    it("is 90 for a never-scored protocol", async () => {
      const f = await loadFixture(deployFund);
      expect(await f.fund.calculateProtocolRisk(PROTOCOL)).to.equal(90n);
    });

    const cases: Components[] = [
      [10, 10, 15, 20, 20], // 14.75 -> 14
      [1, 0, 0, 0, 0], // 0.25 -> 0
      [3, 3, 3, 3, 4], // 3.15 -> 3
      [99, 99, 99, 99, 99], // 99
      [100, 0, 100, 0, 100], // 55
      [0, 0, 0, 0, 0],
      [100, 100, 100, 100, 100],
      [7, 13, 29, 61, 97], // 40.8 -> 40
    ];
    for (const c of cases) {
      it(`weights 25/20/15/25/15 with floor division: ${c.join("/")}`, async () => {
        const f = await loadFixture(deployFund);
        await writeOneRiskStepped(f.fund, f.oracle, PROTOCOL, ...c);
        expect(await f.fund.calculateProtocolRisk(PROTOCOL)).to.equal(riskReference(c));
        const stored = await f.fund.getProtocolRisk(PROTOCOL);
        expect(toArray(stored)).to.deep.equal([...c.map(BigInt), BigInt(await time.latest())]);
      });
    }

    it("adds 10 only strictly after 7 days (at exactly 7 days: no penalty)", async () => {
      const f = await loadFixture(scored);
      await time.increaseTo(f.scoredAt + 7n * DAY);
      expect(await f.fund.calculateProtocolRisk(PROTOCOL)).to.equal(50n);
      await time.increaseTo(f.scoredAt + 7n * DAY + 1n);
      expect(await f.fund.calculateProtocolRisk(PROTOCOL)).to.equal(60n);
    });

    it("caps the stale score at 100", async () => {
      const f = await loadFixture(deployFund);
      await f.fund.connect(f.oracle).updateProtocolRisk(PROTOCOL, 100, 100, 100, 100, 96);
      expect(await f.fund.calculateProtocolRisk(PROTOCOL)).to.equal(99n);
      await time.increase(8n * DAY);
      expect(await f.fund.calculateProtocolRisk(PROTOCOL)).to.equal(100n);
    });

    it("a never-scored protocol does not get the staleness penalty", async () => {
      const f = await loadFixture(deployFund);
      await time.increase(30n * DAY);
      expect(await f.fund.calculateProtocolRisk(PROTOCOL)).to.equal(90n);
    });
  });

  describe("updateProtocolRisk", () => {
    it("emits RiskScoreUpdated with the components packed tvl-first", async () => {
      const f = await loadFixture(deployFund);
      await expect(f.fund.connect(f.oracle).updateProtocolRisk(PROTOCOL, 80, 85, 90, 95, 100))
        .to.emit(f.fund, "RiskScoreUpdated")
        .withArgs(PROTOCOL, "0x50555a5f64");
      await expect(f.fund.connect(f.oracle).updateProtocolRisk(PROTOCOLS.aave, 81, 82, 83, 84, 100))
        .to.emit(f.fund, "RiskScoreUpdated")
        .withArgs(PROTOCOLS.aave, "0x5152535464");
    });

    it("rejects a component above 100 in every position", async () => {
      const f = await loadFixture(deployFund);
      for (let position = 0; position < 5; position++) {
        const c: Components = [1, 2, 3, 4, 5];
        c[position] = 101 + position;
        await expect(f.fund.connect(f.oracle).updateProtocolRisk(PROTOCOL, ...c))
          .to.be.revertedWithCustomError(f.fund, "FundInvalidRiskScore")
          .withArgs(101 + position);
      }
      await expect(f.fund.connect(f.oracle).updateProtocolRisk(PROTOCOL, 255, 0, 0, 0, 0))
        .to.be.revertedWithCustomError(f.fund, "FundInvalidRiskScore")
        .withArgs(255);
    });

    it("rejects the zero protocol", async () => {
      const f = await loadFixture(deployFund);
      await expect(f.fund.connect(f.oracle).updateProtocolRisk(ethers.ZeroAddress, 1, 1, 1, 1, 1)).to.be.revertedWithCustomError(
        f.fund,
        "FundZeroAddress",
      );
    });

    it("firstWriteBoundedFrom90: a never-scored protocol's first write falls at most one day's allowance below 90 in every component", async () => {
      const f = await loadFixture(deployFund);
      // Waiting unscored earns nothing: the first write counts as one day after a 90.
      await time.increase(30n * DAY);
      for (let position = 0; position < 5; position++) {
        const c: Components = [80, 80, 80, 80, 80];
        c[position] = 79;
        await expect(f.fund.connect(f.oracle).updateProtocolRisk(PROTOCOL, ...c))
          .to.be.revertedWithCustomError(f.fund, "FundRiskDecreaseTooFast")
          .withArgs(PROTOCOL, 90, 79, 10);
      }
      await expect(f.fund.connect(f.oracle).updateProtocolRisk(PROTOCOL, 0, 0, 0, 0, 0))
        .to.be.revertedWithCustomError(f.fund, "FundRiskDecreaseTooFast")
        .withArgs(PROTOCOL, 90, 0, 10);
      await f.fund.connect(f.oracle).updateProtocolRisk(PROTOCOL, 80, 80, 80, 80, 80);
      const firstAt = BigInt(await time.latest());
      expect(await f.fund.calculateProtocolRisk(PROTOCOL)).to.equal(80n);
      // From there it steps down 10 a day, like any later write.
      await time.setNextBlockTimestamp(firstAt + DAY - 1n);
      await expect(f.fund.connect(f.oracle).updateProtocolRisk(PROTOCOL, 70, 80, 80, 80, 80))
        .to.be.revertedWithCustomError(f.fund, "FundRiskDecreaseTooFast")
        .withArgs(PROTOCOL, 80, 70, 9);
      await time.setNextBlockTimestamp(firstAt + DAY);
      await f.fund.connect(f.oracle).updateProtocolRisk(PROTOCOL, 70, 70, 70, 70, 70);
      expect(await f.fund.calculateProtocolRisk(PROTOCOL)).to.equal(70n);
    });

    it("firstWriteBoundedFrom90: a first write at or above 90 is a rise and always passes; the allowance follows the parameter", async () => {
      const f = await loadFixture(deployFund);
      await f.fund.connect(f.oracle).updateProtocolRisk(PROTOCOL, 90, 95, 100, 90, 91);
      expect((await f.fund.getProtocolRisk(PROTOCOL)).lastUpdated).to.equal(BigInt(await time.latest()));
      await f.fund.connect(f.admin).setParameters(withDecreasePerDay(1));
      await expect(f.fund.connect(f.oracle).updateProtocolRisk(PROTOCOLS.aave, 90, 90, 90, 90, 88))
        .to.be.revertedWithCustomError(f.fund, "FundRiskDecreaseTooFast")
        .withArgs(PROTOCOLS.aave, 90, 88, 1);
      await f.fund.connect(f.oracle).updateProtocolRisk(PROTOCOLS.curve, 89, 90, 90, 90, 89);
      await f.fund.connect(f.admin).setParameters(withDecreasePerDay(100));
      await f.fund.connect(f.oracle).updateProtocolRisk(PROTOCOLS.aave, 0, 0, 0, 0, 0);
      expect(await f.fund.calculateProtocolRisk(PROTOCOLS.aave)).to.equal(0n);
    });

    it("rises are immediate (the next second)", async () => {
      const f = await loadFixture(scored);
      await f.fund.connect(f.oracle).updateProtocolRisk(PROTOCOL, 100, 100, 100, 100, 100);
      expect(await f.fund.calculateProtocolRisk(PROTOCOL)).to.equal(100n);
    });

    it("allows exactly floor(maxPerDay × elapsed / 1 day) of decrease; one point more reverts with args", async () => {
      const f = await loadFixture(scored);
      // 10/day over half a day + 1 s -> floor(5.0001) = 5.
      const at = f.scoredAt + DAY / 2n + 1n;
      await time.setNextBlockTimestamp(at);
      await expect(f.fund.connect(f.oracle).updateProtocolRisk(PROTOCOL, 50, 50, 44, 50, 50))
        .to.be.revertedWithCustomError(f.fund, "FundRiskDecreaseTooFast")
        .withArgs(PROTOCOL, 50, 44, 5);
      await time.setNextBlockTimestamp(at + 1n); // floor(10 × 43202 / 86400) is still 5
      await f.fund.connect(f.oracle).updateProtocolRisk(PROTOCOL, 45, 45, 45, 45, 45);
      expect(await f.fund.calculateProtocolRisk(PROTOCOL)).to.equal(45n);
    });

    it("just under one day allows 9 points, one full day allows 10", async () => {
      const f = await loadFixture(scored);
      await time.setNextBlockTimestamp(f.scoredAt + DAY - 1n);
      await expect(f.fund.connect(f.oracle).updateProtocolRisk(PROTOCOL, 50, 50, 50, 50, 40))
        .to.be.revertedWithCustomError(f.fund, "FundRiskDecreaseTooFast")
        .withArgs(PROTOCOL, 50, 40, 9);
      await time.setNextBlockTimestamp(f.scoredAt + DAY);
      await f.fund.connect(f.oracle).updateProtocolRisk(PROTOCOL, 40, 40, 40, 40, 40);
    });

    it("the allowance restarts from the last update", async () => {
      const f = await loadFixture(scored);
      await time.setNextBlockTimestamp(f.scoredAt + 3n * DAY);
      await f.fund.connect(f.oracle).updateProtocolRisk(PROTOCOL, 50, 50, 50, 50, 51); // a rise resets the clock
      await time.setNextBlockTimestamp(f.scoredAt + 3n * DAY + 1n);
      await expect(f.fund.connect(f.oracle).updateProtocolRisk(PROTOCOL, 49, 50, 50, 50, 51))
        .to.be.revertedWithCustomError(f.fund, "FundRiskDecreaseTooFast")
        .withArgs(PROTOCOL, 50, 49, 0);
    });

    it("follows maxRiskDecreasePerDay from the parameters", async () => {
      const f = await loadFixture(scored);
      await f.fund.connect(f.admin).setParameters(withDecreasePerDay(100));
      await time.setNextBlockTimestamp(f.scoredAt + DAY);
      await f.fund.connect(f.oracle).updateProtocolRisk(PROTOCOL, 0, 0, 0, 0, 0);
      expect(await f.fund.calculateProtocolRisk(PROTOCOL)).to.equal(0n);
    });

    it("writes without touching the protocol's exposure or coverage list", async () => {
      const f = await loadFixture(deployFund);
      await f.fund.connect(f.admin).depositCapital(await f.usdc.getAddress(), 10n ** 12n);
      await f.fund.connect(f.oracle).updateProtocolRisk(PROTOCOL, 80, 80, 80, 80, 80);
      await f.fund
        .connect(f.buyer)
        .purchaseProtocolCoverage(PROTOCOL, await f.usdc.getAddress(), 10n ** 9n, 30n * DAY, ethers.MaxUint256, f.buyer.address, 0, "0x");
      await f.fund.connect(f.oracle).updateProtocolRisk(PROTOCOL, 95, 95, 95, 95, 95);
      expect(await f.fund.getProtocolExposure(PROTOCOL)).to.equal(10n ** 21n);
      expect(await f.fund.latestProtocolCoverage(PROTOCOL)).to.equal(1n);
      expect(await f.fund.calculateProtocolRisk(PROTOCOL)).to.equal(95n);
    });
  });

  describe("updateProtocolRisks", () => {
    it("writes every entry and emits one event each", async () => {
      const f = await loadFixture(deployFund);
      const tx = f.fund.connect(f.oracle).updateProtocolRisks([
        { protocol: PROTOCOLS.aave, tvlStability: 81, auditQuality: 81, timeSinceDeployment: 81, exploitHistory: 81, teamReputation: 81 },
        { protocol: PROTOCOLS.curve, tvlStability: 82, auditQuality: 82, timeSinceDeployment: 82, exploitHistory: 82, teamReputation: 82 },
      ]);
      await expect(tx).to.emit(f.fund, "RiskScoreUpdated").withArgs(PROTOCOLS.aave, "0x5151515151");
      await expect(tx).to.emit(f.fund, "RiskScoreUpdated").withArgs(PROTOCOLS.curve, "0x5252525252");
      expect(await f.fund.calculateProtocolRisk(PROTOCOLS.curve)).to.equal(82n);
    });

    it("reverts wholly when one entry is out of range", async () => {
      const f = await loadFixture(scored);
      await expect(
        f.fund.connect(f.oracle).updateProtocolRisks([
          { protocol: PROTOCOLS.aave, tvlStability: 81, auditQuality: 81, timeSinceDeployment: 81, exploitHistory: 81, teamReputation: 81 },
          { protocol: PROTOCOLS.curve, tvlStability: 2, auditQuality: 2, timeSinceDeployment: 101, exploitHistory: 2, teamReputation: 2 },
        ]),
      )
        .to.be.revertedWithCustomError(f.fund, "FundInvalidRiskScore")
        .withArgs(101);
      expect((await f.fund.getProtocolRisk(PROTOCOLS.aave)).lastUpdated).to.equal(0n);
    });

    it("reverts wholly when one entry falls too fast", async () => {
      const f = await loadFixture(scored);
      await expect(
        f.fund.connect(f.oracle).updateProtocolRisks([
          { protocol: PROTOCOLS.aave, tvlStability: 81, auditQuality: 81, timeSinceDeployment: 81, exploitHistory: 81, teamReputation: 81 },
          { protocol: PROTOCOL, tvlStability: 50, auditQuality: 0, timeSinceDeployment: 50, exploitHistory: 50, teamReputation: 50 },
        ]),
      )
        .to.be.revertedWithCustomError(f.fund, "FundRiskDecreaseTooFast")
        .withArgs(PROTOCOL, 50, 0, 0);
      expect((await f.fund.getProtocolRisk(PROTOCOLS.aave)).lastUpdated).to.equal(0n);
    });
  });
});
