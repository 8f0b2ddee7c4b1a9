/**
 * Gas bench: `npm run bench:gas` prints one JSON document with the gas used by the fund's main
 * operations on the in-process Hardhat network, next to the targets from the foundation issue and
 * the original design's figures. Settings are the project's (solc 0.8.28, viaIR, 200 runs, cancun).
 */
import { time } from "@nomicfoundation/hardhat-network-helpers";
import type { ContractTransactionResponse } from "ethers";
import { artifacts, ethers, network } from "hardhat";

import { DAY, deployFundedFund, PROTOCOLS, units } from "../test/helpers/fundFixture";
import { claimProof } from "../test/helpers/claimProof";
import { deploySystem, NEXUS_AAVE_PRODUCT, NEXUS_COVER_ASSET, NEXUS_POOL_ID, nexusQuote } from "../test/helpers/systemFixture";

/** Original design's contract, as measured and quoted in the foundation issue. */
const ORIGINAL = {
  updateProtocolRiskFirst: 160_863,
  updateProtocolRiskRepeat: 47_063,
  updateProtocolRisks20New: 3_114_660,
  purchaseSelfInsuredFirstEver: 370_983,
} as const;

/** EIP-170 (24,576 bytes) minus the 1,500 bytes of headroom the fund v2 issue requires. */
const FUND_CODE_SIZE_LIMIT = 23_076;

const TARGETS = {
  updateProtocolRiskFirst: 55_000,
  updateProtocolRiskRepeat: 33_000,
  updateProtocolRisks20New: 650_000,
  purchaseSelfInsuredFirstEver: 200_000,
} as const;

/** Live coverages of one protocol in `expireCoverageWith400Live`. */
const LIVE_FOR_EXPIRY_BENCH = 400;
/** `expireCoverageWith400Live` may cost at most this multiple of `expireCoverage` (fund v3 issue). */
const EXPIRE_WITH_LIVE_MAX_RATIO = 1.05;

async function gasOf(tx: Promise<ContractTransactionResponse>): Promise<number> {
  const receipt = await (await tx).wait();
  if (receipt === null) throw new Error("no receipt");
  return Number(receipt.gasUsed);
}

function randomAddress(): string {
  return ethers.Wallet.createRandom().address;
}

