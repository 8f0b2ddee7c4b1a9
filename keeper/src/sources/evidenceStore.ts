/**
 * Writes an evidence pack as canonical JSON to `<dir>/<incident>.json` and returns its path and
 * keccak256 (the hash `submitClaim` stores on-chain). Rewriting the same pack is a no-op in
 * content: the bytes, and so the hash, are deterministic.
 */
import { mkdir, writeFile } from "node:fs/promises";
import path from "node:path";
import { keccak256, toUtf8Bytes } from "ethers";
import { type EvidencePack, canonicalJson } from "../policy/evidence";

export interface StoredEvidence {
  readonly path: string;
  /** 0x-prefixed keccak256 of the UTF-8 canonical JSON. */
  readonly keccak256: string;
  /** The exact bytes to pass as `evidence` (UTF-8 of `json`). */
  readonly json: string;
}

export function evidenceHash(pack: EvidencePack): { json: string; keccak256: string } {
  const json = canonicalJson(pack);
  return { json, keccak256: keccak256(toUtf8Bytes(json)) };
}

/** File-system safe stem of an incident key (`tvl-drop:euler:1678700000` → `tvl-drop_euler_1678700000`). */
export function evidenceFileStem(incidentKey: string): string {
  return incidentKey.replace(/[^A-Za-z0-9._-]+/g, "_").slice(0, 200);
}

export async function storeEvidence(dir: string, pack: EvidencePack): Promise<StoredEvidence> {
  const { json, keccak256: hash } = evidenceHash(pack);
  await mkdir(dir, { recursive: true });
  const file = path.join(dir, `${evidenceFileStem(pack.incident.key)}.json`);
  await writeFile(file, json, "utf8");
  return { path: file, keccak256: hash, json };
}
