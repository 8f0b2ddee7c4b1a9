import { loadFixture, time } from "@nomicfoundation/hardhat-network-helpers";
import { expect } from "chai";

import { DAY, deployFundedFund, PROTOCOLS, units } from "../helpers/fundFixture";

/**
 * Design, pinned (docs/testing.md): every path that adds self-insured coverage or removes capital
 * checks pool ≥ reserveRatio × selfInsured. Paying claims is what the reserve is for, so accepting a
 * self-insured claim takes the payout out of the pool without that check; the coverage keeps its
 * full amount in `selfInsured` (the payout is recorded in `claimed`), and new self-insured business
 * in that asset is refused until capital returns.
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
    await f.fund.connect(f.assessor).assessClaim(1n, true, payout); // payout leaves the pool here, no ratio check
    expect(await f.fund.poolBalance(usdc)).to.equal(required - payout);
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
