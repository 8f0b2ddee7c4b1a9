import { expect } from "chai";
import { ethers } from "hardhat";
import { loadFixture, time, impersonateAccount, setBalance } from "@nomicfoundation/hardhat-network-helpers";

const DAY = 24n * 60n * 60n;
const YEAR = 365n * DAY;
const UNIT = 10n ** 6n;
const AMOUNT = 100_000n * UNIT;
const PERIOD = 90n * DAY;
const PRICE_BPS = 300n;
const DEPOSIT = ethers.parseEther("0.01");
const STATUS = { None: 0n, Pending: 1n, Accepted: 2n, Denied: 3n, Draw: 4n, Redeemed: 5n, Expired: 6n };
const DECISION = { Accept: 0, Deny: 1, Draw: 2 };

function premiumOf(amount: bigint, period: bigint, bps = PRICE_BPS): bigint {
  const denominator = 10_000n * YEAR;
  return (amount * bps * period + denominator - 1n) / denominator;
}

async function deployProvider() {
  const [owner, fund, outsider, protocolSigner] = await ethers.getSigners();
  if (!owner || !fund || !outsider || !protocolSigner) throw new Error("not enough signers");
  const token = await ethers.deployContract("MockProviderTestToken", ["USD Coin", "USDC", 6]);
  const provider = await ethers.deployContract("MockCapacityLimitedProvider", [fund.address, PRICE_BPS, owner.address]);
  const protocol = protocolSigner.address;
  await provider.mockSetMarket(protocol, token.target, true, 150_000n * UNIT);
  await provider.mockSetClaimDeposit(DEPOSIT);
  await token.mint(fund.address, 1_000_000n * UNIT);
  await token.connect(fund).approve(provider.target, ethers.MaxUint256);
  await token.mint(provider.target, 1_000_000n * UNIT); // payout reserve
  return { owner, fund, outsider, token, provider, protocol };
}

async function withCover() {
  const fx = await deployProvider();
  await fx.provider.connect(fx.fund).buyCover(fx.protocol, fx.token.target, AMOUNT, PERIOD, AMOUNT, "0x");
  const start = BigInt((await fx.provider.covers(1n)).start);
  return { ...fx, start };
}

async function withClaim() {
  const fx = await withCover();
  await fx.provider.connect(fx.fund).submitClaim(1n, AMOUNT, ethers.ZeroHash, { value: DEPOSIT });
  return fx;
}

