import { expect } from "chai";

import {
  claimWindowFor,
  decideClaimFollowUps,
  planClaims,
  positionKeyOf,
  positionLoss,
  type ClaimableCoverage,
  type ClaimIncident,
  type PositionLoss,
} from "../../src/policy/claims";
import {
  collectSignals,
  DEFAULT_INCIDENT_RULES,
  feedSourceId,
  findTvlDrops,
  isClaimable,
  operatorApproved,
  tvlDataErrors,
  manualSignal,
  operatorTransition,
  reconcileIncidents,
  type IncidentView,
  type SignalInput,
} from "../../src/policy/incidents";
import type { IncidentSignal } from "../../src/policy/incidentSignals";
import type { FeedIncident } from "../../src/domain/types";

const NOW = 1_750_000_000;
const H = 3_600;
const DAY = 86_400;
const EULER = "0xeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeee";

function input(over: Partial<SignalInput> = {}): SignalInput {
  return { coveredProtocols: ["euler"], tvlHistories: new Map(), feedIncidents: new Map(), ...over };
}
const feedEntry = (over: Partial<FeedIncident> = {}): FeedIncident => ({
  protocol: "euler",
  date: NOW - DAY,
  name: "Euler Finance",
  origin: "feed",
  ref: "feed#1",
  amountUsd: 197e6,
  txHash: "0x" + "ab".repeat(32),
  classification: "Protocol Logic",
  technique: "Flash loan donation exploit",
  raw: { defillamaId: 1061, name: "Euler Finance", date: NOW - DAY },
  ...over,
});
const drop = (at: number): IncidentSignal => ({ kind: "tvl-drop", protocolId: "euler", sourceId: `tvl-drop:euler:${at}`, occurredAt: at, observedAt: NOW, description: "TVL fell 40%", sourceRef: "tvl-history" });
const COVERED = { confirms: true, reason: "covered" } as const;
const feed = (at: number, sourceId = "feed:llama-1061:1", coverVerdict: IncidentSignal["coverVerdict"] = COVERED): IncidentSignal => ({ kind: "hacks-feed", protocolId: "euler", sourceId, occurredAt: at, observedAt: NOW, description: "hacks feed: Euler", sourceRef: "feed#1", ...(coverVerdict !== undefined ? { coverVerdict } : {}) });
const hallmark = (at: number): IncidentSignal => ({ kind: "hallmark", protocolId: "euler", sourceId: `hallmark:euler:${at}`, occurredAt: at, observedAt: NOW, description: "DefiLlama hallmark: Euler exploited", sourceRef: "defillama-hallmarks" });
/** Applies changes to views the way the store does (for multi-tick tests). */
function applyTo(views: IncidentView[], changes: ReturnType<typeof reconcileIncidents>["changes"], now: number): IncidentView[] {
  const out = views.map((v) => ({ ...v, signals: [...v.signals] }));
  for (const c of changes) {
    if (c.kind === "open") out.push({ key: c.key, protocolId: c.protocolId, state: c.state, occurredAt: c.occurredAt, openedAt: now, stateBy: `signal:${c.signal.kind}`, signals: [c.signal] });
    else {
      const v = out.find((x) => x.key === c.key)!;
      if (c.kind === "attach") {
        v.signals.push(c.signal);
        v.occurredAt = c.occurredAt;
      } else if (c.kind === "transition") {
        v.state = c.to;
        v.stateBy = c.by;
      }
    }
  }
  return out;
}

