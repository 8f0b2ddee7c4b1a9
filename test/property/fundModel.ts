/**
 * Pure TypeScript reference model of the StablecoinInsuranceFund for the property tests: it
 * mirrors RiskMath with bigint (rounding up where the contract does) and predicts, for each step,
 * either success with the resulting books or the exact fund error. No I/O here.
 */

export const DAY = 86_400n;
export const YEAR = 365n * DAY;
export const BPS = 10_000n;
export const MIN_DURATION = 30n * DAY;
export const MAX_DURATION = 365n * DAY;
export const NEXUS_VOTING = 3n * DAY;
export const NEXUS_COOLDOWN = 1n * DAY;
export const NEXUS_REDEMPTION = 30n * DAY;
export const UPSTREAM_GRACE = 30n * DAY;

export function ceilDiv(a: bigint, b: bigint): bigint {
  return a === 0n ? 0n : (a - 1n) / b + 1n;
}

/** RiskMath.premium: amount × base × duration × (50 + risk) / (BPS × YEAR × 100), rounded up. */
export function premium(amount: bigint, duration: bigint, risk: bigint, baseRateBps: bigint): bigint {
  return ceilDiv(amount * baseRateBps * duration * (50n + risk), BPS * YEAR * 100n);
}

/** The upstream mocks' price: amount × priceBps × period / (BPS × YEAR), rounded up. */
export function upstreamQuote(amount: bigint, period: bigint, priceBps: bigint): bigint {
  return ceilDiv(amount * priceBps * period, BPS * YEAR);
}

export type Components = readonly [number, number, number, number, number];

export interface RiskRecord {
  components: Components;
  lastUpdated: bigint;
}

/** RiskMath.riskScore. */
export function riskScore(risk: RiskRecord, now: bigint): bigint {
  if (risk.lastUpdated === 0n) return 90n;
  const [tvl, audit, time, exploit, team] = risk.components.map(BigInt) as [bigint, bigint, bigint, bigint, bigint];
  let score = (tvl * 25n + audit * 20n + time * 15n + exploit * 25n + team * 15n) / 100n;
  if (now > risk.lastUpdated + 7n * DAY) score += 10n;
  return score > 100n ? 100n : score;
}

/** The ratio requirement: ceil(selfInsured × ratio) + the amounts of open (unassessed) self-insured claims. */
export function requiredReserve(selfInsured: bigint, ratioBps: bigint, openClaims = 0n): bigint {
  return ceilDiv(selfInsured * ratioBps, BPS) + openClaims;
}

/** The full requirement: the ratio requirement, or the largest single-protocol self-insured exposure. */
export function fullRequirement(b: AssetBook, ratioBps: bigint): bigint {
  const ratio = requiredReserve(b.selfInsured, ratioBps, b.openClaims);
  return b.largest > ratio ? b.largest : ratio;
}

export interface ModelCoverage {
  id: number;
  protocol: number;
  asset: number;
  beneficiary: number;
  amount: bigint;
  start: bigint;
  end: bigint;
  providerId: number;
  active: boolean;
  claimed: bigint;
  maxAmount: bigint; // the largest amount the coverage ever had
  openClaim: number;
  upstreamStart: bigint; // start of the current upstream cover (purchase or last renewal)
  segmentStart: bigint; // the fund's upstream segment start: purchase, or the last renewal that changed the upstream id
  amountHistory: { amount: bigint; until: bigint }[]; // superseded amounts, oldest first
  refileUntil: bigint; // a denied claim may be re-filed until then (0 = never denied)
  lastClaimIncidentAt: bigint;
}

export type ModelClaimStatus = "Pending" | "Accepted" | "Denied" | "Paid" | "Draw" | "Expired" | "Withdrawn" | "Vetoed" | "Disputed";
export const CLAIM_STATUS_CODE: Record<ModelClaimStatus, number> = {
  Pending: 1,
  Accepted: 2,
  Denied: 3,
  Paid: 4,
  Draw: 5,
  Expired: 6,
  Withdrawn: 7,
  Vetoed: 8,
  Disputed: 9,
};

