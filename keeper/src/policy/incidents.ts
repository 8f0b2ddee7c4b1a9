/**
 * PURE incident detection. Three configurable rules, each producing incidents with a stable
 * dedupe key so a rule that keeps firing on the same event yields one incident:
 * - TVL drop of at least `minDropFraction` within `windowSec` (default 30% in 24 h);
 * - a new hacks-feed entry for a covered protocol;
 * - manual incidents (`keeper incident add`).
 */
import type { Incident as FeedIncident } from "../sources/hacksFeedSource";
import type { TvlPoint } from "../sources/types";
import { DAY_SEC } from "./money";

export type IncidentKind = "tvl-drop" | "hacks-feed" | "manual";

export interface DetectedIncident {
  /** e.g. `tvl-drop:euler:1678700000`, `hack:euler:1678700000:euler finance`, `manual:euler:<id>`. */
  readonly dedupeKey: string;
  readonly kind: IncidentKind;
  readonly protocolId: string;
  /** When the event happened (breach point, feed date or operator's time), unix seconds. */
  readonly occurredAt: number;
  /** Chain time of detection. */
  readonly detectedAt: number;
  readonly description: string;
  readonly exploitTxHash?: string;
  readonly lossUsd?: number;
  readonly link?: string;
  /** Where the evidence came from (feed URL, "manual", "tvl-history"). */
  readonly sourceRef: string;
  /** TVL-drop details. */
  readonly tvlDrop?: { readonly peak: TvlPoint; readonly trough: TvlPoint; readonly dropFraction: number };
}

export interface TvlDropRule {
  readonly enabled: boolean;
  /** 0.3 = a fall of 30% or more from the window's peak. */
  readonly minDropFraction: number;
  readonly windowSec: number;
  /** Ignore events whose breach is older than this (a long history must not re-alarm on 2023). */
  readonly maxAgeSec: number;
}

export interface IncidentRules {
  readonly tvlDrop: TvlDropRule;
  readonly hacksFeed: { readonly enabled: boolean; readonly maxAgeSec: number };
  readonly manual: { readonly enabled: boolean };
}

export const DEFAULT_INCIDENT_RULES: IncidentRules = {
  tvlDrop: { enabled: true, minDropFraction: 0.3, windowSec: DAY_SEC, maxAgeSec: 7 * DAY_SEC },
  hacksFeed: { enabled: true, maxAgeSec: 30 * DAY_SEC },
  manual: { enabled: true },
};

/** What `keeper incident add` records. */
export interface ManualIncidentInput {
  /** Operator-chosen id (defaults to the occurrence time in the key). */
  readonly id?: string;
  readonly protocolId: string;
  readonly occurredAt: number;
  readonly description: string;
  readonly exploitTxHash?: string;
  readonly lossUsd?: number;
  readonly link?: string;
}

/** An incident already in the keeper's store. */
export interface KnownIncident {
  readonly dedupeKey: string;
  readonly kind: IncidentKind;
  readonly protocolId: string;
  readonly occurredAt: number;
}

export interface IncidentInput {
  /** Protocol ids (config keys) that carry coverage. */
  readonly coveredProtocols: readonly string[];
  readonly tvlHistories: ReadonlyMap<string, readonly TvlPoint[]>;
  /** `HacksFeedSource.fetchIncidents` results flattened per protocol id. */
  readonly feedIncidents: ReadonlyMap<string, readonly FeedIncident[]>;
  readonly manual: readonly ManualIncidentInput[];
  readonly known: readonly KnownIncident[];
}

export interface IncidentDetection {
  /** New incidents only, in protocol order then time. */
  readonly incidents: readonly DetectedIncident[];
  /** Dedupe keys that matched a known incident (or another in this batch). */
  readonly duplicates: readonly string[];
}

export interface TvlDropEvent {
  readonly peak: TvlPoint;
  /** Lowest point of the event (within one window of the first breach). */
  readonly trough: TvlPoint;
  /** First point that breached the threshold (the event's time). */
  readonly breach: TvlPoint;
  readonly dropFraction: number;
}

/**
 * Drop events in a TVL history: a point is a breach when it is at least `minDropFraction` below
 * the highest point of the preceding `windowSec` (inclusive). Breaches within one window of an
 * event's first breach belong to that event. Points after `now` are ignored.
 */
