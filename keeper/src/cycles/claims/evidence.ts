/** Evidence hashes: what an adopted claim's evidence may carry, and source digests. */
import { readFile } from "node:fs/promises";
import { createHash } from "node:crypto";
import { canonicalJson } from "../../policy/evidence";
import { nexusEvidenceHashes } from "../../sources/claimEvidence";
import type { IncidentRecord } from "../../state/incidents";

/** The evidence hashes a claim built from this incident's pack carries: the pack's (self-insured) and multihash(proof) ‖ pack per Nexus proof written (hedged). */
export async function evidenceHashesOf(incident: IncidentRecord): Promise<string[]> {
  if (incident.evidenceHash === undefined) return [];
  const hashes = [incident.evidenceHash.toLowerCase()];
  if (incident.evidencePath !== undefined) {
    try {
      const pack = await readFile(incident.evidencePath);
      hashes.push(...(await nexusEvidenceHashes(incident.evidencePath, pack)));
    } catch {
      // pack gone: only the stored hash can match
    }
  }
  return hashes;
}

export function sha256(value: unknown): string {
  return createHash("sha256").update(canonicalJson(value)).digest("hex");
}
