import { expect } from "chai";
import { ethers } from "hardhat";
import { loadFixture, time } from "@nomicfoundation/hardhat-network-helpers";
import {
  AAVE_PRODUCT_ID,
  COVER_ASSET,
  DAI_UNIT,
  DAY,
  DEPRECATED_PRODUCT_ID,
  ETH_ONLY_PRODUCT_ID,
  GRACE_PERIOD,
  NXM_PRICE_USDC,
  ONE_NXM,
  USDC_UNIT,
  allocatedAmount,
  allocationInNXM,
  buyParams,
  deployNexusMocks,
  expectedPremium,
  premiumInNXM,
} from "./nexusFixture";

/** Pool 1's capacity after the fixture (1M USDC at 60 USDC/NXM, in NXM) minus `allocatedNXM`, in USDC. */
function capacityLeft(allocatedNXM: bigint): bigint {
  const initial = (1_000_000n * USDC_UNIT * ONE_NXM) / NXM_PRICE_USDC;
  return ((initial - allocatedNXM) * NXM_PRICE_USDC) / ONE_NXM;
}

const AMOUNT = 100_000n * USDC_UNIT;
const PERIOD = 90n * DAY;

describe("MockNexusMutualCover", () => {
  async function buy(
    fx: Awaited<ReturnType<typeof deployNexusMocks>>,
    overrides: Partial<Parameters<typeof buyParams>[0]> = {},
    allocations = [{ poolId: 1n, coverAmountInAsset: overrides.amount ?? AMOUNT }],
  ) {
    const params = buyParams({
      owner: fx.member.address,
      amount: AMOUNT,
      period: PERIOD,
      maxPremiumInAsset: 1_000_000n * USDC_UNIT,
      ...overrides,
    });
    return fx.cover.connect(fx.member).buyCover(params, allocations);
  }

  describe("buyCover", () => {
    it("mints a cover NFT to the owner, stores the cover and pulls exactly the premium into the pool", async () => {
      const fx = await loadFixture(deployNexusMocks);
      const premium = expectedPremium(AMOUNT, PERIOD);
      const memberId = await fx.registry.getMemberId(fx.member.address);

      const tx = await buy(fx);
      await expect(tx).to.emit(fx.cover, "CoverBought").withArgs(1n, 1n, memberId, AAVE_PRODUCT_ID);
      await expect(tx).to.changeTokenBalances(fx.usdc, [fx.member, fx.pool], [-premium, premium]);

      expect(await fx.coverNFT.ownerOf(1n)).to.equal(fx.member.address);
      const data = await fx.cover.getCoverData(1n);
      const receipt = await tx.wait();
      const block = await ethers.provider.getBlock(receipt!.blockNumber);
      expect(data.productId).to.equal(AAVE_PRODUCT_ID);
      expect(data.coverAsset).to.equal(COVER_ASSET.USDC);
      expect(data.amount).to.equal(allocatedAmount(AMOUNT)); // 1666.67 NXM x 60 = 100 000.2 USDC
      expect(data.amount).to.equal(AMOUNT + 200_000n);
      expect(data.start).to.equal(block!.timestamp);
      expect(data.period).to.equal(PERIOD);
      expect(data.gracePeriod).to.equal(GRACE_PERIOD);
      expect(await fx.cover.getCoverDataCount()).to.equal(1n);
      expect(await fx.cover.mockNexusCapacity(AAVE_PRODUCT_ID, COVER_ASSET.USDC)).to.equal(
        capacityLeft(allocationInNXM(AMOUNT)),
      );
      const [allocation] = await fx.cover.getPoolAllocations(1n);
      expect(allocation!.poolId).to.equal(1n);
      expect(allocation!.coverAmountInNXM).to.equal(166_667n * 10n ** 16n);
      expect(allocation!.premiumInNXM).to.equal(premiumInNXM(AMOUNT, PERIOD));
    });

    it("rounds allocations up to 0.01 NXM and the premium down, as the real Cover", async () => {
      const fx = await loadFixture(deployNexusMocks);
      const amount = 1_000_003n; // 1.000003 USDC = 0.0166667 NXM -> 0.02 NXM = 1.2 USDC
      expect(allocationInNXM(amount)).to.equal(2n * 10n ** 16n);
      const premium = expectedPremium(amount, 28n * DAY);
      // 0.02 NXM x 2.5% x 28/365 = 3.835616438356164e13 NXM wei -> x 60 USDC, rounded down
      expect(premium).to.equal((((2n * 10n ** 16n * 250n) / 10_000n) * 28n * DAY / (365n * DAY)) * NXM_PRICE_USDC / ONE_NXM);
      await expect(buy(fx, { amount, period: 28n * DAY })).to.changeTokenBalance(fx.usdc, fx.member, -premium);
      expect((await fx.cover.getCoverData(1n)).amount).to.equal(1_200_000n);
      const [quotedPremium, quotedAmount] = await fx.cover.mockNexusQuote(AAVE_PRODUCT_ID, COVER_ASSET.USDC, amount, 28n * DAY);
      expect([quotedPremium, quotedAmount]).to.deep.equal([premium, 1_200_000n]);
    });

    it("prices through the NXM price: a dearer NXM costs more asset for the same cover", async () => {
      const fx = await loadFixture(deployNexusMocks);
      const cheap = expectedPremium(AMOUNT, PERIOD);
      await fx.pool.mockNexusSetNxmPrice(COVER_ASSET.USDC, 90n * USDC_UNIT);
      await fx.cover.mockNexusSetCapacity(AAVE_PRODUCT_ID, COVER_ASSET.USDC, 1_000_000n * USDC_UNIT);
      const dear = expectedPremium(AMOUNT, PERIOD, 250n, 90n * USDC_UNIT);
      expect(dear).to.not.equal(cheap); // rounding differs with the price
      await expect(buy(fx)).to.changeTokenBalance(fx.usdc, fx.member, -dear);
      expect((await fx.cover.getCoverData(1n)).amount).to.equal(allocatedAmount(AMOUNT, 90n * USDC_UNIT));
    });

    it("takes capacity from each requested staking pool and covers the allocated total", async () => {
      const fx = await loadFixture(deployNexusMocks);
      const two = [
        { poolId: 1n, coverAmountInAsset: AMOUNT },
        { poolId: 2n, coverAmountInAsset: 5n * USDC_UNIT },
      ];
      await expect(buy(fx, { amount: AMOUNT }, two)).to.be.revertedWithCustomError(fx.cover, "InsufficientCapacity"); // pool 2 does not list the product
      await fx.cover.mockNexusSetPoolProduct(2n, AAVE_PRODUCT_ID, 500, 10n ** 18n); // 1 NXM = 60 USDC
      await buy(fx, { amount: AMOUNT }, two);
      expect((await fx.cover.getCoverData(1n)).amount).to.equal(allocatedAmount(AMOUNT) + allocatedAmount(5n * USDC_UNIT));
      const allocations = await fx.cover.getPoolAllocations(1n);
      expect(allocations.map((a) => a.poolId)).to.deep.equal([1n, 2n]);
      expect(allocations[1]!.premiumInNXM).to.equal(premiumInNXM(5n * USDC_UNIT, PERIOD, 500n)); // pool 2's own price
      expect((await fx.cover.mockNexusPoolProduct(2n, AAVE_PRODUCT_ID)).capacityInNXM).to.equal(
        10n ** 18n - allocationInNXM(5n * USDC_UNIT),
      );
      // pool 2 has < 1 NXM left: another 60 USDC there is too much, although pool 1 has plenty
      await expect(buy(fx, { amount: 60n * USDC_UNIT }, [{ poolId: 2n, coverAmountInAsset: 60n * USDC_UNIT }])).to.be.revertedWithCustomError(
        fx.cover,
        "InsufficientCapacity",
      );
    });

    it("accepts the period bounds 28 and 365 days and rejects outside them", async () => {
      const fx = await loadFixture(deployNexusMocks);
      await expect(buy(fx, { period: 28n * DAY })).to.not.be.reverted;
      await expect(buy(fx, { period: 365n * DAY })).to.not.be.reverted;
      await expect(buy(fx, { period: 28n * DAY - 1n })).to.be.revertedWithCustomError(fx.cover, "CoverPeriodTooShort");
      await expect(buy(fx, { period: 365n * DAY + 1n })).to.be.revertedWithCustomError(fx.cover, "CoverPeriodTooLong");
    });

    it("enforces maxPremiumInAsset exactly", async () => {
      const fx = await loadFixture(deployNexusMocks);
      const premium = expectedPremium(AMOUNT, PERIOD);
      await expect(buy(fx, { maxPremiumInAsset: premium - 1n })).to.be.revertedWithCustomError(
        fx.cover,
        "PriceExceedsMaxPremiumInAsset",
      );
      await expect(buy(fx, { maxPremiumInAsset: premium })).to.changeTokenBalance(fx.usdc, fx.member, -premium);
    });

    it("grosses up and pays the commission to its destination", async () => {
      const fx = await loadFixture(deployNexusMocks);
      const premium = expectedPremium(AMOUNT, PERIOD);
      const gross = (premium * 10_000n) / (10_000n - 1000n);
      await expect(
        buy(fx, { commissionRatio: 1000, commissionDestination: fx.commissionDestination.address }),
      ).to.changeTokenBalances(
        fx.usdc,
        [fx.member, fx.pool, fx.commissionDestination],
        [-gross, premium, gross - premium],
      );
      await expect(buy(fx, { commissionRatio: 3001 })).to.be.revertedWithCustomError(fx.cover, "CommissionRateTooHigh");
    });

    it("reverts for non-members, zero amount, bad payment asset, ETH sent", async () => {
      const fx = await loadFixture(deployNexusMocks);
      const params = buyParams({ owner: fx.outsider.address, amount: AMOUNT, period: PERIOD, maxPremiumInAsset: 1n });
      await expect(
        fx.cover.connect(fx.outsider).buyCover(params, [{ poolId: 1n, coverAmountInAsset: AMOUNT }]),
      ).to.be.revertedWithCustomError(fx.cover, "OnlyMember");
      await expect(buy(fx, { amount: 0n }, [{ poolId: 1n, coverAmountInAsset: 0n }])).to.be.revertedWithCustomError(
        fx.cover,
        "CoverAmountIsZero",
      );
      await expect(buy(fx, { paymentAsset: COVER_ASSET.DAI })).to.be.revertedWithCustomError(
        fx.cover,
        "InvalidPaymentAsset",
      );
      await expect(buy(fx, { paymentAsset: COVER_ASSET.NXM })).to.be.revertedWithCustomError(
        fx.cover,
        "InvalidPaymentAsset",
      );
      const full = buyParams({ owner: fx.member.address, amount: AMOUNT, period: PERIOD, maxPremiumInAsset: 10n ** 12n });
      await expect(
        fx.cover.connect(fx.member).buyCover(full, [{ poolId: 1n, coverAmountInAsset: AMOUNT }], { value: 1n }),
      ).to.be.revertedWithCustomError(fx.cover, "UnexpectedEthSent");
    });

    it("reverts for unknown or deprecated products and unsupported cover assets", async () => {
      const fx = await loadFixture(deployNexusMocks);
      await expect(buy(fx, { productId: 99 })).to.be.revertedWithCustomError(fx.cover, "ProductNotFound");
      await expect(buy(fx, { productId: DEPRECATED_PRODUCT_ID })).to.be.revertedWithCustomError(
        fx.cover,
        "ProductDeprecated",
      );
      await expect(buy(fx, { coverAsset: 2 })).to.be.revertedWithCustomError(fx.cover, "CoverAssetNotSupported");
      // a product whose bitmap only allows ETH
      await expect(buy(fx, { productId: ETH_ONLY_PRODUCT_ID })).to.be.revertedWithCustomError(fx.cover, "CoverAssetNotSupported");
      // past the Pool's asset list: the NXM price read reverts first, as on mainnet
      await expect(buy(fx, { coverAsset: 8 })).to.be.revertedWithCustomError(fx.pool, "InvalidAssetId");
    });

    it("DAI (Pool asset 1) is abandoned: no DAI cover can be bought", async () => {
      const fx = await loadFixture(deployNexusMocks);
      const asset = await fx.pool.getAsset(COVER_ASSET.DAI);
      expect([asset.assetAddress, asset.isCoverAsset, asset.isAbandoned]).to.deep.equal([await fx.dai.getAddress(), true, true]);
      await expect(
        buy(fx, { coverAsset: COVER_ASSET.DAI, amount: 50_000n * DAI_UNIT, maxPremiumInAsset: 10n ** 24n }, [
          { poolId: 1n, coverAmountInAsset: 50_000n * DAI_UNIT },
        ]),
      ).to.be.revertedWithCustomError(fx.cover, "CoverAssetNotSupported");
      expect(await fx.cover.mockNexusCoverAssetToken(COVER_ASSET.DAI)).to.equal(ethers.ZeroAddress);
    });

    it("the cover pause (or the global one) blocks purchases and edits with Paused(config, 64)", async () => {
      const fx = await loadFixture(deployNexusMocks);
      await buy(fx);
      for (const config of [64n, 1n, 64n | 32n]) {
        await fx.registry.mockNexusSetPauseConfig(config);
        await expect(buy(fx)).to.be.revertedWithCustomError(fx.cover, "Paused").withArgs(config, 64n);
        await expect(buy(fx, { coverId: 1n })).to.be.revertedWithCustomError(fx.cover, "Paused").withArgs(config, 64n);
      }
      await fx.registry.mockNexusSetPauseConfig(32n); // the claims pause does not block covers
      await expect(buy(fx)).to.emit(fx.cover, "CoverBought");
    });

    it("reverts when the allocations do not cover the amount or exceed capacity", async () => {
      const fx = await loadFixture(deployNexusMocks);
      // AMOUNT - 1 still rounds up to the same 0.01 NXM; one USDC less does not
      await expect(buy(fx, {}, [{ poolId: 1n, coverAmountInAsset: AMOUNT - 1n }])).to.emit(fx.cover, "CoverBought");
      await expect(buy(fx, {}, [{ poolId: 1n, coverAmountInAsset: AMOUNT - USDC_UNIT }])).to.be.revertedWithCustomError(
        fx.cover,
        "InsufficientCoverAmountAllocated",
      );
      await expect(buy(fx, {}, [])).to.be.revertedWithCustomError(fx.cover, "InsufficientCoverAmountAllocated");
      await fx.cover.mockNexusSetCapacity(AAVE_PRODUCT_ID, COVER_ASSET.USDC, AMOUNT - 1n);
      await expect(buy(fx)).to.be.revertedWithCustomError(fx.cover, "InsufficientCapacity");
    });
  });

  describe("edits", () => {
    it("mints a new cover id linked to the original, cuts the old cover and charges new premium minus refund", async () => {
      const fx = await loadFixture(deployNexusMocks);
      await buy(fx);
      const oldStart = (await fx.cover.getCoverData(1n)).start;
      const oldPremiumInNXM = premiumInNXM(AMOUNT, PERIOD);

      const editAt = BigInt(oldStart) + 30n * DAY;
      await time.setNextBlockTimestamp(editAt);
      const newAmount = 150_000n * USDC_UNIT;
      const newPeriod = 120n * DAY;
      const refundInNXM = (oldPremiumInNXM * (BigInt(oldStart) + PERIOD - editAt)) / PERIOD;
      const due = ((premiumInNXM(newAmount, newPeriod) - refundInNXM) * NXM_PRICE_USDC) / ONE_NXM;
      const memberId = await fx.registry.getMemberId(fx.member.address);

      const tx = buy(fx, { coverId: 1n, amount: newAmount, period: newPeriod });
      await expect(tx).to.emit(fx.cover, "CoverBought").withArgs(2n, 1n, memberId, AAVE_PRODUCT_ID);
      await expect(tx).to.changeTokenBalance(fx.usdc, fx.member, -due);

      expect(await fx.coverNFT.ownerOf(2n)).to.equal(fx.member.address);
      expect(await fx.coverNFT.ownerOf(1n)).to.equal(fx.member.address);
      const refNew = await fx.cover.getCoverReference(2n);
      const refOld = await fx.cover.getCoverReference(1n);
      expect([refNew.originalCoverId, refNew.latestCoverId]).to.deep.equal([1n, 2n]);
      expect([refOld.originalCoverId, refOld.latestCoverId]).to.deep.equal([1n, 2n]);
      expect((await fx.cover.getCoverData(1n)).period).to.equal(30n * DAY);
      const latest = await fx.cover.getLatestEditCoverData(1n);
      expect(latest.amount).to.equal(allocatedAmount(newAmount));
      expect(latest.start).to.equal(editAt);
      const [withRefData, withRef] = await fx.cover.getCoverDataWithReference(2n);
      expect(withRefData.period).to.equal(newPeriod);
      expect(withRef.originalCoverId).to.equal(1n);
      // old allocation released, new one taken
      expect(await fx.cover.mockNexusCapacity(AAVE_PRODUCT_ID, COVER_ASSET.USDC)).to.equal(
        capacityLeft(allocationInNXM(newAmount)),
      );
    });

    it("a second edit must again pass the original id", async () => {
      const fx = await loadFixture(deployNexusMocks);
      await buy(fx);
      await buy(fx, { coverId: 1n });
      await expect(buy(fx, { coverId: 2n }))
        .to.be.revertedWithCustomError(fx.cover, "MustBeOriginalCoverId")
        .withArgs(1n);
      await expect(buy(fx, { coverId: 1n })).to.emit(fx.cover, "CoverBought");
      expect((await fx.cover.getCoverReference(1n)).latestCoverId).to.equal(3n);
    });

    it("rejects edits by non-owners, of expired covers and with another cover asset", async () => {
      const fx = await loadFixture(deployNexusMocks);
      await buy(fx);
      await fx.registry.mockNexusSetMember(fx.outsider.address, true);
      const params = buyParams({ coverId: 1n, owner: fx.outsider.address, amount: AMOUNT, period: PERIOD, maxPremiumInAsset: 0n });
      await expect(
        fx.cover.connect(fx.outsider).buyCover(params, [{ poolId: 1n, coverAmountInAsset: AMOUNT }]),
      ).to.be.revertedWithCustomError(fx.cover, "OnlyOwnerOrApproved");
      await expect(buy(fx, { coverId: 1n, coverAsset: COVER_ASSET.DAI, amount: DAI_UNIT })).to.be.revertedWithCustomError(
        fx.cover,
        "CoverAssetMismatch",
      );
      const start = (await fx.cover.getCoverData(1n)).start;
      await time.setNextBlockTimestamp(BigInt(start) + PERIOD);
      await expect(buy(fx, { coverId: 1n })).to.be.revertedWithCustomError(fx.cover, "ExpiredCoversCannotBeEdited");
    });
  });

  describe("cover NFT", () => {
    it("only the Cover contract mints; unknown ids revert NotMinted", async () => {
      const fx = await loadFixture(deployNexusMocks);
      await expect(fx.coverNFT.mint(fx.member.address)).to.be.revertedWithCustomError(fx.coverNFT, "NotOperator");
      await expect(fx.coverNFT.ownerOf(1n)).to.be.revertedWithCustomError(fx.coverNFT, "NotMinted");
      await expect(buy(fx, { owner: ethers.ZeroAddress })).to.be.revertedWithCustomError(fx.coverNFT, "InvalidRecipient");
    });

    it("transfers by owner or approved only", async () => {
      const fx = await loadFixture(deployNexusMocks);
      await buy(fx);
      await expect(
        fx.coverNFT.connect(fx.outsider).transferFrom(fx.member.address, fx.outsider.address, 1n),
      ).to.be.revertedWithCustomError(fx.coverNFT, "NotAuthorized");
      await expect(
        fx.coverNFT.connect(fx.member).transferFrom(fx.outsider.address, fx.member.address, 1n),
      ).to.be.revertedWithCustomError(fx.coverNFT, "WrongFrom");
      await expect(
        fx.coverNFT.connect(fx.member).transferFrom(fx.member.address, ethers.ZeroAddress, 1n),
      ).to.be.revertedWithCustomError(fx.coverNFT, "InvalidRecipient");
      await expect(fx.coverNFT.connect(fx.outsider).approve(fx.outsider.address, 1n)).to.be.revertedWithCustomError(
        fx.coverNFT,
        "NotAuthorized",
      );
      await fx.coverNFT.connect(fx.member).approve(fx.outsider.address, 1n);
      expect(await fx.coverNFT.isApprovedOrOwner(fx.outsider.address, 1n)).to.equal(true);
      await fx.coverNFT.connect(fx.outsider).transferFrom(fx.member.address, fx.outsider.address, 1n);
      expect(await fx.coverNFT.ownerOf(1n)).to.equal(fx.outsider.address);
      expect(await fx.coverNFT.balanceOf(fx.outsider.address)).to.equal(1n);
      expect(await fx.coverNFT.isApprovedOrOwner(fx.member.address, 1n)).to.equal(false);
    });
  });

  describe("test-only controls", () => {
    it("are owner-only", async () => {
      const fx = await loadFixture(deployNexusMocks);
      const asOutsider = fx.cover.connect(fx.outsider);
      await expect(asOutsider.mockNexusSetProduct(1, 1, false)).to.be.revertedWithCustomError(
        fx.cover,
        "OwnableUnauthorizedAccount",
      );
      await expect(asOutsider.mockNexusSetCapacity(1, 6, 1)).to.be.revertedWithCustomError(fx.cover, "OwnableUnauthorizedAccount");
      await expect(asOutsider.mockNexusSetCoverAsset(1, fx.outsider.address)).to.be.revertedWithCustomError(
        fx.cover,
        "OwnableUnauthorizedAccount",
      );
      await expect(asOutsider.mockNexusSetClaims(fx.outsider.address)).to.be.revertedWithCustomError(
        fx.cover,
        "OwnableUnauthorizedAccount",
      );
      await expect(asOutsider.mockNexusSetMintRecipientOverride(fx.outsider.address)).to.be.revertedWithCustomError(
        fx.cover,
        "OwnableUnauthorizedAccount",
      );
      await expect(
        fx.registry.connect(fx.outsider).mockNexusSetMember(fx.outsider.address, true),
      ).to.be.revertedWithCustomError(fx.registry, "OwnableUnauthorizedAccount");
    });

    it("burnStake is Claims-only", async () => {
      const fx = await loadFixture(deployNexusMocks);
      await expect(fx.cover.burnStake(1n, 1n))
        .to.be.revertedWithCustomError(fx.cover, "Unauthorized")
        .withArgs(fx.deployer.address, 0n, 16n);
    });

    it("membership can be granted and revoked", async () => {
      const fx = await loadFixture(deployNexusMocks);
      await expect(fx.registry.mockNexusSetMember(fx.outsider.address, true)).to.emit(fx.registry, "MembershipChanged");
      expect(await fx.registry.isMember(fx.outsider.address)).to.equal(true);
      await fx.registry.mockNexusSetMember(fx.outsider.address, false);
      expect(await fx.registry.isMember(fx.outsider.address)).to.equal(false);
      expect(await fx.registry.getMemberId(fx.outsider.address)).to.equal(0n);
    });

    it("the mint recipient override sends new NFTs elsewhere", async () => {
      const fx = await loadFixture(deployNexusMocks);
      await fx.cover.mockNexusSetMintRecipientOverride(fx.outsider.address);
      await buy(fx);
      expect(await fx.coverNFT.ownerOf(1n)).to.equal(fx.outsider.address);
    });
  });
});