export interface ModelClaim {
  id: number;
  coverId: number;
  claimant: number;
  amount: bigint;
  payout: bigint;
  deposit: bigint;
  status: ModelClaimStatus;
  providerClaimId: bigint;
  submittedAt: bigint;
  incidentAt: bigint;
  payableAt: bigint; // end of the challenge period (self-insured, accepted)
  confirmationRequired: boolean;
  reinstated: boolean;
  acceptVotes: number; // Nexus
  denyVotes: number; // Nexus
  upstreamDecision?: { kind: "Accept" | "Deny" | "Draw"; payout: bigint; at: bigint }; // provider 2
}

/** One incident report of a protocol's history (never overwritten). */
export interface ModelIncident {
  occurredAt: bigint;
  reportedAt: bigint;
  clearedAt: bigint; // 0 = still halting
  voidedAt: bigint; // 0 = valid
}

export interface AssetBook {
  pool: bigint;
  credited: bigint;
  pending: bigint; // accepted self-insured payouts in their challenge period
  openClaims: bigint; // pending self-insured claim amounts
  acceptances: { at: bigint; amount: bigint }[]; // counted acceptances still in the sliding 24 h window
  largest: bigint; // high-water mark of one protocol's self-insured exposure
  active: bigint;
  selfInsured: bigint;
  balance: bigint; // the fund's token balance
}

export interface Model {
  now: bigint;
  paused: boolean;
  baseRateBps: bigint;
  reserveRatioBps: bigint;
  maxDecreasePerDay: bigint;
  renewalWindow: bigint;
  claimGracePeriod: bigint;
  challengePeriod: bigint;
  dailyPayoutLimitBps: bigint;
  cap: bigint; // USD wad
  decimals: readonly number[]; // per asset
  risks: RiskRecord[]; // per protocol
  exposure: bigint[]; // per protocol, wad
  books: AssetBook[]; // per asset
  balances: bigint[][]; // [actor][asset]
  credits: bigint[][]; // [actor][asset]
  deposits: bigint[]; // [actor] returned claim deposits (wei)
  agents: boolean[][]; // [beneficiary][agent]
  incidents: ModelIncident[][]; // per protocol, oldest first
  selfInsuredOf: bigint[][]; // [protocol][asset]
  lookback: bigint;
  refileWindow: bigint;
  coverages: ModelCoverage[]; // index = id - 1
  claims: ModelClaim[]; // index = id - 1
  nexusProviderClaims: number; // upstream claim ids handed out so far
  secondProviderClaims: number;
  secondProviderCovers: number;
}

export function cloneModel(m: Model): Model {
  return {
    ...m,
    risks: m.risks.map((r) => ({ ...r })),
    exposure: [...m.exposure],
    books: m.books.map((b) => ({ ...b, acceptances: b.acceptances.map((x) => ({ ...x })) })),
    selfInsuredOf: m.selfInsuredOf.map((row) => [...row]),
    balances: m.balances.map((row) => [...row]),
    credits: m.credits.map((row) => [...row]),
    deposits: [...m.deposits],
    agents: m.agents.map((row) => [...row]),
    incidents: m.incidents.map((h) => h.map((i) => ({ ...i }))),
    coverages: m.coverages.map((c) => ({ ...c, amountHistory: c.amountHistory.map((x) => ({ ...x })) })),
    claims: m.claims.map((c) => ({ ...c, upstreamDecision: c.upstreamDecision && { ...c.upstreamDecision } })),
  };
}

export function toWad(amount: bigint, decimals: number): bigint {
  return amount * 10n ** BigInt(18 - decimals);
}

/** A predicted fund error: its name and, where the test checks them, its arguments. */
export interface FundError {
  name: string;
  args?: readonly (bigint | string | number)[];
}

/** `checkCap`: the protocol's exposure after adding `addWad`, or the cap error. */
export function checkCap(m: Model, protocol: number, addWad: bigint): bigint | FundError {
  const exposure = m.exposure[protocol] ?? 0n;
  const available = exposure >= m.cap ? 0n : m.cap - exposure;
  if (addWad > available) return { name: "FundProtocolCapExceeded" };
  return exposure + addWad;
}

