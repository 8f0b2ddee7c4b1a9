import { expect } from "chai";
import { ethers, network } from "hardhat";
import { loadFixture, time, impersonateAccount, setBalance } from "@nomicfoundation/hardhat-network-helpers";
import {
  AAVE_PRODUCT_ID,
  CLAIM_DEPOSIT,
  COOLDOWN,
  COVER_ASSET,
  DAI_UNIT,
  DAY,
  GRACE_PERIOD,
  REDEMPTION_PERIOD,
  USDC_UNIT,
  encodeQuote,
  expectedPremium,
} from "../MockNexusMutual/nexusFixture";
import { deployAdapter } from "./adapterFixture";
import { claimProof, claimProofDigest } from "../../helpers/claimProof";

const AMOUNT = 100_000n * USDC_UNIT;
const PERIOD = 90n * DAY;
const MAX_PREMIUM = 5_000n * USDC_UNIT;
const QUOTE = encodeQuote([{ poolId: 1n, coverAmountInAsset: AMOUNT }]);
/** CIDv0 multihash of the claim proof, then the proof: the adapter passes the digest as ipfsMetadata. */
const EVIDENCE = claimProof({ reason: "evidence pack" });
const PROOF_DIGEST = claimProofDigest(EVIDENCE);

/** ICoverProvider.ClaimStatus */
const STATUS = { None: 0n, Pending: 1n, Accepted: 2n, Denied: 3n, Draw: 4n, Redeemed: 5n, Expired: 6n };

type Fx = Awaited<ReturnType<typeof deployAdapter>>;

function buy(fx: Fx, overrides: { asset?: string; amount?: bigint; period?: bigint; maxPremium?: bigint; quote?: string } = {}) {
  return fx.adapter
    .connect(fx.fund)
    .buyCover(
      fx.aave,
      overrides.asset ?? fx.usdc.target,
      overrides.amount ?? AMOUNT,
      overrides.period ?? PERIOD,
      overrides.maxPremium ?? MAX_PREMIUM,
      overrides.quote ?? QUOTE,
    );
}

async function withCover() {
  const fx = await deployAdapter();
  await buy(fx);
  const start = BigInt((await fx.cover.getCoverData(1n)).start);
  return { ...fx, coverId: 1n, start };
}

async function withClaim() {
  const fx = await withCover();
  await fx.adapter.connect(fx.fund).submitClaim(fx.coverId, AMOUNT, EVIDENCE, { value: CLAIM_DEPOSIT });
  const votingEnd = BigInt((await fx.claims.getAssessment(1n)).votingEnd);
  return { ...fx, claimId: 1n, votingEnd };
}

