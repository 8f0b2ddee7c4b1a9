import { expect } from "chai";
import fc from "fast-check";

import { applyBudget, spentInLastDay, type Budgetable } from "../../src/policy/budget";
import { chooseProvider, reserveAllows, type ProviderChoiceInput } from "../../src/policy/providerChoice";
import type { Priority } from "../../src/policy/coverage";

const NOW = 1_750_000_000;
const DAY = 86_400;

const base: ProviderChoiceInput = {
  preferredProviders: [1, 2],
  quotes: [],
  fundPremium: 1_000n,
  amount: 100_000n,
  allowSelfInsure: false,
  selfInsurance: { pool: 0n, selfInsured: 0n, reserveRatioBps: 2_000 },
};

describe("policy/providerChoice", () => {
  it("takes the first preferred provider whose upstream premium is ≤ the fund's premium (equal fits)", () => {
    const choice = chooseProvider({
      ...base,
      quotes: [
        { providerId: 2, status: "ok", upstreamPremium: 500n },
        { providerId: 1, status: "ok", upstreamPremium: 1_000n, coverData: "0xab" },
      ],
    });
    expect(choice).to.deep.include({ kind: "provider", providerId: 1, upstreamPremium: 1_000n, coverData: "0xab" });
  });
  it("falls back to the next provider on no capacity, an error or a dearer quote", () => {
    for (const first of [
      { providerId: 1, status: "no-capacity" as const },
      { providerId: 1, status: "error" as const, detail: "HTTP 500" },
      { providerId: 1, status: "ok" as const, upstreamPremium: 1_001n },
    ]) {
      const choice = chooseProvider({ ...base, quotes: [first, { providerId: 2, status: "ok", upstreamPremium: 900n }] });
      expect(choice.kind).to.equal("provider");
      if (choice.kind === "provider") {
        expect(choice.providerId).to.equal(2);
        expect(choice.rejected).to.have.length(1);
      }
    }
  });
  it("self-insures only when allowed and the reserve holds; otherwise unfundable with every reason", () => {
    const noneFit = { ...base, quotes: [{ providerId: 1, status: "no-capacity" as const }] };
    const notAllowed = chooseProvider({ ...noneFit, selfInsurance: { pool: 10n ** 9n, selfInsured: 0n, reserveRatioBps: 2_000 } });
    expect(notAllowed.kind).to.equal("unfundable");
    if (notAllowed.kind === "unfundable") expect(notAllowed.reasons.join(";")).to.match(/provider 1: no-capacity.*provider 2: no-quote.*not-allowed/);
    // reserve edge: pool must be ≥ 20% × (selfInsured + amount) = 20% × 150 000 = 30 000
    const edge = { ...noneFit, allowSelfInsure: true };
    expect(chooseProvider({ ...edge, selfInsurance: { pool: 30_000n, selfInsured: 50_000n, reserveRatioBps: 2_000 } }).kind).to.equal("self-insure");
    const short = chooseProvider({ ...edge, selfInsurance: { pool: 29_999n, selfInsured: 50_000n, reserveRatioBps: 2_000 } });
    expect(short.kind).to.equal("unfundable");
    if (short.kind === "unfundable") expect(short.rejected.at(-1)?.reason).to.equal("reserve-ratio");
    expect(reserveAllows({ pool: 1n, selfInsured: 0n, reserveRatioBps: 2_000 }, 1n)).to.equal(true); // ceil(0.2) = 1
  });
});

function act(priority: Priority, cost: bigint, key = `${priority}:${cost}`): Budgetable {
  return { priority, idempotencyKey: key, maxPremiumWad: cost };
}

describe("policy/budget", () => {
  const limits = { maxPerCycleWad: 100n, maxPerDayWad: 150n };

  it("approves up to exactly the cycle ceiling and defers the rest with the reason", () => {
    const r = applyBudget([act("HIGH", 60n, "a"), act("HIGH", 40n, "b"), act("HIGH", 1n, "c")], limits, [], NOW);
    expect(r.approved.map((a) => a.idempotencyKey)).to.deep.equal(["a", "b"]);
    expect(r.deferred.map((d) => [d.action.idempotencyKey, d.reason])).to.deep.equal([["c", "cycle-budget"]]);
    expect(r.committedWad).to.equal(100n);
  });
  it("counts the rolling day (now − 24 h, now] of history: exactly 24 h ago has left the window", () => {
    const history = [
      { at: NOW - DAY, amountWad: 1_000n }, // out of the window
      { at: NOW - DAY + 1, amountWad: 100n }, // in
    ];
    expect(spentInLastDay(history, NOW)).to.equal(100n);
    const r = applyBudget([act("HIGH", 50n, "fits"), act("HIGH", 1n, "over")], limits, history, NOW);
    expect(r.approved.map((a) => a.idempotencyKey)).to.deep.equal(["fits"]);
    expect(r.deferred[0]?.reason).to.equal("day-budget");
  });
  it("serves higher priority first and defers lower priority behind a deferred one; zero-cost actions always pass", () => {
    const expire: Budgetable = { priority: "HIGH", idempotencyKey: "expire" };
    const r = applyBudget([act("LOW", 10n, "low"), act("MEDIUM", 95n, "med"), act("HIGH", 90n, "high"), expire], limits, [], NOW);
    expect(r.approved.map((a) => a.idempotencyKey)).to.deep.equal(["high", "expire"]);
    expect(r.deferred.map((d) => [d.action.idempotencyKey, d.reason])).to.deep.equal([
      ["med", "cycle-budget"],
      ["low", "behind-higher-priority"],
    ]);
  });
  it("property: approved spend never exceeds either ceiling and nothing is dropped", () => {
    const prio = fc.constantFrom<Priority>("HIGH", "MEDIUM", "LOW");
    fc.assert(
      fc.property(
        fc.array(fc.tuple(prio, fc.bigInt({ min: 0n, max: 200n })), { maxLength: 20 }),
        fc.array(fc.tuple(fc.integer({ min: 0, max: 2 * DAY }), fc.bigInt({ min: 0n, max: 100n })), { maxLength: 5 }),
        fc.bigInt({ min: 0n, max: 300n }),
        fc.bigInt({ min: 0n, max: 400n }),
        (items, hist, cycle, day) => {
          const actions = items.map(([p, c], i) => act(p, c, String(i)));
          const history = hist.map(([ago, amountWad]) => ({ at: NOW - ago, amountWad }));
          const r = applyBudget(actions, { maxPerCycleWad: cycle, maxPerDayWad: day }, history, NOW);
          const spent = r.approved.reduce((s, a) => s + (a.maxPremiumWad ?? 0n), 0n);
          expect(spent <= cycle || spent === 0n).to.equal(true);
          expect(spent === 0n || spentInLastDay(history, NOW) + spent <= day).to.equal(true);
          expect(r.approved.length + r.deferred.length).to.equal(actions.length);
        },
      ),
      { numRuns: 300 },
    );
  });
});