describe("policy/incidents", () => {
  const rules = DEFAULT_INCIDENT_RULES;
  it("TVL drop: exactly 30% within 24 h, seen in two consecutive readings, fires; 29.9% does not; a 30% fall over 24 h + 1 s does not", () => {
    const rule = { minDropFraction: 0.3, windowSec: DAY };
    const twice = (peakAt: number, low: number) => [{ date: peakAt, tvlUsd: 1_000 }, { date: NOW - H, tvlUsd: low }, { date: NOW, tvlUsd: low }];
    expect(findTvlDrops(twice(NOW - H - DAY, 700), rule, NOW)).to.have.length(1);
    expect(findTvlDrops(twice(NOW - H - DAY, 701), rule, NOW)).to.have.length(0);
    expect(findTvlDrops(twice(NOW - H - DAY - 1, 700), rule, NOW)).to.have.length(0);
  });
  it("one TVL reading is never a signal: a single low point, a point that recovers, a 0 point (a data error)", () => {
    const rule = { minDropFraction: 0.3, windowSec: DAY };
    expect(findTvlDrops([{ date: NOW - DAY, tvlUsd: 1_000 }, { date: NOW, tvlUsd: 700 }], rule, NOW)).to.have.length(0);
    expect(findTvlDrops([{ date: NOW - 2 * H, tvlUsd: 1_000 }, { date: NOW - H, tvlUsd: 100 }, { date: NOW, tvlUsd: 990 }], rule, NOW)).to.have.length(0);
    const zero = [{ date: NOW - 3 * H, tvlUsd: 1_000 }, { date: NOW - 2 * H, tvlUsd: 0 }, { date: NOW - H, tvlUsd: 0 }, { date: NOW, tvlUsd: 1_000 }];
    expect(findTvlDrops(zero, rule, NOW)).to.have.length(0);
    expect(tvlDataErrors(zero, NOW).map((p) => p.date)).to.deep.equal([NOW - 2 * H, NOW - H]);
    expect(collectSignals(input({ tvlHistories: new Map([["euler", zero]]) }), rules, NOW)).to.deep.equal([]);
  });
  it("one event per collapse: later breaches inside the window deepen the trough; one signal", () => {
    const history = [0, 1, 2, 3, 4].map((i) => ({ date: NOW - 10 * H + i * H, tvlUsd: [1_000, 990, 600, 300, 100][i]! }));
    const events = findTvlDrops(history, { minDropFraction: 0.3, windowSec: DAY }, NOW);
    expect(events).to.have.length(1);
    expect(events[0]!.trough.tvlUsd).to.equal(100);
    const signals = collectSignals(input({ tvlHistories: new Map([["euler", history]]) }), rules, NOW);
    expect(signals.map((x) => [x.kind, x.sourceId])).to.deep.equal([["tvl-drop", `tvl-drop:euler:${NOW - 8 * H}`]]);
  });
  it("a TVL drop alone opens a SUSPECTED incident; it is not claimable unless the protocol opted in", () => {
    const r = reconcileIncidents([], [drop(NOW - H)], rules, NOW);
    expect(r.changes).to.have.length(1);
    expect(r.changes[0]).to.deep.include({ kind: "open", state: "suspected", key: `tvl-drop:euler:${NOW - H}` });
    expect(isClaimable({ state: "suspected", protocolId: "euler" }, new Set())).to.equal(false);
    expect(isClaimable({ state: "suspected", protocolId: "euler" }, new Set(["euler"]))).to.equal(true);
    expect(isClaimable({ state: "confirmed", protocolId: "euler" }, new Set())).to.equal(true);
  });
  it("drop + feed row of the same event merge into ONE incident, confirmed by the feed; earliest time kept", () => {
    const first = reconcileIncidents([], [drop(NOW - H)], rules, NOW);
    const views = applyTo([], first.changes, NOW);
    const second = reconcileIncidents(views, [drop(NOW - H), feed(NOW - 2 * H)], rules, NOW + H);
    expect(second.known).to.equal(1);
    expect(second.changes.map((c) => c.kind)).to.deep.equal(["attach", "transition"]);
    expect(second.changes[0]).to.deep.include({ key: `tvl-drop:euler:${NOW - H}`, occurredAt: NOW - 2 * H });
    expect(second.changes[1]).to.deep.include({ from: "suspected", to: "confirmed", by: "signal:hacks-feed" });
  });
  it("an edited feed row (renamed, corrected date within the window) keeps its sourceId or merges: no new incident", () => {
    const original = feedEntry();
    const renamed = feedEntry({ name: "Euler Finance (eToken donation)", raw: { defillamaId: 1061, name: "Euler Finance (eToken donation)" } });
    expect(feedSourceId("euler", renamed)).to.equal(feedSourceId("euler", original));
    expect(feedSourceId("euler", feedEntry({ raw: { id: 77 } }))).to.equal("feed:77");
    const first = reconcileIncidents([], collectSignals(input({ feedIncidents: new Map([["euler", [original]]]) }), rules, NOW), rules, NOW);
    expect(first.changes).to.have.length(1);
    expect(first.changes[0]).to.deep.include({ kind: "open", state: "confirmed" });
    const views = applyTo([], first.changes, NOW);
    expect(reconcileIncidents(views, collectSignals(input({ feedIncidents: new Map([["euler", [renamed]]]) }), rules, NOW), rules, NOW).changes).to.deep.equal([]);
    // Date corrected by two days: another sourceId, but the same event window: attached, not opened.
    const moved = feedEntry({ date: NOW - 3 * DAY + 1 });
    const after = reconcileIncidents(views, collectSignals(input({ feedIncidents: new Map([["euler", [moved]]]) }), rules, NOW), rules, NOW);
    expect(after.changes.map((c) => c.kind)).to.deep.equal(["attach"]);
  });
  it("a signal outside the merge window, or of another protocol, opens its own incident", () => {
    const views = applyTo([], reconcileIncidents([], [feed(NOW - 10 * DAY, "feed:a")], rules, NOW).changes, NOW);
    const r = reconcileIncidents(views, [feed(NOW - H, "feed:b"), { ...drop(NOW - H), protocolId: "aave", sourceId: "tvl-drop:aave:1" }], rules, NOW);
    expect(r.changes.map((c) => c.kind)).to.deep.equal(["open", "open"]);
  });
  it("no corroboration within the timeout → dismissed by timeout; a later signal never attaches to it: it opens a new incident, and the attempt is reported", () => {
    const views = applyTo([], reconcileIncidents([], [drop(NOW - H)], rules, NOW).changes, NOW);
    expect(reconcileIncidents(views, [], rules, NOW + rules.corroborationTimeoutSec - 1).changes).to.deep.equal([]);
    const timedOut = reconcileIncidents(views, [], rules, NOW + rules.corroborationTimeoutSec);
    expect(timedOut.changes[0]).to.deep.include({ kind: "transition", to: "dismissed", by: "timeout" });
    const dismissed = applyTo(views, timedOut.changes, NOW);
    const late = reconcileIncidents(dismissed, [feed(NOW - H)], rules, NOW + 4 * DAY);
    expect(late.changes.map((c) => c.kind)).to.deep.equal(["open", "refused"]);
    expect(late.changes[0]).to.deep.include({ kind: "open", state: "confirmed", key: "feed:llama-1061:1@euler" });
    expect(late.changes[1]).to.deep.include({ kind: "refused", key: `tvl-drop:euler:${NOW - H}`, state: "dismissed", openedKey: "feed:llama-1061:1@euler" });
    const byOperator = dismissed.map((v) => ({ ...v, stateBy: "operator" }));
    expect(reconcileIncidents(byOperator, [feed(NOW - H)], rules, NOW + 4 * DAY).changes.map((c) => c.kind)).to.deep.equal(["open", "refused"]);
  });
  it("a dismissed false alarm does not swallow the real exploit: a feed row 48 h later opens a confirmed incident", () => {
    const opened = applyTo([], reconcileIncidents([], [drop(NOW - H)], rules, NOW).changes, NOW);
    const dismissed = applyTo(opened, [operatorTransition(opened[0]!, "dismissed") as Extract<ReturnType<typeof operatorTransition>, { kind: "transition" }>], NOW);
    const real = reconcileIncidents(dismissed, [feed(NOW + 47 * H, "feed:real")], rules, NOW + 48 * H);
    expect(real.changes.map((c) => (c.kind === "open" ? `open:${c.state}` : c.kind))).to.deep.equal(["open:confirmed", "refused"]);
  });
  it("resolved: the operator resolves a confirmed incident (only a confirmed one); the horizon resolves it; a later signal opens a new incident", () => {
    const confirmed = applyTo([], reconcileIncidents([], [feed(NOW - H)], rules, NOW).changes, NOW);
    expect(confirmed[0]!.state).to.equal("confirmed");
    expect(operatorTransition(confirmed[0]!, "resolved")).to.deep.include({ kind: "transition", from: "confirmed", to: "resolved", by: "operator" });
    expect(operatorTransition({ key: "k", state: "suspected" }, "resolved")).to.deep.include({ kind: "rejected" });
    expect(reconcileIncidents(confirmed, [], rules, NOW - H + rules.resolveAfterSec - 1).changes).to.deep.equal([]);
    const horizon = reconcileIncidents(confirmed, [], rules, NOW - H + rules.resolveAfterSec);
    expect(horizon.changes[0]).to.deep.include({ kind: "transition", from: "confirmed", to: "resolved", by: "horizon" });
    const resolved = applyTo(confirmed, horizon.changes, NOW);
    expect(isClaimable({ state: "resolved", protocolId: "euler" }, new Set())).to.equal(true);
    const again = reconcileIncidents(resolved, [drop(NOW)], rules, NOW + H);
    expect(again.changes.map((c) => (c.kind === "open" ? `open:${c.state}` : c.kind))).to.deep.equal(["open:suspected", "refused"]);
  });
  it("what confirms: a covered feed row alone; an excluded or returned-funds row waits; a hallmark alone never; hallmark + TVL drop or on-chain drain does", () => {
    expect(reconcileIncidents([], [feed(NOW - H)], rules, NOW).changes[0]).to.deep.include({ state: "confirmed" });
    expect(reconcileIncidents([], [feed(NOW - H, "f", { confirms: false, reason: "private key" })], rules, NOW).changes[0]).to.deep.include({ state: "suspected" });
    const { coverVerdict: _unjudged, ...unjudged } = feed(NOW - H, "f");
    expect(reconcileIncidents([], [unjudged], rules, NOW).changes[0]).to.deep.include({ state: "suspected" });
    const hall = applyTo([], reconcileIncidents([], [hallmark(NOW - H)], rules, NOW).changes, NOW);
    expect(hall[0]!.state).to.equal("suspected");
    const withDrop = reconcileIncidents(hall, [drop(NOW - H)], rules, NOW);
    expect(withDrop.changes[1]).to.deep.include({ kind: "transition", to: "confirmed", by: "signals:hallmark+tvl-drop" });
    const drain: IncidentSignal = { ...drop(NOW - H), kind: "onchain-drain", sourceId: "drain:1" };
    expect(reconcileIncidents(hall, [drain], rules, NOW).changes[1]).to.deep.include({ to: "confirmed" });
    // A measurement plus an excluded feed row (key compromise) still waits for the operator.
    const dropped = applyTo([], reconcileIncidents([], [drop(NOW - H)], rules, NOW).changes, NOW);
    expect(reconcileIncidents(dropped, [feed(NOW - H, "f", { confirms: false, reason: "keys" })], rules, NOW).changes.map((c) => c.kind)).to.deep.equal(["attach"]);
    // Two measurements (a withdrawal wave shows both) are not independent.
    expect(reconcileIncidents(dropped, [drain], rules, NOW).changes.map((c) => c.kind)).to.deep.equal(["attach"]);
  });
  it("the operator's approval: a confirm on a signal-confirmed incident records it; a manual report counts", () => {
    const confirmed = applyTo([], reconcileIncidents([], [feed(NOW - H)], rules, NOW).changes, NOW);
    expect(operatorApproved(confirmed[0]!)).to.equal(false);
    expect(operatorTransition(confirmed[0]!, "confirmed")).to.deep.include({ kind: "transition", from: "confirmed", to: "confirmed", by: "operator" });
    const m = manualSignal({ id: "x", protocolId: "euler", occurredAt: NOW - H, description: "operator" }, NOW);
    expect(operatorApproved({ stateBy: "signal:manual", signals: [m] })).to.equal(true);
  });
  it("manual reports and operator decisions", () => {
    const views = applyTo([], reconcileIncidents([], [drop(NOW - H)], rules, NOW).changes, NOW);
    const m = manualSignal({ id: "pm-1", protocolId: "euler", occurredAt: NOW - H, description: "post-mortem" }, NOW);
    const r = reconcileIncidents(views, [m, m], rules, NOW);
    expect(r.changes.map((c) => (c.kind === "transition" ? c.to : c.kind))).to.deep.equal(["attach", "confirmed"]);
    expect(r.known).to.equal(1);
    expect(operatorTransition({ key: "k", state: "suspected" }, "dismissed")).to.deep.include({ kind: "transition", to: "dismissed", by: "operator" });
    expect(operatorTransition({ key: "k", state: "confirmed" }, "confirmed")).to.deep.include({ kind: "rejected" });
  });
  it("hallmarks describing an exploit signal (suspected, a keyword never confirms); other hallmarks and curated feed entries do not signal", () => {
    const hallmarks = new Map([["euler", [[NOW - H, "Euler exploited"], [NOW - 2 * H, "V2 launch"]] as const]]);
    const signals = collectSignals(input({ hallmarks, feedIncidents: new Map([["euler", [feedEntry({ origin: "config" }), feedEntry({ date: NOW - 40 * DAY })]]]) }), rules, NOW);
    expect(signals.map((x) => [x.kind, x.sourceId])).to.deep.equal([["hallmark", `hallmark:euler:${NOW - H}`]]);
    expect(reconcileIncidents([], signals, rules, NOW).changes[0]).to.deep.include({ state: "suspected" });
  });
});

