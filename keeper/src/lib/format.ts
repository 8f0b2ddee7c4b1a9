/**
 * Numbers for people, one way everywhere (CLI, scripts, alerts, dashboard snapshot): token amounts
 * in token units with their symbol and thousands separators, USD with separators, times as ISO
 * 8601 UTC marked as chain time, percentages with their base. Pure; raw base units stay in JSON
 * fields whose name says so (`amountBaseUnits`, `…Wei`).
 */
import { formatTokenAmount } from "./units";

/** 161161643835616438357n, 18, "DAI" → "161.16 DAI" (2 decimals by default; exact, no float). */
export function formatToken(amount: bigint, decimals: number, symbol: string, fractionDigits = 2): string {
  return formatTokenAmount(amount, decimals, symbol, fractionDigits);
}

/** 17265632.4 → "$17,265,632"; with fractionDigits 2 → "$17,265,632.40". Negative → "-$…". */
export function formatUsd(value: number, fractionDigits = 0): string {
  if (!Number.isFinite(value)) return "–";
  const text = Math.abs(value).toLocaleString("en-US", { minimumFractionDigits: fractionDigits, maximumFractionDigits: fractionDigits });
  return `${value < 0 && text.replace(/[0.,]/g, "") !== "" ? "-" : ""}$${text}`;
}

/** Unix seconds → "2027-03-16T06:53:20Z" (ISO 8601 UTC, no milliseconds). */
export function formatIsoUtc(unixSeconds: number): string {
  return new Date(unixSeconds * 1000).toISOString().replace(/\.\d{3}Z$/, "Z");
}

/** Unix seconds of chain time → "2027-03-16T06:53:20Z (chain time)". */
export function formatChainTime(unixSeconds: number): string {
  return `${formatIsoUtc(unixSeconds)} (chain time)`;
}

/** Unix seconds → "2027-03-16 06:53 UTC" (minute precision, for names and tables). */
export function formatUtcMinute(unixSeconds: number): string {
  return `${formatIsoUtc(unixSeconds).slice(0, 16).replace("T", " ")} UTC`;
}

/** A share with its base: (0.6, "45,000 USDC") → "60.00% of 45,000 USDC". */
export function formatPercentOf(fraction: number, base: string, fractionDigits = 2): string {
  return `${(fraction * 100).toFixed(fractionDigits)}% of ${base}`;
}

/** A change with its base: (45000, 18000, fmt) → "fell 60.00% (45,000 USDC → 18,000 USDC)". */
export function formatChange(from: number, to: number, show: (value: number) => string, fractionDigits = 2): string {
  if (from === 0) return `${show(from)} → ${show(to)}`;
  const change = (to - from) / from;
  const verb = change < 0 ? "fell" : "rose";
  return `${verb} ${Math.abs(change * 100).toFixed(fractionDigits)}% (${show(from)} → ${show(to)})`;
}

/** Incident kinds as a person says them. */
const INCIDENT_KINDS: Readonly<Record<string, string>> = {
  "onchain-drain": "on-chain drain",
  "tvl-drop": "TVL drop",
  manual: "manual report",
  "hacks-feed": "hacks-feed report",
  hallmark: "DefiLlama hallmark",
  depeg: "depeg",
  "admin-event": "admin event",
};

export function incidentKindLabel(kind: string): string {
  return INCIDENT_KINDS[kind] ?? kind.replace(/-/g, " ");
}

/** "Aave V3 — on-chain drain, 2027-03-16 06:53 UTC": what an incident is called where a person reads. */
export function formatIncidentName(incident: { readonly protocolName: string; readonly kind: string; readonly occurredAt: number }): string {
  return `${incident.protocolName} — ${incidentKindLabel(incident.kind)}, ${formatUtcMinute(incident.occurredAt)}`;
}

/**
 * How a keeper command is run in this install (the repository's npm script), for every message
 * that tells the operator what to type: "incident confirm 1" → "npm run keeper -- incident confirm 1".
 */
export const KEEPER_COMMAND_PREFIX = "npm run keeper --";

export function keeperCommand(args: string): string {
  return `${KEEPER_COMMAND_PREFIX} ${args}`;
}

/** Seconds → "6 days 23 h" / "5 h 12 min" / "40 s" (a duration for people; negative → "0 s"). */
export function formatDuration(seconds: number): string {
  const s = Math.max(0, Math.floor(seconds));
  const days = Math.floor(s / 86_400);
  const hours = Math.floor((s % 86_400) / 3_600);
  const minutes = Math.floor((s % 3_600) / 60);
  if (days > 0) return `${days} day${days === 1 ? "" : "s"}${hours > 0 ? ` ${hours} h` : ""}`;
  if (hours > 0) return `${hours} h${minutes > 0 ? ` ${minutes} min` : ""}`;
  if (minutes > 0) return `${minutes} min`;
  return `${s} s`;
}
