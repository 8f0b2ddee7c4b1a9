import { loadFixture, time } from "@nomicfoundation/hardhat-network-helpers";
import { expect } from "chai";
import { ethers } from "hardhat";

import { DAY, PROTOCOLS, buyCoverage, deployHedgedFund, units } from "../../helpers/fundFixture";

describe("StablecoinInsuranceFund views", () => {
  it("providerAdapter, providerCount and isAgent report the registry", async () => {
    const f = await loadFixture(deployHedgedFund);
    expect(await f.fund.providerAdapter(0)).to.deep.equal([ethers.ZeroAddress, false]);
    expect(await f.fund.providerAdapter(1)).to.deep.equal([await f.provider.getAddress(), true]);
    expect(await f.fund.providerCount()).to.equal(1n);
    expect(await f.fund.isAgent(f.beneficiary.address, f.agent.address)).to.equal(false);
    expect(await f.fund.creditedDeposit(f.agent.address)).to.equal(0n);
  });

  it("getProtocolCoverages keeps every coverage ever bought, newest first, through expiry", async () => {
    const f = await loadFixture(deployHedgedFund);
    const a = await buyCoverage(f, { duration: 30n * DAY });
    const b = await buyCoverage(f, { protocol: PROTOCOLS.compound, providerId: 1 });
    const c = await buyCoverage(f, { asset: await f.dai.getAddress(), amount: units(1_000, 18) });
    // Expired coverages leave the live list (expirable once end + claimGracePeriod passed).
    expect(await f.fund.getProtocolCoverages(PROTOCOLS.aave, 0, 10)).to.deep.equal([[c.coverId, a.coverId], 0n]);
    await time.increaseTo(a.end + 30n * DAY + 1n);
    await f.fund.expireCoverage(a.coverId);
    expect(await f.fund.getProtocolCoverages(PROTOCOLS.aave, 0, 10)).to.deep.equal([[c.coverId], 0n]);
    expect(await f.fund.getProtocolCoverages(PROTOCOLS.compound, 0, 10)).to.deep.equal([[b.coverId], 0n]);
    expect(await f.fund.latestProtocolCoverage(PROTOCOLS.aave)).to.equal(c.coverId);
    expect(await f.fund.latestProtocolCoverage(PROTOCOLS.curve)).to.equal(0n);
    expect(await f.fund.coverageCount()).to.equal(3n);
    expect(await f.fund.claimCount()).to.equal(0n);
  });
});
