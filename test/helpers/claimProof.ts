import { concat, getBytes, sha256, toUtf8Bytes } from "ethers";

/**
 * Claim evidence as the Nexus adapter needs it: the 34-byte CIDv0 multihash (0x12 0x20 ‖ sha2-256
 * digest) of the claim proof JSON, followed by the proof itself. The adapter passes the digest to
 * Nexus as `ipfsMetadata`. (A real CIDv0 of an IPFS-added file is the digest of its UnixFS node; the
 * tests only need the shape.)
 */
export function claimProof(proof: string | object = { reason: "exploit" }): string {
  const json = typeof proof === "string" ? proof : JSON.stringify(proof);
  const bytes = toUtf8Bytes(json);
  return concat([new Uint8Array([0x12, 0x20]), getBytes(sha256(bytes)), bytes]);
}

/** The digest a proof's multihash carries (what Nexus stores as ipfsMetadata). */
export function claimProofDigest(evidence: string): string {
  return "0x" + evidence.slice(6, 6 + 64);
}
