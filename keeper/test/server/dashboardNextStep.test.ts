/** What the dashboard says the keeper does next for a claim, and when (chain time). */
import { expect } from "chai";
import { nextStep, wadToUsd } from "../../src/server/dashboard/collector";

const base = { state: "filed", fileAfter: null, window: { earliest: 100, latest: 10_000 }, fundStatus: "Pending", providerStatus: null, providerId: 1, votingEnd: null, cooldownEnd: null, redeemableUntil: null };

describe("dashboard: next step of a claim", () => {
  it("a scheduled claim is filed at its earliest time, before the window closes", () => {
    expect(nextStep({ ...base, state: "scheduled", fileAfter: 500 }, 200)).to.deep.equal({ action: "file the claim", at: 500, deadline: 10_000 });
    expect(nextStep({ ...base, state: "scheduled" }, 50)).to.deep.equal({ action: "file the claim", at: 100, deadline: 10_000 });
  });

  it("a hedged claim waits for the vote, then the cooldown, then settles before the redemption deadline", () => {
    const upstream = { ...base, providerStatus: "Pending", votingEnd: 1_000, cooldownEnd: 1_500 };
    expect(nextStep(upstream, 900)).to.deep.equal({ action: "wait for the upstream vote", at: 1_000, deadline: null });
    expect(nextStep(upstream, 1_200)).to.deep.equal({ action: "wait for the upstream cooldown", at: 1_501, deadline: null });
    expect(nextStep({ ...upstream, providerStatus: "Accepted", redeemableUntil: 9_000 }, 1_600)).to.deep.equal({ action: "settle (redeem the upstream payout)", at: null, deadline: 9_000 });
    expect(nextStep({ ...upstream, providerStatus: "Draw" }, 1_600).action).to.equal("settle (retrieve the deposit)");
  });

  it("a self-insured claim waits for the fund's assessor, then settles; terminal states are done", () => {
    expect(nextStep({ ...base, providerId: 0 }, 1).action).to.equal("wait for the fund's claims assessor");
    expect(nextStep({ ...base, providerId: 0, fundStatus: "Accepted" }, 1).action).to.equal("settle (credit the payout)");
    for (const state of ["paid", "denied", "draw", "expired", "too-late"]) expect(nextStep({ ...base, state }, 1)).to.deep.equal({ action: `done (${state})`, at: null, deadline: null });
  });

  it("turns USD wad into dollars", () => {
    expect(wadToUsd(45_000n * 10n ** 18n)).to.equal(45_000);
    expect(wadToUsd(123_456_789n * 10n ** 12n)).to.equal(123.456789);
  });
});
