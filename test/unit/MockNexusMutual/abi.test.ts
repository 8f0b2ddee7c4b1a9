import { expect } from "chai";
import { artifacts } from "hardhat";
import { Interface, type Fragment, FunctionFragment } from "ethers";
import { abis, addresses } from "@nexusmutual/deployments";
import deploymentsPackage from "@nexusmutual/deployments/package.json";

import mainnetParameters from "../../../deploy/parameters/mainnet.json";
import { MAINNET_NEXUS } from "../../../deploy/config/mainnet";
import { MAINNET } from "../../fork/mainnet";

/**
 * Every fragment (function, event, error) of our Nexus interfaces and mocks is checked against the
 * deployed ABIs shipped in `@nexusmutual/deployments` (a devDependency), instead of hand-copied
 * fragments: same selector/topic, same parameter types and `indexed` flags, same outputs and the same
 * payable-ness. Mock-only fragments are either test controls (`mockNexus*`) or listed below with the
 * reason they exist.
 */
type DeployedName = keyof typeof abis;

const OWNABLE = [
  "owner",
  "transferOwnership",
  "renounceOwnership",
  "OwnershipTransferred",
  "OwnableUnauthorizedAccount",
  "OwnableInvalidOwner",
];
const LIBRARY_ERRORS = ["SafeCastOverflowedUintDowncast", "SafeERC20FailedOperation", "ECDSAInvalidSignature"];

/** Our artifact → the deployed contracts it stands for, and the mock-only names it may add. */
const TARGETS: { artifact: string; deployed: DeployedName[]; mockOnly?: string[] }[] = [
  { artifact: "INexusCover", deployed: ["Cover"] },
  { artifact: "INexusClaims", deployed: ["Claims"] },
  { artifact: "INexusCoverNFT", deployed: ["CoverNFT"] },
  { artifact: "INexusCoverProducts", deployed: ["CoverProducts"] },
  { artifact: "INexusPool", deployed: ["Pool"] },
  { artifact: "INexusRegistry", deployed: ["Registry"] },
  { artifact: "INexusAssessments", deployed: ["Assessments"] },
  {
    artifact: "MockNexusMutualCover",
    deployed: ["Cover", "StakingPool"], // InsufficientCapacity is the StakingPool's error
    mockOnly: [
      ...OWNABLE,
      ...LIBRARY_ERRORS,
      "MIN_COVER_PERIOD", // constants the real Cover keeps private
      "MAX_COVER_PERIOD",
      "GRACE_PERIOD",
      "DEFAULT_NXM_PRICE_IN_UNITS",
      "DEFAULT_POOL_ID",
    ],
  },
  {
    artifact: "MockNexusMutualClaims",
    deployed: ["Claims"],
    mockOnly: [...OWNABLE, "FIRST_CLAIM_ID"],
  },
  {
    artifact: "MockNexusMutualAssessments",
    deployed: ["Assessments"],
    mockOnly: [...OWNABLE, ...LIBRARY_ERRORS, "VOTING_PERIOD", "claims", "getGroupAssessors"],
  },
  {
    artifact: "MockNexusMutualCoverProducts",
    deployed: ["CoverProducts"],
    mockOnly: [...OWNABLE, "cover", "getProductTypeCount"],
  },
  {
    artifact: "MockNexusMutualPool",
    deployed: ["Pool"],
    mockOnly: [...OWNABLE, ...LIBRARY_ERRORS, "cover", "claims"],
  },
  {
    artifact: "MockNexusMutualRegistry",
    deployed: ["Registry"],
    mockOnly: [...OWNABLE, "pool", "ECDSAInvalidSignatureLength", "ECDSAInvalidSignatureS"],
  },
  {
    artifact: "MockNexusMutualCoverNFT",
    deployed: ["CoverNFT"],
    mockOnly: ["operator"], // the real NFT's operator is read through the Registry
  },
];

/** Signature, outputs and payable-ness of a fragment; names are ignored (only types reach the chain). */
function shape(fragment: Fragment): string {
  const base = fragment.format("sighash");
  if (fragment.type === "event") return `${base}:${(fragment as unknown as { inputs: { indexed: boolean }[] }).inputs.map((i) => (i.indexed ? 1 : 0)).join("")}`;
  if (fragment instanceof FunctionFragment) {
    return `${base}->(${fragment.outputs.map((o) => o.format("sighash")).join(",")})${fragment.payable ? " payable" : ""}`;
  }
  return base;
}

function named(fragment: Fragment): string | undefined {
  return "name" in fragment ? (fragment as { name: string }).name : undefined;
}

