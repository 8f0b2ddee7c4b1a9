import { loadFixture, time } from "@nomicfoundation/hardhat-network-helpers";
import { expect } from "chai";
import { ethers } from "hardhat";

import { DAY, PROTOCOLS, buyCoverage, deployHedgedFund, units } from "../../helpers/fundFixture";

const WAD = 10n ** 18n;
/** claimGracePeriod: a coverage is expirable only once its claim window closed (end + grace). */
const GRACE = 30n * DAY;

/** Self-insured 1 (aave, 100K USDC, 30 d), hedged 2 (compound, 50K USDC, 30 d), self-insured 3 (aave, 10K DAI, 90 d). */
async function withCoverages() {
  const f = await deployHedgedFund();
  const c1 = await buyCoverage(f, { amount: units(100_000, 6), duration: 30n * DAY });
  const c2 = await buyCoverage(f, { amount: units(50_000, 6), duration: 30n * DAY, protocol: PROTOCOLS.compound, providerId: 1 });
  const c3 = await buyCoverage(f, { amount: units(10_000, 18), duration: 90n * DAY, asset: await f.dai.getAddress() });
  return { ...f, c1, c2, c3 };
}

describe("StablecoinInsuranceFund expiry", () => {
  it("is not possible before the claim window closed (end + claimGracePeriod), only after it", async () => {
    const f = await loadFixture(withCoverages);
    await time.setNextBlockTimestamp(f.c1.end + 1n);
    await expect(f.fund.expireCoverage(1)).to.be.revertedWithCustomError(f.fund, "FundCoverageNotExpirable").withArgs(1);
    await time.setNextBlockTimestamp(f.c1.end + GRACE);
    await expect(f.fund.expireCoverage(1)).to.be.revertedWithCustomError(f.fund, "FundCoverageNotExpirable").withArgs(1);
    await expect(f.fund.connect(f.stranger).expireCoverage(1)).to.emit(f.fund, "CoverageExpired").withArgs(1);
    expect((await f.fund.getCoverageDetails(1)).status).to.equal(2n);
  });

  it("releases totals, self-insured coverage and exposure exactly once", async () => {
    const f = await loadFixture(withCoverages);
    const usdc = await f.usdc.getAddress();
    await time.increaseTo(f.c2.end + GRACE + 1n);
    await f.fund.expireCoverage(1);
    expect(await f.fund.getTotalCoverage(usdc)).to.equal(units(50_000, 6));
    expect(await f.fund.getSelfInsuredCoverage(usdc)).to.equal(0n);
    expect(await f.fund.getProtocolExposure(PROTOCOLS.aave)).to.equal(10_000n * WAD);
    await expect(f.fund.expireCoverage(1)).to.be.revertedWithCustomError(f.fund, "FundCoverageNotExpirable").withArgs(1);
    await f.fund.expireCoverage(2);
    expect(await f.fund.getTotalCoverage(usdc)).to.equal(0n);
    expect(await f.fund.getProtocolExposure(PROTOCOLS.compound)).to.equal(0n);
    expect(await f.fund.getProtocolExposure(PROTOCOLS.aave)).to.equal(10_000n * WAD);
  });

  it("rejects an unknown coverage", async () => {
    const f = await loadFixture(withCoverages);
    await expect(f.fund.expireCoverage(4)).to.be.revertedWithCustomError(f.fund, "FundUnknownCoverage").withArgs(4);
  });

  it("expireCoverages expires the ended ones, skips the rest and returns the count", async () => {
    const f = await loadFixture(withCoverages);
    await time.increaseTo(f.c2.end + GRACE + 1n);
    const ids = [1n, 3n, 2n, 1n, 99n, 0n];
    expect(await f.fund.expireCoverages.staticCall(ids)).to.equal(2n);
    const tx = f.fund.expireCoverages(ids);
    await expect(tx).to.emit(f.fund, "CoverageExpired").withArgs(1);
    await expect(tx).to.emit(f.fund, "CoverageExpired").withArgs(2);
    const receipt = await (await tx).wait();
    const expiredLogs = receipt?.logs.filter((l) => f.fund.interface.parseLog(l)?.name === "CoverageExpired") ?? [];
    expect(expiredLogs.length).to.equal(2);
    expect((await f.fund.getCoverageDetails(3)).status).to.equal(1n);
    expect(await f.fund.expireCoverages.staticCall(ids)).to.equal(0n);
    expect(await f.fund.getTotalCoverage(await f.dai.getAddress())).to.equal(units(10_000, 18));
  });

  it("works while paused", async () => {
    const f = await loadFixture(withCoverages);
    await f.fund.connect(f.guardian).pause();
    await time.increaseTo(f.c1.end + GRACE + 1n);
    await expect(f.fund.expireCoverage(1)).to.emit(f.fund, "CoverageExpired").withArgs(1);
    await expect(f.fund.expireCoverages([2])).to.emit(f.fund, "CoverageExpired").withArgs(2);
  });

  it("a renewed coverage expires at its new end", async () => {
    const f = await loadFixture(withCoverages);
    await time.increaseTo(f.c1.end - DAY);
    await f.fund.connect(f.beneficiary).renewCoverage(1, 30n * DAY, units(100_000, 6), 10n ** 30n, "0x");
    await time.increaseTo(f.c1.end + GRACE + 1n);
    await expect(f.fund.expireCoverage(1)).to.be.revertedWithCustomError(f.fund, "FundCoverageNotExpirable").withArgs(1);
    await time.increaseTo(f.c1.end + 30n * DAY + GRACE + 1n);
    await f.fund.expireCoverage(1);
  });

  it("counts self-insured coverage in the reserve requirement until it is expired", async () => {
    const f = await loadFixture(withCoverages);
    const usdc = await f.usdc.getAddress();
    const [, requiredBefore] = await f.fund.reserveStatus(usdc);
    expect(requiredBefore).to.equal(units(100_000, 6)); // aave's whole self-insured exposure (above 20% of 100K)
    await time.increaseTo(f.c1.end + GRACE);
    expect((await f.fund.reserveStatus(usdc))[1]).to.equal(requiredBefore); // ended, still claimable
    await time.increase(1);
    await f.fund.expireCoverage(1);
    expect(await f.fund.selfInsuredExposure(PROTOCOLS.aave, usdc)).to.deep.equal([0n, units(100_000, 6)]);
    // the high-water mark falls once anyone proves the new maximum (no protocol exposed in USDC)
    await expect(f.fund.refreshLargestExposure(usdc, [PROTOCOLS.aave]))
      .to.be.revertedWithCustomError(f.fund, "FundIncompleteProtocolList")
      .withArgs(usdc, 1n, 0n);
    await f.fund.refreshLargestExposure(usdc, []);
    expect((await f.fund.reserveStatus(usdc))[1]).to.equal(0n);
  });

  describe("live coverage list", () => {
    it("unlinks expired coverages wherever they sit (head, middle, tail) and paginates the rest", async () => {
      const f = await loadFixture(deployHedgedFund);
      const ids: bigint[] = [];
      for (const days of [30n, 90n, 30n, 90n, 30n]) ids.push((await buyCoverage(f, { amount: units(1_000, 6), duration: days * DAY })).coverId);
      // newest first: 5 4 3 2 1
      expect(await f.fund.getProtocolCoverages(PROTOCOLS.aave, 0, 2)).to.deep.equal([[5n, 4n], 3n]);
      expect(await f.fund.getProtocolCoverages(PROTOCOLS.aave, 3n, 2)).to.deep.equal([[3n, 2n], 1n]);
      expect(await f.fund.getProtocolCoverages(PROTOCOLS.aave, 1n, 2)).to.deep.equal([[1n], 0n]);
      expect(await f.fund.getProtocolCoverages(PROTOCOLS.aave, 0, 0)).to.deep.equal([[], 5n]);
      // a huge limit is capped (1,000 per page), not an out-of-memory revert
      expect(await f.fund.getProtocolCoverages(PROTOCOLS.aave, 0, ethers.MaxUint256)).to.deep.equal([[5n, 4n, 3n, 2n, 1n], 0n]);
      await time.increase(30n * DAY + GRACE + 60n);
      await f.fund.expireCoverage(3); // middle
      expect(await f.fund.getProtocolCoverages(PROTOCOLS.aave, 0, 10)).to.deep.equal([[5n, 4n, 2n, 1n], 0n]);
      await f.fund.expireCoverage(5); // head
      expect(await f.fund.latestProtocolCoverage(PROTOCOLS.aave)).to.equal(4n);
      await f.fund.expireCoverage(1); // tail
      expect(await f.fund.getProtocolCoverages(PROTOCOLS.aave, 0, 10)).to.deep.equal([[4n, 2n], 0n]);
      expect((await f.fund.getCoverageDetails(2)).prevCoverageId).to.equal(0n);
      // a stale cursor (an expired id) reverts (it is not "done"); another protocol's id is rejected
      await expect(f.fund.getProtocolCoverages(PROTOCOLS.aave, 3n, 10)).to.be.revertedWithCustomError(f.fund, "FundStaleCursor").withArgs(3n);
      const other = await buyCoverage(f, { protocol: PROTOCOLS.compound, amount: units(1_000, 6) });
      await expect(f.fund.getProtocolCoverages(PROTOCOLS.aave, other.coverId, 10))
        .to.be.revertedWithCustomError(f.fund, "FundUnknownCoverage")
        .withArgs(other.coverId);
      await time.increase(60n * DAY + GRACE);
      expect(await f.fund.expireCoverages.staticCall([4n, 2n])).to.equal(2n);
      await f.fund.expireCoverages([2n, 4n]);
      expect(await f.fund.getProtocolCoverages(PROTOCOLS.aave, 0, 10)).to.deep.equal([[], 0n]);
      expect(await f.fund.getProtocolExposure(PROTOCOLS.aave)).to.equal(0n);
    });
  });
});
