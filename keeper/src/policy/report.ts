/**
 * PURE coverage report with the original design's fields, plus a console table.
 * Money is USD wad (bigint) in the report; `reportToJson` turns it into decimal strings.
 */
import { riskCategory } from "../scoring/composite";
import type { RiskCategory } from "../scoring/types";
import { coverageMultiplierBps, type CoverageChainState, type CoveragePosition, remainingOf } from "./coverage";
import { DAY_SEC, sameAddress, toWad } from "./money";

export interface ExpiringCoverage {
  readonly coverId: bigint;
  readonly protocolId: string;
  readonly end: number;
  readonly daysLeft: number;
  /** Remaining covered amount, USD wad. */
  readonly amountWad: bigint;
}

export interface CoverageReport {
  /** Chain time of the report, unix seconds. */
  readonly timestamp: number;
  readonly protocolsCount: number;
  readonly totalCoverageWad: bigint;
  /** Premiums of every coverage of the positions, active or not, USD wad. */
  readonly totalPremiumPaidWad: bigint;
  readonly coverageByRiskLevel: Readonly<Record<RiskCategory, bigint>>;
  readonly expiringWithin30Days: readonly ExpiringCoverage[];
  /** Protocol ids with a position and no live coverage. */
  readonly uncoveredProtocols: readonly string[];
  /** Protocol ids whose live coverage exceeds 1.2 × the position. */
  readonly overInsuredProtocols: readonly string[];
  readonly rows: readonly ReportRow[];
}

export interface ReportRow {
  readonly protocolId: string;
  readonly riskScore: number;
  readonly category: RiskCategory;
  /**
   * The position: what the operator protects in this protocol, USD wad — the fixed `targetAmount`
   * where configured, else the live value read on-chain (docs/keeper.md#vocabulary).
   */
  readonly positionWad: bigint;
  /** The target: position × the risk multiplier (× 1.0–1.3 by score), USD wad; purchases are then cut to the fund's per-protocol cap. */
  readonly targetWad: bigint;
  /** Live value of the protocol's positions read on-chain, USD wad (undefined when none is read). */
  readonly positionValueWad: bigint | undefined;
  /** Worst status among those values: "fresh", or "stale" when a read failed and a last known value stands in. */
  readonly valueStatus: "fresh" | "stale" | undefined;
  readonly coverageWad: bigint;
  /** coverage / position value in bps (undefined without a value or when it is 0). */
  readonly coverageToValueBps: number | undefined;
  readonly premiumPaidWad: bigint;
  /** Soonest end among live coverages (undefined when uncovered). */
  readonly nextEnd: number | undefined;
}

const EXPIRING_WITHIN_SEC = 30 * DAY_SEC;

export function buildCoverageReport(positions: readonly CoveragePosition[], chain: CoverageChainState, now: number): CoverageReport {
  const byLevel: Record<RiskCategory, bigint> = { LOW: 0n, MEDIUM: 0n, HIGH: 0n, CRITICAL: 0n };
  const expiring: ExpiringCoverage[] = [];
  const rowsByProtocol = new Map<string, { row: ReportRow; coverageWad: bigint }>();
  let total = 0n;
  let premiums = 0n;
  const seenCover = new Set<bigint>();

  for (const position of positions) {
    const state = chain.protocols.find((s) => sameAddress(s.protocol, position.protocol));
    const score = state?.riskScore ?? 90;
    const category = riskCategory(score);
    const mine = (state?.coverages ?? []).filter(
      (c) => sameAddress(c.asset, position.asset) && sameAddress(c.beneficiary, position.beneficiary) && !seenCover.has(c.id),
    );
    let coverageWad = 0n;
    let premiumWad = 0n;
    let nextEnd: number | undefined;
    for (const c of mine) {
      seenCover.add(c.id);
      premiumWad += toWad(c.premium, position.assetDecimals);
      if (c.status !== "Active" || now >= c.end) continue;
      const remainingWad = toWad(remainingOf(c), position.assetDecimals);
      coverageWad += remainingWad;
      nextEnd = nextEnd === undefined ? c.end : Math.min(nextEnd, c.end);
      if (c.end - now <= EXPIRING_WITHIN_SEC) {
        expiring.push({ coverId: c.id, protocolId: position.protocolId, end: c.end, daysLeft: Math.floor((c.end - now) / DAY_SEC), amountWad: remainingWad });
      }
    }
    total += coverageWad;
    premiums += premiumWad;
    byLevel[category] += coverageWad;
    const positionWad = toWad(position.targetAmount, position.assetDecimals);
    const prev = rowsByProtocol.get(position.protocolId);
    const valueWad = position.liveValue !== undefined ? toWad(position.liveValue.amount, position.assetDecimals) : undefined;
    const positionValueWad = valueWad === undefined ? prev?.row.positionValueWad : (prev?.row.positionValueWad ?? 0n) + valueWad;
    const valueStatus = position.liveValue === undefined ? prev?.row.valueStatus : prev?.row.valueStatus === "stale" ? "stale" : position.liveValue.status;
    const coverageSum = (prev?.coverageWad ?? 0n) + coverageWad;
    const mergedEnd = prev?.row.nextEnd === undefined ? nextEnd : nextEnd === undefined ? prev.row.nextEnd : Math.min(prev.row.nextEnd, nextEnd);
    const row: ReportRow = {
      protocolId: position.protocolId,
      riskScore: score,
      category,
      positionWad: (prev?.row.positionWad ?? 0n) + positionWad,
      targetWad: (prev?.row.targetWad ?? 0n) + (positionWad * BigInt(coverageMultiplierBps(score))) / 10_000n,
      positionValueWad,
      valueStatus,
      coverageWad: coverageSum,
      coverageToValueBps: positionValueWad === undefined || positionValueWad === 0n ? undefined : Number((coverageSum * 10_000n) / positionValueWad),
      premiumPaidWad: (prev?.row.premiumPaidWad ?? 0n) + premiumWad,
      nextEnd: mergedEnd,
    };
    rowsByProtocol.set(position.protocolId, { row, coverageWad: row.coverageWad });
  }

  const rows = [...rowsByProtocol.values()].map((r) => r.row);
  return {
    timestamp: now,
    protocolsCount: rows.length,
    totalCoverageWad: total,
    totalPremiumPaidWad: premiums,
    coverageByRiskLevel: byLevel,
    expiringWithin30Days: expiring.sort((a, b) => a.end - b.end),
    uncoveredProtocols: rows.filter((r) => r.coverageWad === 0n).map((r) => r.protocolId),
    // current > 1.2 × position, exactly: 10 × current > 12 × position.
    overInsuredProtocols: rows.filter((r) => r.coverageWad * 10n > r.positionWad * 12n).map((r) => r.protocolId),
    rows,
  };
}

