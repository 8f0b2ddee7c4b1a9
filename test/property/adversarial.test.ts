import { loadFixture, time } from "@nomicfoundation/hardhat-network-helpers";
import { expect } from "chai";
import { ethers } from "hardhat";

import { DAY, deployFundedFund, PROTOCOLS, units } from "../helpers/fundFixture";

const AMOUNT = units(10_000, 6);
const DURATION = 90n * DAY;
const CLAIM_STATUS = { Pending: 1, Accepted: 2, Denied: 3, Draw: 4, Redeemed: 5, Expired: 6 } as const; // ICoverProvider
const ATTACK = { None: 0, ReenterOnBuy: 1, PullMoreThanAllowed: 2, BurnFromFund: 3, NoCover: 4, ReenterOnRedeem: 5 } as const;

/** The funded fund plus a re-entrant stablecoin (6 decimals) and a malicious provider (id 1). */
async function deployAdversarial() {
  const f = await deployFundedFund();
  const fundAddress = await f.fund.getAddress();
  const token = await ethers.deployContract("MockReentrantToken");
  const tokenAddress = await token.getAddress();
  await f.fund.connect(f.admin).addStablecoin(tokenAddress);
  for (const who of [f.buyer, f.admin, f.beneficiary]) {
    await token.mint(who.address, units(10_000_000, 6));
    await token.connect(who).approve(fundAddress, ethers.MaxUint256);
  }
  await f.fund.connect(f.admin).depositCapital(tokenAddress, units(1_000_000, 6));
  const evil = await ethers.deployContract("MaliciousCoverProvider", [fundAddress]);
  await f.fund.connect(f.admin).registerProvider(await evil.getAddress());
  const usdc = await f.usdc.getAddress();
  return { ...f, fundAddress, token, tokenAddress, evil, usdcAddress: usdc };
}

type Fixture = Awaited<ReturnType<typeof deployAdversarial>>;

async function expectSolvent(f: Fixture, asset: string): Promise<void> {
  const token = await ethers.getContractAt("IERC20", asset);
  const balance = await token.balanceOf(f.fundAddress);
  const book = await f.fund.getAssetBook(asset);
  expect(balance).to.be.greaterThanOrEqual(book.pool + book.credited + book.pending);
}

/** A self-insured coverage in `asset` with an accepted claim of `payout`, settled: credited to the beneficiary. */
async function creditedPayout(f: Fixture, asset: string, payout: bigint): Promise<void> {
  const premium = await f.fund.quotePremium(PROTOCOLS.aave, asset, AMOUNT, DURATION);
  await f.fund.connect(f.buyer).purchaseProtocolCoverage(PROTOCOLS.aave, asset, AMOUNT, DURATION, premium, f.beneficiary.address, 0, "0x");
  const coverId = await f.fund.coverageCount();
  await time.increase(DAY);
  await f.fund.connect(f.beneficiary).submitClaim(coverId, payout, await time.latest(), "exploit", "0x");
  const claimId = await f.fund.claimCount();
  await f.fund.connect(f.assessor).assessClaim(claimId, true, payout);
  await time.increase(2n * DAY); // challenge period
  await f.fund.settleClaim(claimId);
}

/** The 4-byte selector of ReentrancyGuardReentrantCall(). */
const REENTRANT_CALL = ethers.id("ReentrancyGuardReentrantCall()").slice(0, 10);

