/** Incident rules from the config, and exploit reports as incident signals. */
import type { KeeperConfig } from "../../config";
import type { ExploitReport } from "../../domain/types";
import { judgeFeedRow } from "../../policy/coverWording";
import { EXPLOIT_HALLMARK, type IncidentChange, type IncidentRules } from "../../policy/incidents";
import type { IncidentSignal } from "../../policy/incidentSignals";
import { DAY_SEC } from "../../policy/money";

export function incidentRulesOf(config: Pick<KeeperConfig, "incidents">): IncidentRules {
  const r = config.incidents;
  return {
    tvlDrop: {
      enabled: r.tvlDropEnabled,
      minDropFraction: r.tvlDropPercent / 100,
      windowSec: Math.round(r.tvlDropWindowHours * 3600),
      maxAgeSec: Math.round(r.tvlDropMaxAgeDays * DAY_SEC),
    },
    hacksFeed: { enabled: r.hacksFeedEnabled, maxAgeSec: Math.round(r.hacksMaxAgeDays * DAY_SEC) },
    hallmarks: { enabled: r.hallmarksEnabled, maxAgeSec: Math.round(r.hacksMaxAgeDays * DAY_SEC), pattern: EXPLOIT_HALLMARK },
    manual: { enabled: r.manualEnabled },
    mergeWindowSec: Math.round(r.mergeWindowHours * 3600),
    corroborationTimeoutSec: Math.round(r.corroborationTimeoutHours * 3600),
    resolveAfterSec: Math.round(r.resolveAfterDays * DAY_SEC),
    coverWording: { covered: r.coverWording.covered, excluded: r.coverWording.excluded },
  };
}

/**
 * Exploit reports as incident signals: within the rule's age, not in the future, hallmarks only
 * when their text describes an exploit; one signal per (kind, sourceId). A hacks-feed row carries
 * its reading against the cover wording (`coverVerdict`); returned funds reduce its loss.
 */
export function reportSignals(reports: readonly ExploitReport[], rules: IncidentRules, now: number): IncidentSignal[] {
  const seen = new Set<string>();
  const out: IncidentSignal[] = [];
  for (const r of reports) {
    const rule = r.kind === "hallmark" ? rules.hallmarks : rules.hacksFeed;
    if (!rule.enabled || r.occurredAt > now || r.occurredAt < now - rule.maxAgeSec) continue;
    if (r.kind === "hallmark" && !rules.hallmarks.pattern.test(r.description)) continue;
    const key = `${r.kind}\u0000${r.sourceId}`;
    if (seen.has(key)) continue;
    seen.add(key);
    if (r.kind === "hacks-feed") {
      const verdict = judgeFeedRow({ classification: r.classification, technique: r.technique, amountUsd: r.lossUsd, returnedFundsUsd: r.returnedFundsUsd }, rules.coverWording);
      out.push({ ...r, observedAt: now, ...(verdict.netLossUsd !== undefined ? { lossUsd: verdict.netLossUsd } : {}), coverVerdict: verdict });
    } else {
      out.push({ ...r, observedAt: now });
    }
  }
  return out;
}

export function describeChange(c: IncidentChange): string {
  if (c.kind === "transition") return `${c.key}: ${c.from} -> ${c.to} (${c.by})`;
  if (c.kind === "refused") return `${c.key} (${c.state}) refused ${c.signal.kind}:${c.signal.sourceId}, opened ${c.openedKey}`;
  return `${c.kind} ${c.key} <- ${c.signal.kind}:${c.signal.sourceId}`;
}
