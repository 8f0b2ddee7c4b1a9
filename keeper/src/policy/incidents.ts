/**
 * PURE incident detection and the incident state machine.
 *
 * Detection turns each source into `IncidentSignal`s with a stable `sourceId` (see
 * incidentSignals.ts): TVL drops (`findTvlDrops`), hacks-feed rows, DefiLlama hallmarks, manual
 * reports. On-chain drain signals come ready-made from the exploit watch.
 *
 * `reconcileIncidents` merges signals into incidents — one per protocol and event window — and
 * moves them through their states:
 *
 *   suspected ──(operator confirm | covered hacks-feed row | hallmark + measurement)──▶ confirmed
 *       │                                                                               │
 *       └──(operator dismiss | no corroboration within `corroborationTimeoutSec`)──▶ dismissed
 *                                                                                       │
 *   confirmed ──(operator resolve | `resolveAfterSec` after it occurred)──────────▶ resolved
 *
 * A signal only ever joins a suspected or confirmed incident. One that falls in the window of a
 * dismissed or resolved incident opens a new incident (a dismissed false alarm never swallows the
 * real exploit); the attach attempt to a dismissed incident is reported (`refused`) so it alerts.
 * A signal already attached (same kind + sourceId) never opens an incident again, whatever its
 * text or date says now (an edited feed record).
 */
import { formatDuration, formatUsd } from "../lib/format";
import type { FeedIncident } from "../domain/types";
import type { TvlPoint } from "../domain/types";
import { judgeFeedRow, NEXUS_PROTOCOL_COVER_WORDING, type CoverWordingTable } from "./coverWording";
import { confirmsAlone, independentlyCorroborated, type IncidentSignal, type IncidentSignalKind, type IncidentState } from "./incidentSignals";
import { DAY_SEC } from "./money";

export type { IncidentSignal, IncidentSignalKind, IncidentState } from "./incidentSignals";

export type IncidentKind = IncidentSignalKind;

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
  /** DefiLlama hallmarks (dated notes on a protocol's page) matching `pattern` corroborate. */
  readonly hallmarks: { readonly enabled: boolean; readonly maxAgeSec: number; readonly pattern: RegExp };
  readonly manual: { readonly enabled: boolean };
  /** Signals whose `occurredAt` lies within this of an incident's belong to it (seconds). */
  readonly mergeWindowSec: number;
  /** A suspected incident with no corroboration for this long (since it opened) is dismissed. */
  readonly corroborationTimeoutSec: number;
  /** A confirmed incident this long after it occurred is resolved (the protocol is judged on its score again). */
  readonly resolveAfterSec: number;
  /** Which hacks-feed rows confirm on their own (coverWording.ts). */
  readonly coverWording: CoverWordingTable;
}

/** Hallmark texts that describe an exploit (DefiLlama writes e.g. "Euler Finance exploited", "hack"). */
export const EXPLOIT_HALLMARK = /\b(hack|hacked|exploit|exploited|drain|drained|attack|stolen|compromised?)\b/i;