function deployedShapes(names: DeployedName[]): Set<string> {
  const shapes = new Set<string>();
  for (const name of names) {
    for (const fragment of new Interface(abis[name] as never).fragments) {
      if (fragment.type === "function" || fragment.type === "event" || fragment.type === "error") shapes.add(shape(fragment));
    }
  }
  return shapes;
}

/** Fragments of `iface` that are neither in the deployed ABIs nor allowed mock-only names. */
function unmatched(iface: Interface, deployed: Set<string>, mockOnly: readonly string[]): string[] {
  return iface.fragments
    .filter((f) => f.type === "function" || f.type === "event" || f.type === "error")
    .filter((f) => {
      const name = named(f) ?? "";
      return !name.startsWith("mockNexus") && !mockOnly.includes(name) && !deployed.has(shape(f));
    })
    .map((f) => f.format("sighash"));
}

describe(`Nexus ABI fidelity (@nexusmutual/deployments@${deploymentsPackage.version})`, () => {
  it("pins the deployments release the adapter was verified against", () => {
    expect(deploymentsPackage.version).to.equal("3.4.0");
  });

  for (const target of TARGETS) {
    it(`${target.artifact}: every fragment is in the deployed ${target.deployed.join(" + ")} ABI`, async () => {
      const iface = new Interface((await artifacts.readArtifact(target.artifact)).abi);
      expect(unmatched(iface, deployedShapes(target.deployed), target.mockOnly ?? [])).to.deep.equal([]);
    });
  }

  it("the adapter-facing functions exist with the exact deployed shapes", () => {
    const expectIn = (name: DeployedName, signatures: string[]) => {
      const shapes = deployedShapes([name]);
      for (const s of signatures) expect(shapes.has(s), `${name} lacks ${s}`).to.equal(true);
    };
    expectIn("Cover", [
      "buyCover((uint256,address,uint24,uint8,uint96,uint32,uint256,uint8,uint16,address,string),(uint256,uint256)[])->(uint256) payable",
      "getCoverReference(uint256)->((uint32,uint32))",
      "coverProducts()->(address)",
      "pool()->(address)",
      "registry()->(address)",
    ]);
    expectIn("Claims", ["submitClaim(uint32,uint96,bytes32)->((uint32,uint96,uint8,uint32,bool,bool)) payable", "retrieveDeposit(uint256)->()"]);
    expectIn("Registry", ["join(address,bytes)->() payable", "JOIN_FEE()->(uint256)"]);
    expectIn("CoverProducts", [
      "getProductWithType(uint256)->((uint16,uint16,uint144,uint32,uint16,uint16,bool,bool),(uint8,uint32,uint32,uint32))",
    ]);
    expectIn("Pool", ["getAsset(uint256)->((address,bool,bool))"]);
  });

  it("the check can fail: a wrong tuple, a missing name or a lost payable are reported", () => {
    const deployed = deployedShapes(["Cover"]);
    const wrong = new Interface([
      "function buyCover((uint256,address,uint24,uint8,uint96,uint32,uint256,uint8,uint16,address),(uint256,uint256)[]) payable returns (uint256)",
      "function buyCover((uint256,address,uint24,uint8,uint96,uint32,uint256,uint8,uint16,address,string),(uint256,uint256)[]) returns (uint256)",
      "error PriceTooHigh()",
    ]);
    expect(unmatched(wrong, deployed, [])).to.have.length(3);
  });

  it("mainnet addresses in deploy config, parameters and the fork suite are the deployed ones", () => {
    expect(MAINNET_NEXUS.Cover).to.equal(addresses.Cover);
    expect(MAINNET_NEXUS.Claims).to.equal(addresses.Claims);
    expect(MAINNET_NEXUS.Registry).to.equal(addresses.Registry);
    expect(MAINNET_NEXUS.CoverProducts).to.equal(addresses.CoverProducts);
    expect(mainnetParameters.MainnetNexus.cover).to.equal(addresses.Cover);
    expect(mainnetParameters.MainnetNexus.claims).to.equal(addresses.Claims);
    expect(MAINNET.nexus.cover).to.equal(addresses.Cover);
    expect(MAINNET.nexus.claims).to.equal(addresses.Claims);
    expect(MAINNET.nexus.coverNFT).to.equal(addresses.CoverNFT);
    expect(MAINNET.nexus.registry).to.equal(addresses.Registry);
    expect(MAINNET.nexus.coverProducts).to.equal(addresses.CoverProducts);
    expect(MAINNET.nexus.pool).to.equal(addresses.Pool);
    expect(MAINNET.USDC).to.equal(addresses.USDC);
  });
});