describe("adversarial: a token whose transfers re-enter the fund", () => {
  it("purchase → re-entrant purchase is refused; one coverage, one premium", async () => {
    const f = await loadFixture(deployAdversarial);
    const premium = await f.fund.quotePremium(PROTOCOLS.aave, f.tokenAddress, AMOUNT, DURATION);
    const inner = f.fund.interface.encodeFunctionData("purchaseProtocolCoverage", [
      PROTOCOLS.aave, f.tokenAddress, AMOUNT, DURATION, premium, f.beneficiary.address, 0, "0x",
    ]);
    await f.token.arm(f.fundAddress, inner);
    const poolBefore = await f.fund.poolBalance(f.tokenAddress);
    await expect(
      f.fund.connect(f.buyer).purchaseProtocolCoverage(PROTOCOLS.aave, f.tokenAddress, AMOUNT, DURATION, premium, f.beneficiary.address, 0, "0x"),
    ).to.changeTokenBalance(f.token, f.buyer, -premium);
    expect(await f.token.reentryAttempts()).to.equal(1n);
    expect(await f.token.lastReentrySucceeded()).to.equal(false);
    expect((await f.token.lastReentryData()).slice(0, 10)).to.equal(REENTRANT_CALL);
    expect(await f.fund.coverageCount()).to.equal(1n);
    expect(await f.fund.poolBalance(f.tokenAddress)).to.equal(poolBefore + premium);
    await expectSolvent(f, f.tokenAddress);
  });

  it("depositCapital → re-entrant deposit is refused; the pool grows by the outer amount only", async () => {
    const f = await loadFixture(deployAdversarial);
    await f.token.arm(f.fundAddress, f.fund.interface.encodeFunctionData("depositCapital", [f.tokenAddress, units(5, 6)]));
    const poolBefore = await f.fund.poolBalance(f.tokenAddress);
    await f.fund.connect(f.admin).depositCapital(f.tokenAddress, units(100, 6));
    expect((await f.token.lastReentryData()).slice(0, 10)).to.equal(REENTRANT_CALL);
    expect(await f.fund.poolBalance(f.tokenAddress)).to.equal(poolBefore + units(100, 6));
    await expectSolvent(f, f.tokenAddress);
  });

  it("withdrawPayout → re-entrant withdrawPayout and settleClaim are refused; the payout leaves once", async () => {
    const f = await loadFixture(deployAdversarial);
    const payout = units(4_000, 6);
    await creditedPayout(f, f.tokenAddress, payout);
    for (const inner of [
      f.fund.interface.encodeFunctionData("withdrawPayout", [f.tokenAddress, f.beneficiary.address]),
      f.fund.interface.encodeFunctionData("settleClaim", [1n]),
    ]) {
      await f.token.arm(f.fundAddress, inner);
      await f.fund.connect(f.admin).depositCapital(f.tokenAddress, 1n); // the armed transfer fires here
      expect((await f.token.lastReentryData()).slice(0, 10)).to.equal(REENTRANT_CALL);
    }
    // the beneficiary's own token re-enters withdrawPayout while paying it out
    await f.token.arm(f.fundAddress, f.fund.interface.encodeFunctionData("withdrawPayout", [f.tokenAddress, f.beneficiary.address]));
    await expect(f.fund.connect(f.beneficiary).withdrawPayout(f.tokenAddress, f.beneficiary.address)).to.changeTokenBalance(f.token, f.beneficiary, payout);
    expect((await f.token.lastReentryData()).slice(0, 10)).to.equal(REENTRANT_CALL);
    expect(await f.fund.creditedPayout(f.beneficiary.address, f.tokenAddress)).to.equal(0n);
    expect(await f.fund.totalCredited(f.tokenAddress)).to.equal(0n);
    await expect(f.fund.connect(f.beneficiary).withdrawPayout(f.tokenAddress, f.beneficiary.address)).to.be.revertedWithCustomError(f.fund, "FundNothingToWithdraw");
    await expectSolvent(f, f.tokenAddress);
  });

  it("settleClaim → re-entrant settleClaim cannot pay the same claim twice", async () => {
    const f = await loadFixture(deployAdversarial);
    const premium = await f.fund.quotePremium(PROTOCOLS.aave, f.tokenAddress, AMOUNT, DURATION);
    await f.fund.connect(f.buyer).purchaseProtocolCoverage(PROTOCOLS.aave, f.tokenAddress, AMOUNT, DURATION, premium, f.beneficiary.address, 0, "0x");
    await time.increase(DAY);
    await f.fund.connect(f.beneficiary).submitClaim(1n, units(1_000, 6), await time.latest(), "exploit", "0x");
    await f.fund.connect(f.assessor).assessClaim(1n, true, units(1_000, 6));
    await time.increase(2n * DAY); // challenge period
    await f.fund.settleClaim(1n);
    await expect(f.fund.settleClaim(1n)).to.be.revertedWithCustomError(f.fund, "FundClaimNotSettleable").withArgs(1n, 4);
    expect(await f.fund.creditedPayout(f.beneficiary.address, f.tokenAddress)).to.equal(units(1_000, 6));
  });
});

