/**
 * PURE leading-signal rules of the exploit watch: what an attack shows before the funds move.
 *
 * - Admin events on a protocol's configured contracts (decoded by sources/leadingSignals.ts from
 *   the tick's one `eth_getLogs`): an ERC-1967 `Upgraded` / `AdminChanged` / `BeaconUpgraded`, an
 *   Ownable `OwnershipTransferred`, an AccessControl `RoleGranted` of an admin role
 *   (DEFAULT_ADMIN_ROLE or a configured role id), a Pausable `Paused`. An event naming an
 *   announced address (the new implementation of an announced upgrade, an announced grantee),
 *   within the announcement's expiry, is expected and no signal.
 * - A Chainlink-style price feed of the covered stablecoin (read in the tick's multicall): an
 *   answer off its peg by at least `deviationBps`, a non-positive answer, or an answer older than
 *   the feed's heartbeat plus a grace.
 *
 * Each is an `IncidentSignal` of kind "admin-event" or "oracle-deviation": it opens a `suspected`
 * incident (critical alert, `reportIncident` halts sales) and never confirms or claims on its own
 * (see LEADING_SIGNALS, `confirmsAlone`, `signalFamily` in incidentSignals.ts).
 */
import type { IncidentSignal } from "./incidentSignals";

export type AdminEventName = "Upgraded" | "AdminChanged" | "BeaconUpgraded" | "OwnershipTransferred" | "RoleGranted" | "Paused";

export const DEFAULT_ADMIN_ROLE = `0x${"0".repeat(64)}`;

/** One decoded admin event log. */
export interface AdminEvent {
  readonly contract: string;
  readonly event: AdminEventName;
  /** The address the event puts in charge: new implementation, admin, beacon, owner, grantee; the pauser for `Paused`. */
  readonly subject: string;
  /** The previous admin/owner, when the event names one. */
  readonly previous?: string;
  /** `RoleGranted`: the role id (bytes32, lower case) and who granted it. */
  readonly role?: string;
  readonly sender?: string;
  readonly block: number;
  /** Chain time of `block`, unix seconds. */
  readonly timestamp: number;
  readonly txHash: string;
  readonly logIndex: number;
}

export interface AnnouncedChange {
  readonly account: string;
  readonly contract?: string;
  readonly event?: AdminEventName;
  /** Unix seconds after which the announcement no longer covers an event. */
  readonly untilSec?: number;
}

export interface AdminWatchRule {
  readonly protocolId: string;
  readonly protocolName: string;
  /** Configured contracts (lower case address → label and admin role ids, lower case). */
  readonly contracts: ReadonlyMap<string, { readonly label: string; readonly adminRoles: readonly string[] }>;
  readonly announced: readonly AnnouncedChange[];
}

export interface AdminEventVerdict {
  readonly event: AdminEvent;
  /** Undefined when the event is a signal. */
  readonly ignored?: string;
}

const same = (a: string, b: string): boolean => a.toLowerCase() === b.toLowerCase();

function describe(e: AdminEvent, label: string): string {
  switch (e.event) {
    case "Upgraded":
      return `${label} upgraded to implementation ${e.subject}`;
    case "AdminChanged":
      return `${label} admin changed ${e.previous ?? "?"} → ${e.subject}`;
    case "BeaconUpgraded":
      return `${label} beacon changed to ${e.subject}`;
    case "OwnershipTransferred":
      return `${label} ownership transferred ${e.previous ?? "?"} → ${e.subject}`;
    case "RoleGranted":
      return `${label} admin role ${e.role ?? "?"} granted to ${e.subject} by ${e.sender ?? "?"}`;
    case "Paused":
      return `${label} paused by ${e.subject}`;
  }
}

/** Whether an event is one of the rule's (configured contract; `RoleGranted` only of an admin role) and not announced. */
export function judgeAdminEvent(e: AdminEvent, rule: AdminWatchRule): AdminEventVerdict {
  const contract = rule.contracts.get(e.contract.toLowerCase());
  if (contract === undefined) return { event: e, ignored: "not a configured contract" };
  if (e.event === "RoleGranted") {
    const role = (e.role ?? "").toLowerCase();
    if (role !== DEFAULT_ADMIN_ROLE && !contract.adminRoles.includes(role)) return { event: e, ignored: `role ${role} is not an admin role` };
  }
  const announced = rule.announced.find(
    (a) => same(a.account, e.subject) && (a.contract === undefined || same(a.contract, e.contract)) && (a.event === undefined || a.event === e.event) && (a.untilSec === undefined || e.timestamp <= a.untilSec),
  );
  if (announced !== undefined) return { event: e, ignored: `announced change (${announced.account}${announced.untilSec !== undefined ? ` until ${announced.untilSec}` : ""})` };
  return { event: e };
}

