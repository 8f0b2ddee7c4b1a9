/**
 * The `evidence` bytes of a claim, with the Nexus claim proof when the claim is hedged through Nexus.
 *
 * - Self-insured and non-Nexus claims: the evidence pack file's bytes, unchanged (the fund stores
 *   `keccak256(evidence)`, which then equals the file's keccak256).
 * - Nexus claims: the pure builder (policy/claimProof.ts) turns the pack into Nexus's claim proof JSON;
 *   its CIDv0 is computed locally (lib/cid.ts) and the proof is written beside the pack as
 *   `<pack stem>.nexus-proof.cover-<id>.json`; when a Kubo RPC API is configured the proof and the pack are
 *   published (added and pinned) there and the node's CIDs must equal the local ones. The evidence is
 *   `multihash(proof) ‖ pack bytes`: the adapter passes the proof digest to Nexus as `ipfsMetadata`.
 *
 * A failed or unconfigured publication never blocks a claim: the CID does not depend on the node, so the
 * operator can publish the written file later (`ipfs add --cid-version=0 <file>` gives the same CID);
 * it is logged as an error with the path. A Nexus claim without a readable, valid pack or without a
 * valid proof is NOT filed (`ok: false`, retried on the next tick): Nexus would receive a digest nobody
 * can resolve.
 */
import { readdir, readFile, writeFile } from "node:fs/promises";
import { keccak256 } from "ethers";
import path from "node:path";
import { z } from "zod";
import { cidV0Of } from "../lib/cid";
import type { Logger } from "../lib/logger";
import { buildNexusClaimProof, claimProofBytes, nexusClaimEvidence } from "../policy/claimProof";
import type { EvidencePack } from "../policy/evidence";
import { KuboIpfsClient } from "./ipfsClient";

export interface ClaimEvidenceRequest {
  /** The incident's evidence pack file (undefined when none was written). */
  readonly packPath: string | undefined;
  /** Bytes sent when there is no pack (non-Nexus claims only), e.g. the incident's dedupe key. */
  readonly fallback: string;
  readonly providerId: number;
  readonly providerCoverId: bigint;
  /** The coverage beneficiary: the affected address named in the proof. */
  readonly beneficiary: string;
  readonly amount: bigint;
  /** Symbol and decimals of the claimed asset, for the proof's description. */
  readonly asset?: { readonly symbol: string; readonly decimals: number };
}

export interface ClaimEvidenceContext {
  /** The fund's provider id of the Nexus adapter (undefined: no Nexus provider configured). */
  readonly nexusProviderId: number | undefined;
  /** Kubo client; undefined = publication not configured. */
  readonly ipfs?: KuboIpfsClient;
  readonly logger: Logger;
}

export interface NexusProofInfo {
  readonly path: string;
  readonly cid: string;
  /** `ipfsMetadata` Nexus will store (0x + 32 bytes). */
  readonly digest: string;
  readonly packCid: string;
  readonly published: "published" | "not-configured" | "failed";
}

export type PreparedEvidence =
  | { readonly ok: true; readonly evidence: Uint8Array; readonly proof?: NexusProofInfo }
  | { readonly ok: false; readonly error: string };

/** Shape check of a stored pack before it is trusted as proof input. */
const storedPackSchema = z
  .object({
    version: z.number(),
    incident: z
      .object({
        key: z.string(),
        kind: z.string(),
        protocolId: z.string(),
        occurredAt: z.number(),
        detectedAt: z.number(),
        description: z.string(),
        exploitTxHash: z.string().optional(),
        lossUsd: z.number().optional(),
        link: z.string().optional(),
      })
      .passthrough(),
    tvlSeries: z.array(z.object({ date: z.number(), tvlUsd: z.number() }).passthrough()),
  })
  .passthrough();

/** Where the Nexus claim proof of one upstream cover is written: beside the pack, one file per cover. */
export function nexusProofPath(packPath: string, providerCoverId: bigint): string {
  const parsed = path.parse(packPath);
  return path.join(parsed.dir, `${parsed.name}.nexus-proof.cover-${providerCoverId}.json`);
}

/**
 * The `evidence` hashes (keccak256) of the Nexus claims already built from this pack: one per proof
 * file beside it. Lets a restarted keeper recognise its own hedged claims on-chain.
 */
export async function nexusEvidenceHashes(packPath: string, packBytes: Uint8Array): Promise<string[]> {
  const parsed = path.parse(packPath);
  let names: string[];
  try {
    names = await readdir(parsed.dir);
  } catch {
    return [];
  }
  const prefix = `${parsed.name}.nexus-proof.`;
  const hashes: string[] = [];
  for (const name of names.filter((n) => n.startsWith(prefix) && n.endsWith(".json"))) {
    try {
      const proof = new Uint8Array(await readFile(path.join(parsed.dir, name)));
      hashes.push(keccak256(nexusClaimEvidence(cidV0Of(proof).multihash, packBytes)).toLowerCase());
    } catch {
      // unreadable proof: it cannot be matched
    }
  }
  return hashes;
}

