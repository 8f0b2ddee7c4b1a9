import { loadFixture, mine, time } from "@nomicfoundation/hardhat-network-helpers";
import { expect } from "chai";
import { ethers } from "hardhat";

import { DAY, PROTOCOLS, buyCoverage, deployFundedFund, setParametersWith, units, toArray } from "../helpers/fundFixture";

const WAD = 10n ** 18n;
const UNSCORED = ethers.getAddress("0x" + "ef".repeat(20));

/** Coverages: 1 aave 30 d (expired), 2 aave 90 d, 3 curve 90 d, 4 aave DAI 90 d; a claim on coverage 2. */
async function withHistory() {
  const f = await deployFundedFund();
  const c1 = await buyCoverage(f, { amount: units(10_000, 6), duration: 30n * DAY });
  await buyCoverage(f, { amount: units(20_000, 6), duration: 90n * DAY });
  await buyCoverage(f, { amount: units(30_000, 6), duration: 90n * DAY, protocol: PROTOCOLS.curve });
  await buyCoverage(f, { amount: units(40_000, 18), duration: 90n * DAY, asset: await f.dai.getAddress() });
  await mine();
  await f.fund.connect(f.beneficiary).submitClaim(2, units(5_000, 6), await time.latest(), "loss", "0xabcd");
  await time.increaseTo(c1.end + 30n * DAY + 1n); // end + claimGracePeriod
  await f.fund.expireCoverage(1);
  await f.fund.connect(f.oracle).updateProtocolRisk(PROTOCOLS.aave, 10, 10, 15, 20, 20);
  return f;
}

