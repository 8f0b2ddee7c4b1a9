/**
 * PURE: the coverages the keeper cannot buy or renew this cycle, each with its reason BY NAME,
 * what it means (the date the position's cover lapses, or that it has none now) and the fix.
 * Built from the plan's skips and the cycle's unsent actions (unfundable, budget-deferred, keeper
 * not an agent); shown by the coverage status line, `keeper status`, the dashboard and /healthz,
 * and turned into a critical alert `lapseAlertDays` before the cover ends (see `lapseAlertDue`).
 */
import { DAY_SEC, sameAddress } from "./money";
import type { CoverageChainState, CoverageSkipReason } from "./coverage";
import { formatDuration, formatUtcMinute, keeperCommand } from "../lib/format";

export type HeldReason =
  /** No provider can even be asked: the only preferred provider has no quote source configured. */
  | "no-quote-source"
  /** Every provider refused (no quote, no capacity, too dear) and the pool may not or cannot carry it. */
  | "unfundable"
  /** The premium budget deferred it. */
  | "budget"
  /** The keeper is not the beneficiary's agent (renewals need it). */
  | "not-agent"
  /** A suspected or confirmed incident halts buying on the protocol. */
  | "incident-halt"
  | "protocol-cap-reached"
  | "renewal-term-invalid"
  /** The position was never read and has no fixed targetAmount. */
  | "value-unknown"
  /** The fund does not know the protocol. */
  | "no-protocol-state"
  /** A claim was paid on a fixed-size position: its old size is not re-covered. */
  | "claim-paid-fixed-target";

/** Skip reasons that mean "cover the operator wants is not bought or renewed". */
const HELD_SKIPS: ReadonlySet<CoverageSkipReason> = new Set(["incident-halt", "protocol-cap-reached", "renewal-term-invalid", "value-unknown", "no-protocol-state", "claim-paid-fixed-target"]);

export interface HeldCover {
  readonly protocolId: string;
  readonly asset: string;
  readonly beneficiary: string;
  /** What was not done: "purchase" | "increase" | "renew" | "reduce", or "cover" (the position as a whole). */
  readonly action: string;
  readonly reason: HeldReason;
  /** Why, in the keeper's words (e.g. "provider 1: quote-error (providers.nexus.quoteBaseUrl is not configured)"). */
  readonly detail: string;
  /** What the operator changes so it is bought again. */
  readonly fix: string;
  /** Chain time (unix s) the position's last live cover ends; null when it has none now (uncovered). */
  readonly lapseAt: number | null;
}

/** A position the held entries can be matched to. */
export interface HeldPosition {
  readonly protocolId: string;
  readonly protocol: string;
  readonly asset: string;
  readonly beneficiary: string;
}

/** One unsent action of the cycle, with the position it was for. */
export interface UnsentAction {
  readonly protocolId: string;
  readonly asset: string;
  readonly beneficiary: string;
  readonly kind: string;
  readonly reason: "unfundable" | "budget" | "not-agent";
  readonly reasons: readonly string[];
  /** The coverage a renewal was for (its end is the lapse). */
  readonly coverEnd?: number;
}

export interface HeldInput {
  readonly positions: readonly HeldPosition[];
  readonly skipped: readonly { readonly protocolId: string; readonly protocol: string; readonly reason: CoverageSkipReason; readonly detail?: string; readonly asset?: string; readonly beneficiary?: string }[];
  readonly unsent: readonly UnsentAction[];
  readonly chain: Pick<CoverageChainState, "protocols">;
  readonly now: number;
  readonly keeperAddress?: string;
}

/** "provider 1: quote-error (providers.nexus.quoteBaseUrl is not configured)" names a missing quote source. */
function noQuoteSource(reasons: readonly string[]): boolean {
  const rejections = reasons.filter((r) => !/^provider 0:/.test(r));
  return rejections.length > 0 && rejections.every((r) => /quoteBaseUrl is not configured|no quote source configured/.test(r));
}

/** The fix for each reason (the config field or the command to run). */
export function heldFix(reason: HeldReason, held: { readonly protocolId: string; readonly beneficiary: string }, keeperAddress?: string): string {
  switch (reason) {
    case "no-quote-source":
      return `set providers.nexus.quoteBaseUrl (the Nexus cover-router, https://api.nexusmutual.io/v2/) or let the fund's pool carry it (positions[].allowSelfInsure: true for ${held.protocolId})`;
    case "unfundable":
      return `add a provider that can quote ${held.protocolId} to positions[].providers, or allow self-insurance (positions[].allowSelfInsure: true) with enough pool reserve`;
    case "budget":
      return "raise budget.maxPremiumPerCycleUsd / budget.maxPremiumPerDayUsd, or wait for the next cycle's budget";
    case "not-agent":
      return `the beneficiary ${held.beneficiary} runs \`${keeperCommand(`set-agent${keeperAddress !== undefined ? ` ${keeperAddress}` : ""}`)}\` with its key (BENEFICIARY_PRIVATE_KEY)`;
    case "incident-halt":
      return `review the incident (\`${keeperCommand("incident list")}\`): resolve or dismiss it, then the admin clears the halt (\`${keeperCommand(`clear-incident ${held.protocolId}`)}\`)`;
    case "protocol-cap-reached":
      return "the fund's per-protocol cap is full: the admin raises maxCoveragePerProtocol, or accept less cover";
    case "renewal-term-invalid":
      return "lower coverage.purchaseDurationDays (the fund allows terms of 30 to 365 days)";
    case "value-unknown":
      return `the position reader never read ${held.protocolId}: check its \`position\` (\`${keeperCommand("doctor")}\`) or set a fixed targetAmount`;
    case "claim-paid-fixed-target":
      return `a claim was paid on ${held.protocolId}: set positions[].targetAmount to what the position holds now (0 to stop covering it), or give it a \`position\` the keeper reads on chain`;
    case "no-protocol-state":
      return `the fund does not list ${held.protocolId}: check protocols[].address, or have the admin register it`;
  }
}

