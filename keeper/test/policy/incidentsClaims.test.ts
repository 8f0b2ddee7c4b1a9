import { expect } from "chai";

import {
  claimWindowFor,
  decideClaimFollowUps,
  planClaims,
  type ClaimableCoverage,
  type ClaimIncident,
} from "../../src/policy/claims";
import { DEFAULT_INCIDENT_RULES, detectIncidents, findTvlDrops, type IncidentInput } from "../../src/policy/incidents";
import type { Incident as FeedIncident } from "../../src/sources/hacksFeedSource";

const NOW = 1_750_000_000;
const H = 3_600;
const DAY = 86_400;
const EULER = "0xeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeee";

function input(over: Partial<IncidentInput> = {}): IncidentInput {
  return { coveredProtocols: ["euler"], tvlHistories: new Map(), feedIncidents: new Map(), manual: [], known: [], ...over };
}

describe("policy/incidents", () => {
  it("TVL drop: exactly 30% within 24 h fires; 29.9% does not; a 30% fall over 24 h + 1 s does not", () => {
    const rule = { minDropFraction: 0.3, windowSec: DAY };
    expect(findTvlDrops([{ date: NOW - DAY, tvlUsd: 1_000 }, { date: NOW, tvlUsd: 700 }], rule, NOW)).to.have.length(1);
    expect(findTvlDrops([{ date: NOW - DAY, tvlUsd: 1_000 }, { date: NOW, tvlUsd: 701 }], rule, NOW)).to.have.length(0);
    expect(findTvlDrops([{ date: NOW - DAY - 1, tvlUsd: 1_000 }, { date: NOW, tvlUsd: 700 }], rule, NOW)).to.have.length(0);
  });
  it("one event per collapse: later breaches inside the window deepen the trough, not a new incident", () => {
    const history = [0, 1, 2, 3, 4].map((i) => ({ date: NOW - 10 * H + i * H, tvlUsd: [1_000, 990, 600, 300, 100][i]! }));
    const events = findTvlDrops(history, { minDropFraction: 0.3, windowSec: DAY }, NOW);
    expect(events).to.have.length(1);
    expect(events[0]!.breach.tvlUsd).to.equal(600);
    expect(events[0]!.trough.tvlUsd).to.equal(100);
    const r = detectIncidents(input({ tvlHistories: new Map([["euler", history]]) }), DEFAULT_INCIDENT_RULES, NOW);
    expect(r.incidents.map((i) => i.dedupeKey)).to.deep.equal([`tvl-drop:euler:${NOW - 8 * H}`]);
  });
  it("dedupes against known incidents (by key, and a TVL drop near a known one) and ignores disabled rules", () => {
    const history = [{ date: NOW - 2 * H, tvlUsd: 1_000 }, { date: NOW - H, tvlUsd: 500 }];
    const known = [{ dedupeKey: "tvl-drop:euler:other", kind: "tvl-drop" as const, protocolId: "euler", occurredAt: NOW - 3 * H }];
    const r = detectIncidents(input({ tvlHistories: new Map([["euler", history]]), known }), DEFAULT_INCIDENT_RULES, NOW);
    expect(r.incidents).to.have.length(0);
    expect(r.duplicates).to.have.length(1);
    const off = { ...DEFAULT_INCIDENT_RULES, tvlDrop: { ...DEFAULT_INCIDENT_RULES.tvlDrop, enabled: false } };
    expect(detectIncidents(input({ tvlHistories: new Map([["euler", history]]) }), off, NOW).incidents).to.have.length(0);
  });
  it("hacks feed: a new feed entry for a covered protocol, once; curated and old entries are not new", () => {
    const entry = (over: Partial<FeedIncident>): FeedIncident => ({ protocol: "euler", date: NOW - DAY, name: "Euler Finance", origin: "feed", ref: "feed#1", amountUsd: 197e6, txHash: "0x" + "ab".repeat(32), ...over });
    const feed = new Map([["euler", [entry({}), entry({ origin: "config" }), entry({ date: NOW - 40 * DAY })]], ["uncovered", [entry({ protocol: "uncovered" })]]]);
    const first = detectIncidents(input({ feedIncidents: feed }), DEFAULT_INCIDENT_RULES, NOW);
    expect(first.incidents.map((i) => i.dedupeKey)).to.deep.equal([`hack:euler:${NOW - DAY}:euler finance`]);
    expect(first.incidents[0]!.exploitTxHash).to.equal("0x" + "ab".repeat(32));
    const again = detectIncidents(input({ feedIncidents: feed, known: first.incidents }), DEFAULT_INCIDENT_RULES, NOW);
    expect(again.incidents).to.have.length(0);
  });
  it("manual incidents carry the operator's data and dedupe by id", () => {
    const manual = [{ id: "pm-1", protocolId: "euler", occurredAt: NOW - H, description: "post-mortem" }, { id: "pm-1", protocolId: "euler", occurredAt: NOW - H, description: "dup" }];
    const r = detectIncidents(input({ manual }), DEFAULT_INCIDENT_RULES, NOW);
    expect(r.incidents.map((i) => i.dedupeKey)).to.deep.equal(["manual:euler:pm-1"]);
    expect(r.duplicates).to.deep.equal(["manual:euler:pm-1"]);
  });
});