describe("adversarial: re-entrant expiry", () => {
  it("expireCoverage / expireCoverages re-entered during a purchase are refused; exposure stays exact", async () => {
    const f = await loadFixture(deployAdversarial);
    const premium = await f.fund.quotePremium(PROTOCOLS.aave, f.tokenAddress, AMOUNT, DURATION);
    // An old coverage that can be expired, then a purchase whose premium transfer re-enters expiry.
    await f.fund.connect(f.buyer).purchaseProtocolCoverage(PROTOCOLS.aave, f.tokenAddress, AMOUNT, DURATION, premium, f.beneficiary.address, 0, "0x");
    await time.increase(DURATION + 31n * DAY);
    await f.fund.connect(f.oracle).updateProtocolRisk(PROTOCOLS.aave, 10, 10, 15, 20, 20);
    const fresh = await f.fund.quotePremium(PROTOCOLS.aave, f.tokenAddress, AMOUNT, DURATION);
    for (const inner of [
      f.fund.interface.encodeFunctionData("expireCoverage", [1n]),
      f.fund.interface.encodeFunctionData("expireCoverages", [[1n]]),
    ]) {
      await f.token.arm(f.fundAddress, inner);
      const before = await f.fund.getProtocolExposure(PROTOCOLS.aave);
      await f.fund.connect(f.buyer).purchaseProtocolCoverage(PROTOCOLS.aave, f.tokenAddress, AMOUNT, DURATION, fresh, f.beneficiary.address, 0, "0x");
      expect((await f.token.lastReentryData()).slice(0, 10)).to.equal(REENTRANT_CALL);
      // the purchase added its amount to the exposure it read; the re-entry changed nothing
      expect(await f.fund.getProtocolExposure(PROTOCOLS.aave)).to.equal(before + AMOUNT * 10n ** 12n);
    }
    expect((await f.fund.getCoverageDetails(1n)).status).to.equal(1n);
    await f.fund.expireCoverage(1n);
    expect(await f.fund.getProtocolExposure(PROTOCOLS.aave)).to.equal(2n * AMOUNT * 10n ** 12n);
  });
});