export function findTvlDrops(history: readonly TvlPoint[], rule: Pick<TvlDropRule, "minDropFraction" | "windowSec">, now: number): TvlDropEvent[] {
  const points = history
    .filter((p) => p.date <= now && Number.isFinite(p.tvlUsd) && p.tvlUsd >= 0)
    .sort((a, b) => a.date - b.date);
  const events: { peak: TvlPoint; trough: TvlPoint; breach: TvlPoint; dropFraction: number }[] = [];
  for (let j = 0; j < points.length; j++) {
    const point = points[j];
    if (point === undefined) continue;
    let peak: TvlPoint | undefined;
    for (let i = j - 1; i >= 0; i--) {
      const earlier = points[i];
      if (earlier === undefined || earlier.date < point.date - rule.windowSec) break;
      if (peak === undefined || earlier.tvlUsd > peak.tvlUsd) peak = earlier;
    }
    if (peak === undefined || peak.tvlUsd <= 0) continue;
    const drop = (peak.tvlUsd - point.tvlUsd) / peak.tvlUsd;
    if (drop < rule.minDropFraction) continue;
    const last = events[events.length - 1];
    if (last !== undefined && point.date <= last.breach.date + rule.windowSec) {
      if (point.tvlUsd < last.trough.tvlUsd) {
        last.trough = point;
        last.dropFraction = Math.max(last.dropFraction, drop);
      }
      continue;
    }
    events.push({ peak, trough: point, breach: point, dropFraction: drop });
  }
  return events;
}

export function detectIncidents(input: IncidentInput, rules: IncidentRules, now: number): IncidentDetection {
  const candidates: DetectedIncident[] = [];
  const covered = new Set(input.coveredProtocols);

  for (const protocolId of input.coveredProtocols) {
    if (rules.tvlDrop.enabled) {
      const history = input.tvlHistories.get(protocolId) ?? [];
      for (const event of findTvlDrops(history, rules.tvlDrop, now)) {
        if (event.breach.date < now - rules.tvlDrop.maxAgeSec) continue;
        const pct = (event.dropFraction * 100).toFixed(1);
        candidates.push({
          dedupeKey: `tvl-drop:${protocolId}:${event.breach.date}`,
          kind: "tvl-drop",
          protocolId,
          occurredAt: event.breach.date,
          detectedAt: now,
          description: `TVL fell ${pct}% from $${event.peak.tvlUsd} to $${event.trough.tvlUsd} within ${rules.tvlDrop.windowSec} s`,
          sourceRef: "tvl-history",
          tvlDrop: { peak: event.peak, trough: event.trough, dropFraction: event.dropFraction },
        });
      }
    }
    if (rules.hacksFeed.enabled) {
      for (const entry of input.feedIncidents.get(protocolId) ?? []) {
        // Curated (config) entries are past history for scoring, not new events.
        if (entry.origin !== "feed") continue;
        if (entry.date < now - rules.hacksFeed.maxAgeSec || entry.date > now) continue;
        candidates.push({
          dedupeKey: `hack:${protocolId}:${entry.date}:${entry.name.trim().toLowerCase()}`,
          kind: "hacks-feed",
          protocolId,
          occurredAt: entry.date,
          detectedAt: now,
          description: `hacks feed: ${entry.name}${entry.technique !== undefined ? ` (${entry.technique})` : ""}`,
          ...(entry.txHash !== undefined ? { exploitTxHash: entry.txHash } : {}),
          ...(entry.amountUsd !== undefined ? { lossUsd: entry.amountUsd } : {}),
          ...(entry.link !== undefined ? { link: entry.link } : {}),
          sourceRef: entry.ref,
        });
      }
    }
  }

  if (rules.manual.enabled) {
    for (const m of input.manual) {
      if (!covered.has(m.protocolId)) continue;
      candidates.push({
        dedupeKey: `manual:${m.protocolId}:${m.id ?? String(m.occurredAt)}`,
        kind: "manual",
        protocolId: m.protocolId,
        occurredAt: m.occurredAt,
        detectedAt: now,
        description: m.description,
        ...(m.exploitTxHash !== undefined ? { exploitTxHash: m.exploitTxHash } : {}),
        ...(m.lossUsd !== undefined ? { lossUsd: m.lossUsd } : {}),
        ...(m.link !== undefined ? { link: m.link } : {}),
        sourceRef: "manual",
      });
    }
  }

  const knownKeys = new Set(input.known.map((k) => k.dedupeKey));
  const incidents: DetectedIncident[] = [];
  const duplicates: string[] = [];
  for (const candidate of candidates) {
    const sameDrop =
      candidate.kind === "tvl-drop" &&
      [...input.known, ...incidents].some(
        (k) =>
          k.kind === "tvl-drop" &&
          k.protocolId === candidate.protocolId &&
          Math.abs(k.occurredAt - candidate.occurredAt) <= rules.tvlDrop.windowSec,
      );
    if (knownKeys.has(candidate.dedupeKey) || sameDrop) {
      duplicates.push(candidate.dedupeKey);
      continue;
    }
    knownKeys.add(candidate.dedupeKey);
    incidents.push(candidate);
  }
  return { incidents, duplicates };
}
