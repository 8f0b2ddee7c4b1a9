import { loadFixture, time } from "@nomicfoundation/hardhat-network-helpers";
import { expect } from "chai";

import { DAY, deployFundedFund, PROTOCOLS, units } from "../helpers/fundFixture";

/**
 * Design, pinned (docs/fund.md "Reserve"): every path that adds self-insured coverage or removes
 * capital checks pool ≥ ⌈reserveRatio × selfInsured⌉ + open self-insured claims. Filing a claim raises
 * the requirement and accepting one takes the payout out of the pool without that check (paying claims
 * is what the reserve is for); the coverage keeps its full amount in `selfInsured` until it is expired
 * (never before end + claimGracePeriod), and new self-insured business in that asset is refused until
 * capital returns.
 */
describe("reserve ratio: claims may draw the pool below it; new business may not", () => {
  it("pool at exactly the required reserve, one accepted claim → pool < ratio × selfInsured", async () => {
    const f = await loadFixture(deployFundedFund);
    const usdc = await f.usdc.getAddress();
    const amount = units(100_000, 6);
    const duration = 90n * DAY;
    const premium = await f.fund.quotePremium(PROTOCOLS.aave, usdc, amount, duration);
    await f.fund.connect(f.buyer).purchaseProtocolCoverage(PROTOCOLS.aave, usdc, amount, duration, premium, f.beneficiary.address, 0, "0x");
    // The admin withdraws down to the required reserve: 20% of 100,000 = 20,000 USDC.
    const required = (amount * 2_000n) / 10_000n;
    const pool = await f.fund.poolBalance(usdc);
    await f.fund.connect(f.admin).withdrawCapital(usdc, pool - required, f.admin.address);
    await expect(f.fund.connect(f.admin).withdrawCapital(usdc, 1n, f.admin.address))
      .to.be.revertedWithCustomError(f.fund, "FundReserveRatioBreached")
      .withArgs(usdc, required - 1n, required);

    await time.increase(DAY);
    const payout = units(15_000, 6);
    await f.fund.connect(f.beneficiary).submitClaim(1n, payout, await time.latest(), "exploit", "0x");
    // The open claim counts in full: the requirement is now 20,000 + 15,000.
    expect(await f.fund.reserveStatus(usdc)).to.deep.equal([required, required + payout, payout]);
    await expect(f.fund.connect(f.admin).withdrawCapital(usdc, 1n, f.admin.address))
      .to.be.revertedWithCustomError(f.fund, "FundReserveRatioBreached")
      .withArgs(usdc, required - 1n, required + payout);
    // The payout leaves the pool here, no ratio check; the shortfall is reported.
    await expect(f.fund.connect(f.assessor).assessClaim(1n, true, payout))
      .to.emit(f.fund, "ReserveShortfall")
      .withArgs(usdc, required - payout, required);
    expect(await f.fund.poolBalance(usdc)).to.equal(required - payout);
    expect(await f.fund.reserveStatus(usdc)).to.deep.equal([required - payout, required, payout]);
    // 15,000 of a 20,000 pool in one day is above the daily limit (25%): the admin confirms it.
    await f.fund.connect(f.admin).confirmPayout(1n);
    await time.increase(2n * DAY);
    await f.fund.settleClaim(1n);

    expect(await f.fund.poolBalance(usdc)).to.equal(required - payout); // 5,000 USDC
    expect(await f.fund.getSelfInsuredCoverage(usdc)).to.equal(amount); // still 100,000
    expect((await f.fund.getCoverageDetails(1n)).claimed).to.equal(payout);
    // 5,000 < 20% × 100,000: new self-insured cover in USDC is now refused until capital returns.
    await expect(
      f.fund.connect(f.buyer).purchaseProtocolCoverage(PROTOCOLS.aave, usdc, 1n, duration, 1n, f.beneficiary.address, 0, "0x"),
    ).to.be.revertedWithCustomError(f.fund, "FundReserveRatioBreached");
  });
});
