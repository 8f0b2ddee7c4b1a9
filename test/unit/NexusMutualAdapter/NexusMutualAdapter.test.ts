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
  DEPRECATED_PRODUCT_ID,
  ETH_ONLY_PRODUCT_ID,
  GRACE_PERIOD,
  NXM_PRICE_USDC,
  ONE_NXM,
  REDEMPTION_PERIOD,
  USDC_UNIT,
  allocatedAmount,
  encodeQuote,
  expectedPremium,
  premiumInNXM,
} from "../MockNexusMutual/nexusFixture";
import { signJoin } from "../MockNexusMutual/registry.test";
import { ADAPTER_ADMIN_DELAY, deployAdapter } from "./adapterFixture";
import { claimProof, claimProofDigest } from "../../helpers/claimProof";

const AMOUNT = 100_000n * USDC_UNIT;
const PERIOD = 90n * DAY;
const MAX_PREMIUM = 5_000n * USDC_UNIT;
const QUOTE = encodeQuote([{ poolId: 1n, coverAmountInAsset: AMOUNT }]);
/** CIDv0 multihash of the claim proof, then the proof: the adapter passes the digest as ipfsMetadata. */
const EVIDENCE = claimProof({ reason: "evidence pack" });
const PROOF_DIGEST = claimProofDigest(EVIDENCE);
/** The mock Claims continues a legacy numbering, like mainnet's. */
const FIRST_CLAIM_ID = 1001n;
const JOIN_FEE = ethers.parseEther("0.002");

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
  const votingEnd = BigInt((await fx.assessments.getAssessment(FIRST_CLAIM_ID)).votingEnd);
  return { ...fx, claimId: FIRST_CLAIM_ID, votingEnd };
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
      for (let i = 0; i < ok.length - 1; i++) {
        const [fund, cover, claims, admin] = ok.map((address, j) => (j === i ? ethers.ZeroAddress : address)) as typeof ok;
        await expect(factory.deploy(fund, cover, claims, ADAPTER_ADMIN_DELAY, admin)).to.be.revertedWithCustomError(
          fx.adapter,
          "NexusAdapterZeroAddress",
        );
      }
      // a zero admin is refused by AccessControlDefaultAdminRules
      await expect(factory.deploy(ok[0], ok[1], ok[2], ADAPTER_ADMIN_DELAY, ethers.ZeroAddress))
        .to.be.revertedWithCustomError(fx.adapter, "AccessControlInvalidDefaultAdmin")
        .withArgs(ethers.ZeroAddress);
    });

    it("maps protocols to products and tokens to cover assets, with events", async () => {
      const fx = await loadFixture(deployAdapter);
      const asAdmin = fx.adapter.connect(fx.admin);
      await expect(asAdmin.setProduct(fx.compound, 42)).to.emit(fx.adapter, "NexusProductMapped").withArgs(fx.compound, 42);
      expect(await fx.adapter.productOf(fx.compound)).to.deep.equal([true, 42n]);
      expect(await fx.adapter.isSupported(fx.compound, fx.usdc.target)).to.equal(false); // Nexus has no product 42
      await asAdmin.setProduct(fx.compound, AAVE_PRODUCT_ID);
      expect(await fx.adapter.isSupported(fx.compound, fx.usdc.target)).to.equal(true);
      await expect(asAdmin.removeProduct(fx.compound)).to.emit(fx.adapter, "NexusProductUnmapped").withArgs(fx.compound);
      expect(await fx.adapter.isSupported(fx.compound, fx.usdc.target)).to.equal(false);
      await expect(asAdmin.removeProduct(fx.compound))
        .to.be.revertedWithCustomError(fx.adapter, "NexusAdapterProtocolNotMapped")
        .withArgs(fx.compound);

      expect(await fx.adapter.coverAssetOf(fx.usdc.target)).to.deep.equal([true, 6n]);
      expect(await fx.adapter.coverAssetOf(fx.dai.target)).to.deep.equal([false, 0n]);
      await expect(asAdmin.removeCoverAsset(fx.usdc.target))
        .to.emit(fx.adapter, "NexusCoverAssetUnmapped")
        .withArgs(fx.usdc.target, COVER_ASSET.USDC);
      expect(await fx.adapter.isSupported(fx.aave, fx.usdc.target)).to.equal(false);
      await expect(asAdmin.removeCoverAsset(fx.usdc.target))
        .to.be.revertedWithCustomError(fx.adapter, "NexusAdapterAssetNotSupported")
        .withArgs(fx.usdc.target);
      await expect(asAdmin.setCoverAsset(fx.usdc.target, COVER_ASSET.USDC))
        .to.emit(fx.adapter, "NexusCoverAssetMapped")
        .withArgs(fx.usdc.target, COVER_ASSET.USDC);
      expect(await fx.adapter.isSupported(fx.aave, fx.usdc.target)).to.equal(true);
    });

    it("isSupported asks Nexus: the product's coverAssets bitmap, deprecation, claim method and the Pool's flags", async () => {
      const fx = await loadFixture(deployAdapter);
      const asAdmin = fx.adapter.connect(fx.admin);
      expect(await fx.adapter.isSupported(fx.aave, fx.usdc.target)).to.equal(true); // bitmap 0 = every Pool cover asset
      await fx.coverProducts.mockNexusSetProduct(AAVE_PRODUCT_ID, 0, (1 << COVER_ASSET.USDC) | (1 << COVER_ASSET.ETH), false);
      expect(await fx.adapter.isSupported(fx.aave, fx.usdc.target)).to.equal(true); // bit 6 set
      // mapped on both sides, but the product only covers ETH
      await asAdmin.setProduct(fx.compound, ETH_ONLY_PRODUCT_ID);
      expect(await fx.adapter.isSupported(fx.compound, fx.usdc.target)).to.equal(false);
      await expect(
        fx.adapter.connect(fx.fund).buyCover(fx.compound, fx.usdc.target, AMOUNT, PERIOD, MAX_PREMIUM, QUOTE),
      ).to.be.revertedWithCustomError(fx.cover, "CoverAssetNotSupported");
      // deprecated, and an id past the product list (the real getter would panic)
      await asAdmin.setProduct(fx.compound, DEPRECATED_PRODUCT_ID);
      expect(await fx.adapter.isSupported(fx.compound, fx.usdc.target)).to.equal(false);
      await asAdmin.setProduct(fx.compound, 500);
      expect(await fx.adapter.isSupported(fx.compound, fx.usdc.target)).to.equal(false);
      // a product type that no longer files individual claims
      await fx.coverProducts.mockNexusSetProductType(0, {
        claimMethod: 1,
        gracePeriod: GRACE_PERIOD,
        assessmentCooldownPeriod: COOLDOWN,
        payoutRedemptionPeriod: REDEMPTION_PERIOD,
      });
      expect(await fx.adapter.isSupported(fx.aave, fx.usdc.target)).to.equal(false);
    });

    it("reads bitmap bits above 7 (cover asset ids go up to 31)", async () => {
      const fx = await loadFixture(deployAdapter);
      await fx.pool.mockNexusSetAsset(9, fx.usdt.target, true, false); // a hypothetical future cover asset
      await fx.adapter.connect(fx.admin).setCoverAsset(fx.usdt.target, 9);
      await fx.coverProducts.mockNexusSetProduct(AAVE_PRODUCT_ID, 0, 1 << 9, false);
      expect(await fx.adapter.isSupported(fx.aave, fx.usdt.target)).to.equal(true);
      expect(await fx.adapter.isSupported(fx.aave, fx.usdc.target)).to.equal(false); // bit 6 not set
    });

    it("DAI is not a Nexus cover asset: even when mapped, the abandoned Pool asset is unsupported", async () => {
      const fx = await loadFixture(deployAdapter);
      expect(await fx.adapter.isSupported(fx.aave, fx.dai.target)).to.equal(false); // not mapped by default
      await fx.adapter.connect(fx.admin).setCoverAsset(fx.dai.target, COVER_ASSET.DAI);
      expect(await fx.adapter.isSupported(fx.aave, fx.dai.target)).to.equal(false); // Pool: abandoned
      const amount = 10_000n * DAI_UNIT;
      await expect(
        buy(fx, { asset: await fx.dai.getAddress(), amount, maxPremium: amount, quote: encodeQuote([{ poolId: 1n, coverAmountInAsset: amount }]) }),
      ).to.be.revertedWithCustomError(fx.cover, "CoverAssetNotSupported");
      // an asset id the Pool does not list at all (getAsset reverts InvalidAssetId): unsupported, no revert
      await fx.adapter.connect(fx.admin).setCoverAsset(fx.usdt.target, 9);
      expect(await fx.adapter.isSupported(fx.aave, fx.usdt.target)).to.equal(false);
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
        () => asFund.joinNexus("0x", { value: JOIN_FEE }),
      ]) {
        await expect(call()).to.be.revertedWithCustomError(fx.adapter, "AccessControlUnauthorizedAccount");
      }
    });
  });

  describe("membership (joinNexus)", () => {
    async function withKyc() {
      const fx = await deployAdapter();
      await fx.registry.mockNexusSetMember(fx.adapter.target, false); // start as a non-member (revoked)
      const fresh = await ethers.deployContract("NexusMutualAdapter", [fx.fund.address, fx.cover.target, fx.claims.target, ADAPTER_ADMIN_DELAY, fx.admin.address]);
      const kyc = ethers.Wallet.createRandom();
      await fx.registry.mockNexusSetKycAuthAddress(kyc.address);
      return { ...fx, fresh, kyc };
    }

    it("forwards exactly JOIN_FEE with Nexus's KYC signature for the adapter's own address", async () => {
      const fx = await loadFixture(withKyc);
      expect(await fx.fresh.isNexusMember()).to.equal(false);
      const signature = await signJoin(fx.kyc, await fx.registry.getAddress(), await fx.fresh.getAddress());
      const memberId = (await fx.registry.getLastMemberId()) + 1n;
      const tx = fx.fresh.connect(fx.admin).joinNexus(signature, { value: JOIN_FEE });
      await expect(tx).to.emit(fx.fresh, "NexusMembershipJoined").withArgs(memberId, JOIN_FEE);
      await expect(tx).to.emit(fx.registry, "MembershipChanged").withArgs(memberId, ethers.ZeroAddress, fx.fresh.target);
      await expect(tx).to.changeEtherBalances([fx.admin, fx.fresh, fx.pool], [-JOIN_FEE, 0n, JOIN_FEE]);
      expect(await fx.fresh.isNexusMember()).to.equal(true);
      // a member can now buy
      await fx.fresh.connect(fx.admin).setProduct(fx.aave, AAVE_PRODUCT_ID);
      await fx.fresh.connect(fx.admin).setCoverAsset(fx.usdc.target, COVER_ASSET.USDC);
      await fx.usdc.connect(fx.fund).approve(fx.fresh.target, MAX_PREMIUM);
      await expect(
        fx.fresh.connect(fx.fund).buyCover(fx.aave, fx.usdc.target, AMOUNT, PERIOD, MAX_PREMIUM, QUOTE),
      ).to.emit(fx.cover, "CoverBought");
    });

    it("rejects a wrong fee; Nexus rejects a signature for another address", async () => {
      const fx = await loadFixture(withKyc);
      const signature = await signJoin(fx.kyc, await fx.registry.getAddress(), await fx.fresh.getAddress());
      await expect(fx.fresh.connect(fx.admin).joinNexus(signature, { value: JOIN_FEE - 1n }))
        .to.be.revertedWithCustomError(fx.fresh, "NexusAdapterWrongJoinFee")
        .withArgs(JOIN_FEE - 1n, JOIN_FEE);
      const forAdmin = await signJoin(fx.kyc, await fx.registry.getAddress(), fx.admin.address);
      await expect(fx.fresh.connect(fx.admin).joinNexus(forAdmin, { value: JOIN_FEE })).to.be.revertedWithCustomError(
        fx.registry,
        "InvalidSignature",
      );
      await fx.registry.mockNexusSetPauseConfig(8n);
      await expect(fx.fresh.connect(fx.admin).joinNexus(signature, { value: JOIN_FEE }))
        .to.be.revertedWithCustomError(fx.registry, "Paused")
        .withArgs(8n, 8n);
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
      expect(premium).to.equal((premiumInNXM(AMOUNT, PERIOD) * NXM_PRICE_USDC) / ONE_NXM); // priced in NXM

      const tx = buy(fx);
      await expect(tx).to.emit(fx.adapter, "NexusCoverBought").withArgs(1n, 1n, fx.aave, AMOUNT, premium);
      await expect(tx).to.emit(fx.cover, "CoverBought");
      await expect(tx).to.changeTokenBalances(fx.usdc, [fx.fund, fx.adapter, fx.pool], [-premium, 0n, premium]);

      expect(await fx.coverNFT.ownerOf(1n)).to.equal(fx.adapter.target);
      const data = await fx.cover.getCoverData(1n);
      expect(data.productId).to.equal(AAVE_PRODUCT_ID);
      expect(data.coverAsset).to.equal(COVER_ASSET.USDC);
      expect(data.amount).to.equal(allocatedAmount(AMOUNT)); // >= AMOUNT: allocations round up to 0.01 NXM
      expect(data.period).to.equal(PERIOD);
      expect(await fx.usdc.allowance(fx.adapter.target, fx.cover.target)).to.equal(0n);
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

    it("surfaces the Nexus cover pause", async () => {
      const fx = await loadFixture(deployAdapter);
      await fx.registry.mockNexusSetPauseConfig(64n);
      await expect(buy(fx)).to.be.revertedWithCustomError(fx.cover, "Paused").withArgs(64n, 64n);
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
      const refundInNXM = (premiumInNXM(AMOUNT, PERIOD) * (fx.start + PERIOD - editAt)) / PERIOD;
      const due = ((premiumInNXM(AMOUNT, newPeriod) - refundInNXM) * NXM_PRICE_USDC) / ONE_NXM;
      expect(await fx.adapter.editedCoverIdOf(1n)).to.equal(1n); // what a renewal quote passes as coverEditId

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
      expect(await fx.adapter.editedCoverIdOf(2n)).to.equal(1n); // the ORIGINAL id, as the cover-router demands
      await expect(fx.adapter.connect(fx.fund).renewCover(2n, fx.aave, fx.usdc.target, AMOUNT, PERIOD, MAX_PREMIUM, QUOTE))
        .to.emit(fx.adapter, "NexusCoverBought")
        .withArgs(3n, 1n, fx.aave, AMOUNT, (v: bigint) => v > 0n);
      expect((await fx.cover.getCoverReference(1n)).latestCoverId).to.equal(3n);
    });

    it("buys a fresh cover when the latest cover has expired (Nexus refuses the edit)", async () => {
      const fx = await loadFixture(withCover);
      await time.increaseTo(fx.start + PERIOD);
      expect(await fx.adapter.editedCoverIdOf(1n)).to.equal(0n); // a new-cover quote
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
      await expect(fx.adapter.editedCoverIdOf(9n)).to.be.revertedWithCustomError(fx.adapter, "NexusAdapterCoverNotFound").withArgs(9n);
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
      ).to.equal(FIRST_CLAIM_ID); // Nexus ids do not start at 1
      const tx = fx.adapter.connect(fx.fund).submitClaim(1n, AMOUNT, EVIDENCE, { value: CLAIM_DEPOSIT });
      await expect(tx).to.emit(fx.adapter, "NexusClaimSubmitted").withArgs(FIRST_CLAIM_ID, 1n, AMOUNT, PROOF_DIGEST);
      await expect(tx).to.emit(fx.claims, "MetadataSubmitted").withArgs(FIRST_CLAIM_ID, PROOF_DIGEST);
      await expect(tx).to.changeEtherBalances([fx.fund, fx.pool], [-CLAIM_DEPOSIT, CLAIM_DEPOSIT]);
      expect(await fx.adapter.claimStatus(FIRST_CLAIM_ID)).to.deep.equal([STATUS.Pending, 0n, 0n]);
      expect(await fx.adapter.claimStatus(1n)).to.deep.equal([STATUS.None, 0n, 0n]);
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

    it("noSingleKeyEndsAClaim: the admin cannot unmap or remap the cover asset or product while a cover bought through it can be claimed", async () => {
      const fx = await loadFixture(withCover);
      const data = await fx.cover.getCoverData(1n);
      const until = data.start + data.period + data.gracePeriod;
      expect(await fx.adapter.inForceUntil(fx.aave, fx.usdc.target)).to.deep.equal([until, until]);
      await expect(fx.adapter.connect(fx.admin).removeCoverAsset(fx.usdc.target))
        .to.be.revertedWithCustomError(fx.adapter, "NexusAdapterMappingInUse")
        .withArgs(until);
      await expect(fx.adapter.connect(fx.admin).removeProduct(fx.aave))
        .to.be.revertedWithCustomError(fx.adapter, "NexusAdapterMappingInUse")
        .withArgs(until);
      await expect(fx.adapter.connect(fx.admin).setProduct(fx.aave, AAVE_PRODUCT_ID + 1))
        .to.be.revertedWithCustomError(fx.adapter, "NexusAdapterMappingInUse")
        .withArgs(until);
      await expect(fx.adapter.connect(fx.admin).setCoverAsset(fx.usdc.target, COVER_ASSET.USDC + 1))
        .to.be.revertedWithCustomError(fx.adapter, "NexusAdapterMappingInUse")
        .withArgs(until);
      // the hedged claim still goes through
      await expect(fx.adapter.connect(fx.fund).submitClaim(1n, AMOUNT, EVIDENCE, { value: CLAIM_DEPOSIT })).to.emit(fx.adapter, "NexusClaimSubmitted");
      await time.increaseTo(until + 1n);
      await expect(fx.adapter.connect(fx.admin).removeCoverAsset(fx.usdc.target)).to.emit(fx.adapter, "NexusCoverAssetUnmapped");
      await expect(fx.adapter.connect(fx.admin).removeProduct(fx.aave)).to.emit(fx.adapter, "NexusProductUnmapped");
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
      await expect(tx).to.changeTokenBalances(fx.usdc, [fx.fund, fx.adapter, fx.pool], [AMOUNT, 0n, -AMOUNT]);
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
      await expect(tx).to.changeEtherBalances([fx.fund, fx.adapter, fx.pool], [CLAIM_DEPOSIT, 0n, -CLAIM_DEPOSIT]);
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

    it("claimStatus follows a changed votingEnd: closed early, extended in the cooldown, outcome flipped", async () => {
      const fx = await loadFixture(withClaim);
      const [, , , , , , , , a1] = await ethers.getSigners();
      await fx.registry.mockNexusSetMember(a1!.address, true);
      await fx.assessments.mockNexusAddAssessor(await fx.registry.getMemberId(a1!.address));
      await fx.assessments.connect(a1!).castVote(fx.claimId, true, PROOF_DIGEST);
      const closed = await fx.assessments.closeVotingEarly(fx.claimId);
      const closedAt = BigInt((await closed.getBlock())!.timestamp);
      await time.increaseTo(closedAt + COOLDOWN + 1n); // days before the original votingEnd
      expect((await fx.adapter.claimStatus(fx.claimId))[0]).to.equal(STATUS.Accepted);

      const other = await loadFixture(withClaim);
      await other.claims.mockNexusCastVote(other.claimId, true);
      await time.increaseTo(other.votingEnd + COOLDOWN / 2n); // cooldown, heading for Accepted
      await other.assessments.extendVotingPeriod(other.claimId); // the Governor reopens voting
      await other.claims.mockNexusCastVote(other.claimId, false);
      await other.claims.mockNexusCastVote(other.claimId, false);
      await time.increaseTo(other.votingEnd + COOLDOWN + 1n); // the old end: a cached votingEnd would say Accepted
      expect((await other.adapter.claimStatus(other.claimId))[0]).to.equal(STATUS.Pending);
      const newEnd = BigInt((await other.assessments.getAssessment(other.claimId)).votingEnd);
      await time.increaseTo(newEnd + COOLDOWN + 1n);
      expect((await other.adapter.claimStatus(other.claimId))[0]).to.equal(STATUS.Denied);
    });

    it("an outsider may retrieve a draw deposit upstream (Nexus retrieveDeposit is open to anyone); it lands in the adapter", async () => {
      const fx = await loadFixture(withClaim);
      await time.increaseTo(fx.votingEnd + COOLDOWN + 1n); // no votes: draw
      await expect(fx.claims.connect(fx.outsider).retrieveDeposit(fx.claimId)).to.changeEtherBalance(fx.adapter, CLAIM_DEPOSIT);
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
      expect(pool).to.equal(fx.pool.target);
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
        ADAPTER_ADMIN_DELAY,
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
      await expect(adapter.connect(fundSigner).retrieveDeposit(FIRST_CLAIM_ID))
        .to.be.revertedWithCustomError(adapter, "NexusAdapterEthTransferFailed")
        .withArgs(rejectingFund, CLAIM_DEPOSIT);
    });
  });
});

/** Past voting (3 days) and cooldown (1 day). */
const VOTING_END_OFFSET = 3n * DAY + COOLDOWN + 1n;