describe("adversarial: a malicious cover provider", () => {
  async function buyThroughEvil(f: Fixture, asset = f.usdcAddress) {
    const premium = await f.fund.quotePremium(PROTOCOLS.aave, asset, AMOUNT, DURATION);
    return {
      premium,
      tx: f.fund.connect(f.buyer).purchaseProtocolCoverage(PROTOCOLS.aave, asset, AMOUNT, DURATION, premium, f.beneficiary.address, 1, "0x"),
    };
  }

  it("re-entering purchase from buyCover reverts with ReentrancyGuardReentrantCall", async () => {
    const f = await loadFixture(deployAdversarial);
    const inner = f.fund.interface.encodeFunctionData("depositCapital", [f.usdcAddress, 1n]);
    await f.evil.setAttack(ATTACK.ReenterOnBuy, f.fundAddress, inner);
    const { tx } = await buyThroughEvil(f);
    await expect(tx).to.be.revertedWithCustomError(f.fund, "ReentrancyGuardReentrantCall");
    expect(await f.fund.coverageCount()).to.equal(0n);
  });

  it("pulling more than maxPremium is stopped by the allowance", async () => {
    const f = await loadFixture(deployAdversarial);
    await f.evil.setAttack(ATTACK.PullMoreThanAllowed, ethers.ZeroAddress, "0x");
    const { tx, premium } = await buyThroughEvil(f, f.tokenAddress); // an OpenZeppelin ERC20
    await expect(tx)
      .to.be.revertedWithCustomError(f.token, "ERC20InsufficientAllowance")
      .withArgs(await f.evil.getAddress(), premium, premium + 1n);
  });

  it("taking more than maxPremium by other means (a lax token's burn) reverts with FundUpstreamOverpaid", async () => {
    const f = await loadFixture(deployAdversarial);
    await f.evil.setAttack(ATTACK.BurnFromFund, ethers.ZeroAddress, "0x");
    const { tx, premium } = await buyThroughEvil(f);
    await expect(tx).to.be.revertedWithCustomError(f.fund, "FundUpstreamOverpaid").withArgs(premium + 1n, premium);
  });

  it("a provider that returns no cover and pulls nothing leaves the whole premium in the pool (contained: trust assumption)", async () => {
    const f = await loadFixture(deployAdversarial);
    await f.evil.setAttack(ATTACK.NoCover, ethers.ZeroAddress, "0x");
    const poolBefore = await f.fund.poolBalance(f.usdcAddress);
    const { tx, premium } = await buyThroughEvil(f);
    // the provider claims it paid `premium`; the fund measures 0 and books the whole premium
    await expect(tx).to.emit(f.fund, "CoveragePurchased");
    expect(await f.fund.poolBalance(f.usdcAddress)).to.equal(poolBefore + premium);
    const c = await f.fund.getCoverageDetails(1n);
    expect(c.providerCoverId).to.equal(0n);
    expect(await f.usdc.allowance(f.fundAddress, await f.evil.getAddress())).to.equal(0n);
    await expectSolvent(f, f.usdcAddress);
  });

  it("leaves no allowance behind after a buy that underpays and lies about the price", async () => {
    const f = await loadFixture(deployAdversarial);
    const poolBefore = await f.fund.poolBalance(f.usdcAddress);
    const { tx, premium } = await buyThroughEvil(f);
    await tx;
    const pulled = premium / 2n;
    expect(await f.fund.poolBalance(f.usdcAddress)).to.equal(poolBefore + premium - pulled);
    expect(await f.usdc.allowance(f.fundAddress, await f.evil.getAddress())).to.equal(0n);
  });

  describe("lying about a claim outcome: the fund credits only what it receives", () => {
    async function hedgedClaim() {
      const f = await loadFixture(deployAdversarial);
      const { tx } = await buyThroughEvil(f);
      await tx;
      await f.usdc.mint(await f.evil.getAddress(), units(100_000, 6));
      await time.increase(DAY);
      await f.fund.connect(f.beneficiary).submitClaim(1n, units(3_000, 6), await time.latest(), "exploit", "0x");
      return f;
    }

    it("claims Accepted but sends nothing: settlement reverts FundUpstreamShortfall, the claim stays open", async () => {
      const f = await hedgedClaim();
      await f.evil.setClaimOutcome(CLAIM_STATUS.Accepted, units(3_000, 6), 0n, 0n, f.usdcAddress);
      const poolBefore = await f.fund.poolBalance(f.usdcAddress);
      await expect(f.fund.settleClaim(1n))
        .to.be.revertedWithCustomError(f.fund, "FundUpstreamShortfall")
        .withArgs(1n, units(3_000, 6), 0n);
      expect((await f.fund.getClaim(1n)).status).to.equal(1n); // still Pending: it is not closed as Paid(0)
      expect(await f.fund.poolBalance(f.usdcAddress)).to.equal(poolBefore);
      // Once the provider pays what it reported, the same claim settles in full.
      await f.evil.setClaimOutcome(CLAIM_STATUS.Accepted, units(3_000, 6), units(3_000, 6), 0n, f.usdcAddress);
      await expect(f.fund.settleClaim(1n)).to.emit(f.fund, "ClaimSettled").withArgs(1n, 4, units(3_000, 6));
      await expectSolvent(f, f.usdcAddress);
    });

    it("sends less than it reports: settlement reverts FundUpstreamShortfall with what it expected and received", async () => {
      const f = await hedgedClaim();
      await f.evil.setClaimOutcome(CLAIM_STATUS.Accepted, units(3_000, 6), units(1_000, 6), 0n, f.usdcAddress);
      await expect(f.fund.settleClaim(1n))
        .to.be.revertedWithCustomError(f.fund, "FundUpstreamShortfall")
        .withArgs(1n, units(3_000, 6), units(1_000, 6));
      expect(await f.fund.creditedPayout(f.beneficiary.address, f.usdcAddress)).to.equal(0n);
    });

    it("reports and sends less than the claim (a partial upstream payout): the received amount is credited", async () => {
      const f = await hedgedClaim();
      await f.evil.setClaimOutcome(CLAIM_STATUS.Accepted, units(1_000, 6), units(1_000, 6), 0n, f.usdcAddress);
      await f.fund.settleClaim(1n);
      expect(await f.fund.creditedPayout(f.beneficiary.address, f.usdcAddress)).to.equal(units(1_000, 6));
      expect((await f.fund.getCoverageDetails(1n)).claimed).to.equal(units(1_000, 6));
      await expectSolvent(f, f.usdcAddress);
    });

    it("sends more than the claim: the beneficiary gets the claim amount, the excess goes to the pool", async () => {
      const f = await hedgedClaim();
      await f.evil.setClaimOutcome(CLAIM_STATUS.Accepted, units(3_000, 6), units(5_000, 6), 0n, f.usdcAddress);
      const poolBefore = await f.fund.poolBalance(f.usdcAddress);
      await f.fund.settleClaim(1n);
      expect(await f.fund.creditedPayout(f.beneficiary.address, f.usdcAddress)).to.equal(units(3_000, 6));
      expect(await f.fund.poolBalance(f.usdcAddress)).to.equal(poolBefore + units(2_000, 6));
      await expectSolvent(f, f.usdcAddress);
    });

    it("sends unexpected ETH with the payout: it is credited to the claimant as a returned deposit, nothing more", async () => {
      const f = await hedgedClaim();
      await f.beneficiary.sendTransaction({ to: await f.evil.getAddress(), value: ethers.parseEther("1") });
      await f.evil.setClaimOutcome(CLAIM_STATUS.Accepted, units(3_000, 6), units(3_000, 6), ethers.parseEther("0.3"), f.usdcAddress);
      await f.fund.settleClaim(1n);
      expect(await f.fund.creditedDeposit(f.beneficiary.address)).to.equal(ethers.parseEther("0.3"));
      expect(await ethers.provider.getBalance(f.fundAddress)).to.equal(ethers.parseEther("0.3"));
    });

    it("re-entering from redeemPayout reverts the settlement; the claim stays Pending", async () => {
      const f = await hedgedClaim();
      await f.evil.setClaimOutcome(CLAIM_STATUS.Accepted, units(3_000, 6), units(3_000, 6), 0n, f.usdcAddress);
      await f.evil.setAttack(ATTACK.ReenterOnRedeem, f.fundAddress, f.fund.interface.encodeFunctionData("settleClaim", [1n]));
      await expect(f.fund.settleClaim(1n)).to.be.revertedWithCustomError(f.fund, "ReentrancyGuardReentrantCall");
      expect((await f.fund.getClaim(1n)).status).to.equal(1n);
    });

    it("a Pending/Redeemed/None report cannot be settled", async () => {
      const f = await hedgedClaim();
      for (const status of [CLAIM_STATUS.Pending, CLAIM_STATUS.Redeemed, 0]) {
        await f.evil.setClaimOutcome(status, 0n, 0n, 0n, f.usdcAddress);
        await expect(f.fund.settleClaim(1n)).to.be.revertedWithCustomError(f.fund, "FundClaimNotSettleable").withArgs(1n, status);
      }
    });
  });

  it("ETH pushed by an unregistered contract is refused with FundUnexpectedEth", async () => {
    const f = await loadFixture(deployAdversarial);
    const stranger = await ethers.deployContract("MaliciousCoverProvider", [f.fundAddress]);
    await expect(stranger.pushEth(f.fundAddress, { value: 1n }))
      .to.be.revertedWithCustomError(stranger, "MaliciousReentryFailed");
    await expect(f.stranger.sendTransaction({ to: f.fundAddress, value: 1n }))
      .to.be.revertedWithCustomError(f.fund, "FundUnexpectedEth")
      .withArgs(f.stranger.address);
  });
});