/** A coverage; its claimDeadline defaults to end + 30 days (the grace period fixed at purchase). */
function cov(over: Partial<ClaimableCoverage> = {}): ClaimableCoverage {
  const end = over.end ?? NOW + 100 * DAY;
  return { id: 1n, protocol: EULER, asset: "0x1", beneficiary: "0x2", amount: 1_000n, claimed: 0n, start: NOW - 100 * DAY, end, providerId: 1, providerCoverId: 5n, openClaimId: 0n, status: "Active", claimDeadline: end + GRACE, ...over };
}
const configured = (amount: bigint) => positionLoss({ protocolId: "euler", protocol: EULER, asset: "0x1", beneficiary: "0x2", targetAmount: amount }, undefined);
const measured = (loss: bigint): PositionLoss => ({ loss, derivation: { method: "measured", valueBefore: "1000", valueAfter: String(1000n - loss), source: "test reader" } });
const POS = positionKeyOf({ protocol: EULER, asset: "0x1", beneficiary: "0x2" });
const INCIDENT: ClaimIncident = { dedupeKey: "tvl-drop:euler:1", protocol: EULER, occurredAt: NOW - DAY, lossByPosition: new Map([[POS, configured(1_000n)]]) };
const GRACE = 30 * DAY;

describe("policy/claims", () => {
  it("windows: self-insured = [start + 1, the coverage's own claimDeadline]; hedged = provider window, never the purchase block", () => {
    expect(claimWindowFor({ start: 10, providerId: 0, claimDeadline: 100 + GRACE }, undefined)).to.deep.equal({ earliest: 11, latest: 100 + GRACE });
    expect(claimWindowFor({ start: 10, providerId: 1, claimDeadline: 100 + GRACE }, { earliest: 5, latest: 200 })).to.deep.equal({ earliest: 11, latest: 200 });
    expect(claimWindowFor({ start: 10, providerId: 1, claimDeadline: 100 + GRACE }, undefined)).to.equal(undefined);
  });
  it("gracePeriodFixedAtPurchase: a self-insured coverage is claimable until its own claimDeadline, whatever the fund's grace is now", () => {
    // Bought under a 30-day grace; the admin later set 1 day: the fund keeps the 30 days for this coverage.
    const ended = cov({ providerId: 0, end: NOW - 5 * DAY, status: "Active", claimDeadline: NOW - 5 * DAY + GRACE });
    const incident: ClaimIncident = { ...INCIDENT, occurredAt: NOW - 6 * DAY };
    expect(planClaims([incident], [ended], [], new Map(), NOW)[0]!.kind).to.equal("file-now");
    expect(planClaims([incident], [ended], [], new Map(), NOW - 5 * DAY + GRACE + 1)[0]!.kind).to.equal("too-late");
    // A re-filing window after a denial moves the deadline past end + grace.
    const refiling = cov({ ...ended, claimDeadline: NOW + 60 * DAY });
    expect(planClaims([incident], [refiling], [], new Map(), NOW + 59 * DAY)[0]!.kind).to.equal("file-now");
  });
  const windowAt = (earliest: number, latest: number) => new Map([["1", { earliest, latest }]]);
  const kindAt = (now: number) => planClaims([INCIDENT], [cov()], [], windowAt(NOW, NOW + 10), now)[0]!.kind;
  it("timing edges: earliest − 1 schedules, earliest and latest file, latest + 1 is too late", () => {
    expect(kindAt(NOW - 1)).to.equal("schedule");
    expect(kindAt(NOW)).to.equal("file-now");
    expect(kindAt(NOW + 10)).to.equal("file-now");
    expect(kindAt(NOW + 11)).to.equal("too-late");
    const scheduled = planClaims([INCIDENT], [cov()], [], windowAt(NOW, NOW + 10), NOW - 1)[0]!;
    expect(scheduled.kind === "schedule" && scheduled.at).to.equal(NOW);
  });
  it("self-insured files at once; the amount is min(loss, remaining); the derivation is recorded", () => {
    const self = cov({ providerId: 0, claimed: 400n });
    const plans = planClaims([{ ...INCIDENT, lossByPosition: new Map([[POS, measured(250n)]]) }], [self], [], new Map(), NOW);
    expect(plans[0]).to.deep.include({ kind: "file-now", amount: 250n, idempotencyKey: "claim:tvl-drop:euler:1:1" });
    const p0 = plans[0]!;
    expect(p0.kind === "file-now" && p0.derivation).to.deep.include({ positionLoss: "250", remainingCoverage: "600", amount: "250" });
    expect(p0.kind === "file-now" && p0.derivation.loss.method).to.equal("measured");
    const bigLoss = planClaims([{ ...INCIDENT, lossByPosition: new Map([[POS, measured(10_000n)]]) }], [self], [], new Map(), NOW)[0]!;
    expect(bigLoss.kind === "file-now" && bigLoss.amount).to.equal(600n);
  });
  it("claims the position's loss, never the coverage buffer: size 1 000 covered ×1.3 = 1 300 → 1 000", () => {
    const buffered = cov({ providerId: 0, amount: 1_300n });
    const plan = planClaims([INCIDENT], [buffered], [], new Map(), NOW)[0]!;
    expect(plan.kind === "file-now" && plan.amount).to.equal(1_000n);
    expect(plan.kind === "file-now" && plan.derivation.loss.method).to.equal("configured-size");
  });
  it("one position over two coverages: the loss is allocated oldest first, net of earlier claims; no position → blocked", () => {
    const a = cov({ id: 1n, providerId: 0, amount: 700n });
    const b = cov({ id: 2n, providerId: 0, amount: 600n });
    const plans = planClaims([INCIDENT], [b, a], [], new Map(), NOW);
    expect(plans.map((p) => [p.coverId, p.kind === "file-now" ? p.amount : p.kind])).to.deep.equal([[1n, 700n], [2n, 300n]]);
    const later = planClaims([INCIDENT], [a, b], [{ incidentKey: INCIDENT.dedupeKey, coverId: 1n, amount: 700n }], new Map(), NOW);
    expect(later.map((p) => [p.coverId, p.kind === "file-now" ? p.amount : p.kind])).to.deep.equal([[1n, "already-filed"], [2n, 300n]]);
    const stranger = cov({ beneficiary: "0x9", providerId: 0 });
    expect(planClaims([INCIDENT], [stranger], [], new Map(), NOW)[0]).to.deep.include({ kind: "blocked", reason: "no-position" });
    expect(planClaims([{ ...INCIDENT, lossByPosition: new Map([[POS, measured(0n)]]) }], [a], [], new Map(), NOW)[0]).to.deep.include({ kind: "blocked", reason: "loss-claimed" });
  });
  it("an ended coverage that covered the incident is still claimed inside its grace window, then too late", () => {
    const ended = cov({ providerId: 0, start: NOW - 100 * DAY, end: NOW - DAY + 10, status: "Expired" });
    expect(planClaims([INCIDENT], [ended], [], new Map(), NOW)[0]!.kind).to.equal("file-now");
    expect(planClaims([INCIDENT], [ended], [], new Map(), NOW - DAY + 10 + 30 * DAY + 1)[0]!.kind).to.equal("too-late");
  });
  it("never files twice for one incident and coverage, even when the incident is listed twice", () => {
    const self = cov({ providerId: 0 });
    expect(planClaims([INCIDENT], [self], [{ incidentKey: INCIDENT.dedupeKey, coverId: 1n }], new Map(), NOW)[0]!.kind).to.equal("already-filed");
    const twice = planClaims([INCIDENT, INCIDENT], [self], [], new Map(), NOW).map((p) => p.kind);
    expect(twice).to.deep.equal(["file-now", "already-filed"]);
  });
  it("skips coverages that did not cover the incident time, blocks on an open claim or nothing left", () => {
    expect(planClaims([INCIDENT], [cov({ start: NOW - DAY + 1 })], [], windowAt(0, NOW * 2), NOW)).to.have.length(0);
    expect(planClaims([INCIDENT], [cov({ openClaimId: 4n })], [], windowAt(0, NOW * 2), NOW)[0]).to.deep.include({ kind: "blocked", reason: "claim-open" });
    expect(planClaims([INCIDENT], [cov({ claimed: 1_000n })], [], windowAt(0, NOW * 2), NOW)[0]).to.deep.include({ kind: "blocked", reason: "nothing-remaining" });
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
      expect(decideClaimFollowUps([{ claimId: 3n, coverId: 1n, providerId: 0, fundStatus: "Vetoed" }], NOW).map((f) => f.kind)).to.deep.equal(["alert", "done"]);
      expect(decideClaimFollowUps([{ claimId: 3n, coverId: 1n, providerId: 0, fundStatus: "Withdrawn" }], NOW).map((f) => f.kind)).to.deep.equal(["done"]);
    });
    it("self-insured: pending waits for the assessor, accepted settles", () => {
      expect(kindsOf(obs("Pending", undefined, 0))).to.deep.equal(["wait"]);
      expect(kindsOf(obs("Accepted", undefined, 0))).to.deep.equal(["settle"]);
    });
  });
});