describe("MockCapacityLimitedProvider", () => {
  it("buys within capacity, pulling exactly the premium", async () => {
    const fx = await loadFixture(deployProvider);
    const premium = premiumOf(AMOUNT, PERIOD);
    expect(await fx.provider.isSupported(fx.protocol, fx.token.target)).to.equal(true);
    expect(await fx.provider.quote(AMOUNT, PERIOD)).to.equal(premium);
    const [coverId, paid] = await fx.provider
      .connect(fx.fund)
      .buyCover.staticCall(fx.protocol, fx.token.target, AMOUNT, PERIOD, AMOUNT, "0x");
    expect([coverId, paid]).to.deep.equal([1n, premium]);
    const tx = fx.provider.connect(fx.fund).buyCover(fx.protocol, fx.token.target, AMOUNT, PERIOD, AMOUNT, "0x");
    await expect(tx).to.emit(fx.provider, "MockProviderCoverBought").withArgs(1n, fx.protocol, AMOUNT, premium);
    await expect(tx).to.changeTokenBalances(fx.token, [fx.fund, fx.provider], [-premium, premium]);
    expect((await fx.provider.markets(fx.protocol, fx.token.target)).capacity).to.equal(50_000n * UNIT);
  });

  it("reverts CoverProviderInsufficientCapacity(requested, available)", async () => {
    const fx = await loadFixture(withCover);
    await expect(fx.provider.connect(fx.fund).buyCover(fx.protocol, fx.token.target, AMOUNT, PERIOD, AMOUNT, "0x"))
      .to.be.revertedWithCustomError(fx.provider, "CoverProviderInsufficientCapacity")
      .withArgs(AMOUNT, 50_000n * UNIT);
  });

  it("reverts for unsupported markets and premiums above maxPremium", async () => {
    const fx = await loadFixture(deployProvider);
    await expect(fx.provider.connect(fx.fund).buyCover(fx.outsider.address, fx.token.target, AMOUNT, PERIOD, AMOUNT, "0x"))
      .to.be.revertedWithCustomError(fx.provider, "MockProviderUnsupported")
      .withArgs(fx.outsider.address, fx.token.target);
    const premium = premiumOf(AMOUNT, PERIOD);
    await expect(fx.provider.connect(fx.fund).buyCover(fx.protocol, fx.token.target, AMOUNT, PERIOD, premium - 1n, "0x"))
      .to.be.revertedWithCustomError(fx.provider, "MockProviderPremiumTooHigh")
      .withArgs(premium, premium - 1n);
  });

  it("only the fund changes state", async () => {
    const fx = await loadFixture(withClaim);
    const asOther = fx.provider.connect(fx.outsider);
    const calls = [
      () => asOther.buyCover(fx.protocol, fx.token.target, 1n, PERIOD, 1n, "0x"),
      () => asOther.renewCover(1n, fx.protocol, fx.token.target, 1n, PERIOD, 1n, "0x"),
      () => asOther.submitClaim(1n, 1n, ethers.ZeroHash, { value: DEPOSIT }),
      () => asOther.redeemPayout(1n),
      () => asOther.retrieveDeposit(1n),
    ];
    for (const call of calls) {
      await expect(call()).to.be.revertedWithCustomError(fx.provider, "CoverProviderOnlyFund").withArgs(fx.outsider.address);
    }
  });

  it("renews in place, re-sizing capacity and charging like an edit (extension + increase over the time left)", async () => {
    const fx = await loadFixture(withCover);
    const newAmount = 120_000n * UNIT;
    const at = fx.start + 10n * DAY;
    const oldEnd = fx.start + PERIOD;
    const premium = premiumOf(newAmount, at + 180n * DAY - oldEnd) + premiumOf(newAmount - AMOUNT, oldEnd - at);
    expect(premium).to.be.lessThan(premiumOf(newAmount, 180n * DAY));
    await time.setNextBlockTimestamp(at);
    const tx = fx.provider
      .connect(fx.fund)
      .renewCover(1n, fx.protocol, fx.token.target, newAmount, 180n * DAY, premium, "0x");
    await expect(tx).to.emit(fx.provider, "MockProviderCoverRenewed").withArgs(1n, newAmount, premium);
    await expect(tx).to.changeTokenBalance(fx.token, fx.fund, -premium);
    expect((await fx.provider.markets(fx.protocol, fx.token.target)).capacity).to.equal(30_000n * UNIT);
    // An ended cover pays for the whole new period.
    await time.increaseTo(at + 181n * DAY);
    const full = premiumOf(AMOUNT, 30n * DAY);
    await time.setNextBlockTimestamp(at + 181n * DAY + 1n);
    await expect(fx.provider.connect(fx.fund).renewCover(1n, fx.protocol, fx.token.target, AMOUNT, 30n * DAY, full, "0x"))
      .to.emit(fx.provider, "MockProviderCoverRenewed")
      .withArgs(1n, AMOUNT, full);
    await expect(fx.provider.connect(fx.fund).renewCover(9n, fx.protocol, fx.token.target, 1n, PERIOD, 1n, "0x"))
      .to.be.revertedWithCustomError(fx.provider, "MockProviderUnknownCover")
      .withArgs(9n);
  });

  it("claim window, deposit and amount checks", async () => {
    const fx = await loadFixture(withCover);
    expect(await fx.provider.claimDeposit(1n, AMOUNT)).to.equal(DEPOSIT);
    const latest = fx.start + PERIOD + 30n * DAY;
    expect(await fx.provider.claimWindow(1n)).to.deep.equal([fx.start, latest]);
    await expect(fx.provider.claimWindow(9n)).to.be.revertedWithCustomError(fx.provider, "MockProviderUnknownCover");
    const asFund = fx.provider.connect(fx.fund);
    await expect(asFund.submitClaim(1n, AMOUNT, ethers.ZeroHash, { value: DEPOSIT - 1n }))
      .to.be.revertedWithCustomError(fx.provider, "MockProviderWrongDeposit")
      .withArgs(DEPOSIT - 1n, DEPOSIT);
    await expect(asFund.submitClaim(1n, AMOUNT + 1n, ethers.ZeroHash, { value: DEPOSIT }))
      .to.be.revertedWithCustomError(fx.provider, "MockProviderAmountExceedsCover")
      .withArgs(AMOUNT + 1n, AMOUNT);
    await time.setNextBlockTimestamp(latest + 1n);
    await expect(asFund.submitClaim(1n, AMOUNT, ethers.ZeroHash, { value: DEPOSIT }))
      .to.be.revertedWithCustomError(fx.provider, "MockProviderOutsideClaimWindow")
      .withArgs(latest + 1n, fx.start, latest);
  });

  it("accept -> redeem sends payout and deposit to the fund", async () => {
    const fx = await loadFixture(withClaim);
    expect(await fx.provider.claimStatus(1n)).to.deep.equal([STATUS.Pending, 0n, 0n]);
    const payout = 80_000n * UNIT;
    await expect(fx.provider.mockDecideClaim(1n, DECISION.Accept, payout))
      .to.emit(fx.provider, "MockProviderClaimDecided")
      .withArgs(1n, DECISION.Accept, payout);
    const [status, reportedPayout, until] = await fx.provider.claimStatus(1n);
    expect([status, reportedPayout]).to.deep.equal([STATUS.Accepted, payout]);
    await expect(fx.provider.mockDecideClaim(1n, DECISION.Deny, 0n))
      .to.be.revertedWithCustomError(fx.provider, "MockProviderClaimNotPending")
      .withArgs(1n);

    const tx = fx.provider.connect(fx.fund).redeemPayout(1n);
    await expect(tx).to.emit(fx.provider, "MockProviderPayoutRedeemed").withArgs(1n, payout, DEPOSIT);
    await expect(tx).to.changeTokenBalance(fx.token, fx.fund, payout);
    await expect(tx).to.changeEtherBalance(fx.fund, DEPOSIT);
    expect(await fx.provider.claimStatus(1n)).to.deep.equal([STATUS.Redeemed, payout, 0n]);
    expect(until).to.be.greaterThan(0n);
    await expect(fx.provider.connect(fx.fund).redeemPayout(1n))
      .to.be.revertedWithCustomError(fx.provider, "MockProviderClaimNotRedeemable")
      .withArgs(1n, STATUS.Redeemed);
  });

  it("accepted claims expire after the redemption window", async () => {
    const fx = await loadFixture(withClaim);
    await fx.provider.mockDecideClaim(1n, DECISION.Accept, AMOUNT);
    const [, , until] = await fx.provider.claimStatus(1n);
    await time.increaseTo(until + 1n);
    expect(await fx.provider.claimStatus(1n)).to.deep.equal([STATUS.Expired, 0n, 0n]);
    await expect(fx.provider.connect(fx.fund).redeemPayout(1n))
      .to.be.revertedWithCustomError(fx.provider, "MockProviderClaimNotRedeemable")
      .withArgs(1n, STATUS.Expired);
  });

  it("draw -> retrieveDeposit once; deny keeps the deposit", async () => {
    const fx = await loadFixture(withClaim);
    await fx.provider.mockDecideClaim(1n, DECISION.Draw, 0n);
    expect(await fx.provider.claimStatus(1n)).to.deep.equal([STATUS.Draw, 0n, 0n]);
    await expect(fx.provider.connect(fx.fund).retrieveDeposit(1n))
      .to.emit(fx.provider, "MockProviderDepositRetrieved")
      .withArgs(1n, DEPOSIT);
    await expect(fx.provider.connect(fx.fund).retrieveDeposit(1n))
      .to.be.revertedWithCustomError(fx.provider, "MockProviderDepositNotRetrievable")
      .withArgs(1n);

    await fx.provider.connect(fx.fund).submitClaim(1n, 1n, ethers.ZeroHash, { value: DEPOSIT });
    await fx.provider.mockDecideClaim(2n, DECISION.Deny, 0n);
    expect(await fx.provider.claimStatus(2n)).to.deep.equal([STATUS.Denied, 0n, 0n]);
    await expect(fx.provider.connect(fx.fund).retrieveDeposit(2n)).to.be.revertedWithCustomError(
      fx.provider,
      "MockProviderDepositNotRetrievable",
    );
  });

  it("unknown claims revert MockProviderUnknownClaim and report None", async () => {
    const fx = await loadFixture(withCover);
    expect(await fx.provider.claimStatus(9n)).to.deep.equal([STATUS.None, 0n, 0n]);
    await expect(fx.provider.connect(fx.fund).redeemPayout(9n))
      .to.be.revertedWithCustomError(fx.provider, "MockProviderUnknownClaim")
      .withArgs(9n);
    await expect(fx.provider.mockDecideClaim(9n, DECISION.Accept, 1n)).to.be.revertedWithCustomError(
      fx.provider,
      "MockProviderUnknownClaim",
    );
  });

  it("reverts MockProviderEthTransferFailed when the fund rejects ETH", async () => {
    const fx = await loadFixture(deployProvider);
    const rejectingFund = await fx.token.getAddress(); // an ERC20 has no receive()
    const provider = await ethers.deployContract("MockCapacityLimitedProvider", [rejectingFund, PRICE_BPS, fx.owner.address]);
    await provider.mockSetMarket(fx.protocol, fx.token.target, true, AMOUNT);
    await provider.mockSetClaimDeposit(DEPOSIT);
    await impersonateAccount(rejectingFund);
    await setBalance(rejectingFund, 10n ** 18n);
    const fundSigner = await ethers.getSigner(rejectingFund);
    await fx.token.mint(rejectingFund, AMOUNT);
    await fx.token.connect(fundSigner).approve(provider.target, AMOUNT);
    await provider.connect(fundSigner).buyCover(fx.protocol, fx.token.target, AMOUNT, PERIOD, AMOUNT, "0x");
    await provider.connect(fundSigner).submitClaim(1n, AMOUNT, ethers.ZeroHash, { value: DEPOSIT });
    await provider.mockDecideClaim(1n, DECISION.Draw, 0n);
    await expect(provider.connect(fundSigner).retrieveDeposit(1n))
      .to.be.revertedWithCustomError(provider, "MockProviderEthTransferFailed")
      .withArgs(rejectingFund, DEPOSIT);
  });

  it("test-only controls are owner-only", async () => {
    const fx = await loadFixture(withClaim);
    const asOther = fx.provider.connect(fx.outsider);
    for (const call of [
      () => asOther.mockSetMarket(fx.protocol, fx.token.target, true, 1n),
      () => asOther.mockSetPrice(1n),
      () => asOther.mockSetClaimDeposit(1n),
      () => asOther.mockDecideClaim(1n, DECISION.Accept, 1n),
    ]) {
      await expect(call()).to.be.revertedWithCustomError(fx.provider, "OwnableUnauthorizedAccount");
    }
    await fx.provider.mockSetPrice(600n);
    expect(await fx.provider.quote(AMOUNT, YEAR)).to.equal(6_000n * UNIT);
  });
});