/** Admin events → leading signals (one per log: `admin-event:<contract>:<tx>:<logIndex>`), and the events left out with why. */
export function adminEventSignals(events: readonly AdminEvent[], rule: AdminWatchRule, now: number): { signals: IncidentSignal[]; ignored: AdminEventVerdict[] } {
  const signals: IncidentSignal[] = [];
  const ignored: AdminEventVerdict[] = [];
  for (const e of events) {
    const verdict = judgeAdminEvent(e, rule);
    if (verdict.ignored !== undefined) {
      ignored.push(verdict);
      continue;
    }
    const label = rule.contracts.get(e.contract.toLowerCase())?.label ?? e.contract;
    const detail = describe(e, label);
    signals.push({
      kind: "admin-event",
      protocolId: rule.protocolId,
      sourceId: `admin-event:${e.contract.toLowerCase()}:${e.txHash.toLowerCase()}:${e.logIndex}`,
      occurredAt: e.timestamp,
      observedAt: now,
      description: `${rule.protocolName}: ${detail} at block ${e.block} (leading signal: not announced)`,
      sourceRef: "chain",
      leading: { contract: e.contract, event: e.event, block: e.block, txHash: e.txHash, detail },
    });
  }
  return { signals, ignored };
}

/** A price feed's latest round (AggregatorV3Interface.latestRoundData) and its decimals. */
export interface OracleRound {
  readonly aggregator: string;
  readonly roundId: bigint;
  readonly answer: bigint;
  readonly updatedAt: number;
  readonly decimals: number;
}

export interface PegRule {
  readonly protocolId: string;
  readonly label: string;
  /** The peg in micro-USD (1 USD = 1_000_000). */
  readonly pegMicro: bigint;
  /** Off peg by at least this many basis points of the peg is a signal. */
  readonly deviationBps: number;
  /** Older than this many seconds (heartbeat + grace) is stale. */
  readonly staleAfterSec: number;
}

export interface PegCheck {
  readonly status: "on-peg" | "off-peg" | "stale" | "invalid";
  /** |answer − peg| in basis points of the peg (undefined for a non-positive answer). */
  readonly deviationBps?: number;
  readonly ageSec: number;
  /** The answer in USD, for messages. */
  readonly price: string;
}

/** Reads a round against the peg rule at chain time `now`. */
export function checkPeg(round: OracleRound, rule: PegRule, now: number): PegCheck {
  const ageSec = Math.max(0, now - round.updatedAt);
  const scale = 10n ** BigInt(round.decimals);
  const price = formatScaled(round.answer, round.decimals);
  if (round.answer <= 0n) return { status: "invalid", ageSec, price };
  const pegScaled = rule.pegMicro * scale; // micro-USD × 10^decimals
  const answerScaled = round.answer * 1_000_000n;
  const diff = answerScaled > pegScaled ? answerScaled - pegScaled : pegScaled - answerScaled;
  const deviationBps = Number((diff * 10_000n) / pegScaled);
  if (diff * 10_000n >= pegScaled * BigInt(rule.deviationBps)) return { status: "off-peg", deviationBps, ageSec, price };
  if (ageSec > rule.staleAfterSec) return { status: "stale", deviationBps, ageSec, price };
  return { status: "on-peg", deviationBps, ageSec, price };
}

/**
 * The leading signal of a price-feed reading, if any. Identity: an off-peg (or invalid) episode is
 * `oracle-deviation:<aggregator>:<first round off peg>` (`offPegSince`, kept by the caller until the
 * feed is back on peg), so the rounds of one depeg are one signal; a stale answer is
 * `oracle-stale:<aggregator>:<round>`.
 */
export function pegSignal(round: OracleRound, rule: PegRule, now: number, offPegSince: bigint | undefined): { check: PegCheck; signal?: IncidentSignal; offPegSince: bigint | undefined } {
  const check = checkPeg(round, rule, now);
  const agg = round.aggregator.toLowerCase();
  const peg = formatScaled(rule.pegMicro, 6);
  if (check.status === "on-peg") return { check, offPegSince: undefined };
  if (check.status === "stale") {
    const detail = `${rule.label} answer ${check.price} is ${check.ageSec} s old (stale after ${rule.staleAfterSec} s)`;
    return {
      check,
      offPegSince,
      signal: {
        kind: "oracle-deviation",
        protocolId: rule.protocolId,
        sourceId: `oracle-stale:${agg}:${round.roundId}`,
        occurredAt: Math.min(now, round.updatedAt + rule.staleAfterSec),
        observedAt: now,
        description: `${detail} (leading signal: price feed stale)`,
        sourceRef: "chain",
        leading: { contract: round.aggregator, event: "stale", detail },
      },
    };
  }
  const since = offPegSince ?? round.roundId;
  const detail =
    check.status === "invalid"
      ? `${rule.label} answer ${check.price} is not a price (≤ 0)`
      : `${rule.label} answer ${check.price} is ${((check.deviationBps ?? 0) / 100).toFixed(2)}% off its ${peg} peg (threshold ${(rule.deviationBps / 100).toFixed(2)}%)`;
  return {
    check,
    offPegSince: since,
    signal: {
      kind: "oracle-deviation",
      protocolId: rule.protocolId,
      sourceId: `oracle-deviation:${agg}:${since}`,
      occurredAt: Math.min(now, round.updatedAt),
      observedAt: now,
      description: `${detail} (leading signal: depeg)`,
      sourceRef: "chain",
      leading: { contract: round.aggregator, event: check.status === "invalid" ? "invalid-answer" : "depeg", detail },
    },
  };
}

function formatScaled(value: bigint, decimals: number): string {
  const negative = value < 0n;
  const abs = negative ? -value : value;
  const scale = 10n ** BigInt(decimals);
  const whole = abs / scale;
  const frac = (abs % scale).toString().padStart(decimals, "0").replace(/0+$/, "");
  return `${negative ? "-" : ""}${whole}${frac.length > 0 ? `.${frac}` : ""}`;
}
