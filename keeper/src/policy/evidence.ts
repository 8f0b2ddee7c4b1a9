/**
 * PURE evidence pack builder and canonical JSON. The pack's canonical serialisation (sorted
 * keys, no whitespace, bigints as decimal strings, undefined dropped) is byte-stable, so its
 * keccak256 — computed on the I/O side (sources/evidenceStore.ts) — is stable too.
 */
import type { TvlPoint } from "../domain/types";
import type { ClaimDerivation } from "./claims";
import type { DetectedIncident } from "./incidents";
import type { IncidentSignal } from "./incidentSignals";

export const EVIDENCE_PACK_VERSION = 1;

export interface EvidenceSource {
  readonly name: string;
  readonly url: string;
  /** Unix seconds. */
  readonly fetchedAt: number;
  /** Hex sha256 of the raw response body (HttpMeta.sha256). */
  readonly sha256: string;
}

export interface EvidenceCoverage {
  readonly coverId: bigint;
  readonly protocol: string;
  readonly asset: string;
  readonly providerId: number;
  readonly providerCoverId: bigint;
  readonly amount: bigint;
  readonly claimed: bigint;
  readonly start: number;
  readonly end: number;
}

export interface EvidencePosition {
  readonly protocolId: string;
  readonly asset: string;
  readonly beneficiary: string;
  readonly targetAmount: bigint;
}

export interface EvidencePack {
  readonly version: number;
  readonly incident: {
    readonly key: string;
    readonly kind: DetectedIncident["kind"];
    readonly protocolId: string;
    readonly occurredAt: number;
    readonly detectedAt: number;
    readonly description: string;
    readonly exploitTxHash?: string;
    readonly lossUsd?: number;
    readonly link?: string;
  };
  /** TVL points within [occurredAt − before, occurredAt + after], sorted by date. */
  readonly tvlSeries: readonly TvlPoint[];
  /** Sorted by name, then URL. */
  readonly sources: readonly EvidenceSource[];
  /** Sorted by cover id. */
  readonly coverages: readonly EvidenceCoverage[];
  readonly positions: readonly EvidencePosition[];
  /** Every signal merged into the incident (oldest first). */
  readonly signals?: readonly IncidentSignal[];
  /** The incident's state and who decided it (e.g. "confirmed by signal:hacks-feed"). */
  readonly state?: string;
  /** How each claim's amount was derived, by cover id (sorted). */
  readonly claims?: readonly (ClaimDerivation & { readonly coverId: bigint })[];
}

export interface EvidenceInput {
  readonly incident: DetectedIncident;
  readonly tvlHistory: readonly TvlPoint[];
  readonly sources: readonly EvidenceSource[];
  readonly coverages: readonly EvidenceCoverage[];
  readonly positions: readonly EvidencePosition[];
  readonly signals?: readonly IncidentSignal[];
  readonly state?: string;
  readonly claims?: readonly (ClaimDerivation & { readonly coverId: bigint })[];
  /** Seconds of TVL kept before and after the event (default 3 days each). */
  readonly tvlBeforeSec?: number;
  readonly tvlAfterSec?: number;
}

/** The TVL points around `at`, inclusive, sorted. */
export function tvlAround(history: readonly TvlPoint[], at: number, beforeSec: number, afterSec: number): TvlPoint[] {
  return history
    .filter((p) => p.date >= at - beforeSec && p.date <= at + afterSec)
    .map((p) => ({ date: p.date, tvlUsd: p.tvlUsd }))
    .sort((a, b) => a.date - b.date);
}

export function buildEvidencePack(input: EvidenceInput): EvidencePack {
  const i = input.incident;
  const before = input.tvlBeforeSec ?? 3 * 86_400;
  const after = input.tvlAfterSec ?? 3 * 86_400;
  return {
    version: EVIDENCE_PACK_VERSION,
    incident: {
      key: i.dedupeKey,
      kind: i.kind,
      protocolId: i.protocolId,
      occurredAt: i.occurredAt,
      detectedAt: i.detectedAt,
      description: i.description,
      ...(i.exploitTxHash !== undefined ? { exploitTxHash: i.exploitTxHash } : {}),
      ...(i.lossUsd !== undefined ? { lossUsd: i.lossUsd } : {}),
      ...(i.link !== undefined ? { link: i.link } : {}),
    },
    tvlSeries: tvlAround(input.tvlHistory, i.occurredAt, before, after),
    sources: [...input.sources].sort((a, b) => cmp(a.name, b.name) || cmp(a.url, b.url)),
    coverages: [...input.coverages].sort((a, b) => (a.coverId < b.coverId ? -1 : a.coverId > b.coverId ? 1 : 0)),
    positions: [...input.positions].sort(
      (a, b) => cmp(a.protocolId, b.protocolId) || cmp(a.asset.toLowerCase(), b.asset.toLowerCase()) || cmp(a.beneficiary.toLowerCase(), b.beneficiary.toLowerCase()),
    ),
    ...(input.signals !== undefined
      ? { signals: [...input.signals].sort((a, b) => a.occurredAt - b.occurredAt || cmp(a.kind, b.kind) || cmp(a.sourceId, b.sourceId)) }
      : {}),
    ...(input.state !== undefined ? { state: input.state } : {}),
    ...(input.claims !== undefined ? { claims: [...input.claims].sort((a, b) => (a.coverId < b.coverId ? -1 : a.coverId > b.coverId ? 1 : 0)) } : {}),
  };
}

/**
 * Canonical JSON: object keys sorted by code unit, no whitespace, bigint → decimal string,
 * undefined members dropped, non-finite numbers rejected (they have no JSON form).
 */
export function canonicalJson(value: unknown): string {
  if (value === null) return "null";
  switch (typeof value) {
    case "string":
      return JSON.stringify(value);
    case "boolean":
      return value ? "true" : "false";
    case "number":
      if (!Number.isFinite(value)) throw new Error(`canonicalJson: non-finite number ${value}`);
      return JSON.stringify(value);
    case "bigint":
      return JSON.stringify(value.toString());
    case "object": {
      if (Array.isArray(value)) return `[${value.map((v: unknown) => (v === undefined ? "null" : canonicalJson(v))).join(",")}]`;
      const entries = Object.entries(value as Record<string, unknown>)
        .filter(([, v]) => v !== undefined)
        .sort(([a], [b]) => cmp(a, b));
      return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(",")}}`;
    }
    default:
      throw new Error(`canonicalJson: cannot serialise a ${typeof value}`);
  }
}

function cmp(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