function cov(over: Partial<ClaimableCoverage> = {}): ClaimableCoverage {
  return { id: 1n, protocol: EULER, asset: "0x1", beneficiary: "0x2", amount: 1_000n, claimed: 0n, start: NOW - 100 * DAY, end: NOW + 100 * DAY, providerId: 1, providerCoverId: 5n, openClaimId: 0n, status: "Active", ...over };
}
const INCIDENT: ClaimIncident = { dedupeKey: "tvl-drop:euler:1", protocol: EULER, occurredAt: NOW - DAY };
const PARAMS = { claimGracePeriodSec: 30 * DAY };

describe("policy/claims", () => {
  it("windows: self-insured = [start + 1, end + grace]; hedged = provider window, never the purchase block", () => {
    expect(claimWindowFor({ start: 10, end: 100, providerId: 0 }, undefined, PARAMS)).to.deep.equal({ earliest: 11, latest: 100 + 30 * DAY });
    expect(claimWindowFor({ start: 10, end: 100, providerId: 1 }, { earliest: 5, latest: 200 }, PARAMS)).to.deep.equal({ earliest: 11, latest: 200 });
    expect(claimWindowFor({ start: 10, end: 100, providerId: 1 }, undefined, PARAMS)).to.equal(undefined);
  });
  const windowAt = (earliest: number, latest: number) => new Map([["1", { earliest, latest }]]);
  const kindAt = (now: number) => planClaims([INCIDENT], [cov()], [], windowAt(NOW, NOW + 10), PARAMS, now)[0]!.kind;
  it("timing edges: earliest − 1 schedules, earliest and latest file, latest + 1 is too late", () => {
    expect(kindAt(NOW - 1)).to.equal("schedule");
    expect(kindAt(NOW)).to.equal("file-now");
    expect(kindAt(NOW + 10)).to.equal("file-now");
    expect(kindAt(NOW + 11)).to.equal("too-late");
    const scheduled = planClaims([INCIDENT], [cov()], [], windowAt(NOW, NOW + 10), PARAMS, NOW - 1)[0]!;
    expect(scheduled.kind === "schedule" && scheduled.at).to.equal(NOW);
  });
  it("self-insured files at once; the amount is min(loss, remaining)", () => {
    const self = cov({ providerId: 0, claimed: 400n });
    const plans = planClaims([{ ...INCIDENT, lossByCoverage: new Map([["1", 250n]]) }], [self], [], new Map(), PARAMS, NOW);
    expect(plans[0]).to.deep.include({ kind: "file-now", amount: 250n, idempotencyKey: "claim:tvl-drop:euler:1:1" });
    const noLoss = planClaims([INCIDENT], [self], [], new Map(), PARAMS, NOW)[0]!;
    expect(noLoss.kind === "file-now" && noLoss.amount).to.equal(600n);
    const bigLoss = planClaims([{ ...INCIDENT, lossByCoverage: new Map([["1", 10_000n]]) }], [self], [], new Map(), PARAMS, NOW)[0]!;
    expect(bigLoss.kind === "file-now" && bigLoss.amount).to.equal(600n);
  });
  it("never files twice for one incident and coverage, even when the incident is listed twice", () => {
    const self = cov({ providerId: 0 });
    expect(planClaims([INCIDENT], [self], [{ incidentKey: INCIDENT.dedupeKey, coverId: 1n }], new Map(), PARAMS, NOW)[0]!.kind).to.equal("already-filed");
    const twice = planClaims([INCIDENT, INCIDENT], [self], [], new Map(), PARAMS, NOW).map((p) => p.kind);
    expect(twice).to.deep.equal(["file-now", "already-filed"]);
  });
  it("skips coverages that did not cover the incident time, blocks on an open claim or nothing left", () => {
    expect(planClaims([INCIDENT], [cov({ start: NOW - DAY + 1 })], [], windowAt(0, NOW * 2), PARAMS, NOW)).to.have.length(0);
    expect(planClaims([INCIDENT], [cov({ openClaimId: 4n })], [], windowAt(0, NOW * 2), PARAMS, NOW)[0]).to.deep.include({ kind: "blocked", reason: "claim-open" });
    expect(planClaims([INCIDENT], [cov({ claimed: 1_000n })], [], windowAt(0, NOW * 2), PARAMS, NOW)[0]).to.deep.include({ kind: "blocked", reason: "nothing-remaining" });
  });

  describe("follow-ups", () => {
    const obs = (fundStatus: "Pending" | "Accepted" | "Denied" | "Paid", provider?: { status: "Pending" | "Accepted" | "Denied" | "Draw" | "Redeemed" | "Expired" | "None"; redeemableUntil?: number }, providerId = 1) => ({
      claimId: 3n,
      coverId: 1n,
      providerId,
      fundStatus,
      ...(provider !== undefined ? { provider: { status: provider.status, payout: 100n, redeemableUntil: provider.redeemableUntil ?? 0 } } : {}),
    });
    const kindsOf = (o: ReturnType<typeof obs>, now = NOW) => decideClaimFollowUps([o], now).map((f) => f.kind);
    it("pending waits, accepted settles (alert near or past the redemption deadline), draw settles, denied alerts", () => {
      expect(kindsOf(obs("Pending", { status: "Pending" }))).to.deep.equal(["wait"]);
      const far = decideClaimFollowUps([obs("Pending", { status: "Accepted", redeemableUntil: NOW + 2 * DAY })], NOW)[0]!;
      expect(far.kind === "settle" && far.alert).to.equal(undefined);
      const close = decideClaimFollowUps([obs("Pending", { status: "Accepted", redeemableUntil: NOW + DAY })], NOW)[0]!;
      expect(close.kind === "settle" && close.alert).to.match(/closes/);
      expect(kindsOf(obs("Pending", { status: "Draw" }))).to.deep.equal(["settle"]);
      expect(kindsOf(obs("Pending", { status: "Denied" }))).to.deep.equal(["settle"]);
      expect(kindsOf(obs("Pending", { status: "Redeemed" }))).to.deep.equal(["alert"]);
      expect(kindsOf(obs("Denied"))).to.deep.equal(["alert", "done"]);
      expect(kindsOf(obs("Paid"))).to.deep.equal(["done"]);
    });
    it("self-insured: pending waits for the assessor, accepted settles", () => {
      expect(kindsOf(obs("Pending", undefined, 0))).to.deep.equal(["wait"]);
      expect(kindsOf(obs("Accepted", undefined, 0))).to.deep.equal(["settle"]);
    });
  });
});