/** Nexus claim outcome as the adapter reports it at `now`. */
export function nexusOutcome(c: ModelClaim, now: bigint): "Pending" | "Accepted" | "Denied" | "Draw" | "Expired" {
  const votingEnd = c.submittedAt + NEXUS_VOTING;
  if (now <= votingEnd + NEXUS_COOLDOWN) return "Pending";
  if (c.acceptVotes > c.denyVotes) {
    return now < votingEnd + NEXUS_COOLDOWN + NEXUS_REDEMPTION ? "Accepted" : "Expired";
  }
  return c.acceptVotes < c.denyVotes ? "Denied" : "Draw";
}

/** Second provider's claim outcome at `now`. */
export function secondProviderOutcome(c: ModelClaim, now: bigint): "Pending" | "Accepted" | "Denied" | "Draw" | "Expired" {
  const d = c.upstreamDecision;
  if (d === undefined) return "Pending";
  if (d.kind === "Accept") return now > d.at + NEXUS_REDEMPTION ? "Expired" : "Accepted";
  return d.kind === "Deny" ? "Denied" : "Draw";
}

/** Reports that halt the protocol (neither cleared nor voided). */
export function activeIncidents(m: Model, protocol: number): number {
  return m.incidents[protocol]!.filter((r) => r.clearedAt === 0n && r.voidedAt === 0n).length;
}

/** The occurredAt FundProtocolHalted names: the latest report's. */
export function haltOccurredAt(m: Model, protocol: number): bigint {
  const h = m.incidents[protocol]!;
  return h[h.length - 1]?.occurredAt ?? 0n;
}

function contains(r: ModelIncident, t: bigint): boolean {
  return r.occurredAt <= t && (r.clearedAt === 0n || t < r.clearedAt);
}

/** The smallest amount the coverage held over [lo, hi] (0 before its start). */
function minAmount(c: ModelCoverage, lo: bigint, hi: bigint): bigint {
  if (lo < c.start) return 0n;
  let least: bigint | undefined;
  let segmentStart = c.start;
  for (const h of c.amountHistory) {
    if (segmentStart <= hi && h.until > lo && (least === undefined || h.amount < least)) least = h.amount;
    segmentStart = h.until;
  }
  if (segmentStart <= hi && (least === undefined || c.amount < least)) least = c.amount;
  return least ?? 0n;
}

/** IncidentLogic.insurable: what the coverage may claim for a loss at `t`, and the restricting report. */
export function insurable(m: Model, c: ModelCoverage, t: bigint): { amount: bigint; occurredAt: bigint } {
  let held = c.amount;
  let occurredAt = 0n;
  if (c.providerId === 0) {
    for (const r of m.incidents[c.protocol]!) {
      if (r.voidedAt === 0n && contains(r, t) && (occurredAt === 0n || r.occurredAt < occurredAt)) occurredAt = r.occurredAt;
    }
    held = occurredAt === 0n ? minAmount(c, t, t) : minAmount(c, occurredAt - 1n, t);
    if (held > c.amount) held = c.amount;
  }
  return { amount: held > c.claimed ? held - c.claimed : 0n, occurredAt };
}

/** The last second a self-insured claim may be filed (end + grace, or the re-filing window). */
export function claimDeadline(m: Model, c: ModelCoverage): bigint {
  const d = c.end + m.claimGracePeriod;
  return c.refileUntil > d ? c.refileUntil : d;
}

/** IncidentLogic.checkNoUnclaimedIncident: the index of a report that blocks a hedged renewal, or -1. */
export function unclaimedIncident(m: Model, c: ModelCoverage): number {
  const h = m.incidents[c.protocol]!;
  for (let i = h.length - 1; i >= 0; i--) {
    const r = h[i]!;
    if (r.voidedAt !== 0n || (r.clearedAt !== 0n && r.clearedAt <= c.segmentStart)) continue;
    if (c.lastClaimIncidentAt < r.occurredAt) return i;
  }
  return -1;
}
