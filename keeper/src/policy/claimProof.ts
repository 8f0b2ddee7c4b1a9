/**
 * PURE builder of the Nexus Mutual claim proof and of the `evidence` bytes a hedged Nexus claim sends.
 *
 * Nexus assessors read a claim's proof of loss from IPFS: `Claims.submitClaim(coverId, amount,
 * ipfsMetadata)` stores `ipfsMetadata` = the sha2-256 digest of the proof's CIDv0. The proof is a JSON
 * document validated by `@nexusmutual/sdk` (`claimProofSchema`, version "1.0"):
 *   { version: "1.0", coverId: positive int, affectedChain: non-empty, affectedAddresses: [address, ...]
 *     (at least one), incidentDescription: non-empty, incidentTransactionHashes?: [non-empty, ...],
 *     incidentEvidenceLinks?: [url, ...], attachedFilesHashes?: [non-empty, ...] }
 * (optional arrays, when present, hold at least one element). This module builds that document from
 * the keeper's evidence pack and serialises it canonically, so its CID is reproducible by anyone.
 *
 * The fund forwards a claim's `evidence` bytes to the adapter, which requires them to START with the
 * proof's 34-byte CIDv0 multihash (0x12 0x20 ‖ digest): `evidence = multihash ‖ utf8(pack JSON)`.
 * Nothing secret enters the proof: the incident description, the exploit transaction hash, one public
 * incident link (credentials, query and fragment removed), the beneficiary addresses already on chain,
 * and the evidence pack's CID.
 */
import { z } from "zod";
import { canonicalJson, type EvidencePack } from "./evidence";

export const NEXUS_CLAIM_PROOF_VERSION = "1.0" as const;
/** The chain name Nexus's claim form uses for Ethereum mainnet. */
export const NEXUS_AFFECTED_CHAIN = "Ethereum";

const ethereumAddress = /^0x[a-fA-F0-9]{40}$/;
const txHash = /^0x[a-fA-F0-9]{64}$/;

/** Mirror of `@nexusmutual/sdk` `claimProofSchema` version "1.0" (the one with plain address strings). */
export const nexusClaimProofSchema = z
  .object({
    version: z.literal(NEXUS_CLAIM_PROOF_VERSION),
    coverId: z.number().int().positive(),
    affectedChain: z.string().min(1),
    affectedAddresses: z.array(z.string().regex(ethereumAddress, "Invalid Ethereum address")).min(1),
    incidentDescription: z.string().min(1),
    incidentTransactionHashes: z.array(z.string().min(1)).min(1).optional(),
    incidentEvidenceLinks: z.array(z.string().url()).min(1).optional(),
    attachedFilesHashes: z.array(z.string().min(1)).min(1).optional(),
  })
  .strict();

export type NexusClaimProof = z.infer<typeof nexusClaimProofSchema>;

export interface ClaimProofInput {
  readonly pack: EvidencePack;
  /** The Nexus cover id the claim is filed on (the adapter's provider cover id). */
  readonly providerCoverId: bigint;
  /** Addresses whose positions suffered the loss (the coverage beneficiaries). */
  readonly affectedAddresses: readonly string[];
  /** The requested payout, in asset units, and the asset's symbol and decimals, for the description. */
  readonly requested?: { readonly amount: bigint; readonly symbol: string; readonly decimals: number };
  /** CIDv0 of the evidence pack file (listed in `attachedFilesHashes`). */
  readonly packCid?: string;
  readonly chain?: string;
}

export class ClaimProofError extends Error {
  constructor(readonly field: string, message: string) {
    super(`claim proof ${field}: ${message}`);
    this.name = "ClaimProofError";
  }
}

function iso(seconds: number): string {
  return new Date(seconds * 1000).toISOString().replace(".000Z", "Z");
}

function units(amount: bigint, decimals: number): string {
  const scale = 10n ** BigInt(decimals);
  const whole = amount / scale;
  const fraction = (amount % scale).toString().padStart(decimals, "0").replace(/0+$/, "");
  return fraction === "" ? whole.toString() : `${whole}.${fraction}`;
}

/** A public link without credentials, query or fragment; undefined when it is not an http(s) URL. */
export function publicLink(link: string | undefined): string | undefined {
  if (link === undefined) return undefined;
  try {
    const url = new URL(link);
    if (url.protocol !== "https:" && url.protocol !== "http:") return undefined;
    return `${url.protocol}//${url.host}${url.pathname}`;
  } catch {
    return undefined;
  }
}