/** USD wad → "$1,234.56" (cents truncated). */
export function formatUsd(wad: bigint): string {
  const cents = wad / 10n ** 16n;
  const dollars = (cents / 100n).toString().replace(/\B(?=(\d{3})+(?!\d))/g, ",");
  return `$${dollars}.${(cents % 100n).toString().padStart(2, "0")}`;
}

/** A plain-text table for `keeper report`. */
export function formatReportTable(report: CoverageReport): string {
  // Vocabulary (docs/keeper.md#vocabulary): Value = read on-chain now; Position = what is protected
  // (fixed size or that value); Target = position × risk multiplier; Coverage = live cover.
  const header = ["Protocol", "Risk", "Level", "Value", "Position", "Target", "Coverage", "Cover/value", "Premium paid", "Next end"];
  const body = report.rows.map((r) => [
    r.protocolId,
    String(r.riskScore),
    r.category,
    r.positionValueWad === undefined ? "-" : `${formatUsd(r.positionValueWad)}${r.valueStatus === "stale" ? " (stale)" : ""}`,
    formatUsd(r.positionWad),
    formatUsd(r.targetWad),
    formatUsd(r.coverageWad),
    r.coverageToValueBps === undefined ? "-" : `${(r.coverageToValueBps / 100).toFixed(1)}%`,
    formatUsd(r.premiumPaidWad),
    r.nextEnd === undefined ? "-" : new Date(r.nextEnd * 1000).toISOString().slice(0, 10),
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...body.map((row) => (row[i] ?? "").length)));
  const line = (cells: readonly string[]): string => cells.map((c, i) => c.padEnd(widths[i] ?? 0)).join(" | ").trimEnd();
  const rule = widths.map((w) => "-".repeat(w)).join("-+-");
  const levels = (Object.keys(report.coverageByRiskLevel) as RiskCategory[])
    .map((k) => `${k} ${formatUsd(report.coverageByRiskLevel[k])}`)
    .join(", ");
  return [
    `Coverage report at ${new Date(report.timestamp * 1000).toISOString().replace(/\.\d{3}Z$/, "Z")} (chain time); Risk = score (on-chain), Target = position × risk multiplier`,
    line(header),
    rule,
    ...body.map(line),
    rule,
    `Protocols: ${report.protocolsCount}   Total coverage: ${formatUsd(report.totalCoverageWad)}   Premiums paid: ${formatUsd(report.totalPremiumPaidWad)}`,
    `By risk level: ${levels}`,
    `Expiring within 30 days: ${report.expiringWithin30Days.length === 0 ? "none" : report.expiringWithin30Days.map((e) => `#${e.coverId} ${e.protocolId} (${e.daysLeft} d)`).join(", ")}`,
    `Uncovered: ${report.uncoveredProtocols.length === 0 ? "none" : report.uncoveredProtocols.join(", ")}`,
    `Over-insured (> 1.2 × position): ${report.overInsuredProtocols.length === 0 ? "none" : report.overInsuredProtocols.join(", ")}`,
  ].join("\n");
}

/** The report as plain JSON (bigints as decimal strings). */
export function reportToJson(report: CoverageReport): unknown {
  return JSON.parse(JSON.stringify(report, (_key, value: unknown) => (typeof value === "bigint" ? value.toString() : value)));
}
