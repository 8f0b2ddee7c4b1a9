import { loadFixture, time } from "@nomicfoundation/hardhat-network-helpers";
import { expect } from "chai";

import { DAY, deployFundedFund, PROTOCOLS, units } from "../helpers/fundFixture";

/**
 * Design, pinned (docs/fund.md "Reserve"): every path that adds self-insured coverage, extends its term,
 * or removes capital checks pool ≥ max(⌈reserveRatio × selfInsured⌉ + open self-insured claims, the
 * largest single-protocol self-insured exposure). Filing a claim raises the requirement and accepting
 * one takes the payout out of the pool without that check (paying claims is what the reserve is for);
 * the coverage keeps its full amount until it is expired (never before end + claimGracePeriod), and new
 * self-insured business on that protocol in that asset is refused until capital returns.
 */
describe("reserve ratio: claims may draw the pool below it; new business may not", () => {
  it("solvency: pool at exactly the protocol's exposure, one accepted claim → pool below it, new business refused", async () => {
    const f = await loadFixture(deployFundedFund);
    const usdc = await f.usdc.getAddress();
    const amount = units(100_000, 6);
    const duration = 90n * DAY;
    const premium = await f.fund.quotePremium(PROTOCOLS.aave, usdc, amount, duration);
    await f.fund.connect(f.buyer).purchaseProtocolCoverage(PROTOCOLS.aave, usdc, amount, duration, premium, f.beneficiary.address, 0, "0x");
    // The admin withdraws down to the requirement: aave's whole self-insured exposure, 100,000 USDC
    // (above 20% of 100,000).
    const required = amount;
    const pool = await f.fund.poolBalance(usdc);
    await f.fund.connect(f.admin).withdrawCapital(usdc, pool - required, f.admin.address);
    await expect(f.fund.connect(f.admin).withdrawCapital(usdc, 1n, f.admin.address))
      .to.be.revertedWithCustomError(f.fund, "FundProtocolExposureAboveReserve")
      .withArgs(usdc, required, required - 1n);

    await time.increase(DAY);
    const payout = units(60_000, 6);
    await f.fund.connect(f.beneficiary).submitClaim(1n, payout, await time.latest(), "exploit", "0x");
    // The ratio part with the open claim (20,000 + 60,000) stays below the protocol's exposure.
    expect(await f.fund.reserveStatus(usdc)).to.deep.equal([required, required, 0n]);
    // The payout leaves the pool here, no reserve check; the shortfall is reported.
    await expect(f.fund.connect(f.assessor).assessClaim(1n, true, payout))
      .to.emit(f.fund, "ReserveShortfall")
      .withArgs(usdc, required - payout, required);
    expect(await f.fund.poolBalance(usdc)).to.equal(required - payout);
    // 60,000 of a 100,000 pool in one day is above the daily limit (25%): the admin confirms it.
    await f.fund.connect(f.admin).confirmPayout(1n);
    await time.increase(2n * DAY);
    await f.fund.settleClaim(1n);

    expect(await f.fund.poolBalance(usdc)).to.equal(required - payout); // 40,000 USDC
    expect(await f.fund.getSelfInsuredCoverage(usdc)).to.equal(amount); // still 100,000
    expect((await f.fund.getCoverageDetails(1n)).claimed).to.equal(payout);
    // 40,000 < aave's 100,000: new self-insured aave cover in USDC is refused until capital returns.
    await expect(
      f.fund.connect(f.buyer).purchaseProtocolCoverage(PROTOCOLS.aave, usdc, 1n, duration, 1n, f.beneficiary.address, 0, "0x"),
    ).to.be.revertedWithCustomError(f.fund, "FundProtocolExposureAboveReserve");
  });
});
