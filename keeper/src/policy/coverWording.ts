/**
 * PURE. Which reported losses the cover wording pays: the table that decides whether a hacks-feed
 * row confirms an incident on its own, or raises an alert and waits for the operator.
 *
 * Defaults follow Nexus Mutual's published Protocol Cover wording (docs.nexusmutual.io, "Protocol
 * Cover": covered risks are code being used in an unintended way — exploits, hacks —, economic
 * design failure, severe oracle failure and governance attacks; losses from compromised keys or
 * wallets, front-end/DNS attacks, phishing and rug pulls are not covered). The table is
 * configuration (`incidents.coverWording`); an operator with another wording replaces it.
 *
 * A row is judged on its classification and technique (never the protocol's name):
 * - an excluded pattern matches → the operator decides (excluded wins over covered);
 * - a covered pattern matches → the row confirms, unless funds were returned (then the operator
 *   decides; the returned amount reduces the reported loss);
 * - nothing matches → the operator decides.
 */

export interface CoverWordingTable {
  /** Case-insensitive regular expressions (sources) of techniques/classifications the wording pays. */
  readonly covered: readonly string[];
  /** Case-insensitive regular expressions of losses it does not pay (checked first). */
  readonly excluded: readonly string[];
}

export const NEXUS_PROTOCOL_COVER_WORDING: CoverWordingTable = {
  covered: [
    "protocol logic",
    "logic (error|bug|flaw)",
    "exploit",
    "reentran",
    "flash ?loan",
    "oracle",
    "price manipulation",
    "economic (attack|exploit|design)",
    "governance (attack|takeover)",
    "access control",
    "(integer|arithmetic) (overflow|underflow)",
    "rounding",
    "infinite mint",
    "signature (verification|replay)",
    "smart contract",
  ],
  excluded: [
    "private key",
    "key (compromise|leak)",
    "compromised (key|wallet|signer|multisig|account)",
    "multisig compromise",
    "front ?-?end",
    "dns",
    "phishing",
    "social engineering",
    "rug ?pull",
    "insider",
    "exit scam",
    "address poisoning",
  ],
};

/** What one hacks-feed row is, read against the table. */
export interface FeedRowJudgement {
  /** True: the row confirms an incident on its own. False: alert and wait for the operator. */
  readonly confirms: boolean;
  /** Words for the alert and the evidence pack. */
  readonly reason: string;
  /** Funds returned (USD), when the row says so. */
  readonly returnedUsd?: number;
  /** The reported loss less the returned funds (USD), when the row has an amount. */
  readonly netLossUsd?: number;
}

export interface FeedRowFacts {
  readonly classification?: string | undefined;
  readonly technique?: string | undefined;
  readonly amountUsd?: number | undefined;
  readonly returnedFundsUsd?: number | undefined;
}

function firstMatch(patterns: readonly string[], text: string): string | undefined {
  for (const p of patterns) {
    try {
      if (new RegExp(p, "i").test(text)) return p;
    } catch {
      // an invalid pattern is rejected by the config schema; never matches here
    }
  }
  return undefined;
}

/** Judges a hacks-feed row against the wording table. */
export function judgeFeedRow(row: FeedRowFacts, table: CoverWordingTable): FeedRowJudgement {
  const text = [row.classification, row.technique].filter((x): x is string => typeof x === "string" && x.trim() !== "").join(" / ");
  const returned = row.returnedFundsUsd !== undefined && Number.isFinite(row.returnedFundsUsd) && row.returnedFundsUsd > 0 ? row.returnedFundsUsd : undefined;
  const net = row.amountUsd !== undefined && Number.isFinite(row.amountUsd) ? Math.max(0, row.amountUsd - (returned ?? 0)) : undefined;
  const money = { ...(returned !== undefined ? { returnedUsd: returned } : {}), ...(net !== undefined ? { netLossUsd: net } : {}) };
  if (text === "") return { confirms: false, reason: "the row names no classification or technique: the operator decides", ...money };
  const excluded = firstMatch(table.excluded, text);
  if (excluded !== undefined) return { confirms: false, reason: `"${text}" is a loss the cover wording does not pay (matches /${excluded}/i): the operator decides`, ...money };
  const covered = firstMatch(table.covered, text);
  if (covered === undefined) return { confirms: false, reason: `"${text}" matches no covered event of the wording: the operator decides`, ...money };
  if (returned !== undefined) return { confirms: false, reason: `"${text}" is covered, but ${returned} USD of funds were returned: the operator decides (the loss is reduced)`, ...money };
  return { confirms: true, reason: `"${text}" is a covered event (matches /${covered}/i)`, ...money };
}

/** The invalid patterns of a table (for config validation). */
export function invalidPatterns(table: CoverWordingTable): string[] {
  const bad: string[] = [];
  for (const p of [...table.covered, ...table.excluded]) {
    try {
      new RegExp(p, "i");
    } catch {
      bad.push(p);
    }
  }
  return bad;
}