describe("NexusMutualAdapter", () => {
  describe("deployment and admin", () => {
    it("stores the fund and Nexus addresses and reads the cover NFT from Cover", async () => {
      const fx = await loadFixture(deployAdapter);
      expect(await fx.adapter.fund()).to.equal(fx.fund.address);
      expect(await fx.adapter.nexusCover()).to.equal(fx.cover.target);
      expect(await fx.adapter.nexusClaims()).to.equal(fx.claims.target);
      expect(await fx.adapter.nexusCoverNFT()).to.equal(fx.coverNFT.target);
    });

    it("rejects zero constructor addresses", async () => {
      const fx = await loadFixture(deployAdapter);
      const factory = await ethers.getContractFactory("NexusMutualAdapter");
      const ok: [string, string, string, string] = [
        fx.fund.address,
        await fx.cover.getAddress(),
        await fx.claims.getAddress(),
        fx.admin.address,
      ];
      for (let i = 0; i < ok.length; i++) {
        const [fund, cover, claims, admin] = ok.map((address, j) => (j === i ? ethers.ZeroAddress : address)) as typeof ok;
        await expect(factory.deploy(fund, cover, claims, admin)).to.be.revertedWithCustomError(
          fx.adapter,
          "NexusAdapterZeroAddress",
        );
      }
    });

    it("maps protocols to products and tokens to cover assets, with events", async () => {
      const fx = await loadFixture(deployAdapter);
      const asAdmin = fx.adapter.connect(fx.admin);
      await expect(asAdmin.setProduct(fx.compound, 42)).to.emit(fx.adapter, "NexusProductMapped").withArgs(fx.compound, 42);
      expect(await fx.adapter.productOf(fx.compound)).to.deep.equal([true, 42n]);
      expect(await fx.adapter.isSupported(fx.compound, fx.usdc.target)).to.equal(true);
      await expect(asAdmin.removeProduct(fx.compound)).to.emit(fx.adapter, "NexusProductUnmapped").withArgs(fx.compound);
      expect(await fx.adapter.isSupported(fx.compound, fx.usdc.target)).to.equal(false);
      await expect(asAdmin.removeProduct(fx.compound))
        .to.be.revertedWithCustomError(fx.adapter, "NexusAdapterProtocolNotMapped")
        .withArgs(fx.compound);

      expect(await fx.adapter.coverAssetOf(fx.usdc.target)).to.deep.equal([true, 6n]);
      expect(await fx.adapter.coverAssetOf(fx.dai.target)).to.deep.equal([true, 1n]);
      await expect(asAdmin.removeCoverAsset(fx.dai.target))
        .to.emit(fx.adapter, "NexusCoverAssetUnmapped")
        .withArgs(fx.dai.target, COVER_ASSET.DAI);
      expect(await fx.adapter.isSupported(fx.aave, fx.dai.target)).to.equal(false);
      await expect(asAdmin.removeCoverAsset(fx.dai.target))
        .to.be.revertedWithCustomError(fx.adapter, "NexusAdapterAssetNotSupported")
        .withArgs(fx.dai.target);
      await expect(asAdmin.setCoverAsset(fx.dai.target, COVER_ASSET.DAI))
        .to.emit(fx.adapter, "NexusCoverAssetMapped")
        .withArgs(fx.dai.target, COVER_ASSET.DAI);
    });

    it("USDT is not supported (not a Nexus cover asset)", async () => {
      const fx = await loadFixture(deployAdapter);
      expect(await fx.adapter.isSupported(fx.aave, fx.usdt.target)).to.equal(false);
      await expect(buy(fx, { asset: await fx.usdt.getAddress() }))
        .to.be.revertedWithCustomError(fx.adapter, "NexusAdapterAssetNotSupported")
        .withArgs(fx.usdt.target);
    });

    it("refuses ETH (0) and NXM (255) as cover assets", async () => {
      const fx = await loadFixture(deployAdapter);
      const asAdmin = fx.adapter.connect(fx.admin);
      await expect(asAdmin.setCoverAsset(fx.usdt.target, COVER_ASSET.ETH))
        .to.be.revertedWithCustomError(fx.adapter, "NexusAdapterInvalidCoverAsset")
        .withArgs(0);
      await expect(asAdmin.setCoverAsset(fx.usdt.target, COVER_ASSET.NXM))
        .to.be.revertedWithCustomError(fx.adapter, "NexusAdapterInvalidCoverAsset")
        .withArgs(255);
    });

    it("one token per cover asset id", async () => {
      const fx = await loadFixture(deployAdapter);
      await expect(fx.adapter.connect(fx.admin).setCoverAsset(fx.usdt.target, COVER_ASSET.USDC))
        .to.be.revertedWithCustomError(fx.adapter, "NexusAdapterCoverAssetTaken")
        .withArgs(COVER_ASSET.USDC, fx.usdc.target);
      // re-mapping the same token is allowed
      await expect(fx.adapter.connect(fx.admin).setCoverAsset(fx.usdc.target, COVER_ASSET.USDC)).to.emit(
        fx.adapter,
        "NexusCoverAssetMapped",
      );
    });

    it("admin functions need DEFAULT_ADMIN_ROLE", async () => {
      const fx = await loadFixture(deployAdapter);
      const asFund = fx.adapter.connect(fx.fund);
      for (const call of [
        () => asFund.setProduct(fx.compound, 1),
        () => asFund.removeProduct(fx.aave),
        () => asFund.setCoverAsset(fx.usdt.target, 2),
        () => asFund.removeCoverAsset(fx.usdc.target),
      ]) {
        await expect(call()).to.be.revertedWithCustomError(fx.adapter, "AccessControlUnauthorizedAccount");
      }
    });
  });

  describe("only the fund changes state", () => {
    it("reverts CoverProviderOnlyFund for every state-changing function", async () => {
      const fx = await loadFixture(withClaim);
      const asOther = fx.adapter.connect(fx.outsider);
      const calls = [
        () => asOther.buyCover(fx.aave, fx.usdc.target, AMOUNT, PERIOD, MAX_PREMIUM, QUOTE),
        () => asOther.renewCover(1n, fx.aave, fx.usdc.target, AMOUNT, PERIOD, MAX_PREMIUM, QUOTE),
        () => asOther.submitClaim(1n, AMOUNT, EVIDENCE, { value: CLAIM_DEPOSIT }),
        () => asOther.redeemPayout(1n),
        () => asOther.retrieveDeposit(1n),
      ];
      for (const call of calls) {
        await expect(call()).to.be.revertedWithCustomError(fx.adapter, "CoverProviderOnlyFund").withArgs(fx.outsider.address);
      }
    });
  });

  describe("buyCover", () => {
    it("buys a Nexus cover held by the adapter and refunds the unused premium to the fund", async () => {
      const fx = await loadFixture(deployAdapter);
      const premium = expectedPremium(AMOUNT, PERIOD);
      const [coverId, premiumPaid] = await fx.adapter
        .connect(fx.fund)
        .buyCover.staticCall(fx.aave, fx.usdc.target, AMOUNT, PERIOD, MAX_PREMIUM, QUOTE);
      expect(coverId).to.equal(1n);
      expect(premiumPaid).to.equal(premium);

      const tx = buy(fx);
      await expect(tx).to.emit(fx.adapter, "NexusCoverBought").withArgs(1n, 1n, fx.aave, AMOUNT, premium);
      await expect(tx).to.emit(fx.cover, "CoverBought");
      await expect(tx).to.changeTokenBalances(fx.usdc, [fx.fund, fx.adapter, fx.claims], [-premium, 0n, premium]);

      expect(await fx.coverNFT.ownerOf(1n)).to.equal(fx.adapter.target);
      const data = await fx.cover.getCoverData(1n);
      expect(data.productId).to.equal(AAVE_PRODUCT_ID);
      expect(data.coverAsset).to.equal(COVER_ASSET.USDC);
      expect(data.amount).to.equal(AMOUNT);
      expect(data.period).to.equal(PERIOD);
      expect(await fx.usdc.allowance(fx.adapter.target, fx.cover.target)).to.equal(0n);
    });

    it("buys DAI cover with DAI (cover asset 1)", async () => {
      const fx = await loadFixture(deployAdapter);
      const amount = 10_000n * DAI_UNIT;
      const premium = expectedPremium(amount, PERIOD);
      await expect(
        buy(fx, {
          asset: await fx.dai.getAddress(),
          amount,
          maxPremium: premium * 2n,
          quote: encodeQuote([{ poolId: 1n, coverAmountInAsset: amount }]),
        }),
      ).to.changeTokenBalance(fx.dai, fx.fund, -premium);
      expect((await fx.cover.getCoverData(1n)).coverAsset).to.equal(COVER_ASSET.DAI);
    });

    it("passes maxPremium upstream: a premium above it reverts PriceExceedsMaxPremiumInAsset", async () => {
      const fx = await loadFixture(deployAdapter);
      const premium = expectedPremium(AMOUNT, PERIOD);
      await expect(buy(fx, { maxPremium: premium - 1n })).to.be.revertedWithCustomError(
        fx.cover,
        "PriceExceedsMaxPremiumInAsset",
      );
      await expect(buy(fx, { maxPremium: premium })).to.changeTokenBalance(fx.usdc, fx.fund, -premium);
    });

    it("rejects unmapped protocols and empty quotes", async () => {
      const fx = await loadFixture(deployAdapter);
      await expect(
        fx.adapter.connect(fx.fund).buyCover(fx.compound, fx.usdc.target, AMOUNT, PERIOD, MAX_PREMIUM, QUOTE),
      )
        .to.be.revertedWithCustomError(fx.adapter, "NexusAdapterProtocolNotMapped")
        .withArgs(fx.compound);
      await expect(buy(fx, { quote: "0x" })).to.be.revertedWithCustomError(fx.adapter, "NexusAdapterEmptyQuote");
      await expect(buy(fx, { quote: encodeQuote([]) })).to.be.revertedWithCustomError(fx.adapter, "NexusAdapterEmptyQuote");
    });

    it("surfaces Nexus period bounds", async () => {
      const fx = await loadFixture(deployAdapter);
      await expect(buy(fx, { period: 28n * DAY - 1n })).to.be.revertedWithCustomError(fx.cover, "CoverPeriodTooShort");
      await expect(buy(fx, { period: 365n * DAY + 1n })).to.be.revertedWithCustomError(fx.cover, "CoverPeriodTooLong");
    });

    it("fails when the adapter is not a Nexus member", async () => {
      const fx = await loadFixture(deployAdapter);
      await fx.registry.mockNexusSetMember(fx.adapter.target, false);
      await expect(buy(fx)).to.be.revertedWithCustomError(fx.cover, "OnlyMember");
    });

    it("reverts NexusAdapterCoverNotReceived when the NFT goes elsewhere", async () => {
      const fx = await loadFixture(deployAdapter);
      await fx.cover.mockNexusSetMintRecipientOverride(fx.outsider.address);
      await expect(buy(fx))
        .to.be.revertedWithCustomError(fx.adapter, "NexusAdapterCoverNotReceived")
        .withArgs(1n, fx.outsider.address);
    });
  });

  describe("renewCover (Nexus edit)", () => {
    it("edits via the original id, returns the new cover id and charges new premium minus refund", async () => {
      const fx = await loadFixture(withCover);
      const editAt = fx.start + 60n * DAY;
      await time.setNextBlockTimestamp(editAt);
      const newPeriod = 180n * DAY;
      const refund = (expectedPremium(AMOUNT, PERIOD) * (fx.start + PERIOD - editAt)) / PERIOD;
      const due = expectedPremium(AMOUNT, newPeriod) - refund;

      const tx = fx.adapter.connect(fx.fund).renewCover(1n, fx.aave, fx.usdc.target, AMOUNT, newPeriod, MAX_PREMIUM, QUOTE);
      await expect(tx).to.emit(fx.adapter, "NexusCoverBought").withArgs(2n, 1n, fx.aave, AMOUNT, due);
      await expect(tx).to.changeTokenBalance(fx.usdc, fx.fund, -due);
      expect(await fx.coverNFT.ownerOf(2n)).to.equal(fx.adapter.target);
      expect((await fx.cover.getCoverReference(2n)).originalCoverId).to.equal(1n);
      expect((await fx.cover.getCoverReference(1n)).latestCoverId).to.equal(2n);
    });

    it("renewing from the latest id still edits the original chain", async () => {
      const fx = await loadFixture(withCover);
      await fx.adapter.connect(fx.fund).renewCover(1n, fx.aave, fx.usdc.target, AMOUNT, PERIOD, MAX_PREMIUM, QUOTE);
      await expect(fx.adapter.connect(fx.fund).renewCover(2n, fx.aave, fx.usdc.target, AMOUNT, PERIOD, MAX_PREMIUM, QUOTE))
        .to.emit(fx.adapter, "NexusCoverBought")
        .withArgs(3n, 1n, fx.aave, AMOUNT, (v: bigint) => v > 0n);
      expect((await fx.cover.getCoverReference(1n)).latestCoverId).to.equal(3n);
    });

    it("buys a fresh cover when the latest cover has expired (Nexus refuses the edit)", async () => {
      const fx = await loadFixture(withCover);
      await time.increaseTo(fx.start + PERIOD);
      await expect(fx.adapter.connect(fx.fund).renewCover(1n, fx.aave, fx.usdc.target, AMOUNT, PERIOD, MAX_PREMIUM, QUOTE))
        .to.emit(fx.adapter, "NexusCoverBought")
        .withArgs(2n, 2n, fx.aave, AMOUNT, expectedPremium(AMOUNT, PERIOD));
      expect((await fx.cover.getCoverReference(2n)).originalCoverId).to.equal(2n);
    });

    it("reverts NexusAdapterCoverNotFound for an unknown cover", async () => {
      const fx = await loadFixture(withCover);
      await expect(fx.adapter.connect(fx.fund).renewCover(9n, fx.aave, fx.usdc.target, AMOUNT, PERIOD, MAX_PREMIUM, QUOTE))
        .to.be.revertedWithCustomError(fx.adapter, "NexusAdapterCoverNotFound")
        .withArgs(9n);
    });
  });

  describe("claims", () => {
    it("claimDeposit is the flat Nexus deposit; claimWindow is [start + 1, start + period + grace - 1]", async () => {
      const fx = await loadFixture(withCover);
      expect(await fx.adapter.claimDeposit(1n, AMOUNT)).to.equal(CLAIM_DEPOSIT);
      expect(await fx.adapter.claimWindow(1n)).to.deep.equal([fx.start + 1n, fx.start + PERIOD + GRACE_PERIOD - 1n]);
      await expect(fx.adapter.claimWindow(9n)).to.be.revertedWithCustomError(fx.adapter, "NexusAdapterCoverNotFound").withArgs(9n);
    });

    it("claimWindow edges hold upstream: latest succeeds, latest + 1 reverts GracePeriodPassed", async () => {
      const fx = await loadFixture(withCover);
      const [, latest] = await fx.adapter.claimWindow(1n);
      await time.setNextBlockTimestamp(latest);
      await expect(fx.adapter.connect(fx.fund).submitClaim(1n, AMOUNT, EVIDENCE, { value: CLAIM_DEPOSIT })).to.emit(
        fx.adapter,
        "NexusClaimSubmitted",
      );

      const late = await loadFixture(withCover);
      await time.setNextBlockTimestamp(latest + 1n);
      await expect(
        late.adapter.connect(late.fund).submitClaim(1n, AMOUNT, EVIDENCE, { value: CLAIM_DEPOSIT }),
      ).to.be.revertedWithCustomError(late.claims, "GracePeriodPassed");
    });

    it("submits with the exact deposit and returns the Nexus claim id", async () => {
      const fx = await loadFixture(withCover);
      await time.increase(1n); // eth_call runs with the latest block's timestamp, i.e. the purchase block's
      expect(
        await fx.adapter.connect(fx.fund).submitClaim.staticCall(1n, AMOUNT, EVIDENCE, { value: CLAIM_DEPOSIT }),
      ).to.equal(1n);
      const tx = fx.adapter.connect(fx.fund).submitClaim(1n, AMOUNT, EVIDENCE, { value: CLAIM_DEPOSIT });
      await expect(tx).to.emit(fx.adapter, "NexusClaimSubmitted").withArgs(1n, 1n, AMOUNT, PROOF_DIGEST);
      await expect(tx).to.emit(fx.claims, "MetadataSubmitted").withArgs(1n, PROOF_DIGEST);
      await expect(tx).to.changeEtherBalances([fx.fund, fx.claims], [-CLAIM_DEPOSIT, CLAIM_DEPOSIT]);
      expect(await fx.adapter.claimStatus(1n)).to.deep.equal([STATUS.Pending, 0n, 0n]);
    });

    it("cannot claim in the purchase block (earliest = start + 1)", async () => {
      const fx = await loadFixture(deployAdapter);
      await network.provider.send("evm_setAutomine", [false]);
      try {
        await fx.adapter
          .connect(fx.fund)
          .buyCover(fx.aave, fx.usdc.target, AMOUNT, PERIOD, MAX_PREMIUM, QUOTE, { gasLimit: 2_000_000 });
        await fx.adapter
          .connect(fx.fund)
          .submitClaim(1n, AMOUNT, EVIDENCE, { value: CLAIM_DEPOSIT, gasLimit: 2_000_000 });
        await network.provider.send("evm_mine", []);
      } finally {
        await network.provider.send("evm_setAutomine", [true]);
      }
      const block = await ethers.provider.getBlock("latest");
      const [buyTx, claimTx] = block!.transactions;
      expect((await ethers.provider.getTransactionReceipt(buyTx!))!.status).to.equal(1);
      expect((await ethers.provider.getTransactionReceipt(claimTx!))!.status).to.equal(0);
      await expect(
        fx.adapter
          .connect(fx.fund)
          .submitClaim.staticCall(1n, AMOUNT, EVIDENCE, { value: CLAIM_DEPOSIT, blockTag: block!.number }),
      ).to.be.revertedWithCustomError(fx.claims, "CantBuyCoverAndClaimInTheSameBlock");
      expect((await fx.adapter.claimWindow(1n))[0]).to.equal(BigInt(block!.timestamp) + 1n);
    });

    it("rejects a wrong deposit", async () => {
      const fx = await loadFixture(withCover);
      await expect(fx.adapter.connect(fx.fund).submitClaim(1n, AMOUNT, EVIDENCE, { value: CLAIM_DEPOSIT - 1n }))
        .to.be.revertedWithCustomError(fx.adapter, "NexusAdapterWrongDeposit")
        .withArgs(CLAIM_DEPOSIT - 1n, CLAIM_DEPOSIT);
    });

    it("surfaces one open claim per cover", async () => {
      const fx = await loadFixture(withClaim);
      await expect(
        fx.adapter.connect(fx.fund).submitClaim(1n, AMOUNT, EVIDENCE, { value: CLAIM_DEPOSIT }),
      ).to.be.revertedWithCustomError(fx.claims, "ClaimIsBeingAssessed");
    });

    it("reverts NexusAdapterCoverAssetNotMapped when the cover's asset lost its mapping", async () => {
      const fx = await loadFixture(withCover);
      await fx.adapter.connect(fx.admin).removeCoverAsset(fx.usdc.target);
      await expect(fx.adapter.connect(fx.fund).submitClaim(1n, AMOUNT, EVIDENCE, { value: CLAIM_DEPOSIT }))
        .to.be.revertedWithCustomError(fx.adapter, "NexusAdapterCoverAssetNotMapped")
        .withArgs(COVER_ASSET.USDC);
    });

    it("accepted: Pending through voting and cooldown, then Accepted until the window ends, redeem forwards payout and deposit", async () => {
      const fx = await loadFixture(withClaim);
      await fx.claims.mockNexusCastVote(fx.claimId, true);
      await time.increaseTo(fx.votingEnd + COOLDOWN - 1n);
      expect((await fx.adapter.claimStatus(fx.claimId))[0]).to.equal(STATUS.Pending);
      await expect(fx.adapter.connect(fx.fund).redeemPayout(fx.claimId)).to.be.revertedWithCustomError(
        fx.claims,
        "ClaimNotRedeemable",
      );

      await time.increaseTo(fx.votingEnd + COOLDOWN + 1n);
      const redeemableUntil = fx.votingEnd + COOLDOWN + REDEMPTION_PERIOD - 1n;
      expect(await fx.adapter.claimStatus(fx.claimId)).to.deep.equal([STATUS.Accepted, AMOUNT, redeemableUntil]);

      const tx = fx.adapter.connect(fx.fund).redeemPayout(fx.claimId);
      await expect(tx)
        .to.emit(fx.adapter, "NexusPayoutRedeemed")
        .withArgs(fx.claimId, fx.usdc.target, AMOUNT, CLAIM_DEPOSIT);
      await expect(tx).to.changeTokenBalances(fx.usdc, [fx.fund, fx.adapter, fx.claims], [AMOUNT, 0n, -AMOUNT]);
      await expect(tx).to.changeEtherBalances([fx.fund, fx.adapter], [CLAIM_DEPOSIT, 0n]);
      expect(await fx.adapter.claimStatus(fx.claimId)).to.deep.equal([STATUS.Redeemed, AMOUNT, 0n]);
    });

    it("accepted claims expire after redeemableUntil", async () => {
      const fx = await loadFixture(withClaim);
      await fx.claims.mockNexusCastVote(fx.claimId, true);
      const [, , redeemableUntil] = await (async () => {
        await time.increaseTo(fx.votingEnd + COOLDOWN + 1n);
        return fx.adapter.claimStatus(fx.claimId);
      })();
      await time.setNextBlockTimestamp(redeemableUntil);
      await expect(fx.adapter.connect(fx.fund).redeemPayout(fx.claimId)).to.emit(fx.adapter, "NexusPayoutRedeemed");

      const late = await loadFixture(withClaim);
      await late.claims.mockNexusCastVote(late.claimId, true);
      await time.increaseTo(redeemableUntil + 1n);
      expect(await late.adapter.claimStatus(late.claimId)).to.deep.equal([STATUS.Expired, 0n, redeemableUntil]);
      await expect(late.adapter.connect(late.fund).redeemPayout(late.claimId)).to.be.revertedWithCustomError(
        late.claims,
        "ClaimNotRedeemable",
      );
    });

    it("draw: status Draw and retrieveDeposit forwards the ETH to the fund", async () => {
      const fx = await loadFixture(withClaim);
      await fx.claims.mockNexusCastVote(fx.claimId, true);
      await fx.claims.mockNexusCastVote(fx.claimId, false);
      await time.increaseTo(fx.votingEnd + COOLDOWN + 1n);
      expect(await fx.adapter.claimStatus(fx.claimId)).to.deep.equal([STATUS.Draw, 0n, 0n]);

      const tx = fx.adapter.connect(fx.fund).retrieveDeposit(fx.claimId);
      await expect(tx).to.emit(fx.adapter, "NexusDepositRetrieved").withArgs(fx.claimId, CLAIM_DEPOSIT);
      await expect(tx).to.changeEtherBalances([fx.fund, fx.adapter, fx.claims], [CLAIM_DEPOSIT, 0n, -CLAIM_DEPOSIT]);
      await expect(fx.adapter.connect(fx.fund).retrieveDeposit(fx.claimId))
        .to.be.revertedWithCustomError(fx.adapter, "NexusAdapterDepositForwarded")
        .withArgs(fx.claimId);
    });

    it("denied: status Denied, the deposit is kept upstream", async () => {
      const fx = await loadFixture(withClaim);
      await fx.claims.mockNexusCastVote(fx.claimId, false);
      await time.increaseTo(fx.votingEnd + COOLDOWN + 1n);
      expect(await fx.adapter.claimStatus(fx.claimId)).to.deep.equal([STATUS.Denied, 0n, 0n]);
      await expect(fx.adapter.connect(fx.fund).retrieveDeposit(fx.claimId)).to.be.revertedWithCustomError(
        fx.claims,
        "ClaimNotADraw",
      );
      await expect(fx.adapter.connect(fx.fund).redeemPayout(fx.claimId)).to.be.revertedWithCustomError(
        fx.claims,
        "ClaimNotRedeemable",
      );
    });

    it("claims not filed through the adapter are None / unknown", async () => {
      const fx = await loadFixture(withClaim);
      expect(await fx.adapter.claimStatus(9n)).to.deep.equal([STATUS.None, 0n, 0n]);
      await expect(fx.adapter.connect(fx.fund).redeemPayout(9n))
        .to.be.revertedWithCustomError(fx.adapter, "NexusAdapterUnknownClaim")
        .withArgs(9n);
      await expect(fx.adapter.connect(fx.fund).retrieveDeposit(9n))
        .to.be.revertedWithCustomError(fx.adapter, "NexusAdapterUnknownClaim")
        .withArgs(9n);
    });
  });

  describe("ETH handling", () => {
    it("accepts ETH only from the Nexus pool", async () => {
      const fx = await loadFixture(deployAdapter);
      await expect(fx.outsider.sendTransaction({ to: fx.adapter.target, value: 1n }))
        .to.be.revertedWithCustomError(fx.adapter, "NexusAdapterUnexpectedEthSender")
        .withArgs(fx.outsider.address);
      const pool = await fx.claims.pool();
      await impersonateAccount(pool);
      await setBalance(pool, 10n ** 18n);
      const poolSigner = await ethers.getSigner(pool);
      await expect(poolSigner.sendTransaction({ to: fx.adapter.target, value: 1n })).to.changeEtherBalance(fx.adapter, 1n);
    });

    it("reverts NexusAdapterEthTransferFailed when the fund rejects the returned deposit", async () => {
      const fx = await loadFixture(withCover);
      // a fund that is a contract without receive(): the USDT test token, impersonated
      const rejectingFund = await fx.usdt.getAddress();
      const adapter = await ethers.deployContract("NexusMutualAdapter", [
        rejectingFund,
        fx.cover.target,
        fx.claims.target,
        fx.admin.address,
      ]);
      await fx.registry.mockNexusSetMember(adapter.target, true);
      await adapter.connect(fx.admin).setProduct(fx.aave, AAVE_PRODUCT_ID);
      await adapter.connect(fx.admin).setCoverAsset(fx.usdc.target, COVER_ASSET.USDC);
      await impersonateAccount(rejectingFund);
      await setBalance(rejectingFund, 10n ** 18n);
      const fundSigner = await ethers.getSigner(rejectingFund);
      await fx.usdc.mint(rejectingFund, MAX_PREMIUM);
      await fx.usdc.connect(fundSigner).approve(adapter.target, MAX_PREMIUM);
      await adapter.connect(fundSigner).buyCover(fx.aave, fx.usdc.target, AMOUNT, PERIOD, MAX_PREMIUM, QUOTE);
      await time.increase(1n);
      await adapter.connect(fundSigner).submitClaim(2n, AMOUNT, EVIDENCE, { value: CLAIM_DEPOSIT });
      await time.increase(VOTING_END_OFFSET);
      await expect(adapter.connect(fundSigner).retrieveDeposit(1n))
        .to.be.revertedWithCustomError(adapter, "NexusAdapterEthTransferFailed")
        .withArgs(rejectingFund, CLAIM_DEPOSIT);
    });
  });
});

/** Past voting (3 days) and cooldown (1 day). */
const VOTING_END_OFFSET = 3n * DAY + COOLDOWN + 1n;