/** The latest end of the position's live coverages (chain time), or null when it has none. */
export function lapseOf(position: Pick<HeldPosition, "protocol" | "asset" | "beneficiary">, chain: Pick<CoverageChainState, "protocols">, now: number): number | null {
  const state = chain.protocols.find((p) => sameAddress(p.protocol, position.protocol));
  const ends = (state?.coverages ?? [])
    .filter((c) => c.status === "Active" && c.end > now && sameAddress(c.asset, position.asset) && sameAddress(c.beneficiary, position.beneficiary))
    .map((c) => c.end);
  return ends.length === 0 ? null : Math.max(...ends);
}

/** Every held coverage of the cycle, one entry per position and reason (sorted by lapse, soonest first). */
export function heldCovers(input: HeldInput): HeldCover[] {
  const out = new Map<string, HeldCover>();
  const add = (position: HeldPosition, action: string, reason: HeldReason, detail: string, coverEnd?: number): void => {
    const key = `${position.protocolId}|${position.asset.toLowerCase()}|${position.beneficiary.toLowerCase()}|${reason}`;
    if (out.has(key)) return;
    const lapseAt = coverEnd ?? lapseOf(position, input.chain, input.now);
    out.set(key, { protocolId: position.protocolId, asset: position.asset, beneficiary: position.beneficiary, action, reason, detail, fix: heldFix(reason, position, input.keeperAddress), lapseAt });
  };
  for (const skip of input.skipped) {
    if (!HELD_SKIPS.has(skip.reason)) continue;
    const mine = input.positions.filter(
      (p) =>
        p.protocolId === skip.protocolId &&
        (skip.asset === undefined || sameAddress(p.asset, skip.asset)) &&
        (skip.beneficiary === undefined || sameAddress(p.beneficiary, skip.beneficiary)),
    );
    for (const p of mine) add(p, "cover", skip.reason as HeldReason, skip.detail ?? skip.reason);
  }
  for (const u of input.unsent) {
    const position = input.positions.find((p) => p.protocolId === u.protocolId && sameAddress(p.asset, u.asset) && sameAddress(p.beneficiary, u.beneficiary));
    if (position === undefined) continue;
    const reason: HeldReason = u.reason === "unfundable" && noQuoteSource(u.reasons) ? "no-quote-source" : u.reason;
    add(position, u.kind, reason, u.reasons.join("; "), u.coverEnd);
  }
  return [...out.values()].sort((a, b) => (a.lapseAt ?? 0) - (b.lapseAt ?? 0));
}

/** "aave-v3: no-quote-source (…), cover lapses 2027-03-16 06:53 UTC" — one line per held coverage. */
export function heldLine(h: HeldCover, now: number): string {
  const lapse = h.lapseAt === null ? "no live cover now" : `cover lapses ${formatUtcMinute(h.lapseAt)} (chain time, in ${formatDuration(h.lapseAt - now)})`;
  return `${h.protocolId}: ${h.reason} — ${h.detail}; ${lapse}`;
}

/**
 * Whether a held coverage warrants the critical lapse alert now: it has no live cover (the lapse
 * already happened, or nothing was ever bought), or its cover ends within `lapseAlertDays`.
 * Incident halts have their own alert (the coverage cycle's "cover held by an incident").
 */
export function lapseAlertDue(h: HeldCover, now: number, lapseAlertDays: number): boolean {
  if (h.reason === "incident-halt") return false;
  if (h.lapseAt === null) return h.action === "purchase" || h.action === "cover";
  return h.lapseAt - now <= lapseAlertDays * DAY_SEC;
}

/** The alert of one held coverage (title, message, dedup key: one per position, reason and lapse). */
export function lapseAlert(h: HeldCover, now: number): { title: string; message: string; dedupKey: string } {
  const when = h.lapseAt === null ? "has no live cover now" : `loses its cover at ${formatUtcMinute(h.lapseAt)} (chain time, in ${formatDuration(h.lapseAt - now)})`;
  return {
    title: h.lapseAt === null ? `no cover: ${h.protocolId} (${h.reason})` : `cover lapses in ${formatDuration(h.lapseAt - now)}: ${h.protocolId} (${h.reason})`,
    message: `The keeper cannot ${h.action === "cover" ? "buy or renew cover for" : `${h.action} the cover of`} ${h.protocolId} (beneficiary ${h.beneficiary}): ${h.reason} — ${h.detail}. The position ${when}. Fix: ${h.fix}.`,
    dedupKey: `cover-lapse:${h.protocolId}:${h.asset.toLowerCase()}:${h.beneficiary.toLowerCase()}:${h.reason}:${h.lapseAt ?? "none"}`,
  };
}
