import { time } from "@nomicfoundation/hardhat-network-helpers";
import { expect } from "chai";
import { ethers } from "hardhat";

import type { NexusMutualAdapter, StablecoinInsuranceFund } from "../../typechain-types";
import { claimProof } from "../helpers/claimProof";
import { deployInsuranceFund } from "../helpers/fundDeploy";
import { ADMIN_DELAY, DAY, PROTOCOLS, units } from "../helpers/fundFixture";
import { nexusQuote } from "../helpers/systemFixture";
import { namedSigners } from "../helpers/signers";
import { erc20, fundFromHolder, MAINNET, NEXUS_COVER_ASSET, NEXUS_DAI_ASSET_ID, rpc } from "./mainnet";
import { type MainnetEnv, setUsdcBlocked } from "./mainnetReplica";

const DURATION = 60n * DAY;

/**
 * The mainnet test bodies, run against the real fork and against the offline replica. `makeEnv`
 * prepares the chain (nothing for the fork; mocks at the mainnet addresses for the replica).
 * Each test starts from a snapshot taken after the fund and adapter are deployed.
 */
export function defineMainnetSuite(makeEnv: (admin: string) => Promise<MainnetEnv>): void {
  let env: MainnetEnv;
  let fund: StablecoinInsuranceFund;
  let adapter: NexusMutualAdapter;
  let fundAddress: string;
  let signers: Awaited<ReturnType<typeof namedSigners<["admin", "oracle", "assessor", "buyer", "beneficiary", "other"]>>>;
  let outerSnapshot: string;
  let snapshot: string;

  before(async () => {
    outerSnapshot = (await rpc("evm_snapshot")) as string;
    signers = await namedSigners("admin", "oracle", "assessor", "buyer", "beneficiary", "other");
    env = await makeEnv(signers.admin.address);
    fund = await deployInsuranceFund(ADMIN_DELAY, signers.admin.address, [MAINNET.USDC, MAINNET.USDT, MAINNET.DAI]);
    fundAddress = await fund.getAddress();
    await fund.connect(signers.admin).grantRole(await fund.RISK_ORACLE_ROLE(), signers.oracle.address);
    await fund.connect(signers.admin).grantRole(await fund.CLAIMS_ASSESSOR_ROLE(), signers.assessor.address);
    adapter = await ethers.deployContract("NexusMutualAdapter", [fundAddress, MAINNET.nexus.cover, MAINNET.nexus.claims, 2n * 24n * 3600n, signers.admin.address]);
    await fund.connect(signers.admin).registerProvider(await adapter.getAddress());
    await adapter.connect(signers.admin).setCoverAsset(MAINNET.USDC, NEXUS_COVER_ASSET.USDC);
    // Tokens by impersonating holders, approved with raw calls (USDT's approve returns nothing).
    for (const [symbol, address, amount] of [
      ["USDC", MAINNET.USDC, units(2_000_000, 6)],
      ["USDT", MAINNET.USDT, units(2_000_000, 6)],
      ["DAI", MAINNET.DAI, units(2_000_000, 18)],
    ] as const) {
      for (const who of [signers.admin, signers.buyer]) {
        await fundFromHolder(symbol, address, who.address, amount / 2n);
        await (await erc20(address).connect(who).getFunction("approve")(fundAddress, ethers.MaxUint256)).wait();
      }
    }
    await fund.connect(signers.admin).depositCapital(MAINNET.USDC, units(500_000, 6));
    await fund.connect(signers.admin).depositCapital(MAINNET.USDT, units(500_000, 6));
    await fund.connect(signers.admin).depositCapital(MAINNET.DAI, units(500_000, 18));
    // A first score may fall at most one day's allowance below the unscored 90 (no clock jump on the fork).
    await fund.connect(signers.oracle).updateProtocolRisk(PROTOCOLS.aave, 80, 80, 80, 80, 80);
    snapshot = (await rpc("evm_snapshot")) as string;
  });

  afterEach(async () => {
    await rpc("evm_revert", [snapshot]);
    snapshot = (await rpc("evm_snapshot")) as string;
  });

  after(async () => {
    await rpc("evm_revert", [outerSnapshot]);
  });

  it("wires the fund and the adapter to the mainnet addresses", async () => {
    expect(await fund.stablecoins()).to.deep.equal([MAINNET.USDC, MAINNET.USDT, MAINNET.DAI]);
    expect(await erc20(MAINNET.USDC).getFunction("decimals")()).to.equal(6n);
    expect(await erc20(MAINNET.USDT).getFunction("decimals")()).to.equal(6n);
    expect(await erc20(MAINNET.DAI).getFunction("decimals")()).to.equal(18n);
    expect(await adapter.nexusCover()).to.equal(MAINNET.nexus.cover);
    expect(await adapter.nexusClaims()).to.equal(MAINNET.nexus.claims);
    // read from Cover.coverNFT() at construction: proves the Cover at that address knows the NFT
    expect(await adapter.nexusCoverNFT()).to.equal(MAINNET.nexus.coverNFT);
  });

  it("prices and books a self-insured USDT cover (no return values) and pays capital out in USDT", async () => {
    const amount = units(100_000, 6);
    const premium = await fund.quotePremium(PROTOCOLS.aave, MAINNET.USDT, amount, DURATION);
    const usdt = erc20(MAINNET.USDT);
    const buyerBefore = (await usdt.getFunction("balanceOf")(signers.buyer.address)) as bigint;
    const poolBefore = await fund.poolBalance(MAINNET.USDT);
    await fund.connect(signers.buyer).purchaseProtocolCoverage(PROTOCOLS.aave, MAINNET.USDT, amount, DURATION, premium, signers.beneficiary.address, 0, "0x");
    expect(await usdt.getFunction("balanceOf")(signers.buyer.address)).to.equal(buyerBefore - premium);
    expect(await fund.poolBalance(MAINNET.USDT)).to.equal(poolBefore + premium);
    expect(await fund.getSelfInsuredCoverage(MAINNET.USDT)).to.equal(amount);
    const adminBefore = (await usdt.getFunction("balanceOf")(signers.admin.address)) as bigint;
    await fund.connect(signers.admin).withdrawCapital(MAINNET.USDT, units(1_000, 6), signers.admin.address);
    expect(await usdt.getFunction("balanceOf")(signers.admin.address)).to.equal(adminBefore + units(1_000, 6));
    expect(await usdt.getFunction("balanceOf")(fundAddress)).to.equal(poolBefore + premium - units(1_000, 6));
  });

  it("books DAI (18 decimals) coverage in wad exposure", async () => {
    const amount = units(50_000, 18);
    const premium = await fund.quotePremium(PROTOCOLS.aave, MAINNET.DAI, amount, DURATION);
    await fund.connect(signers.buyer).purchaseProtocolCoverage(PROTOCOLS.aave, MAINNET.DAI, amount, DURATION, premium, signers.beneficiary.address, 0, "0x");
    expect(await fund.getProtocolExposure(PROTOCOLS.aave)).to.equal(amount);
  });

  it("a USDC-blocklisted beneficiary cannot withdraw to itself but can to another address; another beneficiary still can", async () => {
    const amount = units(10_000, 6);
    const payout = units(2_000, 6);
    const premium = await fund.quotePremium(PROTOCOLS.aave, MAINNET.USDC, amount, DURATION);
    for (const b of [signers.beneficiary, signers.other]) {
      await fund.connect(signers.buyer).purchaseProtocolCoverage(PROTOCOLS.aave, MAINNET.USDC, amount, DURATION, premium, b.address, 0, "0x");
    }
    await time.increase(DAY);
    for (const [i, b] of [signers.beneficiary, signers.other].entries()) {
      await fund.connect(b).submitClaim(BigInt(i + 1), payout, (await time.latest()) - 60, "exploit", "0x");
      await fund.connect(signers.assessor).assessClaim(BigInt(i + 1), true, payout);
    }
    await time.increase((await fund.parameters()).challengePeriod);
    for (const i of [1n, 2n]) await fund.settleClaim(i);
    await setUsdcBlocked(signers.beneficiary.address, true);
    const usdc = await ethers.getContractAt("IERC20", MAINNET.USDC);
    await expect(fund.connect(signers.beneficiary).withdrawPayout(MAINNET.USDC, signers.beneficiary.address)).to.be.revertedWith(
      "Blacklistable: account is blacklisted",
    );
    await expect(fund.connect(signers.other).withdrawPayout(MAINNET.USDC, signers.other.address)).to.changeTokenBalance(usdc, signers.other, payout);
    expect(await fund.creditedPayout(signers.beneficiary.address, MAINNET.USDC)).to.equal(payout);
    await expect(fund.connect(signers.beneficiary).withdrawPayout(MAINNET.USDC, signers.buyer.address)).to.changeTokenBalance(usdc, signers.buyer, payout);
  });

  describe("Nexus Mutual through the adapter", () => {
    it("maps the cover assets the adapter uses to the same tokens as Nexus; DAI is no longer one", async function () {
      if (!(await env.nexusDeployed())) this.skip();
      expect(await env.nexusCoverAssetToken(NEXUS_COVER_ASSET.USDC)).to.equal(MAINNET.USDC);
      expect(await env.nexusCoverAssetToken(NEXUS_DAI_ASSET_ID)).to.equal(ethers.ZeroAddress); // abandoned in the v3 pool migration
      expect((await adapter.coverAssetOf(MAINNET.DAI))[0]).to.equal(false);
      // even an admin mistake mapping DAI -> 1 does not make DAI hedgeable: isSupported asks the Pool
      const [candidate] = await env.nexusCandidates();
      await adapter.connect(signers.admin).setProduct(PROTOCOLS.aave, candidate!.productId);
      expect(await adapter.isSupported(PROTOCOLS.aave, MAINNET.USDC)).to.equal(true);
      await adapter.connect(signers.admin).setCoverAsset(MAINNET.DAI, NEXUS_DAI_ASSET_ID);
      expect(await adapter.isSupported(PROTOCOLS.aave, MAINNET.DAI)).to.equal(false);
      await adapter.connect(signers.admin).removeCoverAsset(MAINNET.DAI);
    });

    it("buys cover for a live product and pool, held by the adapter, then files a claim", async function () {
      if (!(await env.nexusDeployed())) this.skip();
      if (!(await env.makeNexusMember(await adapter.getAddress()))) {
        console.log("      (membership could not be set on this fork: buyCover not attempted)");
        this.skip();
      }
      // the fund's price must cover the upstream price: use the maximum base rate
      const params = await fund.parameters();
      await fund.connect(signers.admin).setParameters({
        baseRateBps: 2_000,
        reserveRatioBps: params.reserveRatioBps,
        maxRiskDecreasePerDay: params.maxRiskDecreasePerDay,
        renewalWindow: params.renewalWindow,
        claimGracePeriod: params.claimGracePeriod,
        maxCoveragePerProtocol: params.maxCoveragePerProtocol,
        challengePeriod: params.challengePeriod,
        dailyPayoutLimitBps: params.dailyPayoutLimitBps,
      });
      const amount = units(10_000, 6);
      const premium = await fund.quotePremium(PROTOCOLS.aave, MAINNET.USDC, amount, DURATION);
      let bought: { productId: number; poolId: number } | undefined;
      for (const candidate of await env.nexusCandidates()) {
        await adapter.connect(signers.admin).setProduct(PROTOCOLS.aave, candidate.productId);
        const args = [PROTOCOLS.aave, MAINNET.USDC, amount, DURATION, premium, signers.beneficiary.address, 1, nexusQuote(amount, candidate.poolId)] as const;
        try {
          await fund.connect(signers.buyer).purchaseProtocolCoverage.staticCall(...args);
        } catch {
          continue;
        }
        await fund.connect(signers.buyer).purchaseProtocolCoverage(...args);
        bought = candidate;
        break;
      }
      expect(bought, "no (product, pool) accepted a 10,000 USDC cover at this block").to.not.equal(undefined);
      console.log(`      bought Nexus product ${bought!.productId} from pool ${bought!.poolId}`);
      const coverage = await fund.getCoverageDetails(1n);
      const nft = new ethers.Contract(MAINNET.nexus.coverNFT, ["function ownerOf(uint256) view returns (address)"], ethers.provider);
      expect(await nft.getFunction("ownerOf")(coverage.providerCoverId)).to.equal(await adapter.getAddress());
      const pool = await fund.poolBalance(MAINNET.USDC);
      expect(pool).to.be.greaterThan(units(500_000, 6)); // kept a margin: upstream premium < fund premium
      expect(pool).to.be.lessThanOrEqual(units(500_000, 6) + premium);
      expect(await erc20(MAINNET.USDC).getFunction("balanceOf")(await adapter.getAddress())).to.equal(0n);

      await time.increase(DAY);
      const deposit = await adapter.claimDeposit(coverage.providerCoverId, units(1_000, 6));
      await expect(
        fund.connect(signers.beneficiary).submitClaim(1n, units(1_000, 6), await time.latest(), "exploit", claimProof({ reason: "evidence" }), { value: deposit }),
      ).to.emit(fund, "ClaimSubmitted");
      const claim = await fund.getClaim(1n);
      const [status] = await adapter.claimStatus(claim.providerClaimId);
      expect(status).to.equal(1n); // Pending: assessment has started upstream
      await expect(fund.settleClaim(1n)).to.be.revertedWithCustomError(fund, "FundClaimNotSettleable").withArgs(1n, 1);
    });
  });
}
