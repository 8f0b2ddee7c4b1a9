/**
 * PURE. The one shape every exploit signal takes before the incident state machine merges it
 * into an incident (one per protocol and event window). Producers: the TVL-drop rule, the
 * hacks feed, DefiLlama hallmarks, the operator (`keeper incident ...`), and the on-chain
 * exploit watch (watched balances read in the tick's multicall).
 *
 * Corroborating signals (hacks feed, hallmark, operator confirmation) move an incident to
 * `confirmed`; the others alone leave it `suspected`.
 */

export type IncidentSignalKind = "tvl-drop" | "hacks-feed" | "hallmark" | "manual" | "onchain-drain";

export type IncidentState = "suspected" | "confirmed" | "dismissed";

/** Signal kinds that confirm an incident on their own. */
export const CORROBORATING_SIGNALS: ReadonlySet<IncidentSignalKind> = new Set(["hacks-feed", "hallmark", "manual"]);

/** A balance read at one block (amounts in the token's base units, decimal strings). */
export interface BalanceObservation {
  readonly token: string;
  readonly holder: string;
  readonly block: number;
  /** Chain time of `block`, unix seconds. */
  readonly timestamp: number;
  readonly balance: string;
}

/** What the on-chain exploit watch saw: a watched balance falling fast. */
export interface DrainDetail {
  readonly token: string;
  readonly holder: string;
  readonly before: BalanceObservation;
  readonly after: BalanceObservation;
  /** (before - after) / before, 0..1. */
  readonly dropFraction: number;
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
}
