import { expect } from "chai";

import { invalidPatterns, judgeFeedRow, NEXUS_PROTOCOL_COVER_WORDING as NEXUS } from "../../src/policy/coverWording";

describe("policy/coverWording (Nexus Mutual Protocol Cover defaults)", () => {
  it("code/logic exploits, oracle or price manipulation and governance takeovers confirm", () => {
    for (const [classification, technique] of [
      ["Protocol Logic", "Reentrancy"],
      ["Protocol Logic", undefined],
      ["Protocol Logic", "Flashloan Price Oracle Attack"],
      [undefined, "Oracle manipulation"],
      ["Ecosystem", "Governance Attack"],
      [undefined, "Price manipulation"],
    ] as const) {
      expect(judgeFeedRow({ classification, technique }, NEXUS).confirms, `${classification}/${technique}`).to.equal(true);
    }
  });
  it("key compromise, front-end/DNS attacks, phishing and rug pulls wait for the operator (excluded wins over covered)", () => {
    for (const [classification, technique] of [
      ["Infrastructure", "Private Key Compromised"],
      ["Protocol Logic", "Private key compromise of the deployer"],
      ["Infrastructure", "Frontend DNS attack"],
      ["Infrastructure", "Front-end attack"],
      [undefined, "Phishing"],
      ["Rugpull", undefined],
    ] as const) {
      const j = judgeFeedRow({ classification, technique }, NEXUS);
      expect(j.confirms, `${classification}/${technique}`).to.equal(false);
      expect(j.reason).to.match(/does not pay|operator decides/);
    }
  });
  it("a row with no classification, or one matching nothing, waits for the operator", () => {
    expect(judgeFeedRow({}, NEXUS).confirms).to.equal(false);
    expect(judgeFeedRow({ classification: "Unknown" }, NEXUS).confirms).to.equal(false);
  });
  it("returned funds: the row waits for the operator and the loss is reduced by them", () => {
    const j = judgeFeedRow({ classification: "Protocol Logic", technique: "Reentrancy", amountUsd: 10_000_000, returnedFundsUsd: 9_000_000 }, NEXUS);
    expect(j).to.deep.include({ confirms: false, returnedUsd: 9_000_000, netLossUsd: 1_000_000 });
    expect(judgeFeedRow({ classification: "Protocol Logic", amountUsd: 5, returnedFundsUsd: 0 }, NEXUS)).to.deep.include({ confirms: true, netLossUsd: 5 });
  });
  it("the table is configuration: another wording changes the verdict; invalid patterns are reported", () => {
    expect(judgeFeedRow({ technique: "Private Key Compromised" }, { covered: ["private key"], excluded: [] }).confirms).to.equal(true);
    expect(invalidPatterns({ covered: ["(("], excluded: ["ok"] })).to.deep.equal(["(("]);
  });
});