describe("adversarial: a blocklisted beneficiary among many", () => {
  it("cannot block the others' withdrawals; its credit stays until it is unblocked", async () => {
    const f = await loadFixture(deployAdversarial);
    const signers = await ethers.getSigners();
    const beneficiaries = signers.slice(8, 14);
    const payout = units(500, 6);
    const premium = await f.fund.quotePremium(PROTOCOLS.aave, f.usdcAddress, AMOUNT, DURATION);
    for (const b of beneficiaries) {
      await f.fund.connect(f.buyer).purchaseProtocolCoverage(PROTOCOLS.aave, f.usdcAddress, AMOUNT, DURATION, premium, b.address, 0, "0x");
    }
    await time.increase(DAY);
    for (const [i, b] of beneficiaries.entries()) {
      const coverId = BigInt(i + 1);
      await f.fund.connect(b).submitClaim(coverId, payout, await time.latest(), "exploit", "0x");
      await f.fund.connect(f.assessor).assessClaim(coverId, true, payout);
    }
    await time.increase(2n * DAY); // challenge period
    for (const i of beneficiaries.keys()) await f.fund.settleClaim(BigInt(i + 1));
    const blocked = beneficiaries[2]!;
    await f.usdc.connect(f.admin).updateBlacklister(f.admin.address).catch(() => undefined);
    const blacklister = await ethers.getSigner(await f.usdc.blacklister());
    await f.usdc.connect(blacklister).blacklist(blocked.address);

    await expect(f.fund.connect(blocked).withdrawPayout(f.usdcAddress, blocked.address)).to.be.revertedWith("Blacklistable: account is blacklisted");
    for (const b of beneficiaries) {
      if (b === blocked) continue;
      await expect(f.fund.connect(b).withdrawPayout(f.usdcAddress, b.address)).to.changeTokenBalance(f.usdc, b, payout);
    }
    expect(await f.fund.creditedPayout(blocked.address, f.usdcAddress)).to.equal(payout);
    expect(await f.fund.totalCredited(f.usdcAddress)).to.equal(payout);
    await expectSolvent(f, f.usdcAddress);

    await f.usdc.connect(blacklister).unBlacklist(blocked.address);
    await expect(f.fund.connect(blocked).withdrawPayout(f.usdcAddress, blocked.address)).to.changeTokenBalance(f.usdc, blocked, payout);
    expect(await f.fund.totalCredited(f.usdcAddress)).to.equal(0n);
  });
});