/** The proof for one claim; throws `ClaimProofError` naming the field when the input cannot make a valid one. */
export function buildNexusClaimProof(input: ClaimProofInput): NexusClaimProof {
  const { pack } = input;
  const incident = pack.incident;
  if (input.providerCoverId <= 0n || input.providerCoverId > BigInt(Number.MAX_SAFE_INTEGER)) {
    throw new ClaimProofError("coverId", `Nexus cover id ${input.providerCoverId} is not a positive safe integer`);
  }
  const seen = new Set<string>();
  const affectedAddresses: string[] = [];
  for (const address of input.affectedAddresses) {
    if (!ethereumAddress.test(address)) throw new ClaimProofError("affectedAddresses", `${address} is not an address`);
    if (seen.has(address.toLowerCase())) continue;
    seen.add(address.toLowerCase());
    affectedAddresses.push(address);
  }
  if (affectedAddresses.length === 0) throw new ClaimProofError("affectedAddresses", "at least one affected address is required");
  affectedAddresses.sort((a, b) => (a.toLowerCase() < b.toLowerCase() ? -1 : 1));

  const lines = [
    `${incident.description.trim() || incident.kind}.`,
    `Protocol: ${incident.protocolId}. Incident kind: ${incident.kind}. Occurred at ${iso(incident.occurredAt)}; detected at ${iso(incident.detectedAt)}.`,
  ];
  if (incident.lossUsd !== undefined) lines.push(`Reported loss: about ${Math.round(incident.lossUsd)} USD.`);
  if (input.requested !== undefined) {
    lines.push(`Requested payout: ${units(input.requested.amount, input.requested.decimals)} ${input.requested.symbol} on Nexus cover ${input.providerCoverId}.`);
  }
  const tvl = pack.tvlSeries;
  if (tvl.length >= 2) {
    const first = tvl[0]!;
    const last = tvl[tvl.length - 1]!;
    lines.push(`TVL ${Math.round(first.tvlUsd)} USD on ${iso(first.date)} -> ${Math.round(last.tvlUsd)} USD on ${iso(last.date)}.`);
  }
  if (input.packCid !== undefined) lines.push(`Full evidence pack (TVL series, sources, positions): ipfs://${input.packCid}.`);

  const link = publicLink(incident.link);
  const proof: NexusClaimProof = {
    version: NEXUS_CLAIM_PROOF_VERSION,
    coverId: Number(input.providerCoverId),
    affectedChain: input.chain ?? NEXUS_AFFECTED_CHAIN,
    affectedAddresses,
    incidentDescription: lines.join("\n"),
    ...(incident.exploitTxHash !== undefined && txHash.test(incident.exploitTxHash) ? { incidentTransactionHashes: [incident.exploitTxHash] } : {}),
    ...(link !== undefined ? { incidentEvidenceLinks: [link] } : {}),
    ...(input.packCid !== undefined ? { attachedFilesHashes: [input.packCid] } : {}),
  };
  const checked = nexusClaimProofSchema.safeParse(proof);
  if (!checked.success) {
    const issue = checked.error.issues[0];
    throw new ClaimProofError(issue?.path.join(".") || "proof", issue?.message ?? "invalid");
  }
  return checked.data;
}

/** The proof's exact bytes: canonical JSON (sorted keys, no whitespace), UTF-8. */
export function claimProofBytes(proof: NexusClaimProof): Uint8Array {
  return new TextEncoder().encode(canonicalJson(proof));
}

/** `evidence` for a hedged Nexus claim: the proof's 34-byte CIDv0 multihash ‖ the pack bytes. */
export function nexusClaimEvidence(proofMultihash: string, packBytes: Uint8Array): Uint8Array {
  const multihash = hexBytes(proofMultihash);
  if (multihash.length !== 34 || multihash[0] !== 0x12 || multihash[1] !== 0x20) {
    throw new ClaimProofError("multihash", `${proofMultihash} is not a sha2-256 multihash (0x1220 ‖ 32 bytes)`);
  }
  const out = new Uint8Array(34 + packBytes.length);
  out.set(multihash, 0);
  out.set(packBytes, 34);
  return out;
}

function hexBytes(hex: string): Uint8Array {
  const body = hex.startsWith("0x") ? hex.slice(2) : hex;
  if (!/^([0-9a-fA-F]{2})*$/.test(body)) throw new ClaimProofError("multihash", `${hex} is not hex`);
  const out = new Uint8Array(body.length / 2);
  for (let i = 0; i < out.length; i++) out[i] = Number.parseInt(body.slice(2 * i, 2 * i + 2), 16);
  return out;
}
