/**
 * CIDv0 of a file exactly as Kubo's `ipfs add --cid-version=0` (the default) computes it, without a
 * node: the bytes become one UnixFS `file` node (dag-pb, no raw leaves) whose sha2-256 multihash is the
 * CID. Kubo's default chunker cuts files into 256 KiB chunks; a file of at most one chunk is a single
 * node, so this covers every claim proof and evidence pack up to `MAX_SINGLE_CHUNK_BYTES` and refuses
 * larger inputs (their CID would be a balanced DAG of chunks, which this helper does not build).
 *
 * Libraries: multiformats 9 (CID, sha2-256, base58btc), @ipld/dag-pb 2, ipfs-unixfs 6 (their CommonJS
 * builds). Verified against Kubo's well-known vectors in keeper/test/lib/cid.test.ts.
 * Pure plumbing: no I/O; every layer may import it.
 */
import * as dagPB from "@ipld/dag-pb";
import { UnixFS } from "ipfs-unixfs";
import { CID } from "multiformats/cid";
import { sha256 } from "multiformats/hashes/sha2";

/** Kubo's default chunk size (`size-262144`). */
export const MAX_SINGLE_CHUNK_BYTES = 262_144;

export interface CidV0 {
  /** Base58btc CIDv0, e.g. `QmT78zSuBmuS4z925WZfrqQ1qHaJ56DQaTfyMUF7F8ff5o`. */
  readonly cid: string;
  /** The 34-byte multihash (0x12 0x20 ‖ digest), as `0x` hex. */
  readonly multihash: string;
  /** The 32-byte sha2-256 digest (what Nexus stores as `ipfsMetadata`), as `0x` hex. */
  readonly digest: string;
}

export class CidInputTooLargeError extends Error {
  constructor(readonly size: number) {
    super(`cid: ${size} bytes is more than one ${MAX_SINGLE_CHUNK_BYTES}-byte chunk; this helper only hashes single-chunk files`);
    this.name = "CidInputTooLargeError";
  }
}

function toHex(bytes: Uint8Array): string {
  return `0x${Buffer.from(bytes).toString("hex")}`;
}

/** The CIDv0 Kubo gives `bytes` (`ipfs add --cid-version=0`, default chunker, no raw leaves). */
export function cidV0Of(bytes: Uint8Array): CidV0 {
  if (bytes.length > MAX_SINGLE_CHUNK_BYTES) throw new CidInputTooLargeError(bytes.length);
  const file = new UnixFS({ type: "file", data: bytes });
  const node = dagPB.encode(dagPB.prepare({ Data: file.marshal() }));
  const digest = sha256.digest(node);
  if (digest instanceof Promise) throw new Error("cid: sha2-256 must be synchronous in Node");
  const cid = CID.createV0(digest);
  return { cid: cid.toString(), multihash: toHex(digest.bytes), digest: toHex(digest.digest) };
}

/** The 34-byte multihash of a CIDv0 string (throws on anything that is not a sha2-256 CIDv0). */
export function multihashOfCidV0(cid: string): string {
  const parsed = CID.parse(cid);
  if (parsed.version !== 0) throw new Error(`cid: ${cid} is not a CIDv0`);
  return toHex(parsed.multihash.bytes);
}
