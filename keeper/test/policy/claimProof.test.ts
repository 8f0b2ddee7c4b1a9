import { expect } from "chai";

import { cidV0Of } from "../../src/lib/cid";
import {
  ClaimProofError,
  buildNexusClaimProof,
  claimProofBytes,
  nexusClaimEvidence,
  nexusClaimProofSchema,
  publicLink,
} from "../../src/policy/claimProof";
import type { EvidencePack } from "../../src/policy/evidence";

const BENEFICIARY = "0x70997970C51812dc3A010C7d01b50e0d17dc79C8";
const PACK: EvidencePack = {
  version: 1,
  incident: {
    key: "hack:euler:1678700000:euler finance",
    kind: "hacks-feed",
    protocolId: "euler",
    occurredAt: 1_678_700_000,
    detectedAt: 1_678_703_600,
    description: "Euler Finance drained through donateToReserves",
    exploitTxHash: "0xc310a0affe2169d1f6feec1c63dbc7f7c62a887fa48795d327d4d2da2d6b111d",
    lossUsd: 197_000_000.4,
    link: "https://user:secret@rekt.news/euler-rekt/?key=abc#top",
  },
  tvlSeries: [
    { date: 1_678_600_000, tvlUsd: 264_000_000 },
    { date: 1_678_800_000, tvlUsd: 12_000_000 },
  ],
  sources: [{ name: "hacks", url: "https://pro-api.llama.fi/<redacted>", fetchedAt: 1_678_703_600, sha256: "ab".repeat(32) }],
  coverages: [],
  positions: [],
};

describe("policy/claimProof (Nexus claim proof)", () => {
  const base = {
    pack: PACK,
    providerCoverId: 4_321n,
    affectedAddresses: [BENEFICIARY, BENEFICIARY.toLowerCase()],
    requested: { amount: 28_500_500_000n, symbol: "USDC", decimals: 6 },
    packCid: "QmT78zSuBmuS4z925WZfrqQ1qHaJ56DQaTfyMUF7F8ff5o",
  };

  it("builds a proof @nexusmutual/sdk's claimProofSchema 1.0 accepts, with the mandatory and optional fields", () => {
    const proof = buildNexusClaimProof(base);
    expect(nexusClaimProofSchema.safeParse(proof).success).to.equal(true);
    expect(proof.version).to.equal("1.0");
    expect(proof.coverId).to.equal(4321);
    expect(proof.affectedChain).to.equal("Ethereum");
    expect(proof.affectedAddresses).to.deep.equal([BENEFICIARY]); // deduplicated case-insensitively
    expect(proof.incidentTransactionHashes).to.deep.equal([PACK.incident.exploitTxHash]);
    expect(proof.attachedFilesHashes).to.deep.equal([base.packCid]);
    expect(proof.incidentDescription).to.contain("Euler Finance drained");
    expect(proof.incidentDescription).to.contain("2023-03-13T09:33:20Z");
    expect(proof.incidentDescription).to.contain("Requested payout: 28500.5 USDC on Nexus cover 4321");
    expect(proof.incidentDescription).to.contain(`ipfs://${base.packCid}`);
  });

  it("never carries secrets: the incident link loses credentials, query and fragment; sources are not copied", () => {
    const proof = buildNexusClaimProof(base);
    expect(proof.incidentEvidenceLinks).to.deep.equal(["https://rekt.news/euler-rekt/"]);
    const text = new TextDecoder().decode(claimProofBytes(proof));
    for (const secret of ["secret", "key=abc", "pro-api", "user:"]) expect(text).to.not.contain(secret);
    expect(publicLink("javascript:alert(1)")).to.equal(undefined);
    expect(publicLink("not a url")).to.equal(undefined);
  });

  it("omits optional fields it cannot fill (an empty optional array would fail the sdk schema)", () => {
    const { exploitTxHash: _t, link: _l, ...incident } = PACK.incident;
    const proof = buildNexusClaimProof({ pack: { ...PACK, incident }, providerCoverId: 1n, affectedAddresses: [BENEFICIARY] });
    expect(proof).to.not.have.any.keys("incidentTransactionHashes", "incidentEvidenceLinks", "attachedFilesHashes");
    expect(nexusClaimProofSchema.safeParse(proof).success).to.equal(true);
  });

  it("rejects inputs that cannot make a valid proof, naming the field", () => {
    expect(() => buildNexusClaimProof({ ...base, affectedAddresses: [] })).to.throw(ClaimProofError, /affectedAddresses/);
    expect(() => buildNexusClaimProof({ ...base, affectedAddresses: ["0x1234"] })).to.throw(ClaimProofError, /affectedAddresses/);
    expect(() => buildNexusClaimProof({ ...base, providerCoverId: 0n })).to.throw(ClaimProofError, /coverId/);
    expect(() => buildNexusClaimProof({ ...base, providerCoverId: 2n ** 60n })).to.throw(ClaimProofError, /coverId/);
  });

  it("serialises canonically: the same proof always has the same bytes and CID", () => {
    const a = claimProofBytes(buildNexusClaimProof(base));
    const b = claimProofBytes(buildNexusClaimProof({ ...base, affectedAddresses: [BENEFICIARY.toLowerCase(), BENEFICIARY] }));
    const text = new TextDecoder().decode(a);
    expect(text.startsWith('{"affectedAddresses":')).to.equal(true); // sorted keys, no whitespace
    expect(cidV0Of(a).cid).to.equal(cidV0Of(claimProofBytes(buildNexusClaimProof(base))).cid);
    expect(b.length).to.be.greaterThan(0);
  });

  it("evidence = the proof's 34-byte multihash followed by the pack bytes", () => {
    const proofCid = cidV0Of(claimProofBytes(buildNexusClaimProof(base)));
    const pack = new TextEncoder().encode('{"version":1}');
    const evidence = nexusClaimEvidence(proofCid.multihash, pack);
    expect(evidence.length).to.equal(34 + pack.length);
    expect(`0x${Buffer.from(evidence.subarray(0, 34)).toString("hex")}`).to.equal(proofCid.multihash);
    expect(`0x${Buffer.from(evidence.subarray(2, 34)).toString("hex")}`).to.equal(proofCid.digest); // ipfsMetadata
    expect(Buffer.from(evidence.subarray(34)).toString("utf8")).to.equal('{"version":1}');
    expect(() => nexusClaimEvidence(`0x1340${"00".repeat(32)}`, pack)).to.throw(ClaimProofError, /multihash/);
    expect(() => nexusClaimEvidence("0x1220", pack)).to.throw(ClaimProofError);
  });
});