/** The evidence bytes for one claim (see the module comment). Never throws. */
export async function prepareClaimEvidence(request: ClaimEvidenceRequest, ctx: ClaimEvidenceContext): Promise<PreparedEvidence> {
  const isNexus = ctx.nexusProviderId !== undefined && request.providerId === ctx.nexusProviderId;
  let packBytes: Uint8Array | undefined;
  if (request.packPath !== undefined) {
    try {
      packBytes = new Uint8Array(await readFile(request.packPath));
    } catch (err) {
      if (isNexus) return { ok: false, error: `nexus claim proof: evidence pack unreadable: ${(err as Error).message}` };
      ctx.logger.warn({ path: request.packPath, err: (err as Error).message }, "evidence pack unreadable: sending the incident key");
    }
  }
  if (!isNexus) return { ok: true, evidence: packBytes ?? new TextEncoder().encode(request.fallback) };
  if (packBytes === undefined || request.packPath === undefined) {
    return { ok: false, error: "nexus claim proof: no evidence pack for this incident yet" };
  }

  try {
    const packJson: unknown = JSON.parse(new TextDecoder().decode(packBytes));
    const pack = storedPackSchema.safeParse(packJson);
    if (!pack.success) return { ok: false, error: `nexus claim proof: evidence pack ${pack.error.issues[0]?.path.join(".") ?? ""} is invalid` };
    const packCid = cidV0Of(packBytes).cid;
    const proof = buildNexusClaimProof({
      pack: pack.data as unknown as EvidencePack,
      providerCoverId: request.providerCoverId,
      affectedAddresses: [request.beneficiary],
      ...(request.asset !== undefined ? { requested: { amount: request.amount, ...request.asset } } : {}),
      packCid,
    });
    const proofBytes = claimProofBytes(proof);
    const cid = cidV0Of(proofBytes);
    const proofPath = nexusProofPath(request.packPath, request.providerCoverId);
    await writeFile(proofPath, proofBytes);

    let published: NexusProofInfo["published"] = "not-configured";
    if (ctx.ipfs !== undefined) {
      const packAdd = await ctx.ipfs.add(packBytes, path.basename(request.packPath), packCid);
      const proofAdd = await ctx.ipfs.add(proofBytes, path.basename(proofPath), cid.cid);
      published = packAdd.ok && proofAdd.ok ? "published" : "failed";
      for (const r of [packAdd, proofAdd]) {
        if (!r.ok) ctx.logger.error({ proof: proofPath, cid: cid.cid, err: r.error }, "claim proof not published to IPFS: publish the file by hand (same CID)");
      }
    } else {
      ctx.logger.warn({ proof: proofPath, cid: cid.cid }, "no IPFS API configured: publish the claim proof and pack so Nexus assessors can read them");
    }
    ctx.logger.info({ proof: proofPath, cid: cid.cid, packCid, published }, "nexus claim proof ready");
    return {
      ok: true,
      evidence: nexusClaimEvidence(cid.multihash, packBytes),
      proof: { path: proofPath, cid: cid.cid, digest: cid.digest, packCid, published },
    };
  } catch (err) {
    return { ok: false, error: `nexus claim proof: ${(err as Error).message}` };
  }
}

/** The slice of the keeper config the claim evidence needs. */
export interface ClaimEvidenceConfig {
  readonly providers: { readonly nexus?: { readonly providerId: number; readonly ipfsApiUrl?: string | undefined } | undefined };
  readonly positions: readonly { readonly asset: string; readonly assetSymbol?: string | undefined; readonly assetDecimals?: number | undefined }[];
}

/** A coverage as the claims cycle sees it. */
export interface ClaimEvidenceCoverage {
  readonly providerId: number;
  readonly providerCoverId: bigint;
  readonly beneficiary: string;
  readonly asset: string;
}

/**
 * The one entry point the claims cycle calls: binds the config (Nexus provider id, Kubo API URL, asset
 * symbols and decimals of the positions) and returns `(claim) => prepared evidence`.
 */
export function claimEvidenceFor(config: ClaimEvidenceConfig, logger: Logger, deps: { fetch?: typeof fetch; ipfs?: KuboIpfsClient } = {}) {
  const nexus = config.providers.nexus;
  const ipfs =
    deps.ipfs ??
    (nexus?.ipfsApiUrl !== undefined
      ? new KuboIpfsClient({ apiUrl: nexus.ipfsApiUrl }, { logger, ...(deps.fetch !== undefined ? { fetch: deps.fetch } : {}) })
      : undefined);
  const ctx: ClaimEvidenceContext = { nexusProviderId: nexus?.providerId, logger, ...(ipfs !== undefined ? { ipfs } : {}) };
  return (claim: { packPath: string | undefined; fallback: string; coverage: ClaimEvidenceCoverage; amount: bigint }): Promise<PreparedEvidence> => {
    const position = config.positions.find((p) => p.asset.toLowerCase() === claim.coverage.asset.toLowerCase());
    const asset =
      position?.assetSymbol !== undefined && position.assetDecimals !== undefined
        ? { symbol: position.assetSymbol, decimals: position.assetDecimals }
        : undefined;
    return prepareClaimEvidence(
      {
        packPath: claim.packPath,
        fallback: claim.fallback,
        providerId: claim.coverage.providerId,
        providerCoverId: claim.coverage.providerCoverId,
        beneficiary: claim.coverage.beneficiary,
        amount: claim.amount,
        ...(asset !== undefined ? { asset } : {}),
      },
      ctx,
    );
  };
}