async function main(): Promise<void> {
  if (network.name !== "hardhat") throw new Error("run the gas bench on the in-process hardhat network");
  // Worst case first: the very first coverage of a fund with no provider registered, so every
  // counter, book and list slot it touches is written from zero.
  const bare = await deployFundedFund();
  const worstSelfInsured = await gasOf(
    bare.fund
      .connect(bare.buyer)
      .purchaseProtocolCoverage(PROTOCOLS.aave, await bare.usdc.getAddress(), units(45_000, 6), 365n * DAY, ethers.MaxUint256, bare.beneficiary.address, 0, "0x"),
  );

  const s = await deploySystem();
  const usdc = await s.usdc.getAddress();
  const dai = await s.dai.getAddress();
  const year = 365n * DAY;
  const gas: Record<string, number> = { purchaseSelfInsuredFirstEver: worstSelfInsured };

  const fresh = randomAddress();
  // A first write may fall one day's allowance below the unscored 90: the keeper's first step (80s)
  // takes the decrease-check path, the costlier one.
  gas.updateProtocolRiskFirst = await gasOf(s.fund.connect(s.oracle).updateProtocolRisk(fresh, 80, 85, 80, 80, 85));
  gas.updateProtocolRiskRepeat = await gasOf(s.fund.connect(s.oracle).updateProtocolRisk(fresh, 82, 85, 80, 80, 85));
  await time.increase(DAY);
  gas.updateProtocolRiskRepeatWithDecrease = await gasOf(
    s.fund.connect(s.oracle).updateProtocolRisk(fresh, 72, 85, 80, 80, 85),
  );
  const batch = Array.from({ length: 20 }, (_, i) => ({
    protocol: randomAddress(),
    tvlStability: 80 + i,
    auditQuality: 85,
    timeSinceDeployment: 80,
    exploitHistory: 80,
    teamReputation: 90,
  }));
  gas.updateProtocolRisks20New = await gasOf(s.fund.connect(s.oracle).updateProtocolRisks(batch));

  // Self-insured in a running fund: the first coverage of a protocol in an asset, then another asset.
  gas.purchaseSelfInsured = await gasOf(
    s.fund
      .connect(s.buyer)
      .purchaseProtocolCoverage(PROTOCOLS.curve, usdc, units(38_000, 6), year, ethers.MaxUint256, s.beneficiary.address, 0, "0x"),
  );
  gas.purchaseSelfInsuredRepeat = await gasOf(
    s.fund
      .connect(s.buyer)
      .purchaseProtocolCoverage(PROTOCOLS.curve, dai, units(10_000, 18), year, ethers.MaxUint256, s.beneficiary.address, 0, "0x"),
  );
  const hedgedAmount = units(45_000, 6);
  gas.purchaseHedgedNexus = await gasOf(
    s.fund
      .connect(s.buyer)
      .purchaseProtocolCoverage(PROTOCOLS.aave, usdc, hedgedAmount, 180n * DAY, ethers.MaxUint256, s.beneficiary.address, s.NEXUS, nexusQuote(hedgedAmount)),
  );
  const hedgedId = await s.fund.coverageCount();
  // The same cover bought straight from the (mock) Nexus Cover by a member, so the fund + adapter
  // overhead is visible next to purchaseHedgedNexus.
  await s.nexusRegistry.connect(s.admin).mockNexusSetMember(s.buyer.address, true);
  await s.usdc.connect(s.buyer).approve(await s.nexusCover.getAddress(), ethers.MaxUint256);
  gas.purchaseHedgedNexusDirect = await gasOf(
    s.nexusCover.connect(s.buyer).buyCover(
      {
        coverId: 0,
        owner: s.buyer.address,
        productId: NEXUS_AAVE_PRODUCT,
        coverAsset: NEXUS_COVER_ASSET.USDC,
        amount: hedgedAmount,
        period: 180n * DAY,
        maxPremiumInAsset: ethers.MaxUint256,
        paymentAsset: NEXUS_COVER_ASSET.USDC,
        commissionRatio: 0,
        commissionDestination: ethers.ZeroAddress,
        ipfsData: "",
      },
      [{ poolId: NEXUS_POOL_ID, coverAmountInAsset: hedgedAmount }],
    ),
  );

  // Renewal inside the window: hedged first (a Nexus edit), self-insured after the claim.
  const hedged = await s.fund.getCoverageDetails(hedgedId);
  await time.increaseTo(hedged.end - 20n * DAY);
  gas.renewCoverageHedgedNexus = await gasOf(
    s.fund.connect(s.beneficiary).renewCoverage(hedgedId, 90n * DAY, hedgedAmount, ethers.MaxUint256, nexusQuote(hedgedAmount)),
  );

  const providerCoverId = (await s.fund.getCoverageDetails(hedgedId)).providerCoverId;
  const claimAmount = units(28_500, 6);
  const deposit = await s.adapter.claimDeposit(providerCoverId, claimAmount);
  await time.increase(DAY);
  gas.submitClaimHedgedNexus = await gasOf(
    s.fund
      .connect(s.beneficiary)
      .submitClaim(hedgedId, claimAmount, await time.latest(), "exploit", claimProof({ reason: "evidence-pack" }), { value: deposit }),
  );
  const claimId = await s.fund.claimCount();
  await s.nexusClaims.connect(s.admin).mockNexusCastVote((await s.fund.getClaim(claimId)).providerClaimId, true);
  await time.increase(5n * DAY);
  gas.settleClaimHedgedNexus = await gasOf(s.fund.settleClaim(claimId));
  gas.withdrawPayout = await gasOf(s.fund.connect(s.beneficiary).withdrawPayout(usdc, s.beneficiary.address));

  // A self-insured claim (coverage 2: curve, DAI), accepted, disputed by the guardian, reinstated.
  gas.submitClaimSelfInsured = await gasOf(
    s.fund.connect(s.beneficiary).submitClaim(2n, units(1_000, 18), await time.latest(), "exploit", "0x"),
  );
  const selfClaimId = await s.fund.claimCount();
  await s.fund.connect(s.assessor).assessClaim(selfClaimId, true, units(1_000, 18));
  await s.fund.connect(s.guardian).vetoPayout(selfClaimId);
  gas.reinstateClaim = await gasOf(s.fund.connect(s.admin).reinstateClaim(selfClaimId));

  // Draw griefing: a Nexus claim ends in a draw, an outsider retrieves the deposit upstream first
  // (it lands in the adapter, the cover NFT owner); settling still closes the claim.
  const drawAmount = units(20_000, 6);
  await s.fund
    .connect(s.buyer)
    .purchaseProtocolCoverage(PROTOCOLS.aave, usdc, drawAmount, 180n * DAY, ethers.MaxUint256, s.beneficiary.address, s.NEXUS, nexusQuote(drawAmount));
  const drawId = await s.fund.coverageCount();
  await time.increase(DAY);
  const drawDeposit = await s.adapter.claimDeposit((await s.fund.getCoverageDetails(drawId)).providerCoverId, drawAmount);
  await s.fund
    .connect(s.beneficiary)
    .submitClaim(drawId, drawAmount, await time.latest(), "exploit", claimProof({ reason: "draw" }), { value: drawDeposit });
  const drawClaimId = await s.fund.claimCount();
  const drawProviderClaimId = (await s.fund.getClaim(drawClaimId)).providerClaimId;
  await s.nexusClaims.connect(s.admin).mockNexusCastVote(drawProviderClaimId, true);
  await s.nexusClaims.connect(s.admin).mockNexusCastVote(drawProviderClaimId, false);
  await time.increase(5n * DAY);
  await s.nexusClaims.connect(s.stranger).retrieveDeposit(drawProviderClaimId);
  gas.settleClaimDrawAfterOutsiderRetrieve = await gasOf(s.fund.connect(s.stranger).settleClaim(drawClaimId));

  await time.increaseTo((await s.fund.getCoverageDetails(1n)).end - 20n * DAY);
  gas.renewCoverageSelfInsured = await gasOf(
    s.fund.connect(s.beneficiary).renewCoverage(1n, 90n * DAY, units(38_000, 6), ethers.MaxUint256, "0x"),
  );

  // Expiry: one, then a sweep of 20 self-insured coverages.
  const sweepIds: bigint[] = [];
  for (let i = 0; i < 21; i++) {
    await s.fund
      .connect(s.buyer)
      .purchaseProtocolCoverage(PROTOCOLS.compound, usdc, units(1_000, 6), 30n * DAY, ethers.MaxUint256, s.beneficiary.address, 0, "0x");
    sweepIds.push(await s.fund.coverageCount());
  }
  // The same expiry with 400 live coverages of one protocol (1-unit "dust" cover): unlinking is O(1).
  const crowded = randomAddress();
  const crowdedIds: bigint[] = [];
  for (let i = 0; i < LIVE_FOR_EXPIRY_BENCH; i++) {
    await s.fund
      .connect(s.buyer)
      .purchaseProtocolCoverage(crowded, usdc, 1n, 30n * DAY, ethers.MaxUint256, s.beneficiary.address, 0, "0x");
    crowdedIds.push(await s.fund.coverageCount());
  }
  // Expirable once the claim window (end + claimGracePeriod) closed.
  await time.increase(61n * DAY);
  gas.expireCoverage = await gasOf(s.fund.expireCoverage(sweepIds[0]!));
  gas.expireCoverageWith400Live = await gasOf(s.fund.expireCoverage(crowdedIds[0]!));
  gas.expireCoverages20 = await gasOf(s.fund.expireCoverages(sweepIds.slice(1)));

  // The keeper's halt of one protocol's sales.
  gas.reportIncident = await gasOf(
    s.fund.connect(s.oracle).reportIncident(PROTOCOLS.aave, (await time.latest()) - 600, ethers.id("suspected drain")),
  );
  // The admin voids it as a false alarm (the halt ends, the exclusion disappears).
  const reportIndex = (await s.fund.getIncidentHistory(PROTOCOLS.aave)).length - 1;
  gas.voidIncident = await gasOf(s.fund.connect(s.admin).voidIncident(PROTOCOLS.aave, reportIndex));

  const checks: Record<string, { gas: number | undefined; target: number; original?: number; withinTarget: boolean }> =
    Object.fromEntries(
      (Object.keys(TARGETS) as (keyof typeof TARGETS)[]).map((k) => [
        k,
        { gas: gas[k], target: TARGETS[k], original: ORIGINAL[k], withinTarget: (gas[k] ?? Infinity) <= TARGETS[k] },
      ]),
    );
  // Removing a coverage from the live list is O(1): with 400 live coverages, at most 5% above one.
  const expireTarget = Math.floor((gas.expireCoverage ?? 0) * EXPIRE_WITH_LIVE_MAX_RATIO);
  checks.expireCoverageWith400Live = {
    gas: gas.expireCoverageWith400Live,
    target: expireTarget,
    withinTarget: (gas.expireCoverageWith400Live ?? Infinity) <= expireTarget,
  };
  const fundCode = await ethers.provider.getCode(await s.fund.getAddress());
  const fundCodeSizeBytes = (fundCode.length - 2) / 2;
  const codeSizeWithinLimit = fundCodeSizeBytes <= FUND_CODE_SIZE_LIMIT;
  const allWithinTargets = Object.values(checks).every((c) => c.withinTarget) && codeSizeWithinLimit;
  const librarySizes: Record<string, number> = {};
  for (const name of ["ClaimLogic", "CoverageLogic", "IncidentLogic"]) {
    const artifact = await artifacts.readArtifact(name);
    librarySizes[name] = (artifact.deployedBytecode.length - 2) / 2;
  }
  console.log(
    JSON.stringify(
      {
        compiler: { solc: "0.8.28", viaIR: true, optimizerRuns: 200, evmVersion: "cancun" },
        fundCodeSizeBytes,
        fundCodeSizeLimit: FUND_CODE_SIZE_LIMIT,
        codeSizeWithinLimit,
        librarySizeBytes: librarySizes,
        gas,
        targets: checks,
        allWithinTargets,
      },
      null,
      2,
    ),
  );
  // A gas regression past a target, or the fund above the code size limit, fails the bench (and CI).
  if (!allWithinTargets) process.exitCode = 1;
}

main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
