import { expect } from "chai";
import { artifacts } from "hardhat";
import { Interface, type Fragment } from "ethers";

/**
 * Fragments copied (minimal format) from the deployed Nexus Mutual ABIs in
 * `@nexusmutual/deployments@3.4.0` (dist/data/abis/{Cover,Claims,CoverNFT,Registry,Assessments,StakingPool}.json).
 * Our interfaces and mocks must expose exactly these selectors, tuple layouts and event topics.
 */
const DEPLOYED = {
  cover: [
    "error CommissionRateTooHigh()",
    "error CoverAmountIsZero()",
    "error CoverAssetMismatch()",
    "error CoverAssetNotSupported()",
    "error CoverPeriodTooLong()",
    "error CoverPeriodTooShort()",
    "error ExpiredCoversCannotBeEdited()",
    "error InsufficientCoverAmountAllocated()",
    "error InvalidPaymentAsset()",
    "error MustBeOriginalCoverId(uint256)",
    "error OnlyMember()",
    "error OnlyOwnerOrApproved()",
    "error PriceExceedsMaxPremiumInAsset()",
    "error ProductDeprecated()",
    "error ProductNotFound()",
    "error UnexpectedEthSent()",
    "event CoverBought(uint256 indexed,uint256 indexed,uint256 indexed,uint256)",
    "function buyCover((uint256,address,uint24,uint8,uint96,uint32,uint256,uint8,uint16,address,string),(uint256,uint256)[]) payable returns (uint256)",
    "function coverNFT() view returns (address)",
    "function getCoverData(uint256) view returns ((uint24,uint8,uint96,uint32,uint32,uint32,uint16,uint16))",
    "function getCoverDataWithReference(uint256) view returns ((uint24,uint8,uint96,uint32,uint32,uint32,uint16,uint16),(uint32,uint32))",
    "function getCoverReference(uint256) view returns ((uint32,uint32))",
    "function getLatestEditCoverData(uint256) view returns ((uint24,uint8,uint96,uint32,uint32,uint32,uint16,uint16))",
  ],
  coverMockOnly: [
    "error Unauthorized(address,uint256,uint256)",
    "error InsufficientCapacity()", // StakingPool.json
    "function burnStake(uint256,uint256)",
    "function getCoverDataCount() view returns (uint256)",
  ],
  claims: [
    "error AssessmentDepositNotExact()",
    "error CantBuyCoverAndClaimInTheSameBlock()",
    "error ClaimIsBeingAssessed()",
    "error ClaimNotADraw()",
    "error ClaimNotRedeemable()",
    "error CoveredAmountExceeded()",
    "error DepositAlreadyRetrieved()",
    "error GracePeriodPassed()",
    "error InvalidClaimId()",
    "error NotCoverOwner()",
    "error OnlyMember()",
    "error PayoutCanStillBeRedeemed()",
    "event ClaimDepositRetrieved(uint256 indexed,address indexed)",
    "event ClaimPayoutRedeemed(address indexed,uint256,uint256,uint256)",
    "event ClaimSubmitted(address indexed,uint256,uint256 indexed,uint256)",
    "event MetadataSubmitted(uint256 indexed,bytes32)",
    "function CLAIM_DEPOSIT_IN_ETH() view returns (uint256)",
    "function getClaim(uint256) view returns ((uint32,uint96,uint8,uint32,bool,bool))",
    "function getClaimDetails(uint256) view returns ((uint256,(uint32,uint96,uint8,uint32,bool,bool),(uint24,uint8,uint96,uint32,uint32,uint32,uint16,uint16),(uint16,uint32,uint32,uint32,uint8,uint8),uint8,uint8,bool,bytes32))",
    "function getClaimsCount() view returns (uint256)",
    "function lastClaimSubmissionOnCover(uint256) view returns (uint256)",
    "function pool() view returns (address)",
    "function redeemClaimPayout(uint256)",
    "function retrieveDeposit(uint256)",
    "function submitClaim(uint32,uint96,bytes32) payable returns ((uint32,uint96,uint8,uint32,bool,bool))",
  ],
  claimsMockOnly: [
    "function getMemberClaims(uint256) view returns (uint256[])",
    "function cover() view returns (address)",
    "function coverNFT() view returns (address)",
    "function assessments() view returns (address)",
    // Assessments.json
    "function getAssessment(uint256) view returns ((uint16,uint32,uint32,uint32,uint8,uint8))",
    "function minVotingPeriod() pure returns (uint256)",
    "error VotingPeriodEnded()",
    "event AssessmentStarted(uint256 indexed,uint256,uint256,uint256)",
    "event VoteCast(uint256 indexed,address indexed,uint256 indexed,bool,bytes32)",
  ],
  coverNFT: [
    "error InvalidRecipient()",
    "error NotAuthorized()",
    "error NotMinted()",
    "error NotOperator()",
    "error WrongFrom()",
    "function isApprovedOrOwner(address,uint256) view returns (bool)",
    "function ownerOf(uint256) view returns (address)",
    "function totalSupply() view returns (uint256)",
  ],
  coverNFTMockOnly: [
    "event Transfer(address indexed,address indexed,uint256 indexed)",
    "function transferFrom(address,address,uint256)",
    "function approve(address,uint256)",
    "function balanceOf(address) view returns (uint256)",
    "function operator() view returns (address)",
  ],
  registry: [
    "event MembershipChanged(uint256 indexed,address indexed,address indexed)",
    "function getMemberId(address) view returns (uint256)",
    "function isMember(address) view returns (bool)",
  ],
} as const;

