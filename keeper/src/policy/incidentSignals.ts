/**
 * PURE. The one shape every exploit signal takes before the incident state machine merges it
 * into an incident (one per protocol and event window). Producers: the TVL-drop rule, the
 * hacks feed, DefiLlama hallmarks, the operator (`keeper incident ...`), and the on-chain
 * exploit watch (watched balances read in the tick's multicall).
 *
 * What confirms (`confirmsAlone`, `independentlyCorroborated`): the operator (a manual report),
 * a hacks-feed row whose classification/technique the cover wording pays (`coverVerdict.confirms`,
 * see coverWording.ts), or two independent signals — a published report (a DefiLlama hallmark)
 * together with a measurement (a TVL drop seen twice, an on-chain drain). A single keyword match
 * (a hallmark) never confirms; a leading signal (admin event, depeg) never confirms.
 */

export type IncidentSignalKind = "tvl-drop" | "hacks-feed" | "hallmark" | "manual" | "onchain-drain" | "admin-event" | "oracle-deviation";

export type IncidentState = "suspected" | "confirmed" | "dismissed" | "resolved";

/** Signal kinds that may confirm an incident on their own (hacks feed: only a covered row). */
export const CORROBORATING_SIGNALS: ReadonlySet<IncidentSignalKind> = new Set(["hacks-feed", "manual"]);

/** Leading signals: seen before funds move; they halt sales, never confirm or claim. */
export const LEADING_SIGNALS: ReadonlySet<IncidentSignalKind> = new Set(["admin-event", "oracle-deviation"]);

/** Whether a signal confirms an incident on its own: the operator, or a hacks-feed row the wording pays. */
export function confirmsAlone(signal: Pick<IncidentSignal, "kind" | "coverVerdict">): boolean {
  if (signal.kind === "manual") return true;
  if (signal.kind === "hacks-feed") return signal.coverVerdict?.confirms === true;
  return false;
}

/** The independence family of a signal for the two-signal rule (undefined: it does not count). */
export function signalFamily(signal: Pick<IncidentSignal, "kind">): "report" | "measurement" | undefined {
  if (signal.kind === "hallmark") return "report";
  if (signal.kind === "tvl-drop" || signal.kind === "onchain-drain") return "measurement";
  return undefined;
}

/** Two independent signals: a published report and a measurement of funds leaving. */
export function independentlyCorroborated(signals: readonly Pick<IncidentSignal, "kind">[]): boolean {
  const families = new Set(signals.map(signalFamily));
  return families.has("report") && families.has("measurement");
}

/** A balance read at one block (amounts in the token's base units, decimal strings). */
export interface BalanceObservation {
  readonly token: string;
  readonly holder: string;
  readonly block: number;
  /** Chain time of `block`, unix seconds. */
  readonly timestamp: number;
  readonly balance: string;
  /** Pooled lending: what depositors are owed at `block` (e.g. the aToken's total supply), base units. */
  readonly owed?: string;
}

/** What the on-chain exploit watch saw: a watched balance falling fast. */
export interface DrainDetail {
  readonly token: string;
  readonly holder: string;
  readonly before: BalanceObservation;
  readonly after: BalanceObservation;
  /** (before - after) / before, 0..1. */
  readonly dropFraction: number;
  /** The chain the balance lives on, when not the fund's (its blocks are that chain's). */
  readonly chainId?: number;
  /** Largest outgoing transfers in the block range, when cheaply available from logs. */
  readonly largestTransfers?: readonly { readonly to: string; readonly amount: string; readonly txHash: string }[];
}

export interface IncidentSignal {
  readonly kind: IncidentSignalKind;
  /** Protocol config key (e.g. "aave-v3"). */
  readonly protocolId: string;
  /**
   * Stable identity of the signal at its source, independent of mutable text: a feed row id,
   * a hallmark timestamp, a watched balance + first block of the drop, a manual id. Editing a
   * feed record (renamed entry, corrected date) keeps the same sourceId.
   */
  readonly sourceId: string;
  /** When the event happened (best estimate), unix seconds. */
  readonly occurredAt: number;
  /** Chain time the keeper saw the signal, unix seconds. */
  readonly observedAt: number;
  readonly description: string;
  /** Where it came from (feed URL with secrets redacted, "manual", "tvl-history", "chain"). */
  readonly sourceRef: string;
  readonly exploitTxHash?: string;
  readonly lossUsd?: number;
  readonly link?: string;
  readonly drain?: DrainDetail;
  /** Hacks-feed rows: the row read against the cover wording (coverWording.ts). */
  readonly coverVerdict?: { readonly confirms: boolean; readonly reason: string; readonly returnedUsd?: number; readonly netLossUsd?: number };
  /** Leading signals: the admin event or oracle reading. */
  readonly leading?: { readonly contract: string; readonly event: string; readonly block?: number; readonly txHash?: string; readonly detail: string };
}