describe("FundLens", () => {
  describe("getProtocolStates", () => {
    it("returns components, score, exposure and active coverage ids newest first", async () => {
      const f = await loadFixture(withHistory);
      const fund = await f.fund.getAddress();
      const [aave, curve, unscored] = await f.lens.getProtocolStates(fund, [PROTOCOLS.aave, PROTOCOLS.curve, UNSCORED], 10);
      expect(aave!.protocol).to.equal(PROTOCOLS.aave);
      expect(toArray(aave!.risk)).to.deep.equal(toArray(await f.fund.getProtocolRisk(PROTOCOLS.aave)));
      expect(aave!.risk.slice(0, 5)).to.deep.equal([10n, 10n, 15n, 20n, 20n]);
      expect(aave!.riskScore).to.equal(14n);
      expect(aave!.activeCoverage).to.equal(60_000n * WAD);
      expect(aave!.activeCoverageIds).to.deep.equal([4n, 2n]);

      // curve was scored in the fixture and not since: stale now.
      expect(curve!.riskScore).to.equal(46n);
      expect(curve!.riskScore).to.equal(await f.fund.calculateProtocolRisk(PROTOCOLS.curve));
      expect(curve!.activeCoverage).to.equal(30_000n * WAD);
      expect(curve!.activeCoverageIds).to.deep.equal([3n]);

      expect(unscored!.riskScore).to.equal(90n);
      expect(toArray(unscored!.risk)).to.deep.equal([0n, 0n, 0n, 0n, 0n, 0n]);
      expect(unscored!.activeCoverage).to.equal(0n);
      expect(unscored!.activeCoverageIds).to.deep.equal([]);
    });

    it("drops a coverage once it is expired, not merely ended", async () => {
      const f = await loadFixture(withHistory);
      const fund = await f.fund.getAddress();
      await time.increase(90n * DAY);
      const [ended] = await f.lens.getProtocolStates(fund, [PROTOCOLS.aave], 10);
      expect(ended!.activeCoverageIds).to.deep.equal([4n, 2n]);
      await f.fund.expireCoverages([2, 4]);
      const [expired] = await f.lens.getProtocolStates(fund, [PROTOCOLS.aave], 10);
      expect(expired!.activeCoverageIds).to.deep.equal([]);
      expect(expired!.activeCoverage).to.equal(0n);
    });

    it("pages the ids (maxIdsPerProtocol) with a cursor and reports the protocol's incident", async () => {
      const f = await loadFixture(withHistory);
      const fund = await f.fund.getAddress();
      const [first] = await f.lens.getProtocolStates(fund, [PROTOCOLS.aave], 1);
      expect(first!.activeCoverageIds).to.deep.equal([4n]);
      expect(first!.nextCursor).to.equal(2n);
      expect(first!.incident.active).to.equal(false);
      const [page, next] = await f.lens.getProtocolCoverages(fund, PROTOCOLS.aave, first!.nextCursor, 5);
      expect(page.map((c) => c.id)).to.deep.equal([2n]);
      expect(next).to.equal(0n);
      const [all] = await f.lens.getProtocolCoverages(fund, PROTOCOLS.aave, 0, 5);
      expect(all.map((c) => toArray(c))).to.deep.equal([toArray(await f.fund.getCoverageDetails(4)), toArray(await f.fund.getCoverageDetails(2))]);

      const at = BigInt(await time.latest());
      await f.fund.connect(f.oracle).reportIncident(PROTOCOLS.aave, at - 60n, ethers.id("evidence"));
      const [halted] = await f.lens.getProtocolStates(fund, [PROTOCOLS.aave], 10);
      expect([halted!.incident.occurredAt, halted!.incident.active, halted!.incident.evidenceHash]).to.deep.equal([
        at - 60n,
        true,
        ethers.id("evidence"),
      ]);
    });

    it("returns nothing for no protocols", async () => {
      const f = await loadFixture(withHistory);
      expect(await f.lens.getProtocolStates(await f.fund.getAddress(), [], 10)).to.deep.equal([]);
    });
  });

  describe("getCoverages", () => {
    it("returns each coverage as the fund does, in the order asked", async () => {
      const f = await loadFixture(withHistory);
      const coverages = await f.lens.getCoverages(await f.fund.getAddress(), [4, 1, 2]);
      expect(coverages.map((c) => toArray(c))).to.deep.equal([
        toArray(await f.fund.getCoverageDetails(4)),
        toArray(await f.fund.getCoverageDetails(1)),
        toArray(await f.fund.getCoverageDetails(2)),
      ]);
      expect(coverages.map((c) => c.status)).to.deep.equal([1n, 2n, 1n]);
      expect(coverages[2]!.openClaimId).to.equal(1n);
    });

    it("reverts on an unknown id like the fund", async () => {
      const f = await loadFixture(withHistory);
      await expect(f.lens.getCoverages(await f.fund.getAddress(), [1, 5]))
        .to.be.revertedWithCustomError(f.fund, "FundUnknownCoverage")
        .withArgs(5);
    });
  });

  describe("getCoveragesWithDeadlines", () => {
    it("gracePeriodFixedAtPurchase: returns each coverage with the fund's own claimDeadline, which a later grace change does not move", async () => {
      const f = await loadFixture(withHistory);
      const fund = await f.fund.getAddress();
      const p = await f.fund.parameters();
      await setParametersWith(f.fund, f.admin, { claimGracePeriod: 3600 });
      const [coverages, deadlines] = await f.lens.getCoveragesWithDeadlines(fund, [4, 2]);
      expect(coverages.map((c) => toArray(c))).to.deep.equal([toArray(await f.fund.getCoverageDetails(4)), toArray(await f.fund.getCoverageDetails(2))]);
      expect(deadlines).to.deep.equal([await f.fund.claimDeadline(4), await f.fund.claimDeadline(2)]);
      expect(deadlines[1]).to.equal(coverages[1]!.end + p.claimGracePeriod);
      await expect(f.lens.getCoveragesWithDeadlines(fund, [2, 9])).to.be.revertedWithCustomError(f.fund, "FundUnknownCoverage").withArgs(9);
    });
  });

  describe("getClaims", () => {
    it("returns each claim as the fund does; unknown ids revert", async () => {
      const f = await loadFixture(withHistory);
      const fund = await f.fund.getAddress();
      const [claim] = await f.lens.getClaims(fund, [1]);
      expect(toArray(claim!)).to.deep.equal(toArray(await f.fund.getClaim(1)));
      expect([claim!.coverageId, claim!.amount, claim!.evidenceHash]).to.deep.equal([2n, units(5_000, 6), ethers.keccak256("0xabcd")]);
      await expect(f.lens.getClaims(fund, [2])).to.be.revertedWithCustomError(f.fund, "FundUnknownClaim").withArgs(2);
    });
  });
});
