import { loadFixture, time } from "@nomicfoundation/hardhat-network-helpers";
import { expect } from "chai";
import { ethers } from "hardhat";

import { claimProof } from "../helpers/claimProof";
import { DAY, PROTOCOLS, units } from "../helpers/fundFixture";
import { deploySystem, nexusQuote } from "../helpers/systemFixture";

const AMOUNT = units(40_000, 6);
const DURATION = 180n * DAY;
const DRAW = 5n; // ClaimStatus.Draw

/** Fund + adapter + Nexus mocks with hedged coverage 1 bought through Nexus, one day later. */
async function hedged() {
  const s = await loadFixture(deploySystem);
  const usdc = await s.usdc.getAddress();
  await s.fund
    .connect(s.buyer)
    .purchaseProtocolCoverage(PROTOCOLS.aave, usdc, AMOUNT, DURATION, ethers.MaxUint256, s.beneficiary.address, s.NEXUS, nexusQuote(AMOUNT));
  await time.increase(DAY);
  return { ...s, usdcAddress: usdc };
}

describe("integration: Nexus upstream cover history and draw griefing", () => {
  it("routes a claim to the upstream cover in force at incidentAt (a renewal edit cut the old one)", async () => {
    const s = await hedged();
    const before = await s.fund.getCoverageDetails(1);
    const oldCover = before.providerCoverId;
    const lossBeforeRenewal = BigInt(await time.latest());
    await time.increaseTo(before.end - 10n * DAY);
    await s.fund.connect(s.beneficiary).renewCoverage(1, 90n * DAY, AMOUNT, ethers.MaxUint256, nexusQuote(AMOUNT));
    const renewedAt = BigInt(await time.latest());
    const newCover = (await s.fund.getCoverageDetails(1)).providerCoverId;
    expect(newCover).to.not.equal(oldCover);
    expect(await s.fund.upstreamCoverAt(1, lossBeforeRenewal)).to.equal(oldCover);
    expect(await s.fund.upstreamCoverAt(1, renewedAt - 1n)).to.equal(oldCover);
    expect(await s.fund.upstreamCoverAt(1, renewedAt)).to.equal(newCover);
    await expect(s.fund.upstreamCoverAt(9, renewedAt)).to.be.revertedWithCustomError(s.fund, "FundUnknownCoverage").withArgs(9);

    // A loss before the renewal is claimed on the OLD Nexus cover (still inside its grace period).
    await time.increase(DAY);
    const deposit = await s.adapter.claimDeposit(oldCover, units(10_000, 6));
    await s.fund
      .connect(s.beneficiary)
      .submitClaim(1, units(10_000, 6), lossBeforeRenewal, "exploit", claimProof({ loss: "before renewal" }), { value: deposit });
    const claim = await s.fund.getClaim(1);
    expect(claim.incidentAt).to.equal(lossBeforeRenewal);
    expect((await s.nexusClaims.getClaim(claim.providerClaimId)).coverId).to.equal(oldCover);

    // A later loss goes to the new cover.
    await s.nexusClaims.connect(s.admin).mockNexusCastVote(claim.providerClaimId, false);
    await time.increase(5n * DAY);
    await s.fund.settleClaim(1);
    await s.fund
      .connect(s.beneficiary)
      .submitClaim(1, units(10_000, 6), await time.latest(), "exploit", claimProof({ loss: "after renewal" }), { value: deposit });
    expect((await s.nexusClaims.getClaim((await s.fund.getClaim(2)).providerClaimId)).coverId).to.equal(newCover);
  });

  it("a draw whose deposit an outsider retrieved first still settles, and the claimant gets the deposit", async () => {
    const s = await hedged();
    const providerCoverId = (await s.fund.getCoverageDetails(1)).providerCoverId;
    const deposit = await s.adapter.claimDeposit(providerCoverId, units(10_000, 6));
    await s.fund.connect(s.beneficiary).setAgent(s.agent.address, true);
    await s.fund
      .connect(s.agent)
      .submitClaim(1, units(10_000, 6), await time.latest(), "exploit", claimProof({ reason: "draw" }), { value: deposit });
    const providerClaimId = (await s.fund.getClaim(1)).providerClaimId;
    await s.nexusClaims.connect(s.admin).mockNexusCastVote(providerClaimId, true);
    await s.nexusClaims.connect(s.admin).mockNexusCastVote(providerClaimId, false);
    await time.increase(5n * DAY);

    // The grief: anyone may retrieve a draw's deposit upstream; Nexus pays the NFT owner (the adapter).
    await expect(s.nexusClaims.connect(s.stranger).retrieveDeposit(providerClaimId)).to.changeEtherBalance(s.adapter, deposit);
    await expect(s.fund.connect(s.stranger).settleClaim(1))
      .to.emit(s.fund, "ClaimSettled")
      .withArgs(1, DRAW, 0n)
      .and.to.emit(s.fund, "DepositCredited")
      .withArgs(s.agent.address, deposit);
    expect(await ethers.provider.getBalance(await s.adapter.getAddress())).to.equal(0n);
    expect((await s.fund.getCoverageDetails(1)).openClaimId).to.equal(0n);
    // pulled to any address the claimant chooses
    await expect(s.fund.connect(s.agent).withdrawDeposit(s.stranger.address)).to.changeEtherBalance(s.stranger, deposit);
    // the coverage is not frozen: a new claim can be filed
    await s.fund
      .connect(s.beneficiary)
      .submitClaim(1, units(1_000, 6), await time.latest(), "again", claimProof({ reason: "again" }), { value: deposit });
  });
});