async function abiOf(name: string): Promise<Interface> {
  return new Interface((await artifacts.readArtifact(name)).abi);
}

function findFragment(iface: Interface, expected: string): Fragment | null {
  const wanted = Interface.from([expected]).fragments[0];
  if (!wanted) return null;
  return iface.fragments.find((f) => f.type === wanted.type && f.format("minimal") === wanted.format("minimal")) ?? null;
}

function expectAll(iface: Interface, fragments: readonly string[], label: string) {
  for (const fragment of fragments) {
    expect(findFragment(iface, fragment), `${label} lacks ${fragment}`).to.not.equal(null);
  }
}

describe("Nexus ABI fidelity (deployed @nexusmutual/deployments@3.4.0)", () => {
  it("INexusCover and MockNexusMutualCover match the deployed Cover", async () => {
    expectAll(await abiOf("INexusCover"), DEPLOYED.cover, "INexusCover");
    expectAll(await abiOf("MockNexusMutualCover"), [...DEPLOYED.cover, ...DEPLOYED.coverMockOnly], "MockNexusMutualCover");
  });

  it("INexusClaims and MockNexusMutualClaims match the deployed Claims (+ Assessments)", async () => {
    expectAll(await abiOf("INexusClaims"), DEPLOYED.claims, "INexusClaims");
    expectAll(
      await abiOf("MockNexusMutualClaims"),
      [...DEPLOYED.claims, ...DEPLOYED.claimsMockOnly],
      "MockNexusMutualClaims",
    );
  });

  it("INexusCoverNFT and MockNexusMutualCoverNFT match the deployed CoverNFT", async () => {
    expectAll(await abiOf("INexusCoverNFT"), DEPLOYED.coverNFT, "INexusCoverNFT");
    expectAll(
      await abiOf("MockNexusMutualCoverNFT"),
      [...DEPLOYED.coverNFT, ...DEPLOYED.coverNFTMockOnly],
      "MockNexusMutualCoverNFT",
    );
  });

  it("INexusRegistry and MockNexusMutualRegistry match the deployed Registry", async () => {
    expectAll(await abiOf("INexusRegistry"), DEPLOYED.registry, "INexusRegistry");
    expectAll(await abiOf("MockNexusMutualRegistry"), DEPLOYED.registry, "MockNexusMutualRegistry");
  });

  it("a missing fragment is detected (the check can fail)", async () => {
    expect(findFragment(await abiOf("INexusCover"), "function buyCover((uint256),(uint256,uint256)[]) payable returns (uint256)")).to.equal(
      null,
    );
  });
});
