/** lib/format: every number a person reads has its unit (issue 22). */
import { expect } from "chai";

import {
  formatChainTime,
  formatChange,
  formatIncidentName,
  formatIsoUtc,
  formatPercentOf,
  formatToken,
  formatUsd,
  formatUtcMinute,
  incidentKindLabel,
} from "../../src/lib/format";

describe("lib/format", () => {
  it("token amounts in token units with the symbol and thousands separators, not base units", () => {
    expect(formatToken(161_161_643_835_616_438_357n, 18, "DAI")).to.equal("161.16 DAI");
    expect(formatToken(18_000_000_000n, 6, "USDC")).to.equal("18,000 USDC");
    expect(formatToken(1_234_567_891n, 6, "USDC", 6)).to.equal("1,234.567891 USDC");
    expect(formatToken(-5_000_000n, 6, "USDT")).to.equal("-5 USDT");
  });

  it("USD with separators, whole dollars by default", () => {
    expect(formatUsd(17_265_632)).to.equal("$17,265,632");
    expect(formatUsd(17_265_632.4, 2)).to.equal("$17,265,632.40");
    expect(formatUsd(277.150707)).to.equal("$277");
    expect(formatUsd(-1500)).to.equal("-$1,500");
    expect(formatUsd(Number.NaN)).to.equal("–");
  });

  it("times as ISO 8601 UTC, chain time marked as such", () => {
    expect(formatIsoUtc(1_796_537_646)).to.equal("2026-12-06T06:14:06Z");
    expect(formatChainTime(1_796_537_646)).to.equal("2026-12-06T06:14:06Z (chain time)");
    expect(formatUtcMinute(1_805_179_980)).to.equal("2027-03-16 06:53 UTC");
  });

  it("percentages with their base", () => {
    expect(formatPercentOf(0.6, "45,000 USDC")).to.equal("60.00% of 45,000 USDC");
    expect(formatChange(45_000, 18_000, (v) => `${v.toLocaleString("en-US")} USDC`)).to.equal("fell 60.00% (45,000 USDC → 18,000 USDC)");
    expect(formatChange(56, 65, String, 1)).to.equal("rose 16.1% (56 → 65)");
  });

  it("incidents are named by protocol, kind and time", () => {
    expect(formatIncidentName({ protocolName: "Aave V3", kind: "onchain-drain", occurredAt: 1_805_179_980 })).to.equal("Aave V3 — on-chain drain, 2027-03-16 06:53 UTC");
    expect(incidentKindLabel("tvl-drop")).to.equal("TVL drop");
    expect(incidentKindLabel("something-new")).to.equal("something new");
  });
});
