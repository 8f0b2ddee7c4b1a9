/** Incident rules from the config, and exploit reports as incident signals. */
import type { KeeperConfig } from "../../config";
import type { ExploitReport } from "../../domain/types";
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
  };
}

/**
 * Exploit reports as incident signals: within the rule's age, not in the future, hallmarks only
 * when their text describes an exploit; one signal per (kind, sourceId).
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
    out.push({ ...r, observedAt: now });
  }
  return out;
}

export function describeChange(c: IncidentChange): string {
  return c.kind === "transition" ? `${c.key}: ${c.from} -> ${c.to} (${c.by})` : `${c.kind} ${c.key} <- ${c.signal.kind}:${c.signal.sourceId}`;
}