export const DEFAULT_INCIDENT_RULES: IncidentRules = {
  tvlDrop: { enabled: true, minDropFraction: 0.3, windowSec: DAY_SEC, maxAgeSec: 7 * DAY_SEC },
  hacksFeed: { enabled: true, maxAgeSec: 30 * DAY_SEC },
  hallmarks: { enabled: true, maxAgeSec: 30 * DAY_SEC, pattern: EXPLOIT_HALLMARK },
  manual: { enabled: true },
  mergeWindowSec: 3 * DAY_SEC,
  corroborationTimeoutSec: 3 * DAY_SEC,
  resolveAfterSec: 90 * DAY_SEC,
  coverWording: NEXUS_PROTOCOL_COVER_WORDING,
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

export interface TvlDropEvent {
  readonly peak: TvlPoint;
  /** Lowest point of the event (within one window of the first breach). */
  readonly trough: TvlPoint;
  /** First point that breached the threshold (the event's time). */
  readonly breach: TvlPoint;
  readonly dropFraction: number;
}

/** A TVL point that is a data error (0, negative, not a number): logged, never a signal. */
export function isTvlDataError(point: TvlPoint): boolean {
  return !Number.isFinite(point.tvlUsd) || point.tvlUsd <= 0 || !Number.isFinite(point.date);
}

/** The data-error points of a history up to `now`. */
export function tvlDataErrors(history: readonly TvlPoint[], now: number): TvlPoint[] {
  return history.filter((p) => p.date <= now && isTvlDataError(p));
}

/**
 * Drop events in a TVL history: a point is a breach when it is at least `minDropFraction` below
 * the highest point of the preceding `windowSec` (inclusive). A breach counts only when the next
 * reading is also that far below the same peak — one point (a partial day, a glitch) is never an
 * event. Data errors (0, negative, not a number) are left out. Breaches within one window of an
 * event's first breach belong to that event. Points after `now` are ignored.
 */
export function findTvlDrops(history: readonly TvlPoint[], rule: Pick<TvlDropRule, "minDropFraction" | "windowSec">, now: number): TvlDropEvent[] {
  const points = history.filter((p) => p.date <= now && !isTvlDataError(p)).sort((a, b) => a.date - b.date);
  const events: { peak: TvlPoint; trough: TvlPoint; breach: TvlPoint; dropFraction: number }[] = [];
  for (let j = 0; j < points.length; j++) {
    const point = points[j];
    const next = points[j + 1];
    if (point === undefined || next === undefined) continue;
    let peak: TvlPoint | undefined;
    for (let i = j - 1; i >= 0; i--) {
      const earlier = points[i];
      if (earlier === undefined || earlier.date < point.date - rule.windowSec) break;
      if (peak === undefined || earlier.tvlUsd > peak.tvlUsd) peak = earlier;
    }
    if (peak === undefined || peak.tvlUsd <= 0) continue;
    const drop = (peak.tvlUsd - point.tvlUsd) / peak.tvlUsd;
    if (drop < rule.minDropFraction) continue;
    // The second reading: still that far below the same peak.
    const nextDrop = (peak.tvlUsd - next.tvlUsd) / peak.tvlUsd;
    if (nextDrop < rule.minDropFraction) continue;
    const low = next.tvlUsd < point.tvlUsd ? next : point;
    const lowDrop = Math.max(drop, nextDrop);
    const last = events[events.length - 1];
    if (last !== undefined && point.date <= last.breach.date + rule.windowSec) {
      if (low.tvlUsd < last.trough.tvlUsd) {
        last.trough = low;
        last.dropFraction = Math.max(last.dropFraction, lowDrop);
      }
      continue;
    }
    events.push({ peak, trough: low, breach: point, dropFraction: lowDrop });
  }
  return events;
}


/** A DefiLlama hallmark: `[unix seconds, text]` as the protocol endpoint returns it. */
export type Hallmark = readonly [number, string];

export interface SignalInput {
  /** Protocol ids (config keys) that carry coverage. */
  readonly coveredProtocols: readonly string[];
  readonly tvlHistories: ReadonlyMap<string, readonly TvlPoint[]>;
  /** `HacksFeedSource.fetchIncidents` results flattened per protocol id. */
  readonly feedIncidents: ReadonlyMap<string, readonly FeedIncident[]>;
  readonly hallmarks?: ReadonlyMap<string, readonly Hallmark[]>;
}

/**
 * The stable identity of a hacks-feed row. DefiLlama's `/hacks` rows carry no row id; a row
 * `id` is used when the feed has one, else the protocol's DefiLlama id (or config id) and the
 * UTC day of the entry — so a renamed entry keeps its id, and a corrected date still merges by
 * the incident window.
 */
export function feedSourceId(protocolId: string, entry: Pick<FeedIncident, "date" | "raw">): string {
  const raw = entry.raw ?? {};
  const rowId = raw["id"];
  if (typeof rowId === "string" || typeof rowId === "number") return `feed:${String(rowId)}`;
  const llamaId = raw["defillamaId"];
  const who = typeof llamaId === "string" || typeof llamaId === "number" ? `llama-${String(llamaId)}` : protocolId;
  return `feed:${who}:${Math.floor(entry.date / DAY_SEC)}`;
}

/** Every signal the data sources show now (TVL drops, feed rows, hallmarks), in protocol order. */
export function collectSignals(input: SignalInput, rules: IncidentRules, now: number): IncidentSignal[] {
  const out: IncidentSignal[] = [];
  for (const protocolId of input.coveredProtocols) {
    if (rules.tvlDrop.enabled) {
      for (const event of findTvlDrops(input.tvlHistories.get(protocolId) ?? [], rules.tvlDrop, now)) {
        if (event.breach.date < now - rules.tvlDrop.maxAgeSec) continue;
        const pct = (event.dropFraction * 100).toFixed(1);
        out.push({
          kind: "tvl-drop",
          protocolId,
          sourceId: `tvl-drop:${protocolId}:${event.breach.date}`,
          occurredAt: event.breach.date,
          observedAt: now,
          description: `TVL fell ${pct}% from ${formatUsd(event.peak.tvlUsd)} to ${formatUsd(event.trough.tvlUsd)} within ${formatDuration(rules.tvlDrop.windowSec)}`,
          sourceRef: "tvl-history",
        });
      }
    }
    if (rules.hacksFeed.enabled) {
      for (const entry of input.feedIncidents.get(protocolId) ?? []) {
        // Curated (config) entries are past history for scoring, not new events.
        if (entry.origin !== "feed") continue;
        if (entry.date < now - rules.hacksFeed.maxAgeSec || entry.date > now) continue;
        const verdict = judgeFeedRow({ classification: entry.classification, technique: entry.technique, amountUsd: entry.amountUsd, returnedFundsUsd: entry.returnedFundsUsd }, rules.coverWording);
        out.push({
          kind: "hacks-feed",
          protocolId,
          sourceId: feedSourceId(protocolId, entry),
          occurredAt: entry.date,
          observedAt: now,
          description: `hacks feed: ${entry.name}${entry.technique !== undefined ? ` (${entry.technique})` : ""}`,
          sourceRef: entry.ref,
          ...(entry.txHash !== undefined ? { exploitTxHash: entry.txHash } : {}),
          ...(verdict.netLossUsd !== undefined ? { lossUsd: verdict.netLossUsd } : {}),
          ...(entry.link !== undefined ? { link: entry.link } : {}),
          coverVerdict: verdict,
        });
      }
    }
    if (rules.hallmarks.enabled) {
      for (const [at, text] of input.hallmarks?.get(protocolId) ?? []) {
        if (!Number.isFinite(at) || at < now - rules.hallmarks.maxAgeSec || at > now) continue;
        if (!rules.hallmarks.pattern.test(text)) continue;
        out.push({
          kind: "hallmark",
          protocolId,
          // DefiLlama keys a hallmark by its timestamp; the text may be edited.
          sourceId: `hallmark:${protocolId}:${at}`,
          occurredAt: at,
          observedAt: now,
          description: `DefiLlama hallmark: ${text}`,
          sourceRef: "defillama-hallmarks",
        });
      }
    }
  }
  return out;
}

/** A manual report (`keeper incident add`) as a signal. */
export function manualSignal(m: ManualIncidentInput, observedAt: number): IncidentSignal {
  return {
    kind: "manual",
    protocolId: m.protocolId,
    sourceId: `manual:${m.protocolId}:${m.id ?? String(m.occurredAt)}`,
    occurredAt: m.occurredAt,
    observedAt,
    description: m.description,
    sourceRef: "manual",
    ...(m.exploitTxHash !== undefined ? { exploitTxHash: m.exploitTxHash } : {}),
    ...(m.lossUsd !== undefined ? { lossUsd: m.lossUsd } : {}),
    ...(m.link !== undefined ? { link: m.link } : {}),
  };
}

/** An incident as the state machine sees it (from the store). */
export interface IncidentView {
  readonly key: string;
  readonly protocolId: string;
  readonly state: IncidentState;
  /** Earliest `occurredAt` of its signals. */
  readonly occurredAt: number;
  /** Chain time the incident was opened. */
  readonly openedAt: number;
  /** Who decided the current state: "signal:<kind>", "operator", "timeout". */
  readonly stateBy: string;
  readonly signals: readonly Pick<IncidentSignal, "kind" | "sourceId" | "occurredAt">[];
}

export type IncidentChange =
  | { readonly kind: "open"; readonly key: string; readonly protocolId: string; readonly state: IncidentState; readonly occurredAt: number; readonly signal: IncidentSignal }
  | { readonly kind: "attach"; readonly key: string; readonly signal: IncidentSignal; readonly occurredAt: number }
  | { readonly kind: "transition"; readonly key: string; readonly from: IncidentState; readonly to: IncidentState; readonly by: string; readonly reason: string }
  /** A signal in the window of a dismissed or resolved incident: not attached (it opened `openedKey`). Nothing to store; the cycle alerts. */
  | { readonly kind: "refused"; readonly key: string; readonly state: IncidentState; readonly signal: IncidentSignal; readonly openedKey: string };

export interface IncidentReconciliation {
  readonly changes: readonly IncidentChange[];
  /** Signals already attached to an incident (no change). */
  readonly known: number;
}

/** The key of an incident opened by `signal`: the opening signal's identity, naming the protocol. */
export function incidentKeyOf(signal: Pick<IncidentSignal, "protocolId" | "sourceId">): string {
  return signal.sourceId.includes(signal.protocolId) ? signal.sourceId : `${signal.sourceId}@${signal.protocolId}`;
}

/** States a signal may join. */
function acceptsSignals(state: IncidentState): boolean {
  return state === "suspected" || state === "confirmed";
}

/** A key not yet used by `working` (a signal whose key a closed incident already holds). */
function freshKey(base: string, working: readonly { key: string }[]): string {
  const keys = new Set(working.map((w) => w.key));
  if (!keys.has(base)) return base;
  for (let n = 2; ; n++) if (!keys.has(`${base}#${n}`)) return `${base}#${n}`;
}

/**
 * Merges signals into incidents and applies the timeout and horizon rules. Signals are taken
 * oldest first so the result does not depend on source order. Returns the changes to store, in order.
 */
export function reconcileIncidents(
  incidents: readonly IncidentView[],
  signals: readonly IncidentSignal[],
  rules: Pick<IncidentRules, "mergeWindowSec" | "corroborationTimeoutSec"> & Partial<Pick<IncidentRules, "resolveAfterSec">>,
  now: number,
): IncidentReconciliation {
  const working = incidents.map((i) => ({ ...i, signals: [...i.signals] as Pick<IncidentSignal, "kind" | "sourceId" | "occurredAt">[] }));
  const changes: IncidentChange[] = [];
  const attached = new Set(working.flatMap((i) => i.signals.map((s) => `${s.kind}\u0000${s.sourceId}`)));
  let known = 0;
  const ordered = [...signals].sort((a, b) => a.occurredAt - b.occurredAt || (a.sourceId < b.sourceId ? -1 : a.sourceId > b.sourceId ? 1 : 0));
  const near = (i: { protocolId: string; occurredAt: number }, signal: IncidentSignal) => i.protocolId === signal.protocolId && Math.abs(i.occurredAt - signal.occurredAt) <= rules.mergeWindowSec;
  const byDistance = (signal: IncidentSignal) => (a: { occurredAt: number }, b: { occurredAt: number }) => Math.abs(a.occurredAt - signal.occurredAt) - Math.abs(b.occurredAt - signal.occurredAt);
  for (const signal of ordered) {
    const id = `${signal.kind}\u0000${signal.sourceId}`;
    if (attached.has(id)) {
      known += 1;
      continue;
    }
    attached.add(id);
    const target = working.filter((i) => acceptsSignals(i.state) && near(i, signal)).sort(byDistance(signal))[0];
    if (target === undefined) {
      const state: IncidentState = confirmsAlone(signal) ? "confirmed" : "suspected";
      const key = freshKey(incidentKeyOf(signal), working);
      working.push({ key, protocolId: signal.protocolId, state, occurredAt: signal.occurredAt, openedAt: now, stateBy: `signal:${signal.kind}`, signals: [signal] });
      changes.push({ kind: "open", key, protocolId: signal.protocolId, state, occurredAt: signal.occurredAt, signal });
      const closed = working.filter((i) => (i.state === "dismissed" || i.state === "resolved") && near(i, signal)).sort(byDistance(signal))[0];
      if (closed !== undefined) changes.push({ kind: "refused", key: closed.key, state: closed.state, signal, openedKey: key });
      continue;
    }
    target.signals.push(signal);
    target.occurredAt = Math.min(target.occurredAt, signal.occurredAt);
    changes.push({ kind: "attach", key: target.key, signal, occurredAt: target.occurredAt });
    if (target.state !== "suspected") continue;
    const alone = confirmsAlone(signal);
    if (alone || independentlyCorroborated(target.signals)) {
      const by = alone ? `signal:${signal.kind}` : `signals:${[...new Set(target.signals.map((s) => s.kind))].sort().join("+")}`;
      changes.push({ kind: "transition", key: target.key, from: "suspected", to: "confirmed", by, reason: alone ? signal.description : `two independent signals: ${signal.description}` });
      target.state = "confirmed";
      target.stateBy = by;
    }
  }
  for (const incident of working) {
    if (incident.state === "suspected" && now - incident.openedAt >= rules.corroborationTimeoutSec) {
      changes.push({
        kind: "transition",
        key: incident.key,
        from: "suspected",
        to: "dismissed",
        by: "timeout",
        reason: `no corroboration (covered hacks-feed row, report + measurement, operator) within ${Math.round(rules.corroborationTimeoutSec / 3600)} h`,
      });
      incident.state = "dismissed";
      incident.stateBy = "timeout";
    } else if (incident.state === "confirmed" && rules.resolveAfterSec !== undefined && now - incident.occurredAt >= rules.resolveAfterSec) {
      changes.push({
        kind: "transition",
        key: incident.key,
        from: "confirmed",
        to: "resolved",
        by: "horizon",
        reason: `${Math.round(rules.resolveAfterSec / DAY_SEC)} days after it occurred: the protocol is judged on its risk score again`,
      });
      incident.state = "resolved";
      incident.stateBy = "horizon";
    }
  }
  return { changes, known };
}

/** An operator's decision on an incident (`keeper incident confirm|dismiss|resolve <id>`). */
export function operatorTransition(
  incident: Pick<IncidentView, "key" | "state"> & Partial<Pick<IncidentView, "stateBy">>,
  to: "confirmed" | "dismissed" | "resolved",
): Extract<IncidentChange, { kind: "transition" }> | { readonly kind: "rejected"; readonly reason: string } {
  if (to === "resolved" && incident.state !== "confirmed") {
    return { kind: "rejected", reason: `incident ${incident.key} is ${incident.state}: only a confirmed incident is resolved (dismiss a false alarm)` };
  }
  // Confirming an incident a signal confirmed records the operator's approval (a claim at the configured size waits for it).
  if (incident.state === to && !(to === "confirmed" && incident.stateBy !== undefined && incident.stateBy !== "operator")) {
    return { kind: "rejected", reason: `incident ${incident.key} is already ${to}` };
  }
  const verb = to === "confirmed" ? "confirmed" : to === "dismissed" ? "dismissed" : "resolved";
  return { kind: "transition", key: incident.key, from: incident.state, to, by: "operator", reason: `operator ${verb} it` };
}

/** Whether the operator has decided for the incident (confirmed it, or reported it by hand). */
export function operatorApproved(incident: Pick<IncidentView, "stateBy" | "signals">): boolean {
  return incident.stateBy === "operator" || incident.signals.some((s) => s.kind === "manual");
}

/**
 * Whether claims are filed for an incident: confirmed or resolved (a resolved incident's losses
 * stay claimable while the cover's window is open), or suspected on a protocol that opted in.
 */
export function isClaimable(incident: Pick<IncidentView, "state" | "protocolId">, autoClaimOnSuspected: ReadonlySet<string>): boolean {
  return incident.state === "confirmed" || incident.state === "resolved" || (incident.state === "suspected" && autoClaimOnSuspected.has(incident.protocolId));
}

/** Whether a protocol's sales are halted by the keeper's view (suspected or confirmed). */
export function haltsSales(incident: Pick<IncidentView, "state">): boolean {
  return incident.state === "suspected" || incident.state === "confirmed";
}
