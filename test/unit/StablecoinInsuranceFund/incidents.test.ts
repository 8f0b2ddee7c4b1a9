import { loadFixture, mine, time } from "@nomicfoundation/hardhat-network-helpers";
import { expect } from "chai";
import { ethers } from "hardhat";

import { DAY, PROTOCOLS, buyCoverage, deployHedgedFund, toArray, units } from "../../helpers/fundFixture";

const EVIDENCE = ethers.id("tvl drop 40% in 10 min");
const AMOUNT = units(100_000, 6);

/** Hedged fixture, self-insured coverage 1 on aave (90 d), coverage 2 on compound, agent approved, one block later. */
async function withCoverage() {
  const f = await deployHedgedFund();
  await f.fund.connect(f.beneficiary).setAgent(f.agent.address, true);
  const aave = await buyCoverage(f, { amount: AMOUNT });
  const compound = await buyCoverage(f, { amount: AMOUNT, protocol: PROTOCOLS.compound });
  await mine();
  return { ...f, aave, compound };
}

describe("StablecoinInsuranceFund incidents", () => {
  describe("reportIncident", () => {
    it("by the oracle halts the protocol at once and records the incident", async () => {
      const f = await loadFixture(withCoverage);
      await time.increase(600);
      const occurredAt = BigInt(await time.latest()) - 300n; // after coverage 1 was bought
      const reportedAt = BigInt(await time.latest()) + 1n;
      await time.setNextBlockTimestamp(reportedAt);
      await expect(f.fund.connect(f.oracle).reportIncident(PROTOCOLS.aave, occurredAt, EVIDENCE))
        .to.emit(f.fund, "IncidentReported")
        .withArgs(PROTOCOLS.aave, occurredAt, EVIDENCE, f.oracle.address);
      expect(toArray(await f.fund.getIncident(PROTOCOLS.aave))).to.deep.equal([occurredAt, reportedAt, true, EVIDENCE]);
      // purchases, increases and renewals of aave are halted...
      await expect(buyCoverage(f))
        .to.be.revertedWithCustomError(f.fund, "FundProtocolHalted")
        .withArgs(PROTOCOLS.aave, occurredAt);
      await time.increaseTo(f.aave.end - DAY);
      await expect(f.fund.connect(f.beneficiary).renewCoverage(1, 30n * DAY, AMOUNT, ethers.MaxUint256, "0x"))
        .to.be.revertedWithCustomError(f.fund, "FundProtocolHalted")
        .withArgs(PROTOCOLS.aave, occurredAt);
      await expect(f.fund.connect(f.beneficiary).renewCoverage(1, 30n * DAY, AMOUNT * 2n, ethers.MaxUint256, "0x"))
        .to.be.revertedWithCustomError(f.fund, "FundProtocolHalted")
        .withArgs(PROTOCOLS.aave, occurredAt);
      // ...other protocols are not
      await buyCoverage(f, { protocol: PROTOCOLS.compound, amount: units(1_000, 6) });
      await f.fund.connect(f.beneficiary).renewCoverage(2, 30n * DAY, AMOUNT, ethers.MaxUint256, "0x");
      // and a claim on aave coverage bought before the incident still goes through
      await expect(f.fund.connect(f.beneficiary).submitClaim(1, units(10_000, 6), f.aave.start + 1n, "exploit", "0x")).to.emit(
        f.fund,
        "ClaimSubmitted",
      );
    });

    it("incidentsKept: by the guardian too; every report is kept, a later one never overwrites an earlier one", async () => {
      const f = await loadFixture(withCoverage);
      const now = BigInt(await time.latest());
      await f.fund.connect(f.guardian).reportIncident(PROTOCOLS.aave, now - 100n, EVIDENCE);
      const first = await f.fund.getIncident(PROTOCOLS.aave);
      await expect(f.fund.connect(f.oracle).reportIncident(PROTOCOLS.aave, now - 50n, ethers.id("later")))
        .to.emit(f.fund, "IncidentReported")
        .withArgs(PROTOCOLS.aave, now - 50n, ethers.id("later"), f.oracle.address);
      await f.fund.connect(f.oracle).reportIncident(PROTOCOLS.aave, now - 500n, ethers.id("earlier"));
      const history = await f.fund.getIncidentHistory(PROTOCOLS.aave);
      expect(history.map((r) => [r.occurredAt, r.evidenceHash])).to.deep.equal([
        [now - 100n, EVIDENCE],
        [now - 50n, ethers.id("later")],
        [now - 500n, ethers.id("earlier")],
      ]);
      expect(history[0]!.reportedAt).to.equal(first.reportedAt);
      // the summary shows the earliest halting report
      expect((await f.fund.getIncident(PROTOCOLS.aave)).occurredAt).to.equal(now - 500n);
      expect((await f.fund.getIncident(PROTOCOLS.aave)).active).to.equal(true);
    });

    it("rejects a future or zero start and the zero protocol", async () => {
      const f = await loadFixture(withCoverage);
      const next = BigInt(await time.latest()) + 1n;
      await time.setNextBlockTimestamp(next);
      await expect(f.fund.connect(f.oracle).reportIncident(PROTOCOLS.aave, next + 1n, EVIDENCE))
        .to.be.revertedWithCustomError(f.fund, "FundInvalidIncidentTime")
        .withArgs(next + 1n, next);
      await expect(f.fund.connect(f.oracle).reportIncident(PROTOCOLS.aave, 0, EVIDENCE))
        .to.be.revertedWithCustomError(f.fund, "FundInvalidIncidentTime")
        .withArgs(0, BigInt(await time.latest()) + 1n);
      await expect(f.fund.connect(f.oracle).reportIncident(ethers.ZeroAddress, 1, EVIDENCE)).to.be.revertedWithCustomError(
        f.fund,
        "FundZeroAddress",
      );
    });

    it("does not touch the protocol's risk score (the halt bit sits above it)", async () => {
      const f = await loadFixture(withCoverage);
      const before = toArray(await f.fund.getProtocolRisk(PROTOCOLS.aave));
      await f.fund.connect(f.oracle).reportIncident(PROTOCOLS.aave, BigInt(await time.latest()), EVIDENCE);
      expect(toArray(await f.fund.getProtocolRisk(PROTOCOLS.aave))).to.deep.equal(before);
      await f.fund.connect(f.oracle).updateProtocolRisk(PROTOCOLS.aave, 90, 90, 90, 90, 90);
      await expect(buyCoverage(f)).to.be.revertedWithCustomError(f.fund, "FundProtocolHalted");
    });
  });

  describe("clearIncident", () => {
    it("the admin lifts the halt; the record stays, inactive", async () => {
      const f = await loadFixture(withCoverage);
      const at = BigInt(await time.latest());
      await f.fund.connect(f.oracle).reportIncident(PROTOCOLS.aave, at, EVIDENCE);
      await expect(f.fund.connect(f.admin).clearIncident(PROTOCOLS.aave))
        .to.emit(f.fund, "IncidentCleared")
        .withArgs(PROTOCOLS.aave, f.admin.address);
      const incident = await f.fund.getIncident(PROTOCOLS.aave);
      expect([incident.occurredAt, incident.active]).to.deep.equal([at, false]);
      await buyCoverage(f, { amount: units(1_000, 6) });
      await expect(f.fund.connect(f.admin).clearIncident(PROTOCOLS.aave))
        .to.be.revertedWithCustomError(f.fund, "FundNoActiveIncident")
        .withArgs(PROTOCOLS.aave);
    });
  });

  describe("claims name their time of loss", () => {
    it("incidentAt must lie in the coverage's term and not in the future", async () => {
      const f = await loadFixture(withCoverage);
      const { start, end } = f.aave;
      const next = BigInt(await time.latest()) + 1n;
      await time.setNextBlockTimestamp(next);
      await expect(f.fund.connect(f.beneficiary).submitClaim(1, 1n, start - 1n, "", "0x"))
        .to.be.revertedWithCustomError(f.fund, "FundIncidentOutsideTerm")
        .withArgs(1, start - 1n, start, next);
      await expect(f.fund.connect(f.beneficiary).submitClaim(1, 1n, BigInt(await time.latest()) + 100n, "", "0x"))
        .to.be.revertedWithCustomError(f.fund, "FundIncidentOutsideTerm");
      // after the end (in the grace period) the bound is the end
      await time.increaseTo(end + DAY);
      await expect(f.fund.connect(f.beneficiary).submitClaim(1, 1n, end + 1n, "", "0x"))
        .to.be.revertedWithCustomError(f.fund, "FundIncidentOutsideTerm")
        .withArgs(1, end + 1n, start, end);
      await expect(f.fund.connect(f.beneficiary).submitClaim(1, 1n, start, "", "0x")).to.emit(f.fund, "ClaimSubmitted");
      expect((await f.fund.getClaim(1)).incidentAt).to.equal(start);
    });

    it("exclusionBindsClaimants: cover bought in the exploit window cannot claim it, before or after the clear; later losses can", async () => {
      const f = await loadFixture(withCoverage);
      const occurredAt = BigInt(await time.latest());
      await time.increase(600);
      // bought in the exploit window, before anyone reported it
      const late = await buyCoverage(f, { amount: units(10_000, 6) });
      await mine();
      await f.fund.connect(f.oracle).reportIncident(PROTOCOLS.aave, occurredAt, EVIDENCE);
      const reportedAt = (await f.fund.getIncident(PROTOCOLS.aave)).reportedAt;
      await expect(f.fund.connect(f.beneficiary).submitClaim(late.coverId, 1n, late.start, "", "0x"))
        .to.be.revertedWithCustomError(f.fund, "FundCoverageAfterIncident")
        .withArgs(late.coverId, 1n, 0n, occurredAt);
      // coverage bought before it can
      await f.fund.connect(f.beneficiary).submitClaim(1, 1n, occurredAt, "", "0x");
      // once cleared, a loss anywhere in [occurredAt, clearedAt) is still that incident — including just
      // after the report (the v2 escape); a loss after the clear is not
      await f.fund.connect(f.admin).clearIncident(PROTOCOLS.aave);
      const clearedAt = (await f.fund.getIncidentHistory(PROTOCOLS.aave))[0]!.clearedAt;
      await time.increase(DAY);
      for (const t of [reportedAt, reportedAt + 1n, clearedAt - 1n]) {
        await expect(f.fund.connect(f.beneficiary).submitClaim(late.coverId, 1n, t, "", "0x"))
          .to.be.revertedWithCustomError(f.fund, "FundCoverageAfterIncident")
          .withArgs(late.coverId, 1n, 0n, occurredAt);
      }
      await expect(f.fund.connect(f.beneficiary).submitClaim(late.coverId, 1n, clearedAt, "", "0x")).to.emit(f.fund, "ClaimSubmitted");
      // the claim's view shows the assessor the report it falls under (bought inside its window)
      expect(await f.fund.getClaimIncidents(await f.fund.claimCount())).to.deep.equal([0n]);
    });
  });
});
