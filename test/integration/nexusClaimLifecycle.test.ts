import { loadFixture, time } from "@nomicfoundation/hardhat-network-helpers";
import { expect } from "chai";
import { ethers } from "hardhat";

import { claimProof } from "../helpers/claimProof";
import { DAY, PROTOCOLS, units } from "../helpers/fundFixture";
import { deploySystem, nexusQuote } from "../helpers/systemFixture";

/** Fund + NexusMutualAdapter + Nexus mocks, end to end: buy → exploit → claim → vote → cooldown → settle → withdraw. */
describe("integration: hedged coverage through Nexus Mutual", () => {
  const AMOUNT = units(40_000, 6);
  const DURATION = 180n * DAY;

  async function boughtCoverage() {
    const s = await loadFixture(deploySystem);
    const usdc = await s.usdc.getAddress();
    const premium = await s.fund.quotePremium(PROTOCOLS.aave, usdc, AMOUNT, DURATION);
    await s.fund.connect(s.beneficiary).setAgent(s.agent.address, true);
    const tx = await s.fund
      .connect(s.buyer)
      .purchaseProtocolCoverage(PROTOCOLS.aave, usdc, AMOUNT, DURATION, premium, s.beneficiary.address, s.NEXUS, nexusQuote(AMOUNT));
    await tx.wait();
    return { ...s, usdcAddress: usdc, premium, coverId: 1n };
  }

  it("buys upstream cover held by the adapter and keeps the margin in the pool", async () => {
    const s = await boughtCoverage();
    const coverage = await s.fund.getCoverageDetails(s.coverId);
    expect(coverage.providerId).to.equal(s.NEXUS);
    expect(coverage.providerCoverId).to.not.equal(0n);
    const upstream = await s.nexusCover.mockNexusQuote(7, AMOUNT, DURATION);
    expect(upstream).to.be.lessThan(s.premium);
    // Pool = initial capital + fund premium − upstream premium.
    expect(await s.fund.poolBalance(s.usdcAddress)).to.equal(units(1_000_000, 6) + s.premium - upstream);
    const nft = await ethers.getContractAt("MockNexusMutualCoverNFT", await s.nexusCover.coverNFT());
    expect(await nft.ownerOf(coverage.providerCoverId)).to.equal(await s.adapter.getAddress());
    // Hedged coverage does not count against the self-insurance reserve.
    expect(await s.fund.getSelfInsuredCoverage(s.usdcAddress)).to.equal(0n);
  });

  it("refuses to pay upstream more than the fund's premium (the quote is guarded by maxPremiumInAsset)", async () => {
    const s = await loadFixture(deploySystem);
    await s.nexusCover.connect(s.admin).mockNexusSetProduct(7, 1_000, false); // Nexus now asks 10% a year
    await expect(
      s.fund
        .connect(s.buyer)
        .purchaseProtocolCoverage(PROTOCOLS.aave, await s.usdc.getAddress(), AMOUNT, DURATION, ethers.MaxUint256, s.beneficiary.address, s.NEXUS, nexusQuote(AMOUNT)),
    ).to.be.revertedWithCustomError(s.nexusCover, "PriceExceedsMaxPremiumInAsset");
  });

  it("pays an accepted claim to the beneficiary, who withdraws it; the claimant gets the deposit back", async () => {
    const s = await boughtCoverage();
    await time.increase(10n * DAY); // the exploit happens
    const claimAmount = units(28_500, 6);
    const deposit = await s.adapter.claimDeposit((await s.fund.getCoverageDetails(s.coverId)).providerCoverId, claimAmount);
    await expect(
      s.fund.connect(s.agent).submitClaim(s.coverId, claimAmount, await time.latest(), "exploit", claimProof({ reason: "evidence-pack" }), { value: deposit }),
    ).to.emit(s.fund, "ClaimSubmitted");
    const claim = await s.fund.getClaim(1n);
    await expect(s.fund.settleClaim(1n))
      .to.be.revertedWithCustomError(s.fund, "FundClaimNotSettleable")
      .withArgs(1n, 1); // upstream still Pending

    await s.nexusClaims.connect(s.admin).mockNexusCastVote(claim.providerClaimId, true);
    await time.increase(3n * DAY + 1n * DAY + 1n); // voting, then cooldown
    const before = await s.usdc.balanceOf(s.beneficiary.address);
    await expect(s.fund.connect(s.stranger).settleClaim(1n))
      .to.emit(s.fund, "ClaimSettled")
      .withArgs(1n, 4, claimAmount); // Paid
    expect(await s.fund.creditedPayout(s.beneficiary.address, s.usdcAddress)).to.equal(claimAmount);
    expect(await s.fund.creditedDeposit(s.agent.address)).to.equal(deposit);
    await s.fund.connect(s.beneficiary).withdrawPayout(s.usdcAddress, s.beneficiary.address);
    expect((await s.usdc.balanceOf(s.beneficiary.address)) - before).to.equal(claimAmount);
    await expect(s.fund.connect(s.agent).withdrawDeposit(s.agent.address)).to.changeEtherBalance(s.agent, deposit);
    const coverage = await s.fund.getCoverageDetails(s.coverId);
    expect(coverage.claimed).to.equal(claimAmount);
    expect(coverage.openClaimId).to.equal(0n);
  });

  it("closes a denied claim without payout, and a later claim can be filed", async () => {
    const s = await boughtCoverage();
    await time.increase(5n * DAY);
    const providerCoverId = (await s.fund.getCoverageDetails(s.coverId)).providerCoverId;
    const deposit = await s.adapter.claimDeposit(providerCoverId, 1n);
    await s.fund.connect(s.beneficiary).submitClaim(s.coverId, units(1_000, 6), await time.latest(), "weak", claimProof({ reason: "weak" }), { value: deposit });
    await s.nexusClaims.connect(s.admin).mockNexusCastVote((await s.fund.getClaim(1n)).providerClaimId, false);
    await time.increase(5n * DAY);
    await expect(s.fund.settleClaim(1n)).to.emit(s.fund, "ClaimSettled").withArgs(1n, 3, 0n); // Denied
    expect(await s.fund.creditedPayout(s.beneficiary.address, s.usdcAddress)).to.equal(0n);
    await expect(s.fund.connect(s.beneficiary).submitClaim(s.coverId, units(1_000, 6), await time.latest(), "again", claimProof({ reason: "again" }), { value: deposit })).to.emit(
      s.fund,
      "ClaimSubmitted",
    );
  });

  it("renews through a Nexus edit that mints a new cover id", async () => {
    const s = await boughtCoverage();
    const before = await s.fund.getCoverageDetails(s.coverId);
    await time.increaseTo(before.end - 10n * DAY);
    const extra = 90n * DAY;
    await s.fund
      .connect(s.agent)
      .renewCoverage(s.coverId, extra, AMOUNT, ethers.MaxUint256, nexusQuote(AMOUNT));
    const after = await s.fund.getCoverageDetails(s.coverId);
    expect(after.end).to.equal(before.end + extra);
    expect(after.providerCoverId).to.not.equal(before.providerCoverId);
  });
});
